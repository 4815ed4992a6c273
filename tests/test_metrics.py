"""Every metric id of METRICS.md on a tiny hand-built store; each expected value is worked out by hand here."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.config import load_config
from benchmark.metrics.catalog import METRIC_IDS
from benchmark.metrics.compute import COMMENT_METRICS, compute_metrics
from benchmark.metrics.load import load_panel, open_store
from benchmark.purpose import PurposeRules
from tests.toolkit.factories import panel_toml, write_batches, write_config

CONFIG = panel_toml("tiny", ("2026-07-01", "2026-07-14"),
                    ("weibo", "1000000001", "own", "我们", ["1000000009"]), ("weibo", "1000000002", "peer", "Rival"),
                    ("weibo", "1000000003", "exemplar", "Best"), ("bluesky", "brand.bsky.social", "own", "我们"),
                    ("bluesky", "quiet.bsky.social", "peer", "Quiet"))

OWN, PEER, BEST, SKY, QUIET = 0, 1, 2, 3, 4  # account codes = config order
SHOP = "https://shop.example.com/item?id=1"
TEXTS = {
    "w_in": "早安",
    "w1": f"新品上市 ¥99 立即购买 {SHOP}",
    "w2": "今天天气很好？",
    "w3": "#新品# #夏天# 和 @朋友 一起 [心]😀",
}


def t(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 7, 1, tzinfo=UTC) + timedelta(days=day - 1, hours=hour, minutes=minute)


def weibo_post(post_id: str, account: str, created: datetime, kind: str = "original", fmt: str = "text",
               likes: int | None = 0, comments: int | None = 0, reposts: int | None = 0, **extra: object) -> dict:
    return {"platform": "weibo", "post_id": post_id, "account_id": account, "created_at": created,
            "kind": kind, "format": fmt, "likes": likes, "comments": comments, "reposts": reposts,
            "text": extra.pop("text", ""), "hashtags": extra.pop("hashtags", []),
            "mentions": extra.pop("mentions", []), "links": extra.pop("links", []), **extra}


def own_weibo_posts() -> list[dict]:
    own = "1000000001"
    return [
        # 2026-06-30 16:30 UTC is 2026-07-01 00:30 in Shanghai: inside the period; 15:30 UTC is outside.
        weibo_post("w_in", own, datetime(2026, 6, 30, 16, 30, tzinfo=UTC), likes=6, text=TEXTS["w_in"]),
        weibo_post("w_out", own, datetime(2026, 6, 30, 15, 30, tzinfo=UTC), likes=999, text="outside"),
        weibo_post("w1", own, t(2), fmt="image", likes=10, comments=2, reposts=3, text=TEXTS["w1"], links=[SHOP]),
        weibo_post("w2", own, t(3), fmt="video", text=TEXTS["w2"]),
        weibo_post("w3", own, t(9), fmt="image", likes=20, comments=5, reposts=5, text=TEXTS["w3"],
                   hashtags=["新品", "夏天"], mentions=["朋友"], links=["https://example.com/a"]),
        weibo_post("w4", own, t(4), kind="repost", likes=1, ref_author_id="777", ref_author_is_organization=False),
        weibo_post("w5", own, t(5), kind="repost", likes=2, ref_author_id="1000000001",
                   ref_author_is_organization=True),
        weibo_post("w6", own, t(6), kind="repost", likes=None, comments=None, reposts=None,
                   ref_author_id="1000000009", ref_author_is_organization=False),
        weibo_post("w7", own, t(11), kind="quote", likes=4, ref_author_id="888", ref_author_is_organization=True),
        weibo_post("w8", own, t(12), kind="repost", ref_author_id=None),
        weibo_post("w9", own, t(13), kind="repost", likes=3, ref_author_id="1000000002",
                   ref_author_is_organization=True),
    ]


def sky_post(post_id: str, day: int, kind: str = "reply", reply_to: str | None = None, n: int = 0) -> dict:
    return {"platform": "bluesky", "post_id": post_id, "account_id": "did:plc:brand", "created_at": t(day),
            "kind": kind, "format": "text", "reply_to_author_id": reply_to, "likes": n, "comments": n,
            "reposts": n, "quotes": n, "text": "hi"}


def other_posts() -> list[dict]:
    sky_posts = [
        sky_post("b1", 2, kind="original", n=1),
        sky_post("b2", 3, reply_to="did:plc:someone"),
        sky_post("b3", 4, reply_to="did:plc:brand"),
        sky_post("b4", 5, reply_to="Quiet.bsky.social"),
        sky_post("b5", 6, reply_to=None),
    ]
    return [
        weibo_post("p1", "1000000002", t(5), likes=100, comments=10, reposts=10),
        weibo_post("p2", "1000000002", t(6), fmt="image", likes=50),
        weibo_post("x1", "1000000003", t(3), fmt="video", likes=1000, comments=100, reposts=100),
        weibo_post("x2", "1000000003", t(4), kind="repost", likes=10, ref_author_id="555",
                   ref_author_is_organization=False),
        weibo_post("x3", "1000000003", t(5), fmt="live", likes=500),
        *sky_posts,
    ]


def account(platform: str, account_id: str, followers: int, crawled: datetime, **extra: object) -> dict:
    return {"platform": platform, "account_id": account_id, "followers": followers, "crawled_at": crawled, **extra}


def build_store(path: Path, comments: list[dict] | None = None) -> str:
    # Own Weibo account: snapshots on 07-01 (1000), 07-10 (1100) and after the period, 07-20 (1200).
    return write_batches(path, [("r1", {"account_rows": [
        account("weibo", "1000000001", 1000, t(1)), account("weibo", "1000000002", 10_000, t(1)),
        account("weibo", "1000000003", 5000, t(1)),
        account("bluesky", "did:plc:brand", 200, t(5), handle="brand.bsky.social"),
    ], "post_rows": own_weibo_posts() + other_posts(), "comment_rows": comments or []}),
        ("r2", {"account_rows": [account("weibo", "1000000001", 1100, t(10))]}),
        ("r3", {"account_rows": [account("weibo", "1000000001", 1200, t(20))]})])


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory):
    return load_config(write_config(tmp_path_factory.mktemp("cfg"), CONFIG))


@pytest.fixture(scope="module")
def metrics(tmp_path_factory: pytest.TempPathFactory, config):
    url = build_store(tmp_path_factory.mktemp("store") / "tiny.sqlite3")
    return compute_metrics(load_panel(open_store(url), config))


def value(metrics, acct: int, metric: str) -> float:
    row = metrics[(metrics["acct"] == acct) & (metrics["metric"] == metric)]
    assert len(row) == 1, f"{metric} for account {acct}: {len(row)} rows"
    return float(row["value"].iloc[0])


def n_of(metrics, acct: int, metric: str) -> int:
    return int(metrics[(metrics["acct"] == acct) & (metrics["metric"] == metric)]["n"].iloc[0])


# -- hand-computed facts about the own Weibo account ---------------------------------------------------
# Posts in the period: w_in, w1, w2, w3 (originals), w4 w5 w6 w8 w9 (reposts), w7 (quote) = 10.
# E (likes + comments + reposts): w_in 6, w1 15, w2 0, w3 30, w4 1, w5 2, w6 undefined, w7 4, w8 0, w9 3.
E_OWN = [6, 15, 0, 30, 1, 2, 4, 0, 3]
# F = followers in the nearest snapshot: 07-01 (1000) for posts up to 07-05, 07-10 (1100) from 07-06 on.
ER_OWN = [6 / 1000, 15 / 1000, 0 / 1000, 30 / 1100, 1 / 1000, 2 / 1000, 4 / 1100, 0 / 1100, 3 / 1100]
ER_PEER = [120 / 10_000, 50 / 10_000]
ER_BEST = [1200 / 5000, 10 / 5000, 500 / 5000]
LIKES_OWN = [6, 10, 0, 20, 1, 2, 4, 0, 3]  # w6 unknown
P = {"text": 1 / 4, "image": 2 / 4, "video": 1 / 4}


def labels_by_hand() -> list[str]:
    rules = PurposeRules.load()
    links = {"w1": [SHOP], "w3": ["https://example.com/a"]}
    return [rules.label(TEXTS[k], links=links.get(k, []), kind="original") for k in ("w_in", "w1", "w2", "w3")]


EXPECTED: dict[str, tuple[int, float]] = {
    "posts": (OWN, 10),
    "posts_per_week": (OWN, 10 / (14 / 7)),
    "original_share": (OWN, 4 / 10),
    "repost_share": (OWN, 5 / 10),
    "quote_share": (OWN, 1 / 10),
    "reply_share": (OWN, 0 / 10),
    "format_share.text": (OWN, 1 / 4),
    "format_share.image": (OWN, 2 / 4),
    "format_share.gif": (OWN, 0.0),
    "format_share.video": (OWN, 1 / 4),
    "format_share.audio": (OWN, 0.0),
    "format_share.live": (OWN, 0.0),
    "format_share.article": (OWN, 0.0),
    "format_share.link": (OWN, 0.0),
    "format_share.poll": (OWN, 0.0),
    "format_share.short": (OWN, 0.0),  # no Shorts on Weibo: a share of 0 (the account has originals)
    "format_diversity": (OWN, -sum(p * math.log(p) for p in P.values()) / math.log(9)),
    "engagement_median": (OWN, 3.0),  # sorted 0 0 1 2 [3] 4 6 15 30
    "engagement_mean": (OWN, 61 / 9),
    "engagement_p75": (OWN, 6.0),  # linear interpolation at 0.75 * 8 = position 6 of the sorted list
    "likes_per_post": (OWN, 46 / 9),
    "comments_per_post": (OWN, (2 + 5) / 9),
    "reposts_per_post": (OWN, (3 + 5) / 9),
    "er_median": (OWN, 3 / 1100),  # sorted: 0, 0, .001, .002, [3/1100], 4/1100, .006, .015, 30/1100
    "er_mean": (OWN, sum(ER_OWN) / 9),
    "conversation_ratio": (OWN, 7 / 46),
    "share_of_engagement": (OWN, 61 / (61 + (120 + 50) + (1200 + 10 + 500))),
    "bci": (OWN, (0.2 * math.log(10 + 1) + 0.8 * (0.4 * math.log(8 + 1) + 0.4 * math.log(7 + 1)
                                                   + 0.2 * math.log(46 + 1))) * 160),
    "fan_repost_share": (OWN, 1 / 10),  # w4 only
    "fan_repost_of_reposts": (OWN, 1 / 6),
    "repost_source.self": (OWN, 1 / 6),  # w5
    "repost_source.affiliate": (OWN, 1 / 6),  # w6
    "repost_source.panel": (OWN, 1 / 6),  # w9
    "repost_source.organization": (OWN, 1 / 6),  # w7
    "repost_source.fan": (OWN, 1 / 6),  # w4
    "repost_source.unknown": (OWN, 1 / 6),  # w8
    # Bluesky: b2 (someone) and b4 (a panel account's handle) are replies to others; b3 is to itself and b5
    # has no known target. 2 of 5 posts.
    "replies_to_others_share": (SKY, 2 / 5),
    "broadcast_ratio": (OWN, 4 / (1 + 0)),  # 4 originals / (1 fan repost + 0 replies)
    "comment_reply_rate": (OWN, float("nan")),  # no comments in this store: empty, n = 0
    "response_time_median_h": (OWN, float("nan")),
    # Comment-based metrics without comments are empty with n = 0; by hand in test_conversation_metrics_by_hand.
    **{m: (OWN, float("nan")) for m in COMMENT_METRICS if m not in ("comment_reply_rate", "response_time_median_h")},
    "text_length_median": (OWN, statistics.median(len(TEXTS[k]) for k in ("w_in", "w1", "w2", "w3"))),
    "hashtags_per_post": (OWN, 2 / 4),
    "mentions_per_post": (OWN, 1 / 4),
    "emoji_per_post": (OWN, 2 / 4),  # [心] and 😀 in w3
    "question_share": (OWN, 1 / 4),  # w2; the '?' inside w1's link does not count
    "link_share": (OWN, 2 / 4),
    "followers": (OWN, 1100),  # latest snapshot before the period ends (07-20 is after it)
    "follower_growth": (OWN, (1100 - 1000) / 1000),
    "er_vs_panel": (OWN, (3 / 1100) / statistics.median([statistics.median(ER_PEER), statistics.median(ER_BEST)])),
    "hollow_followers": (OWN, 0.0),  # ER vs panel is tiny, but 1100 followers < panel median 5000
}


def test_every_metric_id_has_a_hand_computed_test():
    purpose = {m for m in METRIC_IDS if m.startswith("purpose_share.")}
    assert set(EXPECTED) | purpose == set(METRIC_IDS)


@pytest.mark.parametrize("metric", sorted(EXPECTED))
def test_metric_value(metrics, metric):
    acct, expected = EXPECTED[metric]
    got = value(metrics, acct, metric)
    if math.isnan(expected):
        assert math.isnan(got)
        assert n_of(metrics, acct, metric) == 0
    else:
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("label", ["brand", "communication", "sales", "service", "other"])
def test_purpose_share(metrics, label):
    labels = labels_by_hand()
    assert value(metrics, OWN, f"purpose_share.{label}") == pytest.approx(labels.count(label) / 4)
    assert n_of(metrics, OWN, f"purpose_share.{label}") == 4


def test_sales_post_is_labelled_sales(metrics):
    """The shop post (price + shop link) must land in sales, or the purpose test above proves little."""
    assert labels_by_hand()[1] == "sales"
    assert value(metrics, OWN, "purpose_share.sales") >= 1 / 4


def test_every_account_has_every_metric(metrics):
    assert len(metrics) == 5 * len(METRIC_IDS)
    for acct in range(5):
        assert list(metrics[metrics["acct"] == acct]["metric"]) == list(METRIC_IDS)


def test_n_counts_what_the_value_rests_on(metrics):
    assert n_of(metrics, OWN, "posts") == 10
    assert n_of(metrics, OWN, "engagement_median") == 9  # w6 has no counts
    assert n_of(metrics, OWN, "format_share.image") == 4  # originals
    assert n_of(metrics, OWN, "repost_source.fan") == 6  # reposts and quotes
    assert n_of(metrics, OWN, "follower_growth") == 2  # snapshots inside the period


def test_peer_er_vs_panel_and_exemplar_medians(metrics):
    assert value(metrics, PEER, "er_median") == pytest.approx(statistics.median(ER_PEER))
    assert value(metrics, BEST, "er_median") == pytest.approx(statistics.median(ER_BEST))
    others = statistics.median([statistics.median(ER_OWN), statistics.median(ER_BEST)])
    assert value(metrics, PEER, "er_vs_panel") == pytest.approx(statistics.median(ER_PEER) / others)


def test_bluesky_engagement_counts_quotes_and_handle_matches_did(metrics):
    assert value(metrics, SKY, "posts") == 5  # config handle brand.bsky.social, posts stored under did:plc:brand
    assert value(metrics, SKY, "engagement_mean") == pytest.approx((1 + 1 + 1 + 1 + 0 + 0 + 0 + 0) / 5)
    assert value(metrics, SKY, "broadcast_ratio") == pytest.approx(1 / (0 + 2))
    assert value(metrics, SKY, "followers") == 200


def test_weibo_has_no_replies_metric(metrics):
    assert math.isnan(value(metrics, OWN, "replies_to_others_share"))
    assert n_of(metrics, OWN, "replies_to_others_share") == 0


def test_bci_is_weibo_only(metrics):
    assert math.isnan(value(metrics, SKY, "bci"))


def test_account_without_posts_is_empty_not_zero(metrics):
    assert value(metrics, QUIET, "posts") == 0
    # Issue 16: a metric resting on nothing (n = 0) is undefined, the posting rate too.
    for metric in ("posts_per_week", "er_median", "engagement_mean", "original_share", "format_diversity",
                   "fan_repost_share", "purpose_share.sales", "followers", "bci", "broadcast_ratio",
                   "hollow_followers"):
        assert math.isnan(value(metrics, QUIET, metric)), metric


def test_comment_metrics_from_the_comments_table(tmp_path, config):
    """Fan top-level comments: c1 (answered after 2 h), c2 (a fan replied, not the account), c4 (answered by the
    account's id after 6 h, then again later). c3 is by an organization and c5 by an affiliate: not fans."""
    def comment(cid: str, author: str | None, at: datetime, parent: str | None = None, org: bool | None = False,
                by_author: bool = False) -> dict:
        return {"platform": "weibo", "comment_id": cid, "post_id": "w1", "author_id": author,
                "author_is_organization": org, "created_at": at, "parent_comment_id": parent,
                "is_by_post_author": by_author}

    comments = [
        comment("c1", "u1", t(2, 1)), comment("c1r", "1000000001", t(2, 3), "c1", org=True, by_author=True),
        comment("c2", "u2", t(2, 2)), comment("c2r", "u9", t(2, 5), "c2"),
        comment("c3", "o1", t(2, 2), org=True), comment("c3r", "1000000001", t(2, 4), "c3", by_author=True),
        comment("c4", "u3", t(2, 4)), comment("c4r", "1000000001", t(2, 10), "c4", org=None),
        comment("c4r2", "1000000001", t(3, 10), "c4", org=None, by_author=True),
        comment("c5", "1000000009", t(2, 6)),
    ]
    url = build_store(tmp_path / "comments.sqlite3", comments=comments)
    metrics = compute_metrics(load_panel(open_store(url), config))
    assert value(metrics, OWN, "comment_reply_rate") == pytest.approx(2 / 3)
    assert n_of(metrics, OWN, "comment_reply_rate") == 3
    assert value(metrics, OWN, "response_time_median_h") == pytest.approx(statistics.median([2, 6]))
    assert math.isnan(value(metrics, PEER, "comment_reply_rate"))  # no comments under its posts


def test_hollow_followers_fires_for_a_big_account_with_little_engagement(tmp_path, config):
    """Peer with 10,000 followers: make its posts almost unengaged, so its ER is < 10 % of the panel's."""
    url = write_batches(build_store(tmp_path / "hollow.sqlite3"), [("r4", {"post_rows": [
        weibo_post("p1", "1000000002", t(5), likes=1), weibo_post("p2", "1000000002", t(6), fmt="image", likes=0)]})])
    metrics = compute_metrics(load_panel(open_store(url), config))
    er_peer = statistics.median([1 / 10_000, 0 / 10_000])
    assert value(metrics, PEER, "er_vs_panel") == pytest.approx(
        er_peer / statistics.median([statistics.median(ER_OWN), statistics.median(ER_BEST)]))
    assert value(metrics, PEER, "er_vs_panel") < 0.1
    assert value(metrics, PEER, "followers") >= statistics.median([1100, 10_000, 5000])
    assert value(metrics, PEER, "hollow_followers") == 1.0
    assert value(metrics, OWN, "hollow_followers") == 0.0


def test_missing_counts_make_engagement_undefined_not_zero(tmp_path, config):
    url = write_batches(build_store(tmp_path / "nulls.sqlite3"), [("r4", {"post_rows": [
        weibo_post(p, "1000000002", t(day), likes=None, comments=None, reposts=None)
        for p, day in (("p1", 5), ("p2", 6))]})])
    metrics = compute_metrics(load_panel(open_store(url), config))
    assert value(metrics, PEER, "posts") == 2
    assert np.isnan(value(metrics, PEER, "engagement_median"))
    assert np.isnan(value(metrics, PEER, "er_median"))
    assert n_of(metrics, PEER, "engagement_median") == 0


def test_json_columns_are_counted_without_parsing_and_never_raise():
    from benchmark.metrics.derive import json_list_len, json_lists

    values = pd.Series(["[]", None, '["a", "b\\"c"]', ["x"], "null", '["\\u65b0"]', "{broken"])
    assert json_list_len(values).tolist() == [0, 0, 2, 1, 0, 1, 0]
    assert json_lists(values) == [[], [], ["a", 'b"c'], ["x"], [], ["新"], []]


def _comment(cid: str, author: str | None, at: datetime, parent: str | None = None, org: bool | None = False,
             by_author: bool = False, text: str = "", post: str = "w1") -> dict:
    return {"platform": "weibo", "comment_id": cid, "post_id": post, "author_id": author,
            "author_is_organization": org, "created_at": at, "parent_comment_id": parent,
            "is_by_post_author": by_author, "text": text}


def test_conversation_metrics_by_hand(tmp_path, config):
    """Six top-level fan comments under w1 (counter 2) and w3 (counter 5), answered after 1 h (f1), exactly
    2 h (f2: the 2-8 h bucket starts at 2), 8.5 h (f3) and 30 h (f4); f5 and f6 unanswered. A fan's reply
    (f6r) and an affiliate's comment are not answers and not fans' questions; the fan's reply is fan voice."""
    own = "1000000001"
    comments = [
        _comment("f1", "anon:a", t(2, 1), text="什么时候发货？"),
        _comment("f1r", own, t(2, 2), "f1", org=True, by_author=True, text="明天发货哦"),
        _comment("f2", "anon:b", t(2, 1), text="太难喝了，退款！"),
        _comment("f2r", own, t(2, 3), "f2", org=True, by_author=True, text="抱歉，已私信"),
        _comment("f3", "anon:c", t(2, 0), text="好喝！爱了"),
        _comment("f3r", own, t(2, 8, 30), "f3", org=True, by_author=True, text="谢谢喜欢"),
        _comment("f4", "anon:d", t(2, 0), post="w3", text="客服不回复，差评"),
        _comment("f4r", own, t(3, 6), "f4", org=True, by_author=True, post="w3", text="抱歉久等"),
        _comment("f5", "anon:e", t(2, 5), post="w3", text="哈哈"),
        _comment("f6", "anon:f", t(2, 6), post="w3", text="Terrible service, never again"),
        _comment("f6r", "anon:g", t(2, 7), "f6", post="w3", text="Love it"),
        _comment("aff", "1000000009", t(2, 6), text="好喝"),
    ]
    url = build_store(tmp_path / "conversation.sqlite3", comments=comments)
    panel = load_panel(open_store(url), config)
    metrics = compute_metrics(panel)
    voices = dict(zip(panel.comments["comment_id"], panel.comments["voice"], strict=True))
    fan_ids = ["f1", "f2", "f3", "f4", "f5", "f6", "f6r"]
    assert all(isinstance(voices[c], str) for c in fan_ids)
    assert all(pd.isna(voices[c]) for c in ("f1r", "aff"))  # the account's answers and affiliates: not fan voice

    assert value(metrics, OWN, "comment_reply_rate") == pytest.approx(4 / 6)
    assert n_of(metrics, OWN, "comment_reply_rate") == 6
    assert value(metrics, OWN, "response_time_median_h") == pytest.approx(statistics.median([1, 2, 8.5, 30]))
    for bucket, share in (("0-2h", 1 / 6), ("2-8h", 1 / 6), ("8-24h", 1 / 6), ("over-24h", 1 / 6)):
        assert value(metrics, OWN, f"answered_share.{bucket}") == pytest.approx(share), bucket
        assert n_of(metrics, OWN, f"answered_share.{bucket}") == 6
    labels = [voices[c] for c in fan_ids]
    for voice in ("complaint", "praise", "question", "other"):
        assert value(metrics, OWN, f"fan_voice_share.{voice}") == pytest.approx(labels.count(voice) / 7), voice
        assert n_of(metrics, OWN, f"fan_voice_share.{voice}") == 7
    assert value(metrics, OWN, "comment_coverage") == pytest.approx(len(comments) / (2 + 5))
    assert n_of(metrics, OWN, "comment_coverage") == 2  # posts sampled: w1 and w3
    assert math.isnan(value(metrics, PEER, "comment_reply_rate"))


def test_fan_voice_labels_come_from_the_voice_rules(tmp_path, config):
    from benchmark.voice import VoiceRules, classify_comments

    texts = ["什么时候发货？", "太难喝了，退款！", "好喝！爱了", "哈哈"]
    comments = [_comment(f"v{i}", f"anon:{i}", t(2, i), text=text) for i, text in enumerate(texts)]
    panel = load_panel(open_store(build_store(tmp_path / "voice.sqlite3", comments=comments)), config)
    expected = classify_comments(texts, VoiceRules.load(None))
    assert expected == ["question", "complaint", "praise", "other"]  # the rules agree with a reader
    assert panel.comments.sort_values("comment_id")["voice"].tolist() == expected


AFFILIATE_CONFIG = panel_toml("aff", ("2026-07-01", "2026-07-14"),
                              ("bluesky", "brand.bsky.social", "own", None, ["help.brand.bsky.social"]))


def test_a_bluesky_affiliate_listed_by_handle_is_recognised_under_its_did(tmp_path):
    """Reposts and replies name their author by DID; the handle beside it (extra) ties it to the config."""
    def post(post_id: str, kind: str, day: int, **fields: object) -> dict:
        return {"platform": "bluesky", "post_id": post_id, "account_id": "did:plc:brand", "created_at": t(day),
                "kind": kind, "format": "text", "likes": 1, "comments": 0, "reposts": 0, "quotes": 0, "text": "hi",
                **fields}

    url = write_batches(tmp_path / "aff.sqlite3", [("r1", dict(
        account_rows=[account("bluesky", "did:plc:brand", 100, t(2), handle="brand.bsky.social")],
        post_rows=[
                       post("r1", "repost", 2, ref_author_id="did:plc:help", ref_author_is_organization=False,
                            extra={"ref_author_handle": "Help.Brand.bsky.social"}),
                       post("r2", "repost", 3, ref_author_id="did:plc:fan", ref_author_is_organization=False,
                            extra={"ref_author_handle": "fan.bsky.social"}),
                       post("r3", "reply", 4, reply_to_author_id="did:plc:help",
                            extra={"reply_to_handle": "help.brand.bsky.social"}),
                       post("r4", "reply", 5, reply_to_author_id="did:plc:fan"),
                   ]))])
    found = compute_metrics(load_panel(open_store(url), load_config(write_config(tmp_path, AFFILIATE_CONFIG))))
    assert value(found, 0, "repost_source.affiliate") == pytest.approx(1 / 2)
    assert value(found, 0, "repost_source.fan") == pytest.approx(1 / 2)
    assert value(found, 0, "replies_to_others_share") == pytest.approx(1 / 4)  # r4 only: r3 answers the affiliate


# -- the MetricSpec registry (issue #18) ------------------------------------------------------------------
DOCS = Path(__file__).resolve().parent.parent / "docs"


def documented_ids(path: Path) -> set[str]:
    """The metric ids in the first cell of METRICS.md's table rows; `family.<a,b>` or `family.<part>` stands
    for the whole family (returned as 'family.*')."""
    import re

    ids = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            ids |= {re.sub(r"\.<[^>]*>$", ".*", code) for code in re.findall(r"`([^`]+)`", first)}
    return ids


def test_every_spec_is_shown_in_a_section_or_marked_export_only():
    from benchmark.metrics import specs

    assert specs.problems(tuple(specs.SPECS.values())) == []
    placed = {m for columns in specs.TABLES.values() for m in columns}
    export_only = {m for m, spec in specs.SPECS.items() if spec.export_only}
    assert placed | export_only == set(METRIC_IDS) and not placed & export_only


def test_a_spec_without_a_section_is_caught():
    from benchmark.metrics.specs import MetricSpec, problems

    lost = MetricSpec("new_metric", "share", "x", "New")
    assert problems((lost,)) == ["new_metric: needs a report table or export_only=True (not both)"]
    assert problems((MetricSpec("a", "share", "x", "A", tables=(("nowhere", 0),)),)) == [
        "a: unknown section 'nowhere'"]
    assert problems((MetricSpec("a", "share", "x", "A", export_only=True),)) == []
    assert problems((MetricSpec("a", "number", "x", "A", export_only=True, change=True),)) == [
        "a: `change` needs the per-post column it is the median of"]


@pytest.mark.parametrize("doc", ["METRICS.md", "zh-CN/METRICS.md"])
def test_every_metric_has_a_row_in_the_metrics_doc(doc):
    documented = documented_ids(DOCS / doc)
    missing = [m for m in METRIC_IDS if m not in documented and f"{m.partition('.')[0]}.*" not in documented]
    assert missing == []


def test_the_doc_check_sees_a_missing_row(tmp_path):
    doc = tmp_path / "METRICS.md"
    doc.write_text("| id | definition |\n|---|---|\n| `posts`, `bci` | x |\n| `format_share.<format>` | y |\n",
                   encoding="utf-8")
    assert documented_ids(doc) == {"posts", "bci", "format_share.*"}


def test_a_formula_without_a_spec_fails(tmp_path, config, monkeypatch):
    """compute.py and the registry list the same ids: a formula nobody declared is not silently dropped."""
    from benchmark.metrics import compute

    style = compute.style_metrics

    def with_extra(*args, **kwargs):
        found = style(*args, **kwargs)
        return {**found, "new_metric": next(iter(found.values()))}

    monkeypatch.setattr(compute, "style_metrics", with_extra)
    url = build_store(tmp_path / "s.sqlite3")
    panel = load_panel(open_store(url), config)
    with pytest.raises(AssertionError, match="new_metric"):
        compute_metrics(panel)


def test_the_derived_lists_follow_the_specs():
    from benchmark.metrics import specs

    assert [m for m, _d, _n in specs.KEY_METRICS][:2] == ["er_median", "engagement_median"]
    assert specs.CHANGE_METRICS == ("er_median", "engagement_median")
    assert set(specs.TREND_METRICS) == {m for m, s in specs.SPECS.items() if s.key}
    assert specs.SNAPSHOT_METRICS <= specs.EXACT_METRICS
    assert specs.TABLES["audience"] == ("followers", "follower_growth", "er_median", "er_vs_panel",
                                        "hollow_followers")


def test_repost_metrics_are_undefined_on_a_platform_without_reposts(tmp_path, config, monkeypatch):
    """A platform with has_reposts=False (YouTube) has no repost to count: the repost metrics are NaN with n = 0
    there, never a 0 that reads as "never shares its fans", and the finding resting on them stays silent."""
    from benchmark.config import DEFAULT_THRESHOLDS
    from benchmark.metrics import compute
    from benchmark.metrics.findings import evaluate_findings

    monkeypatch.setattr(compute, "REPOST_PLATFORMS", ("weibo",))  # Bluesky, as if it had no reposts
    url = build_store(tmp_path / "store.sqlite3")
    metrics = compute_metrics(load_panel(open_store(url), config))
    for metric in compute.REPOST_METRICS:
        assert math.isnan(value(metrics, SKY, metric)) and n_of(metrics, SKY, metric) == 0, metric
    assert value(metrics, OWN, "fan_repost_share") == EXPECTED["fan_repost_share"][1]  # Weibo keeps its value
    assert value(metrics, SKY, "posts") == 5 and value(metrics, SKY, "original_share") >= 0
    replies_only = metrics.copy()
    replies_only.loc[replies_only["metric"] == "replies_to_others_share", "value"] = 0.0
    found = evaluate_findings(replies_only, dict(DEFAULT_THRESHOLDS))
    assert not [f for f in found if f.rule == "self_indulgent" and f.platform == "bluesky"]


def test_a_short_has_its_own_share_and_counts_as_a_video_in_the_diversity():
    """format_share.short is its own share; format_diversity folds short into video (ln 9 kinds, METRICS.md)."""
    from benchmark.metrics.compute import activity_metrics

    formats = ["video", "short", "text", "image", "video", "short"]
    posts = pd.DataFrame({"acct": [0, 0, 0, 0, 1, 1], "kind": ["original"] * 6, "format": formats})
    out = activity_metrics(posts, pd.Index([0, 1]), 14)
    assert out["format_share.short"][0].tolist() == [1 / 4, 1 / 2]
    assert out["format_share.video"][0].tolist() == [1 / 4, 1 / 2]
    p = [2 / 4, 1 / 4, 1 / 4]  # video (with the Short), text, image
    assert out["format_diversity"][0][0] == pytest.approx(-sum(x * math.log(x) for x in p) / math.log(9))
    assert out["format_diversity"][0][1] == 0  # videos and Shorts only: one kind of format


def test_format_diversity_is_undefined_where_every_post_is_a_video(tmp_path, config, monkeypatch):
    """A platform whose posts are all videos (has_format_choice=False: YouTube) cannot mix text, images and
    video: its format diversity is undefined (NaN, n = 0), not a low value, and the thin-content finding stays
    silent there; the format shares keep their values."""
    from benchmark.config import DEFAULT_THRESHOLDS
    from benchmark.metrics import compute
    from benchmark.metrics.findings import evaluate_findings

    monkeypatch.setattr(compute, "FORMAT_CHOICE_PLATFORMS", ("weibo",))  # Bluesky, as if every post were a video
    url = build_store(tmp_path / "store.sqlite3")
    metrics = compute_metrics(load_panel(open_store(url), config))
    assert math.isnan(value(metrics, SKY, "format_diversity")) and n_of(metrics, SKY, "format_diversity") == 0
    assert value(metrics, OWN, "format_diversity") == pytest.approx(EXPECTED["format_diversity"][1])
    assert not math.isnan(value(metrics, SKY, "format_share.text"))
    one_format = metrics.copy()
    one_format.loc[one_format["metric"] == "format_share.text", "value"] = 1.0
    found = evaluate_findings(one_format, dict(DEFAULT_THRESHOLDS))
    assert not [f for f in found if f.rule == "thin_content" and f.platform == "bluesky"]
