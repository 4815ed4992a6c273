"""The run card: the config, the period, the accounts by role, when the data was crawled."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

from benchmark.i18n import _
from benchmark.metrics.catalog import METRICS_VERSION, term
from benchmark.metrics.panel import PanelData
from benchmark.metrics.specs import ROLE_ORDER
from benchmark.report.html import safe_href
from benchmark.report.periods import day_text, period_text


def run_card(panel: PanelData, accounts: pd.DataFrame) -> dict[str, Any]:
    config, runs = panel.config, panel.crawl_runs
    finished = pd.to_datetime(runs["finished_at"], errors="coerce").dropna() if len(runs) else pd.Series([])
    return {
        "name": config.name, "since": day_text(config.period_start), "until": day_text(config.period_end),
        "period": period_text(config.period_start, config.period_end),
        "days": panel.period_days, "timezone": config.timezone,
        "platforms": [term("platform", p) for p in dict.fromkeys(accounts["platform"])],
        "roles": [{"role": role, "accounts": [
            {"display": r["display"], "id": r["account_id"], "href": safe_href(r["url"])}
            for _i, r in accounts[accounts["role"] == role].iterrows()]} for role in ROLE_ORDER],
        "crawl_date": _utc_minute(finished.max()) if len(finished) else _("no finished crawl recorded"),
        "generated": _utc_minute(datetime.now(UTC)),
        "posts": len(panel.posts), "metrics_version": METRICS_VERSION,
    }


def _utc_minute(moment: datetime) -> str:
    return _("{date} {time} UTC").format(date=day_text(moment.date()), time=moment.strftime("%H:%M"))
