"""The fast write path (issue 19): each table's upsert compiled once per dialect to SQL text, and one generated
function per table that turns an item row into that SQL's positional tuple."""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table

from benchmark.store.schema import _KEYS, _SNAPSHOT_FIELDS, _SNAPSHOTS
from benchmark.store.values import _converter, _expression


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
    env: dict[str, Any] = {"datetime": datetime, "UTC": UTC, "EMPTY": (list, dict), "NULL": math.nan,
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

