"""What an account earns at the end: the crawl's own signals (errors, dropped requests, lost items), the
store's commits, and the JOBDIR checkpoint a resumed crawl trusts.

`CompletionMixin` is one part of `benchmark.spider.BenchmarkSpider`; `CompletionCheckpoint` is the file it
writes. No loss goes unnamed: each handler turns one into a `partial` account with its reason.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from benchmark.crawling.reasons import CRAWLER_ERROR, NOT_ALL_STORED, POST_NOT_STORED, REQUEST_DROPPED
from benchmark.i18n import Message
from benchmark.items import PostBatch

if TYPE_CHECKING:
    import scrapy
    from twisted.python.failure import Failure

    from benchmark.config import AccountConfig

logger = logging.getLogger("benchmark.spider")


class CompletionMixin:
    """Signal handlers, the stored-posts check and resuming from a JOBDIR checkpoint."""

    # -- the crawl's own signals: no loss goes unnamed ------------------------------------------------
    def on_spider_error(self, failure: Failure, response: Any, spider: scrapy.Spider) -> None:
        """An exception in any callback or errback: its account cannot be complete."""
        if spider is not self:
            return
        request = getattr(response, "request", None)
        meta = getattr(request, "meta", None) or {}
        account_id = meta.get("account_id")
        if account_id is None:
            return
        self.tracker.fail(self.platform, account_id, "partial",
                          Message(CRAWLER_ERROR, error=failure.value.__class__.__name__))

    def on_request_dropped(self, request: scrapy.Request, spider: scrapy.Spider) -> None:
        """A timeline request the scheduler refused (a duplicate): its page is missing. (Optional requests, such as
        comments, only shorten their sample.)"""
        account_id = request.meta.get("account_id")
        if spider is self and account_id is not None and "page" in request.meta and self.distributed is None:
            self.tracker.fail(self.platform, account_id, "partial", Message(REQUEST_DROPPED, url=request.url))

    def on_item_lost(self, item: Any, spider: scrapy.Spider, exception: Any = None, failure: Any = None,
                     **_kwargs: Any) -> None:
        """A post a pipeline dropped or failed on is not stored: its account is not complete. (A whole PostBatch
        lost: each of its posts' accounts.)"""
        if spider is not self:
            return
        for post in item.posts if isinstance(item, PostBatch) else (item,):
            if not getattr(post, "post_id", None) or hasattr(post, "comment_id"):
                continue
            error = failure.value if failure is not None else exception
            self.tracker.fail(self.platform, getattr(post, "account_id", ""), "partial",
                              Message(POST_NOT_STORED, reason=str(error) if failure is None else
                                      error.__class__.__name__), page=False)

    def on_batch_committed(self, accounts: Any = None, posts: Any = None, **_kwargs: Any) -> None:
        """A store commit. The posts of its accounts that went through the pipelines before it are stored; an
        account complete whose kept posts are all stored is recorded complete in JOBDIR (the checkpoint a
        resumed crawl trusts)."""
        self.commits_seen = True
        # The store counts them (StorePipeline.flush): Scrapy reports an item scraped only after the pipelines,
        # i.e. after the commit its arrival may have caused.
        for (platform, account_id), count in (posts or {}).items():
            if platform == self.platform:
                self.committed_posts[account_id] = self.committed_posts.get(account_id, 0) + count
        if self.checkpoint is None:
            return
        done = [progress for progress in self.tracker.accounts.values()
                if self.tracker.is_complete(progress.platform, progress.account_id)
                and progress.account_id not in self.checkpoint.complete
                and self.committed_posts.get(progress.account_id, 0) >= progress.posts]
        if done:
            self.checkpoint.record(done)

    def check_stored(self) -> None:
        """At the end: an account whose kept posts were not all committed is not complete. (Only when the store
        announces its commits; every flush, the last one included, comes before `closed`.)"""
        if not self.commits_seen:
            return
        for progress in self.tracker.accounts.values():
            if progress.resumed or progress.status != "ok" or not progress.posts:
                continue
            stored = self.committed_posts.get(progress.account_id, 0)
            if stored < progress.posts:
                self.tracker.fail(self.platform, progress.account_id, "partial",
                                  Message(NOT_ALL_STORED, stored=stored, posts=progress.posts), page=False)

    # -- JOBDIR: resume from per-account checkpoints ----------------------------------------------------
    def resume(self) -> None:
        """Accounts recorded complete keep `ok`; every other account restarts from its first page.

        Scrapy's request queue and dupefilter of an interrupted run are discarded: they may hold pages as
        seen whose posts never reached the store (the store pipeline buffers), or be corrupt."""
        assert self.checkpoint is not None
        complete = self.checkpoint.load()
        discarded = self.checkpoint.discard_scrapy_queue()
        if not (complete or discarded):
            return
        for account in self.panel:
            saved = complete.get(account.id)
            if saved is not None:
                progress = self.tracker.get(self.platform, account.id)
                progress.posts, progress.pages = saved.get("posts", 0), saved.get("pages", 0)
                progress.complete = progress.resumed = True
        logger.info("Resuming crawl from %s: %d account(s) complete, %d restarted from their first page",
                    self.checkpoint.jobdir, len(complete), len(self.pending_accounts()))

    def pending_accounts(self) -> list[AccountConfig]:
        """The accounts this run crawls: the panel, less those a resumed JOBDIR holds as complete."""
        return [a for a in self.panel if not self.tracker.get(self.platform, a.id).resumed]


class CompletionCheckpoint:
    """`<JOBDIR>/benchmark-<platform>-complete.json`: the accounts whose crawl was complete and whose posts were
    all committed to the store, for the same platform and period. Written atomically (temp file + rename)."""

    def __init__(self, jobdir: str, platform: str, period: tuple[str, str] | None) -> None:
        self.jobdir = jobdir
        self.path = os.path.join(jobdir, f"benchmark-{platform}-complete.json")
        self.platform, self.period = platform, list(period or ())
        self.complete: dict[str, dict[str, int]] = {}

    def load(self) -> dict[str, dict[str, int]]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return {}  # none yet, or unreadable: every account is crawled again
        if not isinstance(data, dict) or data.get("period") != self.period or not isinstance(data.get("accounts"),
                                                                                              dict):
            return {}
        self.complete = {k: v for k, v in data["accounts"].items() if isinstance(v, dict)}
        return self.complete

    def record(self, done: Iterable[Any]) -> None:
        for progress in done:
            self.complete[progress.account_id] = {"posts": progress.posts, "pages": progress.pages}
        os.makedirs(self.jobdir, exist_ok=True)
        temporary = f"{self.path}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump({"platform": self.platform, "period": self.period, "accounts": self.complete}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)

    def discard_scrapy_queue(self) -> bool:
        """Remove the request queue and dupefilter a previous run left; True if there were any."""
        found = False
        for name in ("requests.queue", "requests.seen"):
            path = os.path.join(self.jobdir, name)
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
                found = True
            elif os.path.exists(path):
                with contextlib.suppress(OSError):
                    os.remove(path)
                found = True
        return found
