"""`scrapy enqueue`'s side of a distributed job: create it in Redis, and say how far it is."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from benchmark.config import AccountConfig
from benchmark.distributed.keys import JobKeys, account_to_json, text
from benchmark.exceptions import JobBusyError
from benchmark.i18n import Message


@dataclass
class JobSummary:
    spider: str
    job_id: str
    accounts: int
    period: tuple[str, str]


def job_status(server: Any, keys: JobKeys) -> dict[str, Any]:
    """What `scrapy enqueue --status` prints: the job and how far it is."""
    job = {text(k): text(v) for k, v in server.hgetall(keys.job).items()}
    workers = {text(k): text(v) for k, v in server.hgetall(keys.workers).items()}
    alive = [w for w in workers if server.exists(keys.alive(w))]
    return {"job": job, "pending": server.llen(keys.pending), "queued": server.zcard(keys.requests),
            "workers": len(alive), "busy": sum(1 for w in alive if workers[w] == "1"),
            "reporter": text(server.get(keys.reporter))}


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
