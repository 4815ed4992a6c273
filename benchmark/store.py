"""The store: SQLAlchemy Core over SQLite (default) or PostgreSQL (by URL).

Idempotent by construction: posts, accounts and comments are upserted by their natural key
(platform + id), so a re-crawl refreshes counts and `last_seen` and keeps `first_seen`; every crawl
adds one snapshot row per account and per post (unique per run), which is what follower growth and
count history are computed from. Each batch is written in one transaction, so a killed crawl
leaves whole batches or nothing.

A value that cannot be stored costs only its row (`Store.write_batch` refuses it and says why; see `Refused`),
never the batch; the schema carries its version (`schema_version`, `MIGRATIONS`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import operator
import os
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

logger = logging.getLogger(__name__)

DEFAULT_DB_URL = "sqlite:///data/benchmark.sqlite3"

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("account_id", Text, primary_key=True),
    Column("handle", Text),
    Column("name", Text),
    Column("url", Text),
    Column("is_organization", Boolean),
    Column("verified", Boolean),
    Column("description", Text),
    Column("followers", BigInteger),
    Column("following", BigInteger),
    Column("posts_count", BigInteger),
    Column("crawled_at", DateTime),
    Column("first_seen", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("extra", JSON),
)

account_snapshots = Table(
    "account_snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("account_id", Text, nullable=False),
    Column("crawled_at", DateTime, nullable=False),
    Column("followers", BigInteger),
    Column("following", BigInteger),
    Column("posts_count", BigInteger),
    UniqueConstraint("run_id", "platform", "account_id", name="uq_account_snapshot_run"),
)

posts = Table(
    "posts",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("post_id", Text, primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("date_only", Boolean, default=False),  # a day without a time of day (stored at 00:00 local)
    Column("url", Text),
    Column("text", Text),
    Column("kind", String(16), nullable=False),
    Column("format", String(16), nullable=False),
    Column("media_count", Integer),
    Column("likes", BigInteger),
    Column("comments", BigInteger),
    Column("reposts", BigInteger),
    Column("quotes", BigInteger),
    Column("views", BigInteger),
    Column("counts_are_lower_bounds", Boolean),
    Column("pinned", Boolean),
    Column("source_client", Text),
    Column("hashtags", JSON),
    Column("mentions", JSON),
    Column("links", JSON),
    Column("ref_post_id", Text),
    Column("ref_author_id", Text),
    Column("ref_author_name", Text),
    Column("ref_author_is_organization", Boolean),
    Column("ref_author_followers", BigInteger),
    Column("reply_to_author_id", Text),
    Column("crawled_at", DateTime),
    Column("first_seen", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("extra", JSON),
    # What every read asks for: one account's posts in a period. One index instead of one on account_id and one
    # on created_at: a post upsert updates one b-tree fewer (issue 19).
    Index("ix_posts_account_created", "platform", "account_id", "created_at"),
)

post_snapshots = Table(
    "post_snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("post_id", Text, nullable=False),
    Column("crawled_at", DateTime, nullable=False),
    Column("likes", BigInteger),
    Column("comments", BigInteger),
    Column("reposts", BigInteger),
    Column("quotes", BigInteger),
    Column("views", BigInteger),
    UniqueConstraint("run_id", "platform", "post_id", name="uq_post_snapshot_run"),
)

comments = Table(
    "comments",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("comment_id", Text, primary_key=True),
    Column("post_id", Text, nullable=False, index=True),
    Column("author_id", Text),
    Column("author_name", Text),
    Column("author_is_organization", Boolean),
    Column("created_at", DateTime),
    Column("text", Text),
    Column("parent_comment_id", Text),
    Column("is_by_post_author", Boolean),
    Column("likes", BigInteger),
    Column("crawled_at", DateTime),
    Column("first_seen", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("extra", JSON),
)

crawl_runs = Table(
    "crawl_runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("spider", String(32), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("finish_reason", String(64)),
    Column("period_start", String(10)),
    Column("period_end", String(10)),
    Column("stats", JSON),
)

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", Text),
    Column("applied_at", DateTime),
)

crawl_accounts = Table(
    "crawl_accounts",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("platform", String(16), primary_key=True),
    Column("account_id", Text, primary_key=True),
    Column("role", String(16)),
    Column("label", Text),
    Column("status", String(16), nullable=False),
    Column("message", Text),  # the reason in English
    Column("message_i18n", Text),  # the same reason for any language (benchmark.i18n.Message JSON), or NULL
    Column("posts", Integer),
    Column("pages", Integer),
    Column("finished_at", DateTime),
)

_KEYS = {
    "accounts": ("platform", "account_id"),
    "posts": ("platform", "post_id"),
    "comments": ("platform", "comment_id"),
}
_SNAPSHOT_FIELDS = {
    "accounts": ("followers", "following", "posts_count"),
    "posts": ("likes", "comments", "reposts", "quotes", "views"),
}


def utc_naive(value: datetime | None) -> datetime | None:
    """Store every time as naive UTC: the same on SQLite and PostgreSQL."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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


# -- schema versions ----------------------------------------------------------------------------------------
# The store records which migrations it has had in `schema_version` (one row per version). A new store is made
# from `metadata` as it is now and recorded at SCHEMA_VERSION; an older one gets each later migration once, in
# order, inside the locked transaction above. To add a column: add it to its Table above (nullable), then
# append `Migration(<next version>, "<table>.<column>", (add_column("<table>", "<column>"),))` to MIGRATIONS.


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


def _insert(engine: Engine, table: Table) -> Any:
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)



# -- what the store accepts -------------------------------------------------------------------------------
# A hostile or broken answer must never cost the rest of the crawl (issue 14): every value is made storable
# here where that does not change its meaning, and a row that cannot be stored truthfully is refused alone.
TEXT_MAX = 100_000  # characters of any one text; real posts are at most a few thousand (Weibo long text)
ID_MAX = 1_000  # characters of a key or indexed id; PostgreSQL's btree rejects entries over ~2,700 bytes
JSON_MAX = 1_000_000  # characters of one JSON column
INT64 = (-(2**63), 2**63 - 1)
INT32 = (-(2**31), 2**31 - 1)
_SURROGATES = re.compile("[\ud800-\udfff]")
_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS


class Refused(ValueError):
    """A value that cannot be stored without lying about it; `reason` is the stats/refusal code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RefusedRow:
    table: str
    platform: str
    account_id: str  # "" when unknown (a comment whose post is not stored)
    key: str  # the row's id (post, comment or account id): never its text
    reason: str


@dataclass
class BatchResult:
    """What `Store.write_batch` did: the accounts that had rows in the batch, and the rows it refused
    (everything else is committed)."""

    accounts: set[tuple[str, str]] = field(default_factory=set)
    refused: list[RefusedRow] = field(default_factory=list)
    stored: int = 0
    retried: bool = False  # the batch failed as a whole and was written row by row


def clean_text(value: str) -> str:
    """Lone surrogates (invalid UTF-8) become U+FFFD, NUL characters are removed (PostgreSQL cannot hold them),
    and the text is cut at TEXT_MAX characters. Anything else is returned as is."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = _SURROGATES.sub("\ufffd", value)
    return value[:TEXT_MAX] if len(value) > TEXT_MAX else value


def _text(value: Any) -> Any:
    return clean_text(value) if value.__class__ is str else value


def _key(value: Any) -> Any:
    if value.__class__ is str:
        value = clean_text(value)
        if len(value) > ID_MAX:
            raise Refused("id_too_long")
    return value


def _number(value: Any, low: int, high: int) -> Any:
    """A count as an integer within the column's range. Out of range, not finite or not whole: refused, not
    clamped — a clamped count is still a made-up one, and it would flow into every sum and median."""
    if value is None:
        return None
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            raise Refused("number_out_of_range")
        value = int(value)
    if isinstance(value, int) and not low <= value <= high:
        raise Refused("number_out_of_range")
    return value


def _int64(value: Any) -> Any:
    return _number(value, *INT64)


def _int32(value: Any) -> Any:
    return _number(value, *INT32)


def _naive(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise Refused("bad_date")
    try:
        return utc_naive(value)
    except (OverflowError, ValueError):  # e.g. year 9999 with a negative UTC offset
        raise Refused("bad_date") from None


def _sqlite_datetime(value: Any) -> Any:
    """SQLAlchemy's SQLite DATETIME text ("2026-08-01 04:00:00.000000"), so both write paths give the same bytes."""
    value = _naive(value)
    return None if value is None else value.isoformat(" ", "microseconds")


def json_dumps(value: Any) -> str:
    """The store's JSON: compact UTF-8 (orjson). Used by the engine too, so every JSON column has one format."""
    return orjson.dumps(value, option=_JSON_OPTIONS).decode()


def _json(value: Any) -> str:
    try:
        out = orjson.dumps(value, option=_JSON_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):  # lone surrogates, 2**64 and up, unknown types
        out = None
    if out is None or len(out) > JSON_MAX or b"\\u0000" in out:
        try:
            out = orjson.dumps(_clean_json(value), option=_JSON_OPTIONS)
        except (TypeError, orjson.JSONEncodeError):
            raise Refused("bad_json") from None
        if len(out) > JSON_MAX:
            raise Refused("bad_json")
    return out.decode()


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_json(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and not INT64[0] <= value <= INT64[1]:
        return str(value)  # JSON cannot carry it as a number everywhere; as text it keeps its digits
    return value


_INDEXED_IDS = frozenset(("platform", "account_id", "post_id", "comment_id", "run_id"))


def _converter(table: Table, column: Column, sqlite: bool) -> Any:
    """The function that makes one column's value storable (None: stored as given)."""
    kind = column.type
    if isinstance(kind, JSON):
        return _json
    if isinstance(kind, DateTime):
        return _sqlite_datetime if sqlite else _naive
    if isinstance(kind, BigInteger):
        return _int64
    if isinstance(kind, Integer):
        return _int32
    if isinstance(kind, Boolean):
        return None
    if column.name in _INDEXED_IDS:
        return _key
    return _text


def _expression(column: Column, convert: Any, value: str, sqlite: bool) -> str:
    """Python source for one column's parameter. The common case (an ASCII id, a count in range, an aware UTC
    time, an empty list) is handled inline; anything else calls the column's converter (`c`)."""
    kind = column.type
    if convert is None:
        return value
    if isinstance(kind, JSON):
        return f"(('[]' if v.__class__ is list else '{{}}') if not (v := {value}) and v.__class__ in EMPTY else c(v))"
    if isinstance(kind, DateTime):
        fast = "v.isoformat(' ', 'microseconds')[:26]" if sqlite else "v.replace(tzinfo=None)"
        return f"({fast} if (v := {value}).__class__ is datetime and (v.tzinfo is UTC or v.tzinfo is None) else c(v))"
    if isinstance(kind, Integer):  # BigInteger too
        low, high = INT64 if isinstance(kind, BigInteger) else INT32
        return f"(v if (v := {value}) is None or (v.__class__ is int and {low} <= v <= {high}) else c(v))"
    limit = ID_MAX if convert is _key else TEXT_MAX
    return (f"(v if (v := {value}).__class__ is not str or (v.isascii() and len(v) <= {limit} and '\\x00' not in v) "
            "else c(v))")


@dataclass
class _TablePlan:
    """A table's upsert compiled once: its SQL and the generated function that turns an item row into the
    positional tuple of that SQL (issue 19: per-row parameter processing was half of the store's time)."""

    upsert: str
    build: Any  # (row, now) -> tuple
    snapshot: str | None = None
    build_snapshot: Any = None  # (run_id, the row's tuple) -> tuple


def _generate(name: str, fields: list[str], expressions: list[str], converters: list[Any]) -> Any:
    """One function per table: the row's fields in one C call (itemgetter), then `return (<expression>, ...)`,
    each converter bound in the function's globals. Rows lacking a field go through `row.get` instead."""
    env: dict[str, Any] = {"datetime": datetime, "UTC": UTC, "EMPTY": (list, dict),
                           "fetch": operator.itemgetter(*fields)}
    parts = []
    for index, (expression, convert) in enumerate(zip(expressions, converters, strict=True)):
        env[f"c{index}"] = convert
        parts.append(expression.replace("c(v)", f"c{index}(v)"))
    local = [f"f{index}" for index in range(len(fields))]
    body = ", ".join(parts)
    for index, field_name in enumerate(fields):
        body = body.replace(f"g({field_name!r})", local[index])
    source = (f"def {name}(row, now):\n"
              f"    try:\n        {', '.join(local)}, = fetch(row)\n"
              f"    except KeyError:\n        {', '.join(local)}, = [row.get(k) for k in {tuple(fields)!r}]\n"
              f"    return ({body},)\n")
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<store {name}>", "exec"), env, namespace)  # code built from our own schema, never data
    return namespace[name]


def _plan_for(table: Table, dialect: Any) -> _TablePlan:
    sqlite = dialect.name == "sqlite"
    quote = dialect.identifier_preparer.quote
    mark = "?" if sqlite else "%s"
    keys = _KEYS[table.name]
    expressions, converters, names, fields = [], [], [], []
    for column in table.columns:
        names.append(quote(column.name))
        if column.name in ("first_seen", "last_seen"):
            expressions.append("now")
            converters.append(None)
            continue
        fields.append(column.name)
        convert = _converter(table, column, sqlite)
        expression = _expression(column, convert, f"g({column.name!r})", sqlite)
        if column.name == "crawled_at":  # an item without its crawl time was crawled now
            expression = f"(now if (w := g('crawled_at')) is None else {_expression(column, convert, 'w', sqlite)})"
        expressions.append(expression)
        converters.append(convert)
    updates = [f"{quote(c.name)} = excluded.{quote(c.name)}" for c in table.columns
               if c.name not in (*keys, "first_seen")]
    upsert = (f"INSERT INTO {quote(table.name)} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))}) "
              f"ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {', '.join(updates)}")
    if table.name == "posts":  # never move a stored post to another account (issue 14, item 4)
        upsert += f" WHERE {quote(table.name)}.{quote('account_id')} = excluded.{quote('account_id')}"
    plan = _TablePlan(upsert, _generate(f"build_{table.name}", fields, expressions, converters))
    if table.name in _SNAPSHOTS:
        # The snapshot's values are the row's, already made storable: taken from its tuple by position (the
        # snapshot columns have the same types as the table's).
        snap = _SNAPSHOTS[table.name]
        key_field = keys[1]
        snap_names = ["platform", key_field, "crawled_at", *_SNAPSHOT_FIELDS[table.name]]
        positions = [[c.name for c in table.columns].index(n) for n in snap_names]
        take = operator.itemgetter(*positions)
        plan.build_snapshot = lambda run_id, params: (run_id, *take(params))
        snap_names.insert(0, "run_id")
        plan.snapshot = (f"INSERT INTO {quote(snap.name)} ({', '.join(quote(n) for n in snap_names)}) "
                         f"VALUES ({', '.join([mark] * len(snap_names))}) "
                         f"ON CONFLICT ({quote('run_id')}, {quote('platform')}, {quote(key_field)}) DO NOTHING")
    return plan


class Store:
    """Writes crawl output; reads are done by the report with pandas over the same engine."""

    def __init__(self, url: str = DEFAULT_DB_URL, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or create_store_engine(url)
        self._plans = {table.name: _plan_for(table, self.engine.dialect) for table in (accounts, posts, comments)}

    # -- writes ---------------------------------------------------------------------------------
    def write_batch(
        self,
        run_id: str,
        account_rows: Iterable[Mapping[str, Any]] = (),
        post_rows: Iterable[Mapping[str, Any]] = (),
        comment_rows: Iterable[Mapping[str, Any]] = (),
    ) -> BatchResult:
        """Upsert one batch of items and their snapshots in a single transaction.

        A row with a value that cannot be stored (see `Refused`), or a post already stored under another
        account, is refused alone; if the database still rejects the batch, its rows are written one by one
        (each with its snapshot, in its own transaction) and only the rows the database rejects are refused.
        Nothing is kept for later: when this returns, every row is committed or listed in `refused`."""
        result = BatchResult()
        now = utcnow()
        # The time as the fast path binds it: SQLAlchemy's SQLite DATETIME text, or a datetime for PostgreSQL.
        now_value = now.isoformat(" ", "microseconds") if self.engine.dialect.name == "sqlite" else now
        rows = {
            "accounts": _dedupe(account_rows, _KEYS["accounts"], result),
            "posts": _dedupe(post_rows, _KEYS["posts"], result),
            "comments": _dedupe(comment_rows, _KEYS["comments"], result),
        }
        owners = self._comment_owners(rows["comments"], rows["posts"])
        for name in ("accounts", "posts"):
            result.accounts.update((row["platform"], row["account_id"]) for row in rows[name])
        result.accounts.update(owner for owner in owners.values() if owner[1])
        units: dict[str, list[tuple[Mapping[str, Any], tuple, tuple | None]]] = {}
        for name, table_rows in rows.items():
            plan = self._plans[name]
            built = units[name] = []
            for row in table_rows:
                try:
                    params = plan.build(row, now_value)
                    snapshot = plan.build_snapshot(run_id, params) if plan.snapshot else None
                except Refused as exc:
                    result.refused.append(_refused(name, row, exc.reason, owners))
                    continue
                built.append((row, params, snapshot))
        count = sum(len(built) for built in units.values())
        if not count:
            return result
        try:
            with self.engine.begin() as conn:
                for name, built in units.items():
                    if not built:
                        continue
                    plan = self._plans[name]
                    done = conn.exec_driver_sql(plan.upsert, [unit[1] for unit in built])
                    if name == "posts" and done.rowcount != len(built):
                        built = units[name] = self._refuse_foreign_posts(conn, built, result)
                    if plan.snapshot and built:
                        conn.exec_driver_sql(plan.snapshot, [unit[2] for unit in built])
            result.stored = sum(len(built) for built in units.values())
        except Exception as exc:  # whatever the database says, the rows are tried one by one
            logger.warning("store: a batch of %d rows failed (%s); writing its rows one by one", count,
                           type(exc).__name__)
            result.retried = True
            self._write_one_by_one(units, result, owners)
        return result

    def _write_one_by_one(self, units: dict[str, list[tuple[Mapping[str, Any], tuple, tuple | None]]],
                          result: BatchResult, owners: dict[tuple[str, str], tuple[str, str]]) -> None:
        unavailable = False
        for name, built in units.items():
            plan = self._plans[name]
            for row, params, snapshot in built:
                if unavailable:  # the database is gone or locked: trying 500 more rows would only take longer
                    result.refused.append(_refused(name, row, "store_unavailable", owners))
                    continue
                try:
                    with self.engine.begin() as conn:
                        if conn.exec_driver_sql(plan.upsert, params).rowcount == 0:  # another account's post
                            result.refused.append(_refused(name, row, "foreign_post", owners))
                            continue
                        if snapshot is not None:
                            conn.exec_driver_sql(plan.snapshot, snapshot)
                    result.stored += 1
                except OperationalError:
                    unavailable = True
                    result.refused.append(_refused(name, row, "store_unavailable", owners))
                except Exception:  # this row's values, as the database judged them
                    result.refused.append(_refused(name, row, "database_error", owners))

    def _refuse_foreign_posts(self, conn: Connection, built: list[tuple[Mapping[str, Any], tuple, tuple | None]],
                              result: BatchResult) -> list[tuple[Mapping[str, Any], tuple, tuple | None]]:
        """After an upsert that changed fewer rows than it was given: the posts whose id is stored under another
        account (the upsert's WHERE left them alone) are refused, and get no snapshot. An instance that answers
        with another account's statuses must not move them (issue 14, item 4)."""
        stored: dict[tuple[str, str], str] = {}
        by_platform: dict[str, list[str]] = {}
        for row, _params, _snapshot in built:
            by_platform.setdefault(row["platform"], []).append(row["post_id"])
        for platform, ids in by_platform.items():
            for i in range(0, len(ids), 500):
                query = select(posts.c.post_id, posts.c.account_id).where(
                    posts.c.platform == platform, posts.c.post_id.in_(ids[i : i + 500]))
                stored.update(((platform, post_id), account) for post_id, account in conn.execute(query))
        kept = []
        for unit in built:
            row = unit[0]
            owner = stored.get((row["platform"], row["post_id"]))
            if owner is not None and owner != row["account_id"]:
                result.refused.append(RefusedRow("posts", row["platform"], row["account_id"], str(row["post_id"]),
                                                 "foreign_post"))
            else:
                kept.append(unit)
        return kept

    def _comment_owners(self, comment_rows: list[Mapping[str, Any]],
                        post_rows: list[Mapping[str, Any]]) -> dict[tuple[str, str], tuple[str, str]]:
        """(platform, post id) -> (platform, account id) for the posts the batch's comments are under."""
        if not comment_rows:
            return {}
        owners = {(r["platform"], r["post_id"]): (r["platform"], r["account_id"]) for r in post_rows}
        missing: dict[str, set[str]] = {}
        for row in comment_rows:
            if (row["platform"], row["post_id"]) not in owners:
                missing.setdefault(row["platform"], set()).add(row["post_id"])
        if missing:
            with self.engine.connect() as conn:
                for platform, ids in missing.items():
                    id_list = sorted(ids, key=str)
                    for i in range(0, len(id_list), 500):
                        query = select(posts.c.post_id, posts.c.account_id).where(
                            posts.c.platform == platform, posts.c.post_id.in_(id_list[i : i + 500]))
                        owners.update(((platform, p), (platform, a)) for p, a in conn.execute(query))
        for row in comment_rows:
            owners.setdefault((row["platform"], row["post_id"]), (row["platform"], ""))
        return owners

    def start_run(self, run_id: str, spider: str, period: tuple[str, str] | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                crawl_runs.insert().values(
                    run_id=run_id,
                    spider=spider,
                    started_at=utcnow(),
                    period_start=period[0] if period else None,
                    period_end=period[1] if period else None,
                )
            )

    def finish_run(
        self,
        run_id: str,
        finish_reason: str,
        stats: Mapping[str, Any],
        account_statuses: Iterable[Mapping[str, Any]],
    ) -> None:
        """Close the run: its stats and one status row per account, in one transaction."""
        now = utcnow()
        rows = [{**row, "run_id": run_id, "finished_at": now} for row in account_statuses]
        with self.engine.begin() as conn:
            conn.execute(
                crawl_runs.update()
                .where(crawl_runs.c.run_id == run_id)
                .values(finished_at=now, finish_reason=finish_reason, stats=_jsonable(stats))
            )
            if rows:
                conn.execute(_insert(self.engine, crawl_accounts).on_conflict_do_nothing(), rows)

    # -- small reads used by spiders and tests ---------------------------------------------------
    def known_post_ids(self, platform: str, account_id: str) -> set[str]:
        with self.engine.connect() as conn:
            result = conn.execute(
                select(posts.c.post_id).where(posts.c.platform == platform, posts.c.account_id == account_id)
            )
            return {row[0] for row in result}

    def count(self, table_name: str) -> int:
        table = metadata.tables[table_name]
        with self.engine.connect() as conn:
            return len(conn.execute(select(table)).all())

    def close(self) -> None:
        self.engine.dispose()


_SNAPSHOTS = {"accounts": account_snapshots, "posts": post_snapshots}


def _refused(table: str, row: Mapping[str, Any], reason: str,
             owners: dict[tuple[str, str], tuple[str, str]]) -> RefusedRow:
    platform = str(row.get("platform") or "")
    if table == "comments":
        account_id = owners.get((row.get("platform"), row.get("post_id")), (platform, ""))[1]
        key = row.get("comment_id")
    else:
        account_id = row.get("account_id") or ""
        key = row.get("post_id") if table == "posts" else account_id
    return RefusedRow(table, platform, str(account_id), str(key)[:ID_MAX], reason)


def _dedupe(rows: Iterable[Mapping[str, Any]], keys: tuple[str, ...],
            result: BatchResult | None = None) -> list[Mapping[str, Any]]:
    """Keep the last row per key: one INSERT … ON CONFLICT cannot touch the same row twice. A post met again
    under another account in the same batch is refused (the first account keeps it, as in the store)."""
    by_key: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        earlier = by_key.get(key)
        if earlier is not None:
            if keys[1] == "post_id" and earlier["account_id"] != row["account_id"]:
                if result is not None:
                    result.refused.append(RefusedRow("posts", str(row["platform"]), str(row["account_id"]),
                                                     str(row["post_id"])[:ID_MAX], "foreign_post"))
                continue
            if earlier.get("pinned") and not row.get("pinned"):
                row = {**row, "pinned": True}  # a pinned post also met unpinned further down stays pinned
        by_key[key] = row
    return list(by_key.values())


def _jsonable(stats: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, (int, float, str, bool)) or value is None:
            out[key] = value
        elif isinstance(value, datetime):
            out[key] = value.isoformat()
        else:
            out[key] = str(value)
    return out
