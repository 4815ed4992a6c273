"""Scale-out: any number of `scrapy crawl <platform>` workers, on any machines, share one Redis queue
(scrapy-redis) and one store (BENCHMARK_DB, e.g. PostgreSQL). See docs/scale-out.md.

    BENCHMARK_SCHEDULER=redis://host:6379/0          # environment or -s; empty (default) = one process
    scrapy enqueue weibo                             # the config's Weibo accounts become a job in Redis
    scrapy crawl weibo                               # on every machine, as many times as wanted

`DistributedAddon` (always listed in ADDONS, inert while BENCHMARK_SCHEDULER is empty) switches SCHEDULER to
`DistributedScheduler`: scrapy-redis's priority queue and RFP dupefilter in Redis, so every request of every
account goes to whichever worker is free. Plain scrapy-redis loses the requests a killed worker had popped,
and the items it had not yet written; a benchmark that silently misses posts is worse than none, so the
scheduler adds per-account bookkeeping:

- Accounts are the unit of work: `scrapy enqueue` pushes their ids to `<prefix>:<spider>:pending`; workers pop
  them (their first requests come from the spider's own `start()`, narrowed to that account).
- `open` counts, per account, the requests pushed and not yet *durably done*: +1 on push (in the same Redis
  transaction), and -1 only once the worker has finished the request's callback and committed the store batch
  holding its items (a checkpoint every DISTRIBUTED_CHECKPOINT_INTERVAL seconds, and whenever it goes idle).
- Each worker keeps a heartbeat key (TTL DISTRIBUTED_WORKER_TTL) and a busy flag, set atomically with every pop.
- A worker that goes idle runs one atomic "settle" script: workers whose heartbeat expired are dropped; if no
  account is pending, no request queued and no live worker busy, every account whose `open` is still > 0 lost
  work with a dead worker. Those accounts are crawled again from their first page (a fresh dupefilter and
  "seen" set, attempt + 1, at most DISTRIBUTED_MAX_ATTEMPTS); otherwise the job is done and exactly one
  worker claims the right to write the job's per-account statuses (`crawl_accounts`).

Re-crawling a whole account rather than replaying individual requests is deliberate: a dead worker's
unwritten items cannot be traced to requests, only to accounts, and re-reading a few pages is cheap while
store upserts make the repeat harmless (every post is still stored exactly once).

Also in Redis, because an account's pages may be parsed by different workers: its progress (posts, pages,
status: merged with the same precedence as `AccountTracker`) and the post ids already handled (a pinned post
shows twice). Secrets never reach Redis: Cookie/Authorization headers are stripped from queued requests
(SecretHeadersMiddleware adds them again at download time).

Only the standard library and Scrapy are imported at module level: this module is loaded by every `scrapy`
command (ADDONS), while redis/scrapy-redis load only when the scheduler is switched on.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured

from benchmark.config import AccountConfig
from benchmark.exceptions import JobBusyError
from benchmark.i18n import N_, Message, from_stored, to_stored
from benchmark.tracker import TERMINAL, AccountProgress, AccountTracker

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

SECRET_HEADERS = (b"Cookie", b"Authorization")
DEFAULT_PREFIX = "benchmark"


# ----------------------------------------------------------------------------------------- the switch


class DistributedAddon:
    """Turns on the Redis scheduler when BENCHMARK_SCHEDULER (a redis:// URL) is set, from the environment
    (settings.py reads it) or the command line (`-s BENCHMARK_SCHEDULER=...`)."""

    def update_settings(self, settings: BaseSettings) -> None:
        url = settings.get("BENCHMARK_SCHEDULER", "")
        if not url:
            raise NotConfigured  # no message: the embedded default is not worth a warning
        if not str(url).startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"BENCHMARK_SCHEDULER must be a redis:// URL, not {url!r}")
        prefix = settings.get("BENCHMARK_REDIS_PREFIX") or DEFAULT_PREFIX
        settings.set("SCHEDULER", "benchmark.distributed.DistributedScheduler", "addon")
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", "addon")
        settings.set("SCHEDULER_QUEUE_KEY", f"{prefix}:%(spider)s:requests", "addon")
        settings.set("SCHEDULER_DUPEFILTER_KEY", f"{prefix}:%(spider)s:df", "addon")
        settings.set("SCHEDULER_PERSIST", True, "addon")  # the job outlives any one worker
        settings.set("REDIS_URL", url, "addon")
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", AccountFeedMiddleware, 50)


# ----------------------------------------------------------------------------------------- Redis layout


@dataclass(frozen=True)
class JobKeys:
    """Every Redis key of one spider's job: `<prefix>:<spider>:...`."""

    base: str

    @classmethod
    def for_spider(cls, settings: BaseSettings, spider_name: str) -> JobKeys:
        return cls(f"{settings.get('BENCHMARK_REDIS_PREFIX') or DEFAULT_PREFIX}:{spider_name}")

    @property
    def job(self) -> str:  # hash: id, period_start, period_end, created_at, accounts
        return f"{self.base}:job"

    @property
    def job_accounts(self) -> str:  # hash: account id -> AccountConfig as JSON
        return f"{self.base}:job:accounts"

    @property
    def pending(self) -> str:  # list: account ids not started yet
        return f"{self.base}:pending"

    @property
    def requests(self) -> str:  # scrapy-redis priority queue (sorted set)
        return f"{self.base}:requests"

    @property
    def workers(self) -> str:  # hash: worker id -> 1 busy / 0 idle
        return f"{self.base}:workers"

    @property
    def reporter(self) -> str:  # the worker that writes the job's crawl_accounts rows
        return f"{self.base}:reporter"

    @property
    def account_prefix(self) -> str:
        return f"{self.base}:acct:"

    def account(self, account_id: str) -> str:  # hash: status, message, posts, pages, failed_pages, open, attempt
        return f"{self.account_prefix}{account_id}"

    def dupefilter(self, account_id: str) -> str:
        return f"{self.base}:df:{account_id}"

    def seen(self, account_id: str) -> str:
        return f"{self.base}:seen:{account_id}"

    def alive(self, worker: str) -> str:
        return f"{self.base}:alive:{worker}"

    def all_keys_pattern(self) -> str:
        return f"{self.base}:*"


# Atomic steps, as Lua scripts (a worker may die between any two Redis calls).
POP_ACCOUNT = """
local id = redis.call('LPOP', KEYS[1])
if not id then return false end
redis.call('HINCRBY', ARGV[1] .. id, 'open', 1)
redis.call('HSET', KEYS[2], ARGV[2], 1)
return {id, redis.call('HGET', KEYS[3], id) or '', redis.call('HGET', ARGV[1] .. id, 'attempt') or '1'}
"""

POP_REQUEST = """
local got = redis.call('ZRANGE', KEYS[1], 0, 0)
if #got == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], 1)
return got[1]
"""

RELEASE = """
for id, n in pairs(cjson.decode(ARGV[3])) do redis.call('HINCRBY', ARGV[1] .. id, 'open', -n) end
local terminal = {}
for _, status in ipairs(cjson.decode(ARGV[5])) do terminal[status] = true end
for _, d in ipairs(cjson.decode(ARGV[4])) do
  local key = ARGV[1] .. d.id
  redis.call('HINCRBY', key, 'posts', d.posts)
  redis.call('HINCRBY', key, 'pages', d.pages)
  redis.call('HINCRBY', key, 'failed_pages', d.failed_pages)
  local current = redis.call('HGET', key, 'status') or 'ok'
  if terminal[d.status] then
    if not terminal[current] then redis.call('HSET', key, 'status', d.status, 'message', d.message) end
  elseif d.status == 'partial' then
    if current == 'ok' then redis.call('HSET', key, 'status', 'partial', 'message', d.message) end
  elseif d.message ~= '' and current == 'ok' then
    redis.call('HSET', key, 'message', d.message)
  end
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[6])
return 1
"""

# The reason of an account given up after DISTRIBUTED_MAX_ATTEMPTS (SETTLE stores it as a Message's JSON).
LOST_MESSAGE = N_("its crawl was lost with a dead worker {count} times: crawl it again")
# The reason a worker gives for an account whose items it could not store (it stays open in the job).
STORE_LOST_MESSAGE = N_("its items could not be stored: it stays open in the job for another worker")

SETTLE = """
local base = ARGV[1]
local dead = {}
for _, w in ipairs(redis.call('HKEYS', KEYS[1])) do
  if redis.call('EXISTS', base .. ':alive:' .. w) == 0 then
    redis.call('HDEL', KEYS[1], w)
    table.insert(dead, w)
  end
end
if redis.call('LLEN', KEYS[2]) > 0 or redis.call('ZCARD', KEYS[3]) > 0 then return {'work', #dead} end
for _, busy in ipairs(redis.call('HVALS', KEYS[1])) do
  if busy == '1' then return {'wait', #dead} end
end
local redo, given_up = {}, 0
for _, id in ipairs(redis.call('HKEYS', KEYS[4])) do
  local key = base .. ':acct:' .. id
  if tonumber(redis.call('HGET', key, 'open') or '0') > 0 then
    local attempt = redis.call('HINCRBY', key, 'attempt', 1)
    redis.call('DEL', base .. ':df:' .. id, base .. ':seen:' .. id)
    if attempt > tonumber(ARGV[3]) then
      given_up = given_up + 1
      redis.call('HSET', key, 'open', 0, 'status', 'partial',
                 'message', cjson.encode({msgid = ARGV[4], params = {count = attempt - 1}}))
    else
      redis.call('HSET', key, 'open', 0, 'status', 'ok', 'message', '', 'posts', 0, 'pages', 0, 'failed_pages', 0)
      redis.call('RPUSH', KEYS[2], id)
      table.insert(redo, id)
    end
  end
end
if #redo > 0 then return {'redo', #dead, #redo, given_up} end
local claimed = redis.call('SET', KEYS[5], ARGV[2], 'NX')
return {'done', #dead, 0, given_up, claimed and 1 or 0}
"""

HEARTBEAT = """
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

FIRST_SEEN = """
local fresh = {}
for _, id in ipairs(ARGV) do
  if redis.call('SADD', KEYS[1], id) == 1 then table.insert(fresh, id) end
end
return fresh
"""


def account_to_json(account: AccountConfig) -> str:
    return json.dumps({"platform": account.platform, "id": account.id, "role": account.role,
                       "label": account.label, "affiliates": list(account.affiliates)}, ensure_ascii=False)


def account_from_json(text: str | bytes, platform: str, account_id: str) -> AccountConfig:
    """An account of the job; a missing or broken entry still gives a crawlable account (id only)."""
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        data = {}
    return AccountConfig(platform, account_id, data.get("role") or "peer", data.get("label") or account_id,
                         tuple(data.get("affiliates") or ()))


def _text(value: bytes | str | None) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else (value or "")


# ----------------------------------------------------------------------------------------- progress


class SharedTracker(AccountTracker):
    """The spider's tracker on a worker: the same calls, kept locally as deltas and merged into Redis at each
    checkpoint. Its rows are the whole job's, read back from Redis, on the one worker that reports the job."""

    def __init__(self, worker: RedisWorker) -> None:
        super().__init__()
        self.worker = worker
        self._final: list[AccountProgress] | None = None
        # Accounts whose items this worker could not store: left open in the job (see RedisWorker.checkpoint),
        # so this worker's crawl is not complete whatever the job's final statuses will say.
        self.lost: dict[str, AccountProgress] = {}

    def take_deltas(self) -> list[dict[str, Any]]:
        deltas = [{"id": p.account_id, "posts": p.posts, "pages": p.pages, "failed_pages": p.failed_pages,
                   "status": p.status, "message": to_stored(p.message)} for p in self.accounts.values()]
        self.accounts.clear()
        return deltas

    def final(self) -> list[AccountProgress]:
        if self._final is None:
            self._final = self.worker.job_progress() if self.worker.is_reporter else []
        return self._final

    def rows(self) -> list[dict]:
        tracker = AccountTracker()
        tracker.accounts = {(p.platform, p.account_id): p for p in self.final()}
        return tracker.rows()

    def problems(self) -> list[AccountProgress]:
        problems = [p for p in self.final() if p.status != "ok"]
        named = {p.account_id for p in problems}
        return problems + [p for account_id, p in self.lost.items() if account_id not in named]


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
        job = {_text(k): _text(v) for k, v in self.server.hgetall(self.keys.job).items()}
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
        self.scripts["heartbeat"](keys=[self.keys.alive(self.id), self.keys.workers],
                                  args=[self.ttl_ms, self.id, int(self.busy)])

    # -- accounts ----------------------------------------------------------------------------------------
    def pop_account(self) -> AccountConfig | None:
        got = self.scripts["pop_account"](keys=[self.keys.pending, self.keys.workers, self.keys.job_accounts],
                                          args=[self.keys.account_prefix, self.id])
        if not got:
            return None
        self.busy, self.idle = True, False
        account_id, entry, attempt = (_text(v) for v in got)
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

    def hold(self, request: Request) -> None:
        self.busy, self.idle = True, False
        self.held[request] = request.meta.get("account_id", "")

    def first_seen(self, account_id: str, post_ids: list[str]) -> set[str]:
        fresh = self.scripts["first_seen"](keys=[self.keys.seen(account_id)], args=post_ids)
        return {_text(v) for v in fresh}

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
        return [_text(result[0]), *(int(v) for v in result[1:])]

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
            # crawl may rely on (see benchmark.spider.store_coverage).
            self.crawler.stats.set_value("benchmark/crawl_started_at", self.job.get("created_at", ""))
            self.crawler.stats.set_value("distributed/reporter", True)
            logger.info("%s: job %s done; this worker writes its per-account statuses", self.spider.name,
                        self.job.get("id"))

    def job_progress(self) -> list[AccountProgress]:
        entries = {_text(k): _text(v) for k, v in self.server.hgetall(self.keys.job_accounts).items()}
        pipe = self.server.pipeline(transaction=False)
        ids = sorted(entries)
        for account_id in ids:
            pipe.hgetall(self.keys.account(account_id))
        progress = []
        for account_id, state in zip(ids, pipe.execute(), strict=True):
            account = account_from_json(entries[account_id], self.spider.platform, account_id)
            fields = {_text(k): _text(v) for k, v in state.items()}
            progress.append(AccountProgress(
                self.spider.platform, account_id, account.role, account.label, fields.get("status") or "ok",
                from_stored(fields.get("message")), int(fields.get("posts") or 0), int(fields.get("pages") or 0),
                int(fields.get("failed_pages") or 0)))
        return progress


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


# ----------------------------------------------------------------------------------------- scheduler


class DistributedScheduler:
    """scrapy-redis's queue and dupefilter (one fingerprint set per account, so a re-crawled account is not
    filtered), with the bookkeeping above. The queue is never flushed by a worker: `scrapy enqueue --reset`
    discards a job."""

    def __init__(self, crawler: Crawler, server: Any) -> None:
        self.crawler = crawler
        self.server = server
        self.stats = crawler.stats
        self.worker: RedisWorker | None = None
        self.queue: Any = None
        self.filters: dict[str, Any] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedScheduler:
        from scrapy_redis.connection import get_redis_from_settings

        server = get_redis_from_settings(crawler.settings)
        server.ping()  # fail now, with the URL in the error, rather than at the first request
        return cls(crawler, server)

    def open(self, spider: Spider) -> None:
        from scrapy_redis.queue import PriorityQueue

        self.spider = spider
        self.keys = JobKeys.for_spider(self.crawler.settings, spider.name)
        self.queue = PriorityQueue(server=self.server, spider=spider, key=self.keys.requests)
        self.worker = RedisWorker(self.crawler, spider, self.server, self.keys)
        self.worker.open()
        if len(self.queue):
            logger.info("%s: %d requests already queued in Redis", spider.name, len(self.queue))

    def close(self, reason: str) -> None:
        if self.worker is not None:
            self.worker.close(reason)

    def __len__(self) -> int:
        return len(self.queue) if self.queue is not None else 0

    def has_pending_requests(self) -> bool:
        return len(self) > 0

    def dupefilter(self, account_id: str) -> Any:
        """scrapy-redis's RFP dupefilter on this account's fingerprint set."""
        if account_id not in self.filters:
            from scrapy.utils.misc import load_object

            cls = load_object(self.crawler.settings.get("DUPEFILTER_CLASS"))
            self.filters[account_id] = cls(self.server, key=self.keys.dupefilter(account_id),
                                           debug=self.crawler.settings.getbool("DUPEFILTER_DEBUG"))
        return self.filters[account_id]

    def enqueue_request(self, request: Request) -> bool:
        account_id = request.meta.get("account_id", "")
        dupefilter = self.dupefilter(account_id)
        if not request.dont_filter and dupefilter.request_seen(request):
            dupefilter.log(request, self.spider)
            return False
        self.push(request, account_id)
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def push(self, request: Request, account_id: str) -> None:
        """Queue the request and count it open for its account, in one transaction."""
        for name in SECRET_HEADERS:
            request.headers.pop(name, None)
        # A time-ordered unique prefix: equal-priority requests pop oldest first, and two identical requests
        # (dont_filter) stay two members of the sorted set.
        member = time.time_ns().to_bytes(8, "big") + os.urandom(4) + self.queue._encode_request(request)
        pipe = self.server.pipeline(transaction=True)
        pipe.execute_command("ZADD", self.keys.requests, -request.priority, member)
        if account_id:
            pipe.hincrby(self.keys.account(account_id), "open", 1)
        pipe.execute()

    def next_request(self) -> Request | None:
        assert self.worker is not None
        member = self.worker.scripts["pop_request"](keys=[self.keys.requests, self.keys.workers],
                                                    args=[self.worker.id])
        if not member:
            return None
        request = self.queue._decode_request(member[12:])
        self.worker.hold(request)
        self.stats.inc_value("scheduler/dequeued/redis")
        return request


# ----------------------------------------------------------------------------------------- start()


class AccountFeedMiddleware:
    """In distributed mode the accounts come from Redis, not from the config: the spider's own start() runs
    once per popped account (see `first_requests`)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AccountFeedMiddleware:
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        worker = getattr(self.crawler.spider, "distributed", None)
        if worker is None:  # not a benchmark spider: nothing tells it which accounts are its share
            logger.warning("distributed mode: %s has no Redis worker, so no start requests", self.crawler.spider)
            return
        async for request in worker.feed():
            yield request


# ----------------------------------------------------------------------------------------- enqueue


@dataclass
class JobSummary:
    spider: str
    job_id: str
    accounts: int
    period: tuple[str, str]


def job_status(server: Any, keys: JobKeys) -> dict[str, Any]:
    """What `scrapy enqueue --status` prints: the job and how far it is."""
    job = {_text(k): _text(v) for k, v in server.hgetall(keys.job).items()}
    workers = {_text(k): _text(v) for k, v in server.hgetall(keys.workers).items()}
    alive = [w for w in workers if server.exists(keys.alive(w))]
    return {"job": job, "pending": server.llen(keys.pending), "queued": server.zcard(keys.requests),
            "workers": len(alive), "busy": sum(1 for w in alive if workers[w] == "1"),
            "reporter": _text(server.get(keys.reporter))}


def enqueue_job(server: Any, keys: JobKeys, accounts: Iterable[AccountConfig], period: tuple[str, str],
                reset: bool = False, now: float | None = None) -> JobSummary:
    """Replace the spider's job in Redis by a new one over `accounts`. Raises JobBusyError while workers are
    alive, and (unless `reset`) while the previous job still has accounts or requests waiting."""
    status = job_status(server, keys)
    if status["workers"]:
        # Live workers would go on popping from the new job with their own period: never swap under them.
        raise JobBusyError(Message("{prefix}: {workers} worker(s) are still running job {job}: wait for them, or "
                                   "stop them first", prefix=keys.base, workers=status["workers"],
                                   job=status["job"].get("id")))
    running = status["job"] and not status["reporter"] and (status["pending"] or status["queued"])
    if running and not reset:
        raise JobBusyError(Message(
            "{prefix}: job {job} is still running ({pending} accounts pending, {queued} requests queued, no worker "
            "alive): start workers, or --reset to discard it", prefix=keys.base, job=status["job"].get("id"),
            pending=status["pending"], queued=status["queued"]))
    for key in server.scan_iter(match=keys.all_keys_pattern(), count=1000):
        server.delete(key)
    accounts = list({account.id: account for account in accounts}.values())
    job_id = uuid.uuid4().hex
    created = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now if now is not None else time.time()))
    pipe = server.pipeline(transaction=True)
    if accounts:
        pipe.hset(keys.job_accounts, mapping={a.id: account_to_json(a) for a in accounts})
        for account in accounts:
            pipe.hset(keys.account(account.id), mapping={"status": "ok", "message": "", "posts": 0, "pages": 0,
                                                         "failed_pages": 0, "open": 0, "attempt": 1})
        pipe.rpush(keys.pending, *[a.id for a in accounts])
    pipe.hset(keys.job, mapping={"id": job_id, "period_start": period[0], "period_end": period[1],
                                 "created_at": created, "accounts": len(accounts)})
    pipe.execute()
    return JobSummary(keys.base.rpartition(":")[2], job_id, len(accounts), period)


def summary_json(summary: JobSummary) -> str:
    return json.dumps(asdict(summary), ensure_ascii=False)
