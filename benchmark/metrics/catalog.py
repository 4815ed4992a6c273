"""The metric dictionary of METRICS.md as data: ids, units, definitions, platform engagement formulas.

Standard library only (Babel on first use, through benchmark.i18n): the report's methodology section and the
CSV completeness check both read it. Definitions and names are English source strings marked for gettext;
`metric_label`, `metric_definition`, `term` and `format_value` give them in the current language
(benchmark.i18n.use_language).
"""

from __future__ import annotations

import gettext
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from benchmark import platforms
from benchmark.i18n import N_, _, current_language, format_count, format_number, translations, use_language
from benchmark.items import POST_FORMATS

METRICS_VERSION = "2026.1"

PURPOSE_LABELS = ("brand", "communication", "sales", "service", "other")
AUTHOR_CLASSES = ("self", "affiliate", "panel", "organization", "fan", "unknown")
# Platforms where an account can reply to others (each platform spec says: has_replies).
REPLY_PLATFORMS = tuple(spec.name for spec in platforms.all_specs() if spec.has_replies)
VOICE_CLASSES = ("complaint", "praise", "question", "other")  # as benchmark.voice.VOICE_CLASSES
# Hours to the account's first answer to a fan's top-level comment: (id, lower bound, upper bound).
RESPONSE_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("0-2h", 0.0, 2.0), ("2-8h", 2.0, 8.0), ("8-24h", 8.0, 24.0), ("over-24h", 24.0, float("inf")))

# Which counters make up E for each platform (views are reach, never engagement), and their words (msgids):
# from each platform's spec (benchmark/platforms/<name>/__init__.py).
ENGAGEMENT_COMPONENTS: dict[str, tuple[str, ...]] = {
    spec.name: spec.engagement_components for spec in platforms.all_specs()}
ENGAGEMENT_WORDING = {spec.name: spec.engagement_wording for spec in platforms.all_specs()}

# id -> (unit, definition). Units: count, rate (per week), share (fraction shown as %), er (fraction shown
# as ‰), ratio, number, hours, flag. A family's definition is one message with a placeholder for the part
# (a format, an author class, ...): (id, unit, message, {placeholder: (term group, code)}).
_Def = tuple[str, str, str, dict[str, tuple[str, str]]]
_BASE: list[_Def] = [
    ("posts", "count", N_("posts in the period, all kinds"), {}),
    ("posts_per_week", "rate", N_("posts / (period days / 7)"), {}),
    ("original_share", "share", N_("share of posts that are originals"), {}),
    ("repost_share", "share", N_("share of posts that are reposts"), {}),
    ("quote_share", "share", N_("share of posts that are quotes"), {}),
    ("reply_share", "share", N_("share of posts that are replies"), {}),
]
_FORMATS: list[_Def] = [(f"format_share.{f}", "share", N_("share of original posts in the format {format}"),
                         {"format": ("format", f)}) for f in POST_FORMATS]
_ENGAGEMENT: list[_Def] = [
    ("format_diversity", "number", N_("normalized Shannon entropy of the format shares: -Σ p ln p / ln 9"), {}),
    ("engagement_median", "number", N_("median of E per post"), {}),
    ("engagement_mean", "number", N_("mean of E per post"), {}),
    ("engagement_p75", "number", N_("75th percentile of E per post"), {}),
    ("likes_per_post", "number", N_("mean likes per post (applause)"), {}),
    ("comments_per_post", "number", N_("mean comments per post (conversation)"), {}),
    ("reposts_per_post", "number", N_("mean reposts per post (amplification)"), {}),
    ("er_median", "er", N_("median of E / F per post, F = followers in the snapshot nearest the post"), {}),
    ("er_mean", "er", N_("mean of E / F per post"), {}),
    ("conversation_ratio", "ratio", N_("Σ comments / Σ likes"), {}),
    ("share_of_engagement", "share", N_("Σ E of the account / Σ E of all panel accounts on the platform"), {}),
    ("bci", "number", N_("Weibo only, 清博 BCI: (0.2·ln(posts+1) + 0.8·(0.4·ln(Σreposts+1) + "
                         "0.4·ln(Σcomments+1) + 0.2·ln(Σlikes+1))) × 160"), {}),
    ("fan_repost_share", "share", N_("reposts and quotes of fans / posts (the Smartisan test)"), {}),
    ("fan_repost_of_reposts", "share", N_("reposts and quotes of fans / all reposts and quotes"), {}),
]
_SOURCES: list[_Def] = [(f"repost_source.{c}", "share",
                         N_("share of reposts and quotes whose original author is {author}"),
                         {"author": ("author", c)}) for c in AUTHOR_CLASSES]
_FANS: list[_Def] = [
    ("replies_to_others_share", "share",
     N_("replies to someone other than the account or its affiliates / posts (Bluesky, Mastodon)"), {}),
    ("broadcast_ratio", "ratio",
     N_("originals / (fan reposts + replies to others); empty when nobody is talked to"), {}),
    ("comment_reply_rate", "share",
     N_("top-level fan comments the account answered / sampled top-level fan comments (comments crawl)"), {}),
    ("response_time_median_h", "hours", N_("median hours from a fan's comment to the account's first reply"), {}),
    *[(f"answered_share.{bucket}", "share",
       N_("top-level fan comments the account first answered {when} / sampled top-level fan comments"),
       {"when": ("answered", bucket)}) for bucket, _low, _high in RESPONSE_BUCKETS],
    *[(f"fan_voice_share.{voice}", "share",
       N_("fan comments (top level and replies) the fan-voice rules label {voice} / fan comments with text"),
       {"voice": ("voice", voice)}) for voice in VOICE_CLASSES],
    ("comment_coverage", "share",
     N_("comments stored / the comment counters of the posts they were sampled from (n = posts sampled)"), {}),
]
_PURPOSE: list[_Def] = [(f"purpose_share.{p}", "share", N_("share of original posts labelled {purpose}"),
                         {"purpose": ("purpose", p)}) for p in PURPOSE_LABELS]
_STYLE: list[_Def] = [
    ("text_length_median", "number", N_("median characters of plain text, original posts"), {}),
    ("hashtags_per_post", "number", N_("mean hashtags per original post"), {}),
    ("mentions_per_post", "number", N_("mean mentions per original post"), {}),
    ("emoji_per_post", "number", N_("mean emoji per original post"), {}),
    ("question_share", "share", N_("original posts that ask a question (? or ？ outside links)"), {}),
    ("link_share", "share", N_("original posts with an outbound link"), {}),
    ("followers", "count", N_("followers in the latest snapshot of the period (else the nearest one)"), {}),
    ("follower_growth", "share", N_("relative change from the first to the last snapshot in the period"), {}),
    ("er_vs_panel", "ratio", N_("er_median / median er_median of the other panel accounts on the platform"), {}),
    ("hollow_followers", "flag",
     N_("1 when er_vs_panel < threshold and followers ≥ the platform panel's median followers, else 0"), {}),
]
_DEFINITIONS: dict[str, _Def] = {d[0]: d for d in (*_BASE, *_FORMATS, *_ENGAGEMENT, *_SOURCES, *_FANS, *_PURPOSE,
                                                   *_STYLE)}
# The English definitions (METRICS.md's wording); metric_definition() gives them in the current language.
ANSWERED_WHEN = {"0-2h": N_("within 2 h"), "2-8h": N_("after 2 to 8 h"), "8-24h": N_("after 8 to 24 h"),
                 "over-24h": N_("after more than 24 h")}
METRICS: dict[str, tuple[str, str]] = {
    mid: (unit, text.format(**{k: ANSWERED_WHEN[code] if group == "answered" else code
                               for k, (group, code) in params.items()}))
    for mid, unit, text, params in _DEFINITIONS.values()
}
METRIC_IDS: tuple[str, ...] = tuple(METRICS)

# The scorecard: metric, direction (+1 higher is better, -1 lower is better), short name for marketers
# (English; metric_label() translates it).
KEY_METRICS: tuple[tuple[str, int, str], ...] = (
    ("er_median", 1, N_("Median engagement rate per post")),
    ("engagement_median", 1, N_("Median engagements per post")),
    ("posts_per_week", 0, N_("Posts per week")),
    ("fan_repost_share", 1, N_("Fan reposts per post")),
    ("replies_to_others_share", 1, N_("Replies to others per post")),
    ("format_diversity", 1, N_("Format diversity")),
    ("purpose_share.sales", -1, N_("Share of sales posts")),
    ("conversation_ratio", 1, N_("Comments per like")),
    ("follower_growth", 1, N_("Follower growth")),
    ("comment_reply_rate", 1, N_("Fan comments answered")),
)

# The marketer's name of every metric (metrics.csv's metric_label, table headers, recommendations).
_LABELS: dict[str, str] = {
    **{metric: name for metric, _direction, name in KEY_METRICS},
    "posts": N_("Posts"),
    "original_share": N_("Share of originals"),
    "repost_share": N_("Share of reposts"),
    "quote_share": N_("Share of quotes"),
    "reply_share": N_("Share of replies"),
    "engagement_mean": N_("Mean engagements per post"),
    "engagement_p75": N_("Engagements per post, 75th percentile"),
    "likes_per_post": N_("Likes per post"),
    "comments_per_post": N_("Comments per post"),
    "reposts_per_post": N_("Reposts per post"),
    "er_mean": N_("Mean engagement rate per post"),
    "share_of_engagement": N_("Share of the platform's engagement"),
    "bci": N_("BCI (Weibo)"),
    "fan_repost_of_reposts": N_("Fan reposts among reposts"),
    "broadcast_ratio": N_("Originals per fan repost or reply"),
    "response_time_median_h": N_("Median time to answer a fan"),
    "comment_coverage": N_("Comments stored of their counters"),
    "text_length_median": N_("Median text length"),
    "hashtags_per_post": N_("Hashtags per post"),
    "mentions_per_post": N_("Mentions per post"),
    "emoji_per_post": N_("Emoji per post"),
    "question_share": N_("Original posts asking a question"),
    "link_share": N_("Original posts with a link"),
    "followers": N_("Followers"),
    "er_vs_panel": N_("ER vs panel"),
    "hollow_followers": N_("Hollow followers"),
}
# Families: prefix -> (message with {part}, term group of the part).
_FAMILY_LABELS: dict[str, tuple[str, str]] = {
    "format_share": (N_("Share of {part} posts (format)"), "format"),
    "repost_source": (N_("Reposts of: {part}"), "author"),
    "answered_share": (N_("Fan comments answered {part}"), "answered"),
    "fan_voice_share": (N_("Fan comments: {part}"), "voice"),
    "purpose_share": (N_("Share of {part} posts"), "purpose"),
}


def unit_of(metric: str) -> str:
    return METRICS[metric][0]


# -- in the reader's language ---------------------------------------------------------------------------
def _term_table(pgettext: Callable[[str, str], str], _: Callable[[str], str]) -> dict[str, dict[str, str]]:
    """Every code a reader sees (roles, formats, statuses, ...) in one catalog; the calls are literal so
    that pybabel extracts them. English keeps the codes themselves."""
    return {
        "role": {"own": pgettext("role", "own"), "peer": pgettext("role", "peer"),
                 "exemplar": pgettext("role", "exemplar")},
        "platform": {spec.name: pgettext("platform", spec.display_label()) for spec in platforms.all_specs()},
        "kind": {"original": pgettext("post kind", "original"), "repost": pgettext("post kind", "repost"),
                 "quote": pgettext("post kind", "quote"), "reply": pgettext("post kind", "reply")},
        "format": {"text": pgettext("post format", "text"), "image": pgettext("post format", "image"),
                   "gif": pgettext("post format", "gif"), "video": pgettext("post format", "video"),
                   "audio": pgettext("post format", "audio"), "live": pgettext("post format", "live"),
                   "article": pgettext("post format", "article"), "link": pgettext("post format", "link"),
                   "poll": pgettext("post format", "poll")},
        "purpose": {"brand": pgettext("purpose", "brand"), "communication": pgettext("purpose", "communication"),
                    "sales": pgettext("purpose", "sales"), "service": pgettext("purpose", "service"),
                    "other": pgettext("purpose", "other")},
        "author": {"self": pgettext("author class", "self"), "affiliate": pgettext("author class", "affiliate"),
                   "panel": pgettext("author class", "panel"),
                   "organization": pgettext("author class", "organization"),
                   "fan": pgettext("author class", "fan"), "unknown": pgettext("author class", "unknown")},
        "voice": {"complaint": pgettext("fan voice", "complaint"), "praise": pgettext("fan voice", "praise"),
                  "question": pgettext("fan voice", "question"), "other": pgettext("fan voice", "other")},
        "answered": {bucket: _(text) for bucket, text in ANSWERED_WHEN.items()},
        "status": {"ok": pgettext("crawl status", "ok"), "partial": pgettext("crawl status", "partial"),
                   "failed": pgettext("crawl status", "failed"),
                   "login_wall": pgettext("crawl status", "login_wall"),
                   "blocked": pgettext("crawl status", "blocked"),
                   "not_found": pgettext("crawl status", "not_found"),
                   "private": pgettext("crawl status", "private"),
                   "opted_out": pgettext("crawl status", "opted_out")},
        "unit": {"count": pgettext("unit", "count"), "rate": pgettext("unit", "rate"),
                 "share": pgettext("unit", "share"), "er": pgettext("unit", "er"), "ratio": pgettext("unit", "ratio"),
                 "number": pgettext("unit", "number"), "hours": pgettext("unit", "hours"),
                 "flag": pgettext("unit", "flag")},
    }


@cache
def _terms(catalog: gettext.NullTranslations) -> dict[str, dict[str, str]]:
    return _term_table(catalog.pgettext, catalog.gettext)


def term(group: str, code: Any) -> str:
    """A code as the reader says it: term("role", "own") → 'own' / '自有'; unknown codes pass through."""
    return _terms(translations(current_language())).get(group, {}).get(str(code), str(code))


def term_codes() -> dict[str, set[str]]:
    """The codes each term group names (for the tests: every role, kind, format ... has a name)."""
    return {group: set(names) for group, names in _term_table(lambda _context, m: m, str).items()}


def metric_label(metric: str) -> str:
    """The marketer's name of a metric in the current language: 'Fan reposts per post' / '每帖转发粉丝数'."""
    if metric in _LABELS:
        return _(_LABELS[metric])
    family, _dot, part = metric.partition(".")
    if family in _FAMILY_LABELS:
        message, group = _FAMILY_LABELS[family]
        return _(message).format(part=term(group, part))
    return metric


def metric_definition(metric: str) -> str:
    """METRICS' definition of a metric in the current language."""
    _id, _unit, message, params = _DEFINITIONS[metric]
    return _(message).format(**{name: term(group, code) for name, (group, code) in params.items()})


def engagement_wording(platform: str) -> str:
    return _(ENGAGEMENT_WORDING[platform]) if platform in ENGAGEMENT_WORDING else platform


def format_value(metric: str, value: float | None, language: str | None = None) -> str:
    """A metric value as a marketer reads it, in the current language: shares in %, engagement rates in ‰,
    counts in full (English) or as 12.3万 (Chinese, the exact number kept for the HTML tooltip), '—' when
    undefined."""
    if language is not None:
        with use_language(language):
            return format_value(metric, value)
    if value is None or value != value:  # NaN
        return "—"
    unit = METRICS[metric][0] if metric in METRICS else "number"
    if unit == "share":
        # Translators: a percentage; English keeps a space before %, Chinese writes 30.0%.
        return _("{value} %").format(value=_figure(value * 100, 1))
    if unit == "er":
        if _ER_UNIT.get() == "percent":
            return _("{value} %").format(value=_figure(value * 100, 3))
        # Translators: an engagement rate in per mille (‰).
        return _("{value} ‰").format(value=_figure(value * 1000, 2))
    if unit == "count":
        return format_count(round(value))
    if unit == "flag":
        return _("yes") if value else _("no")
    if unit == "hours":
        # Translators: a duration in hours.
        return _("{value} h").format(value=_figure(value, 1))
    if unit == "ratio" or abs(value) < 10:
        return _figure(value, 2)
    return format_number(value, digits=1)


ER_UNITS = ("permille", "percent")  # how engagement rates are shown (`build_report(units=...)`)
_ER_UNIT: ContextVar[str] = ContextVar("er_unit", default="permille")


@contextmanager
def use_er_unit(units: str | None) -> Iterator[None]:
    """Show engagement rates in per mille (the default, usual in China) or in percent inside the block."""
    token = _ER_UNIT.set(units or "permille")
    try:
        yield
    finally:
        _ER_UNIT.reset(token)


def er_scale() -> tuple[int, str]:
    """(factor, symbol) of the engagement-rate unit in use: (1000, '‰') or (100, '%')."""
    return (100, "%") if _ER_UNIT.get() == "percent" else (1000, "‰")


def format_share(share: float, digits: int = 0) -> str:
    """A share (0.243) as a percentage with `digits` decimals, significant digits kept for tiny shares."""
    if share is None or share != share:
        return "—"
    return _("{value} %").format(value=_figure(share * 100, digits))


def _figure(value: float, digits: int) -> str:
    """`value` with `digits` decimals, or, where that would print a non-zero value as 0, with two significant
    digits (0.0042, not 0.00): a figure that rounds to zero reads as "none"."""
    if value == 0 or abs(value) >= 0.5 * 10 ** -digits:
        return format_number(value, digits=digits)
    needed = -math.floor(math.log10(abs(value))) + 1
    return format_number(value, digits=needed).rstrip("0")
