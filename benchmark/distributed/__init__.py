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
status: merged with the same precedence as `AccountTracker`, and whether some worker's paging reached the
period's edge, since `ok` is earned as in one process) and the post ids already handled (a pinned post shows
twice). Secrets never reach Redis: Cookie/Authorization headers are stripped from queued requests
(SecretHeadersMiddleware adds them again at download time).

Only the standard library and Scrapy are imported at module level: this package is loaded by every `scrapy`
command (ADDONS), while redis/scrapy-redis load only when the scheduler is switched on.

The modules: `scheduler` (the add-on, the scheduler, the start middleware), `worker` (one worker's feed,
checkpoints, heartbeat and settling), `progress` (per-account progress merged in Redis, statuses read back),
`scripts` (the Lua steps), `keys` (the Redis layout), `jobs` (`scrapy enqueue`). Every public name is
re-exported here: `benchmark.distributed.X` is the import path for code, settings and tests.
"""

from __future__ import annotations

from benchmark.distributed.jobs import JobSummary, enqueue_job, job_status, summary_json
from benchmark.distributed.keys import DEFAULT_PREFIX, JobKeys, account_from_json, account_to_json
from benchmark.distributed.progress import SharedTracker
from benchmark.distributed.scheduler import (
    SECRET_HEADERS,
    AccountFeedMiddleware,
    DistributedAddon,
    DistributedScheduler,
)
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
from benchmark.distributed.worker import RedisWorker, first_requests, flush_store, store_pipeline
from benchmark.exceptions import JobBusyError

__all__ = [
    "DEFAULT_PREFIX", "FIRST_SEEN", "HEARTBEAT", "LOST_MESSAGE", "POP_ACCOUNT", "POP_REQUEST", "RELEASE",
    "SECRET_HEADERS", "SETTLE", "STORE_LOST_MESSAGE", "AccountFeedMiddleware", "DistributedAddon",
    "DistributedScheduler", "JobBusyError", "JobKeys", "JobSummary", "RedisWorker", "SharedTracker",
    "account_from_json", "account_to_json", "enqueue_job", "first_requests", "flush_store", "job_status",
    "store_pipeline", "summary_json",
]
