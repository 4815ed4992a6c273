"""`scrapy demo`: the whole product, offline, in one command.

Starts the bundled sample server on 127.0.0.1, crawls a fictional panel with the real spiders (only the
base URLs point at the sample server), then renders `reports/demo/index.html` from the store.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand

from benchmark import platforms
from benchmark.commands._common import add_verbose, install_console_warnings, log_to_file, readable_help, use_project
from benchmark.extensions import CrawlReport
from benchmark.i18n import choose_language, gettext_for

PLATFORM_SETTINGS = platforms.url_settings()  # every base-URL setting -> its platform, pointed at the sample

# The sample server is local: politeness delays would only make the demo slow.
FAST_LOCAL_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "BAN_BACKOFF_BASE": 0.2,
    # Each platform's own demo settings (the sample server needs no Weibo cookie: no "not set" warning).
    **{key: value for spec in platforms.all_specs() for key, value in spec.demo_settings.items()},
    # A small comments sample shows the "Talking with fans" section for about 3 extra seconds.
    "CRAWL_COMMENTS": True,
    "COMMENTS_PER_POST": 20,
    "COMMENTS_MAX_POSTS": 30,
}


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = True
    default_settings: ClassVar[dict[str, Any]] = {}
    log_file: Path | None = None

    def short_desc(self) -> str:
        return "Crawl a bundled sample panel offline and render reports/demo/index.html"

    def syntax(self) -> str:
        return "[-o reports/demo] [--seed 7] [--workdir data/demo] [--lang zh|en] [--verbose]"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        readable_help(parser)
        parser.add_argument("-o", "--output",
                            help="report folder (default: reports/demo in the project; reports/demo-zh in Chinese)")
        parser.add_argument("--seed", type=int, default=7, help="sample data seed (default: %(default)s)")
        parser.add_argument("--workdir", help="where the demo's config and store are written, replaced on each run "
                                              "(default: data/demo in the project; data/demo-zh in Chinese)")
        parser.add_argument("--lang", choices=("zh", "en"),
                            help="language of the report and the console (default: the system locale, else en)")
        add_verbose(parser)

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        self.root = use_project(self.settings)
        self.log_file = log_to_file(self.settings, opts, self.root, "demo")
        # The demo prints its own steps and the summary last.
        self.settings.set("BENCHMARK_PROGRESS", True, priority="cmdline")
        self.settings.set("BENCHMARK_SUMMARY_AT_EXIT", True, priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        from benchmark.sample.panel import demo_panel, panel_config_toml

        began = time.monotonic()
        language = choose_language(getattr(opts, "lang", None))
        _ = gettext_for(language)
        # Each language has its own folders: `--lang zh` after the English demo keeps the English one.
        suffix = "" if language == "en" else f"-{language}"
        workdir = Path(opts.workdir) if opts.workdir else self.root / "data" / f"demo{suffix}"
        output = Path(opts.output) if opts.output else self.root / "reports" / f"demo{suffix}"
        if workdir.exists():
            shutil.rmtree(workdir)
        workdir.mkdir(parents=True)
        config_path = workdir / "benchmark.toml"
        db_url = f"sqlite:///{workdir / 'benchmark.sqlite3'}"

        panel = demo_panel(datetime.now(UTC).replace(microsecond=0), seed=opts.seed)
        config_path.write_text(panel_config_toml(panel), encoding="utf-8")
        write_history(db_url, panel)
        platforms = sorted({account.platform for account in panel.accounts})
        server = serve(panel)
        _say(_("[1/3] sample server on {url}; panel of {count} accounts on {platforms}").format(
            url=server.url, count=len(panel.accounts), platforms=", ".join(platforms))
             + ("; " + _("log: {path}").format(path=self.log_file) if self.log_file else ""))
        if self.log_file is not None:
            install_console_warnings()
        reporter = report_builder()
        try:
            self.crawl(server.url, platforms, str(config_path), db_url, language)
        except BaseException:
            reporter.close()
            raise
        finally:
            server.stop()
        _say(_("[2/3] crawled in {seconds} s into {store}").format(seconds=_seconds(began), store=db_url))
        out = reporter.build(config_path=str(config_path), db_url=db_url, output=output, language=language)
        _say(_("[3/3] report ready in {seconds} s").format(seconds=_seconds(began)))
        CrawlReport.print_summary(language)  # last, where the eye lands
        print(Path(out, "index.html").resolve())

    def crawl(self, server_url: str, platforms: list[str], config_path: str, db_url: str,
              language: str = "en") -> None:
        assert self.settings is not None and self.crawler_process is not None
        # The crawl summary speaks the demo's language (the demo's generated config names none).
        overrides = {**FAST_LOCAL_SETTINGS, "BENCHMARK_CONFIG": config_path, "BENCHMARK_DB": db_url,
                     "BENCHMARK_LANGUAGE": language}
        for setting, platform in PLATFORM_SETTINGS.items():
            overrides[setting] = f"{server_url}/{platform}"
        self.settings.setdict(overrides, priority="cmdline")
        _ = gettext_for(language)
        available = set(self.crawler_process.spider_loader.list())
        for platform in platforms:
            if platform in available:
                self.crawler_process.crawl(platform)
            else:
                _say("      " + _("(no {platform} spider in this version: its sample accounts are skipped)")
                     .format(platform=platform))
        self.crawler_process.start()


def serve(panel: Any) -> Any:
    """The sample server, in a forked process where there is fork (Linux): in a thread of this process it
    would share one core with the crawl through the GIL, and it renders every page the spiders fetch."""
    from benchmark.sample.server import start_server

    if sys.platform != "linux":
        return start_server(panel)
    return _ForkedServer(panel)


class _ForkedServer:
    """`start_server(panel)` run in a forked child; `.url` and `.stop()` as the in-process server's."""

    def __init__(self, panel: Any) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(target=_serve_until_killed, args=(panel, child_conn), name="sample-server",
                                        daemon=True)
        self._process.start()
        child_conn.close()
        self.url: str = self._conn.recv()

    def stop(self) -> None:
        """Ends the child at once: it keeps no state, and `SampleServer.stop` would wait up to half a second for
        the serving loop's next poll."""
        self._process.kill()
        self._process.join()
        self._conn.close()


def _serve_until_killed(panel: Any, conn: Any) -> None:
    from benchmark.sample.server import start_server

    _leave_ctrl_c_to_the_demo()
    server = start_server(panel)
    try:
        conn.send(server.url)
        conn.recv()  # blocks until the demo kills this process, or EOFError when the demo's process is gone
    except (EOFError, OSError):
        pass
    finally:
        server.stop()


def report_builder() -> Any:
    """What renders the demo's report: a process forked before the crawl where there is fork (Linux), so that
    importing pandas, jinja2 and the report's modules (about a second) happens on the other core while this
    process crawls; else this process."""
    return _ForkedReport() if sys.platform == "linux" else _InProcessReport()


class _InProcessReport:
    def build(self, **kwargs: Any) -> Path:
        from benchmark.report.build import build_report

        return build_report(progress=lambda message: _say(f"      {message}"), **kwargs).folder

    def close(self) -> None:
        pass


class _ForkedReport:
    """`build_report` in a forked child that imports what the report needs at once, then waits for the
    arguments (the store is complete only when the crawl is over)."""

    def __init__(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(target=_report_when_told, args=(child_conn,), name="demo-report",
                                        daemon=True)
        self._process.start()
        child_conn.close()

    def build(self, **kwargs: Any) -> Path:
        try:
            self._conn.send(kwargs)
            status, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise RuntimeError(f"the report process ended (exit code {self._process.exitcode})") from exc
        except BaseException:
            self._process.kill()  # Ctrl-C while it renders: it stops at once
            raise
        finally:
            self.close()
        if status != "ok":
            raise value
        return value

    def close(self) -> None:
        self._conn.close()
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


def _report_when_told(conn: Any) -> None:
    _leave_ctrl_c_to_the_demo()
    with contextlib.suppress(Exception):  # the report meets the same error again and reports it
        _warm_up()
    builder = _InProcessReport()
    try:
        kwargs = conn.recv()
    except (EOFError, OSError):
        return  # the crawl failed or was interrupted: no report
    try:
        result: tuple[str, Any] = ("ok", builder.build(**kwargs))
    except Exception as exc:  # raised again in the demo's process
        result = ("error", exc)
    try:
        conn.send(result)
    except Exception:  # an exception that cannot be pickled
        conn.send(("error", RuntimeError(f"{type(result[1]).__name__}: {result[1]}")))


def _warm_up() -> None:
    """What the report imports and compiles on first use, done while the crawl runs (see report_builder)."""
    import jinja2  # noqa: F401
    import openpyxl  # noqa: F401
    import scipy.special  # noqa: F401

    import benchmark.report.build  # noqa: F401
    from benchmark import purpose, voice

    purpose.default_rules()  # its patterns land in re's cache, where the report's own compile finds them
    voice.prepare()


def _leave_ctrl_c_to_the_demo() -> None:
    """Ctrl-C reaches every process of the terminal's group: the demo's process stops its children itself (a
    child's KeyboardInterrupt would only add a traceback)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _seconds(began: float) -> str:
    return f"{time.monotonic() - began:.1f}"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def write_history(db_url: str, panel: Any) -> None:
    """The weekly follower snapshots a store keeps from earlier crawls, so the demo's report draws follower
    growth as a line (a first crawl alone would give one point)."""
    from benchmark.sample.panel import write_follower_history
    from benchmark.store import Store

    store = Store(db_url)
    try:
        write_follower_history(store, panel)
    finally:
        store.close()
