"""Run the sample server in a subprocess, for end-to-end tests and benchmarks.

    with run_server_subprocess("demo", seed=7, anchor="2026-11-26T12:00:00+08:00") as (url, process):
        ...  # base_url_settings(url): WEIBO_BASE_URL = f"{url}/weibo", etc.

`panel_file_or_name` is "demo", a path to a JSON panel spec, or a spec dict (written to a temporary file).
The server's URL line is awaited for `timeout` seconds; the process is terminated (then killed) on exit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from queue import Empty, Queue
from typing import Any

from benchmark.exceptions import SampleServerError

URL_PREFIX = "SAMPLE_SERVER_URL "
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def base_url_settings(url: str) -> dict[str, str]:
    """Every registered platform's base-URL settings (its spec's url_settings(), e.g. YouTube's API and feed)
    pointed at the sample server `url` (/<platform> prefix)."""
    from benchmark import platforms

    return {setting: f"{url}/{name}" for setting, name in platforms.url_settings().items()}


def server_command(panel: str, seed: int | None, anchor: str | datetime | None, port: int = 0,
                   extra_args: tuple[str, ...] = ()) -> list[str]:
    command = [sys.executable, "-m", "benchmark.sample.server", "--port", str(port)]
    command += ["--panel", "demo"] if panel == "demo" else ["--panel-file", panel]
    if seed is not None:
        command += ["--seed", str(seed)]
    if anchor is not None:
        command += ["--anchor", anchor.isoformat() if isinstance(anchor, datetime) else str(anchor)]
    return command + list(extra_args)


@contextmanager
def run_server_subprocess(panel_file_or_name: str | Path | dict[str, Any] = "demo", seed: int | None = 7,
                          anchor: str | datetime | None = None, *, port: int = 0, timeout: float = 10.0,
                          extra_args: tuple[str, ...] = ()) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Start `python -m benchmark.sample.server`, yield (url, process), stop it on exit."""
    with tempfile.TemporaryDirectory(prefix="sample-server-") as tmp:
        panel = _panel_argument(panel_file_or_name, Path(tmp))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH", "")]))
        process = subprocess.Popen(server_command(panel, seed, anchor, port, extra_args), cwd=PROJECT_ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
        errors: list[str] = []
        _drain(process.stderr, errors)
        try:
            yield _await_url(process, timeout, errors), process
        finally:
            _stop(process)


def _panel_argument(value: str | Path | dict[str, Any], tmp: Path) -> str:
    if isinstance(value, dict):
        path = tmp / "panel.json"
        path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
        return str(path)
    return str(value)


def _drain(stream: Any, sink: list[str]) -> None:
    """Read a pipe in the background so a chatty process never blocks on a full buffer."""
    thread = threading.Thread(target=lambda: sink.extend(stream), daemon=True)
    thread.start()


def _await_url(process: subprocess.Popen[str], timeout: float, errors: list[str]) -> str:
    lines: Queue[str] = Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or []], daemon=True).start()
    try:
        line = lines.get(timeout=timeout)
    except Empty:
        line = ""
    if not line.startswith(URL_PREFIX):
        _stop(process)
        detail = "".join(errors)[-2000:] or line or "(no output)"
        raise SampleServerError(f"sample server did not report its URL within {timeout:.0f} s: {detail}")
    return line[len(URL_PREFIX):].strip()


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
