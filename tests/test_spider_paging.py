"""The paging template and the earned `ok` of `BenchmarkSpider`, in process: the rules every platform shares.

`ok` is earned: an account is `ok` only when its paging reached the period's edge (or the end of its timeline)
with nothing failed. Each test here failed before that rule (the account started `ok` and stayed `ok`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import CannotResolveHostError
from scrapy.http import TextResponse
from twisted.python.failure import Failure

from benchmark.crawling.completion import CompletionCheckpoint
from benchmark.items import Post
from benchmark.spider import BenchmarkSpider
from tests.toolkit import spiders as toolkit

ACCOUNT = "brand_channel"


class PagingSpider(BenchmarkSpider):
    """A platform reduced to the template: page N has posts whose ids and dates the test gives."""

    name = "paging-test"
    platform = "telegram"
    base_url_setting = "TELEGRAM_BASE_URL"
    default_base_url = "https://pages.test"

    def page_request(self, cursor: str | None = None, page: int = 1) -> Request:
        account = self.panel[0]
        return Request(self.url(f"/p?c={cursor or ''}&n={page}"), callback=self.parse_page, errback=self.on_error,
                       meta=self.account_meta(account, page=page, cursor=cursor))

    def parse_page(self, response: TextResponse) -> Any:
        if not (yield from self.checked_status(response)):
            return
        data = json.loads(response.text)
        posts = [post(i, day) for i, day in data["posts"]]
        yield from self.follow(response, posts, data.get("cursor"), request_for=lambda c, n: self.page_request(c, n))


def post(post_id: str, day: int) -> Post:
    return Post(platform="telegram", post_id=post_id, account_id=ACCOUNT,
                created_at=datetime(2026, 9, day, 12, tzinfo=UTC))


def make_spider(tmp_path: Path, **settings: Any) -> PagingSpider:
    return toolkit.make_spider(PagingSpider, tmp_path, {"RETRY_TIMES": 0, **settings}, accounts=ACCOUNT,
                               since="2026-09-01", until="2026-09-30")

def answer(spider: PagingSpider, request: Request, posts: list[tuple[str, int]], cursor: str | None,
           status: int = 200) -> list[Request]:
    body = json.dumps({"posts": posts, "cursor": cursor}).encode()
    response = TextResponse(request.url, status=status, body=body, encoding="utf-8", request=request)
    return [o for o in spider.parse_page(response) if isinstance(o, Request)]


def settled(spider: PagingSpider, reason: str = "finished") -> tuple[str, str]:
    spider.closed(reason)
    [row] = spider.tracker.rows()
    return row["status"], row["message"]


def test_an_account_whose_paging_reached_the_edge_is_ok(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    [page2] = answer(spider, spider.page_request(), [("a", 20), ("b", 15)], "c1")
    assert answer(spider, page2, [("c", 10), ("d", 1)], None) == []
    assert settled(spider) == ("ok", "")


def test_an_account_whose_chain_broke_off_silently_is_partial(tmp_path: Path) -> None:
    """A request that never happened (lost, dropped, never answered): no callback says anything."""
    spider = make_spider(tmp_path)
    answer(spider, spider.page_request(), [("a", 20), ("b", 15)], "c1")  # page 2 is never answered
    assert settled(spider) == ("partial", "paging stopped before the period's edge")


def test_an_account_never_requested_is_not_ok(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    assert settled(spider) == ("partial", "paging stopped before the period's edge")


def test_a_page_without_a_new_post_id_ends_the_account_partial(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    [page2] = answer(spider, spider.page_request(), [("a", 20), ("b", 15)], "c1")
    assert answer(spider, page2, [("a", 20), ("b", 15)], "c2") == []  # the cursor moved, the posts did not
    assert settled(spider) == ("partial", "1 page(s) failed; last: the server repeated a page (no new post on it)")


def test_a_cursor_that_does_not_move_ends_the_account_partial(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    [page2] = answer(spider, spider.page_request(), [("a", 20)], "c1")
    assert answer(spider, page2, [("b", 19)], "c1") == []
    assert settled(spider)[1].endswith("the next-page cursor did not move (c1)")


def test_the_page_cap_bounds_every_crawl(tmp_path: Path) -> None:
    spider = make_spider(tmp_path, MAX_PAGES_PER_ACCOUNT=3)
    request = spider.page_request()
    for number in range(1, 4):
        follow = answer(spider, request, [(f"p{number}", 28 - number)], f"c{number}")
        request = follow[0] if follow else None
    assert request is None
    assert settled(spider)[1].endswith("stopped after 3 pages (MAX_PAGES_PER_ACCOUNT)")


def test_an_exception_in_a_callback_marks_its_account_partial(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    request = spider.page_request()
    response = TextResponse(request.url, status=200, body=b"{}", request=request)
    try:
        raise OverflowError("date value out of range")
    except OverflowError:
        failure = Failure()
    spider.crawler.signals.send_catch_log(signal=signals.spider_error, failure=failure,
                                          response=response, spider=spider)
    spider.tracker.reached_end("telegram", ACCOUNT)  # even if the chain went on to the end
    assert settled(spider) == ("partial", "1 page(s) failed; last: an error in the crawler: OverflowError")


def test_an_account_that_fetched_nothing_for_want_of_dns_is_failed_and_says_so(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    request = spider.page_request()
    failure = Failure(CannotResolveHostError("pages.test"))
    failure.request = request
    spider.on_error(failure)
    assert settled(spider) == ("failed", "nothing could be fetched: cannot reach pages.test: no network or DNS?")


def test_a_crawl_stopped_early_keeps_no_account_ok(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    answer(spider, spider.page_request(), [("a", 20)], None)
    status, message = settled(spider, "shutdown")
    assert status == "partial" and "crawl ended early" in message


def test_the_completion_checkpoint_is_written_atomically_and_read_back(tmp_path: Path) -> None:
    jobdir = tmp_path / "job"
    checkpoint = CompletionCheckpoint(str(jobdir), "telegram", ("2026-09-01", "2026-09-30"))
    assert checkpoint.load() == {}
    spider = make_spider(tmp_path)
    answer(spider, spider.page_request(), [("a", 20)], None)
    checkpoint.record([spider.tracker.get("telegram", ACCOUNT)])
    assert not list(jobdir.glob("*.tmp"))
    again = CompletionCheckpoint(str(jobdir), "telegram", ("2026-09-01", "2026-09-30"))
    assert again.load() == {ACCOUNT: {"posts": 1, "pages": 1}}
    other_period = CompletionCheckpoint(str(jobdir), "telegram", ("2026-08-01", "2026-09-30"))
    assert other_period.load() == {}  # another period: nothing is trusted
    (jobdir / checkpoint.path.rpartition("/")[2]).write_text("{garbage", encoding="utf-8")
    assert CompletionCheckpoint(str(jobdir), "telegram", ("2026-09-01", "2026-09-30")).load() == {}


def test_a_resumed_account_recorded_complete_stays_ok_and_is_not_crawled_again(tmp_path: Path) -> None:
    jobdir = tmp_path / "job"
    (jobdir / "requests.queue").mkdir(parents=True)
    checkpoint = CompletionCheckpoint(str(jobdir), "telegram", ("2026-09-01", "2026-09-30"))
    checkpoint.complete = {}
    first = make_spider(tmp_path)
    answer(first, first.page_request(), [("a", 20)], None)
    checkpoint.record([first.tracker.get("telegram", ACCOUNT)])
    resumed = make_spider(tmp_path, JOBDIR=str(jobdir))
    assert resumed.pending_accounts() == []
    assert not (jobdir / "requests.queue").exists()  # Scrapy's queue of the interrupted run is not trusted
    assert settled(resumed, "finished") == ("ok", "")


def test_a_page_request_dropped_as_a_duplicate_is_named(tmp_path: Path) -> None:
    """Before, Scrapy's dupefilter dropped a Weibo page whose since_id did not move and the account stayed ok."""
    spider = make_spider(tmp_path)
    [page2] = answer(spider, spider.page_request(), [("a", 20)], "c1")
    spider.crawler.signals.send_catch_log(signal=signals.request_dropped, request=page2, spider=spider)
    status, message = settled(spider)
    assert status == "partial" and "a page request was dropped as a duplicate" in message


def test_an_account_is_checkpointed_only_after_the_commit_that_holds_its_last_post(tmp_path: Path) -> None:
    """The contract with the store (benchmark.signals.batch_committed): complete + every kept post through the
    pipelines before a commit → recorded complete in JOBDIR; and, at the end, an account whose posts did not
    all reach a commit is not ok."""
    from benchmark import signals as store_signals

    jobdir = tmp_path / "job"
    spider = make_spider(tmp_path, JOBDIR=str(jobdir))
    kept = [o for o in spider.parse_page(TextResponse(
        spider.page_request().url, status=200, encoding="utf-8", request=spider.page_request(),
        body=json.dumps({"posts": [["a", 20], ["b", 19]], "cursor": None}).encode())) if isinstance(o, Post)]
    assert [p.post_id for p in kept] == ["a", "b"]
    send = spider.crawler.signals.send_catch_log
    send(signal=store_signals.batch_committed, accounts={("telegram", ACCOUNT)}, posts={("telegram", ACCOUNT): 1})
    checkpoint = CompletionCheckpoint(str(jobdir), "telegram", ("2026-09-01", "2026-09-30"))
    assert checkpoint.load() == {}  # "b" is not stored yet
    assert settled(spider) == ("partial", "only 1 of its 2 posts reached the store")

    spider = make_spider(tmp_path, JOBDIR=str(jobdir))
    kept = [o for o in spider.parse_page(TextResponse(
            spider.page_request().url, status=200, encoding="utf-8", request=spider.page_request(),
            body=json.dumps({"posts": [["a", 20], ["b", 19]], "cursor": None}).encode())) if isinstance(o, Post)]
    spider.crawler.signals.send_catch_log(signal=store_signals.batch_committed, accounts={("telegram", ACCOUNT)},
                                          posts={("telegram", ACCOUNT): len(kept)})
    assert checkpoint.load() == {ACCOUNT: {"posts": 2, "pages": 1}}
    assert settled(spider) == ("ok", "")


def test_the_post_that_fills_a_batch_counts_as_stored(tmp_path: Path) -> None:
    """Scrapy sends item_scraped after the pipelines, so the post whose arrival filled a batch (and made it commit)
    was counted only after that commit: an account whose last post filled a batch ended `partial` though every
    post was stored (seen under load in test_faults). The store says how many posts each commit held."""
    from benchmark.pipelines import StorePipeline

    spider = make_spider(tmp_path, BENCHMARK_DB=f"sqlite:///{tmp_path / 'store.sqlite3'}", BENCHMARK_DB_BATCH=2)
    pipeline = StorePipeline.from_crawler(spider.crawler)
    pipeline.open_spider(spider)
    kept = [o for o in spider.parse_page(TextResponse(
        spider.page_request().url, status=200, encoding="utf-8", request=spider.page_request(),
        body=json.dumps({"posts": [["a", 20], ["b", 19]], "cursor": None}).encode())) if isinstance(o, Post)]
    for item in kept:  # as Scrapy does: the pipelines first, then item_scraped
        pipeline.process_item(item, spider)
        spider.crawler.signals.send_catch_log(signal=signals.item_scraped, item=item, response=None, spider=spider)
    pipeline.close_spider(spider)
    assert settled(spider) == ("ok", "")
