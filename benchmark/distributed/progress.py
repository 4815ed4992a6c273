"""Per-account progress of a distributed job: each worker's tracker deltas, merged in Redis (RELEASE), and the
job's statuses read back from Redis by the one worker that reports the job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from benchmark.i18n import to_stored
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

