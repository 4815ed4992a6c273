"""Every metric of METRICS.md for every panel account, as one tidy table.

`compute_metrics(panel)` returns columns acct, platform, account_id, label, role, metric, value, n: one row
per account and metric id (catalog.METRIC_IDS), `value` NaN where the metric is undefined (never a fake 0),
`n` the number of posts, comments or snapshots it rests on. Each group of metrics is one short function over
pandas groupbys keyed by the integer account code `acct`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from benchmark import platforms
from benchmark.items import POST_FORMATS, POST_KINDS, SUBFORMATS
from benchmark.metrics import stats
from benchmark.metrics.catalog import (
    AUTHOR_CLASSES,
    FORMAT_CHOICE_PLATFORMS,
    METRIC_IDS,
    PURPOSE_LABELS,
    REPLY_PLATFORMS,
    REPOST_PLATFORMS,
    RESPONSE_BUCKETS,
    VOICE_CLASSES,
)

if TYPE_CHECKING:
    from benchmark.metrics.panel import PanelData

Metric = tuple[pd.Series, pd.Series]  # value and n, both indexed by acct
TIDY_COLUMNS = ["platform", "account_id", "label", "role", "metric", "value", "n"]


def compute_metrics(panel: PanelData) -> pd.DataFrame:
    """The tidy metrics table (see module docstring)."""
    idx = panel.accounts.index
    posts = panel.posts
    found: dict[str, Metric] = {}
    found.update(activity_metrics(posts, idx, panel.period_days))
    found.update(engagement_metrics(posts, panel.accounts))
    found.update(fan_metrics(posts, panel.accounts))
    found.update(comment_metrics(panel))
    found.update(purpose_metrics(posts, idx))
    found.update(style_metrics(posts, idx))
    found.update(audience_metrics(panel, found["er_median"][0]))
    # Where the platform has no reposts (has_reposts=False), a 0 would read as "never shares its fans"; where
    # every post is a video (has_format_choice=False), a low diversity would read as "thin content".
    _undefined_outside(found, panel.accounts, REPOST_PLATFORMS, REPOST_METRICS)
    _undefined_outside(found, panel.accounts, FORMAT_CHOICE_PLATFORMS, ("format_diversity",))
    missing, unlisted = set(METRIC_IDS) - set(found), set(found) - set(METRIC_IDS)
    assert not missing, f"metrics without a formula: {sorted(missing)}"
    assert not unlisted, f"metrics without a spec in benchmark/metrics/specs.py: {sorted(unlisted)}"
    return _tidy(panel.accounts, found)


def _tidy(accounts: pd.DataFrame, found: dict[str, Metric]) -> pd.DataFrame:
    frames = []
    for metric in METRIC_IDS:
        value, n = found[metric]
        counts = n.reindex(accounts.index).fillna(0).astype("int64").to_numpy()
        values = value.reindex(accounts.index).astype("float64").to_numpy()
        frames.append(pd.DataFrame({
            "acct": accounts.index.to_numpy(), "metric": metric,
            # A value resting on nothing is undefined, never 0: an account with no posts in the period
            # must not pull a peer median down (issue 16). `posts` is the count itself: 0 is what was stored.
            "value": values if metric == "posts" else np.where(counts > 0, values, np.nan), "n": counts,
        }))
    tidy = pd.concat(frames, ignore_index=True)
    info = accounts[["platform", "account_id", "label", "role"]]
    tidy = tidy.join(info, on="acct").sort_values("acct", kind="stable", ignore_index=True)
    return tidy[["acct", *TIDY_COLUMNS]]


def wide(metrics: pd.DataFrame, column: str = "value") -> pd.DataFrame:
    """acct × metric table of values (or of n) from the tidy table."""
    return metrics.pivot(index="acct", columns="metric", values=column).reindex(columns=list(METRIC_IDS))


# -- helpers ------------------------------------------------------------------------------------------
def _counts(posts: pd.DataFrame, idx: pd.Index, mask: np.ndarray | pd.Series | None = None) -> pd.Series:
    acct = posts["acct"] if mask is None else posts.loc[mask, "acct"]
    return acct.value_counts().reindex(idx, fill_value=0)


def _crosstab(posts: pd.DataFrame, column: str, idx: pd.Index, categories: tuple[str, ...]) -> pd.DataFrame:
    table = posts.groupby(["acct", column], observed=True).size().unstack(fill_value=0)
    return table.reindex(index=idx, columns=list(categories), fill_value=0)


def _share(numerator: pd.Series, denominator: pd.Series) -> Metric:
    """numerator / denominator, undefined where the denominator is 0; n = the denominator."""
    denominator = denominator.astype("float64")
    return (numerator / denominator).where(denominator > 0), denominator


def _stat(posts: pd.DataFrame, column: str, idx: pd.Index, how: str, mask: np.ndarray | None = None) -> Metric:
    frame = posts if mask is None else posts.loc[mask]
    grouped = frame.groupby("acct")[column]
    value = grouped.quantile(0.75) if how == "p75" else grouped.agg(how)
    return value.reindex(idx), grouped.count().reindex(idx, fill_value=0)


# -- metric groups ------------------------------------------------------------------------------------
def activity_metrics(posts: pd.DataFrame, idx: pd.Index, period_days: int) -> dict[str, Metric]:
    n_posts = _counts(posts, idx)
    out: dict[str, Metric] = {"posts": (n_posts.astype("float64"), n_posts),
                              "posts_per_week": (n_posts / (period_days / 7), n_posts)}
    kinds = _crosstab(posts, "kind", idx, POST_KINDS)
    for kind in POST_KINDS:
        out[f"{kind}_share"] = _share(kinds[kind], n_posts)
    originals = kinds["original"]
    formats = _crosstab(posts[posts["kind"] == "original"], "format", idx, POST_FORMATS)
    for fmt in POST_FORMATS:
        out[f"format_share.{fmt}"] = _share(formats[fmt], originals)
    kinds_of_format = _fold_subformats(formats)
    p = kinds_of_format.div(originals.where(originals > 0), axis=0)
    entropy = -(p * np.log(p.where(p > 0))).sum(axis=1, min_count=1) / math.log(kinds_of_format.shape[1])
    out["format_diversity"] = (entropy.where(originals > 0) + 0.0, originals)  # + 0.0 turns -0.0 into 0.0
    return out


def _fold_subformats(formats: pd.DataFrame) -> pd.DataFrame:
    """Counts by format with each sub-format added to its parent (short -> video): the nine kinds of ln 9."""
    folded = formats.copy()
    for sub, parent in SUBFORMATS.items():
        folded[parent] += folded.pop(sub)
    return folded


def engagement_metrics(posts: pd.DataFrame, accounts: pd.DataFrame) -> dict[str, Metric]:
    idx = accounts.index
    out = {
        "engagement_median": _stat(posts, "engagement", idx, "median"),
        "engagement_mean": _stat(posts, "engagement", idx, "mean"),
        "engagement_p75": _stat(posts, "engagement", idx, "p75"),
        "likes_per_post": _stat(posts, "likes", idx, "mean"),
        "comments_per_post": _stat(posts, "comments", idx, "mean"),
        "reposts_per_post": _stat(posts, "reposts", idx, "mean"),
        "er_median": _stat(posts, "er", idx, "median"),
        "er_mean": _stat(posts, "er", idx, "mean"),
    }
    sums = posts.groupby("acct")[["likes", "comments", "reposts", "engagement"]].sum().reindex(idx, fill_value=0)
    out["conversation_ratio"] = (_share(sums["comments"], sums["likes"])[0], out["likes_per_post"][1])
    platform_total = sums["engagement"].groupby(accounts["platform"]).transform("sum")
    out["share_of_engagement"] = (_share(sums["engagement"], platform_total)[0], out["engagement_mean"][1])
    n_posts = _counts(posts, idx)
    bci = (0.2 * np.log(n_posts + 1) + 0.8 * (0.4 * np.log(sums["reposts"] + 1)
           + 0.4 * np.log(sums["comments"] + 1) + 0.2 * np.log(sums["likes"] + 1))) * 160
    has_bci = accounts["platform"].isin([spec.name for spec in platforms.all_specs() if spec.has_bci])  # Weibo
    out["bci"] = (bci.where(has_bci & (n_posts > 0)), n_posts)
    return out


def fan_metrics(posts: pd.DataFrame, accounts: pd.DataFrame) -> dict[str, Metric]:
    idx = accounts.index
    n_posts = _counts(posts, idx)
    shared = _counts(posts, idx, posts["kind"].isin(("repost", "quote")))
    fan = _counts(posts, idx, posts["fan_repost"])
    replies = _counts(posts, idx, posts["reply_to_others"])
    originals = _counts(posts, idx, posts["kind"] == "original")
    out = {"fan_repost_share": _share(fan, n_posts), "fan_repost_of_reposts": _share(fan, shared)}
    sources = _crosstab(posts[posts["kind"].isin(("repost", "quote"))], "ref_author_class", idx, AUTHOR_CLASSES)
    for cls in AUTHOR_CLASSES:
        out[f"repost_source.{cls}"] = _share(sources[cls], shared)
    has_replies = accounts["platform"].isin(REPLY_PLATFORMS)
    value, n = _share(replies, n_posts)
    out["replies_to_others_share"] = (value.where(has_replies), n.where(has_replies, 0))
    out["broadcast_ratio"] = (_share(originals, fan + replies)[0], n_posts)
    return out


# What rests on reposts or quotes: on a platform without them (has_reposts=False) a 0 would read as "never
# shares its fans" where nothing can be shared, so these are undefined there (NaN, n = 0).
REPOST_METRICS = ("repost_share", "quote_share", "reposts_per_post", "fan_repost_share", "fan_repost_of_reposts",
                  *(f"repost_source.{cls}" for cls in AUTHOR_CLASSES))


def _undefined_outside(found: dict[str, Metric], accounts: pd.DataFrame, platforms: tuple[str, ...],
                       metrics: tuple[str, ...]) -> None:
    """`metrics` undefined (NaN, n = 0) for the accounts of a platform not in `platforms`."""
    applies = accounts["platform"].isin(platforms)
    for metric in metrics:
        value, n = found[metric]
        found[metric] = (value.where(applies), n.where(applies, 0))


COMMENT_METRICS = ("comment_reply_rate", "response_time_median_h",
                   *(f"answered_share.{b[0]}" for b in RESPONSE_BUCKETS),
                   *(f"fan_voice_share.{v}" for v in VOICE_CLASSES), "comment_coverage")


def comment_metrics(panel: PanelData) -> dict[str, Metric]:
    """Reply rate to top-level fan comments, the time to the account's first reply (median and buckets),
    what fans say (fan-voice shares) and how much of the comments the sample holds."""
    idx = panel.accounts.index
    comments = panel.comments
    if not panel.has_comments or comments.empty or "author_class" not in comments.columns:
        return {metric: (pd.Series(np.nan, index=idx), pd.Series(0, index=idx)) for metric in COMMENT_METRICS}
    top = fan_questions(comments)
    answered = top["answered_at"].notna()
    sampled = _counts(top, idx)
    out: dict[str, Metric] = {"comment_reply_rate": _share(_counts(top, idx, answered), sampled),
                              "response_time_median_h": _stat(top, "hours", idx, "median")}
    for bucket, low, high in RESPONSE_BUCKETS:
        within = answered & (top["hours"].clip(lower=0) >= low) & (top["hours"].clip(lower=0) < high)
        out[f"answered_share.{bucket}"] = _share(_counts(top, idx, within), sampled)
    voiced = comments[comments["voice"].notna()]
    voices = _crosstab(voiced, "voice", idx, VOICE_CLASSES)
    for voice in VOICE_CLASSES:
        out[f"fan_voice_share.{voice}"] = _share(voices[voice], voices.sum(axis=1))
    out["comment_coverage"] = _coverage(comments, panel.posts, idx)
    return out


def fan_questions(comments: pd.DataFrame) -> pd.DataFrame:
    """Top-level comments by fans (from `derive_comments`), each with the account's first answer under it:
    answered_at, hours (NaN when unanswered), answer_id and answer_text."""
    top = comments[comments["top_level"] & (comments["author_class"] == "fan")]
    answers = comments[~comments["top_level"] & (comments["author_class"] == "self")]
    first = (answers.sort_values("created_at", kind="stable").drop_duplicates(["acct", "parent_comment_id"])
             [["acct", "parent_comment_id", "created_at", "comment_id", "text"]]
             .rename(columns={"parent_comment_id": "comment_id", "created_at": "answered_at",
                              "comment_id": "answer_id", "text": "answer_text"}))
    top = top.merge(first, on=["acct", "comment_id"], how="left")
    top["hours"] = (top["answered_at"] - top["created_at"]).dt.total_seconds() / 3600
    return top


# Platforms whose comment counter counts direct replies only: Bluesky's replyCount (the App View counts the
# posts whose reply.parent is the post) and Mastodon's replies_count (incremented on the in_reply_to status).
# Their coverage compares top-level comments with it, or the answers under them would push it above 1.
DIRECT_REPLY_COUNTERS = frozenset(spec.name for spec in platforms.all_specs() if spec.direct_reply_counter)


def _coverage(comments: pd.DataFrame, posts: pd.DataFrame, idx: pd.Index) -> Metric:
    """Comments stored that the counters count / Σ comment counters of the posts they came from;
    n = posts sampled."""
    platform = posts.drop_duplicates("acct").set_index("acct")["platform"] if "platform" in posts.columns else None
    direct = (comments["acct"].map(platform).isin(DIRECT_REPLY_COUNTERS) if platform is not None
              else pd.Series(False, index=comments.index))
    counted = comments[~direct | comments["parent_comment_id"].isna()]
    stored = counted.groupby("acct").size().reindex(idx, fill_value=0)
    if "post_id" not in posts.columns:
        return pd.Series(np.nan, index=idx), pd.Series(0, index=idx)
    sampled = comments[["acct", "post_id"]].drop_duplicates()
    counters = sampled.merge(posts[["acct", "post_id", "comments"]], on=["acct", "post_id"], how="left")
    total = counters.groupby("acct")["comments"].sum(min_count=1).reindex(idx)
    n_posts = sampled.groupby("acct").size().reindex(idx, fill_value=0)
    return (stored / total).where(total > 0), n_posts


def purpose_metrics(posts: pd.DataFrame, idx: pd.Index) -> dict[str, Metric]:
    original = posts[posts["kind"] == "original"]
    labels = _crosstab(original, "purpose", idx, PURPOSE_LABELS)
    n_original = _counts(original, idx)
    return {f"purpose_share.{label}": _share(labels[label], n_original) for label in PURPOSE_LABELS}


def style_metrics(posts: pd.DataFrame, idx: pd.Index) -> dict[str, Metric]:
    original = posts["kind"] == "original"
    frame = posts.loc[original, ["acct", "text_length", "hashtag_count", "mention_count", "emoji_count",
                                 "has_question", "link_count"]].copy()
    frame["has_link"] = frame["link_count"] > 0
    for column in ("has_question", "has_link"):
        frame[column] = frame[column].astype("float64")
    return {
        "text_length_median": _stat(frame, "text_length", idx, "median"),
        "hashtags_per_post": _stat(frame, "hashtag_count", idx, "mean"),
        "mentions_per_post": _stat(frame, "mention_count", idx, "mean"),
        "emoji_per_post": _stat(frame, "emoji_count", idx, "mean"),
        "question_share": _stat(frame, "has_question", idx, "mean"),
        "link_share": _stat(frame, "has_link", idx, "mean"),
    }


def audience_metrics(panel: PanelData, er_median: pd.Series) -> dict[str, Metric]:
    accounts, snapshots = panel.accounts, panel.snapshots.dropna(subset=["followers"])
    start, end = panel.bounds_utc
    followers = {acct: _followers_at_end(snapshots[snapshots["acct"] == acct], end,
                                         accounts.at[acct, "account_followers"]) for acct in accounts.index}
    f = pd.Series({a: v for a, (v, _) in followers.items()}, dtype="float64").reindex(accounts.index)
    f_n = pd.Series({a: n for a, (_, n) in followers.items()}).reindex(accounts.index)
    # The one follower-growth computation (the report's growth table uses it too), over [start, end).
    growth = stats.follower_growth(snapshots[["acct", "crawled_at", "followers"]], start, end).set_index("acct")
    # (last - first) / first: the metric's documented form (the table's `relative` is last / first - 1, equal
    # but for the last bit); defined where the table's is.
    relative = (growth["absolute"] / growth["first_followers"]).where(growth["relative"].notna())
    g = relative.reindex(accounts.index).astype("float64")
    g_n = growth["snapshots"].reindex(accounts.index).fillna(0)
    vs_panel = _er_vs_panel(er_median, accounts["platform"])
    median_f = f.groupby(accounts["platform"]).transform("median")
    threshold = panel.config.thresholds.get("hollow_er_vs_panel", 0.10)
    hollow = ((vs_panel < threshold) & (f >= median_f)).astype("float64")
    hollow = hollow.where(vs_panel.notna() & f.notna())
    er_n = panel.posts.groupby("acct")["er"].count().reindex(accounts.index, fill_value=0)
    return {"followers": (f, f_n), "follower_growth": (g, g_n), "er_vs_panel": (vs_panel, er_n),
            "hollow_followers": (hollow, er_n)}


def _followers_at_end(snapshots: pd.DataFrame, end: object, fallback: float) -> tuple[float, int]:
    """The latest snapshot before the period ends, else the first one after it, else the account row."""
    before = snapshots[snapshots["crawled_at"] < end]
    if len(before):
        return float(before["followers"].iloc[-1]), len(snapshots)
    if len(snapshots):
        return float(snapshots["followers"].iloc[0]), len(snapshots)
    return (fallback, 1) if not pd.isna(fallback) else (np.nan, 0)


def _er_vs_panel(er_median: pd.Series, platform: pd.Series) -> pd.Series:
    """er_median / median er_median of the other accounts on the same platform."""
    out = pd.Series(np.nan, index=er_median.index)
    for acct in er_median.index:
        others = er_median[(platform == platform[acct]) & (er_median.index != acct)].dropna()
        reference = others.median() if len(others) else np.nan
        if not pd.isna(er_median[acct]) and reference > 0:
            out[acct] = er_median[acct] / reference
    return out
