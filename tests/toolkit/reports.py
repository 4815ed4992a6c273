"""Helpers of the report tests: `scrapy report` as a subprocess, its one-line errors, and a tidy metrics table
built by hand (what tests/test_report*.py, tests/test_findings.py and tests/test_report_figures.py share)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from benchmark.metrics.catalog import METRIC_IDS
from tests.toolkit.factories import write_config

ROOT = Path(__file__).resolve().parents[2]
# The report follows the system locale when neither --lang nor the config names a language: these tests read
# the English report whatever the machine's locale is.
ENGLISH = {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
WEIBO_PANEL = [("weibo", "我们", "own"), ("weibo", "Rival", "peer"), ("weibo", "Best", "exemplar")]


def scrapy_report(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """`scrapy report` in a subprocess, English whatever the locale."""
    # The tests write into pytest's temporary folders, outside the project: say that this is intended.
    return subprocess.run([sys.executable, "-m", "scrapy", "report", "--allow-outside", *args], cwd=cwd,
                          capture_output=True,
                          text=True, timeout=120, env={**os.environ, **ENGLISH, **(env or {})})


def report_inputs(base: Path, config: str, build_store: Callable[[Path], str]) -> dict:
    """What a report is made from, in `base`: {"base", "config" (its benchmark.toml), "db" (the store's URL)}."""
    return {"base": base, "config": write_config(base, config), "db": build_store(base / "store.sqlite3")}


def assert_clear_error(proc: subprocess.CompletedProcess, words: str) -> None:
    """One line on stderr naming `words`, exit status 2, no traceback."""
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.strip().splitlines() if not line.startswith("[")]  # progress lines
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == lines[0]
    assert "Traceback" not in proc.stderr


def table(values: dict[int, dict[str, float]], accounts: list[tuple[str, str, str]] = WEIBO_PANEL,
          n: dict[tuple[int, str], int] | None = None, default_n: int = 50) -> pd.DataFrame:
    """A tidy metrics table: every metric of every account NaN unless given in `values`."""
    rows = []
    for acct, (platform, label, role) in enumerate(accounts):
        for metric in METRIC_IDS:
            value = values.get(acct, {}).get(metric, math.nan)
            count = (n or {}).get((acct, metric), default_n)
            rows.append({"acct": acct, "platform": platform, "account_id": f"id{acct}", "label": label,
                         "role": role, "metric": metric, "value": value, "n": count})
    return pd.DataFrame(rows)
