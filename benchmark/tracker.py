"""Per-account crawl progress and final status: what the console summary, `crawl_accounts` and the
report's data-coverage section show. A benchmarking tool that silently returns fewer posts is worse than
none, so every account ends with an explicit status and reason."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from benchmark.i18n import Message

# A terminal problem explains why an account has no (or too little) data; it outranks ok/partial.
TERMINAL = ("login_wall", "blocked", "not_found", "private", "opted_out")


@dataclass
class AccountProgress:
    platform: str
    account_id: str
    role: str = ""
    label: str = ""
    status: str = "ok"
    message: str = ""  # often a benchmark.i18n.Message: English as a str, translated where it is shown
    posts: int = 0
    pages: int = 0
    failed_pages: int = 0


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

    def fail(self, platform: str, account_id: str, status: str, message: str) -> None:
        """Record a problem. Terminal statuses win over `partial`; the first terminal reason is kept."""
        progress = self.get(platform, account_id)
        if status == "partial":
            progress.failed_pages += 1
            if progress.status == "ok":
                progress.status, progress.message = "partial", message
            return
        if progress.status not in TERMINAL:
            progress.status, progress.message = status, message

    def is_stopped(self, platform: str, account_id: str) -> bool:
        return self.get(platform, account_id).status in TERMINAL

    def rows(self) -> list[dict]:
        """One `crawl_accounts` row per account: `message` in English, `message_i18n` the same reason in a
        form any language can render (`benchmark.i18n.from_stored`), or empty when it is platform text."""
        rows = []
        for progress in self.accounts.values():
            row = asdict(progress)
            row.pop("failed_pages")
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
