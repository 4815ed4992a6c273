"""Schema versions: the store records which migrations it has had in `schema_version` (one row per version).

A new store is made from `metadata` as it is now and recorded at SCHEMA_VERSION; an older one gets each later
migration once, in order, inside the locked transaction of `engine._create_schema`. To add a column: add it to its
Table in schema.py (nullable), then append `Migration(<next version>, "<table>.<column>", (add_column("<table>",
"<column>"),))` to MIGRATIONS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Connection, String, Table, Text, func, inspect, select, text
from sqlalchemy.exc import OperationalError

from benchmark.store.schema import metadata, schema_version, utcnow

logger = logging.getLogger("benchmark.store")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    steps: tuple[Callable[[Connection], None], ...]


def add_column(table_name: str, column_name: str) -> Callable[[Connection], None]:
    """A migration step: ALTER TABLE … ADD COLUMN, typed as the column is declared in `metadata`."""

    def step(conn: Connection) -> None:
        table = metadata.tables[table_name]
        _add_column(conn, table, table.columns[column_name])

    step.__name__ = f"add_column_{table_name}_{column_name}"
    return step


def _ids_as_text(conn: Connection) -> None:
    """Ids, handles and urls as TEXT: a Mastodon status uri or account id can be longer than the 128 characters
    of the first versions (PostgreSQL enforced it; SQLite never did). VARCHAR to TEXT does not rewrite the table."""
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.quote
    inspector = inspect(conn)
    names = set(inspector.get_table_names())
    for table in metadata.sorted_tables:
        if table.name not in names:
            continue
        present = {c["name"]: c["type"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            found = present.get(column.name)
            if isinstance(column.type, Text) and isinstance(found, String) and getattr(found, "length", None):
                conn.execute(text(f"ALTER TABLE {quote(table.name)} ALTER COLUMN {quote(column.name)} TYPE TEXT"))


def _one_posts_index(conn: Connection) -> None:
    conn.execute(text("DROP INDEX IF EXISTS ix_posts_account_id"))
    conn.execute(text("DROP INDEX IF EXISTS ix_posts_created_at"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_posts_account_created "
                      "ON posts (platform, account_id, created_at)"))


def _forget_fans_reply_handles_step(conn: Connection) -> None:
    _forget_fans_reply_handles(conn)


MIGRATIONS: tuple[Migration, ...] = (
    # Version 1: the first release's schema (it had no schema_version table).
    Migration(2, "crawl_accounts.message_i18n; fans' reply handles removed",
              (add_column("crawl_accounts", "message_i18n"), _forget_fans_reply_handles_step)),
    Migration(3, "ids, handles and urls as TEXT", (_ids_as_text,)),
    Migration(4, "posts: one (platform, account_id, created_at) index", (_one_posts_index,)),
    Migration(5, "posts.date_only", (add_column("posts", "date_only"),)),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def store_version(conn: Connection) -> int:
    """The schema version of the store on `conn`: 0 for an empty database; stores made before versions were
    recorded are recognised by their columns (1: the first release, 2: with crawl_accounts.message_i18n)."""
    inspector = inspect(conn)
    tables = set(inspector.get_table_names())
    if "schema_version" in tables:
        found = conn.execute(select(func.max(schema_version.c.version))).scalar()
        if found is not None:
            return int(found)
    if "crawl_accounts" not in tables:
        return 0
    columns = {column["name"] for column in inspector.get_columns("crawl_accounts")}
    return 2 if "message_i18n" in columns else 1


def _migrate(conn: Connection) -> list[int]:
    """Bring the store on `conn` to SCHEMA_VERSION; returns the versions applied. The caller holds the lock."""
    version = store_version(conn)
    metadata.create_all(conn)  # a new store whole; in an old one, the tables added since (schema_version)
    now = utcnow()
    if version == 0:
        conn.execute(schema_version.insert().values(version=SCHEMA_VERSION, name="created", applied_at=now))
        return []
    applied = []
    for migration in MIGRATIONS:
        if migration.version <= version:
            continue
        for step in migration.steps:
            step(conn)
        conn.execute(schema_version.insert().values(version=migration.version, name=migration.name,
                                                    applied_at=now))
        applied.append(migration.version)
    if applied:
        logger.info("store: migrated from schema version %d to %d", version, applied[-1])
    return applied


def _add_column(conn: Connection, table: Table, column: Column) -> bool:
    """ALTER TABLE … ADD COLUMN; False when another process added it first (two crawls started together)."""
    quote = conn.dialect.identifier_preparer.quote
    kind = column.type.compile(dialect=conn.dialect)
    if conn.dialect.name == "postgresql":  # serialised by the advisory lock; IF NOT EXISTS is the backstop
        conn.execute(text(f"ALTER TABLE {quote(table.name)} ADD COLUMN IF NOT EXISTS {quote(column.name)} {kind}"))
        return True
    try:
        conn.execute(text(f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(column.name)} {kind}"))
    except OperationalError as exc:
        if "duplicate column" not in str(exc).lower():
            raise
        return False
    return True


def _forget_fans_reply_handles(conn: Connection) -> None:
    """The first version pseudonymised the fan a Bluesky reply answers but kept the fan's handle in
    `extra.reply_to_handle`: remove it from the posts already stored."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("UPDATE posts SET extra = (extra::jsonb - 'reply_to_handle')::json "
                          "WHERE platform = 'bluesky' AND reply_to_author_id LIKE 'anon:%' "
                          "AND extra->>'reply_to_handle' IS NOT NULL"))
    else:
        conn.execute(text("UPDATE posts SET extra = json_remove(extra, '$.reply_to_handle') "
                          "WHERE platform = 'bluesky' AND reply_to_author_id LIKE 'anon:%' "
                          "AND json_extract(extra, '$.reply_to_handle') IS NOT NULL"))

