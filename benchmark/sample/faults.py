"""Seeded fault injection for the sample server: the failures real APIs and networks produce, on purpose.

    python -m benchmark.sample.server --faults 42 [--fault-profile default|heavy|network|throttle|none|JSON]

Every platform API request (not /robots.txt, not /__faults; with `only_paths`, only those routes) is
numbered in arrival order; request number n gets the fault `FaultInjector.fault_for(n)`, a pure function
of (seed, profile, n). So the sequence of faults is the same on every run, and faults are drawn per
request *attempt*, never per URL: a retried URL meets a fresh draw and eventually succeeds, so a correct
crawler gets everything. (Which URL meets which fault depends on arrival order, i.e. on concurrency.)

Kinds (rates of the "default" profile):
- `http_5xx` 5 %: 500, 502 or 503 with a small error body (no Retry-After);
- `drop` 2 %: the connection is closed without a response;
- `slow` 2 %: the response is sent after `slow_seconds` (3 s), past a crawler's short DOWNLOAD_TIMEOUT;
- `truncated_close` 0.5 %: Content-Length of the full body, part of it sent, then the connection closed;
- `truncated_cut` 0.5 %: a 200 whose body is cut mid-JSON/HTML, with a Content-Length that matches the cut;
- `malformed` 1 %: a 200 whose body is garbage (a proxy's HTML error page, binary junk, an empty body, an
  unterminated JSON object);
- `ban` bursts: `burst_count` (2) runs of `burst_length` (3) consecutive 418s (the second burst 432s),
  starting at seeded request numbers within `burst_window`;
- `retry_after_seconds` 0.5 % / `retry_after_date` 0.5 %: 429 with `Retry-After: 1` or with an HTTP-date
  2 s ahead.

Counts per kind are kept (thread-safe) and served as JSON on `/__faults`; the CLI also prints them on exit.
Only the standard library is used.
"""

from __future__ import annotations

import importlib
import json
import math
import random
import re
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from email.utils import formatdate
from functools import cache
from types import ModuleType
from typing import Any

from benchmark.sample import HTML_TYPE, JSON_TYPE, Reply, dump_json

FAULTS_PATH = "/__faults"
RATE_KINDS = ("http_5xx", "drop", "slow", "truncated_close", "truncated_cut", "malformed", "retry_after_seconds",
              "retry_after_date")
BAN_CODES = (418, 432)
PROXY_PAGE = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
              b"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
THROTTLED_BODY = dump_json({"ok": 0, "msg": "请求过于频繁，歇歇吧"})  # Weibo's words for "slow down"
GARBAGE = (
    (PROXY_PAGE, HTML_TYPE),
    (bytes(range(256)) * 2, JSON_TYPE),  # binary junk that is not even UTF-8
    (b"", JSON_TYPE),
    (b'{"ok":1,"data":{"cardlistInfo":{"since_id":', JSON_TYPE),
)


@dataclass(frozen=True)
class FaultProfile:
    """Probabilities per request for each rate kind, plus the 418/432 bursts and the slow delay."""

    name: str = "default"
    rates: dict[str, float] = field(default_factory=lambda: {
        "http_5xx": 0.05, "drop": 0.02, "slow": 0.02, "truncated_close": 0.005, "truncated_cut": 0.005,
        "malformed": 0.01, "retry_after_seconds": 0.005, "retry_after_date": 0.005})
    slow_seconds: float = 3.0
    burst_count: int = 2
    burst_length: int = 3
    burst_window: tuple[int, int] = (10, 200)  # bursts start at request numbers in [a, b)
    retry_after_date_seconds: int = 2
    only_paths: tuple[str, ...] = ()  # e.g. ("/weibo/statuses/extend",): fault only these routes (prefixes)
    hostile: str = ""  # a HOSTILE answer given on every timeline page (clean or not), e.g. "endless_cursor"

    def __post_init__(self) -> None:
        unknown = set(self.rates) - set(RATE_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {', '.join(RATE_KINDS)}")
        if sum(self.rates.values()) > 1 or any(rate < 0 for rate in self.rates.values()):
            raise ValueError("fault rates must be >= 0 and sum to at most 1")
        if self.hostile and self.hostile not in HOSTILE:
            raise ValueError(f"unknown hostile answer {self.hostile!r}; known: {', '.join(HOSTILE)}")


PROFILES: dict[str, FaultProfile] = {
    "default": FaultProfile(),
    # Twice the default rates: a bad day on hotel Wi-Fi behind a flaky proxy.
    "heavy": FaultProfile("heavy", {kind: 2 * rate for kind, rate in FaultProfile().rates.items()}, burst_count=4),
    # Transport failures only: what DOWNLOAD_TIMEOUT and Scrapy's RetryMiddleware must absorb.
    "network": FaultProfile("network", {"drop": 0.04, "slow": 0.03, "truncated_close": 0.02}, burst_count=0),
    # Throttling only: 429 in both Retry-After forms and 418/432 bursts.
    "throttle": FaultProfile("throttle", {"retry_after_seconds": 0.03, "retry_after_date": 0.03}, burst_count=3),
    "none": FaultProfile("none", {}, burst_count=0),
}


def load_profile(text: str) -> FaultProfile:
    """A named profile, or a JSON object of FaultProfile fields on top of the default (e.g. '{"rates": {...}}')."""
    if text in PROFILES:
        return PROFILES[text]
    try:
        fields = json.loads(text)
    except ValueError as error:
        raise ValueError(f"fault profile must be one of {', '.join(PROFILES)} or a JSON object: {error}") from None
    if not isinstance(fields, dict):
        raise ValueError("a JSON fault profile must be an object of FaultProfile fields")
    for name in ("burst_window", "only_paths"):
        if name in fields:
            fields[name] = tuple(fields[name])
    return replace(FaultProfile(name="custom"), **fields)


@dataclass(frozen=True)
class Fault:
    """What to do to one response. `status` for HTTP faults, `delay` before answering, `keep` = share of
    the body sent (truncation), `variant` picks the garbage body, `retry_after` is the 429's wait."""

    kind: str
    status: int = 0
    delay: float = 0.0
    keep: float = 1.0
    variant: int = 0
    retry_after: int = 0  # seconds the 429 asks to wait


class FaultInjector:
    """Numbers platform requests and decides each one's fault; counts what it injected. Thread-safe."""

    def __init__(self, seed: int, profile: FaultProfile | None = None) -> None:
        self.seed = seed
        self.profile = profile or PROFILES["default"]
        self.bursts = self._plan_bursts()
        self._lock = threading.Lock()
        self._requests = 0
        self._counts: Counter[str] = Counter()
        self._spoiled: set[str] = set()  # post ids a hostile answer served with a date out of range

    def _plan_bursts(self) -> list[tuple[int, int]]:
        """(first request number, status) of each burst; bursts never overlap."""
        profile = self.profile
        rng = random.Random(f"{self.seed}:bursts")
        low, high = profile.burst_window
        starts: list[int] = []
        for _ in range(profile.burst_count * 50):
            if len(starts) == profile.burst_count:
                break
            start = rng.randrange(low, max(low + 1, high))
            if all(abs(start - other) >= profile.burst_length + 1 for other in starts):
                starts.append(start)
        return [(start, BAN_CODES[i % len(BAN_CODES)]) for i, start in enumerate(sorted(starts))]

    def applies(self, path: str) -> bool:
        """Platform API requests only (robots.txt and the fault counter are always served clean), and
        only the profile's `only_paths` when it names some."""
        route = path.split("?", 1)[0]
        return route.startswith(platform_prefixes()) and route.startswith(self.profile.only_paths or ("/",))

    def draw(self, path: str) -> Fault | None:
        """Number this request and return its fault (None = serve it clean)."""
        if not self.applies(path):
            return None
        with self._lock:
            self._requests += 1
            number = self._requests
        fault = self.fault_for(number)
        if fault is not None:
            with self._lock:
                self._counts[fault.kind] += 1
        return fault

    def fault_for(self, number: int) -> Fault | None:
        """The fault of request `number` (1-based): a pure function of seed, profile and number."""
        for start, status in self.bursts:
            if start <= number < start + self.profile.burst_length:
                return Fault(f"ban_{status}", status=status)
        rng = random.Random(f"{self.seed}:{number}")
        roll = rng.random()
        for kind in RATE_KINDS:
            roll -= self.profile.rates.get(kind, 0.0)
            if roll < 0:
                return self._shape(kind, rng)
        return None

    def _shape(self, kind: str, rng: random.Random) -> Fault:
        if kind == "http_5xx":
            return Fault(kind, status=rng.choice((500, 502, 503)))
        if kind == "slow":
            return Fault(kind, delay=self.profile.slow_seconds)
        if kind in ("truncated_close", "truncated_cut"):
            return Fault(kind, keep=rng.uniform(0.05, 0.95))
        if kind == "malformed":
            return Fault(kind, status=200, variant=rng.randrange(len(GARBAGE)))
        if kind == "retry_after_seconds":
            return Fault(kind, status=429, retry_after=1)
        if kind == "retry_after_date":
            return Fault(kind, status=429, retry_after=self.profile.retry_after_date_seconds)
        return Fault(kind)

    def rewrite(self, path: str, reply: Reply, render: Any) -> Reply:
        """The profile's hostile answer to `path` (see `hostile_reply`), or `reply` as it is."""
        if not self.profile.hostile:
            return reply
        answer = hostile_reply(self.profile.hostile, path, reply, render, self._spoiled)
        if answer is not reply:
            with self._lock:
                self._counts[f"hostile_{self.profile.hostile}"] += 1
        return answer

    def snapshot(self) -> dict[str, Any]:
        """What `/__faults` serves: seed, profile, requests numbered so far and faults injected per kind."""
        with self._lock:
            counts = dict(sorted(self._counts.items()))
            requests = self._requests
        return {"seed": self.seed, "profile": asdict(self.profile), "requests": requests,
                "faults": counts, "total_faults": sum(counts.values()), "spoiled": sorted(self._spoiled),
                "bursts": [{"first_request": start, "status": status, "length": self.profile.burst_length}
                           for start, status in self.bursts]}


def faulty_reply(reply: Reply, fault: Fault, now: float) -> tuple[Reply, int | None]:
    """(the reply to write, how many body bytes to write before closing the connection; None = all).

    `drop` and `slow` are handled by the server itself (no reply / a sleep before the real reply)."""
    if fault.kind.startswith("ban_"):
        return Reply(fault.status, b"", HTML_TYPE), None
    if fault.kind == "http_5xx":
        body = dump_json({"error": "ServerError", "message": f"injected {fault.status}"})
        return Reply(fault.status, PROXY_PAGE if fault.status == 502 else body,
                     HTML_TYPE if fault.status == 502 else JSON_TYPE), None
    if fault.kind.startswith("retry_after"):
        # The date form has whole seconds: round up so the wait is never shorter than asked.
        value = str(fault.retry_after) if fault.kind == "retry_after_seconds" else formatdate(
            math.ceil(now) + fault.retry_after, usegmt=True)
        return Reply(429, THROTTLED_BODY, JSON_TYPE, (("Retry-After", value),)), None
    if fault.kind == "malformed":
        body, content_type = GARBAGE[fault.variant]
        return Reply(200, body, content_type), None
    if fault.kind == "truncated_cut":
        return Reply(reply.status, reply.body[: int(len(reply.body) * fault.keep)], reply.content_type,
                     reply.headers), None
    if fault.kind == "truncated_close":
        return reply, int(len(reply.body) * fault.keep)
    return reply, None


# ------------------------------------------------------------------------------------------ hostile answers
#
# Not transport faults but answers a broken or hostile server gives with a normal 200, applied to every
# timeline page (`--hostile NAME`, or `FaultInjector(..., hostile=NAME)`); what the crawler must do with each
# is in docs/reliability.md. A crawl of any of them must end with every account complete (every served
# in-period post stored, none twice, no foreign post) or not `ok`, with a reason.

HOSTILE = {
    "date_9999": "the newest post of every page dated 9999-12-31T23:30:00-05:00 (and, on Mastodon, "
                 "X-RateLimit-Reset too)",
    "endless_cursor": "every next page repeats the first page's posts under an ever-new cursor "
                      "(Weibo page=N, Mastodon max_id-1, Bluesky a new cursor)",
    "stuck_cursor": "the next-page cursor of page 2 is the one that asked for it (Weibo since_id, Bluesky cursor, "
                    "Mastodon max_id)",
    "foreign_uri": "Mastodon: every other status's uri and url on another instance (evil.example)",
    "huge_count": "the newest post of every page has 10**30 likes",
    "surrogate": "the newest post of every page has a lone surrogate (\\ud800) in its text",
}


@cache
def platform_prefixes() -> tuple[str, ...]:
    """The sample server's platform routes ("/weibo/", ...): one per registered platform."""
    from benchmark.platforms import names

    return tuple(f"/{name}/" for name in names())


@cache
def hostile_profiles() -> dict[str, ModuleType]:
    """platform -> its fault profile (benchmark/platforms/<name>/faults.py): which path is a timeline page,
    where its cursor and newest post are, how a post is spoiled. Imported on first use (they import this)."""
    from benchmark.platforms import all_specs

    return {spec.name: importlib.import_module(spec.module("faults")) for spec in all_specs()}


def timeline_platform(path: str) -> str | None:
    """The platform whose timeline page `path` asks for (pinned-only Mastodon pages excluded), else None."""
    for platform, profile in hostile_profiles().items():
        prefix, marker = profile.TIMELINE
        if path.startswith(f"/{platform}{prefix}") and marker in path and "pinned=true" not in path:
            return platform
    return None


def hostile_reply(name: str, path: str, reply: Reply, render: Any, spoiled: set[str] | None = None) -> Reply:
    """`reply` to timeline page `path` as the hostile server `name` answers it; `render(path)` gives the clean
    reply of another path (the first page, for the endless cursor). The ids of posts served with a changed date
    are added to `spoiled` (they are no longer served as posts of the period)."""
    platform = timeline_platform(path)
    if platform is None or reply.status != 200:
        return reply
    profile = hostile_profiles()[platform]
    if hasattr(profile, "hostile_page"):  # an HTML timeline (Telegram): the profile rewrites the page itself
        return profile.hostile_page(name, reply)
    try:
        payload = json.loads(reply.body)
    except ValueError:
        return reply
    query = path.partition("?")[2]
    later_page = any(f"{key}=" in query for key in profile.CURSOR_PARAMS)
    if name in ("endless_cursor", "stuck_cursor") and not later_page:
        return reply  # the first page is served as it is; the next ones misbehave
    headers = list(reply.headers)
    if name in ("endless_cursor", "stuck_cursor") and later_page:
        first_path = re.sub(rf"&({'|'.join(profile.CURSOR_PARAMS)})=[^&]*", "", path)
        if name == "endless_cursor":
            payload, headers = json.loads(render(first_path).body), list(render(first_path).headers)
        payload, headers = profile.next_cursor(name, payload, headers, query)
    posts = profile.newest_posts(payload)
    if posts:
        profile.spoil(name, posts[0], headers)
        if name == "date_9999" and spoiled is not None:
            spoiled.add(str(posts[0].get("uri") or posts[0].get("mid") or posts[0].get("id")))
    payload = profile.rewrite_page(name, payload) if hasattr(profile, "rewrite_page") else payload
    # ASCII-escaped JSON: a lone surrogate stays a valid \\ud800 escape on the wire.
    return replace(reply, body=json.dumps(payload, separators=(",", ":")).encode(), headers=tuple(headers))
