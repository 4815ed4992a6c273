"""Build reports/NAME/: index.html (one self-contained file), the CSV files and report.xlsx.

`build_report(config_path, db_url, output)` reads only the store and the config. Everything is written into a
temporary folder next to the target and renamed into place at the end (`write_atomically`), so a failed run
never leaves a half-written report. What the page shows is context.py and sections/; the files are exports.py;
the HTML is html.py.

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
from pathlib import Path
from typing import Any

import pandas as pd

from benchmark.config import DEFAULT_CONFIG, BenchmarkConfig, load_config
from benchmark.i18n import _, choose_language, current_language, use_language
from benchmark.metrics.catalog import ER_UNITS, use_er_unit
from benchmark.metrics.compute import compute_metrics
from benchmark.metrics.findings import Finding, evaluate_findings
from benchmark.metrics.load import ReportInputError, load_panel, open_store, with_period
from benchmark.metrics.panel import PanelData
from benchmark.report.analyses import Analyses, analyse
from benchmark.report.context import coverage_context, report_context
from benchmark.report.exports import posts_csv_writer, write_files, write_tables
from benchmark.report.html import render_html
from benchmark.report.periods import Comparisons, Period, previous_of
from benchmark.report.sections.common import display_name
from benchmark.store import DEFAULT_DB_URL


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
    missing = [display_name(row, False) for _i, row in panel.accounts.iterrows()
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
        writer = posts_csv_writer(folder, panel)
        try:
            write_tables(folder, metrics, panel, findings, posts=writer is None)
            results = comparisons.results(say)
            say(_("testing differences, growth, breakouts and recommendations"))
            found = analyse(panel, metrics, results, previous, periods)
            say(_("rendering the report"))
            html = render_html(report_context(panel, metrics, findings, found))
            say(_("writing index.html and report.xlsx"))
            write_files(folder, html, metrics, panel, findings, found)
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


def _rules(config: BenchmarkConfig) -> Any:
    from benchmark.purpose import PurposeRules

    try:
        return PurposeRules.load(config.purpose_lexicon)
    except ValueError as exc:
        raise ReportInputError(f"{config.path}: {exc}") from exc


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


def elapsed_printer(stream: Any) -> Callable[[str], None]:
    """A progress callback that prints each step with the seconds elapsed since it was made."""
    start = time.monotonic()

    def say(message: str) -> None:
        print(f"[{time.monotonic() - start:5.1f}s] {message}", file=stream, flush=True)

    return say
