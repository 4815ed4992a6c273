"""Build reports/NAME/: index.html (one self-contained file), metrics.csv and posts.csv.

`build_report(config_path, db_url, output)` reads only the store and the config. Everything is written into a
temporary folder next to the target and renamed into place at the end, so a failed run never leaves a
half-written report. The HTML is rendered by jinja2 with autoescape on; no post or profile string is ever
marked safe; the page carries a CSP that forbids every load and every script.

Language: `build_report(language=...)` (`scrapy report --lang`), else the config's `language`, else the system
locale (benchmark.i18n.choose_language). Everything a reader sees is rendered inside `use_language`: the
templates through jinja2's i18n extension, the Python-built texts through gettext; metrics.csv keeps the
metric ids and adds `metric_label` in the report's language.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from benchmark.config import DEFAULT_CONFIG, BenchmarkConfig, load_config
from benchmark.i18n import (
    N_,
    _,
    choose_language,
    current_language,
    format_count,
    format_number,
    install_jinja,
    ngettext,
    stored_message,
    use_language,
)
from benchmark.items import POST_FORMATS, POST_KINDS
from benchmark.metrics import stats
from benchmark.metrics.catalog import (
    AUTHOR_CLASSES,
    ER_UNITS,
    METRICS,
    METRICS_VERSION,
    PURPOSE_LABELS,
    engagement_wording,
    er_scale,
    format_value,
    metric_definition,
    metric_label,
    term,
    use_er_unit,
)
from benchmark.metrics.compute import TIDY_COLUMNS, compute_metrics, wide
from benchmark.metrics.findings import RESPONSE_TIME_MAX_H, Finding, evaluate_findings, scorecard
from benchmark.metrics.load import PanelData, ReportInputError, load_panel, open_store, with_period
from benchmark.report import charts, insights, views
from benchmark.report.conversation import conversation, conversation_table
from benchmark.report.periods import (
    Change,
    Comparisons,
    Period,
    PeriodResult,
    Trend,
    build_trend,
    change,
    day_text,
    deltas_csv,
    key_delta_table,
    median_rows,
    own_delta_groups,
    period_text,
    previous_of,
    signed,
    trend_csv,
    trend_view,
)
from benchmark.store import DEFAULT_DB_URL

TEMPLATES = Path(__file__).parent / "templates"
ROLE_ORDER = {"own": 0, "peer": 1, "exemplar": 2}
LOW_N = 10  # values resting on fewer posts are shown in italics
NOT_POST_BASED = ("followers", "follower_growth")  # their n counts snapshots
EXCERPT_CHARS = 220
# UTF-8 with a byte-order mark: Excel on Windows reads a CSV without one in the local code page (Chinese garbled);
# Python (utf-8-sig), pandas and LibreOffice read it as plain UTF-8.
CSV_ENCODING = "utf-8-sig"
EXAMPLES_PER_LABEL = 3
TOP_POSTS = 3
POSTS_CSV_FORK_MIN = 100_000  # posts from which posts.csv is written by a forked process
# Columns of the CSV files that hold numbers written as exact text: the only text cells not neutralised.
NUMBER_TEXT_COLUMNS = frozenset({"value", "previous_value", "delta", "relative_delta"})
POSTS_CSV_COLUMNS = (
    "platform", "account_id", "label", "role", "post_id", "created_at", "created_local", "url", "kind", "format",
    "purpose", "pinned", "likes", "comments", "reposts", "quotes", "views", "engagement", "followers_at_post",
    "er", "fan_repost", "ref_author_class", "ref_author_id", "ref_author_name", "reply_to_others", "text",
)


@dataclass
class ReportResult:
    """What a report run wrote; usable as the report folder's path (`Path(result, "index.html")`)."""

    folder: Path
    posts: int
    missing: list[str] = field(default_factory=list)  # accounts with no posts in the period
    previous_posts: int | None = None  # posts in the previous period (--compare-previous)
    language: str = "en"  # the report's language (zh | en)
    coverage_only: bool = False  # nothing was fetched: index.html shows the crawl's coverage alone

    @property
    def path(self) -> Path:
        return self.folder / "index.html"

    def __fspath__(self) -> str:
        return str(self.folder)


def build_report(config_path: str | Path | None = None, db_url: str = DEFAULT_DB_URL,
                 output: str | Path | None = None, progress: Callable[[str], None] | None = None, *,
                 config: BenchmarkConfig | None = None, compare_previous: bool = False,
                 periods: Sequence[Period] | None = None, language: str | None = None,
                 units: str | None = None) -> ReportResult:
    """Read the store at db_url, compute metrics and findings, write the report's files atomically into
    output (default reports/<config name>). Pass `config` instead of `config_path` to use an already loaded
    (e.g. period-overridden) config. `compare_previous` adds the previous period of the same length;
    `periods` (chronological) adds a trend over them and makes the last one the report's period; `language`
    (zh | en) overrides the config's and the system's; `units` ("permille", the default, or "percent") is the
    unit of engagement rates. Raises ReportInputError / ConfigError with a one-line message (in the report's
    language)."""
    if config is None:
        config = load_config(config_path or DEFAULT_CONFIG)
    with use_language(choose_language(language, config.language)):
        if units not in (None, *ER_UNITS):
            raise ReportInputError(_("--units must be one of {choices}, not {value!r}").format(
                choices=", ".join(ER_UNITS), value=units))
        with use_er_unit(units):
            return _build_report(config, db_url, output, progress, compare_previous, periods)


def _build_report(config: BenchmarkConfig, db_url: str, output: str | Path | None,
                  progress: Callable[[str], None] | None, compare_previous: bool,
                  periods: Sequence[Period] | None) -> ReportResult:
    if periods:
        config = with_period(config, periods[-1].since, periods[-1].until)
    out_dir = Path(output) if output else Path("reports") / config.name
    say = progress or (lambda _msg: None)
    rules = _rules(config)
    open_store(db_url).dispose()  # a missing store fails here, before any worker starts
    previous = previous_of(config) if compare_previous else None
    jobs = ([(previous, True)] if previous else []) + [(p, False) for p in (periods or [])[:-1]]
    comparisons = Comparisons(config, db_url, jobs)  # the workers start reading now
    try:
        panel, metrics, findings = _current_period(config, db_url, rules, say)
        if metrics is None:  # the crawl of this period fetched nothing: say what it hit, nothing else
            write_atomically(out_dir, lambda folder: _write_coverage_only(folder, panel, say))
            found = None
        else:
            found = _write_report(out_dir, panel, metrics, findings, comparisons, previous, periods, say)
    finally:
        comparisons.close()
    missing = [_display(row, False) for _i, row in panel.accounts.iterrows()
               if not (panel.posts["acct"] == row["acct"]).any()]
    return ReportResult(folder=out_dir, posts=len(panel.posts), missing=missing,
                        previous_posts=found.change.previous.n_posts if found and found.change else None,
                        language=current_language(), coverage_only=found is None)


def _current_period(config: BenchmarkConfig, db_url: str, rules: Any,
                    say: Callable[[str], None]) -> tuple[PanelData, pd.DataFrame | None, list[Finding]]:
    """The panel, its metrics and findings; metrics None when a crawl of this period fetched no post at all
    (offline, every account failed): the report then shows the crawl's coverage alone."""
    engine = open_store(db_url)
    panel = load_panel(engine, config, say, rules=rules)
    engine.dispose()
    if panel.posts.empty and crawled_period(panel):
        say(_("no posts were fetched for this period: writing a coverage-only report"))
        return panel, None, []
    if panel.posts.empty:
        raise ReportInputError(
            _("no posts between {since} and {until} for any of the {count} accounts in {config}: crawl that "
              "period first or pick another --period").format(since=config.period_start, until=config.period_end,
                                                              count=len(config.accounts), config=config.path))
    say(_("computing metrics for {count} accounts").format(count=len(panel.accounts)))
    metrics = compute_metrics(panel)
    return panel, metrics, evaluate_findings(metrics, config.thresholds)


def _write_report(out_dir: Path, panel: PanelData, metrics: pd.DataFrame, findings: list[Finding],
                  comparisons: Comparisons, previous: Period | None, periods: Sequence[Period] | None,
                  say: Callable[[str], None]) -> Analyses:
    """Write every file into a temporary folder swapped into place: the current period's tables first
    (posts.csv takes a while), while the workers read the other periods; then what needs those."""
    done: list[Analyses] = []

    def write(folder: Path) -> None:
        say(_("writing metrics.csv, findings.csv and posts.csv"))
        writer = _posts_csv_writer(folder, panel)
        try:
            _write_tables(folder, metrics, panel, findings, posts=writer is None)
            results = comparisons.results(say)
            say(_("testing differences, growth, breakouts and recommendations"))
            found = analyse(panel, metrics, results, previous, periods)
            say(_("rendering the report"))
            html = render_html(report_context(panel, metrics, findings, found))
            say(_("writing index.html and report.xlsx"))
            _write_files(folder, html, metrics, panel, findings, found)
            if writer is not None:
                writer.join()
                if writer.exitcode != 0:
                    raise ReportInputError(_("cannot write the report into {folder}: {reason}").format(
                        folder=out_dir, reason=f"posts.csv (exit code {writer.exitcode})"))
        finally:
            if writer is not None and writer.is_alive():
                writer.kill()
                writer.join()
        done.append(found)

    write_atomically(out_dir, write)
    return done[0]


def crawled_period(panel: PanelData) -> bool:
    """A crawl of the panel's accounts recorded a status for a period that overlaps the report's (so an empty
    store slice is what that crawl fetched, not a period nobody crawled)."""
    status, runs = panel.crawl_status, panel.crawl_runs
    if status.empty or runs.empty or "period_start" not in runs.columns:
        return False
    mine = runs[runs["run_id"].isin(set(status["run_id"]))]
    since, until = str(panel.since), str(panel.until)
    starts, ends = mine["period_start"].fillna("0000-00-00").astype(str), mine["period_end"].fillna("9999-99-99")
    return bool(((starts <= until) & (ends.astype(str) >= since)).any())


def _write_coverage_only(folder: Path, panel: PanelData, say: Callable[[str], None]) -> None:
    say(_("writing index.html (data coverage only)"))
    (folder / "index.html").write_text(render_html(coverage_context(panel)), encoding="utf-8")


def coverage_context(panel: PanelData) -> dict[str, Any]:
    """The context of a report whose period has no post: run card, data coverage, methodology."""
    accounts = _ordered_accounts(panel)
    sections = [("run", _("Run card")), ("coverage", _("Data coverage")), ("methodology", _("Methodology"))]
    return {
        "coverage_only": True, "run": _run_card(panel, accounts),
        "missing": [row["display"] for _i, row in accounts.iterrows()],
        "coverage": _coverage(panel, accounts, panel.posts["acct"].value_counts()),
        "sections": sections, "number": {anchor: i for i, (anchor, _t) in enumerate(sections, start=1)},
        "definitions": [{"id": mid, "unit": term("unit", unit), "text": metric_definition(mid)}
                        for mid, (unit, _text) in METRICS.items()],
        "engagement_defs": [{"platform": term("platform", p), "text": engagement_wording(p)}
                            for p in dict.fromkeys(accounts["platform"])],
        "thresholds": sorted({"response_time_max_h": RESPONSE_TIME_MAX_H, **panel.config.thresholds}.items()),
        "metrics_version": METRICS_VERSION, "low_n": LOW_N, "er_unit": er_scale()[1],
    }


@dataclass
class Analyses:
    """The statistics behind the sections that go beyond the metrics table (issue #9, issue #6)."""

    recommendations: list[stats.Recommendation]
    er_tests: pd.DataFrame
    growth: pd.DataFrame
    breakouts: pd.DataFrame
    breakout_summary: pd.DataFrame
    change: Change | None = None
    trend: Trend | None = None
    talk: dict[str, Any] | None = None  # the conversation context, once computed (page and xlsx share it)


def analyse(panel: PanelData, metrics: pd.DataFrame, results: Sequence[PeriodResult] = (),
            previous: Period | None = None, periods: Sequence[Period] | None = None) -> Analyses:
    """Recommendations, ER tests, follower growth and breakouts of the current period; the change since
    `previous` and the trend over `periods` from the comparison periods' `results`."""
    hits, summary = insights.breakouts(panel.posts)
    found = Analyses(
        recommendations=stats.recommendations(metrics, panel.posts),
        er_tests=insights.er_tests(panel.posts, panel.accounts),
        growth=insights.growth_table(panel.snapshots, panel.bounds_utc, panel.accounts),
        breakouts=hits, breakout_summary=summary)
    by_period = {r.period: r for r in results}
    if previous is not None:
        found.change = change(metrics, panel.posts, by_period[previous])
    if periods:
        others = [by_period[p] for p in periods[:-1]]
        found.trend = build_trend(others, periods[-1], metrics, len(panel.posts))
    return found


def _rules(config: BenchmarkConfig) -> Any:
    from benchmark.purpose import PurposeRules

    try:
        return PurposeRules.load(config.purpose_lexicon)
    except ValueError as exc:
        raise ReportInputError(f"{config.path}: {exc}") from exc


# -- files --------------------------------------------------------------------------------------------
# What a report folder may hold: an existing folder with anything else is not replaced (`-o ~` by mistake).
REPORT_FILES = frozenset({"index.html", "metrics.csv", "posts.csv", "findings.csv", "report.xlsx", "deltas.csv",
                          "metrics_previous.csv", "trend.csv", "engagement_by_type.csv", "weekly.csv",
                          "hashtags.csv", "followers.csv"})


def write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Run `write(folder)` on a fresh temporary folder next to target, then swap it into place."""
    if target.is_dir():
        foreign = sorted(p.name for p in target.iterdir() if p.name not in REPORT_FILES)
        if foreign:
            files = ", ".join(foreign[:3]) + (", …" if len(foreign) > 3 else "")
            raise ReportInputError(_("{folder} exists and holds other files ({files}): it is not a report folder, "
                                     "so it is not replaced; choose a new or empty folder").format(
                folder=target, files=files))
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    except OSError as exc:
        raise ReportInputError(_("cannot write the report into {folder}: {reason}").format(
            folder=parent, reason=exc.strerror or exc)) from exc
    old = parent / f".{target.name}.old-{os.getpid()}"
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; a report folder is an ordinary folder
        if target.is_dir():
            os.replace(target, old)
        elif target.exists():
            raise ReportInputError(_("{path} exists and is not a folder").format(path=target))
        os.replace(tmp, target)
    except OSError as exc:
        raise ReportInputError(_("cannot write the report into {folder}: {reason}").format(
            folder=target, reason=exc.strerror or exc)) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def _posts_csv_writer(folder: Path, panel: PanelData) -> Any:
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


def _write_tables(folder: Path, metrics: pd.DataFrame, panel: PanelData, findings: list[Finding], *,
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


def _write_files(folder: Path, html: str, metrics: pd.DataFrame, panel: PanelData, findings: list[Finding],
                 found: Analyses) -> None:
    """index.html, report.xlsx and the comparison CSV files."""
    (folder / "index.html").write_text(html, encoding="utf-8")
    if found.change is not None:
        csv_safe(metrics_csv(found.change.previous.metrics)).to_csv(
            folder / "metrics_previous.csv", index=False, encoding=CSV_ENCODING)
        csv_safe(deltas_csv(found.change.deltas)).to_csv(folder / "deltas.csv", index=False, encoding=CSV_ENCODING)
    if found.trend is not None:
        csv_safe(trend_csv(found.trend)).to_csv(folder / "trend.csv", index=False, encoding=CSV_ENCODING)
    stats.write_xlsx(folder / "report.xlsx", xlsx_sheets(panel, metrics, findings, found))


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text column of a CSV table through the one neutraliser (stats.neutralise): post text, ids, urls,
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
    ordered = _ordered_accounts(panel)
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
    vectorised stats.neutralise (other values pass through)."""
    text = values.map(lambda v: v if isinstance(v, str) else "")
    risky = text.str.match(stats.FORMULA_START.pattern).to_numpy(dtype=bool)
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


# -- HTML ---------------------------------------------------------------------------------------------
def render_html(context: dict[str, Any]) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    install_jinja(env, current_language())
    env.filters["fmt"] = lambda value, metric: format_value(metric, value)
    env.filters["num"] = lambda value: format_count(value)  # 12.3万 with the exact number as a tooltip in zh
    env.filters["term"] = lambda code, group: term(group, code)
    env.filters["u"] = isolate
    return env.get_template("report.html.j2").render(**context)


def isolate(value: Any) -> Markup:
    """User text (posts, comments, names) escaped inside <bdi>: a right-to-left override in it cannot
    reverse the text or the links around it."""
    return Markup("<bdi>") + escape("" if value is None else value) + Markup("</bdi>")


def safe_href(url: Any) -> str | None:
    """The URL if it is a plain http(s) link, else None (the template then shows it as text)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")) or any(ord(ch) < 0x21 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _display(account: pd.Series, multi_platform: bool) -> str:
    if not multi_platform:
        return str(account["label"])
    return f"{account['label']} · {term('platform', account['platform'])}"


def _ordered_accounts(panel: PanelData) -> pd.DataFrame:
    accounts = panel.accounts.copy()
    first_seen = {p: i for i, p in enumerate(dict.fromkeys(accounts["platform"]))}
    accounts["_order"] = [(first_seen[p], ROLE_ORDER.get(r, 9), a)
                          for p, r, a in zip(accounts["platform"], accounts["role"], accounts["acct"], strict=True)]
    multi = accounts["platform"].nunique() > 1
    accounts["display"] = [_display(row, multi) for _i, row in accounts.iterrows()]
    return accounts.sort_values("_order")


def report_context(panel: PanelData, metrics: pd.DataFrame, findings: list[Finding],
                   found: Analyses | None = None) -> dict[str, Any]:
    """Everything the template shows, as plain data (strings are escaped by the template)."""
    found = found if found is not None else analyse(panel, metrics)
    accounts = _ordered_accounts(panel)
    values, ns = wide(metrics), wide(metrics, "n")
    posts_per_account = panel.posts["acct"].value_counts()
    talk = (conversation(panel.comments, panel.posts, accounts, values, panel.config.voice_lexicon)
            if panel.has_comments else None)
    found.talk = talk  # report.xlsx's sheet reads the same figures (in the same language)
    return {
        **_analyses_context(panel, accounts, found, talk, values),
        "coverage_only": False,
        "talk": talk,
        "run": _run_card(panel, accounts),
        "missing": [row["display"] for _i, row in accounts.iterrows() if not posts_per_account.get(row["acct"], 0)],
        "scorecard": _scorecard(metrics, accounts),
        "findings": findings,
        "brand_findings": brand_findings(findings),
        "views": {"types": views.by_type_view(views.by_type(panel.posts, accounts), accounts),
                  "share": views.share_chart(values, accounts),
                  "weekly": views.weekly_view(views.weekly(panel.posts, accounts), accounts),
                  "hashtags": views.hashtags_view(views.hashtags(panel.posts, accounts), accounts),
                  "followers": views.followers_view(views.followers(panel.snapshots, accounts, panel.bounds_utc),
                                                    accounts)},
        "summary": summary(accounts, values, findings),
        "brands": _brands(panel, values),
        "tables": _tables(accounts, values, ns),
        "charts": _charts(panel, accounts, values),
        "heatmaps": _heatmaps(panel, accounts),
        "best_time": _best_time(panel, accounts),
        "examples": _purpose_examples(panel, accounts),
        "top_posts": _top_posts(panel, accounts),
        "coverage": _coverage(panel, accounts, posts_per_account),
        "definitions": [{"id": mid, "unit": term("unit", unit), "text": metric_definition(mid)}
                        for mid, (unit, _text) in METRICS.items()],
        "engagement_defs": [{"platform": term("platform", p), "text": engagement_wording(p)}
                            for p in dict.fromkeys(accounts["platform"])],
        "thresholds": sorted({"response_time_max_h": RESPONSE_TIME_MAX_H, **panel.config.thresholds}.items()),
        "metrics_version": METRICS_VERSION,
        "low_n": LOW_N, "er_unit": er_scale()[1],
    }


def _sections(found: Analyses) -> list[tuple[str, str]]:
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


def _analyses_context(panel: PanelData, accounts: pd.DataFrame, found: Analyses,
                      talk: dict[str, Any] | None = None, values: pd.DataFrame | None = None) -> dict[str, Any]:
    def view(post: pd.Series) -> dict[str, Any]:
        return _post_view(post, accounts)

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
        "change": None, "trend": None, "sections": _sections(found),
        "number": {anchor: i for i, (anchor, _title) in enumerate(_sections(found), start=1)},
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


def _run_card(panel: PanelData, accounts: pd.DataFrame) -> dict[str, Any]:
    config, runs = panel.config, panel.crawl_runs
    finished = pd.to_datetime(runs["finished_at"], errors="coerce").dropna() if len(runs) else pd.Series([])
    return {
        "name": config.name, "since": day_text(config.period_start), "until": day_text(config.period_end),
        "period": period_text(config.period_start, config.period_end),
        "days": panel.period_days, "timezone": config.timezone,
        "platforms": [term("platform", p) for p in dict.fromkeys(accounts["platform"])],
        "roles": [{"role": role, "accounts": [
            {"display": r["display"], "id": r["account_id"], "href": safe_href(r["url"])}
            for _i, r in accounts[accounts["role"] == role].iterrows()]} for role in ("own", "peer", "exemplar")],
        "crawl_date": _utc_minute(finished.max()) if len(finished) else _("no finished crawl recorded"),
        "generated": _utc_minute(datetime.now(UTC)),
        "posts": len(panel.posts), "metrics_version": METRICS_VERSION,
    }


def _utc_minute(moment: datetime) -> str:
    return _("{date} {time} UTC").format(date=day_text(moment.date()), time=moment.strftime("%H:%M"))


def _gap_text(metric: str, gap: float) -> str:
    if gap != gap:
        return "—"
    return signed(metric, gap) if METRICS[metric][0] in ("share", "er") else _signed_value(metric, gap)


def _signed_value(metric: str, gap: float) -> str:
    sign = "+" if gap > 0 else "−" if gap < 0 else "±"
    return f"{sign}{format_value(metric, abs(gap))}"


def _scorecard(metrics: pd.DataFrame, accounts: pd.DataFrame) -> list[dict[str, Any]]:
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


def _brands(panel: PanelData, values: pd.DataFrame) -> list[dict[str, Any]]:
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


def brand_findings(findings: list[Finding]) -> list[dict[str, Any]]:
    """Findings per brand and story, not per platform: one card per (brand, rule), its platforms listed with
    their numbers; the explanation (with its Smartisan / Durex / Palace Museum context) once."""
    cards: dict[tuple[str, str], dict[str, Any]] = {}
    for f in findings:
        card = cards.setdefault((f.label, f.rule), {"label": f.label, "role": f.role, "title": f.title,
                                                   "detail": f.detail, "platforms": []})
        card["platforms"].append({"platform": f.platform, "numbers": f.numbers, "threshold": f.threshold})
    return list(cards.values())


TABLES = {
    "activity": ("posts", "posts_per_week", "original_share", "repost_share", "quote_share", "reply_share",
                 "format_diversity"),
    "engagement": ("engagement_median", "engagement_mean", "engagement_p75", "likes_per_post",
                   "comments_per_post", "reposts_per_post", "er_median", "er_mean", "conversation_ratio",
                   "share_of_engagement", "bci"),
    "fans": ("fan_repost_share", "fan_repost_of_reposts", "replies_to_others_share", "broadcast_ratio",
             "comment_reply_rate", "response_time_median_h"),
    "purpose": tuple(f"purpose_share.{p}" for p in PURPOSE_LABELS),
    "style": ("text_length_median", "hashtags_per_post", "mentions_per_post", "emoji_per_post", "question_share",
              "link_share"),
    "audience": ("followers", "follower_growth", "er_median", "er_vs_panel", "hollow_followers"),
    "formats": tuple(f"format_share.{f}" for f in POST_FORMATS),
    "sources": tuple(f"repost_source.{c}" for c in AUTHOR_CLASSES),
}


FAMILY_TERMS = {"format_share": "format", "purpose_share": "purpose", "repost_source": "author",
                "fan_voice_share": "voice", "answered_share": "answered"}


def _header(metric: str) -> str:
    """A table column: the part of a family (a format, a purpose ...) in tables of one family, else the
    metric's name."""
    family, _dot, part = metric.partition(".")
    return term(FAMILY_TERMS[family], part) if family in FAMILY_TERMS else metric_label(metric)


def _tables(accounts: pd.DataFrame, values: pd.DataFrame, ns: pd.DataFrame) -> dict[str, dict[str, Any]]:
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
                low = 0 < n < LOW_N and metric not in NOT_POST_BASED
                cells.append({"text": text, "n": n, "low": low, "title": f"{metric}: n = {n:,}"})
            rows.append({"display": account["display"], "role": account["role"], "cells": cells})
        out[name] = {"columns": [{"id": m, "header": _header(m), "definition": metric_definition(m)}
                                 for m in columns],
                     "rows": rows}
    return out


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


def _charts(panel: PanelData, accounts: pd.DataFrame, values: pd.DataFrame) -> dict[str, dict]:
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


def _heatmaps(panel: PanelData, accounts: pd.DataFrame) -> list[dict[str, Any]]:
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
        mine = every[_timed(every)]
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


def _timed(posts: pd.DataFrame) -> pd.Series:
    """Posts with a time of day (derive.py: `timed`; every post of a frame without the column)."""
    return posts["timed"].astype(bool) if "timed" in posts.columns else pd.Series(True, index=posts.index)


BEST_TIME_MIN_POSTS = 3  # an hour of the day needs this many posts to be named the best


def _best_time(panel: PanelData, accounts: pd.DataFrame) -> dict[str, str]:
    """Per own brand: the hour of the day whose posts earned the highest median engagement rate, from posts
    with a time of day only, as one sentence."""
    posts = panel.posts
    out: dict[str, str] = {}
    for label, group in accounts[accounts["role"] == "own"].groupby("label", sort=False):
        every = posts[posts["acct"].isin(group.index)]
        mine = every[_timed(every) & every["er"].notna()]
        untimed = int((~_timed(every)).sum())
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


def _excerpt(text: Any) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _post_view(post: pd.Series, accounts: pd.DataFrame) -> dict[str, Any]:
    return {
        "account": accounts.at[post["acct"], "display"], "role": accounts.at[post["acct"], "role"],
        "date": (f"{day_text(post['created_local'].date())} {post['created_local'].strftime('%H:%M')}"
                 if post.get("timed", True) else day_text(post["created_local"].date())),
        "kind": term("kind", post["kind"]), "format": term("format", post["format"]),
        "purpose": term("purpose", post["purpose"]) if isinstance(post["purpose"], str) else "—",
        "engagement": format_value("posts", post["engagement"]),
        "er": format_value("er_median", post["er"]), "text": _excerpt(post["text"]),
        "url": post["url"] if isinstance(post["url"], str) else "", "href": safe_href(post["url"]),
    }


def _purpose_examples(panel: PanelData, accounts: pd.DataFrame) -> list[dict[str, Any]]:
    """Up to EXAMPLES_PER_LABEL posts per label, from different accounts (own first, most engaging first),
    each with the terms and signals that fired (rules.explain)."""
    from benchmark.metrics.derive import json_lists

    originals = panel.posts[panel.posts["kind"] == "original"]
    role_rank = accounts["role"].map(ROLE_ORDER)
    ranked = originals.assign(_role=role_rank.reindex(originals["acct"]).to_numpy())
    ranked = ranked.sort_values(["_role", "engagement"], ascending=[True, False], na_position="last")
    picked = ranked.drop_duplicates(["purpose", "acct"]).groupby("purpose", sort=False).head(EXAMPLES_PER_LABEL)
    out = []
    for label in PURPOSE_LABELS:
        examples = []
        for _i, post in picked[picked["purpose"] == label].iterrows():
            view = _post_view(post, accounts)
            fired = panel.rules.explain(str(post["text"] or ""), links=json_lists(pd.Series([post["links"]]))[0],
                                        kind=str(post["kind"])) if panel.rules is not None else {}
            view["terms"] = list(fired.get(label, []))[:12]
            view["other_terms"] = [f"{term('purpose', other)}: {', '.join(terms[:4])}"
                                   for other, terms in fired.items() if other != label and terms]
            examples.append(view)
        out.append({"label": term("purpose", label), "examples": examples})
    return out


def _top_posts(panel: PanelData, accounts: pd.DataFrame) -> list[dict[str, Any]]:
    ranked = panel.posts.dropna(subset=["engagement"]).sort_values("engagement", ascending=False, kind="stable")
    top = ranked.groupby("acct").head(TOP_POSTS)
    out = []
    for acct, a in accounts.iterrows():
        mine = top[top["acct"] == acct]
        out.append({"display": a["display"], "role": a["role"],
                    "posts": [_post_view(p, accounts) for _i, p in mine.iterrows()]})
    return out


def _status_message(row: pd.Series) -> str:
    """The crawl's reason for an account's status, in the report's language where it was recorded as a
    translatable message (text quoted from a platform, and stores of older versions, stay as written)."""
    def text(value: Any) -> str | None:
        return value if isinstance(value, str) else None  # NaN / None from pandas: no value

    return stored_message(text(row.get("message")), text(row.get("message_i18n")))


def _coverage(panel: PanelData, accounts: pd.DataFrame, posts_per_account: pd.Series) -> list[dict[str, Any]]:
    status = panel.crawl_status.set_index("acct") if len(panel.crawl_status) else pd.DataFrame()
    span = panel.posts.groupby("acct")["created_local"].agg(["min", "max"])
    lo, hi = insights.snapshot_bounds(panel.bounds_utc)  # the snapshots follower growth rests on
    taken = panel.snapshots["crawled_at"]
    snaps = panel.snapshots[(taken >= lo) & (taken < hi)].groupby("acct").size()
    rows = []
    for acct, a in accounts.iterrows():
        has_status = acct in status.index
        n = int(posts_per_account.get(acct, 0))
        code = str(status.at[acct, "status"]) if has_status else ""
        rows.append({
            "display": a["display"], "platform": term("platform", a["platform"]), "id": a["account_id"],
            "role": a["role"], "code": code,
            "status": term("status", code) if has_status else _("no crawl recorded"),
            "message": _status_message(status.loc[acct]) if has_status else "",
            "crawled": str(status.at[acct, "finished_at"])[:16] if has_status else "",
            "posts": n, "missing": n == 0,
            "first": day_text(span.at[acct, "min"].date()) if acct in span.index else "—",
            "last": day_text(span.at[acct, "max"].date()) if acct in span.index else "—",
            "snapshots": int(snaps.get(acct, 0)),
            "ok": has_status and status.at[acct, "status"] == "ok",
        })
    return rows


def elapsed_printer(stream: Any) -> Callable[[str], None]:
    """A progress callback that prints each step with the seconds elapsed since it was made."""
    start = time.monotonic()

    def say(message: str) -> None:
        print(f"[{time.monotonic() - start:5.1f}s] {message}", file=stream, flush=True)

    return say
