"""`scrapy crawl mastodon`: accounts and statuses of the config's Mastodon accounts (`user@instance`).

Each account is read from its own home instance, `https://<instance>` (another instance only holds what
federated to it), unless MASTODON_BASE_URL points every account at one server (tests, demo).
Requests: `/api/v1/accounts/lookup?acct=user@instance` → `/api/v1/accounts/<id>/statuses?pinned=true`
(once) → `/api/v1/accounts/<id>/statuses?limit=40` following the Link header's rel="next" `max_id`; with the
optional comments crawl, `/api/v1/statuses/<status id>/context` for the first COMMENTS_MAX_POSTS posts of
each account (one request per post: the instance returns the replies in one answer).
Payload → items is `benchmark.platforms.mastodon.parser`; this module only routes and paces.

Pacing: instances allow 300 requests / 5 min per IP (and 300 paging requests / 15 min). Every answer
says how many are left (`X-RateLimit-Remaining`) and when the window resets (`X-RateLimit-Reset`); when
fewer than MASTODON_RATE_LIMIT_MIN_REMAINING (10) are left, that instance's download slot waits for the
reset instead of running into 429s. A 429 itself is handled by RetryAfterMiddleware.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

import scrapy
from scrapy.http import Response

from benchmark.comments import CommentsCrawl
from benchmark.config import AccountConfig
from benchmark.i18n import N_, Message
from benchmark.items import Post
from benchmark.middlewares import SlotPauser
from benchmark.parsers.common import parse_datetime
from benchmark.platforms.mastodon import SPEC, parser
from benchmark.spider import BenchmarkSpider

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

STATUSES_LIMIT = 40  # Mastodon's maximum page size
MIN_REMAINING = 10
FOREIGN_STATUSES = N_("{count} status(es) of another account or instance were dropped")
MAX_PAUSE = 15 * 60.0  # the longest window (paging throttle); a reset further away is a wrong clock


def rate_limit_wait(headers: Mapping[Any, Any], now: datetime, min_remaining: int = MIN_REMAINING) -> float | None:
    """Seconds to wait before the next request to this instance: 0.0 while enough requests are left,
    the time until `X-RateLimit-Reset` (1 s to 15 min) when fewer than `min_remaining` are; None when the
    answer carries no usable rate-limit headers."""
    remaining = _header(headers, "X-RateLimit-Remaining")
    if not remaining.isdigit():
        return None
    if int(remaining) >= min_remaining:
        return 0.0
    reset = parse_datetime(_header(headers, "X-RateLimit-Reset"))
    if reset is None:
        return None
    return min(MAX_PAUSE, max(1.0, (reset - now).total_seconds()))


def _header(headers: Mapping[Any, Any], name: str) -> str:
    value = headers.get(name)  # Scrapy's Headers are case-insensitive and give bytes
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return value.strip() if isinstance(value, str) else ""


def _older(max_id: str, previous: str | None) -> bool:
    """True when `max_id` pages further back than `previous` (ids are snowflake-like: compare as numbers)."""
    if previous is None:
        return True
    if max_id.isdigit() and previous.isdigit():
        return int(max_id) < int(previous)
    return max_id != previous


class MastodonSpider(CommentsCrawl, BenchmarkSpider):
    spec = SPEC  # name, platform, base URL and HTTP-failure table come from it

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner_hosts: dict[str, str] = {}  # account id → host of its `uri` in the lookup answer

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> MastodonSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.pauser = SlotPauser.of(crawler)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for account in self.pending_accounts():
            if "@" not in account.id:
                self.tracker.fail(self.platform, account.id, "not_found",
                                  Message("not a Mastodon address: expected user@instance"))
                continue
            yield self.lookup_request(account)

    # -- requests ------------------------------------------------------------------------------------
    def api(self, account: AccountConfig, path: str, params: dict[str, Any]) -> str:
        """An API URL on the account's home instance, or on MASTODON_BASE_URL when set. Paging URLs are
        always rebuilt here: absolute Link URLs could point at another host."""
        base = self.base_url or f"https://{account.id.rpartition('@')[2]}"
        return f"{base}{path}?{urlencode(params)}" if params else f"{base}{path}"

    def statuses_path(self, local_id: str) -> str:
        # The id comes from the server (digits on Mastodon, a ULID on GoToSocial): never let it change the path.
        return f"/api/v1/accounts/{quote(local_id, safe='')}/statuses"

    def lookup_request(self, account: AccountConfig) -> scrapy.Request:
        return scrapy.Request(self.api(account, "/api/v1/accounts/lookup", {"acct": account.id}),
                              callback=self.parse_account, errback=self.on_error,
                              meta=self.account_meta(account), dont_filter=True)

    def pinned_request(self, account: AccountConfig, local_id: str, locked: bool) -> scrapy.Request:
        return scrapy.Request(self.api(account, self.statuses_path(local_id), {"pinned": "true"}),
                              callback=self.parse_pinned, errback=self.pinned_failed,
                              meta=self.account_meta(account, local_id=local_id, locked=locked),
                              dont_filter=True)

    def statuses_request(self, account: AccountConfig, local_id: str, locked: bool, max_id: str | None = None,
                         page: int = 1) -> scrapy.Request:
        params: dict[str, Any] = {"limit": STATUSES_LIMIT}
        if max_id:
            params["max_id"] = max_id
        meta = self.account_meta(account, local_id=local_id, locked=locked, page=page, max_id=max_id)
        # The first page is fetched on every run (dont_filter), even with a persisted dupefilter.
        return scrapy.Request(self.api(account, self.statuses_path(local_id), params),
                              callback=self.parse_statuses, errback=self.on_error, meta=meta,
                              dont_filter=page == 1)

    # -- callbacks -----------------------------------------------------------------------------------
    def parse_account(self, response: Response) -> Iterator[Any]:
        account: AccountConfig = response.meta["account"]
        data = yield from self.paced_payload(response)
        if data is None:
            return
        item, status, message = parser.parse_account(data, account_id=account.id, crawled_at=self.crawled_at)
        if status != "ok" or item is None:
            yield from self.page_problem(response, status, message or Message("no account in the response"))
            return
        if data.get("noindex") is True and self.settings.getbool("MASTODON_RESPECT_NOINDEX", True):
            self.tracker.fail(self.platform, account.id, "opted_out",
                              Message("{account} opted out of indexing (noindex): its posts are not crawled",
                                      account=account.id))
            return
        # The account's own ActivityPub host (its LOCAL_DOMAIN), as its home instance names it.
        self.owner_hosts[account.id] = (urlsplit(str(data.get("uri") or "")).hostname or "").lower()
        if message:  # e.g. "moved to …": the data is still this account's, the report should say so
            self.tracker.get(self.platform, account.id).message = message
        yield item
        yield self.pinned_request(account, item.extra["id"], locked=bool(item.extra.get("locked")))

    def parse_pinned(self, response: Response) -> Iterator[Any]:
        """Pinned statuses once, before the timeline: an old pinned post is kept only if in the period, and
        its copy in the timeline is then recognised (the public API does not say `pinned`)."""
        account: AccountConfig = response.meta["account"]
        self.pace(response)
        data = self.load_json(response) if response.status == 200 else None
        page = parser.parse_statuses(data, account_id=account.id, crawled_at=self.crawled_at, pinned=True)
        if page.status in ("ok", "end"):
            self.count_dropped(account.id, page.dropped)
            kept = self.new_in_period(account.id, self.own_statuses(account, response.meta["local_id"], data,
                                                                    page.posts))
            self.tracker.page(self.platform, account.id, len(kept))
            yield from kept
            yield from self.context_requests(account, kept)
        else:
            self.crawler.stats.inc_value("mastodon/pinned_failed")
        yield self.statuses_request(account, response.meta["local_id"], response.meta["locked"])

    def pinned_failed(self, failure: Any) -> Iterator[scrapy.Request]:
        # Pinned posts are a bonus: the timeline is crawled without them.
        self.crawler.stats.inc_value("mastodon/pinned_failed")
        meta = failure.request.meta
        yield self.statuses_request(meta["account"], meta["local_id"], meta["locked"])

    def parse_statuses(self, response: Response) -> Iterator[Any]:
        account: AccountConfig = response.meta["account"]
        data = yield from self.paced_payload(response)
        if data is None:
            return
        page = parser.parse_statuses(data, account_id=account.id, crawled_at=self.crawled_at,
                                     link_header=response.headers.get(b"Link"))
        if page.status == "end" and response.meta.get("page", 1) == 1 and response.meta.get("locked"):
            self.tracker.fail(self.platform, account.id, "private",
                              Message("locked account: its posts are shown to approved followers only"))
        posts = None
        if page.status == "ok":
            pinned = self.seen.get(account.id, set())
            for post in page.posts:
                post.pinned = post.pinned or post.post_id in pinned
            posts = self.own_statuses(account, response.meta["local_id"], data, page.posts)
        # A next link that does not go back (max_id not older) would loop: the rest is missing.
        moved = bool(page.cursor) and _older(page.cursor, response.meta.get("max_id"))
        yield from self.feed_page(
            response, page, posts=posts, moved=moved,
            request_for=lambda cursor, n: self.statuses_request(account, response.meta["local_id"],
                                                                response.meta["locked"], max_id=cursor, page=n),
            emit=lambda kept: [*kept, *self.context_requests(account, kept)])

    def own_statuses(self, account: AccountConfig, local_id: str, data: Any, posts: list[Post]) -> list[Post]:
        """Only the statuses of the crawled account, from the instance that owns them: a status whose `uri`
        (or `url`) is on another host, or whose account is another one, is dropped, counted and makes the
        account partial. (Posts are keyed by `uri`: an instance could otherwise claim another's posts.)"""
        hosts_of = [account.id.rpartition("@")[2].lower(), self.owner_hosts.get(account.id, "")]
        if self.base_url:
            hosts_of.append((urlsplit(self.base_url).hostname or "").lower())
        hosts = {host for host in hosts_of if host}
        foreign: set[str] = set()
        for status in data if isinstance(data, list) else ():
            if not isinstance(status, dict):
                continue
            uri, url = status.get("uri"), status.get("url")
            owner = status.get("account") if isinstance(status.get("account"), dict) else {}
            links = [link for link in (uri, url) if isinstance(link, str) and link]
            if (str(owner.get("id", "")) != local_id
                    or any((urlsplit(link).hostname or "").lower() not in hosts for link in links)):
                foreign.add(uri if isinstance(uri, str) and uri else f"{hosts_of[0]}/{status.get('id')}")
        if not foreign:
            return posts
        kept = [post for post in posts if post.post_id not in foreign]
        dropped = len(posts) - len(kept)
        if dropped:
            self.crawler.stats.inc_value("mastodon/foreign_statuses", dropped)
            logger.warning("%s %s: dropped %d status(es) of another account or instance", self.platform,
                           account.id, dropped)
            self.tracker.fail(self.platform, account.id, "partial", Message(FOREIGN_STATUSES, count=dropped))
        return kept

    # -- optional comments crawl (-a comments=1 or CRAWL_COMMENTS; see benchmark/comments.py) --------------
    def context_requests(self, account: AccountConfig, posts: list[Post]) -> Iterator[scrapy.Request]:
        for post in posts:
            # The request needs the instance-local status id; post_id is the status URI.
            if post.extra.get("id") and self.wants_comments(account, post):
                yield self.context_request(account, post)

    def context_request(self, account: AccountConfig, post: Post) -> scrapy.Request:
        path = f"/api/v1/statuses/{quote(str(post.extra['id']), safe='')}/context"
        return scrapy.Request(self.api(account, path, {}), callback=self.parse_context,
                              errback=self.comments_request_failed, cb_kwargs={"post": post},
                              meta=self.account_meta(account))

    def parse_context(self, response: Response, post: Post) -> Iterator[Any]:
        self.pace(response)
        yield from self.comments_from(response, post, parser.context_status, parser.parse_context)

    # -- pacing ----------------------------------------------------------------------------------------
    def pace(self, response: Response) -> None:
        """Pause this instance's slot until its rate-limit window resets when few requests are left."""
        minimum = self.settings.getint("MASTODON_RATE_LIMIT_MIN_REMAINING", MIN_REMAINING)
        wait = rate_limit_wait(response.headers, datetime.now(UTC), minimum)
        if wait is None:
            return
        if wait == 0:  # the instance's rate-limit window has reset
            self.pauser.restore(response.request, force=True)
            return
        self.crawler.stats.inc_value("mastodon/rate_limit_pauses")
        logger.info("%s: %s requests left, pausing %.0f s until the rate-limit window resets",
                    response.url.split("/api/")[0], _header(response.headers, "X-RateLimit-Remaining"), wait)
        self.pauser.pause(response.request, wait)

    def paced_payload(self, response: Response) -> Iterator[Any]:
        """checked_payload, after pacing on the response's rate-limit headers (whatever the payload is).

        Used as `data = yield from self.paced_payload(response)`."""
        self.pace(response)
        return (yield from self.checked_payload(response))

    # -- response classification (mechanism: BenchmarkSpider.checked_payload; failure table: SPEC.http_failures) --
