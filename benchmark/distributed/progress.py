"""Per-account progress of a distributed job: each worker's tracker deltas, merged in Redis (RELEASE), and the
job's statuses read back from Redis by the one worker that reports the job."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from benchmark.config import AccountConfig
from benchmark.distributed.keys import JobKeys, account_from_json, text
from benchmark.i18n import from_stored, to_stored
from benchmark.tracker import AccountProgress, AccountTracker

if TYPE_CHECKING:
    from benchmark.distributed.worker import RedisWorker


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
                   "status": p.status, "message": to_stored(p.message), "complete": int(p.complete),
                   "answered": p.answered, "network_errors": p.network_errors} for p in self.accounts.values()]
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



def job_progress(server: Any, keys: JobKeys, platform: str) -> list[AccountProgress]:
    """The job's per-account statuses, merged from every worker, with `ok` earned as in one process
    (`AccountTracker.settle`): an account no worker's paging took to the period's edge is `partial`."""
    entries = {text(k): text(v) for k, v in server.hgetall(keys.job_accounts).items()}
    pipe = server.pipeline(transaction=False)
    ids = sorted(entries)
    for account_id in ids:
        pipe.hgetall(keys.account(account_id))
    tracker = AccountTracker()
    for account_id, state in zip(ids, pipe.execute(), strict=True):
        account = account_from_json(entries[account_id], platform, account_id)
        fields = {text(k): text(v) for k, v in state.items()}
        tracker.accounts[(platform, account_id)] = merged_progress(account, fields)
    tracker.settle()
    return list(tracker.accounts.values())


def merged_progress(account: AccountConfig, fields: dict[str, str]) -> AccountProgress:
    """One account's hash in Redis as the tracker's progress."""
    def count(name: str) -> int:
        return int(fields.get(name) or 0)

    return AccountProgress(account.platform, account.id, account.role, account.label, fields.get("status") or "ok",
                           from_stored(fields.get("message")), count("posts"), count("pages"), count("failed_pages"),
                           complete=count("complete") > 0, answered=count("answered"),
                           network_errors=count("network_errors"))


class AttemptSeen(dict):
    """The spider's local "post ids already handled" (`BenchmarkSpider.seen`), forgotten for an account when it is
    crawled again after a dead worker. The paging template asks it whether a page brought a new post: with the
    ids of an earlier attempt, a worker that had parsed the account's first page would stop its re-crawl right
    there (silently short: the flaky per-account post counts of the kill test).

    An attempt changes only in SETTLE, which runs only while this worker is reported idle: the attempts read
    from Redis hold until the worker pops work again (`recheck`), so it asks Redis once per account then,
    not once per page."""

    def __init__(self, attempt_of: Callable[[str], str]) -> None:
        super().__init__()
        self.attempt_of = attempt_of
        self.attempts: dict[str, str] = {}
        self.checked: set[str] = set()  # accounts whose attempt was read since the worker last went idle

    def recheck(self) -> None:
        """The worker was idle in Redis: any account may have been crawled again since."""
        self.checked.clear()

    def current(self, account_id: str) -> None:
        if account_id in self.checked:
            return
        self.checked.add(account_id)
        attempt = self.attempt_of(account_id)
        if self.attempts.get(account_id) != attempt:
            self.attempts[account_id] = attempt
            super().pop(account_id, None)

    def get(self, account_id: str, default: Any = None) -> Any:  # type: ignore[override]
        self.current(account_id)
        return super().get(account_id, default)

    def setdefault(self, account_id: str, default: Any = None) -> Any:  # type: ignore[override]
        self.current(account_id)
        return super().setdefault(account_id, default)
