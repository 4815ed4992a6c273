"""The executive summary: one traffic light per story and brand, and one sentence per brand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from benchmark.i18n import N_, _, ngettext
from benchmark.metrics.catalog import format_value, term
from benchmark.metrics.findings import Finding
from benchmark.metrics.specs import ROLE_ORDER

# The stories of the executive summary: (id, name, the finding rule that turns it red, the metric judged and
# shown; the follower story shows the follower count).
STORIES: tuple[tuple[str, str, str, str], ...] = (
    ("hollow", N_("Followers"), "hollow_followers", "er_vs_panel"),
    ("sales", N_("Sales share"), "sales_floor", "purpose_share.sales"),
    ("fans", N_("Fan reposts"), "self_indulgent", "fan_repost_share"),
    ("answers", N_("Answers to fans"), "slow_answers", "comment_reply_rate"),
    ("formats", N_("Format mix"), "thin_content", "format_diversity"),
    ("engagement", N_("Engagement vs panel"), "", "er_vs_panel"),
)


LIGHTS = {"good": "✓", "warn": "!", "bad": "✕", "none": "·"}


def summary(accounts: pd.DataFrame, values: pd.DataFrame, findings: list[Finding]) -> dict[str, Any]:
    """The first screen: one row per brand (own first, then peers, exemplars), one traffic light per story
    with its figure (per platform in the tooltip), and one sentence per brand."""
    fired = {(f.label, f.rule): f for f in findings}
    by_brand = accounts.assign(_rank=accounts["role"].map(ROLE_ORDER)).sort_values(["_rank", "_order"])
    rows = []
    for label, group in by_brand.groupby("label", sort=False):
        cells, flagged = [], []
        for story, name, rule, metric in STORIES:
            defined = [(acct, float(values.at[acct, metric])) for acct in group.index
                       if values.at[acct, metric] == values.at[acct, metric]]
            per_platform = _("; ").join(f"{term('platform', accounts.at[a, 'platform'])} {format_value(metric, v)}"
                                        for a, v in defined)
            if story == "engagement":
                ratio = float(np.median([v for _a, v in defined])) if defined else float("nan")
                light = ("none" if ratio != ratio else "good" if ratio >= 1 else "warn" if ratio >= 0.5 else "bad")
                text = "—" if ratio != ratio else _("{ratio}×").format(ratio=format_value("er_vs_panel", ratio))
            else:
                shown = "followers" if story == "hollow" else metric
                acct = fired[(label, rule)].acct if (label, rule) in fired else defined[0][0] if defined else None
                light = "bad" if (label, rule) in fired else "good" if defined else "none"
                text = format_value(shown, values.at[acct, shown]) if acct is not None else "—"
            if light in ("bad", "warn"):
                flagged.append(_(name))
            no_data = _("no data")
            cells.append({"light": light, "symbol": LIGHTS[light], "text": text,
                          "title": f"{_(name)}: {per_platform or no_data}"})
        rows.append({"label": label, "role": group["role"].iloc[0], "cells": cells,
                     "sentence": _brand_sentence(str(label), flagged, cells[-1]["text"])})
    return {"stories": [_(name) for _s, name, _r, _m in STORIES], "rows": rows}


def _brand_sentence(label: str, flagged: list[str], engagement: str) -> str:
    if not flagged:
        return _("{brand}: nothing flagged; median engagement rate {ratio} the panel's.").format(
            brand=label, ratio=engagement)
    return ngettext("{brand}: {count} story needs attention: {stories}.",
                    "{brand}: {count} stories need attention: {stories}.", len(flagged)).format(
        brand=label, count=len(flagged), stories=_(", ").join(flagged))
