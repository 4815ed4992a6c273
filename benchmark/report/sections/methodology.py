"""The methodology section: every metric's definition (from the MetricSpec registry), each platform's
engagement formula, the findings' thresholds. A full report and a coverage-only one show the same."""

from __future__ import annotations

from typing import Any

import pandas as pd

from benchmark.metrics.catalog import METRICS, METRICS_VERSION, engagement_wording, er_scale, metric_definition, term
from benchmark.metrics.findings import RESPONSE_TIME_MAX_H
from benchmark.metrics.panel import PanelData
from benchmark.report.sections.common import LOW_N


def methodology(panel: PanelData, accounts: pd.DataFrame) -> dict[str, Any]:
    return {
        "definitions": [{"id": mid, "unit": term("unit", unit), "text": metric_definition(mid)}
                        for mid, (unit, _text) in METRICS.items()],
        "engagement_defs": [{"platform": term("platform", p), "text": engagement_wording(p)}
                            for p in dict.fromkeys(accounts["platform"])],
        "thresholds": sorted({"response_time_max_h": RESPONSE_TIME_MAX_H, **panel.config.thresholds}.items()),
        "metrics_version": METRICS_VERSION, "low_n": LOW_N, "er_unit": er_scale()[1],
    }
