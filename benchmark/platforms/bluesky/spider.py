"""`scrapy crawl bluesky`: profiles and author feeds of the config's Bluesky accounts, from the public AppView.

Requests: `app.bsky.actor.getProfile?actor=<handle|did>` → `app.bsky.feed.getAuthorFeed?actor=<did>&limit=100
&includePins=true` following `cursor` → `app.bsky.actor.getProfiles?actors=…` (≤ 25 per call) for the
authors of reposted and quoted posts, whose follower counts the feed does not carry. A page's posts are
held until their authors are known (or the lookup failed) so every stored repost has them when it can.
With the optional comments crawl, `app.bsky.feed.getPostThread?uri=<post>&depth=6&parentHeight=0` for the first
COMMENTS_MAX_POSTS posts of each account (one request per post: the replies come as one tree).
Payload → items is `benchmark.platforms.bluesky.parser`; this module only routes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from benchmark.comments import CommentsCrawl
from benchmark.config import AccountConfig
from benchmark.i18n import Message
from benchmark.items import Post
from benchmark.platforms.bluesky import SPEC, parser
from benchmark.spider import BenchmarkSpider

logger = logging.getLogger(__name__)

FEED_LIMIT = 100  # the lexicon's maximum page size
PROFILES_BATCH = 25  # getProfiles accepts at most 25 actors
THREAD_DEPTH = 6  # getPostThread's default: replies to replies, deep enough for the account's answers


@dataclass
class HeldPage:
    """Posts of one feed page waiting for their reposted/quoted authors' profiles."""

    posts: list[Post]
    batches: list[list[str]]  # getProfiles batches still to ask, after the one in flight


class BlueskySpider(CommentsCrawl, BenchmarkSpider):
    spec = SPEC  # name, platform, base URL and HTTP-failure table come from it
    # Bluesky allows 3,000 unauthenticated requests / 5 min per IP; ~2 requests/s stays far below it.
    custom_settings: ClassVar[dict[str, Any]] = {"DOWNLOAD_DELAY": 0.5, "AUTOTHROTTLE_START_DELAY": 0.5}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known_authors: dict[str, dict] = {}  # DID → parse_profiles info; {} when the AppView does not know it

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for account in self.pending_accounts():
            yield self.profile_request(account)

    # -- requests ------------------------------------------------------------------------------------
    def xrpc(self, method: str, params: dict[str, Any]) -> str:
        return self.url(f"/xrpc/{method}?{urlencode(params, doseq=True)}")

    def profile_request(self, account: AccountConfig) -> scrapy.Request:
        return scrapy.Request(self.xrpc("app.bsky.actor.getProfile", {"actor": account.id}),
                              callback=self.parse_profile, errback=self.on_error,
                              meta=self.account_meta(account), dont_filter=True)

    def feed_request(self, account: AccountConfig, owner_did: str | None, pinned_uri: str | None,
                     cursor: str | None = None, page: int = 1) -> scrapy.Request:
        params = {"actor": owner_did or account.id, "limit": FEED_LIMIT, "includePins": "true"}
        if cursor:
            params["cursor"] = cursor
        meta = self.account_meta(account, page=page, cursor=cursor, owner_did=owner_did, pinned_uri=pinned_uri)
        # The first page is fetched on every run (dont_filter), even with a persisted dupefilter.
        return scrapy.Request(self.xrpc("app.bsky.feed.getAuthorFeed", params), callback=self.parse_feed,
                              errback=self.on_error, meta=meta, dont_filter=page == 1)

    def profiles_request(self, account: AccountConfig, dids: list[str], held: HeldPage) -> scrapy.Request:
        # dont_filter: a dropped duplicate would never release the held posts.
        return scrapy.Request(self.xrpc("app.bsky.actor.getProfiles", {"actors": dids}),
                              callback=self.parse_ref_authors, errback=self.ref_authors_failed,
                              cb_kwargs={"held": held, "dids": dids},
                              meta=self.account_meta(account), dont_filter=True)

    # -- callbacks -----------------------------------------------------------------------------------
    def parse_profile(self, response: Response) -> Iterator[Any]:
        account: AccountConfig = response.meta["account"]
        data = yield from self.checked_payload(response)
        if data is None:
            return
        profile, status, message = parser.parse_profile(data, crawled_at=self.crawled_at, account_id=account.id)
        if status == "opted_out":
            # The author asked logged-out tools not to show their content: neither profile nor posts are kept.
            self.tracker.fail(self.platform, account.id, "opted_out",
                              Message("{reason}: its posts are not crawled", reason=message))
            return
        if status != "ok" or profile is None:
            yield from self.page_problem(response, status, message or Message("no profile in the response"))
            return
        yield profile
        yield self.feed_request(account, profile.extra.get("did"), profile.extra.get("pinned_post_uri"))

    def parse_feed(self, response: Response) -> Iterator[Any]:
        account: AccountConfig = response.meta["account"]
        data = yield from self.checked_payload(response)
        if data is None:
            return
        owner_did, pinned_uri = response.meta.get("owner_did"), response.meta.get("pinned_uri")
        page = parser.parse_author_feed(data, account_id=account.id, crawled_at=self.crawled_at,
                                        owner_did=owner_did, pinned_uri=pinned_uri)

        def emit(kept: list[Post]) -> Iterator[Any]:
            yield from self.with_ref_authors(account, kept)
            yield from (self.thread_request(account, post) for post in kept if self.wants_comments(account, post))

        if parser.is_last_page(data, FEED_LIMIT):
            page.cursor = None  # a page shorter than asked is the last one, whatever its cursor says
        yield from self.feed_page(
            response, page, emit=emit,
            request_for=lambda cursor, n: self.feed_request(account, owner_did, pinned_uri, cursor, n))

    # -- optional comments crawl (-a comments=1 or CRAWL_COMMENTS; see benchmark/comments.py) --------------
    def thread_request(self, account: AccountConfig, post: Post) -> scrapy.Request:
        params = {"uri": post.post_id, "depth": THREAD_DEPTH, "parentHeight": 0}
        return scrapy.Request(self.xrpc("app.bsky.feed.getPostThread", params), callback=self.parse_thread,
                              errback=self.comments_request_failed, cb_kwargs={"post": post},
                              meta=self.account_meta(account))

    def parse_thread(self, response: Response, post: Post) -> Iterator[Any]:
        yield from self.comments_from(response, post, parser.thread_status, parser.parse_thread)

    # -- reposted / quoted authors ---------------------------------------------------------------------
    def with_ref_authors(self, account: AccountConfig, posts: list[Post]) -> Iterator[Any]:
        """The posts now when every ref author is known; else getProfiles requests that release them."""
        missing = list(dict.fromkeys(
            post.ref_author_id for post in posts
            if post.ref_author_id and post.ref_author_id.startswith("did:")
            and post.ref_author_id not in self.known_authors
        ))
        if not missing:
            parser.apply_ref_authors(posts, self.known_authors)
            yield from posts
            return
        # One batch at a time, the held posts travelling with the request: the state survives a request
        # queue that copies requests (JOBDIR, the Redis scheduler), where a shared counter would not.
        batches = [missing[i:i + PROFILES_BATCH] for i in range(0, len(missing), PROFILES_BATCH)]
        yield self.profiles_request(account, batches[0], HeldPage(posts, batches=batches[1:]))

    def parse_ref_authors(self, response: Response, held: HeldPage, dids: list[str]) -> Iterator[Post]:
        data = self.load_json(response) if response.status == 200 else None
        if data is None:
            self.crawler.stats.inc_value("bluesky/ref_authors_failed")
        else:
            found = parser.parse_profiles(data)
            # Deleted or suspended authors are not returned: remember them as unknown, not to ask again.
            self.known_authors.update({did: found.get(did, {}) for did in dids})
            self.known_authors.update(found)
        yield from self.release(response.meta["account"], held)

    def ref_authors_failed(self, failure: Any) -> Iterator[Any]:
        # Never lose posts: without the lookup they are stored with unknown ref authors.
        self.crawler.stats.inc_value("bluesky/ref_authors_failed")
        yield from self.release(failure.request.meta["account"], failure.request.cb_kwargs["held"])

    def release(self, account: AccountConfig, held: HeldPage) -> Iterator[Any]:
        """The next batch's request, or the posts once every batch has answered (or failed)."""
        if held.batches:
            yield self.profiles_request(account, held.batches[0], HeldPage(held.posts, batches=held.batches[1:]))
            return
        parser.apply_ref_authors(held.posts, self.known_authors)
        yield from held.posts

    # -- response classification (mechanism: BenchmarkSpider.checked_payload; failure table: SPEC.http_failures) --
    def checked_payload(self, response: Response) -> Iterator[Any]:
        if response.status in (400, 404):
            data = self.load_json(response)
            if isinstance(data, dict) and "error" in data:
                return data  # an XRPC error ({"error": "InvalidRequest", …}): the parser names the status
        return (yield from super().checked_payload(response))
