"""`scrapy enqueue [PLATFORM ...]`: the config's accounts become a job in Redis for distributed workers.

    BENCHMARK_SCHEDULER=redis://host:6379/0 scrapy enqueue weibo     # or every platform of the config
    BENCHMARK_SCHEDULER=redis://host:6379/0 scrapy crawl weibo       # on each worker machine, N times

redis is imported inside run(): this module is imported by every `scrapy` invocation.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand

from benchmark.commands._common import EXIT_FAILED, EXIT_USAGE, ProjectOptions, print_error
from benchmark.items import PLATFORMS

EXIT_BUSY = EXIT_FAILED  # a job still running: not a mistake in the input (README, "Exit status")


class Command(ProjectOptions, ScrapyCommand):
    requires_crawler_process = False
    options_title = "Enqueue options"
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}
    language = "en"  # of the console lines: BENCHMARK_LANGUAGE, else the config's, else the system locale

    def syntax(self) -> str:
        return "[PLATFORM ...] [--config FILE] [--reset | --status]"

    def short_desc(self) -> str:
        return "Queue the config's accounts in Redis for distributed `scrapy crawl` workers"

    def long_desc(self) -> str:
        return ("Replace each platform's job in Redis (BENCHMARK_SCHEDULER) by the config's accounts and period. "
                "Then start `scrapy crawl PLATFORM` with the same BENCHMARK_SCHEDULER and BENCHMARK_DB on any number "
                "of machines; they share the work and stop when the job is done. See docs/scale-out.md.")

    def add_command_options(self, group: argparse._ArgumentGroup) -> None:
        group.add_argument("--config", metavar="FILE", help="the benchmark config (default: BENCHMARK_CONFIG)")
        group.add_argument("--reset", action="store_true", help="discard a job that is still running")
        group.add_argument("--status", action="store_true", help="show each platform's job; change nothing")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        from benchmark.config import ConfigError, console_language, load_config
        from benchmark.i18n import gettext_for

        self.language = console_language(self.settings, self.settings.get("BENCHMARK_CONFIG"))
        _ = gettext_for(self.language)
        url = self.settings.get("BENCHMARK_SCHEDULER", "")
        if not url:
            print(_("error: {message}").format(message=_(
                "set BENCHMARK_SCHEDULER=redis://host:6379/0 (environment or -s) to use a Redis queue")),
                file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        unknown = [name for name in args if name not in PLATFORMS]
        if unknown:
            print_error(_("unknown platform {platform}: one of {known}").format(
                platform=repr(unknown[0]), known=", ".join(PLATFORMS)), self.language)
            self.exitcode = EXIT_USAGE
            return
        try:
            config = load_config(self.settings.get("BENCHMARK_CONFIG", "benchmark.toml"))
        except ConfigError as exc:
            print(_("error: {message}").format(message=exc.translate(self.language)), file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        platforms = args or [p for p in PLATFORMS if config.accounts_for(p)]
        server = _redis(url)
        for platform in platforms:
            if opts.status:
                self._print_status(server, platform)
            else:
                self._enqueue(server, platform, config, opts.reset)

    def _enqueue(self, server: Any, platform: str, config: Any, reset: bool) -> None:
        from benchmark.distributed import JobBusyError, JobKeys, enqueue_job
        from benchmark.i18n import gettext_for, translate

        _ = gettext_for(self.language)
        keys = JobKeys.for_spider(self.settings, platform)
        period = (config.period_start.isoformat(), config.period_end.isoformat())
        try:
            summary = enqueue_job(server, keys, config.accounts_for(platform), period, reset=reset)
        except JobBusyError as exc:
            print(_("error: {message}").format(message=translate(exc.args[0], self.language)), file=sys.stderr)
            self.exitcode = EXIT_BUSY
            return
        print(_("{platform}: {accounts} account(s) queued as job {job} (period {start}..{end}); start workers with "
                "`scrapy crawl {platform}` and the same BENCHMARK_SCHEDULER and BENCHMARK_DB").format(
            platform=platform, accounts=summary.accounts, job=summary.job_id, start=period[0], end=period[1]))

    def _print_status(self, server: Any, platform: str) -> None:
        from benchmark.distributed import JobKeys, job_status
        from benchmark.i18n import gettext_for, translations

        _ = gettext_for(self.language)
        status = job_status(server, JobKeys.for_spider(self.settings, platform))
        job = status["job"]
        if not job:
            print(_("{platform}: no job").format(platform=platform))
            return
        catalog = translations(self.language)
        if status["reporter"]:
            state = catalog.pgettext("job state", "done")
        elif status["workers"]:
            state = catalog.pgettext("job state", "running")
        else:
            state = catalog.pgettext("job state", "waiting for workers")
        print(_("{platform}: job {job} {state}: {accounts} account(s), period {start}..{end}, {pending} not started, "
                "{queued} request(s) queued, {workers} worker(s) ({busy} busy)").format(
            platform=platform, job=job.get("id"), state=state, accounts=job.get("accounts"),
            start=job.get("period_start"), end=job.get("period_end"), pending=status["pending"],
            queued=status["queued"], workers=status["workers"], busy=status["busy"]))


def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=30)
