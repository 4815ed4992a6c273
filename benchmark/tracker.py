"""Per-account crawl progress and final status: what the console summary, `crawl_accounts` and the
report's data-coverage section show. A benchmarking tool that silently returns fewer posts is worse than
none, so every account ends with an explicit status and reason.

`ok` is earned (docs/reliability.md): while the crawl runs, `status` only says whether a problem was recorded
("ok" = none so far). The paging template calls `reached_end` when an account's paging reached the period's
edge (or the end of its timeline); `settle` at the end of the crawl keeps `ok` only for those accounts and
names why the others are not complete. A crash, a lost request or a request that never happened thus ends
`partial` (or `failed` when nothing at all was fetched), never `ok` with 0 pages.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from benchmark.i18n import N_, Message

# A terminal problem explains why an account has no (or too little) data; it outranks ok/partial.
TERMINAL = ("login_wall", "blocked", "not_found", "private", "opted_out")

# The reasons `settle` gives (msgids; translated where shown).
NOT_TO_THE_EDGE = N_("paging stopped before the period's edge")
NOTHING_FETCHED = N_("nothing could be fetched: {reason}")

# Internal fields, not columns of `crawl_accounts`.
_INTERNAL = ("failed_pages", "complete", "answered", "network_errors", "resumed")


@dataclass
class AccountProgress:
    platform: str
    account_id: str
    role: str = ""
    label: str = ""
    status: str = "ok"  # provisional until `AccountTracker.settle`: "ok" = no problem recorded so far
    message: str = ""  # often a benchmark.i18n.Message: English as a str, translated where it is shown
    posts: int = 0
    pages: int = 0
    failed_pages: int = 0
    complete: bool = False  # paging reached the period's edge or the end of the timeline
    answered: int = 0  # responses received for this account (any status)
    network_errors: int = 0  # requests that failed without a response, after retries
    resumed: bool = False  # complete in an earlier run of the same JOBDIR: not crawled again


class AccountTracker:
    def __init__(self) -> None:
        self.accounts: dict[tuple[str, str], AccountProgress] = {}

    def add(self, platform: str, account_id: str, role: str = "", label: str = "") -> AccountProgress:
        key = (platform, account_id)
        if key not in self.accounts:
            self.accounts[key] = AccountProgress(platform, account_id, role, label)
        return self.accounts[key]

    def get(self, platform: str, account_id: str) -> AccountProgress:
        return self.add(platform, account_id)

    def page(self, platform: str, account_id: str, posts: int) -> None:
        progress = self.get(platform, account_id)
        progress.pages += 1
        progress.posts += posts

    def answered(self, platform: str, account_id: str) -> None:
        """A response arrived for the account (whatever its status): something was reachable."""
        self.get(platform, account_id).answered += 1

    def reached_end(self, platform: str, account_id: str) -> None:
        """The account's paging reached the period's edge (or the end of its timeline)."""
        self.get(platform, account_id).complete = True

    def is_complete(self, platform: str, account_id: str) -> bool:
        """Reached the end with no problem recorded: what `settle` will call `ok`."""
        progress = self.get(platform, account_id)
        return progress.complete and progress.status == "ok"

    def fail(self, platform: str, account_id: str, status: str, message: str, page: bool = True) -> None:
        """Record a problem. Terminal statuses win over `partial`; the first terminal reason is kept.
        `page=False`: a `partial` that is not a failed page (a post not stored), not counted as one."""
        progress = self.get(platform, account_id)
        if status == "partial":
            progress.failed_pages += page
            if progress.status == "ok":
                progress.status, progress.message = "partial", message
            return
        if progress.status not in TERMINAL:
            progress.status, progress.message = status, message

    def network_error(self, platform: str, account_id: str, message: str) -> None:
        """A request failed without any response, after retries: `partial`, or `failed` at `settle` when
        nothing at all was fetched for the account."""
        self.get(platform, account_id).network_errors += 1
        self.fail(platform, account_id, "partial", message)

    def settle(self, incomplete_reason: str | None = None) -> None:
        """At the end of the crawl: `ok` only for accounts that reached the end with nothing failed.

        `incomplete_reason` explains accounts still on their way (e.g. "crawl ended early (Ctrl-C)");
        without it they read "paging stopped before the period's edge". An account for which every request
        failed on the network and nothing answered is `failed`."""
        for progress in self.accounts.values():
            if progress.status == "ok" and not progress.complete:
                progress.status = "partial"
                progress.message = incomplete_reason or Message(NOT_TO_THE_EDGE)
            if (progress.status == "partial" and progress.network_errors and not progress.answered
                    and not progress.pages):
                progress.status = "failed"
                progress.message = Message(NOTHING_FETCHED, reason=progress.message)
                progress.failed_pages = 0

    def rows(self) -> list[dict]:
        """One `crawl_accounts` row per account: `message` in English, `message_i18n` the same reason in a
        form any language can render (`benchmark.i18n.from_stored`), or empty when it is platform text."""
        rows = []
        for progress in self.accounts.values():
            row = asdict(progress)
            for name in _INTERNAL:
                row.pop(name)
            message = progress.message
            if progress.failed_pages and progress.status == "partial":
                message = Message("{count} page(s) failed; last: {reason}", count=progress.failed_pages,
                                  reason=message)
            row["message"] = str(message)
            row["message_i18n"] = message.to_json() if isinstance(message, Message) else None
            rows.append(row)
        return rows

    def problems(self) -> list[AccountProgress]:
        return [p for p in self.accounts.values() if p.status != "ok"]
