"""The brands section: totals per brand (config label) over its accounts on every platform."""

from __future__ import annotations

from typing import Any

import pandas as pd

from benchmark.i18n import _
from benchmark.metrics.catalog import term
from benchmark.metrics.panel import PanelData


def brands(panel: PanelData, values: pd.DataFrame) -> list[dict[str, Any]]:
    """Cross-platform summary per brand (config label): totals over the brand's accounts."""
    posts, accounts = panel.posts, panel.accounts
    rows = []
    for label, group in accounts.groupby("label", sort=False):
        mine = posts[posts["acct"].isin(group.index)]
        n = len(mine)
        e = mine["engagement"].sum()
        rows.append({
            "label": label, "role": group["role"].iloc[0],
            "platforms": _(", ").join(term("platform", p) for p in dict.fromkeys(group["platform"])),
            "posts": n, "followers": values.loc[group.index, "followers"].sum(min_count=1),
            "engagement": e if n else float("nan"), "per_post": e / n if n else float("nan"),
            "er_median": mine["er"].median() if n else float("nan"),
            "fan_reposts": mine["fan_repost"].sum() / n if n else float("nan"),
        })
    return rows
