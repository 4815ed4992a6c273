"""HTTP hygiene against hostile or unlucky servers (issue 14 items 7, 8, 15), with real `scrapy crawl weibo`
subprocesses against a local server that wraps the sample site and misbehaves on chosen requests:

- a 503 with `Retry-After` is waited out as asked (RetryMiddleware must not retry it at once first);
- a 200 MB answer, an endless stream and a gzip bomb neither blow the crawl's memory nor get stored;
- a first Ctrl-C during a 418 back-off stops the crawl within seconds, with no request sent after it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from benchmark.sample.panel import Panel, panel_config_toml
from benchmark.sample.server import SampleSite
from tests.crawl_helpers import CrawlResult, run_crawl

ANCHOR = "2026-11-26T12:00:00+08:00"
OWN, PEER = "1000000021", "1000000022"
SPEC = {
    "seed": 3,
    "anchor": ANCHOR,
    "period": {"start": "2026-10-01", "end": "2026-11-25"},
    "accounts": [
        {"platform": "weibo", "id": OWN, "role": "own", "label": "Own", "archetype": "sales_heavy",
         "posts": 25, "older_posts": 1},
        {"platform": "weibo", "id": PEER, "role": "peer", "label": "Peer", "posts": 6, "older_posts": 1},
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
def hostile_server(misbehave: Callable[[BaseHTTPRequestHandler, str, int], bool]) -> Iterator[tuple[str, Recorder]]:
    """The sample site on 127.0.0.1, except where `misbehave(handler, path, nth)` answers itself (True)."""
    site = SampleSite(Panel.from_spec(SPEC))
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
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def log_message(self, *args: Any) -> None:
            return

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            return  # the crawler hanging up on a huge answer is the point of these tests

    server = Server(("127.0.0.1", 0), Handler)
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
