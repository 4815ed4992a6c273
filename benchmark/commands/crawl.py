"""`scrapy crawl`, with two additions for marketers: a config error is one clear line (no traceback, in the
console's language), and the exit status is 3 when any account ended without complete data (login wall, ban,
failed pages). A config error, or a distributed worker turned away (no job in Redis, another period), is 2."""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from benchmark.config import ConfigError, load_config
from benchmark.distributed import RedisWorker
from benchmark.extensions import CrawlReport
from benchmark.i18n import N_, console_language, gettext_for
from benchmark.spider import BenchmarkSpider

EXIT_CONFIG = 2
EXIT_INCOMPLETE = 3
STOPPED_BEFORE_START = N_("the crawl was stopped before it began: no account was crawled, none is complete")


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        spider_args = dict(getattr(opts, "spargs", {}) or {})
        config_path = self.settings.get("BENCHMARK_CONFIG", "benchmark.toml")
        if not (spider_args.get("accounts") and spider_args.get("since")):
            try:
                load_config(config_path)
            except ConfigError as exc:
                language = console_language(self.settings)
                print(gettext_for(language)("error: {message}").format(message=exc.translate(language)),
                      file=sys.stderr)
                self.exitcode = EXIT_CONFIG
                return
        super().run(args, opts)
        if self.exitcode == 0 and RedisWorker.refused:  # no job in Redis, or another period: fix and rerun
            self.exitcode = EXIT_CONFIG
        elif self.exitcode == 0 and CrawlReport.accounts_not_ok:
            self.exitcode = EXIT_INCOMPLETE
        elif self.exitcode == 0 and not BenchmarkSpider.crawls_closed:  # stopped during start-up (Ctrl-C)
            print(gettext_for(console_language(self.settings))(STOPPED_BEFORE_START), file=sys.stderr)
            self.exitcode = EXIT_INCOMPLETE
