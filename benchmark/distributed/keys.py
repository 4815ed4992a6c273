"""The Redis layout of a distributed job: every key of one spider's job, and the job's accounts as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from benchmark.config import AccountConfig

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

DEFAULT_PREFIX = "benchmark"


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

    def account(self, account_id: str) -> str:
        # hash: status, message, posts, pages, failed_pages, open, attempt, complete, answered, network_errors
        return f"{self.account_prefix}{account_id}"

    def dupefilter(self, account_id: str) -> str:
        return f"{self.base}:df:{account_id}"

    def seen(self, account_id: str) -> str:
        return f"{self.base}:seen:{account_id}"

    def alive(self, worker: str) -> str:
        return f"{self.base}:alive:{worker}"

    def all_keys_pattern(self) -> str:
        return f"{self.base}:*"



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


def text(value: bytes | str | None) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else (value or "")

