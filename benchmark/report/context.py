"""The template's context: every section's data from sections/, as plain data (strings are escaped by the
template). The section list (anchors, titles, numbers) is here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from benchmark.i18n import _
from benchmark.metrics import stats
from benchmark.metrics.compute import wide
from benchmark.metrics.findings import Finding
from benchmark.metrics.panel import PanelData
from benchmark.report import charts, insights, views
from benchmark.report.analyses import Analyses, analyse
from benchmark.report.conversation import conversation
from benchmark.report.periods import day_text, key_delta_table, median_rows, own_delta_groups, trend_view
from benchmark.report.sections.brands import brands
from benchmark.report.sections.common import ordered_accounts, post_view
from benchmark.report.sections.coverage import coverage_rows
from benchmark.report.sections.findings import brand_findings
from benchmark.report.sections.methodology import methodology
from benchmark.report.sections.pictures import pictures
from benchmark.report.sections.posts import purpose_examples, top_posts
from benchmark.report.sections.run import run_card
from benchmark.report.sections.scorecard import scorecard_groups
from benchmark.report.sections.summary import summary
from benchmark.report.sections.tables import metric_tables
from benchmark.report.sections.timing import best_time, heatmaps


def report_context(panel: PanelData, metrics: pd.DataFrame, findings: list[Finding],
                   found: Analyses | None = None) -> dict[str, Any]:
    """Everything the template shows, as plain data (strings are escaped by the template)."""
    found = found if found is not None else analyse(panel, metrics)
    accounts = ordered_accounts(panel)
    values, ns = wide(metrics), wide(metrics, "n")
    posts_per_account = panel.posts["acct"].value_counts()
    talk = (conversation(panel.comments, panel.posts, accounts, values, panel.config.voice_lexicon)
            if panel.has_comments else None)
    found.talk = talk  # report.xlsx's sheet reads the same figures (in the same language)
    return {
        **analyses_context(panel, accounts, found, talk, values),
        "coverage_only": False,
        "talk": talk,
        "run": run_card(panel, accounts),
        "missing": [row["display"] for _i, row in accounts.iterrows() if not posts_per_account.get(row["acct"], 0)],
        "scorecard": scorecard_groups(metrics, accounts),
        "findings": findings,
        "brand_findings": brand_findings(findings),
        "views": {"types": views.by_type_view(views.by_type(panel.posts, accounts), accounts),
                  "share": views.share_chart(values, accounts),
                  "weekly": views.weekly_view(views.weekly(panel.posts, accounts), accounts),
                  "hashtags": views.hashtags_view(views.hashtags(panel.posts, accounts), accounts),
                  "followers": views.followers_view(views.followers(panel.snapshots, accounts, panel.bounds_utc),
                                                    accounts)},
        "summary": summary(accounts, values, findings),
        "brands": brands(panel, values),
        "tables": metric_tables(accounts, values, ns),
        "charts": pictures(panel, accounts, values),
        "heatmaps": heatmaps(panel, accounts),
        "best_time": best_time(panel, accounts),
        "examples": purpose_examples(panel, accounts),
        "top_posts": top_posts(panel, accounts),
        "coverage": coverage_rows(panel, accounts, posts_per_account),
        **methodology(panel, accounts),
    }


def coverage_context(panel: PanelData) -> dict[str, Any]:
    """The context of a report whose period has no post: run card, data coverage, methodology."""
    accounts = ordered_accounts(panel)
    sections = [("run", _("Run card")), ("coverage", _("Data coverage")), ("methodology", _("Methodology"))]
    return {
        "coverage_only": True, "run": run_card(panel, accounts),
        "missing": [row["display"] for _i, row in accounts.iterrows()],
        "coverage": coverage_rows(panel, accounts, panel.posts["acct"].value_counts()),
        "sections": sections, "number": {anchor: i for i, (anchor, _t) in enumerate(sections, start=1)},
        **methodology(panel, accounts),
    }


def section_list(found: Analyses) -> list[tuple[str, str]]:
    """(anchor, title) of the page's sections in order; the optional ones only when they have content."""
    return [("run", _("Run card")), ("scorecard", _("Scorecard")), ("findings", _("Findings")),
            ("recommendations", _("Recommendations")),
            *([("change", _("Change since last period"))] if found.change is not None else []),
            *([("trend", _("Trend"))] if found.trend is not None else []),
            ("brands", _("Brands across platforms")), ("views", _("What earns engagement")),
            ("activity", _("Activity and formats")),
            ("engagement", _("Engagement")), ("fans", _("Talking with fans")), ("purpose", _("Purpose mix")),
            ("style", _("Style")), ("timing", _("Timing")), ("audience", _("Audience quality")),
            ("top", _("Top posts")), ("breakouts", _("Breakout posts")), ("coverage", _("Data coverage")),
            ("methodology", _("Methodology"))]


def analyses_context(panel: PanelData, accounts: pd.DataFrame, found: Analyses,
                     talk: dict[str, Any] | None = None, values: pd.DataFrame | None = None) -> dict[str, Any]:
    def view(post: pd.Series) -> dict[str, Any]:
        return post_view(post, accounts)

    answers = {(s["platform"], accounts.at[s["acct"], "label"]): s["replies"] for s in (talk or {}).get("samples", [])}

    shown = found.breakouts.groupby("acct", sort=False).head(insights.BREAKOUTS_SHOWN)
    full = panel.posts[panel.posts["post_id"].isin(shown["post_id"])]
    breakout_posts = shown[["acct", "post_id", "z"]].merge(full, on=["acct", "post_id"], how="inner")
    context: dict[str, Any] = {
        "recommendations": insights.recommendation_groups(found.recommendations, panel.posts, accounts, view,
                                                          answers, values),
        "er_tests": insights.er_test_groups(found.er_tests, accounts),
        "growth": insights.growth_rows(found.growth, accounts),
        "breakouts": insights.breakout_groups(breakout_posts, found.breakout_summary, accounts, view),
        "breakout_sd": insights.BREAKOUT_SD, "breakout_min_engagement": insights.BREAKOUT_MIN_ENGAGEMENT,
        "min_n": stats.MIN_N, "too_few": _("too few posts to tell"),
        "change": None, "trend": None, "sections": section_list(found),
        "number": {anchor: i for i, (anchor, _title) in enumerate(section_list(found), start=1)},
    }
    if found.change is not None:
        ch = found.change
        context["change"] = {
            "previous": str(ch.previous.period), "previous_posts": ch.previous.n_posts,
            "since": day_text(panel.config.period_start), "until": day_text(panel.config.period_end),
            "medians": median_rows(ch, accounts), "key_table": key_delta_table(ch, accounts),
            "own": own_delta_groups(ch, accounts),
        }
    if found.trend is not None:
        tr = found.trend
        context["trend"] = {"periods": [{"name": p.name, "since": day_text(p.since), "until": day_text(p.until),
                                         "posts": tr.n_posts.get(p.name, 0)} for p in tr.periods],
                            "platforms": trend_view(tr, charts.line_chart)}
    return context
