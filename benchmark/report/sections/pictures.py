"""The SVG charts of the activity, engagement, fans, purpose and audience sections."""

from __future__ import annotations

import pandas as pd

from benchmark.i18n import _, format_number
from benchmark.items import POST_FORMATS, POST_KINDS
from benchmark.metrics.catalog import AUTHOR_CLASSES, PURPOSE_LABELS, er_scale, format_value, term
from benchmark.metrics.panel import PanelData
from benchmark.report import charts


def _rows(accounts: pd.DataFrame, values: pd.DataFrame, metric: str) -> list[charts.Row]:
    return [charts.Row(label=a["display"], role=a["role"], value=float(values.at[acct, metric]))
            for acct, a in accounts.iterrows()]


def _share_rows(accounts: pd.DataFrame, values: pd.DataFrame, prefix: str, parts: tuple[str, ...],
                counts: pd.DataFrame) -> list[charts.Row]:
    rows = []
    for acct, a in accounts.iterrows():
        shares = [(p, float(values.at[acct, f"{prefix}{p}"]), int(counts.at[acct, p])) for p in parts]
        rows.append(charts.Row(label=a["display"], role=a["role"],
                               parts=[(p, s if s == s else 0.0, c) for p, s, c in shares]))
    return rows


def pictures(panel: PanelData, accounts: pd.DataFrame, values: pd.DataFrame) -> dict[str, dict]:
    posts, idx = panel.posts, accounts.index
    originals = posts[posts["kind"] == "original"]
    shared = posts[posts["kind"].isin(("repost", "quote"))]

    def counts(frame: pd.DataFrame, column: str, parts: tuple[str, ...]) -> pd.DataFrame:
        table = frame.groupby(["acct", column], observed=True).size().unstack(fill_value=0)
        return table.reindex(index=idx, columns=list(parts), fill_value=0)

    kinds = {k: values[f"{k}_share"] for k in POST_KINDS}
    kind_values = pd.DataFrame({f"kind.{k}": v for k, v in kinds.items()})
    factor, symbol = er_scale()
    er_rows = [charts.Row(label=a["display"], role=a["role"],
                          values=(posts.loc[posts["acct"] == acct, "er"].dropna() * factor).to_numpy())
               for acct, a in accounts.iterrows()]
    median_er = values["er_median"].median()
    def names(group: str, parts: tuple[str, ...]) -> dict[str, str]:
        return {part: term(group, part) for part in parts}

    return {
        "posts_per_week": charts.bars(_rows(accounts, values, "posts_per_week"),
                                      lambda v: format_number(v, digits=1), _("Posts per week")),
        "kinds": charts.stacked(_share_rows(accounts, kind_values, "kind.", POST_KINDS,
                                            counts(posts, "kind", POST_KINDS)), POST_KINDS,
                                _("What the account posts"), names=names("kind", POST_KINDS)),
        "formats": charts.stacked(_share_rows(accounts, values, "format_share.", POST_FORMATS,
                                              counts(originals, "format", POST_FORMATS)), POST_FORMATS,
                                  _("Formats of original posts"), names=names("format", POST_FORMATS)),
        "er": charts.box_strip(er_rows, symbol, _("Engagement rate per post ({unit} of followers, log scale)").format(
            unit=symbol)),
        "fan_reposts": charts.bars(_rows(accounts, values, "fan_repost_share"),
                                   lambda v: str(format_value("fan_repost_share", v)),
                                   _("Reposts and quotes of fans per post")),
        "sources": charts.stacked(_share_rows(accounts, values, "repost_source.", AUTHOR_CLASSES,
                                              counts(shared, "ref_author_class", AUTHOR_CLASSES)), AUTHOR_CLASSES,
                                  _("Whose posts the account reposts"), empty=_("no reposts or quotes"),
                                  names=names("author", AUTHOR_CLASSES)),
        "purpose": charts.stacked(_share_rows(accounts, values, "purpose_share.", PURPOSE_LABELS,
                                              counts(originals, "purpose", PURPOSE_LABELS)), PURPOSE_LABELS,
                                  _("Purpose of original posts"), names=names("purpose", PURPOSE_LABELS),
                                  colors=charts.PURPOSE_COLORS),
        "audience": charts.scatter(
            [(a["display"], a["role"], values.at[acct, "followers"], values.at[acct, "engagement_median"])
             for acct, a in accounts.iterrows()],
            _("Followers against median engagements per post (log scales)"),
            median_er if median_er == median_er else None, panel.config.thresholds.get("hollow_er_vs_panel", 0.1)),
    }
