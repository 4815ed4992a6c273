"""Findings: the rules of METRICS.md over the metrics table, each with its numbers and threshold, worded
for a marketer; and the scorecard (own vs peer median vs best exemplar).

Thresholds come from the config's `[thresholds]` (benchmark.config.DEFAULT_THRESHOLDS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from benchmark.items import POST_FORMATS
from benchmark.metrics.catalog import (
    KEY_METRICS,
    PURPOSE_LABELS,
    REPLY_PLATFORMS,
    RESPONSE_BUCKETS,
    VOICE_CLASSES,
    format_value,
)
from benchmark.metrics.compute import wide

RESPONSE_TIME_MAX_H = 24.0  # used when the config has no `response_time_max_h` threshold
MIN_COMMENTS = 10  # comment findings need at least this many sampled fan comments (as MIN_N posts elsewhere)
GAP_MIN_SHORTFALL = 0.10  # gaps smaller than 10 % of the exemplar's value are not worth a finding
GAPS_SHOWN = 3
ROLE_ORDER = {"own": 0, "peer": 1, "exemplar": 2}


@dataclass(frozen=True)
class Finding:
    rule: str  # hollow_followers | sales_floor | self_indulgent | thin_content | slow_answers | fans_complain
    #            | exemplar_gap
    acct: int
    platform: str
    account_id: str
    label: str
    role: str
    title: str
    detail: str
    numbers: tuple[tuple[str, str], ...] = ()  # (what, formatted value) pairs shown next to the text
    threshold: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def evaluate_findings(metrics: pd.DataFrame, thresholds: dict[str, float]) -> list[Finding]:
    """Every rule that fires, for every account: own accounts first, then peers, then exemplars."""
    values = wide(metrics)
    ns = wide(metrics, "n")
    info = metrics.drop_duplicates("acct").set_index("acct")[["platform", "account_id", "label", "role"]]
    card = scorecard(metrics)
    found: list[Finding] = []
    for acct in sorted(info.index, key=lambda a: (ROLE_ORDER.get(info.at[a, "role"], 9), a)):
        ctx = _Context(acct, info, values, ns, thresholds)
        for rule in (hollow_followers, sales_floor, self_indulgent, thin_content, slow_answers, fans_complain):
            finding = rule(ctx)
            if finding is not None:
                found.append(finding)
        if info.at[acct, "role"] == "own":
            gap = exemplar_gap(ctx, card)
            if gap is not None:
                found.append(gap)
    return found


class _Context:
    """One account's values, n and thresholds, plus the panel on its platform."""

    def __init__(self, acct: int, info: pd.DataFrame, values: pd.DataFrame, ns: pd.DataFrame,
                 thresholds: dict[str, float]) -> None:
        self.acct, self.info, self.values, self.ns, self.t = acct, info, values, ns, thresholds
        self.platform = str(info.at[acct, "platform"])
        self.label = str(info.at[acct, "label"])

    def v(self, metric: str) -> float:
        return float(self.values.at[self.acct, metric])

    def n(self, metric: str) -> int:
        return int(self.ns.at[self.acct, metric])

    def fmt(self, metric: str) -> str:
        return format_value(metric, self.v(metric))

    def finding(self, rule: str, title: str, detail: str, numbers: list[tuple[str, str]], threshold: str,
                **extra: Any) -> Finding:
        row = self.info.loc[self.acct]
        return Finding(rule=rule, acct=self.acct, platform=self.platform, account_id=str(row["account_id"]),
                       label=self.label, role=str(row["role"]), title=title, detail=detail,
                       numbers=tuple(numbers), threshold=threshold, extra=extra)

    def platform_median(self, metric: str) -> float:
        same = self.info.index[self.info["platform"] == self.platform]
        return float(self.values.loc[same, metric].median())


# -- the rules ----------------------------------------------------------------------------------------
def hollow_followers(ctx: _Context) -> Finding | None:
    if ctx.v("hollow_followers") != 1:
        return None
    limit = ctx.t.get("hollow_er_vs_panel", 0.10)
    median_f = ctx.platform_median("followers")
    return ctx.finding(
        "hollow_followers", "Followers look inflated",
        f"{ctx.label} has {ctx.fmt('followers')} followers, at or above the {ctx.platform} panel's median of "
        f"{format_value('followers', median_f)}, yet its posts earn only {ctx.v('er_vs_panel'):.0%} of the "
        "engagement rate of the other accounts. Far less interaction than the follower count predicts: "
        "bought or long-inactive followers are the usual cause.",
        [("followers", ctx.fmt("followers")), ("panel median followers", format_value("followers", median_f)),
         ("median ER", ctx.fmt("er_median")), ("ER vs panel", ctx.fmt("er_vs_panel"))],
        f"ER vs panel < {limit:g} and followers ≥ the panel's median",
    )


def sales_floor(ctx: _Context) -> Finding | None:
    limit = ctx.t.get("sales_floor_share", 0.30)
    share = ctx.v("purpose_share.sales")
    if not share >= limit:
        return None
    others = [(f"{label} posts", ctx.fmt(f"purpose_share.{label}")) for label in PURPOSE_LABELS if label != "sales"]
    return ctx.finding(
        "sales_floor", "The account reads like a sales floor",
        f"{ctx.fmt('purpose_share.sales')} of {ctx.label}'s original posts sell (prices, coupons, shop links), "
        "so brand stories, conversation and customer service get crowded out. Followers came for the brand, "
        "not for a catalogue.",
        [("sales posts", ctx.fmt("purpose_share.sales")), *others,
         ("original posts", f"{ctx.n('purpose_share.sales'):,}")],
        f"share of sales posts ≥ {limit:.0%}",
    )


def self_indulgent(ctx: _Context) -> Finding | None:
    fan_limit = ctx.t.get("self_indulgent_fan_repost_share", 0.02)
    reply_limit = ctx.t.get("self_indulgent_replies_share", 0.02)
    fan = ctx.v("fan_repost_share")
    if not fan < fan_limit:
        return None
    numbers = [("fan reposts per post", ctx.fmt("fan_repost_share")), ("posts", f"{ctx.n('fan_repost_share'):,}")]
    if ctx.platform in REPLY_PLATFORMS:
        replies = ctx.v("replies_to_others_share")
        if not replies < reply_limit:
            return None
        numbers.insert(1, ("replies to others per post", ctx.fmt("replies_to_others_share")))
        scope = "it almost never reposts its fans or replies to anyone."
        threshold = f"fan reposts per post < {fan_limit:.0%} and replies to others per post < {reply_limit:.0%}"
    else:
        scope = (f"it almost never reposts its fans ({ctx.platform} has no replies as posts, so this test uses "
                 "fan reposts alone).")
        threshold = f"fan reposts per post < {fan_limit:.0%} (fan reposts alone on {ctx.platform})"
    ratio = ctx.v("broadcast_ratio")
    numbers.append(("broadcast ratio", "never talks to fans" if np.isnan(ratio) else f"{ratio:.1f} : 1"))
    return ctx.finding(
        "self_indulgent", "Talks at fans, not with them",
        f"{ctx.label} broadcasts: {scope} Smartisan (锤子科技) became the textbook counter-example by "
        "reposting and answering its users: that turns followers into advocates.",
        numbers, threshold,
    )


def thin_content(ctx: _Context) -> Finding | None:
    diversity_limit = ctx.t.get("thin_content_diversity", 0.35)
    single_limit = ctx.t.get("thin_content_single_format", 0.80)
    diversity = ctx.v("format_diversity")
    shares = {fmt: ctx.v(f"format_share.{fmt}") for fmt in POST_FORMATS}
    top_format = max(shares, key=lambda f: -1 if np.isnan(shares[f]) else shares[f])
    top_share = shares[top_format]
    if np.isnan(diversity) or not (diversity < diversity_limit or top_share >= single_limit):
        return None
    return ctx.finding(
        "thin_content", "Thin content: one format dominates",
        f"{ctx.label}'s original posts are {top_share:.0%} {top_format}, with a format diversity of "
        f"{diversity:.2f} (0 = one format only, 1 = all nine formats equally). Mixing in video, images, "
        "polls or live formats gives fans more reasons to stop and interact.",
        [("format diversity", f"{diversity:.2f}"), (f"{top_format} share", f"{top_share * 100:.1f} %"),
         ("original posts", f"{ctx.n('format_diversity'):,}")],
        f"format diversity < {diversity_limit:g} or one format ≥ {single_limit:.0%}",
    )


def slow_answers(ctx: _Context) -> Finding | None:
    if ctx.n("comment_reply_rate") < MIN_COMMENTS:
        return None  # no comment data, or too few sampled fan comments to tell
    rate_limit = ctx.t.get("comment_reply_rate_min", 0.10)
    hours_limit = ctx.t.get("response_time_max_h", RESPONSE_TIME_MAX_H)
    rate, hours = ctx.v("comment_reply_rate"), ctx.v("response_time_median_h")
    absent = rate < rate_limit
    slow = not np.isnan(hours) and hours > hours_limit
    if not (absent or slow):
        return None
    what = "rarely answers" if absent else "answers slowly"
    buckets = [(f"answered {bucket.replace('-', '–').replace('over–', 'after ')}",
                ctx.fmt(f"answered_share.{bucket}")) for bucket, _low, _high in RESPONSE_BUCKETS]
    return ctx.finding(
        "slow_answers", f"Fans' comments go unanswered ({what})",
        f"{ctx.label} answered {ctx.fmt('comment_reply_rate')} of {ctx.n('comment_reply_rate'):,} sampled "
        f"fan comments; the median first answer came after {ctx.fmt('response_time_median_h')}. Unanswered "
        "questions are public: every other reader sees them.",
        [("fan comments answered", ctx.fmt("comment_reply_rate")),
         ("median time to answer", ctx.fmt("response_time_median_h")), *buckets,
         ("fan comments sampled", f"{ctx.n('comment_reply_rate'):,}")],
        f"answered < {rate_limit:.0%} or median answer time > {hours_limit:g} h "
        f"(at least {MIN_COMMENTS} sampled fan comments)",
    )


def fans_complain(ctx: _Context) -> Finding | None:
    """Complaints are the largest class of what fans write (ties count; any share above 50 % is the largest
    by definition), over at least MIN_COMMENTS fan comments with text."""
    n = ctx.n("fan_voice_share.complaint")
    if n < MIN_COMMENTS:
        return None
    shares = {voice: ctx.v(f"fan_voice_share.{voice}") for voice in VOICE_CLASSES}
    complaint = shares["complaint"]
    if np.isnan(complaint) or complaint <= 0 or any(s > complaint for s in shares.values() if not np.isnan(s)):
        return None
    return ctx.finding(
        "fans_complain", "Fans mostly complain",
        f"{ctx.fmt('fan_voice_share.complaint')} of {n:,} sampled fan comments under {ctx.label}'s posts are "
        "complaints, more than praise, questions or anything else. Complaints in public comments are read by "
        "every other fan: answer them there, then fix what they are about (the recurring terms are in "
        "Talking with fans).",
        [(f"{voice} comments", ctx.fmt(f"fan_voice_share.{voice}")) for voice in VOICE_CLASSES]
        + [("fan comments", f"{n:,}")],
        f"complaints the largest class of fan comments (at least {MIN_COMMENTS} fan comments)",
    )


def exemplar_gap(ctx: _Context, card: pd.DataFrame) -> Finding | None:
    mine = card[(card["acct"] == ctx.acct) & (card["shortfall"] >= GAP_MIN_SHORTFALL)]
    mine = mine.sort_values("shortfall", ascending=False).head(GAPS_SHOWN)
    if mine.empty:
        return None
    parts, numbers = [], []
    for _, row in mine.iterrows():
        parts.append(f"{row['name'].lower()} ({format_value(row['metric'], row['own'])} vs "
                     f"{format_value(row['metric'], row['best'])} at {row['best_label']})")
        numbers.append((row["name"], f"{format_value(row['metric'], row['own'])} → "
                                     f"{format_value(row['metric'], row['best'])}"))
    return ctx.finding(
        "exemplar_gap", "Largest gaps to the best exemplar",
        f"Where {ctx.label} lags the best-run accounts most: " + "; ".join(parts) + ". The report's sections "
        "show how the exemplars do it.",
        numbers, f"the {GAPS_SHOWN} largest shortfalls of at least {GAP_MIN_SHORTFALL:.0%} of the exemplar's value",
        gaps=mine.to_dict("records"),
    )


# -- scorecard ----------------------------------------------------------------------------------------
def scorecard(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per own account and key metric: own value, peer median, best exemplar, gap and relative shortfall.

    Peers and exemplars come from the own account's platform; when it has no exemplar, exemplars on other
    platforms are used and `exemplar_platform` says so.
    """
    values, ns = wide(metrics), wide(metrics, "n")
    info = metrics.drop_duplicates("acct").set_index("acct")[["platform", "label", "role"]]
    rows = []
    for acct in info.index[info["role"] == "own"]:
        platform = info.at[acct, "platform"]
        peers = info.index[(info["role"] == "peer") & (info["platform"] == platform)]
        exemplars = info.index[(info["role"] == "exemplar") & (info["platform"] == platform)]
        if not len(exemplars):
            exemplars = info.index[info["role"] == "exemplar"]
        for metric, direction, name in KEY_METRICS:
            best_acct = _best(values, exemplars, metric, direction)
            own = values.at[acct, metric]
            best = values.at[best_acct, metric] if best_acct is not None else np.nan
            rows.append({
                "acct": acct, "platform": platform, "label": info.at[acct, "label"], "metric": metric,
                "name": name, "direction": direction, "own": own, "own_n": int(ns.at[acct, metric]),
                "peer_median": values.loc[peers, metric].median() if len(peers) else np.nan,
                "peers": int(values.loc[peers, metric].notna().sum()) if len(peers) else 0,
                "best_label": info.at[best_acct, "label"] if best_acct is not None else "",
                "exemplar_platform": info.at[best_acct, "platform"] if best_acct is not None else "",
                "best": best, "gap": own - best, "shortfall": _shortfall(own, best, direction),
            })
    columns = ["acct", "platform", "label", "metric", "name", "direction", "own", "own_n", "peer_median",
               "peers", "best_label", "exemplar_platform", "best", "gap", "shortfall"]
    return pd.DataFrame(rows, columns=columns)


def _best(values: pd.DataFrame, candidates: pd.Index, metric: str, direction: int) -> int | None:
    """The exemplar best on this metric; for neutral metrics the one with the highest median ER."""
    key = metric if direction else "er_median"
    scored = values.loc[candidates, key].dropna()
    if scored.empty:
        return None
    return int(scored.idxmin() if direction < 0 else scored.idxmax())


def _shortfall(own: float, best: float, direction: int) -> float:
    """How far own lags, relative to the better value (0 when own is as good or better, or not comparable)."""
    if not direction or np.isnan(own) or np.isnan(best):
        return np.nan
    if direction > 0:
        return (best - own) / best if best > 0 and best > own else 0.0
    return (own - best) / own if own > 0 and own > best else 0.0
