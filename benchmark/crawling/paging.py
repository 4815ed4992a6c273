"""The paging flow every platform shares: the period filter, the stop rule, one parsed page → items and the
next request.

`PagingMixin` is one part of `benchmark.spider.BenchmarkSpider` (docs/architecture.md, "The data flow").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from scrapy import Request

from benchmark.crawling.reasons import CURSOR_STUCK, PAGE_CAP, REPEATED_PAGE
from benchmark.i18n import Message
from benchmark.items import Post, PostBatch

if TYPE_CHECKING:
    from collections.abc import Callable

    import scrapy
    from scrapy.http import Response

    from benchmark.parsers.common import FeedPage

logger = logging.getLogger("benchmark.spider")


class PagingMixin:
    """Which posts a page keeps and whether the account's timeline is read on."""

    post_batches = False  # BENCHMARK_POST_BATCHES: a page's posts go to the pipelines as one PostBatch

    def in_period(self, post: Post) -> bool:
        return self.period_start <= post.created_at < self.period_end

    def new_in_period(self, account_id: str, posts: list[Post]) -> list[Post]:
        """Posts in the period not handled before: a pinned post comes once on top of page 1 and again in
        its place further down; the first (pinned) copy is the one kept."""
        seen = self.seen.setdefault(account_id, set())
        if self.shared_seen is not None and posts:
            # Distributed: Redis decides. Other workers may have parsed this account's earlier pages, and an
            # account crawled again after a worker died starts from an empty set there (not in this process).
            first_time = self.shared_seen(account_id, [post.post_id for post in posts])
            fresh = [post for post in posts if post.post_id in first_time]
        else:
            fresh = [post for post in posts if post.post_id not in seen]
        seen.update(post.post_id for post in fresh)
        return [post for post in fresh if self.in_period(post)]

    def should_page_on(self, posts: Iterable[Post]) -> bool:
        """Stop at the first page whose non-pinned posts are all older than the period start (or, on an
        incremental re-crawl, older than the account's paging floor).

        Pinned posts are ignored here: an old pinned post at the top of page 1 must not end the crawl.
        """
        dated = [p for p in posts if not p.pinned]
        if not dated:
            return True
        return max(p.created_at for p in dated) >= self.paging_floor(dated[0].account_id)


    # -- the paging template shared by every platform ---------------------------------------------------
    def feed_page(self, response: Response, page: FeedPage, request_for: Callable[[str, int], scrapy.Request],
                  moved: bool | None = None, emit: Callable[[list[Post]], Iterable[Any]] | None = None,
                  posts: list[Post] | None = None) -> Iterator[Any]:
        """One parsed timeline page (the FeedPage contract): its skipped items counted, then its end, its problem
        (page_problem) or its posts and the next page (`follow`). A spider supplies its next request
        (`request_for`), and where it has one its own cursor-order rule (`moved`), what the kept posts become
        (`emit`) and the posts to keep when it filters the page's (`posts`)."""
        account_id = response.meta["account_id"]
        self.count_dropped(account_id, page.dropped)
        if page.status == "end":
            self.tracker.reached_end(self.platform, account_id)
            return
        if page.status != "ok":
            yield from self.page_problem(response, page.status, page.message)
            return
        yield from self.follow(response, page.posts if posts is None else posts, page.cursor, request_for,
                               moved=moved, emit=emit)

    def follow(self, response: Response, posts: list[Post], cursor: str | None,
               request_for: Callable[[str, int], scrapy.Request], moved: bool | None = None,
               emit: Callable[[list[Post]], Iterable[Any]] | None = None) -> Iterator[Any]:
        """One page of an account's timeline, after its status was checked (count drops → end / ok / problem):
        keep its new posts in the period, then page on only if the cursor moved and the page brought new post
        ids; otherwise the account has reached its end (`ok` if nothing failed) or is `partial`, with why.

        `request_for(cursor, page number)` builds the next page's request; `moved` is the spider's own
        cursor-order rule (default: the cursor differs from this page's); `emit` turns the kept posts into
        what the callback yields (default: the posts themselves).
        """
        account_id = response.meta["account_id"]
        number = response.meta.get("page", 1)
        seen = self.seen.get(account_id, set())
        brought_new = any(post.post_id not in seen for post in posts)
        kept = self.new_in_period(account_id, posts)
        self.tracker.page(self.platform, account_id, len(kept))
        yield from self.batched(emit(kept) if emit is not None else kept)
        if not posts or not cursor or not self.should_page_on(posts):
            self.tracker.reached_end(self.platform, account_id)
            return
        if not brought_new:
            # Distributed crawls deliver a request at least once: a page parsed again after a worker died is no
            # sign of a repeating server (its chain goes on from the first copy).
            if self.distributed is None:
                self.tracker.fail(self.platform, account_id, "partial", Message(REPEATED_PAGE))
            return
        if moved is None:
            moved = cursor != response.meta.get("cursor")
        if not moved:
            self.tracker.fail(self.platform, account_id, "partial", Message(CURSOR_STUCK, cursor=cursor))
            return
        if number >= self.max_pages:
            self.tracker.fail(self.platform, account_id, "partial", Message(PAGE_CAP, count=number))
            return
        request = request_for(cursor, number + 1)
        request.meta["cursor"] = cursor
        yield request

    def batched(self, output: Iterable[Any]) -> Iterator[Any]:
        """A page's output with its run of posts gathered into one PostBatch: requests pass first, any other item
        ends the run, so the items keep their order. Off (`post_batches` False): the output as it is."""
        if not self.post_batches:
            yield from output
            return
        posts: list[Post] = []
        for thing in output:
            if isinstance(thing, Post):
                posts.append(thing)
                continue
            if posts and not isinstance(thing, Request):
                yield PostBatch(posts)
                posts = []
            yield thing
        if posts:
            yield PostBatch(posts)

    def count_dropped(self, account_id: str, reasons: Iterable[str]) -> None:
        for reason in reasons:
            # Reasons may carry a position ("item 3: missing_uri"); the stats key keeps the reason only.
            self.crawler.stats.inc_value(f"items/dropped/{reason.rpartition(': ')[2]}")
            logger.info("%s %s: skipped an item (%s)", self.platform, account_id, reason)
