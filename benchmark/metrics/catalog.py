"""The metric dictionary of METRICS.md as data: ids, units, definitions, platform engagement formulas.

Standard library only: the report's methodology section and the CSV completeness check both read it.
"""

from __future__ import annotations

from benchmark.items import POST_FORMATS

METRICS_VERSION = "2026.1"

PURPOSE_LABELS = ("brand", "communication", "sales", "service", "other")
AUTHOR_CLASSES = ("self", "affiliate", "panel", "organization", "fan", "unknown")
REPLY_PLATFORMS = ("bluesky", "mastodon")  # platforms where an account can reply to others
VOICE_CLASSES = ("complaint", "praise", "question", "other")  # as benchmark.voice.VOICE_CLASSES
# Hours to the account's first answer to a fan's top-level comment: (id, lower bound, upper bound).
RESPONSE_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("0-2h", 0.0, 2.0), ("2-8h", 2.0, 8.0), ("8-24h", 8.0, 24.0), ("over-24h", 24.0, float("inf")))

# Which counters make up E for each platform (views are reach, never engagement).
ENGAGEMENT_COMPONENTS: dict[str, tuple[str, ...]] = {
    "weibo": ("likes", "comments", "reposts"),
    "bluesky": ("likes", "comments", "reposts", "quotes"),
    "mastodon": ("likes", "reposts", "comments"),
    "telegram": ("likes", "comments"),
}
ENGAGEMENT_WORDING = {
    "weibo": "likes (赞) + comments (评) + reposts (转)",
    "bluesky": "likes + replies + reposts + quotes",
    "mastodon": "favourites + boosts (reblogs) + replies",
    "telegram": "reactions + comments where the channel shows them (views are reach, not engagement)",
}

# id -> (unit, definition). Units: count, rate (per week), share (fraction shown as %), er (fraction shown
# as ‰), ratio, number, hours, flag.
_BASE: list[tuple[str, str, str]] = [
    ("posts", "count", "posts in the period, all kinds"),
    ("posts_per_week", "rate", "posts / (period days / 7)"),
    ("original_share", "share", "share of posts that are originals"),
    ("repost_share", "share", "share of posts that are reposts"),
    ("quote_share", "share", "share of posts that are quotes"),
    ("reply_share", "share", "share of posts that are replies"),
]
_FORMATS = [(f"format_share.{f}", "share", f"share of original posts in the format {f}") for f in POST_FORMATS]
_ENGAGEMENT: list[tuple[str, str, str]] = [
    ("format_diversity", "number", "normalized Shannon entropy of the format shares: -Σ p ln p / ln 9"),
    ("engagement_median", "number", "median of E per post"),
    ("engagement_mean", "number", "mean of E per post"),
    ("engagement_p75", "number", "75th percentile of E per post"),
    ("likes_per_post", "number", "mean likes per post (applause)"),
    ("comments_per_post", "number", "mean comments per post (conversation)"),
    ("reposts_per_post", "number", "mean reposts per post (amplification)"),
    ("er_median", "er", "median of E / F per post, F = followers in the snapshot nearest the post"),
    ("er_mean", "er", "mean of E / F per post"),
    ("conversation_ratio", "ratio", "Σ comments / Σ likes"),
    ("share_of_engagement", "share", "Σ E of the account / Σ E of all panel accounts on the platform"),
    ("bci", "number", "Weibo only, 清博 BCI: (0.2·ln(posts+1) + 0.8·(0.4·ln(Σreposts+1) + "
     "0.4·ln(Σcomments+1) + 0.2·ln(Σlikes+1))) × 160"),
    ("fan_repost_share", "share", "reposts and quotes of fans / posts (the Smartisan test)"),
    ("fan_repost_of_reposts", "share", "reposts and quotes of fans / all reposts and quotes"),
]
_SOURCES = [(f"repost_source.{c}", "share", f"share of reposts and quotes whose original author is {c}")
            for c in AUTHOR_CLASSES]
_FANS: list[tuple[str, str, str]] = [
    ("replies_to_others_share", "share",
     "replies to someone other than the account or its affiliates / posts (Bluesky, Mastodon)"),
    ("broadcast_ratio", "ratio", "originals / (fan reposts + replies to others); empty when nobody is talked to"),
    ("comment_reply_rate", "share",
     "top-level fan comments the account answered / sampled top-level fan comments (comments crawl)"),
    ("response_time_median_h", "hours", "median hours from a fan's comment to the account's first reply"),
    *[(f"answered_share.{bucket}", "share",
       f"top-level fan comments the account first answered {text} / sampled top-level fan comments")
      for bucket, text in zip([b[0] for b in RESPONSE_BUCKETS], ("within 2 h", "after 2 to 8 h",
                                                                  "after 8 to 24 h", "after more than 24 h"),
                              strict=True)],
    *[(f"fan_voice_share.{voice}", "share",
       f"fan comments (top level and replies) the fan-voice rules label {voice} / fan comments with text")
      for voice in VOICE_CLASSES],
    ("comment_coverage", "share",
     "comments stored / the comment counters of the posts they were sampled from (n = posts sampled)"),
]
_PURPOSE = [(f"purpose_share.{p}", "share", f"share of original posts labelled {p}") for p in PURPOSE_LABELS]
_STYLE: list[tuple[str, str, str]] = [
    ("text_length_median", "number", "median characters of plain text, original posts"),
    ("hashtags_per_post", "number", "mean hashtags per original post"),
    ("mentions_per_post", "number", "mean mentions per original post"),
    ("emoji_per_post", "number", "mean emoji per original post"),
    ("question_share", "share", "original posts that ask a question (? or ？ outside links)"),
    ("link_share", "share", "original posts with an outbound link"),
    ("followers", "count", "followers in the latest snapshot of the period (else the nearest one)"),
    ("follower_growth", "share", "relative change from the first to the last snapshot in the period"),
    ("er_vs_panel", "ratio", "er_median / median er_median of the other panel accounts on the platform"),
    ("hollow_followers", "flag",
     "1 when er_vs_panel < threshold and followers ≥ the platform panel's median followers, else 0"),
]

METRICS: dict[str, tuple[str, str]] = {
    mid: (unit, text) for mid, unit, text in (*_BASE, *_FORMATS, *_ENGAGEMENT, *_SOURCES, *_FANS, *_PURPOSE, *_STYLE)
}
METRIC_IDS: tuple[str, ...] = tuple(METRICS)

# The scorecard: metric, direction (+1 higher is better, -1 lower is better), short name for marketers.
KEY_METRICS: tuple[tuple[str, int, str], ...] = (
    ("er_median", 1, "Median engagement rate per post"),
    ("engagement_median", 1, "Median engagements per post"),
    ("posts_per_week", 0, "Posts per week"),
    ("fan_repost_share", 1, "Fan reposts per post"),
    ("replies_to_others_share", 1, "Replies to others per post"),
    ("format_diversity", 1, "Format diversity"),
    ("purpose_share.sales", -1, "Share of sales posts"),
    ("conversation_ratio", 1, "Comments per like"),
    ("follower_growth", 1, "Follower growth"),
    ("comment_reply_rate", 1, "Fan comments answered"),
)


def unit_of(metric: str) -> str:
    return METRICS[metric][0]


def format_value(metric: str, value: float | None) -> str:
    """A metric value as a marketer reads it: shares in %, engagement rates in ‰, '—' when undefined."""
    if value is None or value != value:  # NaN
        return "—"
    unit = METRICS[metric][0] if metric in METRICS else "number"
    if unit == "share":
        return f"{value * 100:.1f} %"
    if unit == "er":
        return f"{value * 1000:.2f} ‰"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "flag":
        return "yes" if value else "no"
    if unit == "hours":
        return f"{value:.1f} h"
    if unit == "ratio" or abs(value) < 10:
        return f"{value:.2f}"
    return f"{value:,.1f}"
