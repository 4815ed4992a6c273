"""The timing section: weekday × hour grids and the best hour to post per own brand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from benchmark.i18n import _, format_count, ngettext
from benchmark.metrics.catalog import er_scale, format_value, term
from benchmark.metrics.panel import PanelData
from benchmark.report import charts
from benchmark.report.sections.common import timed


def heatmaps(panel: PanelData, accounts: pd.DataFrame) -> list[dict[str, Any]]:
    """One grid per platform for the whole panel, and one per own account; from posts with a time of day
    only (a Weibo date without a time would pile up at 00:00), the number left out stated with each grid."""
    posts = panel.posts
    groups = [(_("All panel accounts on {platform}").format(platform=term("platform", p)),
               accounts.index[accounts["platform"] == p]) for p in dict.fromkeys(accounts["platform"])]
    groups += [(_("{account} (own)").format(account=a["display"]), [acct])
               for acct, a in accounts[accounts["role"] == "own"].iterrows()]
    out = []
    for title, members in groups:
        every = posts[posts["acct"].isin(list(members))]
        mine = every[timed(every)]
        if every.empty:
            continue
        cells = mine.groupby(["weekday", "hour"])
        counts = np.zeros((7, 24))
        medians = np.full((7, 24), np.nan)
        for (d, h), n in cells.size().items():
            counts[d, h] = n
        for (d, h), m in (cells["er"].median() * er_scale()[0]).items():
            medians[d, h] = m
        untimed = len(every) - len(mine)
        out.append({"title": title, "chart": charts.heatmap(counts, medians, title, er_scale()[1]), "timed": len(mine),
                    "untimed": untimed,
                    "note": ngettext("{count} post with a date but no time of day (Weibo lists older posts by "
                                     "day only) is left out of this grid.",
                                     "{count} posts with a date but no time of day (Weibo lists older posts by "
                                     "day only) are left out of this grid.", untimed).format(
                        count=format_count(untimed)) if untimed else ""})
    return out


BEST_TIME_MIN_POSTS = 3  # an hour of the day needs this many posts to be named the best


def best_time(panel: PanelData, accounts: pd.DataFrame) -> dict[str, str]:
    """Per own brand: the hour of the day whose posts earned the highest median engagement rate, from posts
    with a time of day only, as one sentence."""
    posts = panel.posts
    out: dict[str, str] = {}
    for label, group in accounts[accounts["role"] == "own"].groupby("label", sort=False):
        every = posts[posts["acct"].isin(group.index)]
        mine = every[timed(every) & every["er"].notna()]
        untimed = int((~timed(every)).sum())
        by_hour = mine.groupby("hour")["er"].agg(["median", "size"])
        by_hour = by_hour[by_hour["size"] >= BEST_TIME_MIN_POSTS]
        if by_hour.empty:
            sentence = _("{brand}: too few posts with a time of day to name a best time to post.").format(brand=label)
        else:
            hour = int(by_hour["median"].idxmax())
            sentence = _("{brand}: posts that went out between {start}:00 and {end}:00 earned the highest median "
                         "engagement rate ({er}, {count} posts).").format(
                brand=label, start=f"{hour:02d}", end=f"{hour + 1:02d}",
                er=format_value("er_median", by_hour.at[hour, "median"]),
                count=format_count(int(by_hour.at[hour, "size"])))
        if untimed:
            sentence += " " + ngettext("{count} post without a time of day is left out.",
                                       "{count} posts without a time of day are left out.", untimed).format(
                count=format_count(untimed))
        out[str(label)] = sentence
    return out
