"""`scrapy crawl telegram`: public channel previews of the config's Telegram channels.

Requests: `/s/<channel>` (channel header + newest ~20 messages) → `/s/<channel>?before=<smallest id>` for
older pages. A channel without a public preview is redirected to `/<channel>`; redirects are not followed
blindly: the spider reads the plain `/<channel>` page itself to say why (private channel, group, nothing).
Payload → items is `benchmark.platforms.telegram.parser`; this module only routes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.http import Response

from benchmark.config import AccountConfig
from benchmark.i18n import Message
from benchmark.platforms.telegram import SPEC, parser
from benchmark.spider import BenchmarkSpider


class TelegramSpider(BenchmarkSpider):
    spec = SPEC  # name, platform, base URL and HTTP-failure table come from it

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for account in self.pending_accounts():
            yield self.page_request(account)

    # -- requests ------------------------------------------------------------------------------------
    def page_request(self, account: AccountConfig, before: str | None = None, page: int = 1) -> scrapy.Request:
        query = f"?{urlencode({'before': before})}" if before else ""
        # The first page is fetched on every run (dont_filter), even with a persisted dupefilter.
        return scrapy.Request(self.url(f"/s/{account.id}{query}"), callback=self.parse_page,
                              errback=self.on_error, meta=self.account_meta(account, page=page, before=before),
                              dont_filter=page == 1)

    def plain_page_request(self, account: AccountConfig) -> scrapy.Request:
        return scrapy.Request(self.url(f"/{account.id}"), callback=self.parse_plain_page,
                              errback=self.plain_page_failed, meta=self.account_meta(account),
                              dont_filter=True)

    # -- callbacks -----------------------------------------------------------------------------------
    def parse_page(self, response: Response) -> Iterator[Any]:
        account: AccountConfig = response.meta["account"]
        number = response.meta.get("page", 1)
        if 300 <= response.status < 400:
            yield from self.redirected(response, account, number)
            return
        if not (yield from self.checked_status(response)):
            return
        parsed = yield from self.channel_page(response, account)
        if parsed is None:
            return
        item, page = parsed
        if item is not None and number == 1:
            yield item
        # A page that does not go back in time (?before= not smaller) would loop: the older posts are missing.
        before = response.meta.get("before")
        moved = bool(page.cursor) and not (before and page.cursor.isdigit() and before.isdigit()
                                           and int(page.cursor) >= int(before))
        yield from self.feed_page(response, page, moved=moved,
                                  request_for=lambda cursor, n: self.page_request(account, before=cursor, page=n))

    def channel_page(self, response: Response, account: AccountConfig) -> Generator[Any, None, Any]:
        """The page parsed as (channel item, FeedPage), or None once a malformed page was retried (then partial).

        Used as `parsed = yield from self.channel_page(response, account)` by both page callbacks."""
        item, page = parser.parse_channel_page(response.body, channel=account.id, crawled_at=self.crawled_at,
                                               url=response.url)
        if page.status == "malformed":
            yield from self.retry_or_fail(response, "malformed_page")
            return None
        return item, page

    def redirected(self, response: Response, account: AccountConfig, number: int) -> Iterator[Any]:
        """t.me sends channels without a preview from /s/<name> to /<name>: read that page to say why.
        Any other redirect (or one on a later page) is not followed."""
        location = response.headers.get(b"Location", b"").decode("latin-1")
        target = urlsplit(location).path.rstrip("/").rpartition("/")[2]
        if number == 1 and target.lower() == account.id.lower():
            yield self.plain_page_request(account)
            return
        self.tracker.fail(self.platform, account.id, "partial",
                          Message("unexpected redirect to {location}", location=location))

    def parse_plain_page(self, response: Response) -> Iterator[Any]:
        account: AccountConfig = response.meta["account"]
        if response.status != 200:
            self.tracker.fail(self.platform, account.id, "not_found",
                              Message("no public preview (/s/{channel} redirects) and /{channel} answered "
                                      "HTTP {status}", channel=account.id, status=response.status))
            return
        parsed = yield from self.channel_page(response, account)
        if parsed is None:
            return
        item, page = parsed
        if item is not None:
            yield item  # a private channel still shows its subscriber count
        if page.status in ("not_found", "private"):
            self.tracker.fail(self.platform, account.id, page.status, page.message)
        else:
            self.tracker.fail(self.platform, account.id, "private",
                              Message("no public preview: /s/{channel} redirects to /{channel}", channel=account.id))

    def plain_page_failed(self, failure: Any) -> None:
        account_id = failure.request.meta["account_id"]
        self.tracker.fail(self.platform, account_id, "not_found",
                          Message("no public preview (/s/{channel} redirects); /{channel} could not be read",
                                  channel=account_id))

    # -- response classification (mechanism: BenchmarkSpider.checked_status; failure table: SPEC.http_failures) --
