"""One worker's side of a distributed job (see the package docstring): the account feed, the requests it holds,
checkpoints (commit the store, then release), the heartbeat, and settling the job when it goes idle."""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider

from benchmark.config import AccountConfig
from benchmark.distributed.keys import JobKeys, account_from_json, text
from benchmark.distributed.progress import AttemptSeen, SharedTracker, job_progress
from benchmark.distributed.scripts import (
    FIRST_SEEN,
    HEARTBEAT,
    LOST_MESSAGE,
    POP_ACCOUNT,
    POP_REQUEST,
    RELEASE,
    SETTLE,
    STORE_LOST_MESSAGE,
)
from benchmark.i18n import Message
from benchmark.tracker import TERMINAL, AccountProgress

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------- the worker


class RedisWorker:
    """One worker's side of the job: account feed, held requests, checkpoints, heartbeat, settling."""

    # Why a worker of this process was turned away (no_job, job_period_mismatch), for the exit status.
    refused = ""

    def __init__(self, crawler: Crawler, spider: Spider, server: Any, keys: JobKeys) -> None:
        settings = crawler.settings
        self.crawler, self.spider, self.server, self.keys = crawler, spider, server, keys
        self.id = (settings.get("DISTRIBUTED_WORKER_ID")
                   or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")
        self.interval = settings.getfloat("DISTRIBUTED_CHECKPOINT_INTERVAL", 2.0)
        self.ttl_ms = int(settings.getfloat("DISTRIBUTED_WORKER_TTL", 30.0) * 1000)
        self.max_attempts = settings.getint("DISTRIBUTED_MAX_ATTEMPTS", 3)
        self.held: dict[Request, str] = {}  # popped requests not yet released -> account id
        self.starting: Counter[str] = Counter()  # accounts popped whose first requests are not queued yet
        self.started: Counter[str] = Counter()  # accounts whose first requests are queued, not yet released
        self.busy = False
        self.beats = 0
        self.idle = False  # the engine said so and nothing was popped since
        self.done = False
        self.is_reporter = False
        self.job: dict[str, str] = {}
        self.tracker = SharedTracker(self)
        self.scripts = {name: server.register_script(code) for name, code in (
            ("pop_account", POP_ACCOUNT), ("pop_request", POP_REQUEST), ("release", RELEASE),
            ("settle", SETTLE), ("heartbeat", HEARTBEAT), ("first_seen", FIRST_SEEN))}
        self.loop: Any = None
        self.feeding: Any = None

    # -- lifecycle -------------------------------------------------------------------------------------
    def open(self) -> None:
        self.spider.distributed = self
        self.spider.tracker = self.tracker
        self.spider.shared_seen = self.first_seen
        self.seen = self.spider.seen = AttemptSeen(self.attempt_of)
        refusal = self.check_job()
        if refusal:
            # Closing from scheduler.open() would skip the scraper's start; close once the spider is open.
            self._refusal = refusal
            self.crawler.signals.connect(self.refuse, signal=signals.spider_opened)
            return
        self.heartbeat()
        stats = self.crawler.stats
        stats.set_value("distributed/worker", self.id)
        stats.set_value("distributed/job", self.job.get("id", ""))
        self.crawler.signals.connect(self.on_idle, signal=signals.spider_idle)
        from twisted.internet.task import LoopingCall

        self.loop = LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)
        logger.info("%s: worker %s joined job %s (%s accounts, period %s..%s)", self.spider.name, self.id,
                    self.job.get("id"), self.job.get("accounts"), self.job["period_start"], self.job["period_end"])

    def check_job(self) -> str:
        """'' when this worker can join the spider's job in Redis, else the close reason (logged)."""
        job = {text(k): text(v) for k, v in self.server.hgetall(self.keys.job).items()}
        if not job:
            logger.error("%s: no job in Redis under %s: run `scrapy enqueue %s` first", self.spider.name,
                         self.keys.base, self.spider.name)
            return "no_job"
        period = getattr(self.spider, "period", None)
        if period and tuple(period) != (job["period_start"], job["period_end"]):
            logger.error("%s: this worker's period %s..%s is not the job's %s..%s: use the same config "
                         "(or -a since/until)", self.spider.name, *period, job["period_start"], job["period_end"])
            return "job_period_mismatch"
        self.job = job
        return ""

    def refuse(self, spider: Spider) -> None:
        RedisWorker.refused = self._refusal  # `scrapy crawl` exits 2: the setup, not the data, is wrong
        raise CloseSpider(self._refusal)

    def close(self, reason: str) -> None:
        """Release what is done (a graceful close waited for in-flight requests), then leave the job."""
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if not self.job:
            return
        self.checkpoint(flush=False)  # the store pipeline has flushed already (close_spider)
        self.server.hdel(self.keys.workers, self.id)
        self.server.delete(self.keys.alive(self.id))
        logger.info("%s: worker %s left the job (%s)", self.spider.name, self.id, reason)

    def tick(self) -> None:
        try:
            self.heartbeat()
            if self.idle and not self.done and not self.held and self.feeding is None:
                self.settle_and_act(from_engine=False)
            else:
                self.checkpoint()
        except Exception:  # a LoopingCall stops at the first error; keep beating
            logger.exception("distributed checkpoint failed")

    def heartbeat(self) -> None:
        joined = self.scripts["heartbeat"](keys=[self.keys.alive(self.id), self.keys.workers],
                                           args=[self.ttl_ms, self.id, int(self.busy)])
        if joined and self.beats:
            # Another worker's SETTLE took this one for dead (a stall longer than DISTRIBUTED_WORKER_TTL): the
            # accounts it was crawling may be crawled again meanwhile, and its reports for them count twice.
            self.crawler.stats.inc_value("distributed/declared_dead")
            logger.warning("%s: worker %s was taken for dead (no heartbeat for %.1f s): raise DISTRIBUTED_WORKER_TTL",
                           self.spider.name, self.id, self.ttl_ms / 1000)
        self.beats += 1

    # -- accounts ----------------------------------------------------------------------------------------
    def pop_account(self) -> AccountConfig | None:
        got = self.scripts["pop_account"](keys=[self.keys.pending, self.keys.workers, self.keys.job_accounts],
                                          args=[self.keys.account_prefix, self.id])
        if not got:
            return None
        self.pop_after_idle()
        account_id, entry, attempt = (text(v) for v in got)
        self.starting[account_id] += 1
        # A new attempt at an account this worker could not store before: its items are tried afresh.
        self.tracker.lost.pop(account_id, None)
        pipeline = store_pipeline(self.crawler)
        if pipeline is not None:
            pipeline.lost_accounts.discard((self.spider.platform, account_id))
        if attempt != "1":
            self.crawler.stats.inc_value("distributed/accounts_recrawled")
            logger.warning("%s %s: crawling it again (attempt %s): a worker died with its work", self.spider.name,
                           account_id, attempt)
        return account_from_json(entry, self.spider.platform, account_id)

    async def feed(self) -> AsyncIterator[Request]:
        """First requests of every pending account, one account at a time, until none is pending."""
        if not self.job:
            return
        while (account := self.pop_account()) is not None:
            for request in await first_requests(self.spider, account):
                yield request
            # Resumed by the engine: the account's first requests are in the Redis queue now.
            self.starting[account.id] -= 1
            self.started[account.id] += 1
        self.starting = +self.starting

    def pop_after_idle(self) -> None:
        """This worker popped work: busy again, and if Redis had it idle, SETTLE may have reset accounts."""
        if not self.busy:
            self.seen.recheck()
        self.busy, self.idle = True, False

    def hold(self, request: Request) -> None:
        self.pop_after_idle()
        self.held[request] = request.meta.get("account_id", "")

    def first_seen(self, account_id: str, post_ids: list[str]) -> set[str]:
        fresh = self.scripts["first_seen"](keys=[self.keys.seen(account_id)], args=post_ids)
        return {text(v) for v in fresh}

    # -- checkpoints ---------------------------------------------------------------------------------------
    def in_progress(self) -> set[Request]:
        """Requests this process is downloading or whose callback output is still being handled."""
        engine = self.crawler.engine
        if engine is None:
            return set(self.held)
        active = set(engine.downloader.active)
        if engine.scraper.slot is not None:
            active |= engine.scraper.slot.active
        return active

    def checkpoint(self, flush: bool = True) -> None:
        """Commit the store batch, then release finished requests and merge progress into Redis, in that order:
        a request counts as done only once its items are committed. The requests of an account whose items the
        store could not take (store down, locked, full: `StorePipeline.lost_accounts`) are never released: the
        account stays open in the job, so it is crawled again (or given up as partial after
        DISTRIBUTED_MAX_ATTEMPTS) instead of the job ending `done` without its posts (issue 14, item 10)."""
        in_progress = self.in_progress()
        finished = [request for request in self.held if request not in in_progress]
        if flush and (finished or self.started):
            flush_store(self.crawler)
        lost = self.lost_accounts()
        withheld = [request for request in finished if self.held[request] in lost]
        if withheld or any(account in lost for account in self.started):
            self.withhold(lost, withheld)
            finished = [request for request in finished if self.held.get(request) is not None]
        done = Counter(self.held[request] for request in finished) + self.started
        deltas = self.tracker.take_deltas()
        busy = bool(len(finished) < len(self.held) or +self.starting)
        if not done and not deltas and busy == self.busy:
            return
        self.scripts["release"](keys=[self.keys.workers],
                                args=[self.keys.account_prefix, self.id, json.dumps(dict(done)),
                                      json.dumps(deltas, ensure_ascii=False), json.dumps(list(TERMINAL)),
                                      int(busy)])
        for request in finished:
            del self.held[request]
        self.started.clear()
        self.busy = busy

    def lost_accounts(self) -> set[str]:
        """Ids of this spider's accounts with items the store could not take."""
        pipeline = store_pipeline(self.crawler)
        lost = getattr(pipeline, "lost_accounts", ()) if pipeline is not None else ()
        return {account_id for platform, account_id in lost if platform == self.spider.platform}

    def withhold(self, lost: set[str], requests: list[Request]) -> None:
        """Forget the given requests of lost accounts without releasing them (their `open` stays > 0)."""
        for request in requests:
            del self.held[request]
        for account_id in list(self.started):
            if account_id in lost:
                del self.started[account_id]
        for account_id in lost - set(self.tracker.lost):
            self.crawler.stats.inc_value("distributed/accounts_withheld")
            logger.error("%s %s: its items could not be stored; the account stays open in the job",
                         self.spider.name, account_id)
            self.tracker.lost[account_id] = AccountProgress(
                self.spider.platform, account_id, status="partial", message=Message(STORE_LOST_MESSAGE))

    # -- idle: more work, wait, re-crawl lost accounts, or done -----------------------------------------------
    def on_idle(self, spider: Spider) -> None:
        """spider_idle: the engine closes the spider unless this raises DontCloseSpider."""
        self.idle = True
        if not self.settle_and_act():
            raise DontCloseSpider

    def settle_and_act(self, from_engine: bool = True) -> bool:
        """Checkpoint, then settle the job; True when it is done. Pending accounts (new, or lost with a dead
        worker) are fed to the engine. Called by the engine when idle, and by the checkpoint loop while idle:
        the engine re-checks only every 5 s, which would keep a waiting worker up that long after the job ends."""
        self.checkpoint()
        state, dead, *rest = self.settle()
        if dead:
            self.crawler.stats.inc_value("distributed/dead_workers", dead)
            logger.warning("%s: %d worker(s) stopped beating: their unfinished accounts will be crawled again",
                           self.spider.name, dead)
        if state == "done":
            self.finish(claimed=rest[2] == 1, given_up=rest[1])
            if not from_engine:
                _schedule(self.crawler.engine.close_spider_async(reason="finished"))
            return True
        if state == "redo":
            self.crawler.stats.inc_value("distributed/accounts_requeued", rest[0])
        if state in ("work", "redo") and self.feeding is None:
            self.feeding = _schedule(self.crawl_pending())
        return False

    def settle(self) -> list[Any]:
        keys = self.keys
        result = self.scripts["settle"](
            keys=[keys.workers, keys.pending, keys.requests, keys.job_accounts, keys.reporter],
            args=[keys.base, self.id, self.max_attempts, LOST_MESSAGE])
        return [text(result[0]), *(int(v) for v in result[1:])]

    async def crawl_pending(self) -> None:
        try:
            async for request in self.feed():
                self.crawler.engine.crawl(request)
        finally:
            self.feeding = None

    def finish(self, claimed: bool, given_up: int) -> None:
        if self.done:
            return
        self.done = True
        if given_up:
            logger.error("%s: %d account(s) given up after %d lost attempts", self.spider.name, given_up,
                         self.max_attempts)
        self.is_reporter = claimed
        if claimed:
            # Every post of the job was fetched after the job was created: that is what the next incremental
            # crawl may rely on (see benchmark.crawling.incremental.store_coverage).
            self.crawler.stats.set_value("benchmark/crawl_started_at", self.job.get("created_at", ""))
            self.crawler.stats.set_value("distributed/reporter", True)
            logger.info("%s: job %s done; this worker writes its per-account statuses", self.spider.name,
                        self.job.get("id"))

    def job_progress(self) -> list[AccountProgress]:
        return job_progress(self.server, self.keys, self.spider.platform)

    def attempt_of(self, account_id: str) -> str:
        """The account's attempt in the job (1, then 2... each time it is crawled again after a dead worker)."""
        return text(self.server.hget(self.keys.account(account_id), "attempt"))


async def first_requests(spider: Any, account: AccountConfig) -> list[Request]:
    """The spider's own `start()` output for one account: its panel narrowed to that account while it runs
    (collected at once, so nothing else sees the narrowed panel across an await of the engine)."""
    panel = spider.panel
    spider.panel = [account]
    try:
        return [request async for request in spider.start()]
    finally:
        spider.panel = panel


def store_pipeline(crawler: Crawler) -> Any:
    """The crawl's StorePipeline, or None."""
    from benchmark.pipelines import StorePipeline

    engine = crawler.engine
    if engine is None or engine.scraper is None:
        return None
    for component in engine.scraper.itemproc.middlewares:
        if isinstance(component, StorePipeline):
            return component
    return None


def flush_store(crawler: Crawler) -> None:
    """Commit the store pipeline's buffered items now (the pipeline otherwise waits for a full batch)."""
    pipeline = store_pipeline(crawler)
    if pipeline is not None:
        pipeline.flush()


def _schedule(coroutine: Any) -> Any:
    from scrapy.utils.defer import deferred_from_coro

    return deferred_from_coro(coroutine)


