"""The store's behaviour on both backends: SQLite (the default) and PostgreSQL (the shared store of a
distributed crawl). The cases of tests/test_store.py, parametrised over a real PostgreSQL server
(BENCHMARK_TEST_PG_URL, as .ci/run starts it; else a throwaway cluster from the Debian binaries), plus
what only PostgreSQL can get wrong: workers creating the schema at the same moment.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, inspect, select

from bench.distributed import fresh_database
from benchmark.items import Account, Post
from benchmark.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Store,
    account_snapshots,
    crawl_accounts,
    crawl_runs,
    create_store_engine,
    metadata,
    post_snapshots,
    posts,
    schema_version,
)
from tests.toolkit.factories import stored_post_ids

T0 = datetime(2026, 8, 1, 4, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    # PostgreSQL: a fresh database on the shared server of tests/conftest.py (pg_url skips, saying why, without one).
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/db.sqlite3"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(store_url) -> Iterator[Store]:
    store = Store(store_url)
    yield store
    store.close()


def post(post_id: str, likes: int = 1, pinned: bool = False) -> dict:
    return asdict(Post(platform="weibo", post_id=post_id, account_id="100001", created_at=T0, likes=likes,
                       comments=2, reposts=3, hashtags=["新品"], text="你好", pinned=pinned))


def account(followers: int) -> dict:
    return asdict(Account(platform="weibo", account_id="100001", name="Brand", followers=followers))


def test_the_url_picks_the_backend(store, store_url):
    assert store.engine.dialect.name == store_url.split(":")[0].split("+")[0]
    assert set(inspect(store.engine).get_table_names()) == set(metadata.tables)


def test_crawling_twice_adds_snapshots_and_nothing_else(store):
    store.write_batch("run1", account_rows=[account(100)], post_rows=[post("1"), post("2")])
    with store.engine.connect() as conn:
        first_seen = conn.execute(select(posts.c.first_seen).where(posts.c.post_id == "1")).scalar_one()
    store.write_batch("run2", account_rows=[account(120)], post_rows=[post("1", likes=50), post("2")])

    assert store.count("posts") == 2
    assert store.count("accounts") == 1
    assert store.count("post_snapshots") == 4
    assert store.count("account_snapshots") == 2
    with store.engine.connect() as conn:
        row = conn.execute(select(posts).where(posts.c.post_id == "1")).mappings().one()
        followers = conn.execute(select(account_snapshots.c.followers).order_by(account_snapshots.c.id)).scalars()
        assert list(followers) == [100, 120]
        likes = conn.execute(select(post_snapshots.c.likes).where(post_snapshots.c.post_id == "1")
                             .order_by(post_snapshots.c.id)).scalars()
        assert list(likes) == [1, 50]
    assert row["likes"] == 50  # counts refreshed
    assert row["first_seen"] == first_seen  # first_seen kept
    assert row["last_seen"] >= first_seen
    assert row["hashtags"] == ["新品"]  # JSON round trip, CJK intact
    assert row["text"] == "你好"
    assert row["created_at"] == datetime(2026, 8, 1, 4, 0)  # stored as naive UTC on both backends


def test_same_post_twice_in_one_run_is_one_row_and_one_snapshot(store):
    store.write_batch("run1", post_rows=[post("1", likes=1), post("1", likes=2)])
    store.write_batch("run1", post_rows=[post("1", likes=3)])
    assert store.count("posts") == 1
    assert store.count("post_snapshots") == 1


def test_a_pinned_copy_keeps_the_post_pinned_within_a_batch(store):
    store.write_batch("run1", post_rows=[post("1", pinned=True), post("1", likes=9)])
    with store.engine.connect() as conn:
        row = conn.execute(select(posts.c.pinned, posts.c.likes)).one()
    assert row == (True, 9)


def test_run_and_account_status_rows(store):
    store.start_run("run1", "weibo", ("2026-07-01", "2026-09-30"))
    store.finish_run("run1", "finished", {"item_scraped_count": 3, "start_time": T0, "odd": object()},
                     [{"platform": "weibo", "account_id": "100001", "role": "own", "label": "B",
                       "status": "login_wall", "message": "set WEIBO_COOKIE", "posts": 0, "pages": 0}])
    with store.engine.connect() as conn:
        run = conn.execute(select(crawl_runs)).mappings().one()
        status = conn.execute(select(crawl_accounts)).mappings().one()
    assert run["finish_reason"] == "finished" and run["stats"]["item_scraped_count"] == 3
    assert run["stats"]["start_time"] == T0.isoformat()
    assert run["period_start"] == "2026-07-01" and run["finished_at"] is not None
    assert status["status"] == "login_wall" and status["run_id"] == "run1"


def test_stored_post_ids(store):
    store.write_batch("run1", post_rows=[post("1"), post("2")])
    assert stored_post_ids(store, "weibo", "100001") == {"1", "2"}
    assert stored_post_ids(store, "weibo", "other") == set()


def test_two_stores_on_one_database_write_one_row_per_post(store_url):
    """Two workers, one store: the same post written by both is still one row, with both snapshots."""
    first, second = Store(store_url), Store(store_url)
    try:
        first.write_batch("worker-a", post_rows=[post("1", likes=1), post("2")])
        second.write_batch("worker-b", post_rows=[post("1", likes=7), post("3")])
        assert first.count("posts") == 3
        assert second.count("post_snapshots") == 4
        with first.engine.connect() as conn:
            assert conn.execute(select(posts.c.likes).where(posts.c.post_id == "1")).scalar_one() == 7
    finally:
        first.close()
        second.close()


def test_workers_creating_the_schema_at_once_do_not_collide(pg_server):
    """Four workers opening an empty PostgreSQL store together: without the schema lock, CREATE TABLE races
    and all but one fail with DuplicateTable (it did, 5 runs out of 5)."""
    with fresh_database(pg_server) as url:
        errors: list[str] = []
        barrier = threading.Barrier(4)

        def open_store() -> None:
            barrier.wait()
            try:
                create_store_engine(url).dispose()
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=open_store) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        engine = create_store_engine(url)
        assert set(inspect(engine).get_table_names()) == set(metadata.tables)
        engine.dispose()


# ------------------------------------------------------------------ unstorable values (issue 14, items 1 and 4)


@pytest.mark.parametrize("change", [
    {"likes": 10**30}, {"views": 1e308}, {"reposts": float("inf")}, {"comments": float("nan")},
    {"media_count": 2**40}, {"likes": -(2**70)},
], ids=["10**30", "1e308", "inf", "nan", "media_count", "negative"])
def test_an_unstorable_count_refuses_its_row_alone(store, change):
    result = store.write_batch("run1", post_rows=[post("1"), {**post("2"), **change}, post("3")])
    assert [(r.platform, r.account_id, r.key, r.reason) for r in result.refused] == [
        ("weibo", "100001", "2", "number_out_of_range")]
    assert stored_post_ids(store, "weibo", "100001") == {"1", "3"}
    assert store.count("post_snapshots") == 2
    assert result.accounts == {("weibo", "100001")}
    store.write_batch("run1", post_rows=[post("4")])  # nothing is left behind to fail the next batch
    assert stored_post_ids(store, "weibo", "100001") == {"1", "3", "4"}


def test_text_is_made_storable_without_changing_what_it_says(store):
    hostile = {**post("1"), "text": "a\ud800b\x00c" + "x" * 200_000, "hashtags": ["新\ud800品", "n\x00ul"],
               "extra": {"note": "z\x00\udfff", "big": 10**30, "nested": [{"k": "\ud83d"}]},
               "url": "https://example.org/" + "p" * 3000, "source_client": "\x00"}
    result = store.write_batch("run1", post_rows=[hostile, post("2")])
    assert result.refused == []
    with store.engine.connect() as conn:
        row = conn.execute(select(posts).where(posts.c.post_id == "1")).mappings().one()
    assert row["text"] == ("a\ufffdbc" + "x" * 200_000)[:100_000]
    assert row["hashtags"] == ["新\ufffd品", "nul"]
    assert row["extra"] == {"note": "z\ufffd", "big": str(10**30), "nested": [{"k": "\ufffd"}]}
    assert row["url"] == hostile["url"] and row["source_client"] == ""


def test_ids_and_urls_are_as_long_as_real_platforms_send(store):
    """A Mastodon status `uri` (the post id) and an account id longer than 128 characters are stored whole;
    an id too long for an index is refused, alone."""
    uri = "https://very-long-instance-name.example.social/users/" + "u" * 120 + "/statuses/" + "1" * 40
    account_id = "someone-with-a-long-name@" + "i" * 150 + ".example"
    long_post = {**post(uri), "account_id": account_id, "ref_post_id": uri, "reply_to_author_id": "x" * 300}
    result = store.write_batch("run1", post_rows=[long_post, {**post("2"), "post_id": "9" * 5000}],
                               account_rows=[{**account(5), "account_id": account_id, "handle": "h" * 400}])
    assert [(r.key[:3], r.reason) for r in result.refused] == [("999", "id_too_long")]
    assert stored_post_ids(store, "weibo", account_id) == {uri}
    assert store.count("accounts") == 1 and store.count("post_snapshots") == 1


def test_a_batch_the_database_rejects_is_written_row_by_row(store):
    """A value no check foresaw (here a trigger that rejects one post): the batch fails, its rows are written
    one by one, the good ones stored and only the bad one refused."""
    with store.engine.begin() as conn:
        if store.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("CREATE TRIGGER poison BEFORE INSERT ON posts WHEN NEW.post_id = 'bad' "
                                 "BEGIN SELECT RAISE(ABORT, 'poisoned'); END")
        else:
            conn.exec_driver_sql("CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN IF NEW.post_id = 'bad' "
                                 "THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql")
            conn.exec_driver_sql("CREATE TRIGGER poison BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION poison()")
    result = store.write_batch("run1", account_rows=[account(10)], post_rows=[post("1"), post("bad"), post("3")])
    assert result.retried
    assert [(r.key, r.reason) for r in result.refused] == [("bad", "database_error")]
    assert stored_post_ids(store, "weibo", "100001") == {"1", "3"}
    assert store.count("accounts") == 1 and store.count("post_snapshots") == 2 and store.count("account_snapshots") == 1


def test_a_stored_post_never_moves_to_another_account(store):
    """Posts are keyed by (platform, post_id): a row with the id of another account's post is refused, the
    stored row and its snapshots stay as they are — also when both arrive in one batch."""
    store.write_batch("run1", post_rows=[post("1", likes=5)])
    intruder = {**post("1", likes=999), "account_id": "intruder", "text": "taken over"}
    result = store.write_batch("run2", post_rows=[intruder, {**post("2"), "account_id": "intruder"}])
    assert [(r.account_id, r.key, r.reason) for r in result.refused] == [("intruder", "1", "foreign_post")]
    with store.engine.connect() as conn:
        row = conn.execute(select(posts).where(posts.c.post_id == "1")).mappings().one()
        snapshots = conn.execute(select(post_snapshots.c.run_id, post_snapshots.c.likes)
                                 .where(post_snapshots.c.post_id == "1")).all()
    assert (row["account_id"], row["likes"], row["text"]) == ("100001", 5, "你好")
    assert snapshots == [("run1", 5)]
    assert stored_post_ids(store, "weibo", "intruder") == {"2"}
    same_batch = store.write_batch("run3", post_rows=[post("7"), {**post("7"), "account_id": "intruder"}])
    assert [(r.account_id, r.key, r.reason) for r in same_batch.refused] == [("intruder", "7", "foreign_post")]
    assert "7" in stored_post_ids(store, "weibo", "100001")


# ------------------------------------------------------------------ schema creation and migrations (item 9)


def _open_after_barrier(url: str, barrier, results) -> None:
    barrier.wait()
    try:
        store = Store(url)
        store.write_batch("run1", post_rows=[post("1")])
        store.close()
        results.put("ok")
    except Exception as exc:
        results.put(f"{type(exc).__name__}: {exc}")


def test_many_processes_opening_a_fresh_store_at_once_all_succeed(store_url, tmp_path):
    """12 crawls started together on a store that does not exist yet: before, 4 of 20 failed with "table
    accounts already exists" on SQLite; and the file existed for a while without its tables."""
    import multiprocessing
    import sqlite3

    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(12), context.Queue()
    processes = [context.Process(target=_open_after_barrier, args=(store_url, barrier, results)) for _ in range(12)]
    for process in processes:
        process.start()
    path = tmp_path / "db.sqlite3"
    tables_seen = []
    while any(p.is_alive() for p in processes):
        if store_url.startswith("sqlite") and path.exists():
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as conn:
                tables_seen.append({row[0] for row in conn.execute("SELECT name FROM sqlite_master")})
    for process in processes:
        process.join()
    outcomes = [results.get(timeout=10) for _ in processes]
    assert outcomes == ["ok"] * 12
    assert all("posts" in tables for tables in tables_seen)
    engine = create_store_engine(store_url)
    with engine.connect() as conn:
        assert [row[0] for row in conn.execute(select(schema_version.c.version))] == [SCHEMA_VERSION]
    engine.dispose()


def degrade_to_version_2(url: str) -> None:
    """Make the store look as the previous release left it: no schema_version, and on PostgreSQL the ids as
    VARCHAR(128)."""
    Store(url).close()
    engine = create_store_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE schema_version")
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE posts ALTER COLUMN post_id TYPE VARCHAR(128)")
            conn.exec_driver_sql("ALTER TABLE posts ALTER COLUMN account_id TYPE VARCHAR(128)")
            conn.exec_driver_sql("ALTER TABLE accounts ALTER COLUMN handle TYPE VARCHAR(256)")
    engine.dispose()


def test_a_store_of_the_previous_version_is_migrated_once(store_url):
    degrade_to_version_2(store_url)
    store = Store(store_url)
    with store.engine.connect() as conn:
        versions = [row[0] for row in conn.execute(select(schema_version.c.version).order_by(schema_version.c.version))]
    assert versions == [v.version for v in MIGRATIONS if v.version > 2]
    uri = "https://instance.example/users/brand/statuses/" + "1" * 200
    assert store.write_batch("r", post_rows=[{**post(uri), "account_id": "a" * 200}]).refused == []
    store.close()
    again = Store(store_url)  # nothing more to do
    with again.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema_version)).scalar() == len(versions)
    again.close()


def test_migrations_run_once_each_in_order(store_url, monkeypatch):
    """Adding a migration = one entry in MIGRATIONS: an existing store gets it once, a new store is made at
    the latest version without running it."""
    import benchmark.store.migrations as store_module  # where _migrate reads MIGRATIONS and SCHEMA_VERSION

    Store(store_url).close()
    calls = []
    extra = (store_module.Migration(SCHEMA_VERSION + 1, "first", (lambda conn: calls.append("first"),)),
             store_module.Migration(SCHEMA_VERSION + 2, "second", (lambda conn: calls.append("second"),)))
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS + extra)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 2)
    Store(store_url).close()
    Store(store_url).close()
    assert calls == ["first", "second"]


def test_posts_have_one_index_for_an_accounts_period(store_url):
    """Migration 4: the two single-column indexes of earlier stores become one (platform, account_id,
    created_at) index, the shape of every read of posts."""
    degrade_to_version_2(store_url)
    engine = create_store_engine(store_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_posts_account_created")
        conn.exec_driver_sql("CREATE INDEX ix_posts_account_id ON posts (account_id)")
        conn.exec_driver_sql("CREATE INDEX ix_posts_created_at ON posts (created_at)")
        conn.exec_driver_sql("DELETE FROM schema_version WHERE version > 3")
    engine.dispose()
    Store(store_url).close()
    engine = create_store_engine(store_url)
    indexes = {index["name"]: index["column_names"] for index in inspect(engine).get_indexes("posts")}
    engine.dispose()
    assert indexes == {"ix_posts_account_created": ["platform", "account_id", "created_at"]}
