"""One mblog (any surface) → Post: text, counts, pinned, repost, format and media, extra fields.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from benchmark.items import Post
from benchmark.parsers.common import as_dict, as_list
from benchmark.parsers.text import parse_count, weibo_topics
from benchmark.platforms.weibo.fields import (
    DELETED_MARKERS,
    PLATFORM,
    WEIBO_WEB,
    as_aware,
    id_str,
    int_or_none,
    is_organization,
    parse_weibo_time,
    post_id_of,
    short_id_of,
    user_id,
    weibo_time_is_date_only,
)
from benchmark.platforms.weibo.markup import links_of, mentions_of, parse_anchors, plain_text

# -- posts ------------------------------------------------------------------------------------------------


class _Drop(ValueError):
    """A card that cannot become a Post; the message is the reason recorded in TimelinePage.dropped."""


def parse_status(mblog: dict, *, crawled_at: datetime, now: datetime | None = None) -> Post:
    """One mblog (any surface) → Post. Raises ValueError(reason) when id, author or date is unusable."""
    if not isinstance(mblog, dict):
        raise _Drop("not_an_object")
    try:
        return _build_post(mblog, as_aware(crawled_at), as_aware(now or crawled_at))
    except _Drop:
        raise
    except Exception as error:  # schema drift becomes a drop reason, not a crash
        raise _Drop(f"unparseable_{type(error).__name__}") from error


def _build_post(mblog: dict, crawled_at: datetime, now: datetime) -> Post:
    post_id = post_id_of(mblog)
    if post_id is None:
        raise _Drop("missing_id")
    user = as_dict(mblog.get("user"))
    account_id = user_id(user)
    if account_id is None:
        raise _Drop("missing_account_id")
    raw_created = mblog.get("created_at")
    if not isinstance(raw_created, str) or not raw_created.strip():
        raise _Drop("missing_created_at")
    created_at = parse_weibo_time(raw_created, now=now)
    if created_at is None:
        raise _Drop("bad_created_at")

    extra: dict[str, Any] = {}
    text_html, truncated = _full_or_truncated_text(mblog)
    if truncated:
        extra["truncated"] = True
    text = plain_text(text_html)
    anchors = parse_anchors(text_html)
    raw = mblog.get("raw_text") or mblog.get("text_raw")
    tag_source = raw if isinstance(raw, str) and raw and not truncated else text
    counts, lower_bound = _counts(mblog)
    short_id = short_id_of(mblog)
    post = Post(
        platform=PLATFORM,
        post_id=post_id,
        account_id=account_id,
        created_at=created_at,
        date_only=weibo_time_is_date_only(raw_created),
        url=f"{WEIBO_WEB}/{account_id}/{short_id or post_id}",
        text=text,
        likes=counts[0],
        comments=counts[1],
        reposts=counts[2],
        counts_are_lower_bounds=lower_bound,
        pinned=is_pinned(mblog),
        source_client=plain_text(mblog.get("source")) or None,
        hashtags=weibo_topics(tag_source),
        mentions=mentions_of(anchors, tag_source),
        links=links_of(mblog, anchors, tag_source),
        crawled_at=crawled_at,
        extra=extra,
    )
    retweeted = mblog.get("retweeted_status")
    if isinstance(retweeted, dict):
        _fill_repost(post, mblog, retweeted)
    else:
        post.format, post.media_count = _format_and_media(mblog, extra)
    _fill_extra(extra, mblog, short_id, post_id)
    return post


def _full_or_truncated_text(mblog: dict) -> tuple[str, bool]:
    """The fullest text the mblog carries, and whether it is still cut short (needs statuses/extend)."""
    long_text = as_dict(mblog.get("longText"))
    full = long_text.get("longTextContent") or long_text.get("content")
    if isinstance(full, str) and full.strip():
        return full, False
    text = mblog.get("text") if isinstance(mblog.get("text"), str) else ""
    if mblog.get("isLongText") in (True, 1, "1", "true"):
        return _EXPAND_MARKER.sub("", text), True
    return text, False


_EXPAND_MARKER = re.compile(r"(?:\s|\.\.\.|…)*(?:<span class=\"expand\">展开</span>|<a [^>]*>全文</a>)\s*$")


def _counts(mblog: dict) -> tuple[tuple[int | None, int | None, int | None], bool]:
    likes, likes_floor = parse_count(mblog.get("attitudes_count"))
    comments, comments_floor = parse_count(mblog.get("comments_count"))
    reposts, reposts_floor = parse_count(mblog.get("reposts_count"))
    return (likes, comments, reposts), likes_floor or comments_floor or reposts_floor


def is_pinned(mblog: dict, card: dict | None = None) -> bool:
    """Every pinned signal seen in the wild: isTop, mblogtype 2, a 置顶 title, a proweibotop card."""
    top = mblog.get("isTop")
    if top is True or (int_or_none(top) or 0) > 0:
        return True
    if int_or_none(mblog.get("mblogtype")) == 2:
        return True
    if as_dict(mblog.get("title")).get("text") == "置顶":
        return True
    return card_is_pinned(card)


def card_is_pinned(card: Any) -> bool:
    profile_type = as_dict(card).get("profile_type_id")
    return isinstance(profile_type, str) and profile_type.startswith("proweibotop")


def _fill_repost(post: Post, mblog: dict, original: dict) -> None:
    post.kind = "repost"
    post.ref_post_id = post_id_of(original)
    # A repost's own media are only its own pictures; weibo.com hoists the original's video card onto
    # the repost, so that page_info is described in ref_format instead.
    post.format, post.media_count = _format_and_media({"pics": mblog.get("pics"), "pic_infos": mblog.get(
        "pic_infos"), "pic_ids": mblog.get("pic_ids"), "pic_num": mblog.get("pic_num")}, post.extra)
    own_card = as_dict(mblog.get("page_info"))
    hoisted = original
    if not original.get("page_info") and _is_video(own_card.get("object_type") or own_card.get("type")):
        hoisted = {**original, "page_info": own_card}
    post.extra["ref_format"] = _format_and_media(hoisted, {})[0]
    user = original.get("user")
    if _is_deleted(original, user):
        post.extra["ref_deleted"] = True
        return  # the author is unknown: never counted as a fan, a brand or a peer
    user = as_dict(user)
    post.ref_author_id = user_id(user)
    name = user.get("screen_name")
    post.ref_author_name = name if isinstance(name, str) and name else None
    post.ref_author_is_organization = is_organization(user.get("verified_type"))
    post.ref_author_followers = parse_count(user.get("followers_count"))[0]
    if user.get("verified_type") is not None:
        post.extra["ref_author_verified_type"] = int_or_none(user.get("verified_type"))


def _is_deleted(original: dict, user: Any) -> bool:
    if not isinstance(user, dict) or user_id(user) is None:
        return True
    text = original.get("text")
    return isinstance(text, str) and any(marker in text for marker in DELETED_MARKERS)


# -- format and media -------------------------------------------------------------------------------------

_VIDEO_TYPES = frozenset({"video", 5, "5", 11, "11"})


def _format_and_media(mblog: dict, extra: dict) -> tuple[str, int]:
    page = as_dict(mblog.get("page_info"))
    kind = page.get("object_type") or page.get("type")
    pics = _pictures(mblog)
    picture_count = max(len(pics), len(as_list(mblog.get("pic_ids"))), int_or_none(mblog.get("pic_num")) or 0)
    mixed = _mixed_media_types(mblog)
    if _is_video(kind) or _is_video(page.get("type")) or "video" in mixed:
        return "video", max(picture_count, len(mixed), 1)
    if kind == "live" or page.get("type") == "live":
        return "live", max(picture_count, 1)
    if kind == "article" or page.get("type") == "article":
        return "article", picture_count
    if page.get("type") == "webpage":
        return "link", picture_count
    kinds = {_picture_type(pic) for pic in pics}
    if "gif" in kinds:
        return "gif", picture_count
    if "livephoto" in kinds:
        extra["live_photo"] = True
    if picture_count:
        return "image", picture_count
    return "text", 0


def _is_video(kind: Any) -> bool:
    return isinstance(kind, (str, int)) and kind in _VIDEO_TYPES


def _pictures(mblog: dict) -> list[dict]:
    """`pics` (list, or dict keyed "0".."8") or weibo.com `pic_infos` {pid: info}."""
    pics = mblog.get("pics") or mblog.get("pic_infos")
    if isinstance(pics, dict):
        pics = list(pics.values())
    return [pic for pic in pics if isinstance(pic, dict)] if isinstance(pics, list) else []


def _picture_type(pic: dict) -> str:
    """"gif" / "livephoto" from the declared type, else a .gif file name (m.weibo.cn pics carry no type)."""
    kind = pic.get("type")
    if kind == "gif" or kind == "livephoto":
        return kind
    large = pic.get("large")
    for url in (pic.get("url"), large.get("url") if isinstance(large, dict) else None):
        if isinstance(url, str) and (".gif" in url or ".GIF" in url):
            return "gif"
    return "pic"


def _mixed_media_types(mblog: dict) -> list[str]:
    items = as_list(as_dict(mblog.get("mix_media_info")).get("items"))
    return [str(as_dict(item).get("type")) for item in items if isinstance(item, dict)]


def _fill_extra(extra: dict, mblog: dict, short_id: str | None, post_id: str) -> None:
    if short_id:
        extra["bid"] = short_id
    mid = id_str(mblog.get("mid"))
    if mid and mid != post_id:
        extra["mid"] = mid
    region = mblog.get("region_name")
    if isinstance(region, str) and region.strip():
        extra["region"] = region.replace("发布于", "").strip()
    title = as_dict(mblog.get("title")).get("text")
    if isinstance(title, str) and title and title != "置顶":
        extra["visibility"] = title  # 好友圈, 仅自己可见, 仅粉丝可见
    for key in ("edit_count", "reads_count", "repost_type", "ad_state"):
        value = int_or_none(mblog.get(key))
        if value is not None:
            extra[key] = value
