"""The store: SQLAlchemy Core over SQLite (default) or PostgreSQL (by URL).

Idempotent by construction: posts, accounts and comments are upserted by their natural key
(platform + id), so a re-crawl refreshes counts and `last_seen` and keeps `first_seen`; every crawl
adds one snapshot row per account and per post (unique per run), which is what follower growth and
count history are computed from. Each batch is written in one transaction, so a killed crawl
leaves whole batches or nothing.

A value that cannot be stored costs only its row (`Store.write_batch` refuses it and says why; see `Refused`),
never the batch; the schema carries its version (`schema_version`, `MIGRATIONS`).

Modules: `schema` (tables), `migrations` (versions), `engine` (opening a store), `values` (what is storable),
`plan` (the compiled fast write path), `write` (`Store`). Callers import from `benchmark.store`.
"""

from benchmark.store.engine import create_store_engine
from benchmark.store.migrations import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Migration,
    _add_column,
    add_column,
    store_version,
)
from benchmark.store.schema import (
    DEFAULT_DB_URL,
    account_snapshots,
    accounts,
    comments,
    crawl_accounts,
    crawl_runs,
    metadata,
    post_snapshots,
    posts,
    schema_version,
    utc_naive,
    utcnow,
)
from benchmark.store.values import (
    ID_MAX,
    JSON_MAX,
    TEXT_MAX,
    BatchResult,
    Refused,
    RefusedRow,
    clean_text,
    json_dumps,
)
from benchmark.store.write import Store

__all__ = [
    "DEFAULT_DB_URL", "ID_MAX", "JSON_MAX", "MIGRATIONS", "SCHEMA_VERSION", "TEXT_MAX", "BatchResult", "Migration",
    "Refused", "RefusedRow", "Store", "_add_column", "account_snapshots", "accounts", "add_column", "clean_text",
    "comments", "crawl_accounts", "crawl_runs", "create_store_engine", "json_dumps", "metadata", "post_snapshots",
    "posts", "schema_version", "store_version", "utc_naive", "utcnow",
]
