"""Factories for what tests build again and again: items with sensible defaults, a benchmark.toml written
from accounts and a period, and a SQLite store filled with rows.

Defaults are Weibo ids of the usual test panel ("1000000001" is the own account) on 2026-07-01, inside the
period (2026-07-01, 2026-07-14) that the factories' configs use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from benchmark.items import Account, Comment, Post
from benchmark.sample.panel import SHANGHAI, Panel, panel_config_toml
from benchmark.store import Store, posts

T0 = datetime(2026, 7, 1, 4, 0, tzinfo=UTC)
PERIOD = ("2026-07-01", "2026-07-14")
OWN = "1000000001"


# ------------------------------------------------------------------------------------------------ items


def make_post(post_id: str = "1", *, platform: str = "weibo", account_id: str = OWN, created_at: datetime = T0,
              **fields: Any) -> Post:
    return Post(platform=platform, post_id=post_id, account_id=account_id, created_at=created_at, **fields)


def make_account(account_id: str = OWN, *, platform: str = "weibo", **fields: Any) -> Account:
    return Account(platform=platform, account_id=account_id, **fields)


def make_comment(comment_id: str = "c1", *, platform: str = "weibo", post_id: str = "1", **fields: Any) -> Comment:
    return Comment(platform=platform, comment_id=comment_id, post_id=post_id, **fields)


def as_row(item: Post | Account | Comment) -> dict[str, Any]:
    """The dict form the store's write_batch takes."""
    return asdict(item)


# ------------------------------------------------------------------------------------------------ config


def _toml_value(value: Any) -> str:
    # JSON strings and lists of strings are valid TOML basic strings and arrays.
    return json.dumps(value, ensure_ascii=False)


def _period_toml(period: tuple[str, str] | str) -> str:
    if isinstance(period, str):  # "2026Q3", "2026-07"
        return _toml_value(period)
    start, end = period
    return f"{{ start = {start}, end = {end} }}"


def account_toml(account: Mapping[str, Any]) -> list[str]:
    """One [[account]] table: platform, id and role, then label and affiliates when given."""
    lines = ["[[account]]"]
    for key in ("platform", "id", "role", "label", "affiliates"):
        if account.get(key) is not None:
            lines.append(f"{key} = {_toml_value(account[key])}")
    return [*lines, ""]


def config_toml(accounts: Iterable[Mapping[str, Any]], period: tuple[str, str] | str = PERIOD, *,
                name: str = "test", timezone: str = "Asia/Shanghai", language: str | None = None) -> str:
    """A benchmark.toml text: the [benchmark] table, then one [[account]] table per mapping."""
    lines = ["[benchmark]", f"name = {_toml_value(name)}", f"period = {_period_toml(period)}",
             f"timezone = {_toml_value(timezone)}"]
    if language:
        lines.append(f"language = {_toml_value(language)}")
    lines.append("")
    for account in accounts:
        lines += account_toml(account)
    return "\n".join(lines)


def panel_toml(name: str, period: tuple[str, str] | str, *accounts: tuple[Any, ...], **fields: Any) -> str:
    """config_toml from (platform, id, role[, label[, affiliates]]) tuples: the hand-built panels of the tests."""
    keys = ("platform", "id", "role", "label", "affiliates")
    return config_toml([dict(zip(keys, account, strict=False)) for account in accounts], period, name=name,
                       **fields)


def write_config(folder: Path, text: str | bytes, name: str = "benchmark.toml") -> Path:
    """Write a config file (text as given; bytes for encodings and byte-order marks) and return its path."""
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------ store


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def build_store(path: Path, *, posts: Iterable[Post | Mapping[str, Any]] = (),
                accounts: Iterable[Account | Mapping[str, Any]] = (),
                comments: Iterable[Comment | Mapping[str, Any]] = (), run_id: str = "r1") -> str:
    """A SQLite store at `path` holding one batch of rows (items or dicts); returns its URL."""
    url = sqlite_url(path)
    store = Store(url)
    try:
        store.write_batch(run_id, account_rows=[_row(a) for a in accounts], post_rows=[_row(p) for p in posts],
                          comment_rows=[_row(c) for c in comments])
    finally:
        store.close()
    return url


def write_batches(target: Path | str, batches: Iterable[tuple[str, Mapping[str, Any]]]) -> str:
    """Write (run id, write_batch keyword arguments) batches, in order, into the store at a SQLite path or any
    store URL; returns its URL."""
    url = target if isinstance(target, str) else sqlite_url(target)
    store = Store(url)
    try:
        for run_id, rows in batches:
            store.write_batch(run_id, **rows)
    finally:
        store.close()
    return url


def _row(item: Any) -> dict[str, Any]:
    return dict(item) if isinstance(item, Mapping) else as_row(item)


def stored_post_ids(store: Store, platform: str, account_id: str) -> set[str]:
    """The ids of one account's stored posts, read from the posts table."""
    with store.engine.connect() as conn:
        return set(conn.execute(select(posts.c.post_id).where(posts.c.platform == platform,
                                                             posts.c.account_id == account_id)).scalars())


def query_rows(db_url: str, sql: str) -> list[dict[str, Any]]:
    """The rows of one SQL query on any store URL, as dicts."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(sql)).mappings()]
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------------ sample panels


def write_panel_config(folder: Path, panel: Panel) -> Path:
    """The benchmark.toml of a sample-server panel (benchmark.sample.panel.panel_config_toml)."""
    return write_config(folder, panel_config_toml(panel))


def expected_posts(panel: Panel) -> set[str]:
    """The ids of the panel's posts inside its period: what a complete crawl stores."""
    return {p.id for a in panel.accounts for p in panel.posts_by_account[a.key] if panel.in_period(p)}


def posts_between(panel: Panel, platform: str, account_id: str, since: str, until: str) -> set[str]:
    """The ids of one account's panel posts dated (in Shanghai) from `since` to `until`, both included."""
    start, end = date.fromisoformat(since), date.fromisoformat(until)
    return {p.id for p in panel.posts(platform, account_id) if start <= p.created_at.astimezone(SHANGHAI).date() <= end}


@contextmanager
def served_panel(spec: dict[str, Any], folder: Path) -> Iterator[tuple[str, Path, Panel]]:
    """The sample server on `spec` in a subprocess: (its URL, the panel's benchmark.toml in `folder`, the panel)."""
    from benchmark.sample.testing import run_server_subprocess

    panel = Panel.from_spec(spec)
    config = write_panel_config(folder, panel)
    with run_server_subprocess(spec, seed=None) as (url, _process):
        yield url, config, panel


def served_panel_fixture(spec: dict[str, Any], name: str) -> Any:
    """A module-scoped fixture `sample` of served_panel(spec): `sample = served_panel_fixture(SPEC, "bluesky")`."""

    @pytest.fixture(scope="module")
    def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Panel]]:
        with served_panel(spec, tmp_path_factory.mktemp(name)) as served:
            yield served

    return sample
