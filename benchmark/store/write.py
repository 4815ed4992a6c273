"""`Store`: writes crawl output in batches, one transaction each; reads are done by the report with pandas."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import OperationalError

from benchmark.store.engine import _insert, create_store_engine
from benchmark.store.plan import _plan_for
from benchmark.store.schema import (
    _KEYS,
    DEFAULT_DB_URL,
    accounts,
    comments,
    crawl_accounts,
    crawl_runs,
    metadata,
    posts,
    utcnow,
)
from benchmark.store.values import ID_MAX, BatchResult, Refused, RefusedRow

logger = logging.getLogger("benchmark.store")

_Unit = tuple[Mapping[str, Any], tuple, tuple | None]  # an item row, its upsert's tuple, its snapshot's tuple


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
        rows = {
            "accounts": _dedupe(account_rows, _KEYS["accounts"], result),
            "posts": _dedupe(post_rows, _KEYS["posts"], result),
            "comments": _dedupe(comment_rows, _KEYS["comments"], result),
        }
        owners = self._comment_owners(rows["comments"], rows["posts"])
        for name in ("accounts", "posts"):
            result.accounts.update([(row["platform"], row["account_id"]) for row in rows[name]])
        result.accounts.update(owner for owner in owners.values() if owner[1])
        units = self._build(run_id, rows, result, owners)
        count = sum(len(built) for built in units.values())
        if not count:
            return result
        try:
            self._write(units, result)
        except Exception as exc:  # whatever the database says, the rows are tried one by one
            logger.warning("store: a batch of %d rows failed (%s); writing its rows one by one", count,
                           type(exc).__name__)
            result.retried = True
            self._write_one_by_one(units, result, owners)
        return result

    def _build(self, run_id: str, rows: dict[str, list[Mapping[str, Any]]], result: BatchResult,
               owners: dict[tuple[str, str], tuple[str, str]]) -> dict[str, list[_Unit]]:
        """Each row as its upsert's tuple and its snapshot's; a row with an unstorable value is refused here."""
        now = utcnow()
        # The time as the fast path binds it: SQLAlchemy's SQLite DATETIME text, or a datetime for PostgreSQL.
        now_value = now.isoformat(" ", "microseconds") if self.engine.dialect.name == "sqlite" else now
        units: dict[str, list[_Unit]] = {}
        for name, table_rows in rows.items():
            plan = self._plans[name]
            build, build_snapshot = plan.build, plan.build_snapshot if plan.snapshot else None
            built: list[_Unit] = []
            units[name] = built
            for row in table_rows:
                try:
                    params = build(row, now_value)
                except Refused as exc:
                    result.refused.append(_refused(name, row, exc.reason, owners))
                    continue
                built.append((row, params, build_snapshot(run_id, params) if build_snapshot else None))
        return units

    def _write(self, units: dict[str, list[_Unit]], result: BatchResult) -> None:
        """All of the batch in one transaction: each table's upsert, then its snapshots, as one executemany each."""
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

    def _write_one_by_one(self, units: dict[str, list[_Unit]],
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

    def _refuse_foreign_posts(self, conn: Connection, built: list[_Unit],
                              result: BatchResult) -> list[_Unit]:
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
    def count(self, table_name: str) -> int:
        table = metadata.tables[table_name]
        with self.engine.connect() as conn:  # counted by the database, not by fetching every row
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def close(self) -> None:
        self.engine.dispose()




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
    first, second = keys  # every key is (platform, id)
    by_key: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    for row in rows:
        key = (row[first], row[second])
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
