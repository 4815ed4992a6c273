"""Opening a store: the engine, SQLite's file and PRAGMAs, and the schema created or migrated under a lock."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, text
from sqlalchemy.engine import make_url

from benchmark.store.migrations import _migrate
from benchmark.store.schema import DEFAULT_DB_URL
from benchmark.store.values import json_dumps


def _prepare_sqlite_file(url: str) -> None:
    """Create the folder, and a new store whole: its tables are made in a user-only (0600) temporary file in
    the same folder, which is then linked under the store's name. So the file never exists without its tables
    (a crawl killed at the wrong moment left an empty file), and of several processes creating the same store
    at once exactly one link succeeds; the others use it."""
    database = make_url(url).database
    if not database or database == ":memory:":
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    try:
        engine = create_engine(f"sqlite:///{temporary}", json_serializer=json_dumps)
        try:
            with engine.begin() as conn:
                _migrate(conn)
        finally:
            engine.dispose()
        with contextlib.suppress(FileExistsError):  # another process made it first: theirs is as good
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def create_store_engine(url: str = DEFAULT_DB_URL) -> Engine:
    """An engine for `url` with the schema created or migrated; SQLite gets WAL and NORMAL sync (see
    research/scrapy.md)."""
    is_sqlite = url.startswith("sqlite")
    if is_sqlite:
        # SQLite gives its -wal and -shm files the permissions of the database file.
        _prepare_sqlite_file(url)
    engine = create_engine(url, future=True, json_serializer=json_dumps)
    if is_sqlite:

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            # cache_size and temp_store stay at SQLite's defaults (2 MiB, files): 64 MiB of cache and mmap made
            # no measurable difference to bench/store_upserts.py (the upserts are CPU-bound even in :memory:) and
            # would raise the report's memory, which reads the store through this engine too.
            cursor.close()

    _create_schema(engine)
    return engine


# Any fixed 64-bit number: the key of the advisory lock that serialises schema creation on PostgreSQL.
_SCHEMA_LOCK_KEY = 0x62656E6368  # "bench"


def _create_schema(engine: Engine) -> None:
    """Create or migrate the schema, one process at a time: on SQLite under BEGIN IMMEDIATE (the write lock,
    taken before anything is read), on PostgreSQL under a transaction-scoped advisory lock. Processes starting
    together take turns; each finds the schema as the previous one left it (issue 14, item 9)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as raw:
            conn = raw.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                _migrate(conn)
            except BaseException:
                conn.exec_driver_sql("ROLLBACK")
                raise
            conn.exec_driver_sql("COMMIT")
        return
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
        _migrate(conn)



def _insert(engine: Engine, table: Table) -> Any:
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)
