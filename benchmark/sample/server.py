"""The local sample server: every platform of a sample panel on one 127.0.0.1 port, by path prefix.

    python -m benchmark.sample.server [--port 0] [--panel demo | --panel-file spec.json] [--seed 7]
                                      [--anchor 2026-11-26T12:00:00+08:00] [--now ISO] [--config-out PATH]
                                      [--faults SEED [--fault-profile default|heavy|network|throttle|JSON]]
                                      [--strict-weibo] [--weibo-cookie COOKIE]

prints exactly one line, `SAMPLE_SERVER_URL http://127.0.0.1:<port>`, once it is ready, then serves until
killed. Point each platform's base-URL setting at <url>/<platform> (WEIBO_BASE_URL=<url>/weibo, etc.;
`benchmark.sample.testing.base_url_settings(url)` gives them all).

In-process: `with start_server(panel) as server: server.url ...` (a daemon thread; `.stop()`).

`--faults SEED` (or `faults=FaultInjector(seed)`) injects seeded failures into platform API requests:
5xx, dropped connections, slow and truncated responses, garbage bodies, 418/432 bursts, 429 with
Retry-After (see `benchmark.sample.faults`). Counts per kind are served on `/__faults` and printed to
stderr on exit (SIGTERM included).

Rendered pages are cached per (endpoint, account, cursor) on first use, so serving stays fast; Weibo
timeline pages are cached per minute of the server clock because their relative dates ("5分钟前") follow
it. Nothing is logged per request.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Hashable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from benchmark import platforms
from benchmark.sample import Reply, json_reply
from benchmark.sample.faults import FAULTS_PATH, Fault, FaultInjector, faulty_reply, load_profile
from benchmark.sample.panel import SHANGHAI, UTC, Panel, demo_panel, panel_config_toml

# Each platform's sample renderer (benchmark/platforms/<name>/sample.py), served under /<name>/.
RENDERERS: dict[str, ModuleType] = {s.name: importlib.import_module(s.module("sample")) for s in platforms.all_specs()}
ROBOTS = Reply(200, b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")
CACHE_LIMIT = 50_000
STRICT_PATH = "/__strict"  # counts of requests served and refused (strict Weibo), and cookie leaks
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$")


class SampleSite:
    """The panel plus what serving needs: caches, indexes, per-account request counters and a clock."""

    def __init__(self, panel: Panel, clock: Callable[[], datetime] | None = None, *, weibo_strict: bool = False,
                 weibo_cookie: str = "") -> None:
        self.panel = panel
        self._clock = clock
        # Strict mode: Weibo answers like the real site does to anonymous or scripted clients (weibo sample.admit).
        self.weibo_strict = weibo_strict
        self.weibo_cookie = weibo_cookie
        self.strict_counts: dict[str, int] = {}  # "weibo:<reason>" rejections, "<platform>:served", "cookie_elsewhere"
        self._cache: dict[Hashable, Any] = {}
        self._indexes: dict[str, Any] = {}
        self._counters: dict[tuple[str, str, str], int] = {}
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._clock() if self._clock else datetime.now(UTC)

    def hit(self, platform: str, account_id: str, name: str) -> int:
        """Count one request of an account for a behaviour; returns the count including this one."""
        key = (platform, account_id, name)
        with self._lock:
            self._counters[key] = self._counters.get(key, 0) + 1
            return self._counters[key]

    def cached(self, key: Hashable, build: Callable[[], Any]) -> Any:
        value = self._cache.get(key)
        if value is None:
            value = build()
            with self._lock:
                if len(self._cache) >= CACHE_LIMIT:
                    self._cache.clear()
                self._cache[key] = value
        return value

    def index(self, platform: str) -> Any:
        """Per-platform lookup tables (e.g. Weibo mid → post), built once on first use."""
        with self._lock:
            if platform not in self._indexes:
                self._indexes[platform] = RENDERERS[platform].index_posts(self.panel)
            return self._indexes[platform]

    def reject(self, reason: str, path: str) -> None:
        self.count(f"weibo:{reason}")

    def count(self, name: str) -> None:
        with self._lock:
            self.strict_counts[name] = self.strict_counts.get(name, 0) + 1

    def handle(self, raw_path: str, host: str, headers: dict[str, str] | None = None) -> Reply:
        """Serve one GET; `headers` are the request's (names in lower case), for strict Weibo and /__strict."""
        parts = urlsplit(raw_path)
        if parts.path == "/robots.txt":
            return ROBOTS
        if parts.path == STRICT_PATH:
            with self._lock:
                return json_reply(dict(self.strict_counts))
        prefix, _, rest = parts.path.lstrip("/").partition("/")
        module = RENDERERS.get(prefix)
        if module is None:
            return not_found(parts.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        headers = headers or {}
        if self.weibo_cookie and any(getattr(other, "logged_in", None) and other.logged_in(self, headers)
                                     for name, other in RENDERERS.items() if name != prefix):
            self.count("cookie_elsewhere")  # a platform's cookie sent to another platform: a leak
        # A renderer with `admit` refuses what the real site refuses (strict Weibo) before routing.
        refused = module.admit(self, "/" + rest, query, headers) if hasattr(module, "admit") else None
        if refused is not None:
            return refused
        self.count(f"{prefix}:served")
        try:
            reply = module.route(self, "/" + rest, query, f"http://{host}/{prefix}")
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            return json_reply({"error": "InternalServerError", "message": repr(exc)}, status=500)
        return reply if reply is not None else not_found(parts.path)


def not_found(path: str) -> Reply:
    return json_reply({"error": "NotFound", "message": f"no route for {path}"}, status=404)


def write_reply(handler: BaseHTTPRequestHandler, reply: Reply, send_body: bool = True,
                body_bytes: int | None = None) -> None:
    """Write `reply` as the handler's response; with `body_bytes`, only that much of the body, then close (a
    truncated transfer). A client that hung up closes the connection instead of raising."""
    try:
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            handler.send_header(name, value)
        handler.end_headers()
        if send_body:
            handler.wfile.write(reply.body if body_bytes is None else reply.body[:body_bytes])
        if body_bytes is not None:
            handler.close_connection = True
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every reply carries Content-Length
    server_version = "SampleServer/1.0"
    # Headers and body in separate segments + Nagle + delayed ACK cost ~40 ms per keep-alive request.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _serve(self, send_body: bool) -> None:
        host = self.headers.get("Host") or ""
        if not _HOST.match(host):
            host = f"127.0.0.1:{self.server.server_port}"
        faults = self.server.faults
        if faults is not None and self.path.split("?", 1)[0] == FAULTS_PATH:
            self._write(json_reply(faults.snapshot()), send_body)
            return
        fault = faults.draw(self.path) if faults is not None else None
        headers = {name.lower(): value for name, value in self.headers.items()}
        if fault is None:
            reply = self.server.site.handle(self.path, host, headers)
            if faults is not None:  # a hostile answer (benchmark.sample.faults.HOSTILE), when the profile has one
                reply = faults.rewrite(self.path, reply, lambda path: self.server.site.handle(path, host, headers))
            self._write(reply, send_body)
        else:
            self._serve_faulty(fault, host, send_body, headers)

    def _serve_faulty(self, fault: Fault, host: str, send_body: bool, headers: dict[str, str]) -> None:
        if fault.kind == "drop":
            self.close_connection = True  # closed without a byte of response
            return
        if fault.delay:
            time.sleep(fault.delay)  # the client has timed out by now; the late answer is written anyway
        reply, body_bytes = faulty_reply(self.server.site.handle(self.path, host, headers), fault, time.time())
        self._write(reply, send_body, body_bytes)

    def _write(self, reply: Reply, send_body: bool, body_bytes: int | None = None) -> None:
        write_reply(self, reply, send_body, body_bytes)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    site: SampleSite
    faults: FaultInjector | None = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (timeout, crawl finished, a dropped connection) is normal, not a server error.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class SampleServer:
    """A running sample server (daemon thread). Use as a context manager or call `.stop()`."""

    def __init__(self, panel: Panel, port: int = 0, clock: Callable[[], datetime] | None = None,
                 faults: FaultInjector | None = None, *, weibo_strict: bool = False, weibo_cookie: str = "") -> None:
        self.site = SampleSite(panel, clock, weibo_strict=weibo_strict, weibo_cookie=weibo_cookie)
        self.faults = faults
        self.httpd = _Server(("127.0.0.1", port), _Handler)
        self.httpd.site = self.site
        self.httpd.faults = faults
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="sample-server", daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def base_urls(self) -> dict[str, str]:
        """The spider settings that point every platform at this server."""
        return {setting: f"{self.url}/{name}" for setting, name in platforms.url_settings().items()}

    def start(self) -> SampleServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> SampleServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(panel: Panel, port: int = 0, clock: Callable[[], datetime] | None = None,
                 faults: FaultInjector | None = None, *, weibo_strict: bool = False,
                 weibo_cookie: str = "") -> SampleServer:
    """Serve `panel` on 127.0.0.1:`port` (0 = any free port) from a daemon thread; returns it running.
    `faults`: inject seeded failures (benchmark.sample.faults) into platform API requests. `weibo_strict`:
    Weibo refuses what the real site refuses (see benchmark/platforms/weibo/sample.py); `weibo_cookie`: the only
    logged-in cookie."""
    return SampleServer(panel, port, clock, faults, weibo_strict=weibo_strict, weibo_cookie=weibo_cookie).start()


# ------------------------------------------------------------------------------------------- CLI


def parse_moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def load_panel(panel: str, panel_file: str | None, seed: int | None, anchor: datetime | None) -> Panel:
    if panel_file:
        spec = json.loads(Path(panel_file).read_text(encoding="utf-8"))
        return Panel.from_spec(spec, seed=seed, anchor=anchor)
    if panel != "demo":
        raise SystemExit(f"unknown panel {panel!r}: use --panel demo or --panel-file spec.json")
    moment = anchor or datetime.now(SHANGHAI).replace(second=0, microsecond=0)
    return demo_panel(moment, seed=7 if seed is None else seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmark.sample.server", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0 = any free port (default)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--panel", default="demo", help="a named panel: demo (default)")
    source.add_argument("--panel-file", help="a JSON panel spec (see benchmark.sample)")
    parser.add_argument("--seed", type=int, default=None, help="default: the spec's seed, else 7")
    parser.add_argument("--anchor", type=parse_moment, default=None,
                        help="the panel's 'now' (ISO); default: the spec's anchor, else the current minute")
    parser.add_argument("--now", type=parse_moment, default=None,
                        help="freeze the server clock (relative Weibo dates) at this ISO time")
    parser.add_argument("--config-out", help="also write a benchmark.toml for the panel here")
    parser.add_argument("--faults", type=int, default=None, metavar="SEED",
                        help="inject seeded faults into platform API requests (see benchmark.sample.faults)")
    parser.add_argument("--fault-profile", default="default",
                        help="default | heavy | network | throttle | none | a JSON object of FaultProfile fields")
    parser.add_argument("--strict-weibo", action="store_true",
                        help="Weibo refuses requests without the mobile web client's headers, like the real site")
    parser.add_argument("--weibo-cookie", default="",
                        help="the one logged-in Weibo cookie (strict mode: every Weibo request needs it)")
    args = parser.parse_args(argv)
    panel = load_panel(args.panel, args.panel_file, args.seed, args.anchor)
    if args.config_out:
        Path(args.config_out).write_text(panel_config_toml(panel), encoding="utf-8")
    faults = fault_injector(parser, args.faults, args.fault_profile)
    frozen = args.now
    server = SampleServer(panel, args.port, (lambda: frozen) if frozen else None, faults,
                          weibo_strict=args.strict_weibo, weibo_cookie=args.weibo_cookie)
    print(f"SAMPLE_SERVER_URL {server.url}", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
        if faults is not None:
            print(f"SAMPLE_SERVER_FAULTS {json.dumps(faults.snapshot())}", file=sys.stderr, flush=True)
    return 0


def fault_injector(parser: argparse.ArgumentParser, seed: int | None, profile: str) -> FaultInjector | None:
    if seed is None:
        return None
    try:
        injector = FaultInjector(seed, load_profile(profile))
    except (ValueError, TypeError) as error:
        parser.error(f"--fault-profile: {error}")
    # Tests stop the server with SIGTERM: exit through `finally` so the fault counts get printed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    return injector


if __name__ == "__main__":
    raise SystemExit(main())
