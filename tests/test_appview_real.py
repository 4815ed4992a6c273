"""`scrapy crawl bluesky -a comments=1` and `scrapy report` against the REAL Bluesky App View.

tests/appview/panel.js starts `@atproto/dev-env` (the reference `@atproto/bsky` App View, a real PDS and PLC
directory, on 127.0.0.1), seeds a panel through the PDS with the real client and prints what it seeded (the
"truth"). Every post, every class and every conversation metric of the crawl and of the report is checked
against that truth: nothing here was written by the hands that wrote the spider.

Needs Node (`node`), `npm ci` run in tests/appview (`.ci/run` does it), PostgreSQL and Redis
(BENCHMARK_TEST_PG_URL, BENCHMARK_TEST_REDIS_URL; the App View gets fresh schemas in that database on every
run and drops them on exit). How to run it by hand: docs/verification.md.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.crawl_helpers import PROJECT_ROOT, CrawlResult, run_crawl
from tests.toolkit.factories import config_toml, write_config

APPVIEW_DIR = PROJECT_ROOT / "tests" / "appview"
START_TIMEOUT = 300  # seconds for dev-env to start and seed (about 15 s on a 2-core machine)


def _postgres_url() -> str | None:
    """A libpq URL for dev-env: BENCHMARK_TEST_APPVIEW_PG_URL, else BENCHMARK_TEST_PG_URL without `+driver`."""
    url = os.environ.get("BENCHMARK_TEST_APPVIEW_PG_URL") or os.environ.get("BENCHMARK_TEST_PG_URL")
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url) if url else None


def _redis_host() -> str | None:
    url = os.environ.get("BENCHMARK_TEST_REDIS_URL")
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}"


def _skip_reason() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (Debian: apt-get install nodejs npm; .ci/run installs it)"
    if not (APPVIEW_DIR / "node_modules" / "@atproto" / "dev-env").is_dir():
        return "@atproto/dev-env is not installed: run `npm ci` in tests/appview (.ci/run does)"
    if _postgres_url() is None:
        return "no PostgreSQL for the App View: set BENCHMARK_TEST_PG_URL (.ci/run starts one)"
    if _redis_host() is None:
        return "no Redis for the App View: set BENCHMARK_TEST_REDIS_URL (.ci/run starts one)"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


class AppView:
    def __init__(self, process: subprocess.Popen, url: str, truth: dict[str, Any], log: list[str]) -> None:
        self.process, self.url, self.truth, self.log = process, url, truth, log


@pytest.fixture(scope="module")
def appview() -> Iterator[AppView]:
    env = {**os.environ, "DB_POSTGRES_URL": _postgres_url() or "", "REDIS_HOST": _redis_host() or "",
           "NODE_NO_WARNINGS": "1"}
    process = subprocess.Popen(["node", "panel.js"], cwd=APPVIEW_DIR, env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(process.stderr), daemon=True).start()
    url, truth = "", None
    deadline = time.monotonic() + START_TIMEOUT
    try:
        for line in process.stdout:  # the script ends with READY, or exits on error (stdout closes)
            if line.startswith("APPVIEW "):
                url = line.split(" ", 1)[1].strip()
            elif line.startswith("TRUTH "):
                truth = json.loads(line.split(" ", 1)[1])
            elif line.strip() == "READY" or time.monotonic() > deadline:
                break
        if not url or truth is None:
            process.kill()
            pytest.fail("the App View did not start:\n" + "".join(log[-40:]))
        yield AppView(process, url, truth, log)
    finally:
        process.stdin.close()  # the script closes the network and drops its schemas
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def appview_config(truth: dict[str, Any]) -> str:
    accounts = [{"platform": "bluesky", "id": m["config_id"], "role": m["role"], "label": m["label"],
                 "affiliates": m["affiliates"]} for m in truth["panel"]]
    return config_toml(accounts, (truth["period"]["start"], truth["period"]["end"]), name="appview", timezone="UTC",
                       language="en")


class Crawled:
    def __init__(self, appview: AppView, crawl: CrawlResult, report: Path) -> None:
        self.truth = appview.truth
        self.crawl = crawl
        self.report = report
        self.config_id = {m["key"]: m["config_id"] for m in appview.truth["panel"]}

    def csv(self, name: str) -> list[dict[str, str]]:
        with (self.report / name).open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))

    def metric(self, key: str, metric: str) -> tuple[str, str]:
        rows = [r for r in self.csv("metrics.csv")
                if r["account_id"] == self.config_id[key] and r["metric"] == metric]
        assert len(rows) == 1, (key, metric, rows)
        return rows[0]["value"], rows[0]["n"]


@pytest.fixture(scope="module")
def crawled(appview: AppView, tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    folder = tmp_path_factory.mktemp("appview")
    config = write_config(folder, appview_config(appview.truth))
    started = time.monotonic()
    crawl = run_crawl("bluesky", base_url="http://127.0.0.1:9", db_path=folder / "store.sqlite3", config_path=config,
                      settings={"BLUESKY_BASE_URL": appview.url, "LOG_LEVEL": "DEBUG"}, args={"comments": "1"},
                      timeout=300)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    report = folder / "report"
    done = subprocess.run([sys.executable, "-m", "scrapy", "report", "--allow-outside", "--lang", "en",
                           "-s", f"BENCHMARK_DB={crawl.db_url}", "--config", str(config), "-o", str(report)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    print(f"crawl + report against the real App View: {time.monotonic() - started:.1f} s")
    return Crawled(appview, crawl, report)


# ------------------------------------------------------------------------------------------ crawl


def test_every_account_is_ok(crawled: Crawled) -> None:
    rows = crawled.crawl.rows("SELECT account_id, status, message FROM crawl_accounts")
    assert {r["account_id"]: r["status"] for r in rows} == {m["config_id"]: "ok" for m in crawled.truth["panel"]}


def test_every_seeded_post_of_the_period_is_in_the_report_as_seeded(crawled: Crawled) -> None:
    rows = {r["post_id"]: r for r in crawled.csv("posts.csv")}
    expected = [p for p in crawled.truth["posts"] if p["in_period"]]
    assert set(rows) == {p["post_id"] for p in expected}
    for post in expected:
        row = rows[post["post_id"]]
        seen = {"account_id": row["account_id"], "kind": row["kind"], "format": row["format"],
                "ref_author_class": row["ref_author_class"] or None, "fan_repost": row["fan_repost"] == "True",
                "pinned": row["pinned"] == "True", "reply_to_others": row["reply_to_others"] == "True"}
        wanted = {"account_id": crawled.config_id[post["account"]], "kind": post["kind"], "format": post["format"],
                  "ref_author_class": post["ref_author_class"], "fan_repost": post["fan_repost"],
                  "pinned": post["pinned"], "reply_to_others": post.get("reply_to_others", False)}
        assert seen == wanted, (post, row["text"])


def test_the_post_before_the_period_is_not_stored(crawled: Crawled) -> None:
    old = [p["post_id"] for p in crawled.truth["posts"] if not p["in_period"]]
    assert old
    assert crawled.crawl.rows("SELECT post_id FROM posts WHERE post_id IN :ids".replace(
        ":ids", "(" + ",".join(f"'{i}'" for i in old) + ")")) == []


def test_a_thread_continued_by_the_account_stays_original(crawled: Crawled) -> None:
    ids = [p["post_id"] for p in crawled.truth["posts"] if p.get("self_reply")]
    assert ids
    for post_id in ids:
        [row] = crawled.crawl.rows("SELECT kind, extra FROM posts WHERE post_id = :id", id=post_id)
        assert row["kind"] == "original" and json.loads(row["extra"])["self_reply"] is True


def test_one_feed_request_per_account_when_the_feed_fits_in_one_page(crawled: Crawled) -> None:
    """The App View returns a cursor even on its last page: a page shorter than `limit` must end the paging."""
    feeds = re.findall(r"Crawled \(\d+\) <GET [^>]*app\.bsky\.feed\.getAuthorFeed\?actor=([^&>]+)",
                       crawled.crawl.stderr)
    assert len(feeds) == len(crawled.truth["panel"]), feeds


# ------------------------------------------------------------------------------------------ comments


def test_every_comment_is_stored_with_its_author_as_the_privacy_rules_say(crawled: Crawled) -> None:
    stored = {r["comment_id"]: r for r in crawled.crawl.rows(
        "SELECT comment_id, author_id, author_name, is_by_post_author, text, parent_comment_id, extra FROM comments")}
    by_uri = {c["uri"]: c for c in crawled.truth["comments"]}
    dids = {a["key"]: a["did"] for a in crawled.truth["accounts"]}
    handles = {a["key"]: a["handle"] for a in crawled.truth["accounts"]}
    assert set(stored) == {c["cid"] for c in crawled.truth["comments"]}
    for comment in crawled.truth["comments"]:
        row = stored[comment["cid"]]
        assert row["parent_comment_id"] == (by_uri[comment["parent_uri"]]["cid"] if comment["parent_uri"] else None)
        if comment["cls"] == "self":
            assert row["is_by_post_author"] == 1, comment
        elif comment["cls"] == "fan":
            # A fan is a pseudonym: no DID, no handle, no name anywhere in the row.
            assert row["author_id"].startswith("anon:") and row["author_name"] is None, comment
            assert dids[comment["by"]] not in json.dumps(row) and handles[comment["by"]] not in json.dumps(row)
        else:  # an affiliate or another panel brand stays in clear, under the DID the reply carries
            assert row["author_id"] == dids[comment["by"]], comment
            assert row["is_by_post_author"] == 0
    shy = [c for c in crawled.truth["comments"] if c["by"] == "shyfan"]
    assert shy and all(stored[c["cid"]]["text"] == "" for c in shy)  # opted out of logged-out apps


@pytest.mark.parametrize("key", ["brand", "peer", "exemplar"])
def test_conversation_metrics_match_the_seeded_threads(crawled: Crawled, key: str) -> None:
    truth = crawled.truth["metrics"][key]
    rate, n = crawled.metric(key, "comment_reply_rate")
    assert int(n) == truth["fan_comments"]
    if truth["comment_reply_rate"] is None:
        assert rate == ""
    else:
        assert float(rate) == pytest.approx(truth["comment_reply_rate"])
    coverage, sampled = crawled.metric(key, "comment_coverage")
    assert int(sampled) == truth["sampled_posts"]
    if truth["comment_coverage"] is None:
        assert coverage == ""
    else:
        assert float(coverage) == pytest.approx(truth["comment_coverage"]) and float(coverage) <= 1


def test_the_html_report_is_written(crawled: Crawled) -> None:
    html = (crawled.report / "index.html").read_text(encoding="utf-8")
    for member in crawled.truth["panel"]:
        assert member["label"] in html
