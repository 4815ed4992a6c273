"""The report sections built on benchmark/metrics/stats.py (issue #9) that need no flag: ranked
recommendations with the exemplar's example posts, Mann-Whitney tests of per-post ER (own vs each peer and
exemplar), follower growth from the snapshots, breakout posts; and the sheets of report.xlsx.

Each `*_view` function turns a stats table into plain dicts for the template (strings are escaped there,
links pass through `safe_href`). Tables for the exports keep the numbers unformatted. Every text is in the
current language (benchmark.i18n.use_language): stats.py words its sentences, verdicts and notes in English
for the data; they are worded again here from the same numbers, through gettext.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from benchmark.i18n import _, format_count, format_number, ngettext
from benchmark.items import POST_FORMATS
from benchmark.metrics import recommend, stats
from benchmark.metrics.catalog import format_value, metric_label, term
from benchmark.metrics.compute import wide

BREAKOUT_SD = 3.0
BREAKOUT_MIN_ENGAGEMENT = 10  # a breakout needs this many engagements, however many SDs out it is
BREAKOUTS_SHOWN = 3  # per account in the HTML; every breakout is in report.xlsx


def metric_name(metric: str) -> str:
    """The marketer's name of a metric in the current language (catalog.metric_label)."""
    return metric_label(metric)


def _posts_by_id(posts: pd.DataFrame, platform: str, ids: Sequence[str]) -> pd.DataFrame:
    if not ids:
        return posts.iloc[0:0]
    mine = posts[(posts["platform"].astype(str) == platform) & posts["post_id"].astype(str).isin(list(ids))]
    order = {post_id: i for i, post_id in enumerate(ids)}
    return mine.assign(_order=mine["post_id"].astype(str).map(order)).sort_values("_order")


# -- recommendations -----------------------------------------------------------------------------------
COMMENT_METRICS = ("comment_reply_rate", "response_time_median_h")
ANSWER_EXAMPLES = 3


def recommendation_groups(found: list[recommend.Recommendation], posts: pd.DataFrame, accounts: pd.DataFrame,
                          post_view: Any, answers: dict[tuple[str, str], list[dict]] | None = None,
                          values: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """Per own account (in report order), its recommendations (`recommend.recommendations`) ranked by the
    relative gap to the best exemplar, each with the exemplar's example posts (`post_view`), or, for the
    comment metrics, the exemplar's answers to fans (`answers`: (platform, label) → answers). `values` (the
    wide metrics by acct) names the own account's main format in a format recommendation."""
    displays = {(a["platform"], str(a["label"])): a["display"] for _i, a in accounts.iterrows()}
    groups: dict[str, dict[str, Any]] = {}
    # One pass over all posts for every example id (_posts_by_id scans what it is given, once per
    # recommendation: 40 scans of a million posts); the same rows in the same order.
    wanted = {str(post_id) for rec in found for post_id in rec.example_post_ids}
    posts = posts[posts["post_id"].astype(str).isin(wanted)] if wanted else posts.iloc[0:0]
    for rank_in_account, rec in _ranked(found):
        title = displays.get((rec.platform, rec.own_label), rec.own_label)
        group = groups.setdefault(title, {"title": title, "recs": []})
        examples = _posts_by_id(posts, rec.exemplar_platform, rec.example_post_ids)
        group["recs"].append({
            "rank": rank_in_account, "metric": rec.metric, "name": metric_name(rec.metric),
            "own": format_value(rec.metric, rec.own_value), "best": format_value(rec.metric, rec.exemplar_value),
            "exemplar": rec.exemplar_label,
            "other_platform": rec.exemplar_platform != rec.platform, "exemplar_platform": rec.exemplar_platform,
            "gap_share": _("{value} %").format(value=format_number(rec.relative_gap * 100)),
            "sentence": recommendation_sentence(rec, _format_shares(rec, accounts, values)),
            "examples": [post_view(p) for _, p in examples.iterrows()],
            "answers": ((answers or {}).get((rec.exemplar_platform, rec.exemplar_label), [])[:ANSWER_EXAMPLES]
                        if rec.metric in COMMENT_METRICS else []),
        })
    order = [a["display"] for _i, a in accounts[accounts["role"] == "own"].iterrows()]
    return sorted(groups.values(), key=lambda g: order.index(g["title"]) if g["title"] in order else len(order))


def _format_shares(rec: recommend.Recommendation, accounts: pd.DataFrame | None,
                   values: pd.DataFrame | None) -> dict[str, float]:
    """The own account's format shares (format → share of its original posts), when known."""
    if values is None or accounts is None or rec.metric != "format_diversity":
        return {}
    mine = accounts[(accounts["platform"] == rec.platform) & (accounts["label"].astype(str) == rec.own_label)
                    & (accounts["role"] == "own")]
    if mine.empty or mine.index[0] not in values.index:
        return {}
    row = values.loc[mine.index[0]]
    return {f: float(row[f"format_share.{f}"]) for f in POST_FORMATS if f"format_share.{f}" in row.index}


def recommendation_sentence(rec: recommend.Recommendation, format_shares: dict[str, float] | None = None) -> str:
    """The recommendation in the current language: what the exemplar does against what you do, and what
    the example posts are (worded as recommend._sentence words it in English)."""
    metric, exemplar = rec.metric, rec.exemplar_label
    ex, you = format_value(metric, rec.exemplar_value), format_value(metric, rec.own_value)
    shares = {f: v for f, v in (format_shares or {}).items() if v == v}
    rare = [f for f in POST_FORMATS if f in (format_shares or {})
            and not shares.get(f, 0.0) >= recommend.RARE_FORMAT_SHARE]
    if metric == "format_diversity":
        statement = _("{exemplar} mixes formats (diversity {ex}); yours is {you}").format(
            exemplar=exemplar, ex=ex, you=you)
        if shares:
            top = max(shares, key=lambda f: shares[f])
            statement += _(", mostly {format} ({share})").format(
                format=term("format", top), share=_("{value} %").format(value=format_number(shares[top] * 100)))
        noun = _("posts in formats you rarely use")
        if rare:
            noun += _(" ({formats})").format(formats=_(", ").join(term("format", f) for f in rare))
    else:
        statement, noun = _statement(metric, exemplar, ex, you)
    count = len(rec.example_post_ids)
    if not count or not noun:
        return _("{statement}.").format(statement=statement)
    words = {1: _("one"), 2: _("two"), 3: _("three"), 4: _("four"), 5: _("five")}
    return ngettext("{statement}; here is {count} of {exemplar}'s {noun}.",
                    "{statement}; here are {count} of {exemplar}'s {noun}.", count).format(
        statement=statement, count=words.get(count, str(count)), exemplar=exemplar, noun=noun)


def _statement(metric: str, exemplar: str, ex: str, you: str) -> tuple[str, str]:
    """(what the exemplar does against you, what its example posts are) for a recommendation's metric."""
    statements = {
        "fan_repost_share": (_("{exemplar} reposts fans in {ex} of its posts; you do in {you}"), _("fan reposts")),
        "replies_to_others_share": (_("{exemplar} replies to other people in {ex} of its posts; you do in {you}"),
                                    _("replies")),
        "er_median": (_("{exemplar}'s median post earns an engagement rate of {ex}; yours earns {you}"),
                      _("posts with the highest engagement rate")),
        "engagement_median": (_("{exemplar}'s median post gets {ex} engagements; yours gets {you}"),
                              _("most engaging posts")),
        "question_share": (_("{exemplar} asks its audience a question in {ex} of its original posts; you do in "
                             "{you}"), _("questions")),
        "comment_reply_rate": (_("{exemplar} answers {ex} of fans' comments; you answer {you}"), ""),
        "conversation_ratio": (_("{exemplar} gets {ex} comments per like; you get {you}"), _("most commented posts")),
        "purpose_share.sales": (_("Only {ex} of {exemplar}'s original posts sell; {you} of yours do"),
                                _("best posts that do not sell")),
        "broadcast_ratio": (_("{exemplar} posts {ex} originals per fan repost or reply; you post {you}"),
                            _("fan reposts and replies")),
        "response_time_median_h": (_("{exemplar} answers fans' comments in {ex} (median); you take {you}"), ""),
    }
    message, noun = statements.get(metric, (_("{exemplar}: {ex}; you: {you}"), ""))
    return message.format(exemplar=exemplar, ex=ex, you=you), noun


def _ranked(found: list[recommend.Recommendation]) -> list[tuple[int, recommend.Recommendation]]:
    counters: dict[tuple[str, str], int] = {}
    out = []
    for rec in found:
        key = (rec.platform, rec.own_label)
        counters[key] = counters.get(key, 0) + 1
        out.append((counters[key], rec))
    return out


def recommendations_table(found: list[recommend.Recommendation], accounts: pd.DataFrame | None = None,
                          values: pd.DataFrame | None = None) -> pd.DataFrame:
    """The recommendations as rows for report.xlsx (headers and sentences in the current language; metric ids
    and numbers as they are)."""
    columns = [_("own account"), _("platform"), _("rank"), _("metric"), _("own value"), _("best exemplar"),
               _("exemplar platform"), _("exemplar value"), _("relative gap"), _("recommendation"),
               _("example posts")]
    rows = [dict(zip(columns, (r.own_label, r.platform, rank, r.metric, r.own_value, r.exemplar_label,
                               r.exemplar_platform, r.exemplar_value, r.relative_gap,
                               recommendation_sentence(r, _format_shares(r, accounts, values)),
                               " ".join(r.example_post_ids)), strict=True))
            for rank, r in _ranked(found)]
    return pd.DataFrame(rows, columns=columns)


# -- is the difference real? (Mann-Whitney U of per-post ER) -------------------------------------------
def verdict_words(verdict: str) -> str:
    """stats.compare_er's verdict codes in the current language."""
    return {"higher": _("own higher"), "lower": _("own lower"), "no clear difference": _("no clear difference"),
            stats.TOO_FEW: _("too few posts to tell")}.get(verdict, verdict)


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
        for _i, r in rows.iterrows():
            cl = r["common_language"]
            items.append({
                "other": accounts.at[r["other_acct"], "display"], "role": r["other_role"],
                "own_median": format_value("er_median", r["own_median"]),
                "other_median": format_value("er_median", r["other_median"]),
                "n_own": format_count(int(r["n_own"])), "n_other": format_count(int(r["n_other"])),
                "beats": "—" if cl is None or cl != cl else _("{value} %").format(value=format_number(cl * 100)),
                "p": _p_text(r["p_value"]), "verdict": verdict_words(r["verdict"]),
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
    """stats.follower_growth per account over the period's snapshots (a row, with a note, for every account).
    The crawl that closes a period often runs after its last day has ended in the report's time zone: a
    snapshot up to SNAPSHOT_GRACE after the end still counts as the period's last."""
    start, end = snapshot_bounds(bounds)
    return stats.follower_growth(snapshots[["acct", "crawled_at", "followers"]], start, end,
                                 accounts=accounts[["acct"]])


SNAPSHOT_GRACE = pd.Timedelta(days=1)


def snapshot_bounds(bounds: tuple[Any, Any]) -> tuple[Any, Any]:
    """The period's bounds for follower snapshots: the end moved by SNAPSHOT_GRACE (see growth_table)."""
    start, end = bounds
    return start, pd.Timestamp(end).to_pydatetime() + SNAPSHOT_GRACE


def growth_rows(growth: pd.DataFrame, accounts: pd.DataFrame) -> dict[str, Any]:
    """Rows for the accounts with at least one snapshot in the period, and each note with the accounts it
    applies to (one line for "no snapshot in the period" instead of a row of dashes per account)."""
    by_acct = growth.set_index("acct")
    rows, notes = [], {}
    for acct, a in accounts.iterrows():
        if acct not in by_acct.index:
            continue
        g = by_acct.loc[acct]
        note = growth_note(g["note"])
        if note:
            notes.setdefault(note, []).append(a["display"])
        if not g["snapshots"]:
            continue
        rows.append({
            "display": a["display"], "role": a["role"], "snapshots": int(g["snapshots"]),
            "first": _day(g["first_at"]), "last": _day(g["last_at"]),
            "first_followers": format_value("followers", g["first_followers"]),
            "last_followers": format_value("followers", g["last_followers"]),
            "absolute": _signed(g["absolute"]), "relative": _percent(g["relative"], 1),
            "weekly": _percent(g["weekly_rate"], 2),
            "note": note,
        })
    return {"rows": rows, "notes": [{"note": note, "accounts": names} for note, names in notes.items()]}


def growth_note(note: Any) -> str:
    """stats.follower_growth's English notes in the current language (unknown notes pass through)."""
    if not note or not isinstance(note, str):
        return ""
    return {
        stats.ONE_SNAPSHOT: _("one snapshot only: crawl again later in the quarter to measure growth"),
        stats.NO_SNAPSHOT: _("no snapshot in the period: crawl during the quarter to measure growth"),
        stats.NO_FOLLOWERS: _("no followers at the first snapshot: relative growth is undefined"),
        stats.SHORT_SPAN: _("snapshots less than a week apart: the weekly rate is an extrapolation"),
    }.get(note, note)


def _day(value: Any) -> str:
    if value is None or pd.isna(value):
        return "—"
    from benchmark.report.periods import day_text

    return day_text(pd.Timestamp(value).date())


def _percent(value: float, digits: int) -> str:
    return "—" if value != value else _("{value} %").format(value=f"{value * 100:+.{digits}f}")


def _signed(value: float) -> str:
    return "—" if value != value else f"{value:+,.0f}"


# -- breakout posts ------------------------------------------------------------------------------------
def breakouts(posts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(breakout posts, per-account summary): posts whose ER is more than 3 SD above their account's mean."""
    columns = [c for c in ("acct", "platform", "post_id", "created_local", "kind", "format", "url", "text", "er",
                           "engagement") if c in posts.columns]
    frame = posts[columns]
    return (stats.breakout_posts(frame, sd=BREAKOUT_SD, min_engagement=BREAKOUT_MIN_ENGAGEMENT),
            stats.breakout_accounts(frame, sd=BREAKOUT_SD, min_engagement=BREAKOUT_MIN_ENGAGEMENT))


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
        for _i, p in mine.iterrows():
            view = post_view(p)
            view["z"] = format_number(p["z"], digits=1)
            posts.append(view)
        groups.append({
            "display": a["display"], "role": a["role"], "n": int(s["n_posts"]),
            "mean": format_value("er_median", s["mean"]), "threshold": format_value("er_median", s["threshold"]),
            "breakouts": int(s["breakouts"]), "note": _breakout_note(s), "posts": posts,
            "more": max(0, int(s["breakouts"]) - len(posts)),
        })
    return groups


def _breakout_note(summary: pd.Series) -> str:
    """Why an account was not tested for breakouts (stats.breakout_accounts), in the current language."""
    if not summary["note"]:
        return ""
    if summary["n_posts"] < stats.MIN_N:
        return _("fewer than {minimum} posts with an engagement rate: not tested").format(minimum=stats.MIN_N)
    if not summary["sd"] > 0:
        return _("every post has the same engagement rate: no breakouts")
    return str(summary["note"])


# -- report.xlsx -----------------------------------------------------------------------------------------
def metrics_wide(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per account, one column per metric (values; undefined stays empty)."""
    info = metrics.drop_duplicates("acct").set_index("acct")[["platform", "account_id", "label", "role"]]
    values = wide(metrics)
    values.columns = list(values.columns)
    return info.join(values).reset_index(drop=True)


def scorecard_table(card: pd.DataFrame) -> pd.DataFrame:
    out = card.drop(columns=["acct", "direction"]).rename(columns={
        "label": _("own account"), "own_n": _("own n"), "peer_median": _("peer median"),
        "best_label": _("best exemplar"), "exemplar_platform": _("exemplar platform"), "best": _("best value"),
        "shortfall": _("relative shortfall"), "name": _("name"), "own": _("own value"), "gap": _("gap"),
        "peers": _("peers")})
    return out


__all__ = [
    "breakout_groups", "breakouts", "er_test_groups", "er_tests", "er_tests_table", "growth_rows", "growth_table",
    "metric_name", "metrics_wide", "recommendation_groups", "recommendations_table", "scorecard_table",
]
