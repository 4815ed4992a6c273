"""Weibo JSON payloads → `benchmark.items` objects. Pure functions: no Scrapy, no network, no heavy imports.

Surfaces understood (real payloads in tests/fixtures/weibo/):
- m.weibo.cn `getIndex` (profile `data.userInfo`, timeline `data.cards`), `statuses/show`, `statuses/extend`,
  `comments/hotflow` and the old `api/comments/show`;
- weibo.com ajax status objects (`text_raw`, `mblogid`, `pic_infos`), `statuses/mymblog` (`data.list`),
  `profile/info` (`data.user`), `statuses/longtext`;
- the app API (`api.weibo.cn/2/...`): same cardlist and mblog shape, `longText.content`.

Hostile input is the norm (schema drift, throttling pages, deleted originals), so the public `parse_*`
functions and `classify_envelope` never raise; a card that cannot become a Post is skipped and its reason
recorded in `TimelinePage.dropped`.

This module is the platform's parser entry (timeline pages, profiles, `/api/config`) and re-exports the rest of
the parser's public functions, which live by payload part: `envelope.py` (an answer's status), `posts.py` (one
mblog → Post), `markup.py` (HTML → text, mentions, links), `long_text.py`, `comments.py`, and `fields.py`
(constants, times, field readers).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from benchmark.i18n import Message
from benchmark.items import Account, Post
from benchmark.parsers.common import FeedPage, ProfileResult, as_dict, as_list
from benchmark.parsers.text import parse_count
from benchmark.platforms.weibo.comments import parse_comments
from benchmark.platforms.weibo.envelope import classify_envelope
from benchmark.platforms.weibo.fields import (
    PLATFORM,
    WEIBO_WEB,
    as_aware,
    int_or_none,
    is_organization,
    parse_weibo_time,
    user_id,
    weibo_time_is_date_only,
)
from benchmark.platforms.weibo.long_text import apply_long_text, long_text_links, parse_long_text
from benchmark.platforms.weibo.markup import weibo_html_to_text
from benchmark.platforms.weibo.posts import card_is_pinned, is_pinned, parse_status

__all__ = ["TimelinePage", "apply_long_text", "classify_envelope", "config_login", "is_organization", "is_pinned",
           "long_text_links", "parse_comments", "parse_long_text", "parse_profile", "parse_status", "parse_timeline",
           "parse_weibo_time", "profile_result", "weibo_html_to_text", "weibo_time_is_date_only"]


@dataclass
class TimelinePage(FeedPage):
    """A timeline page (the FeedPage contract): `cursor` is data.cardlistInfo.since_id (None if absent);
    status "ok" | "end" | "login_wall" | "blocked" | "not_found" | "private" | "malformed"."""

    needs_long_text: list[str] = field(default_factory=list)  # post_ids truncated by isLongText

    @property
    def since_id(self) -> str | None:
        """Weibo's name for the cursor."""
        return self.cursor


# -- timeline ---------------------------------------------------------------------------------------------


def parse_timeline(payload: Any, *, account_id: str, crawled_at: datetime) -> TimelinePage:
    """A timeline page (m.weibo.cn/app `cards`, weibo.com `list`) → the account's posts and the next cursor."""
    try:
        return _parse_timeline(payload, str(account_id or ""), as_aware(crawled_at))
    except Exception as error:  # the page is reported, the crawl goes on
        return TimelinePage([], None, "malformed", f"unreadable timeline ({type(error).__name__})")


def _parse_timeline(payload: Any, account_id: str, crawled_at: datetime) -> TimelinePage:
    status, message = classify_envelope(payload)
    if status != "ok":
        return TimelinePage([], None, status, message)
    data = payload.get("data", payload)
    if isinstance(data, list):
        data = {"list": data}  # weibo.com status lists such as favorites: {"ok":1,"data":[...]}
    if not isinstance(data, dict):
        return TimelinePage([], None, "malformed", "`data` is not an object")
    entries = data.get("cards") if "cards" in data else data.get("list", data.get("statuses"))
    if not isinstance(entries, list):
        return TimelinePage([], None, "malformed", "no `cards` or `list` in data")
    since_id = _cursor(data)
    if not entries or as_dict(entries[0]).get("card_type") == 58:
        return TimelinePage([], since_id, "end", "the timeline has no more posts")
    page = TimelinePage([], since_id, "ok")
    seen: dict[str, Post] = {}
    for mblog, card in _mblogs(entries, "cards" in data, page.dropped):
        _add_post(page, seen, mblog, card, account_id, crawled_at)
    return page


def _cursor(data: dict) -> str | None:
    since_id = as_dict(data.get("cardlistInfo")).get("since_id", data.get("since_id"))
    if since_id in (None, "", 0, "0") or isinstance(since_id, (bool, dict, list, float)):
        return None
    return str(since_id)


def _mblogs(entries: list, are_cards: bool, dropped: list[str]) -> Iterator[tuple[Any, dict]]:
    """(mblog, card) pairs: card_type 9 cards, and card_type 11 groups that hide the pinned/newest post."""
    if not are_cards:
        for status in entries:
            yield status, {}
        return
    for card in entries:
        yield from _card_mblogs(card, dropped, depth=0)


def _card_mblogs(card: Any, dropped: list[str], depth: int) -> Iterator[tuple[Any, dict]]:
    if not isinstance(card, dict):
        dropped.append("bad_card")
        return
    card_type = int_or_none(card.get("card_type"))
    if card_type == 9:
        if isinstance(card.get("mblog"), dict):
            yield card["mblog"], card
        else:
            dropped.append("missing_mblog")
    elif card_type == 11 and depth < 2:
        for member in as_list(card.get("card_group")):
            if isinstance(member, dict) and ("mblog" in member or int_or_none(member.get("card_type")) == 9):
                yield from _card_mblogs(member, dropped, depth + 1)


def _add_post(page: TimelinePage, seen: dict[str, Post], mblog: Any, card: dict, account_id: str,
              crawled_at: datetime) -> None:
    try:
        post = parse_status(mblog, crawled_at=crawled_at)
    except ValueError as error:
        page.dropped.append(str(error) or "unparseable")
        return
    post.pinned = post.pinned or card_is_pinned(card)
    if account_id and post.account_id != account_id:
        page.dropped.append("other_author")  # a timeline holds only the account's own posts and reposts
        return
    if post.post_id in seen:
        seen[post.post_id].pinned = seen[post.post_id].pinned or post.pinned
        page.dropped.append("duplicate")
        return
    seen[post.post_id] = post
    page.posts.append(post)
    if post.extra.get("truncated"):
        page.needs_long_text.append(post.post_id)


# -- profile ----------------------------------------------------------------------------------------------


def profile_result(payload: Any, *, crawled_at: datetime) -> ProfileResult:
    """A profile answer under the parser contract: the envelope's status (an empty profile, "end", means the uid
    does not exist), and the account of an "ok" one (None: no userInfo, a broken answer)."""
    status, message = classify_envelope(payload)
    if status == "end":  # "这里还没有内容"
        return ProfileResult(None, "not_found", Message("no such Weibo account: its profile is empty (这里还没有内容)"))
    if status != "ok":
        return ProfileResult(None, status, message)
    return ProfileResult(parse_profile(payload, crawled_at=crawled_at), "ok", "")


def parse_profile(payload: Any, *, crawled_at: datetime) -> Account | None:
    """getIndex `data.userInfo` (m.weibo.cn) or profile/info `data.user` (weibo.com) → Account, else None."""
    try:
        return _parse_profile(payload, as_aware(crawled_at))
    except Exception:  # no profile is an answer the spider handles
        return None


def _parse_profile(payload: Any, crawled_at: datetime) -> Account | None:
    if classify_envelope(payload)[0] != "ok":
        return None
    data = as_dict(payload.get("data", payload))
    user = data.get("userInfo") if isinstance(data.get("userInfo"), dict) else data.get("user")
    if not isinstance(user, dict):
        return None
    uid = user_id(user)
    if uid is None:
        return None
    followers, followers_floor = parse_count(user.get("followers_count"))
    name = user.get("screen_name") if isinstance(user.get("screen_name"), str) else None
    description = user.get("description") if isinstance(user.get("description"), str) else None
    verified = user.get("verified")
    return Account(
        platform=PLATFORM,
        account_id=uid,
        handle=name,  # Weibo has no separate handle: @mentions use the (unique) screen name
        name=name,
        url=f"{WEIBO_WEB}/u/{uid}",
        is_organization=is_organization(user.get("verified_type")),
        verified=verified if isinstance(verified, bool) else None,
        description=description.strip() or None if description else None,
        followers=followers,
        following=parse_count(user.get("follow_count", user.get("friends_count")))[0],
        posts_count=parse_count(user.get("statuses_count"))[0],
        crawled_at=crawled_at,
        extra=_profile_extra(user, data, followers_floor),
    )


_PROFILE_EXTRA_KEYS = ("verified_type", "verified_type_ext", "verified_reason", "mbrank", "mbtype", "urank",
                       "svip", "gender", "location", "followers_count_str", "brand_account")


def _profile_extra(user: dict, data: dict, followers_floor: bool) -> dict[str, Any]:
    extra = {key: user[key] for key in _PROFILE_EXTRA_KEYS
             if key in user and isinstance(user[key], (str, int)) and user[key] != ""}
    if followers_floor:
        extra["followers_is_lower_bound"] = True
    for tab in as_list(as_dict(data.get("tabsInfo")).get("tabs")):
        if isinstance(tab, dict) and tab.get("tab_type") == "weibo" and tab.get("containerid"):
            extra["timeline_containerid"] = str(tab["containerid"])
    return extra


def config_login(data: Any) -> bool | None:
    """`/api/config`: True when the cookie is logged in (`data.login`), False when Weibo says it is not (or
    answers `ok: -100`, its "log in" answer), None when the answer says neither."""
    if not isinstance(data, dict):
        return None
    if data.get("ok") == -100:
        return False
    body = data.get("data")
    if isinstance(body, dict) and isinstance(body.get("login"), bool):
        return body["login"]
    return None
