"""HTTP hygiene against hostile or unlucky servers (issue 14 items 7, 8, 15), with real `scrapy crawl weibo`
subprocesses against a local server that wraps the sample site and misbehaves on chosen requests:

- a 503 with `Retry-After` is waited out as asked (RetryMiddleware must not retry it at once first);
- a 200 MB answer, an endless stream and a gzip bomb neither blow the crawl's memory nor get stored;
- a first Ctrl-C during a 418 back-off stops the crawl within seconds, with no request sent after it.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from benchmark.limits import MAX_TEXT_CHARS
from benchmark.sample.panel import Panel, panel_config_toml
from benchmark.sample.server import SampleSite, write_reply
from tests.crawl_helpers import FAST, PROJECT_ROOT, CrawlResult, run_crawl

ANCHOR = "2026-11-26T12:00:00+08:00"
OWN, PEER, THIRD, FOURTH = "1000000021", "1000000022", "1000000023", "1000000024"
SPEC = {
    "seed": 3,
    "anchor": ANCHOR,
    "period": {"start": "2026-10-01", "end": "2026-11-25"},
    "accounts": [
        {"platform": "weibo", "id": OWN, "role": "own", "label": "Own", "archetype": "sales_heavy",
         "posts": 25, "older_posts": 1},
        {"platform": "weibo", "id": PEER, "role": "peer", "label": "Peer", "posts": 6, "older_posts": 1},
        {"platform": "weibo", "id": THIRD, "role": "peer", "label": "Third", "posts": 6, "older_posts": 1},
        {"platform": "weibo", "id": FOURTH, "role": "peer", "label": "Fourth", "posts": 6, "older_posts": 1},
    ],
}


class Recorder:
    """The wrapping server's log: (monotonic time, path) of every request, and what misbehaved."""

    def __init__(self) -> None:
        self.requests: list[tuple[float, str]] = []
        self.lock = threading.Lock()

    def add(self, path: str) -> int:
        with self.lock:
            self.requests.append((time.monotonic(), path))
            return sum(1 for _t, p in self.requests if p == path)

    def times(self, fragment: str) -> list[float]:
        with self.lock:
            return [t for t, p in self.requests if fragment in p]


@contextmanager
def hostile_server(misbehave: Callable[[BaseHTTPRequestHandler, str, int], bool],
                   weibo_cookie: str = "") -> Iterator[tuple[str, Recorder]]:
    """The sample site on 127.0.0.1, except where `misbehave(handler, path, nth)` answers itself (True)."""
    site = SampleSite(Panel.from_spec(SPEC), weibo_strict=bool(weibo_cookie), weibo_cookie=weibo_cookie)
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            nth = recorder.add(self.path)
            try:
                if misbehave(self, self.path, nth):
                    self.close_connection = True
                    return
                reply = site.handle(self.path, self.headers.get("Host", ""),
                                    {k.lower(): v for k, v in self.headers.items()})
                write_reply(self, reply)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def log_message(self, *args: Any) -> None:
            return

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            return  # the crawler hanging up on a huge answer is the point of these tests

    server = Server(("127.0.0.1", 0), Handler)
    server.site = site  # type: ignore[attr-defined]
    server.recorder = recorder  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    finally:
        server.shutdown()
        server.server_close()


def config_file(tmp_path: Path) -> Path:
    config = tmp_path / "benchmark.toml"
    config.write_text(panel_config_toml(Panel.from_spec(SPEC)), encoding="utf-8")
    return config


def statuses(result: CrawlResult) -> dict[str, tuple[str, str]]:
    return {r["account_id"]: (r["status"], r["message"])
            for r in result.rows("select account_id, status, message from crawl_accounts")}


def timeline_of(account_id: str) -> str:
    return f"containerid=107603{account_id}"


# -- 503 + Retry-After (issue 14 item 7) -------------------------------------------------------------------


def test_a_503_with_retry_after_is_waited_out_as_asked(tmp_path):
    def busy_once(handler: BaseHTTPRequestHandler, path: str, nth: int) -> bool:
        if path.endswith(timeline_of(OWN)) and nth == 1:
            handler.send_response(503)
            handler.send_header("Retry-After", "2")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return True
        return False

    with hostile_server(busy_once) as (url, recorder):
        result = run_crawl("weibo", base_url=url, db_path=tmp_path / "store.sqlite3", config_path=config_file(tmp_path))
    first, second = recorder.times(timeline_of(OWN))[:2]
    assert second - first >= 1.9, "the retry did not wait the 2 s the server asked for"
    assert statuses(result)[OWN][0] == "ok", result.stderr[-2000:]
    assert "'retry_after/count': 1" in result.stderr


# -- answers too big (issue 14 item 8) ---------------------------------------------------------------------

MB = 1024 * 1024


def gzip_bomb(megabytes_out: int) -> bytes:
    """A gzip body of about megabytes_out KB that inflates to megabytes_out MB of zeros (concatenated members,
    which gunzip reads as one stream): built in a blink, unlike compressing gigabytes."""
    return gzip.compress(bytes(MB), compresslevel=9) * megabytes_out


def send_forever(handler: BaseHTTPRequestHandler, chunk: bytes, limit: int) -> None:
    """Write `chunk` until the client hangs up (or `limit` bytes, so a broken test cannot fill the disk)."""
    sent = 0
    while sent < limit:
        handler.wfile.write(chunk)
        sent += len(chunk)


def peak_memory_of_crawl(command: list[str], env: dict[str, str], timeout: float = 180) -> tuple[int, str, int]:
    """Run the crawl; (exit status, stderr, peak resident memory in bytes from /proc/<pid>/status VmHWM)."""
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(process.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    peak = 0
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
        except OSError:
            break
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) * 1024)
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
    process.wait()
    reader.join(timeout=5)
    return process.returncode, "".join(errors), peak


def crawl_command(url: str, tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    settings = {**FAST, "BENCHMARK_DB": f"sqlite:///{tmp_path / 'store.sqlite3'}",
                "BENCHMARK_CONFIG": str(config_file(tmp_path)), "PSEUDONYM_KEY_FILE": str(tmp_path / "key"),
                "WEIBO_BASE_URL": f"{url}/weibo", "DOWNLOAD_TIMEOUT": "60"}
    command = [sys.executable, "-m", "scrapy", "crawl", "weibo"]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    env = {k: v for k, v in os.environ.items() if k not in ("WEIBO_COOKIE", "BENCHMARK_DB", "BENCHMARK_CONFIG")}
    return command, env


def test_huge_endless_and_bomb_answers_stay_small_in_memory_and_are_not_ok(tmp_path):
    bomb = gzip_bomb(3000)  # about 3 MB on the wire, 3,000 MB inflated
    assert len(bomb) < 4 * MB

    def hostile(handler: BaseHTTPRequestHandler, path: str, _nth: int) -> bool:
        if path.endswith(timeline_of(OWN)):  # 200 MB, announced
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(200 * MB))
            handler.end_headers()
            send_forever(handler, b'{"ok":1,"data":{"cards":[' + b" " * (MB - 25), 200 * MB)
            return True
        if path.endswith(timeline_of(PEER)):  # no length, never ends
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Connection", "close")
            handler.end_headers()
            send_forever(handler, b" " * (256 * 1024), 4000 * MB)
            return True
        if path.endswith(timeline_of(FOURTH)):  # a real page, one post 1,000,000 characters long (3 MB)
            reply = handler.server.site.handle(path, "127.0.0.1", {})  # type: ignore[attr-defined]
            page = json.loads(reply.body)
            page["data"]["cards"][0]["mblog"]["text"] = "长" * 1_000_000
            body = json.dumps(page, ensure_ascii=False).encode("utf-8")
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return True
        if path.endswith(timeline_of(THIRD)):  # a gzip bomb
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Encoding", "gzip")
            handler.send_header("Content-Length", str(len(bomb)))
            handler.end_headers()
            handler.wfile.write(bomb)
            return True
        return False

    with hostile_server(hostile) as (url, _recorder):
        command, env = crawl_command(url, tmp_path)
        returncode, stderr, peak = peak_memory_of_crawl(command, env)
    print(f"peak memory of the crawl: {peak / MB:.0f} MB")
    assert peak < 500 * MB, f"{peak / MB:.0f} MB"
    result = CrawlResult(returncode, "", stderr, f"sqlite:///{tmp_path / 'store.sqlite3'}")
    found = statuses(result)
    for hit in (OWN, PEER, THIRD):
        status, message = found[hit]
        assert status not in ("ok", "running"), (hit, found[hit])
        assert "DOWNLOAD_MAXSIZE" in message, (hit, message)
    assert found[FOURTH][0] == "ok"  # the others are crawled as usual
    longest = result.rows("select max(length(text)) as n from posts where account_id = :a", a=FOURTH)[0]["n"]
    assert longest == MAX_TEXT_CHARS  # stored text is capped (and says so in `extra`)
    capped = result.rows("select extra from posts where length(text) = :n", n=MAX_TEXT_CHARS)
    assert len(capped) == 1 and json.loads(capped[0]["extra"])["text_capped_from"] == 1_000_000
    assert returncode == 3


# -- Ctrl-C during a back-off (issue 14 item 15) -----------------------------------------------------------


def test_a_first_ctrl_c_during_a_418_back_off_stops_within_seconds_and_sends_nothing_more(tmp_path):
    refused: list[float] = []

    def throttled(handler: BaseHTTPRequestHandler, path: str, _nth: int) -> bool:
        # Weibo's "too fast" on the own account's timeline, for as long as it takes, once the last account's
        # timeline has been served (its posts are what must be saved; until then the answer hangs).
        if timeline_of(OWN) in path:
            until = time.monotonic() + 15
            while not handler.server.recorder.times(timeline_of(FOURTH)) and time.monotonic() < until:  # type: ignore[attr-defined]
                time.sleep(0.05)
            refused.append(time.monotonic())
            handler.send_response(418)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return True
        return False

    secret = "CTRL-C-SECRET-9"
    with hostile_server(throttled, weibo_cookie=f"SUB={secret}") as (url, recorder):
        command, env = crawl_command(url, tmp_path)
        command += ["-s", "BAN_BACKOFF_BASE=20", "-s", f"JOBDIR={tmp_path / 'job'}"]
        env["WEIBO_COOKIE"] = f"SUB={secret}"
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        errors: list[str] = []
        threading.Thread(target=lambda: errors.extend(process.stderr), daemon=True).start()  # type: ignore[arg-type]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not refused:  # the first 418: the back-off begins
            time.sleep(0.05)
        time.sleep(1.0)  # well inside the 20 s back-off
        assert process.poll() is None, "".join(errors)[-2000:]
        interrupted = time.monotonic()
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
        stopped = time.monotonic() - interrupted
        late = [path for moment, path in recorder.requests if moment > interrupted]
    stderr = "".join(errors)
    print(f"stopped {stopped:.1f} s after SIGINT")
    assert stopped < 5, f"took {stopped:.1f} s to stop"
    assert late == [], late
    assert "Traceback" not in stderr
    result = CrawlResult(process.returncode, "", stderr, f"sqlite:///{tmp_path / 'store.sqlite3'}")
    stored = {r["account_id"] for r in result.rows("select distinct account_id from posts")}
    assert FOURTH in stored  # what was fetched before the Ctrl-C is saved
    status, message = statuses(result)[OWN]
    assert status != "ok" and ("Ctrl-C" in message or "418" in message), (status, message)
    # The request that was held back is kept for the resumed crawl, without the cookie.
    queued = [path for path in (tmp_path / "job").rglob("*") if path.is_file() and b"107603" + OWN.encode()
              in path.read_bytes()]
    assert queued, sorted(str(path) for path in (tmp_path / "job").rglob("*"))
    leaks = [str(path) for path in tmp_path.rglob("*") if path.is_file() and secret.encode() in path.read_bytes()]
    assert leaks == [] and secret not in stderr


def test_a_pause_is_never_shortened_by_the_download_delay_jitter():
    """RANDOMIZE_DOWNLOAD_DELAY draws each delay from 0.5-1.5 times the slot's delay: a 2 s Retry-After pause
    was once waited out in 1.6 s. While a slot is paused its delay is exact; afterwards the jitter comes back."""
    from types import SimpleNamespace

    from scrapy import Request
    from scrapy.core.downloader import Slot

    from benchmark.middlewares import SlotPauser

    slot = Slot(concurrency=1, delay=1.0, jitter=0.5)  # what RANDOMIZE_DOWNLOAD_DELAY (the default) gives
    downloader = SimpleNamespace(slots={"host": slot}, get_slot_key=lambda request: "host")
    pauser = SlotPauser(SimpleNamespace(engine=SimpleNamespace(downloader=downloader)))
    request = Request("http://host/x")
    pauser.pause(request, 2.0)
    assert min(slot.download_delay() for _ in range(200)) >= 2.0
    pauser.restore(request, force=True)
    assert slot.delay == 1.0 and min(slot.download_delay() for _ in range(200)) < 1.0
