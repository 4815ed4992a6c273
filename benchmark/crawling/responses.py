"""How a spider reads an answer: HTTP status, JSON body, a parser's problem status, network errors.

`ResponsesMixin` is one part of `benchmark.spider.BenchmarkSpider`; platform spiders extend its failure table
(`http_failures`, from their spec) and its two hooks (`redirect_problem`, `problem_reason`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import orjson
import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CannotResolveHostError
from twisted.internet.error import DNSLookupError

from benchmark.crawling.reasons import CANNOT_REACH, reason_words
from benchmark.i18n import N_, Message
from benchmark.middlewares import failure_reason

if TYPE_CHECKING:
    from scrapy.http import Response
    from twisted.python.failure import Failure

logger = logging.getLogger("benchmark.spider")

# orjson reads an integer beyond 64 bits as a float where json keeps it exact: a body that may hold one (a
# run of 19 digits or more, -2**63 has 19, right after ':', '[' or ',') goes to json. One C pass maps every
# digit to '0' and those three to ':', and drops whitespace and '-', so the test is a substring search (a long
# digit run inside a string can only send a body to json needlessly). Everything else orjson refuses (NaN,
# 1e400, lone surrogates, a BOM, bytes that are not UTF-8) goes to json too: the result is always
# json.loads(response.text)'s.
_DIGITS_TABLE = bytes(ord("0") if chr(c).isdigit() and c < 128 else ord(":") if chr(c) in ":[," else c
                      for c in range(256))
_LONG_NUMBER = b":" + b"0" * 19
_UTF8 = ("utf-8", "utf8")


def may_hold_long_integer(body: bytes) -> bool:
    """True when the JSON `body` may hold an integer of 19 digits or more (then json.loads reads it)."""
    return (b":" + body).translate(_DIGITS_TABLE, b" \t\r\n-").find(_LONG_NUMBER) >= 0


class ResponsesMixin:
    """Response classification: every answer that is not a readable page records why, or retries."""

    def load_json(self, response: Response) -> Any:
        """The JSON body, or None when the body is not JSON (HTML login page, truncated body).

        orjson reads UTF-8 bodies straight from their bytes (json.loads was 11 % of a crawl's CPU, issue #19);
        json.loads(response.text) reads the rest, with exactly the same results (see may_hold_long_integer)."""
        try:
            body = response.body
            if response.encoding in _UTF8 and not may_hold_long_integer(body):
                try:
                    return orjson.loads(body)
                except orjson.JSONDecodeError:
                    pass
            return json.loads(response.text)
        except (ValueError, AttributeError):
            return None

    # -- response classification (platform spiders extend the table and the two hooks) -----------------
    # HTTP statuses that end an account's crawl, with the reason the user sees ({status} is filled in; N_
    # marks it for the catalogs, it is translated where shown). Any other status that is not 200 is a broken
    # page: retried, then the account is partial.
    http_failures: ClassVar[dict[int, tuple[str, str]]] = {
        429: ("blocked", N_("HTTP {status}: rate limited beyond RETRY_AFTER_MAX")),
    }

    def redirect_problem(self, location: str) -> tuple[str, str]:
        """Redirects are never followed (login walls start with one): the status and reason they give."""
        return "partial", Message("unexpected redirect to {location}", location=location)

    def checked_status(self, response: Response) -> Iterator[Any]:
        """True for a 200 page; otherwise records why not (yielding a retry where one may help), then False.

        Used as `ok = yield from self.checked_status(response)`.
        """
        account_id = response.meta["account_id"]
        status = response.status
        self.tracker.answered(self.platform, account_id)
        if status == 200:
            return True
        if 300 <= status < 400:
            location = response.headers.get(b"Location", b"").decode("latin-1")
            self.tracker.fail(self.platform, account_id, *self.redirect_problem(location))
        elif status in self.http_failures:
            state, message = self.http_failures[status]
            self.tracker.fail(self.platform, account_id, state, Message(message, status=status))
        else:
            yield from self.retry_or_fail(response, f"http_{status}")
        return False

    def checked_payload(self, response: Response) -> Iterator[Any]:
        """The JSON payload of a 200 page, or None after recording why there is none.

        Used as `data = yield from self.checked_payload(response)`.
        """
        if not (yield from self.checked_status(response)):
            return None
        data = self.load_json(response)
        if data is None:
            yield from self.unreadable_payload(response)
        return data

    def page_problem(self, response: Response, status: str, message: str) -> Iterator[Any]:
        """A parsed answer that says the account cannot be read on (a ProfileResult's or FeedPage's status).

        "malformed" on a 200 is a broken page: retried, then the account is partial. "malformed" on an error
        answer (an error the parser does not know, e.g. a Bluesky XRPC error) is partial at once: asking again
        gives the same answer. Any other status ends the account with it (`problem_reason` words it)."""
        account_id = response.meta["account_id"]
        if status == "malformed":
            if response.status == 200:
                yield from self.retry_or_fail(response, "malformed_payload")
            else:
                self.tracker.fail(self.platform, account_id, "partial",
                                  Message("HTTP {status}: {reason}", status=response.status, reason=message))
            return
        self.tracker.fail(self.platform, account_id, status, self.problem_reason(status, message))

    def problem_reason(self, status: str, message: str) -> str:
        """The reason an account ends with `status` (a platform may add its hint, e.g. Weibo's cookie)."""
        return message

    def unreadable_payload(self, response: Response) -> Iterator[Any]:
        """A 200 whose body is not JSON (cut or garbled): a broken page."""
        yield from self.retry_or_fail(response, "malformed_json")

    def retry_or_fail(self, response: Response, reason: str) -> Iterable[scrapy.Request]:
        """A broken page (malformed or truncated body): retry through Scrapy's retry logic, then give up
        on the rest of that account's timeline and mark it partial. Never crashes the crawl."""
        account_id = response.meta["account_id"]
        self.crawler.stats.inc_value(f"pages/broken/{reason}")
        retry = get_retry_request(response.request, spider=self, reason=reason)
        if retry is not None:
            yield retry
            return
        logger.warning("%s %s: giving up on a broken page (%s): %s", self.platform, account_id, reason,
                       response.url)
        self.tracker.fail(self.platform, account_id, "partial",
                          Message("broken page ({reason})", reason=reason_words(reason)))

    def on_error(self, failure: Failure) -> None:
        """Network errors after Scrapy's retries: the account is partial (failed if nothing at all was
        fetched for it), the crawl goes on."""
        request = failure.request  # type: ignore[attr-defined]
        account_id = request.meta.get("account_id", "?")
        reason = failure_reason(failure)
        self.crawler.stats.inc_value(f"pages/failed/{reason}")
        logger.warning("%s %s: request failed after retries (%s): %s", self.platform, account_id, reason,
                       request.url)
        if isinstance(failure.value, (DNSLookupError, CannotResolveHostError)):
            message = Message(CANNOT_REACH, host=urlsplit(request.url).hostname or request.url)
        else:
            message = Message("request failed: {reason}", reason=reason_words(reason))
        self.tracker.network_error(self.platform, account_id, message)
