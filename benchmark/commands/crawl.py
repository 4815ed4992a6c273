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
from benchmark.i18n import console_language, gettext_for

EXIT_CONFIG = 2
EXIT_INCOMPLETE = 3


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
        if self.settings.getbool("PSEUDONYMISE_FANS", True):
            from benchmark.privacy import check_key_file

            try:  # an empty or cut key must stop the crawl before it starts, as one line (issue 14, item 12)
                check_key_file(self.settings.get("PSEUDONYM_KEY_FILE", "data/pseudonym.key"))
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
