"""The data coverage section: per account, what the crawl recorded, the posts and snapshots the report rests on."""

from __future__ import annotations

from typing import Any

import pandas as pd

from benchmark.i18n import _, stored_message
from benchmark.metrics.catalog import term
from benchmark.metrics.panel import PanelData
from benchmark.report import insights
from benchmark.report.periods import day_text


def _status_message(row: pd.Series) -> str:
    """The crawl's reason for an account's status, in the report's language where it was recorded as a
    translatable message (text quoted from a platform, and stores of older versions, stay as written)."""
    def text(value: Any) -> str | None:
        return value if isinstance(value, str) else None  # NaN / None from pandas: no value

    return stored_message(text(row.get("message")), text(row.get("message_i18n")))


def coverage_rows(panel: PanelData, accounts: pd.DataFrame, posts_per_account: pd.Series) -> list[dict[str, Any]]:
    status = panel.crawl_status.set_index("acct") if len(panel.crawl_status) else pd.DataFrame()
    span = panel.posts.groupby("acct")["created_local"].agg(["min", "max"])
    lo, hi = insights.snapshot_bounds(panel.bounds_utc)  # the snapshots follower growth rests on
    taken = panel.snapshots["crawled_at"]
    snaps = panel.snapshots[(taken >= lo) & (taken < hi)].groupby("acct").size()
    rows = []
    for acct, a in accounts.iterrows():
        has_status = acct in status.index
        n = int(posts_per_account.get(acct, 0))
        code = str(status.at[acct, "status"]) if has_status else ""
        rows.append({
            "display": a["display"], "platform": term("platform", a["platform"]), "id": a["account_id"],
            "role": a["role"], "code": code,
            "status": term("status", code) if has_status else _("no crawl recorded"),
            "message": _status_message(status.loc[acct]) if has_status else "",
            "crawled": str(status.at[acct, "finished_at"])[:16] if has_status else "",
            "posts": n, "missing": n == 0,
            "first": day_text(span.at[acct, "min"].date()) if acct in span.index else "—",
            "last": day_text(span.at[acct, "max"].date()) if acct in span.index else "—",
            "snapshots": int(snaps.get(acct, 0)),
            "ok": has_status and status.at[acct, "status"] == "ok",
        })
    return rows
