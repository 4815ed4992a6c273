"""`scrapy report`: metrics, findings and the HTML report from the store and the config.

pandas and jinja2 are imported inside run(): this module is imported by every `scrapy` invocation.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from scrapy.commands import ScrapyCommand

from benchmark.commands._common import EXIT_USAGE, ProjectOptions, add_report_options, print_error

if TYPE_CHECKING:
    from benchmark.report.build import ReportResult


class Command(ProjectOptions, ScrapyCommand):
    options_title = "Report options"
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return ("[--config FILE] [--period 2026Q3 | --since YYYY-MM-DD --until YYYY-MM-DD | --periods 2026Q1,2026Q2,"
                "2026Q3] [--compare-previous] [--lang zh|en] [-o reports/NAME]")

    def short_desc(self) -> str:
        return "Compute the benchmark metrics and write the HTML report from the store"

    def long_desc(self) -> str:
        return ("Read the store (BENCHMARK_DB) and the config (BENCHMARK_CONFIG or --config) and write "
                "reports/NAME/index.html, metrics.csv, findings.csv, posts.csv and report.xlsx. The period and NAME "
                "default to the config's. --compare-previous adds the previous period of the same length "
                "(metrics_previous.csv, deltas.csv); --periods adds a trend over the listed periods (trend.csv) "
                "and reports on the last of them.")

    def add_command_options(self, group: argparse._ArgumentGroup) -> None:
        add_report_options(group, trend=True)
        # Accepted for scripts written for earlier versions: -o may point anywhere now.
        group.add_argument("--allow-outside", action="store_true", help=argparse.SUPPRESS)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        from benchmark.config import config_language
        from benchmark.i18n import _, choose_language, use_language

        config_path = self.settings.get("BENCHMARK_CONFIG", "benchmark.toml")
        with use_language(choose_language(getattr(opts, "lang", None), config_language(config_path))) as language:
            if args:
                print_error(_("unexpected argument {argument}").format(argument=repr(args[0])), language)
                self.exitcode = EXIT_USAGE
                return
            self._run(opts, config_path)

    def _run(self, opts: argparse.Namespace, config_path: str) -> None:
        from benchmark.config import ConfigError
        from benchmark.i18n import _
        from benchmark.metrics.load import ReportInputError

        try:
            result = self._report(opts, config_path)
        except (ReportInputError, ConfigError) as exc:
            message = exc.translate() if isinstance(exc, ConfigError) else exc  # ReportInputError: already translated
            print(_("error: {message}").format(message=message), file=sys.stderr)
            self.exitcode = EXIT_USAGE  # a mistake in the input, like every command's (README, "Exit status")
            return
        if result.missing:
            print(_("warning: no posts in the period for {accounts} (listed as missing data)").format(
                accounts=_(", ").join(result.missing)), file=sys.stderr)
        if result.previous_posts == 0:
            print(_("warning: no posts in the previous period: the changes are empty (crawl it to compare)"),
                  file=sys.stderr)
        print(result.path)

    def _report(self, opts: argparse.Namespace, config_path: str) -> ReportResult:
        from benchmark.config import load_config, parse_period
        from benchmark.i18n import _, current_language, translate
        from benchmark.metrics.load import ReportInputError, with_period
        from benchmark.report.build import build_report, elapsed_printer
        from benchmark.report.periods import parse_periods

        config = load_config(config_path)
        name = config.name
        since = until = None
        periods = None
        if sum(bool(x) for x in (opts.period, opts.since or opts.until, opts.periods)) > 1:
            raise ReportInputError(_("use one of --period, --since/--until or --periods"))
        if opts.period:
            try:
                since, until = parse_period(opts.period)
            except ValueError as exc:
                raise ReportInputError(translate(exc.args[0])) from exc
            name = opts.period.strip().upper()
        elif opts.since or opts.until:
            since, until = _date(opts.since, "--since"), _date(opts.until, "--until")
            config_for_name = with_period(config, since, until)
            name = f"{config_for_name.period_start}_{config_for_name.period_end}"
        elif opts.periods:
            periods = parse_periods(opts.periods)
            since, until = periods[-1].since, periods[-1].until
            name = periods[0].name if len(periods) == 1 else f"{periods[0].name}-{periods[-1].name}"
        config = with_period(config, since, until)
        out_dir = Path(opts.output) if opts.output else self.root / "reports" / name
        _check_not_a_link(out_dir)
        store_url = self.settings.get("BENCHMARK_DB", "sqlite:///data/benchmark.sqlite3")
        return build_report(db_url=store_url, output=out_dir, progress=elapsed_printer(sys.stderr), config=config,
                            compare_previous=opts.compare_previous, periods=periods, language=current_language(),
                            units=opts.units)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    from benchmark.config import parse_day
    from benchmark.i18n import translate
    from benchmark.metrics.load import ReportInputError

    try:
        return parse_day(value, option)
    except ValueError as exc:
        raise ReportInputError(translate(exc.args[0])) from exc


def _check_not_a_link(out_dir: Path) -> None:
    """-o may name any folder (~/Desktop/q3-review); a folder that is not a report is never replaced (see
    write_atomically), and a symbolic link is not followed out to wherever it points."""
    from benchmark.i18n import _
    from benchmark.metrics.load import ReportInputError

    if out_dir.is_symlink():
        raise ReportInputError(_("{folder} is a symbolic link: it is not replaced; choose a new or empty folder")
                               .format(folder=out_dir))
