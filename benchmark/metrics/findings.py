"""Findings: the rules of METRICS.md over the metrics table, each with its numbers and threshold, worded
for a marketer; and the scorecard (own vs peer median vs best exemplar).

Thresholds come from the config's `[thresholds]` (benchmark.config.DEFAULT_THRESHOLDS). Titles, sentences,
number labels and thresholds are in the current language (benchmark.i18n.use_language): gettext messages
with named placeholders, numbers formatted for the language before they are placed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from benchmark.i18n import _, format_count, format_number, format_percent
from benchmark.items import POST_FORMATS
from benchmark.metrics.catalog import (
    KEY_METRICS,
    PURPOSE_LABELS,
    REPLY_PLATFORMS,
    RESPONSE_BUCKETS,
    VOICE_CLASSES,
    format_share,
    format_value,
    metric_label,
    term,
)
from benchmark.metrics.compute import wide
from benchmark.metrics.specs import ROLE_ORDER

RESPONSE_TIME_MAX_H = 24.0  # used when the config has no `response_time_max_h` threshold
MIN_COMMENTS = 10  # comment findings need at least this many sampled fan comments (as MIN_N posts elsewhere)
GAP_MIN_SHORTFALL = 0.10  # gaps smaller than 10 % of the exemplar's value are not worth a finding
GAPS_SHOWN = 3


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
        "hollow_followers", _("Followers look inflated"),
        _("{label} has {followers} followers, at or above the {platform} panel's median of {median}, yet its "
          "posts earn only {share} of the engagement rate of the other accounts. Far less interaction than the "
          "follower count predicts: bought or long-inactive followers are the usual cause.").format(
            label=ctx.label, followers=ctx.fmt("followers"), platform=term("platform", ctx.platform),
            median=format_value("followers", median_f), share=format_share(ctx.v("er_vs_panel"))),
        [(_("followers"), ctx.fmt("followers")), (_("panel median followers"), format_value("followers", median_f)),
         (_("median ER"), ctx.fmt("er_median")), (_("ER vs panel"), ctx.fmt("er_vs_panel"))],
        _("ER vs panel < {limit} and followers ≥ the panel's median").format(limit=f"{limit:g}"),
    )


def sales_floor(ctx: _Context) -> Finding | None:
    limit = ctx.t.get("sales_floor_share", 0.30)
    share = ctx.v("purpose_share.sales")
    if not share >= limit:
        return None
    others = [(_purpose_posts(label), ctx.fmt(f"purpose_share.{label}")) for label in PURPOSE_LABELS
              if label != "sales"]
    return ctx.finding(
        "sales_floor", _("The account reads like a sales floor"),
        _("{share} of {label}'s original posts sell (prices, coupons, shop links), so brand stories, "
          "conversation and customer service get crowded out. Followers came for the brand, not for a "
          "catalogue.").format(share=ctx.fmt("purpose_share.sales"), label=ctx.label),
        [(_purpose_posts("sales"), ctx.fmt("purpose_share.sales")), *others,
         (_("original posts"), format_count(ctx.n("purpose_share.sales")))],
        _("share of sales posts ≥ {limit}").format(limit=format_percent(limit)),
    )


def _purpose_posts(label: str) -> str:
    return _("{purpose} posts").format(purpose=term("purpose", label))


def self_indulgent(ctx: _Context) -> Finding | None:
    fan_limit = ctx.t.get("self_indulgent_fan_repost_share", 0.02)
    reply_limit = ctx.t.get("self_indulgent_replies_share", 0.02)
    fan = ctx.v("fan_repost_share")
    if not fan < fan_limit:
        return None
    numbers = [(_("fan reposts per post"), ctx.fmt("fan_repost_share")),
               (_("posts"), format_count(ctx.n("fan_repost_share")))]
    platform = term("platform", ctx.platform)
    if ctx.platform in REPLY_PLATFORMS:
        replies = ctx.v("replies_to_others_share")
        if not replies < reply_limit:
            return None
        numbers.insert(1, (_("replies to others per post"), ctx.fmt("replies_to_others_share")))
        scope = _("it almost never reposts its fans or replies to anyone.")
        threshold = _("fan reposts per post < {fan_limit} and replies to others per post < {reply_limit}").format(
            fan_limit=format_percent(fan_limit), reply_limit=format_percent(reply_limit))
    else:
        scope = _("it almost never reposts its fans ({platform} has no replies as posts, so this test uses fan "
                  "reposts alone).").format(platform=platform)
        threshold = _("fan reposts per post < {fan_limit} (fan reposts alone on {platform})").format(
            fan_limit=format_percent(fan_limit), platform=platform)
    ratio = ctx.v("broadcast_ratio")
    numbers.append((_("broadcast ratio"), _("never talks to fans") if np.isnan(ratio)
                    else _("{ratio} : 1").format(ratio=format_number(ratio, digits=1))))
    return ctx.finding(
        "self_indulgent", _("Talks at fans, not with them"),
        _("{label} broadcasts: {scope} Smartisan (锤子科技) became the textbook counter-example by reposting and "
          "answering its users: that turns followers into advocates.").format(label=ctx.label, scope=scope),
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
    format_name = term("format", top_format)
    return ctx.finding(
        "thin_content", _("Thin content: one format dominates"),
        _("{label}'s original posts are {share} {format}, with a format diversity of {diversity} (0 = one "
          "format only, 1 = all nine formats equally). Mixing in video, images, polls or live formats gives fans "
          "more reasons to stop and interact.").format(
            label=ctx.label, share=format_percent(top_share), format=format_name,
            diversity=format_number(diversity, digits=2)),
        [(_("format diversity"), format_number(diversity, digits=2)),
         (_("{format} share").format(format=format_name), format_value(f"format_share.{top_format}", top_share)),
         (_("original posts"), format_count(ctx.n("format_diversity")))],
        _("format diversity < {diversity} or one format ≥ {share}").format(
            diversity=f"{diversity_limit:g}", share=format_percent(single_limit)),
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
    what = _("rarely answers") if absent else _("answers slowly")
    names = {"0-2h": _("answered 0–2h"), "2-8h": _("answered 2–8h"), "8-24h": _("answered 8–24h"),
             "over-24h": _("answered after 24h")}
    buckets = [(names.get(bucket, bucket), ctx.fmt(f"answered_share.{bucket}"))
               for bucket, _low, _high in RESPONSE_BUCKETS]
    return ctx.finding(
        "slow_answers", _("Fans' comments go unanswered ({what})").format(what=what),
        (_("{label} answered {rate} of {count} sampled fan comments; the median first answer came after {hours}. "
           "Unanswered questions are public: every other reader sees them.") if not np.isnan(hours) else
         _("{label} answered {rate} of {count} sampled fan comments. Unanswered questions are public: every "
           "other reader sees them.")).format(
            label=ctx.label, rate=ctx.fmt("comment_reply_rate"), count=format_count(ctx.n("comment_reply_rate")),
            hours=ctx.fmt("response_time_median_h")),
        [(_("fan comments answered"), ctx.fmt("comment_reply_rate")),
         (_("median time to answer"), ctx.fmt("response_time_median_h")), *buckets,
         (_("fan comments sampled"), format_count(ctx.n("comment_reply_rate")))],
        _("answered < {rate} or median answer time > {hours} h (at least {minimum} sampled fan comments)").format(
            rate=format_percent(rate_limit), hours=f"{hours_limit:g}", minimum=MIN_COMMENTS),
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
        "fans_complain", _("Fans mostly complain"),
        _("{share} of {count} sampled fan comments under {label}'s posts are complaints, more than praise, "
          "questions or anything else. Complaints in public comments are read by every other fan: answer them "
          "there, then fix what they are about (the recurring terms are in Talking with fans).").format(
            share=ctx.fmt("fan_voice_share.complaint"), count=format_count(n), label=ctx.label),
        [(_("{voice} comments").format(voice=term("voice", voice)), ctx.fmt(f"fan_voice_share.{voice}"))
         for voice in VOICE_CLASSES]
        + [(_("fan comments"), format_count(n))],
        _("complaints the largest class of fan comments (at least {minimum} fan comments)").format(
            minimum=MIN_COMMENTS),
    )


def exemplar_gap(ctx: _Context, card: pd.DataFrame) -> Finding | None:
    mine = card[(card["acct"] == ctx.acct) & (card["shortfall"] >= GAP_MIN_SHORTFALL)]
    mine = mine.sort_values("shortfall", ascending=False).head(GAPS_SHOWN)
    if mine.empty:
        return None
    parts, numbers = [], []
    for _index, row in mine.iterrows():
        own, best = format_value(row["metric"], row["own"]), format_value(row["metric"], row["best"])
        parts.append(_("{metric} ({own} vs {best} at {exemplar})").format(
            metric=metric_label(row["metric"]).lower(), own=own, best=best, exemplar=row["best_label"]))
        numbers.append((metric_label(row["metric"]), f"{own} → {best}"))
    return ctx.finding(
        "exemplar_gap", _("Largest gaps to the best exemplar"),
        _("Where {label} lags the best-run accounts most: {gaps}. The report's sections show how the exemplars "
          "do it.").format(label=ctx.label, gaps=_("; ").join(parts)),
        numbers, _("the {count} largest shortfalls of at least {share} of the exemplar's value").format(
            count=GAPS_SHOWN, share=format_percent(GAP_MIN_SHORTFALL)),
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
        # The rows of peers and exemplars selected once per account, not once per metric (3 scorecards a report).
        peer_values, exemplar_values = values.loc[peers], values.loc[exemplars]
        for metric, direction, _name in KEY_METRICS:
            best_acct = _best(exemplar_values, metric, direction)
            own = values.at[acct, metric]
            best = values.at[best_acct, metric] if best_acct is not None else np.nan
            rows.append({
                "acct": acct, "platform": platform, "label": info.at[acct, "label"], "metric": metric,
                "name": metric_label(metric), "direction": direction, "own": own, "own_n": int(ns.at[acct, metric]),
                "peer_median": peer_values[metric].median() if len(peers) else np.nan,
                "peers": int(peer_values[metric].notna().sum()) if len(peers) else 0,
                "best_label": info.at[best_acct, "label"] if best_acct is not None else "",
                "exemplar_platform": info.at[best_acct, "platform"] if best_acct is not None else "",
                "best": best, "gap": own - best, "shortfall": _shortfall(own, best, direction),
            })
    columns = ["acct", "platform", "label", "metric", "name", "direction", "own", "own_n", "peer_median",
               "peers", "best_label", "exemplar_platform", "best", "gap", "shortfall"]
    return pd.DataFrame(rows, columns=columns)


def _best(candidates: pd.DataFrame, metric: str, direction: int) -> int | None:
    """The exemplar (a row of `candidates`, the wide metrics of the exemplars) best on this metric; for neutral
    metrics the one with the highest median ER."""
    key = metric if direction else "er_median"
    scored = candidates[key].dropna()
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
