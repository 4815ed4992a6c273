"""The report's files other than index.html: metrics.csv, findings.csv, posts.csv (by a forked process for big
panels), the views' CSV files, the comparison CSV files and report.xlsx (written by xlsx.py). Every text cell
goes through the one neutraliser (xlsx.FORMULA_START): post text, ids, urls and names are hostile input.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmark.i18n import N_, _
from benchmark.metrics.catalog import METRICS, metric_label
from benchmark.metrics.compute import TIDY_COLUMNS, wide
from benchmark.metrics.findings import Finding, scorecard
from benchmark.metrics.panel import PanelData
from benchmark.report import insights, views
from benchmark.report.analyses import Analyses
from benchmark.report.conversation import conversation, conversation_table
from benchmark.report.periods import deltas_csv, trend_csv
from benchmark.report.sections.common import ordered_accounts
from benchmark.report.xlsx import FORMULA_START, write_xlsx

# UTF-8 with a byte-order mark: Excel on Windows reads a CSV without one in the local code page (Chinese garbled);
# Python (utf-8-sig), pandas and LibreOffice read it as plain UTF-8.
CSV_ENCODING = "utf-8-sig"


POSTS_CSV_FORK_MIN = 100_000  # posts from which posts.csv is written by a forked process


# Columns of the CSV files that hold numbers written as exact text: the only text cells not neutralised.
NUMBER_TEXT_COLUMNS = frozenset({"value", "previous_value", "delta", "relative_delta"})


POSTS_CSV_COLUMNS = (
    "platform", "account_id", "label", "role", "post_id", "created_at", "created_local", "url", "kind", "format",
    "purpose", "pinned", "likes", "comments", "reposts", "quotes", "views", "engagement", "followers_at_post",
    "er", "fan_repost", "ref_author_class", "ref_author_id", "ref_author_name", "reply_to_others", "text",
)


def posts_csv_writer(folder: Path, panel: PanelData) -> Any:
    """posts.csv of a big panel written by a forked process while this one computes and renders the rest
    (a quarter of a 1M-post report's time; the child starts with the panel in memory, copy-on-write); None
    (written in this process) for small panels, on one CPU, without fork, or with BENCHMARK_REPORT_WORKERS=0."""
    import multiprocessing

    from benchmark.report.periods import WORKERS_ENV

    if len(panel.posts) < POSTS_CSV_FORK_MIN or os.environ.get(WORKERS_ENV, "").strip() == "0":
        return None
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    if cpus < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    writer = multiprocessing.get_context("fork").Process(target=_write_posts_csv, args=(folder, panel),
                                                         name="posts.csv", daemon=True)
    writer.start()
    return writer


def _write_posts_csv(folder: Path, panel: PanelData) -> None:
    posts_csv(panel).to_csv(folder / "posts.csv", index=False, encoding=CSV_ENCODING,  # csv_safe inside
                            date_format="%Y-%m-%dT%H:%M:%S")


def write_tables(folder: Path, metrics: pd.DataFrame, panel: PanelData, findings: list[Finding], *,
                 posts: bool = True) -> None:
    """The files of the current period alone (posts.csv takes a while: written while workers run; `posts`
    False: another process writes it)."""
    csv_safe(metrics_csv(metrics)).to_csv(folder / "metrics.csv", index=False, encoding=CSV_ENCODING)
    csv_safe(findings_csv(findings)).to_csv(folder / "findings.csv", index=False, encoding=CSV_ENCODING)
    if posts:
        _write_posts_csv(folder, panel)
    accounts = panel.accounts
    csv_safe(views.by_type(panel.posts, accounts)).to_csv(
        folder / "engagement_by_type.csv", index=False, encoding=CSV_ENCODING)
    csv_safe(views.weekly(panel.posts, accounts)).to_csv(folder / "weekly.csv", index=False, encoding=CSV_ENCODING)
    csv_safe(views.hashtags(panel.posts, accounts)).to_csv(folder / "hashtags.csv", index=False, encoding=CSV_ENCODING)
    csv_safe(views.followers(panel.snapshots, accounts, panel.bounds_utc)).to_csv(
        folder / "followers.csv", index=False, encoding=CSV_ENCODING, date_format="%Y-%m-%dT%H:%M:%SZ")


def write_files(folder: Path, html: str, metrics: pd.DataFrame, panel: PanelData, findings: list[Finding],
                found: Analyses) -> None:
    """index.html, report.xlsx and the comparison CSV files."""
    (folder / "index.html").write_text(html, encoding="utf-8")
    if found.change is not None:
        csv_safe(metrics_csv(found.change.previous.metrics)).to_csv(
            folder / "metrics_previous.csv", index=False, encoding=CSV_ENCODING)
        csv_safe(deltas_csv(found.change.deltas)).to_csv(folder / "deltas.csv", index=False, encoding=CSV_ENCODING)
    if found.trend is not None:
        csv_safe(trend_csv(found.trend)).to_csv(folder / "trend.csv", index=False, encoding=CSV_ENCODING)
    write_xlsx(folder / "report.xlsx", xlsx_sheets(panel, metrics, findings, found))


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text column of a CSV table through the one neutraliser (xlsx.neutralise): post text, ids, urls,
    labels and names are hostile input. Numbers, and numbers written as exact text, stay as they are."""
    out = frame.copy()
    for column in out.columns:
        if column not in NUMBER_TEXT_COLUMNS and (out[column].dtype == object or
                                                 isinstance(out[column].dtype, (pd.StringDtype, pd.CategoricalDtype))):
            out[column] = neutralised(out[column].astype("object"))
    return out


def xlsx_sheets(panel: PanelData, metrics: pd.DataFrame, findings: list[Finding],
                found: Analyses) -> dict[str, pd.DataFrame]:
    """The sheets of report.xlsx, one per section (posts stay in posts.csv: Excel is slow with millions)."""
    accounts = panel.accounts
    with_ids = accounts[["platform", "account_id", "label", "role"]]
    ordered = ordered_accounts(panel)
    sheets = {
        _("scorecard"): insights.scorecard_table(scorecard(metrics)),
        _("metrics"): insights.metrics_wide(metrics),
        _("findings"): findings_csv(findings),
        _("recommendations"): insights.recommendations_table(found.recommendations, ordered, wide(metrics)),
    }
    if found.change is not None:
        sheets[_("change")] = deltas_csv(found.change.deltas)
        sheets[_("median change")] = with_ids.join(found.change.median_change.set_index("acct"), how="right")
    if found.trend is not None:
        sheets[_("trend")] = trend_csv(found.trend)
    sheets[_("ER tests")] = insights.er_tests_table(found.er_tests, accounts)
    sheets[_("follower growth")] = with_ids.join(found.growth.set_index("acct"), how="right")
    sheets[_("breakouts")] = with_ids.join(found.breakouts.drop(columns=["platform"], errors="ignore")
                                           .set_index("acct"), how="right")
    if panel.has_comments:
        talk = found.talk or conversation(panel.comments, panel.posts, ordered, wide(metrics),
                                          panel.config.voice_lexicon)
        sheets[_("talking with fans")] = conversation_table(talk)
    return {name: readable_headers(frame) for name, frame in sheets.items()}


# report.xlsx is read by people: its header row is in the report's language (metric ids become metric names,
# column ids these words); the CSV files keep the stable ids for scripts.
XLSX_COLUMNS = {
    "platform": N_("platform"), "account_id": N_("account id"), "label": N_("account"), "role": N_("role"),
    "metric": N_("metric id"), "rule": N_("finding id"), "title": N_("finding"),
    "numbers": N_("the numbers behind it"), "threshold": N_("threshold"),
    "own account_id": N_("own account id"), "other account_id": N_("compared account id"),
    "own_label": N_("own account"), "other_label": N_("compared account"),
    "other_role": N_("role of the compared account"), "other_platform": N_("platform of the compared account"),
    "own_median": N_("own median ER"), "other_median": N_("compared median ER"), "u": N_("Mann-Whitney U"),
    "p_value": N_("p-value"), "n_own": N_("own posts"), "n_other": N_("posts of the compared account"),
    "effect": N_("effect size"), "common_language": N_("probability own post beats theirs"),
    "verdict": N_("verdict"), "snapshots": N_("follower snapshots"), "first_at": N_("first snapshot"),
    "last_at": N_("last snapshot"), "days": N_("days"), "first_followers": N_("followers at first snapshot"),
    "last_followers": N_("followers at last snapshot"), "absolute": N_("follower change"),
    "relative": N_("relative follower change"), "weekly_rate": N_("weekly growth rate"), "note": N_("note"),
    "kind": N_("post kind"), "format": N_("post format"), "url": N_("link"), "text": N_("post text"),
    "post_id": N_("post id"), "er": N_("engagement rate"), "z": N_("z-score"),
    "account_mean": N_("the account's mean ER"), "account_sd": N_("the account's ER standard deviation"),
    "n_posts": N_("posts of the account"), "period": N_("period"), "value": N_("value"), "n": N_("n"),
    "previous_value": N_("previous value"), "previous_n": N_("previous n"), "delta": N_("change"),
    "relative_delta": N_("relative change"), "too_few": N_("too few posts to compare"),
    "current": N_("median this period"), "previous": N_("median previous period"),
    "ci_low": N_("confidence interval, low"), "ci_high": N_("confidence interval, high"),
    "n_current": N_("posts this period"), "n_previous": N_("posts previous period"),
}


def readable_headers(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its column ids as words of the report's language (ids not listed stay as they are); the
    internal account key index is dropped, since platform and account id are columns of every such sheet."""
    if frame.index.name == "acct":
        frame = frame.reset_index(drop=True)

    def header(column: Any) -> Any:
        if column in METRICS:
            return metric_label(column)
        return _(XLSX_COLUMNS[column]) if column in XLSX_COLUMNS else column

    return frame.rename(columns=header)


FINDING_COLUMNS = ["rule", "platform", "account_id", "label", "role", "title", "numbers", "threshold"]


def findings_csv(findings: list[Finding]) -> pd.DataFrame:
    """One row per finding that fired: the rule id, the account and the numbers behind it."""
    rows = [{"rule": f.rule, "platform": f.platform, "account_id": f.account_id, "label": f.label, "role": f.role,
             "title": f.title, "numbers": "; ".join(f"{what}: {value}" for what, value in f.numbers),
             "threshold": f.threshold} for f in findings]
    return csv_safe(pd.DataFrame(rows, columns=FINDING_COLUMNS))  # hostile text must not run as a formula


def metrics_csv(metrics: pd.DataFrame) -> pd.DataFrame:
    """The tidy table with values as text: exact numbers, empty where undefined; `metric` is the stable id,
    `metric_label` (last, so positional readers keep working) its name in the report's language."""
    out = metrics[TIDY_COLUMNS].copy()
    out["value"] = [("" if np.isnan(v) else f"{v:.12g}") for v in out["value"].to_numpy(dtype="float64")]
    labels = {metric: metric_label(metric) for metric in out["metric"].unique()}
    out["metric_label"] = out["metric"].map(labels)
    return out


def neutralised(values: pd.Series) -> pd.Series:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe (CSV injection); the
    vectorised xlsx.neutralise (other values pass through)."""
    text = values.map(lambda v: v if isinstance(v, str) else "")
    risky = text.str.match(FORMULA_START.pattern).to_numpy(dtype=bool)
    if not risky.any():
        return values
    return values.where(~risky, "'" + text)


def posts_csv(panel: PanelData) -> pd.DataFrame:
    posts, accounts = panel.posts, panel.accounts
    acct = posts["acct"].to_numpy()
    out = pd.DataFrame({
        "platform": posts["platform"], "account_id": accounts["account_id"].to_numpy()[acct],
        "label": accounts["label"].to_numpy()[acct], "role": accounts["role"].to_numpy()[acct],
    })
    for column in POSTS_CSV_COLUMNS[4:]:
        if column not in out:
            out[column] = posts[column]
    out["created_at"] = posts["created_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out["er"] = out["er"].round(10)
    out["pinned"] = out["pinned"].map({1.0: True, 0.0: False})
    for column in ("likes", "comments", "reposts", "quotes", "views", "engagement", "followers_at_post"):
        out[column] = out[column].round().astype("Int64")  # counts print as 12, not 12.0
    return csv_safe(out[list(POSTS_CSV_COLUMNS)])
