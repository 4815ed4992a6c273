""""Talking with fans" from the comments crawl (issue #6): how many fan comments each account answers and
how fast (buckets), what fans say (complaint / praise / question / other by benchmark.voice), with the
sample size behind every figure, example comments and brand replies, and each own account's answers side
by side with the exemplars'.

Works on `PanelData.comments` after `derive_comments` (author_class, top_level, voice). Fans appear only
through what they wrote: no author id or name is shown.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from benchmark.i18n import _, format_count, format_number, ngettext
from benchmark.metrics.catalog import RESPONSE_BUCKETS, VOICE_CLASSES, format_value, term
from benchmark.metrics.compute import fan_questions
from benchmark.report import charts
from benchmark.report.html import safe_href

EXCERPT_CHARS = 160
MIN_DRAWN = 10  # a share of fewer comments is told as a count, not drawn as a bar
EXAMPLES_PER_CLASS = 2
REPLY_EXAMPLES = 3
COMPLAINT_TERMS = 10
BUCKETS = tuple(bucket for bucket, _low, _high in RESPONSE_BUCKETS)
UNANSWERED = "unanswered"  # the code of the part after the buckets


def bucket_names() -> dict[str, str]:
    """Answer-delay buckets (and "not answered") as the reader sees them, in the current language."""
    return {"0-2h": _("within 2 h"), "2-8h": _("2–8 h"), "8-24h": _("8–24 h"), "over-24h": _("over 24 h"),
            UNANSWERED: _("not answered")}


def excerpt(text: Any, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def conversation(comments: pd.DataFrame, posts: pd.DataFrame, accounts: pd.DataFrame, values: pd.DataFrame,
                 voice_lexicon: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The context of the conversation part of "Talking with fans" (`accounts` in report order, with
    `display`; `values` the wide metrics; `voice_lexicon` the config's extra fan-voice terms)."""
    questions = fan_questions(comments)
    samples = [_sample(acct, a, comments, questions, posts, values) for acct, a in accounts.iterrows()]
    terms = complaint_terms(comments, accounts, voice_lexicon)
    for sample in samples:
        sample["terms"] = terms.get(sample["acct"])
    by_acct = {s["acct"]: s for s in samples}
    with_data = [s for s in samples if s["has_data"]]
    parts = [*BUCKETS, UNANSWERED]
    names = bucket_names()
    return {
        "samples": samples,
        "bucket_chart": charts.stacked(
            [charts.Row(label=s["display"], role=s["role"], parts=s["bucket_parts"]) for s in with_data],
            parts, _("When fans' top-level comments got their first answer"),
            empty=_("no fans' top-level comments"), unit=_("{count} comments"),
            colors=dict(zip(parts, charts.DELAY_COLORS, strict=True)), names=names, min_total=MIN_DRAWN),
        "voice_chart": charts.stacked(
            [charts.Row(label=s["display"], role=s["role"], parts=s["voice_parts"]) for s in with_data],
            VOICE_CLASSES, _("What fans write in the comments"), empty=_("no fan comments with text"),
            unit=_("{count} comments"), colors=charts.VOICE_COLORS,
            names={voice: term("voice", voice) for voice in VOICE_CLASSES}, min_total=MIN_DRAWN),
        "side_by_side": _side_by_side(accounts, by_acct),
        "bucket_parts": [names[part] for part in parts],
        "voice_parts": [term("voice", voice) for voice in VOICE_CLASSES],
        "terms_available": terms.get("available", False),
    }


def _sample(acct: int, account: pd.Series, comments: pd.DataFrame, questions: pd.DataFrame, posts: pd.DataFrame,
            values: pd.DataFrame) -> dict[str, Any]:
    mine = comments[comments["acct"] == acct]
    asked = questions[questions["acct"] == acct]
    answered = asked[asked["answered_at"].notna()]
    sampled_posts = mine["post_id"].drop_duplicates()
    counters = posts.loc[(posts["acct"] == acct) & posts["post_id"].isin(sampled_posts), "comments"]
    hours = answered["hours"].clip(lower=0)
    bucket_counts = [int(((hours >= low) & (hours < high)).sum()) for _id, low, high in RESPONSE_BUCKETS]
    voiced = mine[mine["voice"].notna()]
    voice_counts = [int((voiced["voice"] == v).sum()) for v in VOICE_CLASSES]
    n_asked = len(asked)
    names = bucket_names()
    return {
        "acct": acct, "display": account["display"], "role": account["role"], "platform": account["platform"],
        "has_data": len(mine) > 0,
        "stored": len(mine), "posts_sampled": int(sampled_posts.size),
        "counters": format_value("posts", counters.sum(min_count=1)),
        "counters_exact": format_count(counters.sum(min_count=1)).exact,
        "coverage": format_value("comment_coverage", values.at[acct, "comment_coverage"]),
        "asked": n_asked, "answered": len(answered),
        "reply_rate": format_value("comment_reply_rate", values.at[acct, "comment_reply_rate"]),
        "median_h": format_value("response_time_median_h", values.at[acct, "response_time_median_h"]),
        "answered_text": _answered_text(n_asked, len(answered), values.at[acct, "comment_reply_rate"],
                                        values.at[acct, "response_time_median_h"]),
        "buckets": [{"name": names[bucket], "count": count, "share": _share_text(count, n_asked)}
                    for bucket, count in zip(BUCKETS, bucket_counts, strict=True)]
        + [{"name": names[UNANSWERED], "count": n_asked - len(answered),
            "share": _share_text(n_asked - len(answered), n_asked)}],
        "bucket_parts": [(part, count / n_asked if n_asked else 0.0, count) for part, count in
                         zip([*BUCKETS, UNANSWERED], [*bucket_counts, n_asked - len(answered)], strict=True)],
        "voiced": len(voiced),
        "voices": [{"name": term("voice", v), "count": c, "share": _share_text(c, len(voiced)),
                    "examples": _examples(voiced[voiced["voice"] == v])}
                   for v, c in zip(VOICE_CLASSES, voice_counts, strict=True)],
        "voice_parts": [(v, c / len(voiced) if len(voiced) else 0.0, c)
                        for v, c in zip(VOICE_CLASSES, voice_counts, strict=True)],
        "replies": _reply_examples(answered, posts[posts["acct"] == acct]),
    }


def _share_text(count: int, total: int) -> str:
    return _("{value} %").format(value=format_number(count / total * 100)) if total else "—"


def _examples(frame: pd.DataFrame, count: int = EXAMPLES_PER_CLASS) -> list[str]:
    """The most liked comments of a class (ties: the earliest), as excerpts."""
    if frame.empty:
        return []
    ranked = frame.assign(_likes=frame["likes"].fillna(-1)).sort_values(["_likes", "created_at", "comment_id"],
                                                                          ascending=[False, True, True])
    return [excerpt(t) for t in ranked["text"].head(count)]


def _reply_examples(answered: pd.DataFrame, posts: pd.DataFrame) -> list[dict[str, Any]]:
    """The account's first answers to fans, fastest first: what the fan wrote, the answer, the delay, and
    a link to the post they are under (http(s) only)."""
    if answered.empty:
        return []
    ranked = answered.sort_values(["hours", "comment_id"]).drop_duplicates("answer_text").head(REPLY_EXAMPLES)
    urls = dict(zip(posts["post_id"], posts["url"], strict=True)) if "url" in posts.columns else {}
    return [{"fan": excerpt(r["text"]), "answer": excerpt(r["answer_text"]), "after": _hours(r["hours"]),
             "href": safe_href(urls.get(r["post_id"]))} for _, r in ranked.iterrows()]


def _answered_text(asked: int, answered: int, rate: float, median_h: float) -> Markup:
    """'Answered 80.0 % of 10 fan comments; median first answer after 3.0 h.' (plural-aware; no median
    when nothing was answered: never 'after —')."""
    if not answered:
        return Markup(escape(ngettext("{count} fan comment sampled, not answered.",
                                      "{count} fan comments sampled, none answered.", asked).format(
            count=str(format_count(asked)))))
    text = ngettext("Answered {rate} of {count} fan comment; median first answer after {median}.",
                    "Answered {rate} of {count} fan comments; median first answer after {median}.", asked)
    bold = {key: Markup("<b>") + escape(value) + Markup("</b>") for key, value in (
        ("rate", format_value("comment_reply_rate", rate)),
        ("median", format_value("response_time_median_h", median_h)))}
    return Markup(escape(text)).format(count=str(format_count(asked)), **bold)


def _hours(hours: float) -> str:
    if hours != hours:
        return "—"
    if hours < 1:
        return _("{value} min").format(value=format_number(max(hours, 0) * 60))
    if hours < 48:
        return _("{value} h").format(value=format_number(hours, digits=1))
    return _("{value} days").format(value=format_number(hours / 24, digits=1))


def complaint_terms(comments: pd.DataFrame, accounts: pd.DataFrame,
                    voice_lexicon: dict[str, list[str]] | None = None) -> dict[Any, Any]:
    """The top recurring terms of each account's fan complaints ({acct: [(term, complaints)]}), and
    "available": False when benchmark.voice (or its word segmenter, jieba) is not installed."""
    try:
        from benchmark.voice import VoiceRules
        from benchmark.voice import complaint_terms as terms_of
    except ImportError:
        return {"available": False}
    rules = VoiceRules.load(voice_lexicon or None)
    out: dict[Any, Any] = {"available": True}
    fans = comments[comments["voice"].notna()]
    for acct in accounts.index:
        texts = fans.loc[(fans["acct"] == acct) & (fans["voice"] == "complaint"), "text"].astype(str).tolist()
        if not texts:
            continue
        try:
            out[acct] = terms_of(texts, top=COMPLAINT_TERMS, rules=rules)
        except ImportError:
            return {"available": False}
    return out


def _side_by_side(accounts: pd.DataFrame, by_acct: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each own account next to the exemplars on its platform (all exemplars when its platform has none)."""
    out = []
    exemplars = accounts[accounts["role"] == "exemplar"]
    for acct, a in accounts[accounts["role"] == "own"].iterrows():
        same = exemplars[exemplars["platform"] == a["platform"]]
        others = same if len(same) else exemplars
        cards = [by_acct[acct], *(by_acct[e] for e in others.index)]
        if any(card["asked"] for card in cards):
            out.append({"title": a["display"], "cards": cards, "other_platform": not len(same)})
    return out


def conversation_table(ctx: dict[str, Any]) -> pd.DataFrame:
    """One row per account for report.xlsx (from `conversation`'s context): sample sizes and figures."""
    rows = []
    for s in ctx["samples"]:
        row = {_("account"): s["display"], _("role"): s["role"], _("comments stored"): s["stored"],
               _("posts sampled"): s["posts_sampled"], _("comment counters of those posts"): s["counters_exact"],
               _("fan top-level comments"): s["asked"], _("answered"): s["answered"],
               _("reply rate"): s["reply_rate"], _("median time to answer"): s["median_h"]}
        row.update({_("answered {when}").format(when=b["name"]): b["count"] for b in s["buckets"]})
        row[_("fan comments labelled")] = s["voiced"]
        row.update({_("{voice} comments").format(voice=v["name"]): v["count"] for v in s["voices"]})
        row[_("top complaint terms")] = _(", ").join(f"{t} ({n})" for t, n in (s["terms"] or []))
        rows.append(row)
    return pd.DataFrame(rows)

