"""What several sections share: the accounts in report order with their display names, a post as a card."""

from __future__ import annotations

from typing import Any

import pandas as pd

from benchmark.metrics.catalog import format_value, term
from benchmark.metrics.panel import PanelData
from benchmark.metrics.specs import ROLE_ORDER
from benchmark.report.html import safe_href
from benchmark.report.periods import day_text

LOW_N = 10  # values resting on fewer posts are shown in italics
EXCERPT_CHARS = 220


def display_name(account: pd.Series, multi_platform: bool) -> str:
    if not multi_platform:
        return str(account["label"])
    return f"{account['label']} · {term('platform', account['platform'])}"


def ordered_accounts(panel: PanelData) -> pd.DataFrame:
    """The panel's accounts in report order (platform as first seen, then own, peer, exemplar) with the
    name every section shows (`display`: the label, with the platform when the panel spans several)."""
    accounts = panel.accounts.copy()
    first_seen = {p: i for i, p in enumerate(dict.fromkeys(accounts["platform"]))}
    accounts["_order"] = [(first_seen[p], ROLE_ORDER.get(r, 9), a)
                          for p, r, a in zip(accounts["platform"], accounts["role"], accounts["acct"], strict=True)]
    multi = accounts["platform"].nunique() > 1
    accounts["display"] = [display_name(row, multi) for _i, row in accounts.iterrows()]
    return accounts.sort_values("_order")


def excerpt(text: Any) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def post_view(post: pd.Series, accounts: pd.DataFrame) -> dict[str, Any]:
    return {
        "account": accounts.at[post["acct"], "display"], "role": accounts.at[post["acct"], "role"],
        "date": (f"{day_text(post['created_local'].date())} {post['created_local'].strftime('%H:%M')}"
                 if post.get("timed", True) else day_text(post["created_local"].date())),
        "kind": term("kind", post["kind"]), "format": term("format", post["format"]),
        "purpose": term("purpose", post["purpose"]) if isinstance(post["purpose"], str) else "—",
        "engagement": format_value("posts", post["engagement"]),
        "er": format_value("er_median", post["er"]), "text": excerpt(post["text"]),
        "url": post["url"] if isinstance(post["url"], str) else "", "href": safe_href(post["url"]),
    }


def timed(posts: pd.DataFrame) -> pd.Series:
    """Posts with a time of day (derive.py: `timed`; every post of a frame without the column)."""
    return posts["timed"].astype(bool) if "timed" in posts.columns else pd.Series(True, index=posts.index)
