"""The report sections built on benchmark/metrics/stats.py (issue #9) that need no flag: ranked
recommendations with the exemplar's example posts, Mann-Whitney tests of per-post ER (own vs each peer and
exemplar), follower growth from the snapshots, breakout posts; and the sheets of report.xlsx.

Each `*_view` function turns a stats table into plain dicts for the template (strings are escaped there,
links pass through `safe_href`). Tables for the exports keep the numbers unformatted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from benchmark.metrics import stats
from benchmark.metrics.catalog import KEY_METRICS, format_value
from benchmark.metrics.compute import wide

BREAKOUT_SD = 3.0
BREAKOUTS_SHOWN = 3  # per account in the HTML; every breakout is in report.xlsx
KEY_NAMES = {metric: name for metric, _direction, name in KEY_METRICS}
EXTRA_NAMES = {
    "question_share": "Original posts asking a question",
    "response_time_median_h": "Median time to answer a fan",
    "broadcast_ratio": "Originals per fan repost or reply",
    "purpose_share.sales": "Share of sales posts",
}


def metric_name(metric: str) -> str:
    """The marketer's name of a metric (the scorecard's), else its id in words."""
    return KEY_NAMES.get(metric) or EXTRA_NAMES.get(metric) or metric.replace("_", " ").replace(".", ": ")


def _posts_by_id(posts: pd.DataFrame, platform: str, ids: Sequence[str]) -> pd.DataFrame:
    if not ids:
        return posts.iloc[0:0]
    mine = posts[(posts["platform"].astype(str) == platform) & posts["post_id"].astype(str).isin(list(ids))]
    order = {post_id: i for i, post_id in enumerate(ids)}
    return mine.assign(_order=mine["post_id"].astype(str).map(order)).sort_values("_order")


# -- recommendations -----------------------------------------------------------------------------------
COMMENT_METRICS = ("comment_reply_rate", "response_time_median_h")
ANSWER_EXAMPLES = 3


def recommendation_groups(found: list[stats.Recommendation], posts: pd.DataFrame, accounts: pd.DataFrame,
                          post_view: Any, answers: dict[tuple[str, str], list[dict]] | None = None,
                          ) -> list[dict[str, Any]]:
    """Per own account (in report order), its recommendations (`stats.recommendations`) ranked by the
    relative gap to the best exemplar, each with the exemplar's example posts (`post_view`), or, for the
    comment metrics, the exemplar's answers to fans (`answers`: (platform, label) → answers)."""
    displays = {(a["platform"], str(a["label"])): a["display"] for _, a in accounts.iterrows()}
    groups: dict[str, dict[str, Any]] = {}
    for rank_in_account, rec in _ranked(found):
        title = displays.get((rec.platform, rec.own_label), rec.own_label)
        group = groups.setdefault(title, {"title": title, "recs": []})
        examples = _posts_by_id(posts, rec.exemplar_platform, rec.example_post_ids)
        group["recs"].append({
            "rank": rank_in_account, "metric": rec.metric, "name": metric_name(rec.metric),
            "own": format_value(rec.metric, rec.own_value), "best": format_value(rec.metric, rec.exemplar_value),
            "exemplar": rec.exemplar_label,
            "other_platform": rec.exemplar_platform != rec.platform, "exemplar_platform": rec.exemplar_platform,
            "gap_share": f"{rec.relative_gap * 100:.0f} %", "sentence": rec.sentence,
            "examples": [post_view(p) for _, p in examples.iterrows()],
            "answers": ((answers or {}).get((rec.exemplar_platform, rec.exemplar_label), [])[:ANSWER_EXAMPLES]
                        if rec.metric in COMMENT_METRICS else []),
        })
    order = [a["display"] for _, a in accounts[accounts["role"] == "own"].iterrows()]
    return sorted(groups.values(), key=lambda g: order.index(g["title"]) if g["title"] in order else len(order))


def _ranked(found: list[stats.Recommendation]) -> list[tuple[int, stats.Recommendation]]:
    counters: dict[tuple[str, str], int] = {}
    out = []
    for rec in found:
        key = (rec.platform, rec.own_label)
        counters[key] = counters.get(key, 0) + 1
        out.append((counters[key], rec))
    return out


def recommendations_table(found: list[stats.Recommendation]) -> pd.DataFrame:
    """The recommendations as rows for report.xlsx."""
    rows = [{"own account": r.own_label, "platform": r.platform, "rank": rank, "metric": r.metric,
             "own value": r.own_value, "best exemplar": r.exemplar_label, "exemplar platform": r.exemplar_platform,
             "exemplar value": r.exemplar_value, "relative gap": r.relative_gap, "recommendation": r.sentence,
             "example posts": " ".join(r.example_post_ids)}
            for rank, r in _ranked(found)]
    return pd.DataFrame(rows, columns=["own account", "platform", "rank", "metric", "own value", "best exemplar",
                                       "exemplar platform", "exemplar value", "relative gap", "recommendation",
                                       "example posts"])


# -- is the difference real? (Mann-Whitney U of per-post ER) -------------------------------------------
VERDICT_WORDS = {"higher": "own higher", "lower": "own lower", "no clear difference": "no clear difference",
                 stats.TOO_FEW: stats.TOO_FEW}


def er_tests(posts: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """stats.er_comparisons of the period's posts (own vs each peer and exemplar)."""
    info = accounts[["acct", "platform", "label", "role"]]
    return stats.er_comparisons(posts[["acct", "er"]], info)


def er_test_groups(tests: pd.DataFrame, accounts: pd.DataFrame) -> list[dict[str, Any]]:
    """Per own account, one row per counterpart: medians, n, the chance that a random own post beats a
    random post of the other account, p-value and verdict."""
    groups = []
    for own, rows in tests.groupby("own_acct", sort=False):
        items = []
        for _, r in rows.iterrows():
            cl = r["common_language"]
            items.append({
                "other": accounts.at[r["other_acct"], "display"], "role": r["other_role"],
                "own_median": format_value("er_median", r["own_median"]),
                "other_median": format_value("er_median", r["other_median"]),
                "n_own": int(r["n_own"]), "n_other": int(r["n_other"]),
                "beats": "—" if cl is None or cl != cl else f"{cl * 100:.0f} %",
                "p": _p_text(r["p_value"]), "verdict": VERDICT_WORDS.get(r["verdict"], r["verdict"]),
                "cls": {"higher": "better", "lower": "worse"}.get(r["verdict"], ""),
                "too_few": r["verdict"] == stats.TOO_FEW,
            })
        groups.append({"title": accounts.at[own, "display"], "rows": items})
    return groups


def _p_text(p: Any) -> str:
    if p is None or p != p:
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def er_tests_table(tests: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    out = tests.copy()
    for side in ("own", "other"):
        out.insert(0, f"{side} account_id", accounts["account_id"].reindex(out[f"{side}_acct"]).to_numpy())
    return out.drop(columns=["own_acct", "other_acct"])


# -- follower growth -----------------------------------------------------------------------------------
def growth_table(snapshots: pd.DataFrame, bounds: tuple[Any, Any], accounts: pd.DataFrame) -> pd.DataFrame:
    """stats.follower_growth per account over the period's snapshots (a row, with a note, for every account)."""
    return stats.follower_growth(snapshots[["acct", "crawled_at", "followers"]], *bounds,
                                 accounts=accounts[["acct"]])


def growth_rows(growth: pd.DataFrame, accounts: pd.DataFrame) -> dict[str, Any]:
    """Rows for the accounts with at least one snapshot in the period, and each note with the accounts it
    applies to (one line for "no snapshot in the period" instead of a row of dashes per account)."""
    by_acct = growth.set_index("acct")
    rows, notes = [], {}
    for acct, a in accounts.iterrows():
        if acct not in by_acct.index:
            continue
        g = by_acct.loc[acct]
        if g["note"]:
            notes.setdefault(g["note"], []).append(a["display"])
        if not g["snapshots"]:
            continue
        rows.append({
            "display": a["display"], "role": a["role"], "snapshots": int(g["snapshots"]),
            "first": _day(g["first_at"]), "last": _day(g["last_at"]),
            "first_followers": format_value("followers", g["first_followers"]),
            "last_followers": format_value("followers", g["last_followers"]),
            "absolute": _signed(g["absolute"]), "relative": _percent(g["relative"], 1),
            "weekly": _percent(g["weekly_rate"], 2),
            "note": g["note"] or "",
        })
    return {"rows": rows, "notes": [{"note": note, "accounts": names} for note, names in notes.items()]}


def _day(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _percent(value: float, digits: int) -> str:
    return "—" if value != value else f"{value * 100:+.{digits}f} %"


def _signed(value: float) -> str:
    return "—" if value != value else f"{value:+,.0f}"


# -- breakout posts ------------------------------------------------------------------------------------
def breakouts(posts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(breakout posts, per-account summary): posts whose ER is more than 3 SD above their account's mean."""
    columns = [c for c in ("acct", "platform", "post_id", "created_local", "kind", "format", "url", "text", "er",
                           "engagement") if c in posts.columns]
    frame = posts[columns]
    return (stats.breakout_posts(frame, sd=BREAKOUT_SD), stats.breakout_accounts(frame, sd=BREAKOUT_SD))


def breakout_groups(hits: pd.DataFrame, summary: pd.DataFrame, accounts: pd.DataFrame,
                    post_view: Any) -> list[dict[str, Any]]:
    by_acct = summary.set_index("acct")
    groups = []
    for acct, a in accounts.iterrows():
        if acct not in by_acct.index:
            continue
        s = by_acct.loc[acct]
        mine = hits[hits["acct"] == acct].head(BREAKOUTS_SHOWN)
        posts = []
        for _, p in mine.iterrows():
            view = post_view(p)
            view["z"] = f"{p['z']:.1f}"
            posts.append(view)
        groups.append({
            "display": a["display"], "role": a["role"], "n": int(s["n_posts"]),
            "mean": format_value("er_median", s["mean"]), "threshold": format_value("er_median", s["threshold"]),
            "breakouts": int(s["breakouts"]), "note": s["note"], "posts": posts,
            "more": max(0, int(s["breakouts"]) - len(posts)),
        })
    return groups


# -- report.xlsx -----------------------------------------------------------------------------------------
def metrics_wide(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per account, one column per metric (values; undefined stays empty)."""
    info = metrics.drop_duplicates("acct").set_index("acct")[["platform", "account_id", "label", "role"]]
    values = wide(metrics)
    values.columns = list(values.columns)
    return info.join(values).reset_index(drop=True)


def scorecard_table(card: pd.DataFrame) -> pd.DataFrame:
    out = card.drop(columns=["acct", "direction"]).rename(columns={
        "label": "own account", "own_n": "own n", "peer_median": "peer median", "best_label": "best exemplar",
        "exemplar_platform": "exemplar platform", "best": "best value", "shortfall": "relative shortfall"})
    return out


__all__ = [
    "breakout_groups", "breakouts", "er_test_groups", "er_tests", "er_tests_table", "growth_rows", "growth_table",
    "metric_name", "metrics_wide", "recommendation_groups", "recommendations_table", "scorecard_table",
]
