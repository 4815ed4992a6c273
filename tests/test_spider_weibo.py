"""End to end: real `scrapy crawl weibo` subprocesses against the local sample server.

The panel covers what breaks Weibo crawlers: a multi-page timeline with an old pinned post, long posts,
reposts of fans, brands and deleted posts, a 418 burst, and accounts behind login walls (three forms),
a captcha and an unknown uid. Assertions are on the store's rows and statuses. The server is strict (like real
Weibo, it refuses a request without the expected cookie or the mobile web client's headers) and counts what it
refused on /__strict.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import TextResponse

from benchmark.i18n import stored_message
from benchmark.platforms.weibo.spider import WeiboSpider
from benchmark.sample.panel import Panel, panel_config_toml
from benchmark.sample.testing import run_server_subprocess
from tests.crawl_helpers import PROJECT_ROOT, run_crawl
from tests.toolkit import spiders as toolkit
from tests.toolkit.spiders import start_requests as start_of

ANCHOR = "2026-11-26T12:00:00+08:00"
HEALTHY = "1000000001"
BURST = "1000000002"
SPEC = {
    "seed": 11,
    "anchor": ANCHOR,
    "period": {"start": "2026-09-01", "end": "2026-11-25"},
    "accounts": [
        {"platform": "weibo", "id": HEALTHY, "role": "exemplar", "label": "Fan friendly",
         "archetype": "fan_friendly", "posts": 46, "older_posts": 3, "pinned": "old"},
        {"platform": "weibo", "id": BURST, "role": "own", "label": "Seller", "archetype": "sales_heavy",
         "posts": 12, "older_posts": 1, "behaviour": {"burst_418": 2}},
        {"platform": "weibo", "id": "1000000003", "role": "peer", "label": "Redirect",
         "behaviour": {"login_wall": "redirect"}, "posts": 5},
        {"platform": "weibo", "id": "1000000004", "role": "peer", "label": "HTML login",
         "behaviour": {"login_wall": "html"}, "posts": 5},
        {"platform": "weibo", "id": "1000000005", "role": "peer", "label": "JSON login",
         "behaviour": {"login_wall": "json"}, "posts": 5},
        {"platform": "weibo", "id": "1000000006", "role": "peer", "label": "Captcha",
         "behaviour": {"captcha": True}, "posts": 5},
        {"platform": "weibo", "id": "1000000007", "role": "peer", "label": "Gone",
         "behaviour": {"not_found": True}, "posts": 5},
    ],
}
FAKE_COOKIE = "SUB=RECOGNIZABLE-FAKE-COOKIE-42; SUBP=0033WrSX"


@pytest.fixture(scope="module")
def panel() -> Panel:
    return Panel.from_spec(SPEC)


@pytest.fixture(scope="module")
def server_url():
    with run_server_subprocess(SPEC, seed=None, anchor=ANCHOR,
                               extra_args=("--strict-weibo", "--weibo-cookie", FAKE_COOKIE)) as (url, _process):
        yield url


def refused(url: str) -> dict[str, int]:
    """What the strict server refused so far (missing cookie, headers or referer), and cookie leaks."""
    with urllib.request.urlopen(f"{url}/__strict", timeout=5) as answer:
        counts = json.loads(answer.read())
    return {name: n for name, n in counts.items() if not name.endswith((":served", ":config"))}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, panel, server_url):
    """Two crawls of the same panel into one store, with a recognisable fake cookie and a feed export."""
    tmp = tmp_path_factory.mktemp("weibo")
    config = tmp / "benchmark.toml"
    config.write_text(panel_config_toml(panel), encoding="utf-8")
    db = tmp / "store.sqlite3"
    # The second crawl speaks Chinese on the console (the store keeps English text plus translatable reasons).
    runs = [run_crawl("weibo", base_url=server_url, db_path=db, config_path=config,
                      env={"WEIBO_COOKIE": FAKE_COOKIE},
                      settings={"LOG_LEVEL": "DEBUG", "BENCHMARK_LANGUAGE": language},
                      extra=["-O", str(tmp / f"feed{i}.jsonl")]) for i, language in ((1, "en"), (2, "zh"))]
    assert refused(server_url) == {}  # every request was made as the logged-in mobile web client
    return tmp, runs


def expected_ids(panel: Panel, account_id: str) -> set[str]:
    posts = panel.posts_by_account[("weibo", account_id)]
    return {p.id for p in posts if panel.in_period(p)}


def test_every_post_of_the_period_is_stored_once(panel, crawled):
    _tmp, (first, _second) = crawled
    for account_id in (HEALTHY, BURST):
        stored = first.rows("select post_id from posts where account_id = :a", a=account_id)
        ids = [r["post_id"] for r in stored]
        assert len(ids) == len(set(ids))
        assert set(ids) == expected_ids(panel, account_id), account_id
    assert len(expected_ids(panel, HEALTHY)) > 30  # several pages of 10


def test_old_pinned_post_neither_stops_paging_nor_is_stored(panel, crawled):
    _tmp, (first, _) = crawled
    pinned = [p for p in panel.posts_by_account[("weibo", HEALTHY)] if p.pinned]
    assert pinned and not panel.in_period(pinned[0])
    stored = first.rows("select post_id from posts where post_id = :p", p=pinned[0].id)
    assert stored == []
    oldest_expected = min(p.created_at for p in panel.posts_by_account[("weibo", HEALTHY)] if panel.in_period(p))
    oldest = first.rows("select min(created_at) as t from posts where account_id = :a", a=HEALTHY)[0]["t"]
    assert str(oldest).startswith(oldest_expected.astimezone(UTC).strftime("%Y-%m-%d %H:%M"))


def test_long_posts_have_their_full_text(panel, crawled):
    _tmp, (first, _) = crawled
    long_posts = [p for p in panel.posts_by_account[("weibo", HEALTHY)] if p.long_text and panel.in_period(p)]
    assert long_posts, "the panel should contain long posts"
    for sample in long_posts:
        row = first.rows("select text, extra from posts where post_id = :p", p=sample.id)[0]
        assert "全文" not in row["text"]
        assert len(row["text"]) > 140
        assert "truncated" not in (row["extra"] or "")


def test_reposts_know_who_wrote_the_original(panel, crawled):
    _tmp, (first, _) = crawled
    rows = {r["post_id"]: r for r in first.rows(
        "select post_id, kind, ref_author_id, ref_author_is_organization from posts where account_id = :a",
        a=HEALTHY)}
    checked = set()
    for sample in panel.posts_by_account[("weibo", HEALTHY)]:
        if sample.ref is None or not panel.in_period(sample):
            continue
        row = rows[sample.id]
        assert row["kind"] == "repost"
        if sample.ref.author is None:  # deleted original: unknown, never a fan
            assert row["ref_author_id"] is None and row["ref_author_is_organization"] is None
            checked.add("deleted")
        elif sample.ref.author.is_organization:  # brands stay in clear
            assert row["ref_author_id"] == sample.ref.author.id
            assert row["ref_author_is_organization"] == 1
            checked.add("org")
        else:  # fans are pseudonymised: a stable keyed hash, never the uid
            assert row["ref_author_id"].startswith("anon:") and sample.ref.author.id not in row["ref_author_id"]
            assert row["ref_author_is_organization"] == 0
            checked.add("fan")
    assert checked == {"deleted", "org", "fan"}


def test_fans_are_pseudonymised_consistently(panel, crawled):
    tmp, (first, _) = crawled
    fans = {p.ref.author.id: p.ref.author.name for p in panel.posts_by_account[("weibo", HEALTHY)]
            if p.ref and p.ref.author and not p.ref.author.is_organization and panel.in_period(p)}
    assert fans
    for path in Path(tmp).glob("store.sqlite3*"):
        data = path.read_bytes()
        for fan_id in fans:
            at = data.find(fan_id.encode())
            assert at < 0, (path.name, data[max(0, at - 300): at + 60])
    # Names are dropped from the fields about the original; the brand's own post text is kept as published.
    names = first.rows("select ref_author_name as n from posts where ref_author_id like 'anon:%'")
    assert {row["n"] for row in names} == {None}
    pseudonyms = first.rows("select distinct ref_author_id as a from posts where ref_author_id like 'anon:%'")
    assert len(pseudonyms) == len(fans)  # one stable pseudonym per fan across both runs


def test_each_account_gets_the_right_status(crawled):
    _tmp, (first, _) = crawled
    statuses = {r["account_id"]: (r["status"], r["message"]) for r in first.rows(
        "select account_id, status, message from crawl_accounts where run_id = "
        "(select run_id from crawl_runs order by started_at limit 1)")}
    assert statuses[HEALTHY][0] == "ok"
    assert statuses[BURST][0] == "ok"  # the 418 burst was waited out
    for walled in ("1000000003", "1000000004", "1000000005"):
        assert statuses[walled][0] == "login_wall"
        assert "WEIBO_COOKIE" in statuses[walled][1]
    assert statuses["1000000006"][0] == "blocked"
    assert statuses["1000000007"] == ("not_found", "no such Weibo account: its profile is empty (这里还没有内容)")
    assert statuses["1000000005"][1].count("WEIBO_COOKIE") == 1
    assert first.returncode == 3  # something was missed: the exit status says so
    assert "login_wall" in first.stderr and "not complete" in first.stderr


def test_the_reasons_are_stored_in_english_and_shown_in_the_console_language(crawled):
    _tmp, (first, second) = crawled
    rows = {r["account_id"]: r for r in second.rows(
        "select account_id, message, message_i18n from crawl_accounts where run_id = "
        "(select run_id from crawl_runs order by started_at desc limit 1)")}
    not_found = rows["1000000007"]
    assert not_found["message"] == "no such Weibo account: its profile is empty (这里还没有内容)"
    shown = stored_message(not_found["message"], not_found["message_i18n"], "zh")
    assert shown == "微博账号不存在：主页为空（这里还没有内容）"
    assert re.search(r"^  not_found\s+weibo\s+.*\b1000000007\s.*微博账号不存在：主页为空", second.stderr, flags=re.M)
    assert re.search(r"^  login_wall\s+weibo\s+.*\b1000000003\s.*请设置 WEIBO_COOKIE", second.stderr, flags=re.M)
    assert re.search(r"^  not_found\s+weibo\s+.*\b1000000007\s.*no such Weibo account", first.stderr, flags=re.M)


def test_418_burst_was_retried_with_backoff(crawled):
    _tmp, (first, _) = crawled
    assert "'ban/418': 2" in first.stderr
    assert "backing off" in first.stderr


def test_crawling_twice_adds_snapshots_and_nothing_else(panel, crawled):
    _tmp, (_first, second) = crawled
    n_posts = len(expected_ids(panel, HEALTHY)) + len(expected_ids(panel, BURST))
    assert second.rows("select count(*) as n from posts")[0]["n"] == n_posts
    assert second.rows("select count(*) as n from post_snapshots")[0]["n"] == 2 * n_posts
    # Profiles read: the two healthy accounts and the captcha one (its timeline is challenged), × 2 runs.
    assert second.rows("select count(*) as n from account_snapshots")[0]["n"] == 6
    assert second.rows("select count(*) as n from accounts")[0]["n"] == 3
    assert second.rows("select count(distinct run_id) as n from crawl_runs")[0]["n"] == 2
    first_seen = second.rows("select count(*) as n from posts where first_seen < last_seen")[0]["n"]
    assert first_seen == n_posts


def test_the_cookie_never_leaks(crawled):
    tmp, runs = crawled
    secret = "RECOGNIZABLE-FAKE-COOKIE-42"
    report = subprocess.run([sys.executable, "-m", "scrapy", "report", "--allow-outside", "--config",
                             str(tmp / "benchmark.toml"), "-s", f"BENCHMARK_DB={runs[0].db_url}",
                             "-o", str(tmp / "report")], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            env={**os.environ, "WEIBO_COOKIE": FAKE_COOKIE}, timeout=120)
    assert report.returncode == 0, report.stderr[-2000:]
    assert secret not in report.stdout + report.stderr
    assert (tmp / "report" / "index.html").exists()
    for run in runs:
        assert secret not in run.stdout and secret not in run.stderr
    for path in Path(tmp).rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path.name
    stats = runs[0].rows("select stats from crawl_runs")
    assert all(secret not in str(row["stats"]) for row in stats)


def test_feed_export_holds_the_same_items(crawled):
    tmp, (first, _) = crawled
    lines = (tmp / "feed1.jsonl").read_text(encoding="utf-8").splitlines()
    n_posts = first.rows("select count(*) as n from posts")[0]["n"]
    assert len(lines) == n_posts + 3  # posts + the three reachable profiles
    assert '"platform": "weibo"' in lines[0]


def test_config_error_is_one_clear_line(tmp_path, server_url):
    bad = tmp_path / "benchmark.toml"
    bad.write_text('[benchmark]\nperiod = "2026Q3"\n\n[[account]]\nplatform = "weibo"\nid = "12"\nrole = "own"\n',
                   encoding="utf-8")
    result = run_crawl("weibo", base_url=server_url, db_path=tmp_path / "db.sqlite3", config_path=bad)
    assert result.returncode == 2
    assert f"error: {bad}:6: account[0].id: '12' is not a valid weibo id" in result.stderr
    assert "Traceback" not in result.stderr
    in_chinese = run_crawl("weibo", base_url=server_url, db_path=tmp_path / "db.sqlite3", config_path=bad,
                           settings={"BENCHMARK_LANGUAGE": "zh"})
    assert in_chinese.returncode == 2
    assert f"错误：{bad}:6: account[0].id: '12' 不是有效的 weibo id：应为纯数字的微博 uid" in in_chinese.stderr


def test_accounts_argument_limits_the_crawl(tmp_path, panel, server_url):
    config = tmp_path / "benchmark.toml"
    config.write_text(panel_config_toml(panel), encoding="utf-8")
    result = run_crawl("weibo", base_url=server_url, db_path=tmp_path / "db.sqlite3", config_path=config,
                       args={"accounts": BURST, "since": "2026-11-01"}, env={"WEIBO_COOKIE": FAKE_COOKIE})
    assert result.returncode == 0, result.stderr[-2000:]
    rows = result.rows("select account_id, min(created_at) as first from posts group by account_id")
    assert [r["account_id"] for r in rows] == [BURST]
    assert str(rows[0]["first"]) >= "2026-10-31 16:00"  # 2026-11-01 in Asia/Shanghai
    assert datetime.fromisoformat(ANCHOR)  # the anchor is a valid moment


# -- the login check, in process (distributed workers call start() once per account) ------------------------


def weibo_spider(tmp_path: Path, cookie: str) -> WeiboSpider:
    return toolkit.make_spider(WeiboSpider, tmp_path, {"WEIBO_COOKIE": cookie, "WEIBO_BASE_URL": "https://m.weibo.test",
                                                       "BENCHMARK_LANGUAGE": "en"},
                               accounts="1000000001,1000000002", since="2026-11-01", until="2026-11-25")


def answer(request: Request, payload: dict) -> TextResponse:
    return toolkit.respond(request, payload)


def test_one_login_check_then_each_account_as_the_mobile_client(tmp_path):
    spider = weibo_spider(tmp_path, FAKE_COOKIE)
    [check] = start_of(spider)
    assert check.url == "https://m.weibo.test/api/config" and check.meta["dont_redirect"]
    profiles = list(check.callback(answer(check, {"ok": 1, "data": {"login": True}}), **check.cb_kwargs))
    assert [r.meta["account_id"] for r in profiles] == ["1000000001", "1000000002"]
    for request in profiles:
        assert request.headers[b"X-Requested-With"] == b"XMLHttpRequest" and request.headers[b"MWeibo-Pwa"] == b"1"
        assert request.headers[b"Referer"] == f"https://m.weibo.test/u/{request.meta['account_id']}".encode()
        assert b"Cookie" not in request.headers  # added at download time only
    # A distributed worker asks start() again for one account: the answer is known, no second check.
    spider.panel = spider.panel[:1]
    assert [r.url.split("?")[0] for r in start_of(spider)] == ["https://m.weibo.test/api/container/getIndex"]


def test_a_stale_cookie_ends_every_account_untried(tmp_path, caplog):
    spider = weibo_spider(tmp_path, FAKE_COOKIE)
    [check] = start_of(spider)
    assert list(check.callback(answer(check, {"ok": 1, "data": {"login": False}}), **check.cb_kwargs)) == []
    assert {p.status for p in spider.tracker.accounts.values()} == {"login_wall"}
    spider.panel = spider.panel[:1]
    assert start_of(spider) == []
    assert sum("WEIBO_COOKIE is not logged in" in r.getMessage() for r in caplog.records) == 1
