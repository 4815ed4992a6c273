"""`scrapy crawl weibo`: profiles and timelines of the config's Weibo accounts, from the mobile JSON API.

Requests: profile `getIndex?type=uid&value=<uid>` → timeline `getIndex?containerid=107603<uid>`
following `since_id` (or `page` when a page has no cursor) → `statuses/extend?id=<mid>` for each
truncated long post; with the optional comments crawl, `comments/hotflow?id=<mid>&mid=<mid>` following
`max_id` for the first COMMENTS_MAX_POSTS posts of each account. Payload → items is `benchmark.platforms.weibo.parser`;
this module only routes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response

from benchmark.comments import CommentsCrawl
from benchmark.config import AccountConfig, console_language
from benchmark.i18n import Message
from benchmark.items import Post
from benchmark.middlewares import cookie_pairs
from benchmark.platforms.weibo import SPEC, parser
from benchmark.spider import BenchmarkSpider

logger = logging.getLogger(__name__)
LOGIN_MARKERS = ("passport.weibo", "login.sina.com.cn", "weibo.com/login", "/signin", "visitor")
COOKIE_HINT = Message("Weibo asks for a login: set WEIBO_COOKIE (see README, 'Giving a Weibo cookie')")
NO_COOKIE = Message("WEIBO_COOKIE is not set: Weibo is crawled as an anonymous visitor, which meets login walls, "
                    "short timelines and throttling (see README, 'Giving a Weibo cookie')")
NOT_LOGGED_IN = Message("WEIBO_COOKIE is not logged in: Weibo says so for this cookie (expired, or not from "
                        "m.weibo.cn); no Weibo account was crawled. Copy a fresh cookie from m.weibo.cn (see README, "
                        "'Giving a Weibo cookie')")


class WeiboSpider(CommentsCrawl, BenchmarkSpider):
    spec = SPEC  # name, platform, base URL and HTTP-failure table come from it
    comments_on_reposts = True  # a Weibo repost is a status with comments of its own
    cookie_login: bool | None = None  # what /api/config said of WEIBO_COOKIE (None: not asked, or no clear answer)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.said: set[str] = set()  # msgids of the start-of-crawl lines already said

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """As the mobile web app does: first ask /api/config whether the cookie is logged in, then the accounts.
        Without a cookie there is nothing to ask: one warning, and an anonymous crawl.

        Distributed workers call this once per account (benchmark.distributed.first_requests): the answer is
        kept (`cookie_login`), and the line at the start is said once per process."""
        accounts = self.pending_accounts()
        if not accounts:
            return
        if not cookie_pairs(self.settings.get("WEIBO_COOKIE", "")):
            if self.settings.getbool("WEIBO_COOKIE_NEEDED", True):
                self.say_once(logging.WARNING, NO_COOKIE)
            for account in accounts:
                yield self.profile_request(account)
            return
        if self.cookie_login is None:
            # Carries the first account's meta so that a distributed worker counts it as that account's request.
            yield scrapy.Request(self.url("/api/config"), callback=self.parse_config, errback=self.config_failed,
                                 headers=self.client_headers(self.url("/")), dont_filter=True,
                                 meta=self.account_meta(accounts[0]), cb_kwargs={"accounts": accounts})
            return
        for request in self.after_login_check(accounts):
            yield request

    def parse_config(self, response: Response, accounts: list[AccountConfig]) -> Iterator[scrapy.Request]:
        data = self.load_json(response) if response.status == 200 else None
        login = parser.config_login(data) if data is not None else None
        if login is None and (300 <= response.status < 400 or (response.status == 200 and data is None)):
            login = False  # the visitor redirect or the HTML login page: what Weibo answers a stale cookie
        if login is None:
            self.say_once(logging.WARNING, cookie_unchecked(f"HTTP {response.status}"))
        else:
            self.cookie_login = login
        yield from self.after_login_check(accounts)

    def config_failed(self, failure: Any) -> Iterator[scrapy.Request]:
        # The network, not the cookie: each account meets (and records) the same trouble on its own.
        self.say_once(logging.WARNING, cookie_unchecked(failure.value.__class__.__name__))
        yield from self.after_login_check(failure.request.cb_kwargs["accounts"])

    def after_login_check(self, accounts: list[AccountConfig]) -> Iterator[scrapy.Request]:
        """The accounts' first requests, or, with a cookie Weibo says is not logged in, none: each account is
        `login_wall` with that reason, untried."""
        if self.cookie_login is False:
            self.say_once(logging.ERROR, NOT_LOGGED_IN)
            for account in accounts:
                self.tracker.fail(self.platform, account.id, "login_wall", NOT_LOGGED_IN)
            return
        for account in accounts:
            yield self.profile_request(account)

    def say_once(self, level: int, message: Message) -> None:
        if message.msgid not in self.said:
            self.said.add(message.msgid)
            self.say(level, message)

    def say(self, level: int, message: Message) -> None:
        """One line for the user, in the console's language."""
        logger.log(level, "%s", message.translate(console_language(self.settings)))

    # -- requests ------------------------------------------------------------------------------------
    def client_headers(self, referer: str) -> dict[str, str]:
        """What m.weibo.cn's own web app sends with each API call (research/weibo.md): without them real Weibo
        treats the client as a script (visitor redirect, ok:-100). The cookie is added at download time only
        (benchmark.middlewares.SecretHeadersMiddleware)."""
        return {"Accept": "application/json, text/plain, */*", "X-Requested-With": "XMLHttpRequest",
                "MWeibo-Pwa": "1", "Referer": referer}

    def account_page(self, account_id: str) -> str:
        return self.url(f"/u/{account_id}")

    def profile_request(self, account: AccountConfig) -> scrapy.Request:
        query = urlencode({"type": "uid", "value": account.id})
        return scrapy.Request(self.url(f"/api/container/getIndex?{query}"), callback=self.parse_profile,
                              errback=self.on_error, meta=self.account_meta(account),
                              headers=self.client_headers(self.account_page(account.id)), dont_filter=True)

    def timeline_request(self, account: AccountConfig, since_id: str | None = None,
                         page: int = 1) -> scrapy.Request:
        params = {"containerid": f"107603{account.id}"}
        if since_id:
            params["since_id"] = since_id
        elif page > 1:
            params["page"] = str(page)
        # The first page is fetched on every run (dont_filter), even with a persisted dupefilter.
        return scrapy.Request(self.url(f"/api/container/getIndex?{urlencode(params)}"),
                              callback=self.parse_timeline, errback=self.on_error,
                              meta=self.account_meta(account, page=page),
                              headers=self.client_headers(self.account_page(account.id)),
                              dont_filter=page == 1)

    # -- callbacks -----------------------------------------------------------------------------------
    def parse_profile(self, response: Response) -> Iterator[Any]:
        account: AccountConfig = response.meta["account"]
        data = yield from self.checked_payload(response)
        if data is None:
            return
        profile, status, message = parser.profile_result(data, crawled_at=self.crawled_at)
        if status != "ok":
            yield from self.page_problem(response, status, message)
            return
        if profile is None:  # "ok" but no userInfo: a broken answer, not proof the account is gone
            yield from self.retry_or_fail(response, "empty_profile")
            return
        yield profile
        yield self.timeline_request(account)

    def parse_timeline(self, response: Response) -> Iterator[Any]:
        account: AccountConfig = response.meta["account"]
        data = yield from self.checked_payload(response)
        if data is None:
            return
        page = parser.parse_timeline(data, account_id=account.id, crawled_at=self.crawled_at)
        long_ids = set(page.needs_long_text) if self.settings.getbool("WEIBO_FETCH_LONG_TEXT", True) else set()

        def emit(kept: list[Post]) -> Iterator[Any]:
            for post in kept:
                yield self.long_text_request(post, account) if post.post_id in long_ids else post
                if self.wants_comments(account, post):
                    yield self.comments_request(post, account)

        # The cursor is `since_id`; a page without one pages on by number (`page=N`, which always "moves": the
        # new-post-id rule and the page cap stop a server that repeats itself).
        page.cursor = page.cursor or f"page={response.meta.get('page', 1) + 1}"
        yield from self.feed_page(response, page, emit=emit,
                                  request_for=lambda cursor, n: self.next_page(account, cursor, n))

    # -- optional comments crawl (-a comments=1 or CRAWL_COMMENTS; see benchmark/comments.py) --------------
    def comments_request(self, post: Post, account: AccountConfig, max_id: str | None = None,
                         max_id_type: int | None = None, top_level: int = 0) -> scrapy.Request:
        """comments/hotflow, newest first, 20 top-level comments a page with their inline replies;
        `max_id` (+ `max_id_type`) is the cursor of the next page."""
        params = {"id": post.post_id, "mid": post.post_id, "max_id_type": str(max_id_type or 0)}
        if max_id:
            params["max_id"] = max_id
        return scrapy.Request(
            self.url(f"/comments/hotflow?{urlencode(params)}"), callback=self.parse_comments,
            errback=self.comments_request_failed, cb_kwargs={"post": post, "top_level": top_level},
            headers=self.client_headers(self.url(f"/detail/{post.post_id}")),
            meta=self.account_meta(account, max_id=max_id),
        )

    def parse_comments(self, response: Response, post: Post, top_level: int = 0) -> Iterator[Any]:
        account: AccountConfig = response.meta["account"]
        data = yield from self.comments_payload(response)
        if data is None:
            return
        status, _message = parser.classify_envelope(data)
        if status != "ok":  # a login wall or throttling on comments only shortens the sample
            self.comments_page_failed(account.id, f"envelope_{status}", response.url)
            return
        comments, max_id, max_id_type = parser.parse_comments(
            data, post_id=post.post_id, post_author_id=account.id, crawled_at=self.crawled_at)
        kept = self.keep_comments(account.id, post, comments, top_level)
        yield from kept
        page_top_level = sum(comment.parent_comment_id is None for comment in kept)
        top_level += page_top_level
        # A cursor that does not move (or an empty page) would loop: the sample ends there.
        cursor_moved = bool(max_id) and max_id != response.meta.get("max_id")
        if page_top_level and cursor_moved and top_level < self.comments_per_post:
            yield self.comments_request(post, account, max_id, max_id_type, top_level)

    def next_page(self, account: AccountConfig, cursor: str, number: int) -> scrapy.Request:
        if cursor.startswith("page="):
            return self.timeline_request(account, page=number)
        return self.timeline_request(account, since_id=cursor, page=number)

    def long_text_request(self, post: Post, account: AccountConfig) -> scrapy.Request:
        return scrapy.Request(
            self.url(f"/statuses/extend?{urlencode({'id': post.post_id})}"), callback=self.parse_long_text,
            errback=self.long_text_failed, cb_kwargs={"post": post},
            headers=self.client_headers(self.account_page(account.id)),
            meta=self.account_meta(account), dont_filter=True,
        )

    def parse_long_text(self, response: Response, post: Post) -> Iterator[Any]:
        data = self.load_json(response) if response.status == 200 else None
        full_text = parser.parse_long_text(data) if data is not None else None
        if not full_text and response.status == 200:
            # A garbled or cut body: retry it like any broken page before settling for the truncated text.
            retry = get_retry_request(response.request, spider=self, reason="long_text_malformed")
            if retry is not None:
                yield retry
                return
        if full_text:
            # Also picks up tags, mentions and links of the hidden part (links from the long text's anchors).
            parser.apply_long_text(post, full_text, parser.long_text_links(data))
        else:
            self.crawler.stats.inc_value("weibo/long_text_failed")
        yield post

    def long_text_failed(self, failure: Any) -> Iterator[Post]:
        # The truncated post is still worth keeping: counts and format are right, only text is short.
        self.crawler.stats.inc_value("weibo/long_text_failed")
        yield failure.request.cb_kwargs["post"]

    # -- response classification (mechanism: BenchmarkSpider.checked_payload; failure table: SPEC.http_failures) --
    def redirect_problem(self, location: str) -> tuple[str, str]:
        if any(marker in location for marker in LOGIN_MARKERS):
            return "login_wall", COOKIE_HINT
        return super().redirect_problem(location)

    def unreadable_payload(self, response: Response) -> Iterator[Any]:
        if _looks_like_login_page(response):  # Weibo's login page is served with 200 where JSON was asked
            self.tracker.fail(self.platform, response.meta["account_id"], "login_wall", COOKIE_HINT)
            return
        yield from super().unreadable_payload(response)

    def problem_reason(self, status: str, message: str) -> str:
        if status == "login_wall" and "WEIBO_COOKIE" not in message:
            return Message("{reason} — {hint}", reason=message, hint=COOKIE_HINT) if message else COOKIE_HINT
        return message


def cookie_unchecked(reason: str) -> Message:
    return Message("WEIBO_COOKIE could not be checked ({reason}): crawling with it anyway", reason=reason)


def _looks_like_login_page(response: Response) -> bool:
    """An HTML page where JSON was expected, mentioning a login: not a JSON body cut mid-way."""
    head = response.text[:20000] if hasattr(response, "text") else ""
    if head.lstrip().startswith(("{", "[")):
        return False  # a truncated JSON timeline can mention 登录 in a post: that is a broken page
    return "wbBotDetector" in head or any(marker in head for marker in ("passport.weibo", "登录", "login"))
