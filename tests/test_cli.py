"""The command line as a marketer meets it: every mistake is one line on stderr with the documented exit
status (no traceback), and the commands work from any folder of the project and, installed, from anywhere.

Every case runs a real `scrapy` subprocess. Exit statuses (README, "Exit status"): 0 done, 1 not done for a
reason outside the input (a busy queue), 2 a mistake in the input (config, option, argument), 3 a crawl that
finished with accounts not complete.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import unicodedata
from pathlib import Path

import pytest

from benchmark.platforms import all_secrets, all_specs
from benchmark.sample.testing import base_url_settings
from tests.crawl_helpers import PROJECT_ROOT
from tests.toolkit.config_cases import GOOD, MISTAKES, TYPOS
from tests.toolkit.factories import write_config, write_panel_config

# Nothing may leave this machine if a mistake were not caught: every platform points at a closed local port.
CLOSED = "http://127.0.0.1:9"
OFFLINE = [*(arg for key, value in base_url_settings(CLOSED).items() for arg in ("-s", f"{key}={value}")),
           "-s", "RETRY_TIMES=0", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in (*(secret.env for secret in all_secrets()), "BENCHMARK_DB", "BENCHMARK_CONFIG",
                        "BENCHMARK_LANGUAGE", "LANGUAGE",
                        "LC_ALL", "LC_MESSAGES", "LANG", "SCRAPY_SETTINGS_MODULE")}
    # This worktree's code, whatever the current folder (the editable install may point elsewhere).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), extra.pop("PYTHONPATH", "")]))
    env.update(extra)
    return env


def scrapy(*args: str, cwd: Path = PROJECT_ROOT, env: dict[str, str] | None = None,
           timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env or environment())


def assert_one_line(done: subprocess.CompletedProcess, status: int, *words: str) -> str:
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr[-3000:]
    assert done.returncode == status, done.stderr
    assert lines[0].startswith("error: "), lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def good_config(tmp_path: Path) -> Path:
    return write_config(tmp_path, GOOD)


def store(tmp_path: Path) -> list[str]:
    return ["-s", f"BENCHMARK_DB=sqlite:///{tmp_path / 'store.sqlite3'}",
            "-s", f"PSEUDONYM_KEY_FILE={tmp_path / 'pseudonym.key'}"]


# -- a mistake in the config file: file, line and key, exit 2, from every command that reads the config -----
FILE_MISTAKES = [pytest.param(old, new, key, line, words, id=f"{key}:{words}")
                 for old, new, key, line, words in MISTAKES]
FILE_MISTAKES += [pytest.param(old, new, key, line, f"did you mean {suggestion}?", id=f"typo {key}")
                  for old, new, key, line, suggestion in TYPOS]
FILE_MISTAKES += [
    pytest.param("[[account]]\nplatform = \"bluesky\"", "[[acount]]\nplatform = \"bluesky\"", "acount", 13,
                 "did you mean account?", id="[[acount]] drops an account"),
    pytest.param('id = "durov"\nrole = "peer"\n',
                 'id = "durov"\nrole = "peer"\n\n[threshold]\nsales_floor_share = 0.3\n',
                 "threshold", 28, "did you mean thresholds?", id="[threshold]"),
    pytest.param('name = "2026Q3"', 'name = "."', "benchmark.name", 2, "names the report folder", id="name ."),
    pytest.param("period = { start = 2026-07-01, end = 2026-09-30 }",
                 "period = { start = 0001-01-01, end = 9999-12-31 }", "benchmark.period", 3, "out of range",
                 id="period out of range"),
]


# Every mistake through `crawl`; a few through `report` and `benchmark` (each run costs about 2 s).
COMMANDS = [pytest.param(["crawl", "weibo"], case, id=f"crawl-{case.id}") for case in FILE_MISTAKES]
COMMANDS += [pytest.param(command, case, id=f"{command[0]}-{case.id}")
             for command in (["report"], ["benchmark"]) for case in FILE_MISTAKES[:2] + FILE_MISTAKES[-4:]]


@pytest.mark.parametrize(("command", "case"), COMMANDS)
def test_a_config_mistake_is_one_line_naming_file_line_and_key(tmp_path, command, case):
    old, new, key, line, words = case.values
    assert old in GOOD
    config = write_config(tmp_path, GOOD.replace(old, new, 1))
    done = scrapy(*command, "--config", str(config), *store(tmp_path), *OFFLINE)
    assert_one_line(done, 2, f"{config}:{line}: {key}: ", words)


def test_thresholds_that_are_not_numbers_a_user_means(tmp_path):
    for value in ("nan", "inf", "-5"):
        config = write_config(tmp_path, GOOD + f"\n[thresholds]\nsales_floor_share = {value}\n")
        done = scrapy("report", "--config", str(config), *store(tmp_path))
        assert_one_line(done, 2, f"{config}:29: thresholds.sales_floor_share: ")


# -- a mistake on the command line: one line, exit 2, nothing crawled -------------------------------------------
ARGUMENT_MISTAKES = [
    (["crawl", "instagram"], ["unknown spider 'instagram'", "weibo"]),
    (["crawl", "Weibo"], ["did you mean weibo?"]),
    (["crawl", "weibo", "-a", "since=2026-13-01"], ["since", "2026-13-01", "YYYY-MM-DD"]),
    (["crawl", "weibo", "-a", "since=yesterday"], ["since", "yesterday"]),
    (["crawl", "weibo", "-a", "until=9999-12-31"], ["until", "out of range"]),
    (["crawl", "weibo", "-a", "since=2026-09-01", "-a", "until=2026-08-01"], ["after"]),
    (["crawl", "weibo", "-a", "accounts=999"], ["accounts", "'999'", "not a valid weibo id"]),
    (["crawl", "telegram", "-a", "accounts=chan/../../admin?x=1#"], ["not a valid telegram id"]),
    (["crawl", "mastodon", "-a", "accounts=x@127.0.0.1:8080"], ["not a valid mastodon id"]),
    (["crawl", "weibo", "-a", "acounts=1669879400"], ["acounts", "did you mean accounts?"]),
    (["report", "--since", "0001-01-02", "--until", "9999-12-30", "--compare-previous"], ["out of range"]),
    (["report", "--since", "2026-13-01"], ["--since", "YYYY-MM-DD"]),
    (["report", "--period", "2026Q9"], ["unknown period"]),
    (["benchmark", "--period", "2026Q9"], ["unknown period"]),
    (["benchmark", "--since", "0001-01-01"], ["out of range"]),
]


@pytest.mark.parametrize(("args", "words"), ARGUMENT_MISTAKES, ids=[" ".join(a) for a, _w in ARGUMENT_MISTAKES])
def test_a_command_line_mistake_is_one_line_and_exit_2(tmp_path, good_config, args, words):
    done = scrapy(*args, "--config", str(good_config), *store(tmp_path), *OFFLINE)
    assert_one_line(done, 2, *words)
    assert not (tmp_path / "store.sqlite3").exists()  # nothing was crawled


@pytest.mark.parametrize("command", ["crawl", "report", "demo", "enqueue", "benchmark"])
def test_the_help_of_every_command_is_readable(command):
    """Scrapy's help formatter underlines every part ending in ':' as a heading, wrapped help lines included."""
    for columns in ("50", "60", "70", "100"):
        done = scrapy(command, "--help", env=environment(COLUMNS=columns))
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert f"scrapy {command}" in done.stdout
        for i, line in enumerate(lines):
            if re.fullmatch(r"[=-]{3,}", line):  # an underline: the line above must be a section title
                assert not lines[i - 1].startswith(" ") and len(lines[i - 1]) == len(line), (columns, done.stdout)


# -- from any folder ----------------------------------------------------------------------------------------------
def summary_block(stderr: str) -> list[str]:
    lines = stderr.rstrip().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Summary:")]
    assert starts, stderr[-3000:]
    return lines[starts[-1]:]


def assert_summary_last_with_labels(done: subprocess.CompletedProcess, config: Path) -> None:
    panel = tomllib.loads(config.read_text(encoding="utf-8"))["account"]
    block = summary_block(done.stderr)
    table = "\n".join(block)
    for account in panel:
        assert account["label"] in table, (account["label"], table)
    rows = [line for line in block if re.match(r"^\s+ok\s", line)]
    assert len(rows) == len(panel), table
    assert re.match(r"^All \d+ accounts complete\.$", block[-1]), table
    # the columns line up on screen (a Chinese character takes two cells): the pages figures end together
    ends = {cells(row[:re.search(r"\d+\s+\d+$", row).end()]) for row in rows}
    assert len(ends) == 1, table


def cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A project folder as a user has it after cloning: scrapy.cfg at the top, work done in sub-folders."""
    root = tmp_path_factory.mktemp("project")
    shutil.copy(PROJECT_ROOT / "scrapy.cfg", root / "scrapy.cfg")
    (root / "notes" / "q3").mkdir(parents=True)
    return root


def test_demo_from_a_sub_folder_writes_into_the_project(project):
    done = scrapy("demo", cwd=project / "notes" / "q3", timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    index = Path(done.stdout.strip().splitlines()[-1])
    assert index == project / "reports" / "demo" / "index.html" and index.exists()
    assert_summary_last_with_labels(done, project / "data" / "demo" / "benchmark.toml")
    assert list((project / "logs").glob("demo-*.log")), "Scrapy's log goes to logs/ in the project"
    assert "[scrapy" not in done.stderr and "INFO:" not in done.stderr  # the log is not on the console
    again = scrapy("demo", "--lang", "zh", cwd=project, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert Path(again.stdout.strip().splitlines()[-1]) == project / "reports" / "demo-zh" / "index.html"
    assert index.exists()  # the English demo is still there
    config = project / "data" / "demo" / "benchmark.toml"
    crawl = scrapy("crawl", "weibo", "-a", "since=2026-13-01", "--config", str(config), cwd=project / "notes")
    assert_one_line(crawl, 2, "since")


def installed(tmp_path: Path) -> str:
    """What `pip install` leaves: the package's metadata with its `scrapy.commands` entry points."""
    meta = tmp_path / "site" / "brand_benchmark-0.1.0.dist-info"
    meta.mkdir(parents=True)
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n",
                                   encoding="utf-8")
    commands = project["entry-points"]["scrapy.commands"]
    (meta / "entry_points.txt").write_text(
        "[scrapy.commands]\n" + "".join(f"{name} = {target}\n" for name, target in commands.items()),
        encoding="utf-8")
    return str(tmp_path / "site")


def test_outside_any_project_the_installed_commands_work_with_config(tmp_path):
    elsewhere = tmp_path / "desktop"
    elsewhere.mkdir()
    env = environment(PYTHONPATH=installed(tmp_path), HOME=str(tmp_path))
    done = scrapy("demo", cwd=elsewhere, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert Path(done.stdout.strip().splitlines()[-1]) == elsewhere / "reports" / "demo" / "index.html"
    config = elsewhere / "data" / "demo" / "benchmark.toml"
    assert_summary_last_with_labels(done, config)
    report = scrapy("report", "--config", str(config), "-s",
                    f"BENCHMARK_DB=sqlite:///{elsewhere / 'data' / 'demo' / 'benchmark.sqlite3'}",
                    "-o", str(tmp_path / "q3-review"), cwd=tmp_path, env=env)
    assert report.returncode == 0, report.stderr[-3000:]
    assert (tmp_path / "q3-review" / "index.html").exists()  # -o outside the current folder is fine
    bad = scrapy("crawl", "weibo", "--config", str(tmp_path / "nope.toml"), cwd=elsewhere, env=env)
    assert_one_line(bad, 2, "nope.toml", "config file not found")


# -- scrapy benchmark: every platform in one process, then the report -------------------------------------------
def test_benchmark_crawls_every_platform_in_one_process_then_writes_the_report(tmp_path):
    from collections import Counter
    from datetime import UTC, datetime

    from benchmark.platforms import names
    from benchmark.sample.panel import demo_panel
    from benchmark.sample.server import start_server

    panel = demo_panel(datetime.now(UTC).replace(microsecond=0), seed=7)
    config = write_panel_config(tmp_path, panel)
    server = start_server(panel)
    try:
        fast = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
        urls = [arg for key, value in base_url_settings(server.url).items() for arg in ("-s", f"{key}={value}")]
        # Each platform's demo settings, as `scrapy demo` sets them (e.g. a dummy API key the sample server takes).
        demo = [arg for spec in all_specs() for key, value in spec.demo_settings.items()
                for arg in ("-s", f"{key}={value}")]
        done = scrapy("benchmark", "--config", str(config), *store(tmp_path), *fast, *urls, *demo,
                      "-o", str(tmp_path / "q3"), timeout=300)
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr[-3000:]
    assert Path(done.stdout.strip()) == tmp_path / "q3" / "index.html"
    assert (tmp_path / "q3" / "metrics.csv").exists()
    lines = done.stderr.splitlines()
    # Every platform of the demo panel, in registry order, with its number of accounts (weibo 6, bluesky 2, ...).
    counts = Counter(a.platform for a in panel.accounts)
    per_platform = ", ".join(f"{name} {counts[name]}" for name in names() if counts[name])
    total = len(panel.accounts)
    assert total >= 12 and set(counts) == set(names())
    assert lines[0].startswith(f"Crawling {total} account(s) ({per_platform}")
    assert done.stderr.count("Summary:") == 1  # one summary for every spider
    assert_summary_last_with_labels(done, config)
    progress = [line for line in lines if re.match(rf"^  \[\d+/{total}\] ", line)]
    assert len(progress) == total, done.stderr
    assert "Traceback" not in done.stderr and "] INFO:" not in done.stderr


def test_in_another_scrapy_project_the_installed_crawl_is_scrapys_own(tmp_path):
    """The entry points reach every Scrapy project of the environment: ours must not impose its rules there."""
    other = tmp_path / "other"
    (other / "shop" / "spiders").mkdir(parents=True)
    (other / "scrapy.cfg").write_text("[settings]\ndefault = shop.settings\n", encoding="utf-8")
    (other / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (other / "shop" / "settings.py").write_text('BOT_NAME = "shop"\nSPIDER_MODULES = ["shop.spiders"]\n',
                                                encoding="utf-8")
    (other / "shop" / "spiders" / "__init__.py").write_text(
        "import scrapy\n\n\nclass Prices(scrapy.Spider):\n    name = 'prices'\n\n    async def start(self):\n"
        "        print('price spider ran with', self.currency)\n        return\n        yield\n", encoding="utf-8")
    env = environment(PYTHONPATH=os.pathsep.join([installed(tmp_path), str(other)]), HOME=str(tmp_path))
    done = scrapy("crawl", "prices", "-a", "currency=EUR", "--nolog", cwd=other, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "price spider ran with EUR" in done.stdout
    assert not (other / "logs").exists() and not (other / "data").exists()
