"""Downloader middlewares every platform uses: secrets as headers, Retry-After for 429, prompt shutdown.

Scrapy retries 429 immediately and ignores Retry-After (scrapy/scrapy#3849). RetryAfterMiddleware pauses the
whole download slot (host) for the wait (SlotPauser, shared with Weibo's 418/432 back-off in
benchmark/platforms/weibo/middlewares.py), then re-schedules the request through Scrapy's own
`get_retry_request`, so retry stats and limits stay Scrapy's. When the retries run out, the response goes on
to the spider, which records the account as `blocked`.
"""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, NotConfigured

from benchmark.exceptions import StoppedBeforeSent

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)


def parse_retry_after(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date; None if absent or junk."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class SlotPauser:
    """Pauses one download slot (host) by raising its delay until a moment, then restores the delay.

    One pauser per crawler (`SlotPauser.of(crawler)`), shared by every middleware and spider that pauses:
    a 418 back-off during a 429 pause must not take the paused delay for the host's normal one. A response
    already in flight when the pause began does not end it: the delay is restored only after the moment the
    server asked for.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.saved_delays: dict[str, float] = {}  # slot key → the delay before the first pause
        # slot key → its jitter before the pause: RANDOMIZE_DOWNLOAD_DELAY would draw a paused delay from 0.5-1.5
        # times the wait, i.e. retry before the moment the server asked for.
        self.saved_jitters: dict[str, float] = {}
        self.paused_until: dict[str, float] = {}  # slot key → time.monotonic() when the pause ends

    @classmethod
    def of(cls, crawler: Crawler) -> SlotPauser:
        pauser = getattr(crawler, "_benchmark_slot_pauser", None)
        if pauser is None:
            pauser = cls(crawler)
            crawler._benchmark_slot_pauser = pauser  # type: ignore[attr-defined]
        return pauser

    def _slot(self, request: Request) -> tuple[str, Any] | None:
        engine = self.crawler.engine
        if engine is None:
            return None
        downloader = engine.downloader
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        return (key, slot) if slot is not None else None

    def pause(self, request: Request, seconds: float) -> None:
        found = self._slot(request)
        if found is None:
            return
        key, slot = found
        now = time.monotonic()
        self.saved_delays.setdefault(key, slot.delay)
        self.saved_jitters.setdefault(key, getattr(slot, "jitter", 0.0))
        slot.jitter = 0.0
        self.paused_until[key] = max(self.paused_until.get(key, 0.0), now + seconds)
        slot.delay = max(slot.delay, seconds)
        slot.lastseen = now

    def restore(self, request: Request, *, force: bool = False) -> None:
        """Back to the normal delay once the pause is over (`force`: the server said its window reset)."""
        if not self.saved_delays:
            return
        found = self._slot(request)
        if found is None:
            return
        key, slot = found
        if key in self.saved_delays and (force or time.monotonic() >= self.paused_until.get(key, 0.0)):
            slot.delay = self.saved_delays.pop(key)
            slot.jitter = self.saved_jitters.pop(key, getattr(slot, "jitter", 0.0))
            self.paused_until.pop(key, None)


class PausingRetryMiddleware:
    """What the back-off middlewares share: the crawler's SlotPauser, and a retry through Scrapy's own
    `get_retry_request`, so that retry stats and limits stay Scrapy's."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.pauser = SlotPauser.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)

    def retry_request(self, request: Request, reason: str, max_retry_times: int) -> Request | None:
        """The retry of `request`, or None when its retries are spent."""
        return get_retry_request(request, spider=self.crawler.spider, reason=reason, max_retry_times=max_retry_times)


class RetryAfterMiddleware(PausingRetryMiddleware):
    """HTTP 429 (and 503 with Retry-After): wait what the server asks (capped), then retry."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.max_wait = crawler.settings.getfloat("RETRY_AFTER_MAX", 300)
        self.retry_times = crawler.settings.getint("RETRY_TIMES", 4)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        if response.status < 400:
            self.pauser.restore(request)
            return response
        wait = parse_retry_after(response.headers.get(b"Retry-After"))
        if response.status != 429 and wait is None:
            return response
        wait = 1.0 if wait is None else wait
        stats = self.crawler.stats
        if wait > self.max_wait:
            stats.inc_value("retry_after/too_long")
            logger.warning("%s asks to wait %.0f s (more than RETRY_AFTER_MAX=%.0f): giving up on it",
                           request.url.split("?")[0], wait, self.max_wait)
            return response
        retry = self.retry_request(request, f"{response.status} retry-after", self.retry_times)
        if retry is None:
            return response
        stats.inc_value("retry_after/count")
        stats.inc_value("retry_after/seconds", int(wait))
        self.pauser.pause(request, wait)
        return retry


class SecretHeadersMiddleware:
    """Each platform's secrets (its spec's `secrets`: WEIBO_COOKIE today), each on requests to its own base URL
    only, for the time of the download only.

    Its place (DOWNLOADER_MIDDLEWARES 950) is why it works and why it never leaks:
    - after CookiesMiddleware (700), which replaces any `Cookie` header with its jar's cookies: set before it,
      the cookie never reached Weibo (issue 15). The jar's own cookies (those the site set) still go along;
      the secret's names win over theirs.
    - after HttpCacheMiddleware (900) and last before the download handler: on the way back, process_response
      and process_exception run here first and take the header off, so the request that the cache stores
      (`request_headers`), that RetryMiddleware or a spider copies into a retry, and that JOBDIR pickles into
      its queues, never holds the secret (issue 14 item 11).
    A secret never enters `request.meta`, spider attributes or logs; Scrapy logs URLs, not headers.
    """

    def __init__(self, secrets: list[tuple[str, str, str]]) -> None:
        # (header, value, prefix): the prefix is the base's scheme, host and path, "https://m.weibo.cn/" —
        # never weibo.com, never another platform.
        self.secrets = [(header, value, base.rstrip("/") + "/") for header, value, base in secrets]
        self.sent: dict[int, list[bytes]] = {}  # id() of the requests being downloaded with a secret -> headers

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SecretHeadersMiddleware:
        from benchmark.platforms import all_secrets

        secrets = []
        for secret in all_secrets():
            value = crawler.settings.get(secret.setting, "") or ""
            if secret.header.lower() == "cookie" and not cookie_pairs(value):
                continue
            if value.strip():
                secrets.append((secret.header, value, crawler.settings.get(secret.host_setting) or secret.host_default))
        if not secrets:
            raise NotConfigured
        return cls(secrets)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        for header, value, prefix in self.secrets:
            if request.url.startswith(prefix):
                self.sent.setdefault(id(request), []).append(header.encode("latin-1"))
                request.headers[header] = _with_jar(request, header, value)
        return None

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        self._take_back(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        self._take_back(request)
        return None

    def _take_back(self, request: Request) -> None:
        """The whole header goes: a Cookie's jar part may hold a login cookie Weibo renewed (Set-Cookie: SUB=…),
        and CookiesMiddleware writes the jar's cookies again on the next download of a copy anyway."""
        for header in self.sent.pop(id(request), ()):  # none: not sent by us (another host, or from the cache)
            request.headers.pop(header, None)


def _with_jar(request: Request, header: str, value: str) -> bytes:
    """A Cookie secret merged over the jar's cookies already on the request; any other header as it is."""
    if header.lower() != "cookie":
        return value.encode("utf-8")
    jar = request.headers.get(b"Cookie")
    pairs = {**cookie_pairs(jar.decode("latin-1") if jar else ""), **cookie_pairs(value)}
    return "; ".join(f"{name}={value}" for name, value in pairs.items()).encode("utf-8")


def cookie_pairs(header: str) -> dict[str, str]:
    """`SUB=…; SUBP=…` (a Cookie header or a pasted browser cookie) → {name: value}, in order; junk dropped."""
    pairs: dict[str, str] = {}
    for part in header.replace("\n", ";").replace("\r", ";").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name.strip():
            pairs[name.strip()] = value.strip()
    return pairs


def failure_reason(failure: Failure) -> str:
    """The reason code of a failed request: `too_large` for an answer cut off by DOWNLOAD_MAXSIZE, else the
    exception's class name.

    Scrapy says "too large" three ways: an announced size over the limit is a DownloadCancelledError naming the
    "max size"; a body that grows over it (no or a false Content-Length) is the handler cancelling its own
    download, a DownloadCancelledError without a message (nothing else cancels a download in these crawls:
    timeouts and StopDownload have their own exceptions); a body over it once inflated is
    HttpCompressionMiddleware's IgnoreRequest naming DOWNLOAD_MAXSIZE."""
    value = failure.value
    if isinstance(value, StoppedBeforeSent):
        return "shutdown"
    text = str(value)
    if isinstance(value, DownloadCancelledError) and (not text or "max size" in text):
        return "too_large"
    if isinstance(value, IgnoreRequest) and "DOWNLOAD_MAXSIZE" in text:
        return "too_large"
    return value.__class__.__name__


class PromptShutdown:
    """A first Ctrl-C (SIGINT/SIGTERM) stops the crawl within seconds, and nothing is sent after it.

    Scrapy's graceful stop waits for every request the downloader holds, including those its slots hold back
    for a delay: a request paused by a 418 back-off (30–120 s) or a Retry-After kept the crawl alive that long,
    and was then sent (issue 14 item 15). At the first signal, before Scrapy's own handler starts its graceful
    stop, this drops the requests that are waiting in a slot and not yet sent: each goes back to the scheduler
    (with JOBDIR, the resumed crawl sends it; its Cookie header removed first) and its download fails with
    StoppedBeforeSent, which the spider records as "stopped by Ctrl-C". Answers in transfer finish as before,
    the pipelines write what was fetched. A second signal still kills at once (Scrapy's handler).

    Off for scale-out workers (BENCHMARK_SCHEDULER): their open requests are counted per account in Redis and
    finished by other workers (docs/scale-out.md), a bookkeeping this must not cut short.
    """

    SIGNALS = ("SIGINT", "SIGTERM")

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PromptShutdown:
        from scrapy import signals

        if crawler.settings.get("BENCHMARK_SCHEDULER"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        return extension

    def engine_started(self) -> None:
        from twisted.internet import reactor

        # Scrapy installs its shutdown handlers when the process starts running; wrap them once it runs.
        reactor.callLater(0, self.wrap_handlers)  # type: ignore[attr-defined]

    def wrap_handlers(self) -> None:
        import signal as signals_module

        for name in self.SIGNALS:
            number = getattr(signals_module, name, None)
            if number is None:
                continue
            previous = signals_module.getsignal(number)
            if not callable(previous):
                continue  # not Scrapy's handler (tests, embedding): leave the process's choice alone

            def handler(signum: int, frame: Any, previous: Any = previous) -> None:
                from twisted.internet import reactor

                reactor.callFromThread(self.drop_waiting)  # type: ignore[attr-defined]
                previous(signum, frame)

            signals_module.signal(number, handler)

    def drop_waiting(self) -> None:
        engine = self.crawler.engine
        if self.stopping or engine is None:
            return
        self.stopping = True
        scheduler = getattr(getattr(engine, "_slot", None), "scheduler", None)
        dropped = 0
        from benchmark.platforms import all_secrets

        # A waiting request already holds its secret headers (SecretHeadersMiddleware ran): none is re-queued.
        secret = {b"cookie", *(s.header.lower().encode("latin-1") for s in all_secrets())}
        for slot in list(engine.downloader.slots.values()):
            later = getattr(slot, "latercall", None)
            if later is not None:
                later.cancel()
                slot.latercall = None
            while slot.queue:
                request, waiting = slot.queue.popleft()
                if scheduler is not None:
                    headers = {name: values for name, values in request.headers.items() if name.lower() not in secret}
                    scheduler.enqueue_request(request.replace(headers=headers, dont_filter=True))
                waiting.errback(StoppedBeforeSent(request.url.split("?")[0]))
                dropped += 1
        if dropped:
            self.crawler.stats.inc_value("shutdown/requests_not_sent", dropped)
            logger.info("Stopping: %d request(s) waiting for a delay or back-off were not sent", dropped)
