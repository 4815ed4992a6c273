"""Read the panel's slice of the store into DataFrames: accounts, posts of the period, snapshots, comments,
crawl status. Reads only the store and the config, never platform payloads.

Speed matters (the target is 1,000,000 posts in under a minute): posts are read per account with only the
columns the metrics need, JSON and date columns come back as raw text (type_coerce skips SQLAlchemy's
per-value processors) and are parsed in bulk by pandas.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, Integer, Text, and_, create_engine, inspect, select, type_coerce
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from benchmark import platforms, store
from benchmark.config import BenchmarkConfig, normalize_id
from benchmark.exceptions import ReportInputError
from benchmark.i18n import _, format_count
from benchmark.items import POST_FORMATS, POST_KINDS
from benchmark.metrics.derive import derive_comments, derive_posts
from benchmark.metrics.panel import PanelData, bounds_utc

Progress = Callable[[str], None]

POST_COLUMNS = (
    "post_id", "created_at", "url", "text", "kind", "format", "likes", "comments", "reposts", "quotes",
    "views", "pinned", "hashtags", "mentions", "links", "ref_author_id", "ref_author_name",
    "ref_author_is_organization", "reply_to_author_id", "date_only",
)
# Columns a comparison period (`lean=True`, metrics only) does not read: links, names and counters that only
# the current period's pages and posts.csv show.
LEAN_SKIPPED = frozenset({"url", "views", "pinned", "ref_author_name"})
_RAW_TEXT = {"created_at", "hashtags", "mentions", "links"}  # parsed by pandas, not per value
_AS_INT = {"pinned", "ref_author_is_organization", "date_only"}  # booleans as 0/1/NULL, so they become float columns
COMMENT_COLUMNS = (
    "comment_id", "post_id", "author_id", "author_is_organization", "created_at", "parent_comment_id",
    "is_by_post_author", "text", "likes",
)




def with_period(config: BenchmarkConfig, since: date | None, until: date | None) -> BenchmarkConfig:
    """The config with the period replaced where the command line gives one."""
    start, end = since or config.period_start, until or config.period_end
    if start > end:
        raise ReportInputError(_("the period starts ({start}) after it ends ({end})").format(start=start, end=end))
    return replace(config, period_start=start, period_end=end)


def open_store(url: str) -> Engine:
    """An engine on an existing store; never creates one (a typo in the URL must not yield an empty report)."""
    try:
        parsed = make_url(url)
    except SQLAlchemyError as exc:
        raise ReportInputError(_("BENCHMARK_DB is not a database URL: {url!r}").format(url=url)) from exc
    if parsed.drivername.startswith("sqlite"):
        database = parsed.database or ""
        if database in ("", ":memory:") or not Path(database).is_file():
            raise ReportInputError(_("no store at {store!r}: run `scrapy crawl <platform>` first or point "
                                     "-s BENCHMARK_DB=... at your store").format(store=database or url))
    try:
        engine = create_engine(url)
        tables = set(inspect(engine).get_table_names())
    except (SQLAlchemyError, ImportError) as exc:  # ImportError: the URL names a driver that is not installed
        raise ReportInputError(_("cannot open the store {store}: {reason}").format(
            store=parsed.render_as_string(hide_password=True), reason=str(exc).splitlines()[0])) from exc
    if "posts" not in tables or "accounts" not in tables:
        raise ReportInputError(_("{store} is not a benchmark store (no posts table): run `scrapy crawl <platform>` "
                                 "first").format(store=parsed.render_as_string(hide_password=True)))
    return engine


def load_panel(engine: Engine, config: BenchmarkConfig, progress: Progress | None = None,
               rules: Any = None, *, lean: bool = False) -> PanelData:
    """Read the config's accounts and the posts of its period from the store and derive per-post fields.

    `lean=True` (a comparison period, whose metrics alone are used) skips the post columns in LEAN_SKIPPED
    and the crawl status."""
    say = progress or (lambda _msg: None)
    try:
        return _load_panel(engine, config, say, rules, lean)
    except (SQLAlchemyError, sqlite3.Error, pd.errors.DatabaseError) as exc:
        reason = (str(getattr(exc, "orig", None) or exc).splitlines() or [type(exc).__name__])[0]
        raise ReportInputError(_("cannot read the store (is it from an older version?): {reason}").format(
            reason=reason)) from exc


def _load_panel(engine: Engine, config: BenchmarkConfig, say: Progress, rules: Any, lean: bool) -> PanelData:
    start, end = bounds_utc(config)
    columns = tuple(c for c in POST_COLUMNS if not (lean and c in LEAN_SKIPPED))
    with engine.connect() as conn:
        if "date_only" not in {c["name"] for c in inspect(conn).get_columns("posts")}:  # an older store
            columns = tuple(c for c in columns if c != "date_only")
        accounts = _panel_accounts(conn, config)
        say(_("reading posts of {count} accounts, {since} to {until}").format(
            count=len(accounts), since=config.period_start, until=config.period_end))
        posts = _read_posts(conn, accounts, start, end, columns)
        snapshots = _read_snapshots(conn, accounts)
        has_comments = conn.execute(select(store.comments.c.comment_id).limit(1)).first() is not None
        comments = _read_comments(conn, accounts, start, end) if has_comments else _empty_comments()
        crawl_status, crawl_runs = _read_crawl_status(conn, accounts) if not lean else _no_crawl_status()
    say(_("read {count} posts; deriving engagement, fans, timing and style").format(count=format_count(len(posts))))
    panel = PanelData(config=config, accounts=accounts, posts=posts, snapshots=snapshots, comments=comments,
                      has_comments=has_comments, crawl_status=crawl_status, crawl_runs=crawl_runs)
    panel.posts = derive_posts(panel, rules=rules, progress=say)
    if has_comments:
        panel.comments = derive_comments(panel)
    return panel


# -- accounts ---------------------------------------------------------------------------------------
def _ident(platform: str, value: Any) -> str:
    """Ids compared loosely: handles and DIDs are case-insensitive, '@' prefixes are dropped."""
    return normalize_id(platform, str(value)).lstrip("@").lower()


def _panel_accounts(conn: Any, config: BenchmarkConfig) -> pd.DataFrame:
    """One row per config account, matched to its store row by id or handle (a Bluesky handle in the
    config may be stored under its DID)."""
    cols = ("platform", "account_id", "handle", "name", "url", "followers", "is_organization")
    stored = pd.read_sql(select(*(store.accounts.c[c] for c in cols),
                                store.accounts.c.extra["did"].as_string().label("did")), conn)
    matches = [_match_account(stored, account.platform, account.id) for account in config.accounts]
    aliases = _aliases(conn, config, matches)
    rows = []
    for acct, (account, match) in enumerate(zip(config.accounts, matches, strict=True)):
        row = match if match is not None else {"account_id": account.id}
        # A Bluesky brand listed by handle is named by its DID in others' reposts and comments: its profile's DID,
        # or the DIDs seen beside its handle (its platform's alias hook), identify it too.
        names = (account.id, row.get("account_id"), row.get("handle"), row.get("did"))
        idents = {_ident(account.platform, v) for v in names if isinstance(v, str) and v}
        seen_as = aliases.get(account.platform, {})
        idents |= seen_as.get(_ident(account.platform, account.id), set())
        rows.append({
            "acct": acct, "platform": account.platform, "account_id": str(row["account_id"]),
            "config_id": account.id, "label": account.label, "role": account.role,
            "affiliates": tuple(_ident(account.platform, a) for a in account.affiliates)
            + tuple(did for a in account.affiliates for did in seen_as.get(_ident(account.platform, a), ())),
            "idents": frozenset(idents), "handle": row.get("handle"), "name": row.get("name"),
            "url": row.get("url"), "account_followers": _num(row.get("followers")),
            "in_store": match is not None,
        })
    return pd.DataFrame(rows).set_index("acct", drop=False)


def _aliases(conn: Any, config: BenchmarkConfig,
             matches: list[dict[str, Any] | None]) -> dict[str, dict[str, set[str]]]:
    """platform → {ident of a config id → the other idents it is seen under}, from each platform spec's
    `aliases` hook (Bluesky: handle → DIDs), called with the platform's config accounts and their stored ids."""
    found: dict[str, dict[str, set[str]]] = {}
    for spec in platforms.all_specs():
        if not spec.aliases:
            continue
        accounts = [account for account in config.accounts if account.platform == spec.name]
        stored_ids = {str(match["account_id"]) for account, match in zip(config.accounts, matches, strict=True)
                      if account.platform == spec.name and match is not None}
        found[spec.name] = platforms.hook(spec.aliases)(conn, accounts, stored_ids)
    return found


def _match_account(stored: pd.DataFrame, platform: str, wanted: str) -> dict[str, Any] | None:
    on_platform = stored[stored["platform"] == platform]
    key = _ident(platform, wanted)
    for column in ("account_id", "handle"):
        values = on_platform[column].dropna().astype(str)
        hits = values[values.map(lambda v: _ident(platform, v)) == key]
        if len(hits):
            return on_platform.loc[hits.index[0]].to_dict()
    return None


def _num(value: Any) -> float:
    return float(value) if value is not None and not pd.isna(value) else float("nan")


# -- posts ------------------------------------------------------------------------------------------
def _post_select(platform: str, account_id: str, start: datetime, end: datetime,
                 names: tuple[str, ...] = POST_COLUMNS) -> Any:
    t = store.posts
    columns = []
    for name in names:
        col = t.c[name]
        if name in _RAW_TEXT:
            col = type_coerce(col, Text).label(name)
        elif name in _AS_INT:
            col = type_coerce(col, Integer).label(name)
        columns.append(col)
    return select(*columns).where(
        and_(t.c.platform == platform, t.c.account_id == account_id, t.c.created_at >= start,
             t.c.created_at < end)
    )


def _fetch(conn: Any, stmt: Any) -> pd.DataFrame:
    """The rows of a SELECT as a DataFrame. On SQLite the statement runs on the raw sqlite3 cursor: for a
    million rows SQLAlchemy's per-row objects cost more than the query (every column is plain already)."""
    if conn.dialect.name != "sqlite":
        return pd.read_sql(stmt, conn)
    compiled = stmt.compile(dialect=conn.dialect)
    params = [_sqlite_param(compiled.params[name]) for name in compiled.positiontup]
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        columns = [d[0] for d in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=columns, coerce_float=True)
    finally:
        cursor.close()


def _sqlite_param(value: Any) -> Any:
    # SQLAlchemy stores DateTime on SQLite as 'YYYY-MM-DD HH:MM:SS.ffffff' text; compare in the same form.
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def _read_posts(conn: Any, accounts: pd.DataFrame, start: datetime, end: datetime,
                columns: tuple[str, ...] = POST_COLUMNS) -> pd.DataFrame:
    frames = []
    for acct, account in accounts.iterrows():
        frame = _fetch(conn, _post_select(account["platform"], account["account_id"], start, end, columns))
        if len(frame):
            frame.insert(0, "acct", acct)
            frames.append(_typed_posts(frame))
    if not frames:
        return _typed_posts(pd.DataFrame({"acct": pd.Series(dtype="int64"),
                                          **{c: pd.Series(dtype="object") for c in columns}}))
    posts = pd.concat(frames, ignore_index=True)
    return posts.sort_values(["acct", "created_at"], kind="stable", ignore_index=True)


def _typed_posts(frame: pd.DataFrame) -> pd.DataFrame:
    frame["acct"] = frame["acct"].astype("int64")
    frame["created_at"] = _to_utc_naive(frame["created_at"])
    frame["kind"] = pd.Categorical(frame["kind"], categories=POST_KINDS)
    frame["format"] = pd.Categorical(frame["format"], categories=POST_FORMATS)
    for name in ("likes", "comments", "reposts", "quotes", "views", "pinned", "ref_author_is_organization",
                 "date_only"):
        if name in frame.columns:
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame


def _to_utc_naive(values: pd.Series) -> pd.Series:
    """Times are stored as naive UTC (text on SQLite, timestamps on PostgreSQL)."""
    parsed = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce")
    return parsed.dt.tz_localize(None).astype("datetime64[us]")


# -- snapshots, comments, crawl status ---------------------------------------------------------------
def _read_snapshots(conn: Any, accounts: pd.DataFrame) -> pd.DataFrame:
    t = store.account_snapshots
    stmt = select(t.c.platform, t.c.account_id, type_coerce(t.c.crawled_at, Text).label("crawled_at"),
                  t.c.followers)
    frame = pd.read_sql(stmt, conn)
    frame["crawled_at"] = _to_utc_naive(frame["crawled_at"])
    frame["followers"] = pd.to_numeric(frame["followers"], errors="coerce").astype("float64")
    keyed = accounts[["platform", "account_id", "acct"]]
    frame = frame.merge(keyed, on=["platform", "account_id"], how="inner")
    return frame[["acct", "crawled_at", "followers"]].sort_values(["acct", "crawled_at"], ignore_index=True)


def _empty_comments() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in ("acct", *COMMENT_COLUMNS)})
    frame["acct"] = frame["acct"].astype("int64")
    frame["created_at"] = pd.Series(dtype="datetime64[us]")
    return frame


def _read_comments(conn: Any, accounts: pd.DataFrame, start: datetime, end: datetime) -> pd.DataFrame:
    c, p = store.comments, store.posts
    frames = []
    for acct, account in accounts.iterrows():
        stmt = (
            select(c.c.comment_id, c.c.post_id, c.c.author_id,
                   type_coerce(c.c.author_is_organization, Integer).label("author_is_organization"),
                   type_coerce(c.c.created_at, Text).label("created_at"), c.c.parent_comment_id,
                   type_coerce(c.c.is_by_post_author, Integer).label("is_by_post_author"), c.c.text, c.c.likes)
            .join(p, and_(p.c.platform == c.c.platform, p.c.post_id == c.c.post_id))
            .where(and_(p.c.platform == account["platform"], p.c.account_id == account["account_id"],
                        p.c.created_at >= start, p.c.created_at < end))
        )
        frame = pd.read_sql(stmt, conn)
        if len(frame):
            frame.insert(0, "acct", acct)
            frames.append(frame)
    if not frames:
        return _empty_comments()
    frame = pd.concat(frames, ignore_index=True)
    frame["created_at"] = _to_utc_naive(frame["created_at"])
    for name in ("author_is_organization", "is_by_post_author", "likes"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame


STATUS_COLUMNS = ["acct", "status", "message", "message_i18n", "posts", "pages", "finished_at", "run_id"]


def _no_crawl_status() -> tuple[pd.DataFrame, pd.DataFrame]:
    status = pd.DataFrame(columns=STATUS_COLUMNS)
    return status, pd.DataFrame(columns=["run_id", "finished_at"])


def _read_crawl_status(conn: Any, accounts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The latest crawl_accounts row per panel account (matched by store id or config id)."""
    runs = pd.read_sql(select(store.crawl_runs), conn)
    # A store of an earlier version lacks the newer columns (a report never alters the store; a crawl does).
    present = {column["name"] for column in inspect(conn).get_columns("crawl_accounts")}
    rows = pd.read_sql(select(*(c for c in store.crawl_accounts.c if c.name in present)), conn)
    if "message_i18n" not in rows:
        rows["message_i18n"] = None
    out = []
    for acct, account in accounts.iterrows():
        mine = rows[(rows["platform"] == account["platform"])
                    & rows["account_id"].astype(str).map(lambda v, p=account["platform"]: _ident(p, v))
                    .isin(account["idents"])]
        if len(mine):
            latest = mine.sort_values(["finished_at", "run_id"], na_position="first").iloc[-1]
            out.append({"acct": acct, "status": latest["status"], "message": latest["message"],
                        "message_i18n": latest.get("message_i18n"), "posts": latest["posts"], "pages": latest["pages"],
                        "finished_at": latest["finished_at"], "run_id": latest["run_id"]})
    return pd.DataFrame(out, columns=STATUS_COLUMNS), runs
