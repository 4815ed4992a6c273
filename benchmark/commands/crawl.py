"""`scrapy crawl`, for marketers: a mistake (config, spider name, `-a` argument) is one clear line in the console's
language and exit status 2; the console shows a start line, a line per account as it completes and the summary
table last, while Scrapy's log goes to logs/<spider>-<time>.log (on the console with -L INFO or --verbose).
Exit status 3 when any account ended without complete data (login wall, ban, failed pages); a distributed worker
turned away (no job in Redis, another period) is 2. Works from any folder of the project (benchmark/commands/
_common.py)."""

from __future__ import annotations

import argparse
import difflib
import sys
from datetime import date

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from benchmark import platforms
from benchmark.commands._common import (
    EXIT_INCOMPLETE,
    EXIT_USAGE,
    add_verbose,
    hide_password,
    install_console_warnings,
    is_benchmark,
    log_to_file,
    print_error,
    readable_help,
    use_project,
)
from benchmark.config import (
    ConfigError,
    check_spider_arguments,
    console_language,
    load_config,
    parse_account_ids,
    parse_day,
)
from benchmark.distributed import RedisWorker
from benchmark.extensions import CrawlReport
from benchmark.i18n import N_, Message, gettext_for, translate
from benchmark.spider import BenchmarkSpider

EXIT_CONFIG = EXIT_USAGE
STOPPED_BEFORE_START = N_("the crawl was stopped before it began: no account was crawled, none is complete")


def unknown_spider_message(name: str, known: list[str]) -> Message:
    close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    if close:
        return Message("unknown spider {name} (did you mean {suggestion}?); the spiders are {known}",
                       name=repr(name), suggestion=close[0], known=", ".join(known))
    return Message("unknown spider {name}; the spiders are {known}", name=repr(name), known=", ".join(known))


class Command(ScrapyCrawlCommand):
    error: str | None = None
    log_file = None

    def short_desc(self) -> str:
        return f"Crawl one platform's accounts of the config into the store ({', '.join(platforms.names())})"

    def syntax(self) -> str:
        return "PLATFORM [--config FILE] [-a accounts=ID,ID] [-a since=YYYY-MM-DD] [-a until=YYYY-MM-DD] [--verbose]"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        readable_help(parser)
        parser.add_argument("--config", metavar="FILE", help="the benchmark config (default: benchmark.toml in "
                                                             "the project)")
        add_verbose(parser)

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        self.root = use_project(self.settings, getattr(opts, "config", None))
        if not is_benchmark(self.settings):
            return
        self.settings.set("BENCHMARK_PROGRESS", True, priority="cmdline")
        self.settings.set("BENCHMARK_SUMMARY_AT_EXIT", True, priority="cmdline")
        self.error = self.check(args, dict(getattr(opts, "spargs", {}) or {}))
        if self.error is not None:  # nothing will be crawled: Scrapy's start-up lines would bury the one line
            self.settings.set("LOG_ENABLED", False, priority="cmdline")
        elif args:
            self.log_file = log_to_file(self.settings, opts, self.root, args[0])

    def check(self, args: list[str], spider_args: dict[str, str]) -> str | None:
        """The mistakes that would otherwise end in a traceback, or be silently ignored: the spider name, the
        `-a` arguments, the config. Returns the one line to print, or None."""
        from scrapy.spiderloader import get_spider_loader

        assert self.settings is not None
        language = console_language(self.settings)
        if len(args) != 1:
            return None  # Scrapy's own usage error
        known = sorted(get_spider_loader(self.settings).list())
        if args[0] not in known:
            return translate(unknown_spider_message(args[0], known), language)
        try:
            check_spider_arguments(args[0], spider_args)
        except ValueError as exc:
            return translate(exc.args[0], language)
        if not (spider_args.get("accounts") and spider_args.get("since")):
            try:
                config = load_config(self.settings.get("BENCHMARK_CONFIG"))
            except ConfigError as exc:
                return exc.translate(console_language(self.settings))
            since, until = spider_args.get("since"), spider_args.get("until")
            start = parse_day(since, "since") if since else config.period_start
            end = parse_day(until, "until") if until else config.period_end
            if start > end:
                return translate(Message("since {start} is after until {end}", start=str(start), end=str(end)),
                                 language)
        if self.settings.getbool("PSEUDONYMISE_FANS", True):
            from benchmark.privacy import check_key_file

            try:  # an empty or cut key must stop the crawl before it starts, as one line (issue 14, item 12)
                check_key_file(self.settings.get("PSEUDONYM_KEY_FILE", "data/pseudonym.key"))
            except ConfigError as exc:
                return exc.translate(language)
        return None

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if not is_benchmark(self.settings):
            super().run(args, opts)
            return
        language = console_language(self.settings)
        if self.error is not None:
            print_error(self.error, language)
            self.exitcode = EXIT_USAGE
            return
        if len(args) == 1:
            self.start_line(args[0], dict(getattr(opts, "spargs", {}) or {}), language)
        if self.log_file is not None:
            install_console_warnings()
        super().run(args, opts)
        CrawlReport.print_summary(language)
        if self.exitcode == 0 and RedisWorker.refused:  # no job in Redis, or another period: fix and rerun
            self.exitcode = EXIT_CONFIG
        elif self.exitcode == 0 and CrawlReport.accounts_not_ok:
            self.exitcode = EXIT_INCOMPLETE
        elif self.exitcode == 0 and not BenchmarkSpider.crawls_closed:  # stopped during start-up (Ctrl-C)
            print(gettext_for(console_language(self.settings))(STOPPED_BEFORE_START), file=sys.stderr)
            self.exitcode = EXIT_INCOMPLETE

    def start_line(self, platform: str, spider_args: dict[str, str], language: str) -> None:
        assert self.settings is not None
        try:
            config = load_config(self.settings.get("BENCHMARK_CONFIG"))
        except ConfigError:
            config = None
        if spider_args.get("accounts"):
            accounts = parse_account_ids(platform, spider_args["accounts"])
            names = [(config.find(platform, a) if config else None) for a in accounts]
            panel = [n.label if n else a for n, a in zip(names, accounts, strict=True)]
        else:
            panel = [a.label for a in config.accounts_for(platform)] if config else []
        start = spider_args.get("since") or (config.period_start.isoformat() if config else "")
        end = spider_args.get("until") or (config.period_end if config else date.today()).isoformat()  # as the spider
        say_start(platform_counts={platform: len(panel)}, labels=panel, period=(start, end),
                  store=self.settings.get("BENCHMARK_DB", ""), log_file=self.log_file, language=language)


def say_start(*, platform_counts: dict[str, int], labels: list[str], period: tuple[str, str], store: str,
              log_file: object, language: str) -> None:
    """One line: what is crawled (accounts per platform, brands), for which period, into which store."""
    _ = gettext_for(language)
    brands = list(dict.fromkeys(labels))
    shown = ", ".join(brands[:4]) + (", …" if len(brands) > 4 else "")
    platforms = ", ".join(f"{platform} {count}" for platform, count in platform_counts.items())
    line = _("Crawling {count} account(s) ({platforms}: {brands}), period {start} to {end}, into {store}").format(
        count=sum(platform_counts.values()), platforms=platforms, brands=shown, start=period[0], end=period[1],
        store=hide_password(store))
    if log_file:
        line += "; " + _("log: {path}").format(path=log_file)
    print(line, file=sys.stderr, flush=True)
