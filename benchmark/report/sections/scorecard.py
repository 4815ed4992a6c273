"""The scorecard: per own account, the key metrics (MetricSpec.key) against the peer median and best exemplar."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from benchmark.i18n import _
from benchmark.metrics.catalog import METRICS, format_value
from benchmark.metrics.findings import scorecard
from benchmark.report import charts
from benchmark.report.periods import signed
from benchmark.report.sections.common import LOW_N


def scorecard_groups(metrics: pd.DataFrame, accounts: pd.DataFrame) -> list[dict[str, Any]]:
    card = scorecard(metrics)
    groups = []
    for acct, rows in card.groupby("acct", sort=False):
        items = []
        for _i, r in rows.iterrows():
            gap = _gap_text(r["metric"], r["gap"])
            # A gap that rounds to zero on screen is no gap: no colour.
            better = np.sign(r["gap"]) * r["direction"] if any(ch in "123456789" for ch in gap) else 0
            items.append({
                "name": r["name"], "metric": r["metric"], "own": format_value(r["metric"], r["own"]),
                "low": r["own_n"] < LOW_N, "n": r["own_n"], "peer": format_value(r["metric"], r["peer_median"]),
                "peers": r["peers"], "best": format_value(r["metric"], r["best"]), "best_label": r["best_label"],
                "other_platform": bool(r["best_label"]) and r["exemplar_platform"] != r["platform"],
                "gap": gap,
                "cls": "better" if better > 0 else "worse" if better < 0 else "",
            })
        picture = charts.dot_plot(
            [{"name": r["name"], "own": float(r["own"]), "peer": float(r["peer_median"]), "best": float(r["best"]),
              "own_text": format_value(r["metric"], r["own"]), "peer_text": format_value(r["metric"], r["peer_median"]),
              "best_text": format_value(r["metric"], r["best"])} for _i, r in rows.iterrows()],
            _("{account}: own, peer median and best exemplar on each metric (each line on its own scale from 0)")
            .format(account=accounts.at[acct, "display"]))
        groups.append({"title": accounts.at[acct, "display"], "rows": items, "picture": picture})
    return groups


def _gap_text(metric: str, gap: float) -> str:
    if gap != gap:
        return "—"
    return signed(metric, gap) if METRICS[metric][0] in ("share", "er") else _signed_value(metric, gap)


def _signed_value(metric: str, gap: float) -> str:
    sign = "+" if gap > 0 else "−" if gap < 0 else "±"
    return f"{sign}{format_value(metric, abs(gap))}"
