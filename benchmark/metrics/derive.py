"""Per-post derived fields, all vectorised: E, F, ER, who wrote a reposted original, fan reposts, replies to
others, local weekday and hour, style counts and the purpose label.

Definitions are those of METRICS.md; every column added here is also exported in posts.csv.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from benchmark.i18n import _, format_count
from benchmark.metrics.catalog import AUTHOR_CLASSES, ENGAGEMENT_COMPONENTS
from benchmark.parsers.text import emoji_count

if TYPE_CHECKING:
    from benchmark.metrics.panel import PanelData

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_QUESTION = re.compile(r"[?？]")
_DEFAULT_COMPONENTS = ("likes", "comments", "reposts", "quotes")


def derive_posts(panel: PanelData, rules: Any = None, progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """The posts of the period with METRICS.md's per-post fields added (returns a new frame)."""
    posts = panel.posts.copy()
    accounts = panel.accounts
    posts["platform"] = pd.Categorical(accounts["platform"].to_numpy()[posts["acct"].to_numpy()])
    posts["engagement"] = engagement(posts)
    posts["followers_at_post"] = followers_at_post(posts, panel.snapshots, accounts)
    f = posts["followers_at_post"]
    posts["er"] = (posts["engagement"] / f).where(f > 0)
    _add_author_classes(posts, accounts)
    _add_local_time(posts, panel.config.timezone)
    _add_style(posts)
    panel.rules = rules if rules is not None else _default_rules(panel.config.purpose_lexicon)
    if progress is not None:
        progress(_("labelling the purpose of {count} original posts").format(
            count=format_count(int((posts["kind"] == "original").sum()))))
    posts["purpose"] = purpose_labels(posts, panel.rules)
    return posts


# -- engagement and followers -------------------------------------------------------------------------
def engagement(posts: pd.DataFrame) -> pd.Series:
    """E per post with the platform's components; undefined (NaN) when every component is unknown."""
    out = pd.Series(np.nan, index=posts.index, dtype="float64")
    for platform in posts["platform"].unique():
        mask = (posts["platform"] == platform).to_numpy()
        components = list(ENGAGEMENT_COMPONENTS.get(str(platform), _DEFAULT_COMPONENTS))
        out[mask] = posts.loc[mask, components].sum(axis=1, min_count=1)
    return out


def followers_at_post(posts: pd.DataFrame, snapshots: pd.DataFrame, accounts: pd.DataFrame) -> pd.Series:
    """F: followers in the account snapshot nearest in time to the post; else the account row's count."""
    fallback = accounts["account_followers"].reindex(posts["acct"]).to_numpy()
    known = snapshots.dropna(subset=["followers"]).sort_values("crawled_at")
    if not len(posts) or not len(known):
        return pd.Series(fallback, index=posts.index, dtype="float64")
    left = pd.DataFrame({"row": np.arange(len(posts)), "acct": posts["acct"].to_numpy(),
                         "t": posts["created_at"].to_numpy()}).sort_values("t", kind="stable")
    right = pd.DataFrame({"acct": known["acct"].to_numpy(), "t": known["crawled_at"].to_numpy(),
                          "f": known["followers"].to_numpy()})
    merged = pd.merge_asof(left, right, on="t", by="acct", direction="nearest")
    f = np.full(len(posts), np.nan)
    f[merged["row"].to_numpy()] = merged["f"].to_numpy()
    return pd.Series(np.where(np.isnan(f), fallback, f), index=posts.index, dtype="float64")


# -- fans -----------------------------------------------------------------------------------------
def known_authors(accounts: pd.DataFrame) -> pd.DataFrame:
    """(acct, ident) -> self / affiliate / panel, for every account of the panel (self wins over the rest)."""
    rows: dict[tuple[int, str], str] = {}
    rank = {"self": 0, "affiliate": 1, "panel": 2}
    for acct, account in accounts.iterrows():
        candidates = [(i, "self") for i in account["idents"]] + [(i, "affiliate") for i in account["affiliates"]]
        others = accounts[(accounts["platform"] == account["platform"]) & (accounts["acct"] != acct)]
        candidates += [(i, "panel") for idents in others["idents"] for i in idents]
        for ident, cls in candidates:
            if (acct, ident) not in rows or rank[cls] < rank[rows[(acct, ident)]]:
                rows[(acct, ident)] = cls
    return pd.DataFrame([(a, i, c) for (a, i), c in rows.items()], columns=["acct", "ident", "cls"])


def _normalized(ids: pd.Series) -> pd.Series:
    return ids.astype("string").str.strip().str.lstrip("@").str.lower()


def author_class(acct: pd.Series, author_id: pd.Series, is_org: pd.Series, known: pd.DataFrame) -> pd.Series:
    """self / affiliate / panel / organization / fan / unknown for each (account, author) pair."""
    keys = pd.DataFrame({"acct": acct.to_numpy(), "ident": _normalized(author_id).to_numpy()})
    cls = keys.merge(known, on=["acct", "ident"], how="left")["cls"].to_numpy(dtype=object)
    org = is_org.to_numpy(dtype="float64")
    has_author = author_id.notna().to_numpy()
    out = np.where(pd.notna(cls), cls,
                   np.where(~has_author, "unknown",
                            np.where(org == 1, "organization", np.where(org == 0, "fan", "unknown"))))
    return pd.Series(pd.Categorical(out, categories=AUTHOR_CLASSES), index=acct.index)


def _add_author_classes(posts: pd.DataFrame, accounts: pd.DataFrame) -> None:
    known = known_authors(accounts)
    shared = posts["kind"].isin(("repost", "quote")).to_numpy()
    ref = np.full(len(posts), None, dtype=object)
    if shared.any():
        sub = posts.loc[shared]
        ref[shared] = author_class(sub["acct"], sub["ref_author_id"], sub["ref_author_is_organization"],
                                   known).astype(object).to_numpy()
    posts["ref_author_class"] = pd.Categorical(ref, categories=AUTHOR_CLASSES)
    posts["fan_repost"] = ref == "fan"
    reply = (posts["kind"] == "reply").to_numpy() & posts["reply_to_author_id"].notna().to_numpy()
    to_others = np.zeros(len(posts), dtype=bool)
    if reply.any():
        sub = posts.loc[reply]
        target = author_class(sub["acct"], sub["reply_to_author_id"],
                              pd.Series(np.nan, index=sub.index), known)
        to_others[reply] = ~target.isin(("self", "affiliate")).to_numpy()
    posts["reply_to_others"] = to_others


# -- comments -------------------------------------------------------------------------------------
def derive_comments(panel: PanelData, voice_rules: Any = None) -> pd.DataFrame:
    """The period's comments with `author_class` (self when the post's author wrote it), `top_level` and,
    for fans' comments with text, `voice` (complaint / praise / question / other by benchmark.voice; None
    when that module or its lexicon cannot be loaded). Returns a new frame."""
    comments = panel.comments.copy()
    if comments.empty:
        return comments.assign(author_class=pd.Series(dtype="object"), top_level=pd.Series(dtype=bool),
                               voice=pd.Series(dtype="object"))
    known = known_authors(panel.accounts)
    cls = author_class(comments["acct"], comments["author_id"], comments["author_is_organization"], known)
    by_author = (comments["is_by_post_author"] == 1).to_numpy()
    comments["author_class"] = np.where(by_author, "self", cls.astype(object).to_numpy())
    comments["top_level"] = comments["parent_comment_id"].isna().to_numpy()
    comments["voice"] = _voices(comments, voice_rules, getattr(panel.config, "voice_lexicon", None))
    return comments


def _voices(comments: pd.DataFrame, rules: Any, extra_lexicon: Any) -> np.ndarray:
    text = comments["text"].fillna("").astype(str).str.strip()
    fan = ((comments["author_class"] == "fan") & (text != "")).to_numpy()
    out = np.full(len(comments), None, dtype=object)
    if not fan.any():
        return out
    try:
        from benchmark.voice import VoiceRules, classify_comments

        rules = rules if rules is not None else VoiceRules.load(extra_lexicon or None)
    except (ImportError, OSError, ValueError):
        return out  # no fan-voice rules in this installation: the voice columns stay empty
    out[fan] = np.asarray(classify_comments(text[fan].tolist(), rules), dtype=object)
    return out


# -- time and style ---------------------------------------------------------------------------------
def _add_local_time(posts: pd.DataFrame, timezone: str) -> None:
    local = posts["created_at"].dt.tz_localize("UTC").dt.tz_convert(timezone)
    posts["weekday"] = local.dt.day_of_week.astype("int8")
    posts["hour"] = local.dt.hour.astype("int8")
    posts["created_local"] = local.dt.tz_localize(None)
    # A post dated by day alone (Weibo `MM-DD`) sits at 00:00: it has no hour to show in a timing figure.
    date_only = posts["date_only"] if "date_only" in posts.columns else pd.Series(0.0, index=posts.index)
    posts["timed"] = ~(pd.to_numeric(date_only, errors="coerce").fillna(0) > 0).to_numpy()


_EMPTY_JSON = ("[]", "", "null")


def _non_empty(values: pd.Series) -> np.ndarray:
    """Rows whose JSON array may hold something (vectorised: most posts have none)."""
    return (values.notna() & ~values.astype("object").isin(_EMPTY_JSON)).to_numpy()


def json_list_len(values: pd.Series) -> pd.Series:
    """Length of JSON string arrays without parsing them: count the JSON strings (lists pass through)."""
    out = np.zeros(len(values), dtype="int32")
    mask = _non_empty(values)
    if mask.any():
        out[mask] = [len(v) if isinstance(v, (list, tuple)) else len(_JSON_STRING.findall(str(v)))
                     for v in values[mask]]
    return pd.Series(out, index=values.index)


def json_lists(values: pd.Series) -> list[list[str]]:
    """JSON arrays parsed only where they are not empty."""
    out: list[list[str]] = [[] for _ in range(len(values))]
    mask = _non_empty(values)
    for i, value in zip(np.flatnonzero(mask), values[mask], strict=True):
        if isinstance(value, list):
            out[i] = [str(v) for v in value]
            continue
        try:
            parsed = json.loads(value)
        except (TypeError, ValueError):
            continue
        out[i] = [str(v) for v in parsed] if isinstance(parsed, list) else []
    return out


def _add_style(posts: pd.DataFrame) -> None:
    text = posts["text"].fillna("").astype(str)
    posts["text_length"] = text.str.len().astype("int32")
    original = (posts["kind"] == "original").to_numpy()
    for name, column in (("hashtag_count", "hashtags"), ("mention_count", "mentions"), ("link_count", "links")):
        posts[name] = json_list_len(posts[column])
    emoji = np.zeros(len(posts), dtype="int32")
    emoji[original] = text[original].map(emoji_count).to_numpy()
    posts["emoji_count"] = emoji
    maybe = text.str.contains("?", regex=False) | text.str.contains("？", regex=False)
    question = np.zeros(len(posts), dtype=bool)
    if maybe.any():
        question[maybe.to_numpy()] = text[maybe].str.replace(_URL, "", regex=True).str.contains(_QUESTION)
    posts["has_question"] = question


# -- purpose -----------------------------------------------------------------------------------------
def _default_rules(extra_lexicon: dict[str, list[str]]) -> Any:
    from benchmark.purpose import PurposeRules

    return PurposeRules.load(extra_lexicon)


def purpose_labels(posts: pd.DataFrame, rules: Any) -> pd.Series:
    """The purpose label of every original post (other kinds are not labelled: METRICS.md)."""
    from benchmark.purpose import label_posts

    out = np.full(len(posts), None, dtype=object)
    original = (posts["kind"] == "original").to_numpy()
    if original.any():
        sub = posts.loc[original]
        text = sub["text"].fillna("").astype(str)
        # Identical posts (campaign copy, templates) are labelled once: the rules are a pure function.
        codes, _ = pd.factorize(text + "\x00" + sub["links"].astype(str))
        first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
        unique = sub.iloc[first]
        labels = label_posts(text.iloc[first].tolist(), json_lists(unique["links"]),
                             ["original"] * len(unique), rules=rules)
        out[original] = np.asarray(labels, dtype=object)[codes]
    return pd.Series(out, index=posts.index, dtype="object")
