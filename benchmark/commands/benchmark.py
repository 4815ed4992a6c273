"""`scrapy benchmark`: the whole quarter in one command — crawl every platform of the config, then the report.

The spiders run side by side in one process (Scrapy's CrawlerProcess), each with its own downloader and the
politeness settings per host (one connection, about a request a second, AutoThrottle); then the report is
rendered from the store, as `scrapy report` would. The console shows one start line, a line per account as it
completes, the report's steps, and one summary table for all accounts, last. Exit status as every command's:
2 for a mistake in the input (nothing crawled), 3 when the report is written but some accounts are not
complete, 0 when everything is.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand

from benchmark.commands._common import (
    EXIT_INCOMPLETE,
    EXIT_USAGE,
    ProjectOptions,
    add_report_options,
    add_verbose,
    install_console_warnings,
    log_to_file,
    print_error,
)
from benchmark.extensions import CrawlReport


class Command(ProjectOptions, ScrapyCommand):
    requires_crawler_process = True
    options_title = "Benchmark options"
    default_settings: ClassVar[dict[str, Any]] = {}
    error: str | None = None
    log_file: Path | None = None

    def syntax(self) -> str:
        return ("[PLATFORM ...] [--config FILE] [--period 2026Q3 | --since YYYY-MM-DD --until YYYY-MM-DD] "
                "[--compare-previous] [--lang zh|en] [-o reports/NAME] [--verbose]")

    def short_desc(self) -> str:
        return "Crawl every platform of the config in one go, then write the report"

    def long_desc(self) -> str:
        return ("Crawl the accounts of every platform listed in the config (or only the PLATFORMs given), side by "
                "side in one process, each polite to its own hosts; then write reports/NAME as `scrapy report` "
                "does. One summary for all accounts is printed last. Exit status 0: all complete; 3: the report "
                "is written but some accounts are not complete; 2: a mistake in the config or the options.")

    def add_command_options(self, group: argparse._ArgumentGroup) -> None:
        add_report_options(group, trend=False)
        add_verbose(group)

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        self.error = self.check(args, opts)
        if self.error is not None:
            self.settings.set("LOG_ENABLED", False, priority="cmdline")
            return
        self.settings.set("BENCHMARK_LANGUAGE", self.language, priority="cmdline")
        self.settings.set("BENCHMARK_PROGRESS", True, priority="cmdline")
        self.settings.set("BENCHMARK_SUMMARY_AT_EXIT", True, priority="cmdline")
        self.log_file = log_to_file(self.settings, opts, self.root, "benchmark")

    def check(self, args: list[str], opts: argparse.Namespace) -> str | None:
        """Everything that can be wrong before a request is sent: config, period, platforms."""
        from benchmark.config import ConfigError, load_config, parse_day, parse_period
        from benchmark.i18n import Message, choose_language, translate
        from benchmark.items import PLATFORMS

        assert self.settings is not None
        language = choose_language(opts.lang, None)
        try:
            self.config = load_config(self.settings.get("BENCHMARK_CONFIG"))
        except ConfigError as exc:
            self.language = language
            return exc.translate(language)
        self.language = choose_language(opts.lang, self.config.language)
        try:
            if opts.period and (opts.since or opts.until):
                raise ValueError(Message("use one of --period or --since/--until"))
            self.since: date | None = None
            self.until: date | None = None
            self.name = self.config.name
            if opts.period:
                self.since, self.until = parse_period(opts.period)
                self.name = opts.period.strip().upper()
            elif opts.since or opts.until:
                self.since = parse_day(opts.since, "--since") if opts.since else self.config.period_start
                self.until = parse_day(opts.until, "--until") if opts.until else self.config.period_end
                self.name = f"{self.since}_{self.until}"
            if self.since and self.until and self.since > self.until:
                raise ValueError(Message("since {start} is after until {end}", start=str(self.since),
                                         end=str(self.until)))
            for name in args:
                if name not in PLATFORMS:
                    close = difflib.get_close_matches(name.lower(), PLATFORMS, n=1, cutoff=0.6)
                    raise ValueError(
                        Message("unknown spider {name} (did you mean {suggestion}?); the spiders are {known}",
                                name=repr(name), suggestion=close[0], known=", ".join(PLATFORMS)) if close else
                        Message("unknown spider {name}; the spiders are {known}", name=repr(name),
                                known=", ".join(PLATFORMS)))
        except ValueError as exc:
            return translate(exc.args[0], self.language)
        self.platforms = [p for p in PLATFORMS if self.config.accounts_for(p) and (not args or p in args)]
        return None

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.crawler_process is not None
        if self.error is not None:
            print_error(self.error, self.language)
            self.exitcode = EXIT_USAGE
            return
        from benchmark.commands.crawl import say_start

        config = self.config
        start = (self.since or config.period_start).isoformat()
        end = (self.until or config.period_end).isoformat()
        say_start(platform_counts={p: len(config.accounts_for(p)) for p in self.platforms},
                  labels=[a.label for a in config.accounts if a.platform in self.platforms], period=(start, end),
                  store=self.settings.get("BENCHMARK_DB", ""), log_file=self.log_file, language=self.language)
        if self.log_file is not None:
            install_console_warnings()
        spider_args = {"since": start, "until": end} if (self.since or self.until) else {}
        for platform in self.platforms:
            self.crawler_process.crawl(platform, **spider_args)
        self.crawler_process.start()
        index = self.report(opts)
        CrawlReport.print_summary(self.language)  # last, where the eye lands
        if index is not None:
            print(index)
        if self.exitcode == 0 and CrawlReport.accounts_not_ok:
            self.exitcode = EXIT_INCOMPLETE

    def report(self, opts: argparse.Namespace) -> Path | None:
        from benchmark.commands.report import _check_not_a_link
        from benchmark.config import ConfigError
        from benchmark.i18n import use_language
        from benchmark.metrics.load import ReportInputError, with_period
        from benchmark.report.build import build_report, elapsed_printer

        assert self.settings is not None
        output = Path(opts.output) if opts.output else self.root / "reports" / self.name
        with use_language(self.language):
            try:
                _check_not_a_link(output)
                result = build_report(db_url=self.settings.get("BENCHMARK_DB"), output=output,
                                      progress=elapsed_printer(sys.stderr),
                                      config=with_period(self.config, self.since, self.until),
                                      compare_previous=opts.compare_previous, language=self.language,
                                      units=opts.units)
            except (ReportInputError, ConfigError) as exc:
                print_error(exc.translate(self.language) if isinstance(exc, ConfigError) else str(exc), self.language)
                self.exitcode = EXIT_USAGE
                return None
        return Path(result.folder, "index.html").resolve()
