"""Each finding fires exactly on metrics built to trigger it and stays silent otherwise (thresholds at the edge)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from benchmark.config import DEFAULT_THRESHOLDS
from benchmark.metrics.findings import evaluate_findings, scorecard
from tests.toolkit.reports import WEIBO_PANEL, table

OWN, PEER, BEST = 0, 1, 2


def fired(metrics: pd.DataFrame, rule: str, thresholds: dict | None = None) -> list:
    found = evaluate_findings(metrics, thresholds or dict(DEFAULT_THRESHOLDS))
    return [f for f in found if f.rule == rule]


# -- hollow followers -------------------------------------------------------------------------------
def test_hollow_followers_fires_on_the_flag():
    metrics = table({PEER: {"hollow_followers": 1.0, "followers": 90_000, "er_vs_panel": 0.05, "er_median": 1e-4},
                     OWN: {"hollow_followers": 0.0, "followers": 1000}, BEST: {"followers": 5000}})
    found = fired(metrics, "hollow_followers")
    assert [(f.label, f.role) for f in found] == [("Rival", "peer")]
    numbers = dict(found[0].numbers)
    assert numbers["followers"] == "90,000"
    assert numbers["panel median followers"] == "5,000"
    assert "< 0.1" in found[0].threshold


@pytest.mark.parametrize("flag", [0.0, math.nan])
def test_hollow_followers_silent_without_the_flag(flag):
    assert fired(table({OWN: {"hollow_followers": flag, "followers": 10**7}}), "hollow_followers") == []


# -- sales floor ----------------------------------------------------------------------------------------
def test_sales_floor_fires_at_the_threshold():
    found = fired(table({OWN: {"purpose_share.sales": 0.30, "purpose_share.brand": 0.70}}), "sales_floor")
    assert len(found) == 1 and found[0].label == "我们"
    assert dict(found[0].numbers)["sales posts"] == "30.0 %"
    assert found[0].threshold == "share of sales posts ≥ 30%"


def test_sales_floor_silent_below_the_threshold():
    assert fired(table({OWN: {"purpose_share.sales": 0.2999}}), "sales_floor") == []


def test_sales_floor_uses_the_config_threshold():
    metrics = table({OWN: {"purpose_share.sales": 0.40}})
    assert fired(metrics, "sales_floor", {**DEFAULT_THRESHOLDS, "sales_floor_share": 0.5}) == []
    assert len(fired(metrics, "sales_floor", {**DEFAULT_THRESHOLDS, "sales_floor_share": 0.4})) == 1


# -- self-indulgent -------------------------------------------------------------------------------------
def test_self_indulgent_on_weibo_uses_fan_reposts_alone_and_says_so():
    found = fired(table({OWN: {"fan_repost_share": 0.019, "broadcast_ratio": math.nan}}), "self_indulgent")
    assert len(found) == 1
    assert "fan reposts alone" in found[0].detail and "weibo" in found[0].threshold
    assert dict(found[0].numbers)["broadcast ratio"] == "never talks to fans"


def test_self_indulgent_silent_at_the_threshold_or_without_data():
    assert fired(table({OWN: {"fan_repost_share": 0.02}}), "self_indulgent") == []
    assert fired(table({OWN: {"fan_repost_share": math.nan}}), "self_indulgent") == []


SKY_PANEL = [("bluesky", "Ours", "own"), ("bluesky", "Them", "peer")]


def test_self_indulgent_on_bluesky_needs_both_tests():
    quiet = table({OWN: {"fan_repost_share": 0.01, "replies_to_others_share": 0.01, "broadcast_ratio": 40.0}},
                  accounts=SKY_PANEL)
    found = fired(quiet, "self_indulgent")
    assert len(found) == 1
    assert "replies to others per post" in dict(found[0].numbers)
    assert dict(found[0].numbers)["broadcast ratio"] == "40.0 : 1"
    chatty = table({OWN: {"fan_repost_share": 0.01, "replies_to_others_share": 0.05}}, accounts=SKY_PANEL)
    assert fired(chatty, "self_indulgent") == []


# -- thin content ---------------------------------------------------------------------------------------
def formats(**shares: float) -> dict[str, float]:
    out = {f"format_share.{f}": 0.0 for f in ("text", "image", "gif", "video", "audio", "live", "article", "link",
                                               "poll")}
    out.update({f"format_share.{k}": v for k, v in shares.items()})
    return out


def test_thin_content_fires_on_low_diversity():
    found = fired(table({OWN: {"format_diversity": 0.34, **formats(image=0.7, text=0.3)}}), "thin_content")
    assert len(found) == 1
    assert dict(found[0].numbers)["image share"] == "70.0 %"


def test_thin_content_fires_on_one_dominant_format():
    found = fired(table({OWN: {"format_diversity": 0.40, **formats(video=0.8, text=0.2)}}), "thin_content")
    assert len(found) == 1 and "80% video" in found[0].detail


def test_thin_content_silent_on_a_varied_feed():
    assert fired(table({OWN: {"format_diversity": 0.35, **formats(image=0.79, text=0.21)}}), "thin_content") == []
    assert fired(table({OWN: {"format_diversity": math.nan}}), "thin_content") == []


# -- slow or absent answers ----------------------------------------------------------------------------
def test_slow_answers_silent_without_comment_data():
    metrics = table({OWN: {"comment_reply_rate": math.nan}}, n={(OWN, "comment_reply_rate"): 0})
    assert fired(metrics, "slow_answers") == []


def test_absent_answers_fire_below_the_minimum_reply_rate():
    found = fired(table({OWN: {"comment_reply_rate": 0.05, "response_time_median_h": 3.0}}), "slow_answers")
    assert len(found) == 1 and "rarely answers" in found[0].title


def test_slow_answers_fire_on_a_long_median_time():
    found = fired(table({OWN: {"comment_reply_rate": 0.5, "response_time_median_h": 48.0}}), "slow_answers")
    assert len(found) == 1 and "answers slowly" in found[0].title
    assert dict(found[0].numbers)["median time to answer"] == "48.0 h"


def test_a_finding_never_says_after_a_missing_time():
    # Issue 16: no answer at all gives no median time; the text must not read "came after —."
    found = fired(table({OWN: {"comment_reply_rate": 0.0, "response_time_median_h": math.nan}}), "slow_answers")
    assert len(found) == 1 and "—" not in found[0].detail and "after" not in found[0].detail


def test_a_tiny_share_is_not_printed_as_zero_percent():
    metrics = table({PEER: {"hollow_followers": 1.0, "followers": 90_000, "er_vs_panel": 0.004, "er_median": 1e-6},
                     OWN: {"followers": 1000}, BEST: {"followers": 5000}})
    text = fired(metrics, "hollow_followers")[0].detail
    assert "only 0.4 % of the engagement rate" in text, text


def test_quick_answers_are_silent():
    assert fired(table({OWN: {"comment_reply_rate": 0.5, "response_time_median_h": 2.0}}), "slow_answers") == []


def test_slow_answers_fire_at_the_configured_minimum_and_show_the_buckets():
    metrics = table({OWN: {"comment_reply_rate": 0.19, "response_time_median_h": 3.0, "answered_share.0-2h": 0.1,
                           "answered_share.over-24h": 0.09}}, n={(OWN, "comment_reply_rate"): 40})
    thresholds = {**DEFAULT_THRESHOLDS, "comment_reply_rate_min": 0.20}
    found = fired(metrics, "slow_answers", thresholds)
    assert len(found) == 1 and "< 20%" in found[0].threshold
    numbers = dict(found[0].numbers)
    assert numbers["answered 0–2h"] == "10.0 %" and numbers["answered after 24h"] == "9.0 %"
    assert numbers["fan comments sampled"] == "40"
    assert fired(metrics, "slow_answers") == []  # the default minimum is 10 %


def test_slow_answers_need_ten_sampled_fan_comments():
    few = table({OWN: {"comment_reply_rate": 0.0}}, n={(OWN, "comment_reply_rate"): 9})
    assert fired(few, "slow_answers") == []
    enough = table({OWN: {"comment_reply_rate": 0.0}}, n={(OWN, "comment_reply_rate"): 10})
    assert len(fired(enough, "slow_answers")) == 1


# -- fans complain -------------------------------------------------------------------------------------
def voice(complaint: float, praise: float, question: float, other: float) -> dict[str, float]:
    return {"fan_voice_share.complaint": complaint, "fan_voice_share.praise": praise,
            "fan_voice_share.question": question, "fan_voice_share.other": other}


@pytest.mark.parametrize("shares", [(0.4, 0.3, 0.2, 0.1), (0.3, 0.3, 0.2, 0.2), (0.6, 0.0, 0.0, 0.4)])
def test_fans_complain_fires_when_complaints_are_the_largest_class(shares):
    found = fired(table({OWN: voice(*shares)}), "fans_complain")
    assert len(found) == 1 and found[0].label == "我们"
    assert dict(found[0].numbers)["complaint comments"] == f"{shares[0] * 100:.1f} %"
    assert dict(found[0].numbers)["fan comments"] == "50"


@pytest.mark.parametrize("shares", [(0.3, 0.4, 0.2, 0.1), (0.3, 0.1, 0.1, 0.5), (0.0, 0.0, 0.0, 1.0),
                                    (math.nan, math.nan, math.nan, math.nan)])
def test_fans_complain_silent_when_another_class_is_larger(shares):
    assert fired(table({OWN: voice(*shares)}), "fans_complain") == []


def test_fans_complain_needs_ten_fan_comments():
    n = {(OWN, f"fan_voice_share.{v}"): 9 for v in ("complaint", "praise", "question", "other")}
    assert fired(table({OWN: voice(0.9, 0.1, 0, 0)}, n=n), "fans_complain") == []


# -- gaps to the best exemplar -------------------------------------------------------------------------
def test_exemplar_gap_lists_the_largest_shortfalls():
    metrics = table({
        OWN: {"er_median": 0.001, "engagement_median": 90, "fan_repost_share": 0.0, "format_diversity": 0.7},
        PEER: {"er_median": 0.002},
        BEST: {"er_median": 0.010, "engagement_median": 100, "fan_repost_share": 0.1, "format_diversity": 0.7},
    })
    found = fired(metrics, "exemplar_gap")
    assert len(found) == 1 and found[0].role == "own"
    names = [name for name, _ in found[0].numbers]
    # shortfalls: fan reposts 100 %, ER 90 %, engagements 10 %; diversity is equal (no gap).
    assert names == ["Fan reposts per post", "Median engagement rate per post", "Median engagements per post"]
    assert dict(found[0].numbers)["Median engagement rate per post"] == "1.00 ‰ → 10.00 ‰"


def test_exemplar_gap_silent_when_own_leads():
    metrics = table({OWN: {"er_median": 0.02, "purpose_share.sales": 0.1},
                     BEST: {"er_median": 0.01, "purpose_share.sales": 0.3}})
    assert fired(metrics, "exemplar_gap") == []


def test_lower_is_better_for_the_sales_share():
    metrics = table({OWN: {"purpose_share.sales": 0.5}, BEST: {"purpose_share.sales": 0.1}})
    card = scorecard(metrics)
    row = card[card["metric"] == "purpose_share.sales"].iloc[0]
    assert row["shortfall"] == pytest.approx((0.5 - 0.1) / 0.5)
    assert row["best_label"] == "Best"


def test_scorecard_peer_median_excludes_own():
    panel = [*WEIBO_PANEL, ("weibo", "Rival 2", "peer")]
    metrics = table({OWN: {"er_median": 0.9}, PEER: {"er_median": 0.001}, 3: {"er_median": 0.003}}, accounts=panel)
    card = scorecard(metrics)
    row = card[card["metric"] == "er_median"].iloc[0]
    assert row["peer_median"] == pytest.approx((0.001 + 0.003) / 2)
    assert row["peers"] == 2


def test_own_findings_come_first():
    metrics = table({PEER: {"purpose_share.sales": 0.9}, OWN: {"purpose_share.sales": 0.5}})
    found = evaluate_findings(metrics, dict(DEFAULT_THRESHOLDS))
    assert [f.role for f in found if f.rule == "sales_floor"] == ["own", "peer"]


def test_no_finding_on_a_healthy_panel():
    healthy = {"hollow_followers": 0.0, "purpose_share.sales": 0.1, "fan_repost_share": 0.1,
               "format_diversity": 0.8, **formats(image=0.4, text=0.3, video=0.3), "comment_reply_rate": 0.7,
               "response_time_median_h": 1.0, "er_median": 0.01}
    assert evaluate_findings(table({a: healthy for a in range(3)}), dict(DEFAULT_THRESHOLDS)) == []
