"""The optional comments crawl shared by the Weibo, Bluesky and Mastodon spiders (issue #6).

Off by default; on with `-a comments=1` or `-s CRAWL_COMMENTS=True`. Bounded twice: comments are asked for
at most COMMENTS_MAX_POSTS posts per account (the first ones the timeline gives, newest first), and at most
COMMENTS_PER_POST top-level comments per post are kept (the first ones the platform returns), each with
the replies under it. Comments are a sample: a failed comments page is counted in the stats
(`comments/pages_failed`) and never changes the account's status nor loses a post.

Stats: `comments/posts_sampled`, `comments/stored` (comments yielded), `comments/pages` (pages read),
`comments/pages_failed` (totals), `comments/failed_reason/<reason>`, and per account
`comments/by_account/<account id>/{posts_sampled,stored,pages_failed}`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.retry import get_retry_request

if TYPE_CHECKING:
    import scrapy
    from scrapy.http import Response
    from twisted.python.failure import Failure

    from benchmark.config import AccountConfig
    from benchmark.items import Comment, Post

logger = logging.getLogger(__name__)

DEFAULT_PER_POST = 40  # as settings.COMMENTS_PER_POST (docs/comments.md)
DEFAULT_MAX_POSTS = 100


def trim_to_top_level(comments: Iterable[Comment], limit: int) -> list[Comment]:
    """The first `limit` top-level comments with the replies under them, in the given order.

    Parents must come before their replies (the parsers guarantee it). A reply whose parent was cut goes
    with it; a reply whose parent is not in the list at all is kept (it does not count towards the limit).
    """
    kept: list[Comment] = []
    cut: set[str] = set()
    top_level = 0
    for comment in comments:
        if comment.parent_comment_id is None:
            if top_level >= limit:
                cut.add(comment.comment_id)
                continue
            top_level += 1
        elif comment.parent_comment_id in cut:
            cut.add(comment.comment_id)
            continue
        kept.append(comment)
    return kept


class CommentsCrawl:
    """Mixin for a `BenchmarkSpider`: when to ask for comments, what to keep, how failures are counted."""

    platform: str
    crawler: Any
    settings: Any
    # Weibo reposts are statuses with comments of their own; a Bluesky/Mastodon repost has none (its
    # replies belong to the original, which is another account's post).
    comments_on_reposts = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.comment_posts: dict[str, int] = {}  # account id → posts whose comments were asked for

    @property
    def crawl_comments(self) -> bool:
        flag = str(getattr(self, "comments", "") or "").strip().lower() in ("1", "true", "yes", "on")
        return flag or self.settings.getbool("CRAWL_COMMENTS", False)

    @property
    def comments_per_post(self) -> int:
        return max(0, self.settings.getint("COMMENTS_PER_POST", DEFAULT_PER_POST))

    def wants_comments(self, account: AccountConfig, post: Post) -> bool:
        """True for the post's comments to be fetched now; counts it in the account's sample.

        Posts whose counter says 0 comments need no request and do not use up the per-account cap."""
        if not self.crawl_comments or self.comments_per_post == 0:
            return False
        if post.kind == "repost" and not self.comments_on_reposts:
            return False
        if post.comments == 0:
            return False
        sampled = self.comment_posts.get(account.id, 0)
        if sampled >= self.settings.getint("COMMENTS_MAX_POSTS", DEFAULT_MAX_POSTS):
            return False
        self.comment_posts[account.id] = sampled + 1
        self._count(account.id, "posts_sampled")
        return True

    def keep_comments(self, account_id: str, post: Post, comments: list[Comment], top_level_before: int = 0
                      ) -> list[Comment]:
        """The comments of one page within COMMENTS_PER_POST (given how many top-level ones earlier pages
        kept), each marked with the post's own comment counter so sampled vs counted stays known."""
        kept = trim_to_top_level(comments, max(0, self.comments_per_post - top_level_before))
        for comment in kept:
            comment.extra["post_comments_count"] = post.comments
        self.crawler.stats.inc_value("comments/pages")
        self._count(account_id, "stored", len(kept))
        return kept

    def comments_payload(self, response: Response) -> Iterator[scrapy.Request]:
        """The JSON of a comments page, or None after counting the failure. Used with `yield from`: a
        garbled body is retried through Scrapy's retry logic first (5xx, 429 and 418 were already retried
        and backed off by the downloader middlewares before the response got here)."""
        account_id = response.meta.get("account_id", "?")
        if response.status != 200:
            self.comments_page_failed(account_id, f"http_{response.status}", response.url)
            return None
        data = self.load_json(response)  # type: ignore[attr-defined]
        if data is None:
            retry = get_retry_request(response.request, spider=self, reason="comments_malformed_json")
            if retry is not None:
                yield retry
            else:
                self.comments_page_failed(account_id, "malformed_json", response.url)
            return None
        return data

    def comments_from(self, response: Response, post: Post, payload_status: Callable[[Any], tuple[str, str]],
                      parse: Callable[..., list[Comment]]) -> Iterator[Any]:
        """One-request comment threads (Bluesky getPostThread, Mastodon context): check, parse, keep."""
        account = response.meta["account"]
        data = yield from self.comments_payload(response)
        if data is None:
            return
        status, _message = payload_status(data)
        if status != "ok":
            self.comments_page_failed(account.id, f"payload_{status}", response.url)
            return
        dropped: list[str] = []
        comments = parse(data, post_id=post.post_id, post_author_id=account.id, crawled_at=self.crawled_at,
                         dropped=dropped)
        self.count_dropped(account.id, dropped)
        yield from self.keep_comments(account.id, post, comments)

    def comments_page_failed(self, account_id: str, reason: str, url: str = "") -> None:
        """A lost comments page: counted, logged, and nothing else (the account's status stays as it is)."""
        self._count(account_id, "pages_failed")
        self.crawler.stats.inc_value(f"comments/failed_reason/{reason}")
        logger.info("%s %s: comments page failed (%s): %s", self.platform, account_id, reason, url)

    def comments_request_failed(self, failure: Failure) -> None:
        """Errback of comments requests: network errors after Scrapy's retries."""
        request = failure.request  # type: ignore[attr-defined]
        self.comments_page_failed(request.meta.get("account_id", "?"), failure.value.__class__.__name__,
                                  request.url)

    def _count(self, account_id: str, name: str, count: int = 1) -> None:
        stats = self.crawler.stats
        stats.inc_value(f"comments/{name}", count)
        stats.inc_value(f"comments/by_account/{account_id}/{name}", count)
