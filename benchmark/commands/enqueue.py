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
from scrapy.exceptions import UsageError

from benchmark.items import PLATFORMS

EXIT_USAGE = 2
EXIT_BUSY = 1


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[PLATFORM ...] [--config FILE] [--reset | --status]"

    def short_desc(self) -> str:
        return "Queue the config's accounts in Redis for distributed `scrapy crawl` workers"

    def long_desc(self) -> str:
        return ("Replace each platform's job in Redis (BENCHMARK_SCHEDULER) by the config's accounts and period. "
                "Then start `scrapy crawl PLATFORM` with the same BENCHMARK_SCHEDULER and BENCHMARK_DB on any number "
                "of machines; they share the work and stop when the job is done. See docs/scale-out.md.")

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        group = parser.add_argument_group(title="Enqueue options")
        group.add_argument("--config", metavar="FILE", help="the benchmark config (default: BENCHMARK_CONFIG)")
        group.add_argument("--reset", action="store_true", help="discard a job that is still running")
        group.add_argument("--status", action="store_true", help="show each platform's job; change nothing")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        from benchmark.config import ConfigError, load_config
        from benchmark.i18n import console_language, gettext_for

        url = self.settings.get("BENCHMARK_SCHEDULER", "")
        if not url:
            print("error: set BENCHMARK_SCHEDULER=redis://host:6379/0 (environment or -s) to use a Redis queue",
                  file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        unknown = [name for name in args if name not in PLATFORMS]
        if unknown:
            raise UsageError(f"unknown platform {unknown[0]!r}: one of {', '.join(PLATFORMS)}")
        try:
            config = load_config(opts.config or self.settings.get("BENCHMARK_CONFIG", "benchmark.toml"))
        except ConfigError as exc:
            language = console_language(self.settings)
            print(gettext_for(language)("error: {message}").format(message=exc.translate(language)),
                  file=sys.stderr)
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

        keys = JobKeys.for_spider(self.settings, platform)
        period = (config.period_start.isoformat(), config.period_end.isoformat())
        try:
            summary = enqueue_job(server, keys, config.accounts_for(platform), period, reset=reset)
        except JobBusyError as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = EXIT_BUSY
            return
        print(f"{platform}: {summary.accounts} account(s) queued as job {summary.job_id} "
              f"(period {period[0]}..{period[1]}); start workers with `scrapy crawl {platform}` and the same "
              "BENCHMARK_SCHEDULER and BENCHMARK_DB")

    def _print_status(self, server: Any, platform: str) -> None:
        from benchmark.distributed import JobKeys, job_status

        status = job_status(server, JobKeys.for_spider(self.settings, platform))
        job = status["job"]
        if not job:
            print(f"{platform}: no job")
            return
        state = "done" if status["reporter"] else "running" if status["workers"] else "waiting for workers"
        print(f"{platform}: job {job.get('id')} {state}: {job.get('accounts')} account(s), period "
              f"{job.get('period_start')}..{job.get('period_end')}, {status['pending']} not started, "
              f"{status['queued']} request(s) queued, {status['workers']} worker(s) ({status['busy']} busy)")


def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=30)
