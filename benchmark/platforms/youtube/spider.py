"""`scrapy crawl youtube`: the config's YouTube channels, by the Data API v3 with a key, else by the public feed.

With YOUTUBE_API_KEY (environment only; sent as the X-Goog-Api-Key header to YOUTUBE_API_BASE_URL only, by
SecretHeadersMiddleware, so it is in no URL, log, queue or store):
  `channels?part=snippet,statistics,contentDetails&id=UC..` (or `&forHandle=@name`)
  → `playlistItems?part=contentDetails&playlistId=<uploads>&maxResults=50[&pageToken=..]`, newest first, until
    a page reaches back past the period (or the incremental paging floor)
  → `videos?part=snippet,contentDetails,statistics,liveStreamingDetails&id=<the page's ids in the period>`
    (at most 50: one call per playlist page)
  → with `-a comments=1`, `commentThreads?part=snippet,replies&videoId=..&maxResults=100` per sampled video.
Each call costs 1 quota unit (the list methods' documented cost); the run's units are in the stats
(`youtube/quota_units`) and printed at the end. A quota error (403 quotaExceeded) ends the account `blocked`
and is not retried: the day's quota is gone, so channels not started yet are not asked either.

Without a key: `feeds/videos.xml?channel_id=UC..` on YOUTUBE_FEED_BASE_URL, the 15 latest uploads with views
and likes. A channel whose feed is full (15 entries) while the period reaches back past its oldest entry is
`partial`: older videos need the API. A handle cannot be resolved without the API.
Payload → items is `benchmark.platforms.youtube.parser` (and `.feed`); this module only routes and counts.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from benchmark.comments import CommentsCrawl
from benchmark.config import AccountConfig, console_language
from benchmark.crawling.reasons import CURSOR_STUCK
from benchmark.i18n import N_, Message, translate
from benchmark.items import Post
from benchmark.platforms.youtube import SPEC, feed, parser
from benchmark.spider import BenchmarkSpider

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

CHANNEL_PARTS = "snippet,statistics,contentDetails"
VIDEO_PARTS = "snippet,contentDetails,statistics,liveStreamingDetails"
THREADS_PER_PAGE = 100  # commentThreads' maxResults ceiling
QUOTA_USED = N_("YouTube Data API: {units} quota unit(s) used by this run")
QUOTA_GONE = N_("the YouTube API quota is used up ({reason}): not retried; crawl again after the daily reset")
HANDLE_NEEDS_KEY = N_("{account} is a handle: without YOUTUBE_API_KEY only channel ids (UC…) can be read")
FEED_TOO_SHORT = N_("without YOUTUBE_API_KEY only the feed's 15 latest videos are read, and the period reaches "
                    "back past the oldest ({oldest})")
API_REFUSED = N_("the YouTube API refused the call: {reason}")


class YoutubeSpider(CommentsCrawl, BenchmarkSpider):
    spec = SPEC  # name, platform, base URL (YOUTUBE_API_BASE_URL) and HTTP-failure table come from it

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.use_api = False  # whether a key is set; the key itself is never kept on the spider
        self.feed_base = SPEC.settings["YOUTUBE_FEED_BASE_URL"]
        self.quota_gone = ""  # the error reason once the quota is used up: no further API call this run
        self.channel_ids: dict[str, str] = {}  # config id → channel id (a handle's, once resolved)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> YoutubeSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.use_api = bool(str(crawler.settings.get("YOUTUBE_API_KEY") or "").strip())
        spider.feed_base = (crawler.settings.get("YOUTUBE_FEED_BASE_URL") or spider.feed_base).rstrip("/")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for account in self.pending_accounts():
            request = self.first_request(account)
            if request is not None:
                yield request

    def first_request(self, account: AccountConfig) -> scrapy.Request | None:
        if self.use_api:
            if self.quota_gone:
                self.quota_exhausted(account.id, self.quota_gone)
                return None
            return self.channel_request(account)
        if not parser.is_channel_id(account.id):
            self.tracker.fail(self.platform, account.id, "failed", Message(HANDLE_NEEDS_KEY, account=account.id))
            return None
        return scrapy.Request(f"{self.feed_base}/feeds/videos.xml?{urlencode({'channel_id': account.id})}",
                              callback=self.parse_feed, errback=self.on_error,
                              meta=self.account_meta(account, page=1), dont_filter=True)

    # -- API requests --------------------------------------------------------------------------------
    def api(self, method: str, params: dict[str, Any]) -> str:
        return f"{self.base_url}/{method}?{urlencode(params)}"

    def api_request(self, account: AccountConfig, method: str, params: dict[str, Any], callback: Any,
                    **meta: Any) -> scrapy.Request:
        return scrapy.Request(self.api(method, params), callback=callback, errback=self.on_error,
                              meta=self.account_meta(account, **meta), dont_filter=meta.get("page", 1) == 1)

    def channel_request(self, account: AccountConfig) -> scrapy.Request:
        selector = {"forHandle": account.id} if parser.is_handle(account.id) else {"id": account.id}
        return self.api_request(account, "channels", {"part": CHANNEL_PARTS, **selector}, self.parse_channel)

    def playlist_request(self, account: AccountConfig, uploads: str, token: str | None = None,
                         page: int = 1) -> scrapy.Request:
        params: dict[str, Any] = {"part": "contentDetails", "playlistId": uploads, "maxResults": parser.MAX_RESULTS}
        if token:
            params["pageToken"] = token
        return self.api_request(account, "playlistItems", params, self.parse_playlist, uploads=uploads, page=page,
                                token=token)

    # -- API callbacks -------------------------------------------------------------------------------
    def api_payload(self, response: Response) -> Iterator[Any]:
        """The JSON of an API answer, errors included (their body says why), after counting its unit; None
        after recording the problem when there is nothing to read. Used with `yield from`."""
        self.crawler.stats.inc_value("youtube/quota_units")
        self.tracker.answered(self.platform, response.meta["account_id"])
        if response.status >= 500 or response.status == 429 or 300 <= response.status < 400:
            ok = yield from self.checked_status(response)  # retried by the downloader first; then partial
            return None if not ok else self.load_json(response)
        data = self.load_json(response)
        if data is None:
            yield from self.unreadable_payload(response)
        return data

    def api_failed(self, response: Response, error: parser.ApiError | None, status: str,
                   message: str) -> Iterator[Any]:
        """A refused or unreadable API answer: the quota ends this run's API calls; anything else goes through
        the common rule (BenchmarkSpider.page_problem: a broken 200 is retried, a refusal ends the account)."""
        if parser.is_quota_error(error):
            self.quota_exhausted(response.meta["account_id"], error.reason)  # type: ignore[union-attr]
            return
        self.crawler.stats.inc_value(f"youtube/api_error/{error.reason if error else status}")
        yield from self.page_problem(response, status, message)

    def problem_reason(self, status: str, message: str) -> str:
        return Message(API_REFUSED, reason=message or status)

    def quota_exhausted(self, account_id: str, reason: str) -> None:
        self.quota_gone = reason
        self.crawler.stats.inc_value("youtube/quota_exceeded")
        self.tracker.fail(self.platform, account_id, "blocked", Message(QUOTA_GONE, reason=reason))

    def parse_channel(self, response: Response) -> Iterator[Any]:
        account: AccountConfig = response.meta["account"]
        data = yield from self.api_payload(response)
        if data is None:
            return
        result = parser.parse_channel(data, account_id=account.id, crawled_at=self.crawled_at)
        profile = result.profile_result()
        if profile.status == "not_found":
            self.tracker.fail(self.platform, account.id, "not_found", profile.message)
            return
        if profile.status != "ok" or profile.account is None:
            yield from self.api_failed(response, result.error, profile.status, profile.message)
            return
        yield profile.account
        self.channel_ids[account.id] = result.channel_id
        yield self.playlist_request(account, result.uploads)

    def parse_playlist(self, response: Response) -> Iterator[Any]:
        account: AccountConfig = response.meta["account"]
        data = yield from self.api_payload(response)
        if data is None:
            return
        page = parser.parse_playlist_items(data)
        self.count_dropped(account.id, page.dropped)
        if page.status == "end":
            self.tracker.reached_end(self.platform, account.id)
            return
        if page.status != "ok":
            yield from self.api_failed(response, page.error, page.status, page.message)
            return
        floor = self.paging_floor(account.id)
        wanted = [video_id for video_id, published in page.videos if floor <= published < self.period_end]
        oldest = page.oldest()
        # Newest first: once a page reaches back past the floor, older pages hold nothing the period needs.
        cursor = page.cursor if page.cursor and (oldest is None or oldest >= floor) else None
        number = response.meta.get("page", 1)
        if wanted:
            yield self.api_request(account, "videos", {"part": VIDEO_PARTS, "id": ",".join(wanted)},
                                   self.parse_videos, page=number, cursor=response.meta.get("token"),
                                   next_token=cursor, uploads=response.meta["uploads"])
            return
        self.tracker.page(self.platform, account.id, 0)
        if cursor is None:
            self.tracker.reached_end(self.platform, account.id)
        elif cursor == response.meta.get("token") or number >= self.max_pages:
            self.tracker.fail(self.platform, account.id, "partial", Message(CURSOR_STUCK, cursor=cursor))
        else:  # a page of uploads newer than the period: on to older ones
            yield self.playlist_request(account, response.meta["uploads"], cursor, number + 1)

    def parse_videos(self, response: Response) -> Iterator[Any]:
        """One videos.list answer: the playlist page's posts, handed to the common paging flow with the playlist's
        next-page token (None once the page reached past the period's edge)."""
        account: AccountConfig = response.meta["account"]
        data = yield from self.api_payload(response)
        if data is None:
            return
        page = parser.parse_videos(data, account_id=account.id, crawled_at=self.crawled_at)
        if page.upcoming:
            self.crawler.stats.inc_value("youtube/upcoming_streams", len(page.upcoming))
        if page.status not in ("ok", "end"):
            yield from self.api_failed(response, page.error, page.status, page.message)
            return
        uploads, token = response.meta["uploads"], response.meta.get("next_token")
        page.status, page.cursor = "ok", token  # an empty answer (vanished or upcoming videos) is no end
        if not page.posts and token:
            self.count_dropped(account.id, page.dropped)
            self.tracker.page(self.platform, account.id, 0)
            yield self.playlist_request(account, uploads, token, response.meta.get("page", 1) + 1)
            return
        yield from self.feed_page(response, page, request_for=lambda cursor, n: self.playlist_request(
            account, uploads, cursor, n), emit=lambda kept: [*kept, *self.thread_requests(account, kept)])

    # -- the public feed (no key) ----------------------------------------------------------------------
    def parse_feed(self, response: Response) -> Iterator[Any]:
        account: AccountConfig = response.meta["account"]
        if response.status == 404:
            self.tracker.answered(self.platform, account.id)
            self.tracker.fail(self.platform, account.id, "not_found",
                              Message("no YouTube channel {account}", account=account.id))
            return
        if not (yield from self.checked_status(response)):
            return
        result = feed.parse_feed(response.body, account_id=account.id, crawled_at=self.crawled_at)
        if result.account is not None:
            yield result.account
        # One page, no cursor: the common flow keeps the posts in the period and ends the account's paging (or
        # retries a broken feed, then says partial).
        yield from self.feed_page(response, result.page, request_for=_no_next_page)
        oldest = min((post.created_at for post in result.page.posts), default=None)
        if result.full and oldest is not None and oldest > self.paging_floor(account.id):
            self.tracker.fail(self.platform, account.id, "partial",
                              Message(FEED_TOO_SHORT, oldest=oldest.date().isoformat()), page=False)

    # -- optional comments crawl (-a comments=1; benchmark/comments.py) ----------------------------------
    def thread_requests(self, account: AccountConfig, posts: list[Post]) -> Iterator[scrapy.Request]:
        for post in posts:
            # Comments disabled (commentCount absent) need no request: the API would answer 403 commentsDisabled.
            if post.comments is not None and not self.quota_gone and self.wants_comments(account, post):
                yield self.threads_request(account, post)

    def threads_request(self, account: AccountConfig, post: Post, token: str | None = None,
                        kept: int = 0) -> scrapy.Request:
        params: dict[str, Any] = {"part": "snippet,replies", "videoId": post.post_id,
                                  "maxResults": min(THREADS_PER_PAGE, max(1, self.comments_per_post))}
        if token:
            params["pageToken"] = token
        return scrapy.Request(self.api("commentThreads", params), callback=self.parse_threads,
                              errback=self.comments_request_failed, cb_kwargs={"post": post, "kept": kept},
                              meta=self.account_meta(account, comment_page=(kept, token)))

    def parse_threads(self, response: Response, post: Post, kept: int) -> Iterator[Any]:
        account: AccountConfig = response.meta["account"]
        self.crawler.stats.inc_value("youtube/quota_units")
        data = self.load_json(response)
        page = parser.parse_comment_threads(data, post_id=post.post_id,
                                            channel_id=self.channel_ids.get(account.id, account.id),
                                            post_author_id=account.id, crawled_at=self.crawled_at)
        if page.status != "ok":
            if parser.is_quota_error(page.error):
                self.quota_gone = page.error.reason  # type: ignore[union-attr]
            self.comments_page_failed(account.id, f"payload_{page.status}", response.url)
            return
        self.count_dropped(account.id, page.dropped)
        comments = self.keep_comments(account.id, post, page.comments, kept)
        yield from comments
        top_level = kept + sum(1 for comment in comments if comment.parent_comment_id is None)
        pages = response.meta.get("comment_pages", 1)
        if page.cursor and top_level < self.comments_per_post and pages < self.settings.getint(
                "YOUTUBE_COMMENT_PAGES", 1):
            request = self.threads_request(account, post, page.cursor, top_level)
            request.meta["comment_pages"] = pages + 1
            yield request

    # -- the end -----------------------------------------------------------------------------------------
    def closed(self, reason: str) -> None:
        super().closed(reason)
        if not self.use_api:
            return
        units = self.crawler.stats.get_value("youtube/quota_units", 0)
        logger.info("youtube: %d quota unit(s) used", units)
        language = console_language(self.settings)
        print(translate(Message(QUOTA_USED, units=units), language), file=sys.stderr, flush=True)


def _no_next_page(_cursor: str, _number: int) -> scrapy.Request:  # pragma: no cover - the feed has no cursor
    raise AssertionError("the channel feed has no next page")
