"""The per-account metric tables of the sections (MetricSpec.tables: activity, engagement, fans, ...)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from benchmark.i18n import _
from benchmark.metrics.catalog import format_value, metric_definition, metric_label, term
from benchmark.metrics.specs import FAMILY_LABELS, SNAPSHOT_METRICS, TABLES
from benchmark.report.sections.common import LOW_N

FAMILY_TERMS = {family: group for family, (_label, group) in FAMILY_LABELS.items()}  # format_share -> format


def _header(metric: str) -> str:
    """A table column: the part of a family (a format, a purpose ...) in tables of one family, else the
    metric's name."""
    family, _dot, part = metric.partition(".")
    return term(FAMILY_TERMS[family], part) if family in FAMILY_TERMS else metric_label(metric)


def metric_tables(accounts: pd.DataFrame, values: pd.DataFrame, ns: pd.DataFrame) -> dict[str, dict[str, Any]]:
    out = {}
    for name, columns in TABLES.items():
        rows = []
        for acct, account in accounts.iterrows():
            cells = []
            for metric in columns:
                value, n = values.at[acct, metric], int(ns.at[acct, metric])
                text = format_value(metric, value)
                if metric == "broadcast_ratio" and value != value and values.at[acct, "posts"] > 0:
                    text = _("never talks to fans")
                low = 0 < n < LOW_N and metric not in SNAPSHOT_METRICS
                cells.append({"text": text, "n": n, "low": low, "title": f"{metric}: n = {n:,}"})
            rows.append({"display": account["display"], "role": account["role"], "cells": cells})
        out[name] = {"columns": [{"id": m, "header": _header(m), "definition": metric_definition(m)}
                                 for m in columns],
                     "rows": rows}
    return out
