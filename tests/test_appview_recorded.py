"""Fast tests on payloads recorded from the real Bluesky App View (tests/fixtures/bluesky/appview_*.json, see
SOURCE.md there): the same panel as tests/test_appview_real.py, through parser → pseudonymiser → store →
metrics, without Node. Each test pins one defect the real App View exposed (issue 15, item 3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from benchmark.config import load_config
from benchmark.items import Comment, Post
from benchmark.metrics.compute import comment_metrics
from benchmark.metrics.load import PanelData, load_panel, open_store
from benchmark.pipelines import _as_row
from benchmark.platforms.bluesky import parser
from benchmark.platforms.bluesky.spider import FEED_LIMIT
from benchmark.privacy import Pseudonymiser
from tests.toolkit.factories import build_store, config_toml, write_config
from tests.toolkit.spiders import load_spider, make_spider, respond, split

FIXTURES = Path(__file__).parent / "fixtures" / "bluesky"
CRAWLED = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)


RECORDINGS = (  # every file, named in full (tests/test_parser_bluesky.py checks that each fixture is used)
    "appview_truth.json", "appview_profile_brand.json", "appview_profile_peer.json",
    "appview_author_feed_brand.json", "appview_author_feed_peer.json", "appview_profiles_ref_authors.json",
    "appview_thread_brand_post.json", "appview_thread_peer_post.json",
)


def load(name: str) -> Any:
    assert f"appview_{name}.json" in RECORDINGS
    return json.loads((FIXTURES / f"appview_{name}.json").read_text(encoding="utf-8"))


TRUTH = load("truth")
ACCOUNTS = {a["key"]: a for a in TRUTH["accounts"]}
PANEL = {m["key"]: m for m in TRUTH["panel"]}  # brand and peer by handle, exemplar by DID, affiliate by handle


def config_text() -> str:
    accounts = [{"platform": "bluesky", "id": m["config_id"], "role": m["role"], "label": m["label"],
                 "affiliates": m["affiliates"]} for m in TRUTH["panel"]]
    return config_toml(accounts, (TRUTH["period"]["start"], TRUTH["period"]["end"]), name="recorded", timezone="UTC")


def pseudonymiser() -> Pseudonymiser:
    """As PseudonymisePipeline builds it: the config's ids and affiliates stay in clear."""
    clear = {m["config_id"] for m in TRUTH["panel"]} | {a for m in TRUTH["panel"] for a in m["affiliates"]}
    return Pseudonymiser(b"k" * 32, "bluesky", clear)


def crawl(key: str) -> tuple[Any, list[Post], list[Comment]]:
    """What the spider stores for one panel account from the recorded payloads (pseudonymised)."""
    account, status, _ = parser.parse_profile(load(f"profile_{key}"), crawled_at=CRAWLED,
                                              account_id=PANEL[key]["config_id"])
    assert status == "ok"
    page = parser.parse_author_feed(load(f"author_feed_{key}"), account_id=PANEL[key]["config_id"],
                                    crawled_at=CRAWLED, owner_did=account.extra["did"],
                                    pinned_uri=account.extra["pinned_post_uri"])
    parser.apply_ref_authors(page.posts, parser.parse_profiles(load("profiles_ref_authors")))
    thread = load(f"thread_{key}_post")
    uri = thread["thread"]["post"]["uri"]
    comments = parser.parse_thread(thread, post_id=uri, post_author_id=PANEL[key]["config_id"], crawled_at=CRAWLED)
    rules = pseudonymiser()
    return account, [rules.apply(p) for p in page.posts], [rules.apply(c) for c in comments]


@pytest.fixture(scope="module")
def panel(tmp_path_factory: pytest.TempPathFactory) -> PanelData:
    folder = tmp_path_factory.mktemp("recorded")
    crawled = [crawl(key) for key in ("brand", "peer")]
    url = build_store(folder / "store.sqlite3", accounts=[_as_row(account) for account, _p, _c in crawled],
                      posts=[_as_row(p) for _a, posts, _c in crawled for p in posts],
                      comments=[_as_row(c) for _a, _p, comments in crawled for c in comments])
    return load_panel(open_store(url), load_config(write_config(folder, config_text())))


def seeded(account: str, **fields: Any) -> list[dict]:
    return [p for p in TRUTH["posts"] if p["account"] == account and all(p.get(k) == v for k, v in fields.items())]


def test_a_panel_brand_listed_by_handle_is_a_panel_account_under_the_did_a_repost_carries(panel: PanelData) -> None:
    posts = panel.posts.set_index("post_id")
    for key in ("brand", "peer"):
        for post in seeded(key, kind="repost"):
            row = posts.loc[post["post_id"]]
            assert (row["ref_author_class"], bool(row["fan_repost"])) == (post["ref_author_class"], post["fan_repost"])
    # The peer's repost of the own brand's post: the own brand is listed by handle, the repost names its DID.
    assert seeded("peer", kind="repost", ref_author_class="panel")


def test_comments_by_an_affiliate_or_another_panel_brand_keep_their_did_fans_are_pseudonymised() -> None:
    _, _, comments = crawl("brand")
    by_cid = {c.comment_id: c for c in comments}
    for seeded_comment in (c for c in TRUTH["comments"] if c["cid"] in by_cid):
        comment = by_cid[seeded_comment["cid"]]
        who = ACCOUNTS[seeded_comment["by"]]
        if seeded_comment["cls"] in ("affiliate", "panel"):
            assert comment.author_id == who["did"] and comment.author_name == who["name"]
        elif seeded_comment["cls"] == "fan":
            assert comment.author_id.startswith("anon:") and comment.author_name is None
            stored = json.dumps(_as_row(comment), default=str)
            assert who["did"] not in stored and who["handle"] not in stored


def test_comments_are_classed_and_the_reply_rate_counts_fans_only(panel: PanelData) -> None:
    comments = panel.comments.set_index("comment_id")
    for seeded_comment in TRUTH["comments"]:
        if seeded_comment["cid"] in comments.index:
            assert comments.loc[seeded_comment["cid"], "author_class"] == seeded_comment["cls"], seeded_comment
    metrics = comment_metrics(panel)
    rate, n = metrics["comment_reply_rate"]
    brand = panel.accounts.index[panel.accounts["config_id"] == PANEL["brand"]["config_id"]][0]
    fans = [c for c in TRUTH["comments"] if c["by"] != "brand" and c["cls"] == "fan" and c["parent_uri"] is None
            and c["post_id"] == load("thread_brand_post")["thread"]["post"]["uri"]]
    assert n[brand] == len(fans) == 4  # fan1, fan2, fan3 and the opted-out fan; not the affiliate nor the peer
    assert rate[brand] == pytest.approx(2 / 4)


def test_comment_coverage_counts_direct_replies_as_the_app_views_reply_count_does(panel: PanelData) -> None:
    coverage, sampled = comment_metrics(panel)["comment_coverage"]
    thread = load("thread_brand_post")["thread"]
    assert thread["post"]["replyCount"] == len(thread["replies"]) == 6  # direct replies only; 3 more are nested
    brand = panel.accounts.index[panel.accounts["config_id"] == PANEL["brand"]["config_id"]][0]
    assert sampled[brand] == 1 and coverage[brand] == pytest.approx(1.0)
    assert (coverage.dropna() <= 1).all()


def test_a_page_shorter_than_the_limit_is_the_last_though_it_carries_a_cursor() -> None:
    page = load("author_feed_brand")
    assert page["cursor"] and len(page["feed"]) < FEED_LIMIT  # as recorded: the App View always gives a cursor
    assert parser.is_last_page(page, FEED_LIMIT)
    full = {"feed": page["feed"][1:] * 10, "cursor": page["cursor"]}  # 100+ timeline items: there may be more
    assert not parser.is_last_page(full, FEED_LIMIT)
    # The pinned post rides on top of the first page: it does not count towards the limit.
    pinned_plus_full = {"feed": page["feed"][:1] + full["feed"][:FEED_LIMIT], "cursor": page["cursor"]}
    assert not parser.is_last_page(pinned_plus_full, FEED_LIMIT)
    assert parser.is_last_page({"feed": page["feed"][:1] + full["feed"][:FEED_LIMIT - 1]}, FEED_LIMIT)


def test_the_spider_asks_no_further_page_after_a_short_one(tmp_path: Path) -> None:
    spider = make_spider(load_spider("bluesky"), tmp_path, {"BLUESKY_BASE_URL": "https://appview.test",
                                                           "RETRY_TIMES": 1},
                         accounts=PANEL["brand"]["config_id"], since=TRUTH["period"]["start"],
                         until=TRUTH["period"]["end"])
    profile = load("profile_brand")
    request = spider.feed_request(spider.panel[0], profile["did"], profile["pinnedPost"]["uri"])
    _items, requests = split(spider.parse_feed(respond(request, load("author_feed_brand"))))
    assert not [r for r in requests if "getAuthorFeed" in r.url]
    full = load("author_feed_brand")
    # A full page of posts not seen yet (the paging rule ends an account on a page that brings no new post).
    full["feed"] = [_renamed(item, copy) for copy in range(10) for item in full["feed"][1:]]
    _items, requests = split(spider.parse_feed(respond(request, full)))
    assert [r for r in requests if "getAuthorFeed" in r.url]  # a full page: the cursor is followed


def _renamed(item: dict, copy: int) -> dict:
    """A copy of a recorded feed item whose post has a uri (and cid) of its own."""
    item = json.loads(json.dumps(item))
    item["post"]["uri"] = f"{item['post']['uri']}c{copy}"
    item["post"]["cid"] = f"{item['post'].get('cid', '')}c{copy}"
    return item
