"""The one registry of metrics: every property of a metric in one `MetricSpec` (issue #18).

The report tables, the scorecard's key metrics, the trend and change lists, the recommendation metrics, the
exactness, snapshot and platform-bound flags, the labels and the definitions are all derived from `SPECS`;
nothing else lists metric ids. Adding a metric means: its spec here, its formula in compute.py, its test
value in tests/test_metrics.py, its translations (`python -m benchmark.i18n update`) and its row in
docs/METRICS.md (tests/test_metrics.py checks both directions).

Standard library only (and benchmark.i18n's N_, benchmark.items' codes): catalog.py, compute.py and the
report read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from benchmark.i18n import N_
from benchmark.items import POST_FORMATS, ROLES

PURPOSE_LABELS = ("brand", "communication", "sales", "service", "other")
AUTHOR_CLASSES = ("self", "affiliate", "panel", "organization", "fan", "unknown")
VOICE_CLASSES = ("complaint", "praise", "question", "other")  # as benchmark.voice.VOICE_CLASSES
# Hours to the account's first answer to a fan's top-level comment: (id, lower bound, upper bound).
RESPONSE_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("0-2h", 0.0, 2.0), ("2-8h", 2.0, 8.0), ("8-24h", 8.0, 24.0), ("over-24h", 24.0, float("inf")))
ANSWERED_WHEN = {"0-2h": N_("within 2 h"), "2-8h": N_("after 2 to 8 h"), "8-24h": N_("after 8 to 24 h"),
                 "over-24h": N_("after more than 24 h")}

ROLE_ORDER = {role: rank for rank, role in enumerate(ROLES)}  # own, peer, exemplar: the order of every list
UNITS = ("count", "rate", "share", "er", "ratio", "number", "hours", "flag")
# The report's per-account metric tables, in page order (the section of the same name holds each).
SECTIONS = ("activity", "engagement", "fans", "purpose", "style", "audience", "formats", "sources")


@dataclass(frozen=True)
class MetricSpec:
    """One metric. Units: count, rate (per week), share (fraction shown as %), er (fraction shown as ‰),
    ratio, number, hours, flag."""

    id: str
    unit: str
    definition: str  # English gettext message (METRICS.md's wording), may hold {placeholders} of `params`
    label: str | None = None  # the marketer's name (N_); None: the family's label names it
    params: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # placeholder -> (term group, code)
    # (section, position) of each report table that shows it; empty only with export_only.
    tables: tuple[tuple[str, int], ...] = ()
    export_only: bool = False  # in metrics.csv / report.xlsx (and the conversation block), in no table
    key: tuple[int, int] | None = None  # scorecard: (rank, direction +1 higher / -1 lower / 0 neutral)
    change: bool = False  # its per-post median gets a bootstrap interval in "Change since last period"
    per_post: str | None = None  # the per-post column (derive.py) whose median it is: needed by `change`
    exact: bool = False  # an exact count (or snapshot figure): a change in it is never `too_few`
    snapshot_n: bool = False  # its n counts follower snapshots, not posts (never italic for a low n)
    platform_bound: bool = False  # scales differ between platforms: compared on the own platform only
    recommend: tuple[int, int] | None = None  # recommendations: (rank, direction)

    @property
    def family(self) -> str | None:
        """'format_share' for 'format_share.video'; None for a metric of its own."""
        family, dot, _part = self.id.partition(".")
        return family if dot else None


# Families: prefix -> (label with {part}, term group of the part).
FAMILY_LABELS: dict[str, tuple[str, str]] = {
    "format_share": (N_("Share of {part} posts (format)"), "format"),
    "repost_source": (N_("Reposts of: {part}"), "author"),
    "answered_share": (N_("Fan comments answered {part}"), "answered"),
    "fan_voice_share": (N_("Fan comments: {part}"), "voice"),
    "purpose_share": (N_("Share of {part} posts"), "purpose"),
}


def _family(family: str, unit: str, definition: str, placeholder: str, codes: tuple[str, ...],
            section: str | None = None, **flags: object) -> list[MetricSpec]:
    """One spec per code, positioned in `section` in code order (export-only without a section)."""
    group = FAMILY_LABELS[family][1]
    return [MetricSpec(f"{family}.{code}", unit, definition, params={placeholder: (group, code)},
                       tables=((section, i),) if section else (), export_only=section is None,
                       **flags)  # type: ignore[arg-type]
            for i, code in enumerate(codes)]


def _m(mid: str, unit: str, definition: str, label: str, section: str | None, position: int = 0,
       **flags: object) -> MetricSpec:
    return MetricSpec(mid, unit, definition, label, tables=((section, position),) if section else (),
                      **flags)  # type: ignore[arg-type]


# The order here is metrics.csv's order (and compute.py's).
_SPECS: list[MetricSpec] = [
    _m("posts", "count", N_("posts in the period, all kinds"), N_("Posts"), "activity", 0, exact=True),
    _m("posts_per_week", "rate", N_("posts / (period days / 7)"), N_("Posts per week"), "activity", 1,
       key=(2, 0), exact=True),
    _m("original_share", "share", N_("share of posts that are originals"), N_("Share of originals"), "activity", 2),
    _m("repost_share", "share", N_("share of posts that are reposts"), N_("Share of reposts"), "activity", 3),
    _m("quote_share", "share", N_("share of posts that are quotes"), N_("Share of quotes"), "activity", 4),
    _m("reply_share", "share", N_("share of posts that are replies"), N_("Share of replies"), "activity", 5),
    *_family("format_share", "share", N_("share of original posts in the format {format}"), "format", POST_FORMATS,
             "formats"),
    _m("format_diversity", "number", N_("normalized Shannon entropy of the format shares: -Σ p ln p / ln 9"),
       N_("Format diversity"), "activity", 6, key=(5, 1), recommend=(4, 1)),
    _m("engagement_median", "number", N_("median of E per post"), N_("Median engagements per post"), "engagement",
       0, key=(1, 1), change=True, per_post="engagement", platform_bound=True, recommend=(3, 1)),
    _m("engagement_mean", "number", N_("mean of E per post"), N_("Mean engagements per post"), "engagement", 1),
    _m("engagement_p75", "number", N_("75th percentile of E per post"), N_("Engagements per post, 75th percentile"),
       "engagement", 2),
    _m("likes_per_post", "number", N_("mean likes per post (applause)"), N_("Likes per post"), "engagement", 3),
    _m("comments_per_post", "number", N_("mean comments per post (conversation)"), N_("Comments per post"),
       "engagement", 4),
    _m("reposts_per_post", "number", N_("mean reposts per post (amplification)"), N_("Reposts per post"),
       "engagement", 5),
    MetricSpec("er_median", "er", N_("median of E / F per post, F = followers in the snapshot nearest the post"),
               N_("Median engagement rate per post"), tables=(("engagement", 6), ("audience", 2)), key=(0, 1),
               change=True, per_post="er", platform_bound=True, recommend=(2, 1)),
    _m("er_mean", "er", N_("mean of E / F per post"), N_("Mean engagement rate per post"), "engagement", 7),
    _m("conversation_ratio", "ratio", N_("Σ comments / Σ likes"), N_("Comments per like"), "engagement", 8,
       key=(7, 1), platform_bound=True, recommend=(7, 1)),
    _m("share_of_engagement", "share", N_("Σ E of the account / Σ E of all panel accounts on the platform"),
       N_("Share of the platform's engagement"), "engagement", 9),
    _m("bci", "number", N_("Weibo only, 清博 BCI: (0.2·ln(posts+1) + 0.8·(0.4·ln(Σreposts+1) + "
                           "0.4·ln(Σcomments+1) + 0.2·ln(Σlikes+1))) × 160"), N_("BCI (Weibo)"), "engagement", 10),
    _m("fan_repost_share", "share", N_("reposts and quotes of fans / posts (the Smartisan test)"),
       N_("Fan reposts per post"), "fans", 0, key=(3, 1), recommend=(0, 1)),
    _m("fan_repost_of_reposts", "share", N_("reposts and quotes of fans / all reposts and quotes"),
       N_("Fan reposts among reposts"), "fans", 1),
    *_family("repost_source", "share", N_("share of reposts and quotes whose original author is {author}"),
             "author", AUTHOR_CLASSES, "sources"),
    _m("replies_to_others_share", "share",
       N_("replies to someone other than the account or its affiliates / posts (Bluesky, Mastodon)"),
       N_("Replies to others per post"), "fans", 2, key=(4, 1), recommend=(1, 1)),
    _m("broadcast_ratio", "ratio", N_("originals / (fan reposts + replies to others); empty when nobody is talked to"),
       N_("Originals per fan repost or reply"), "fans", 3, recommend=(9, -1)),
    _m("comment_reply_rate", "share",
       N_("top-level fan comments the account answered / sampled top-level fan comments (comments crawl)"),
       N_("Fan comments answered"), "fans", 4, key=(9, 1), recommend=(6, 1)),
    _m("response_time_median_h", "hours", N_("median hours from a fan's comment to the account's first reply"),
       N_("Median time to answer a fan"), "fans", 5, recommend=(10, -1)),
    # Export-only: the "Talking with fans" block shows these from the comments themselves (charts of answer
    # delays and fan voice with n), and a per-account table of 8 more columns would repeat it.
    *_family("answered_share", "share",
             N_("top-level fan comments the account first answered {when} / sampled top-level fan comments"),
             "when", tuple(bucket for bucket, _low, _high in RESPONSE_BUCKETS)),
    *_family("fan_voice_share", "share",
             N_("fan comments (top level and replies) the fan-voice rules label {voice} / fan comments with text"),
             "voice", VOICE_CLASSES),
    # Export-only: a data-quality figure; the conversation block states how much of the conversation it rests on.
    MetricSpec("comment_coverage", "share",
               N_("comments stored / the comment counters of the posts they were sampled from (n = posts sampled)"),
               N_("Comments stored of their counters"), export_only=True),
    *[MetricSpec(s.id, s.unit, s.definition, N_("Share of sales posts"), s.params, s.tables, key=(6, -1),
                 recommend=(8, -1)) if s.id == "purpose_share.sales" else s
      for s in _family("purpose_share", "share", N_("share of original posts labelled {purpose}"), "purpose",
                       PURPOSE_LABELS, "purpose")],
    _m("text_length_median", "number", N_("median characters of plain text, original posts"),
       N_("Median text length"), "style", 0),
    _m("hashtags_per_post", "number", N_("mean hashtags per original post"), N_("Hashtags per post"), "style", 1),
    _m("mentions_per_post", "number", N_("mean mentions per original post"), N_("Mentions per post"), "style", 2),
    _m("emoji_per_post", "number", N_("mean emoji per original post"), N_("Emoji per post"), "style", 3),
    _m("question_share", "share", N_("original posts that ask a question (? or ？ outside links)"),
       N_("Original posts asking a question"), "style", 4, recommend=(5, 1)),
    _m("link_share", "share", N_("original posts with an outbound link"), N_("Original posts with a link"),
       "style", 5),
    _m("followers", "count", N_("followers in the latest snapshot of the period (else the nearest one)"),
       N_("Followers"), "audience", 0, exact=True, snapshot_n=True),
    _m("follower_growth", "share", N_("relative change from the first to the last snapshot in the period"),
       N_("Follower growth"), "audience", 1, key=(8, 1), exact=True, snapshot_n=True),
    _m("er_vs_panel", "ratio", N_("er_median / median er_median of the other panel accounts on the platform"),
       N_("ER vs panel"), "audience", 3),
    _m("hollow_followers", "flag",
       N_("1 when er_vs_panel < threshold and followers ≥ the platform panel's median followers, else 0"),
       N_("Hollow followers"), "audience", 4),
]

SPECS: dict[str, MetricSpec] = {spec.id: spec for spec in _SPECS}
METRIC_IDS: tuple[str, ...] = tuple(SPECS)


def problems(specs: list[MetricSpec] | tuple[MetricSpec, ...]) -> list[str]:
    """What is wrong with a list of specs (the registry's test runs it): a metric shown in no table and not
    marked export-only (or both), an unknown section or unit, two metrics on one position, a metric with
    neither a label nor a family label, a duplicate id."""
    found, seen, ids = [], set(), [s.id for s in specs]
    found += [f"{mid}: listed twice" for mid in sorted({m for m in ids if ids.count(m) > 1})]
    for spec in specs:
        if bool(spec.tables) == spec.export_only:
            found.append(f"{spec.id}: needs a report table or export_only=True (not both)")
        if spec.unit not in UNITS:
            found.append(f"{spec.id}: unknown unit {spec.unit!r}")
        if spec.change and not spec.per_post:
            found.append(f"{spec.id}: `change` needs the per-post column it is the median of")
        if spec.label is None and spec.family not in FAMILY_LABELS:
            found.append(f"{spec.id}: no label")
        for place in spec.tables:
            if place[0] not in SECTIONS:
                found.append(f"{spec.id}: unknown section {place[0]!r}")
            elif place in seen:
                found.append(f"{spec.id}: position {place[1]} of {place[0]} taken")
            seen.add(place)
    return found


def _ranked(rank: dict[str, int]) -> tuple[str, ...]:
    return tuple(sorted(rank, key=rank.__getitem__))


def _tables() -> dict[str, tuple[str, ...]]:
    placed: dict[str, dict[str, int]] = {section: {} for section in SECTIONS}
    for spec in _SPECS:
        for section, position in spec.tables:
            placed[section][spec.id] = position
    return {section: _ranked(ids) for section, ids in placed.items()}


# -- derived: the lists the rest of the code reads -------------------------------------------------------
TABLES: dict[str, tuple[str, ...]] = _tables()  # report section -> its table's columns
_KEY = {s.id: s.key for s in _SPECS if s.key is not None}
# The scorecard: metric, direction (+1 higher is better, -1 lower is better), short name for marketers.
KEY_METRICS: tuple[tuple[str, int, str], ...] = tuple(
    (mid, _KEY[mid][1], SPECS[mid].label or mid) for mid in _ranked({m: k[0] for m, k in _KEY.items()}))
TREND_METRICS: tuple[str, ...] = tuple(mid for mid, _direction, _name in KEY_METRICS)
CHANGE_METRICS: tuple[str, ...] = tuple(mid for mid in TREND_METRICS if SPECS[mid].change)
MEDIAN_COLUMNS: dict[str, str] = {mid: SPECS[mid].per_post or "" for mid in CHANGE_METRICS}  # metric -> per-post column
_RECOMMEND = {s.id: s.recommend for s in _SPECS if s.recommend is not None}
RECOMMENDATION_METRICS: dict[str, int] = {
    mid: _RECOMMEND[mid][1] for mid in _ranked({m: r[0] for m, r in _RECOMMEND.items()})}
EXACT_METRICS = frozenset(s.id for s in _SPECS if s.exact)
SNAPSHOT_METRICS = frozenset(s.id for s in _SPECS if s.snapshot_n)
PLATFORM_BOUND = frozenset(s.id for s in _SPECS if s.platform_bound)
LABELS: dict[str, str] = {s.id: s.label for s in _SPECS if s.label is not None}
