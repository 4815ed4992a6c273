"""What every benchmark command shares: the project folder, one-line errors with one set of exit statuses,
readable `--help`, and where Scrapy's log goes.

Exit statuses, the same for every command (README, "Exit status"):
0 done; 1 not done for a reason outside the input (a job still running in the queue); 2 a mistake in the input
(config file, option, argument, output folder), said in one line; 3 a crawl that finished with accounts not
complete (the summary names them).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.commands import ScrapyHelpFormatter
from scrapy.settings import Settings
from scrapy.utils.conf import closest_scrapy_cfg

from benchmark import platforms

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3

# Settings holding paths: a relative one means "in the project", wherever the command is run from.
PROJECT_PATHS = ("BENCHMARK_CONFIG", "PSEUDONYM_KEY_FILE")
TYPED = 40  # Scrapy's "cmdline" priority: -s NAME=VALUE, -L, --logfile


class HelpFormatter(ScrapyHelpFormatter):
    """Scrapy's formatter, minus one bug: it underlines every part that ends in ':' as a heading, so a help
    text wrapped after "(default:" came out as a heading. Only a title at the start of a line is one."""

    def format_part_strings(self, part_strings: list[str]) -> list[str]:
        if part_strings and part_strings[0].startswith("usage: "):
            part_strings[0] = "Usage\n=====\n  " + part_strings[0].removeprefix("usage: ")
        # A section title is a part of its own, after a part that ended its line; the first help line of an
        # option follows the option's name on the same line.
        headings = [i for i, part in enumerate(part_strings) if re.fullmatch(r"[^\s][^\n]*:\n", part)
                    and (i == 0 or part_strings[i - 1].endswith("\n"))]
        for index in reversed(headings):
            char = "-" if "Global Options" in part_strings[index] else "="
            part_strings[index] = part_strings[index].removesuffix(":\n").title()
            part_strings.insert(index + 1, "\n" + char * len(part_strings[index]) + "\n")
        return part_strings


def readable_help(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = HelpFormatter


def project_root() -> Path | None:
    """The folder of the nearest scrapy.cfg, searching upward from the current folder (as Scrapy does)."""
    found = closest_scrapy_cfg()
    return Path(found).resolve().parent if found else None


def use_project(settings: Settings, config: str | None = None) -> Path:
    """Make the settings right wherever the command runs; return the project root.

    In a project (a scrapy.cfg here or above), relative paths in the settings (config, store, key file, logs)
    are the project's, not the current folder's. Outside any project (the installed package run from anywhere),
    the project's settings module is loaded here, and the root is the current folder. A `--config` typed on the
    command line is relative to the current folder, like any path typed."""
    from scrapy.utils.project import inside_project

    if not inside_project():  # Scrapy loaded its defaults only; inside another project, leave its settings be
        settings.setmodule("benchmark.settings", priority="project")
    root = project_root() or Path.cwd()
    if config:
        settings.set("BENCHMARK_CONFIG", str(Path(config).resolve()), priority="cmdline")
    for name in PROJECT_PATHS:
        value = settings.get(name)
        # A path typed with -s is the user's, relative to where they are: left alone.
        if value and not Path(value).is_absolute() and settings.getpriority(name) < TYPED:
            settings.set(name, str(root / value), priority=settings.getpriority(name))
    db = settings.get("BENCHMARK_DB", "")
    # sqlite:///relative/path (three slashes) is relative; sqlite:////abs (four) and other databases are not.
    if db.startswith("sqlite:///") and not db.startswith("sqlite:////") and db != "sqlite:///:memory:" \
            and settings.getpriority("BENCHMARK_DB") < TYPED:
        settings.set("BENCHMARK_DB", f"sqlite:///{root / db.removeprefix('sqlite:///')}",
                     priority=settings.getpriority("BENCHMARK_DB"))
    settings.set("BENCHMARK_ROOT", str(root), priority="cmdline")
    return root


class ProjectOptions:
    """Mixed into a benchmark command other than `crawl`, before ScrapyCommand: readable help, the command's
    own options in one titled group, and the settings made right for the project (use_project) before it runs.
    A mixin, not a ScrapyCommand: Scrapy lists every ScrapyCommand of this package as a command."""

    requires_project = True
    options_title = "Options"
    settings: Settings | None
    root: Path

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)  # type: ignore[misc]
        readable_help(parser)
        self.add_command_options(parser.add_argument_group(title=self.options_title))

    def add_command_options(self, group: argparse._ArgumentGroup) -> None:
        """The command's own options, under `options_title`."""

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)  # type: ignore[misc]
        assert self.settings is not None
        self.root = use_project(self.settings, opts.config)


def is_benchmark(settings: Settings) -> bool:
    """False in another Scrapy project of the same environment, where the installed `crawl` entry point must
    behave as Scrapy's own."""
    return settings.get("BOT_NAME") == "benchmark"


def print_error(message: str, language: str) -> None:
    from benchmark.i18n import gettext_for

    print(gettext_for(language)("error: {message}").format(message=message), file=sys.stderr, flush=True)


def wants_console_log(settings: Settings, opts: argparse.Namespace) -> bool:
    """Scrapy's log is on the console only when asked for: -L/--loglevel, -s LOG_LEVEL=..., --verbose, or a
    --logfile/LOG_FILE chosen by the user (then it goes where they said)."""
    return bool(getattr(opts, "verbose", False)) or settings.getpriority("LOG_LEVEL") >= TYPED or \
        settings.getpriority("LOG_FILE") >= TYPED or settings.getbool("LOG_STDOUT")


def log_to_file(settings: Settings, opts: argparse.Namespace, root: Path, name: str) -> Path | None:
    """At the default level, Scrapy's log goes to logs/<name>-<time>.log in the project; the console shows
    only the commands' own lines (and warnings from the crawl: a missing cookie, a refused account)."""
    if getattr(opts, "verbose", False) and settings.getpriority("LOG_LEVEL") < TYPED:
        settings.set("LOG_LEVEL", "INFO", priority="cmdline")
    if wants_console_log(settings, opts):
        return None
    path = root / "logs" / f"{name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    settings.set("LOG_FILE", str(path), priority="cmdline")
    settings.set("LOG_FILE_APPEND", False, priority="cmdline")
    settings.set("LOG_LEVEL", "INFO", priority="cmdline")  # the file is for finding out what happened
    return path


class ConsoleWarnings(logging.Handler):
    """Warnings and errors of the crawl itself (not Scrapy's machinery) on the console, one line each, while
    the full log goes to the file."""

    OWN = ("benchmark", *platforms.names())  # our modules' loggers, and each spider's (named after it)

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] not in self.OWN:
            return
        try:
            text = record.getMessage().splitlines()[0]
        except Exception:  # a badly formatted record must not stop the crawl
            return
        print(f"{record.levelname.lower()}: {text}", file=sys.stderr, flush=True)


def add_verbose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--verbose", action="store_true",
                        help="show Scrapy's log (INFO) on the console instead of writing it to logs/")


def hide_password(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@/]*@", r"://\1:***@", url)


def install_console_warnings() -> Any:
    handler = ConsoleWarnings()
    logging.getLogger().addHandler(handler)
    return handler


def add_report_options(group: Any, *, trend: bool) -> None:
    """The options `scrapy report` and `scrapy benchmark` share (period, comparison, output, language, units);
    `trend` adds `--periods`, which only the report takes (a crawl has one period)."""
    group.add_argument("--config", metavar="FILE",
                       help="the benchmark config (default: benchmark.toml in the project, or BENCHMARK_CONFIG)")
    group.add_argument("--period", metavar="PERIOD", help="a quarter (2026Q3), a month (2026-08) or a year")
    group.add_argument("--since", metavar="DATE", help="first day of the period (YYYY-MM-DD)")
    group.add_argument("--until", metavar="DATE", help="last day of the period (YYYY-MM-DD)")
    if trend:
        group.add_argument("--periods", metavar="LIST",
                           help="periods for a trend, e.g. 2026Q1,2026Q2,2026Q3; the report is on the last one")
    group.add_argument("--compare-previous", action="store_true",
                       help="compare with the previous period of the same length (changes with 95 %% "
                            "confidence intervals; crawl that period first)")
    group.add_argument("-o", "--output", metavar="DIR",
                       help="report folder, anywhere (default: reports/NAME in the project); an existing folder "
                            "is replaced only if it holds a report")
    group.add_argument("--lang", choices=("zh", "en"),
                       help="language of the report and of these messages (default: the config's "
                            "[benchmark] language, else the system locale, else en)")
    group.add_argument("--units", metavar="UNIT",
                       help="engagement rates in permille (the default, as Chinese tools show them) or percent")
