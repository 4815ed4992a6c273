"""Recommendations (issue #9): per own account, the metrics on which the best exemplar does clearly better,
ranked by the relative gap, each with a sentence and example posts of the exemplar.

Which metrics a recommendation may rest on, which way is better and which are platform-bound come from the
MetricSpec registry (benchmark.metrics.specs: `recommend`, `platform_bound`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from benchmark.items import POST_FORMATS
from benchmark.metrics.catalog import format_value
from benchmark.metrics.specs import PLATFORM_BOUND, RECOMMENDATION_METRICS
from benchmark.metrics.stats import MIN_N

# The metrics a recommendation may rest on, and which way is better. Each is a behaviour an account can
# change (not an outcome of size such as followers); ranked by the relative gap to the best exemplar.
# Each is a behaviour an account can change (not an outcome of size such as followers); ranked by the relative
# gap to the best exemplar. Spec order is the documented tie order.
HIGHER_IS_BETTER: tuple[str, ...] = tuple(m for m, direction in RECOMMENDATION_METRICS.items() if direction > 0)
LOWER_IS_BETTER: tuple[str, ...] = tuple(m for m, direction in RECOMMENDATION_METRICS.items() if direction < 0)
# Scales that differ between platforms (PLATFORM_BOUND): compared only with exemplars on the own platform.
MIN_RELATIVE_GAP = 0.10  # as findings.GAP_MIN_SHORTFALL: smaller gaps are not worth a recommendation
RARE_FORMAT_SHARE = 0.05  # a format the own account uses in under 5 % of its original posts
EXAMPLES = 3
_COUNT_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


@dataclass(frozen=True)
class Recommendation:
    """One gap between an own account and the best exemplar on a metric.

    gap = exemplar_value − own_value (metric units); relative_gap = the shortfall relative to the better
    value, (best − own)/best for higher-is-better metrics and (own − best)/own for lower-is-better ones,
    between 0 and 1: what the ranking uses.
    """

    metric: str
    own_value: float
    exemplar_label: str
    exemplar_value: float
    gap: float
    sentence: str
    example_post_ids: tuple[str, ...]
    relative_gap: float = math.nan
    own_label: str = ""
    platform: str = ""
    exemplar_platform: str = ""


def relative_gap(own: float, best: float, direction: int) -> float:
    """How far own lags the exemplar, relative to the better value; 0 when own is as good; NaN if unknown."""
    if np.isnan(own) or np.isnan(best):
        return math.nan
    if direction > 0:
        return (best - own) / best if best > own and best > 0 else 0.0
    return (own - best) / own if own > best and own > 0 else 0.0


def recommendations(metrics: pd.DataFrame, posts: pd.DataFrame, *, top: int = 5, min_n: int = MIN_N,
                    min_gap: float = MIN_RELATIVE_GAP, examples: int = EXAMPLES) -> list[Recommendation]:
    """Up to `top` recommendations per own account, largest relative gap first (own accounts in the order
    of the metrics table). For each metric of RECOMMENDATION_METRICS the best exemplar is the one with the
    best value resting on at least `min_n` posts (same platform first; any platform for metrics not in
    PLATFORM_BOUND when the platform has no exemplar). Gaps below `min_gap`, or where the own value rests
    on fewer than `min_n` posts, are skipped. Each carries up to `examples` of the exemplar's posts that
    show the behaviour (ids from `posts`)."""
    keys = [k for k in ("acct",) if k in metrics.columns] or ["platform", "account_id"]
    if metrics.empty or not (metrics["role"] == "own").any():
        return []
    info = metrics.drop_duplicates(keys).set_index(keys, drop=False)[["platform", "account_id", "label", "role"]]
    table = (metrics.drop_duplicates([*keys, "metric"], keep="last").set_index([*keys, "metric"])[["value", "n"]]
             .astype("float64").unstack("metric"))
    values, ns = table["value"], table["n"]
    out: list[Recommendation] = []
    seen: dict[Any, Any] = {}  # an exemplar's posts and example ids, selected once (a scan of all posts each)
    for own_key in info.index[info["role"] == "own"]:
        found = []
        for metric, direction in RECOMMENDATION_METRICS.items():
            rec = _recommendation(metric, direction, own_key, info, values, ns, metrics, posts, keys,
                                  min_n=min_n, min_gap=min_gap, examples=examples, seen=seen)
            if rec is not None:
                found.append(rec)
        found.sort(key=lambda r: -r.relative_gap)  # stable: ties keep the documented metric order
        out.extend(found[:top])
    return out


def _recommendation(metric: str, direction: int, own_key: Any, info: pd.DataFrame, values: pd.DataFrame,
                    ns: pd.DataFrame, metrics: pd.DataFrame, posts: pd.DataFrame, keys: list[str], *,
                    min_n: int, min_gap: float, examples: int,
                    seen: dict[Any, Any] | None = None) -> Recommendation | None:
    if metric not in values.columns:
        return None
    own_value, own_n = float(values.at[own_key, metric]), ns.at[own_key, metric]
    if np.isnan(own_value) or not own_n >= min_n:
        return None
    best_key = _best_exemplar(metric, direction, own_key, info, values, ns, min_n)
    if best_key is None:
        return None
    best = float(values.at[best_key, metric])
    gap_share = relative_gap(own_value, best, direction)
    if not gap_share >= min_gap:
        return None
    own_row, best_row = info.loc[own_key], info.loc[best_key]
    seen = {} if seen is None else seen
    if best_key not in seen:
        seen[best_key] = _posts_of(posts, best_row, best_key, keys)
    ex_posts = seen[best_key]
    rare = _rare_formats(values, own_key) if metric == "format_diversity" else ()
    memo = ("ids", best_key, metric, rare, examples)  # own accounts sharing an exemplar share its examples
    if memo not in seen:
        seen[memo] = _example_ids(metric, ex_posts, rare, examples)
    ids = seen[memo]
    sentence = _sentence(metric, str(best_row["label"]), best, own_value, rare, values, own_key, len(ids))
    return Recommendation(metric=metric, own_value=own_value, exemplar_label=str(best_row["label"]),
                          exemplar_value=best, gap=best - own_value, sentence=sentence,
                          example_post_ids=ids, relative_gap=gap_share, own_label=str(own_row["label"]),
                          platform=str(own_row["platform"]), exemplar_platform=str(best_row["platform"]))


def _best_exemplar(metric: str, direction: int, own_key: Any, info: pd.DataFrame, values: pd.DataFrame,
                   ns: pd.DataFrame, min_n: int) -> Any:
    exemplars = info.index[info["role"] == "exemplar"]
    ok = [k for k in exemplars if not np.isnan(values.at[k, metric]) and ns.at[k, metric] >= min_n]
    platform = info.at[own_key, "platform"]
    same = [k for k in ok if info.at[k, "platform"] == platform]
    candidates = same or ([] if metric in PLATFORM_BOUND else ok)
    if not candidates:
        return None
    scores = [direction * float(values.at[k, metric]) for k in candidates]
    return candidates[int(np.argmax(scores))]


def _posts_of(posts: pd.DataFrame, row: pd.Series, key: Any, keys: list[str]) -> pd.DataFrame:
    if keys == ["acct"] and "acct" in posts.columns:
        return posts[posts["acct"] == key]
    if "account_id" in posts.columns and "platform" in posts.columns:
        return posts[(posts["platform"].astype(str) == str(row["platform"]))
                     & (posts["account_id"].astype(str) == str(row["account_id"]))]
    return posts.iloc[0:0]


def _rare_formats(values: pd.DataFrame, own_key: Any) -> tuple[str, ...]:
    shares = {f: values.at[own_key, f"format_share.{f}"] for f in POST_FORMATS
              if f"format_share.{f}" in values.columns}
    return tuple(f for f, share in shares.items() if np.isnan(share) or share < RARE_FORMAT_SHARE)


def _column(frame: pd.DataFrame, name: str, default: Any = False) -> pd.Series:
    return frame[name] if name in frame.columns else pd.Series(default, index=frame.index)


def _example_ids(metric: str, ex_posts: pd.DataFrame, rare_formats: tuple[str, ...], count: int) -> tuple[str, ...]:
    """The exemplar's posts that show the behaviour behind `metric`, best first."""
    if ex_posts.empty or "post_id" not in ex_posts.columns:
        return ()
    kind = _column(ex_posts, "kind", "").astype(str)
    original = kind == "original"
    fan = kind.isin(("repost", "quote")) & _column(ex_posts, "fan_repost").fillna(False).astype(bool)
    replies = _column(ex_posts, "reply_to_others").fillna(False).astype(bool)
    sort_by = "er"
    if metric == "fan_repost_share":
        mask = fan
    elif metric == "broadcast_ratio":
        mask = fan | replies
    elif metric == "replies_to_others_share":
        mask = replies
    elif metric == "format_diversity":
        mask = original & _column(ex_posts, "format", "").astype(str).isin(rare_formats)
    elif metric == "question_share":
        mask = original & _column(ex_posts, "has_question").fillna(False).astype(bool)
    elif metric == "purpose_share.sales":
        purpose = _column(ex_posts, "purpose", None)
        mask = original & purpose.notna() & (purpose.astype(str) != "sales")
    elif metric in ("er_median", "engagement_median", "conversation_ratio"):
        mask = pd.Series(True, index=ex_posts.index)
        sort_by = {"er_median": "er", "engagement_median": "engagement", "conversation_ratio": "comments"}[metric]
    else:
        return ()  # comment metrics: the evidence is in comments, not posts
    chosen = ex_posts[mask.to_numpy()]
    if sort_by in chosen.columns:
        chosen = chosen.sort_values([sort_by, "post_id"], ascending=[False, True], na_position="last")
    else:
        chosen = chosen.sort_values("post_id")
    return tuple(str(p) for p in chosen["post_id"].head(count))


def _sentence(metric: str, exemplar: str, best: float, own: float, rare: tuple[str, ...], values: pd.DataFrame,
              own_key: Any, n_examples: int) -> str:
    ex, you = format_value(metric, best), format_value(metric, own)
    statements = {
        "fan_repost_share": (f"{exemplar} reposts fans in {ex} of its posts; you do in {you}", "fan reposts"),
        "replies_to_others_share": (f"{exemplar} replies to other people in {ex} of its posts; you do in {you}",
                                    "replies"),
        "er_median": (f"{exemplar}'s median post earns an engagement rate of {ex}; yours earns {you}",
                      "posts with the highest engagement rate"),
        "engagement_median": (f"{exemplar}'s median post gets {ex} engagements; yours gets {you}",
                              "most engaging posts"),
        "format_diversity": (f"{exemplar} mixes formats (diversity {ex}); yours is {you}"
                             + (f", mostly {_top_format(values, own_key)}" if _top_format(values, own_key) else ""),
                             "posts in formats you rarely use" + (f" ({', '.join(rare)})" if rare else "")),
        "question_share": (f"{exemplar} asks its audience a question in {ex} of its original posts; you do in {you}",
                           "questions"),
        "comment_reply_rate": (f"{exemplar} answers {ex} of fans' comments; you answer {you}", ""),
        "conversation_ratio": (f"{exemplar} gets {ex} comments per like; you get {you}",
                               "most commented posts"),
        "purpose_share.sales": (f"Only {ex} of {exemplar}'s original posts sell; {you} of yours do",
                                "best posts that do not sell"),
        "broadcast_ratio": (f"{exemplar} posts {ex} originals per fan repost or reply; you post {you}",
                            "fan reposts and replies"),
        "response_time_median_h": (f"{exemplar} answers fans' comments in {ex} (median); you take {you}", ""),
    }
    statement, noun = statements[metric]
    if not n_examples or not noun:
        return statement + "."
    word = _COUNT_WORDS.get(n_examples, str(n_examples))
    return f"{statement}; here {'is' if n_examples == 1 else 'are'} {word} of {exemplar}'s {noun}."


def _top_format(values: pd.DataFrame, own_key: Any) -> str:
    shares = {f: values.at[own_key, f"format_share.{f}"] for f in POST_FORMATS
              if f"format_share.{f}" in values.columns}
    shares = {f: s for f, s in shares.items() if not np.isnan(s)}
    if not shares:
        return ""
    fmt = max(shares, key=lambda f: shares[f])
    return f"{fmt} ({shares[fmt] * 100:.0f} %)"


