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
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from benchmark.i18n import Message
from benchmark.items import Account, Comment, Post
from benchmark.parsers.common import FeedPage, ProfileResult
from benchmark.parsers.text import parse_count, urls, weibo_topics

try:
    from zoneinfo import ZoneInfo

    SHANGHAI: Any = ZoneInfo("Asia/Shanghai")
except Exception:  # no tzdata: China has had no DST since 1991, so +08:00 is exact for posts
    SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

WEIBO_WEB = "https://weibo.com"  # permalinks: https://weibo.com/<uid>/<bid>
PLATFORM = "weibo"

# verified_type: 1..8 are organisations (government, brand, media, campus, website, app, group, pending
# brand); -1 / 0 / 200 / 220 are people. Anything else (10, 400, missing) is unknown, never a fan.
ORGANIZATION_TYPES = frozenset(range(1, 9))
INDIVIDUAL_TYPES = frozenset({-1, 0, 200, 220})

END_MESSAGE = "这里还没有内容"
DELETED_MARKERS = ("此微博已被作者删除", "此微博已不可见", "此微博已被删除", "该微博已被删除", "微博不存在")
THROTTLE_MARKERS = ("频繁", "稍后再试", "too many", "请求过快")
COOKIE_HINT = Message("set WEIBO_COOKIE to a fresh logged-in cookie (see README)")


@dataclass
class TimelinePage(FeedPage):
    """A timeline page (the FeedPage contract): `cursor` is data.cardlistInfo.since_id (None if absent);
    status "ok" | "end" | "login_wall" | "blocked" | "not_found" | "private" | "malformed"."""

    needs_long_text: list[str] = field(default_factory=list)  # post_ids truncated by isLongText

    @property
    def since_id(self) -> str | None:
        """Weibo's name for the cursor."""
        return self.cursor


# -- envelope ---------------------------------------------------------------------------------------------


def classify_envelope(payload: Any) -> tuple[str, str]:
    """(status, message) for any parsed JSON body; never raises."""
    try:
        return _classify(payload)
    except Exception as error:  # a classifier must answer, whatever it is fed
        return "malformed", f"unreadable payload ({type(error).__name__})"


def _classify(payload: Any) -> tuple[str, str]:
    if isinstance(payload, str) and ("wbBotDetector" in payload or "passport.weibo" in payload):
        return "login_wall", Message("Weibo answered with its login page; {hint}", hint=COOKIE_HINT)
    if not isinstance(payload, dict):
        return "malformed", f"expected a JSON object, got {type(payload).__name__}"
    ok = payload.get("ok")
    message = _message_of(payload)
    url = payload.get("url") if isinstance(payload.get("url"), str) else ""
    has_data = payload.get("data") not in (None, "", [], {})
    if ok == -100 or "relogin" in message or payload.get("error_code") == 21301 or ("login" in url and not has_data):
        return "login_wall", Message("Weibo asks for a login (ok={ok}); {hint}", ok=repr(ok), hint=COOKIE_HINT)
    if ok == 1 and has_data:
        return "ok", ""
    if "20003" in message or "用户不存在" in message or 20003 in (payload.get("errno"), payload.get("error_code")):
        return "not_found", Message("no such user: {reason}", reason=message or "error 20003")
    if _is_private(payload):
        return "private", Message("the account restricts who can see its posts (relation_display)")
    if url and not has_data:
        return "blocked", Message("captcha challenge: Weibo sent a verification page, not data; slow down or {hint}",
                                   hint=COOKIE_HINT)
    if ok == 1:
        return "ok", ""
    if END_MESSAGE in message:
        return "end", Message("{end}: no more posts (an unknown or emptied uid looks the same)", end=END_MESSAGE)
    if any(marker in message for marker in THROTTLE_MARKERS):
        return "blocked", Message("throttled: {reason}", reason=message)
    if ok is None and _looks_like_bare_data(payload):
        return "ok", ""  # weibo.com `data` member or app-API body saved without its envelope
    if ok == 0:
        return "malformed", f"ok=0: {message or 'no message'}"
    return "malformed", f"no ok flag and no recognisable data (keys: {', '.join(sorted(map(str, payload))[:8])})"


def _message_of(payload: dict) -> str:
    parts = [payload.get(key) for key in ("msg", "message", "error", "errmsg")]
    return " ".join(str(part) for part in parts if isinstance(part, (str, int)) and not isinstance(part, bool))


def _is_private(payload: dict) -> bool:
    data = payload.get("data")
    flags = [payload.get("relation_display")]
    if isinstance(data, dict):
        flags.append(data.get("relation_display"))
    return any(flag for flag in flags if not isinstance(flag, (dict, list))) or "private" in _message_of(payload)


def _looks_like_bare_data(payload: dict) -> bool:
    return any(key in payload for key in ("cards", "list", "cardlistInfo", "statuses", "userInfo", "user"))


# -- times ------------------------------------------------------------------------------------------------

_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
_RFC = re.compile(r"[A-Za-z]{3} ([A-Za-z]{3}) (\d{1,2}) (\d{1,2}):(\d{2}):(\d{2}) ([+-])(\d{2}):?(\d{2}) (\d{4})")
_AGO = re.compile(r"(\d+)\s*(秒|分钟|小时|天)前")
_AGO_UNITS = {"秒": "seconds", "分钟": "minutes", "小时": "hours", "天": "days"}
_DAY_CLOCK = re.compile(r"(今天|昨天|前天)\s*(\d{1,2}):(\d{2})")
_DAY_OFFSETS = {"今天": 0, "昨天": 1, "前天": 2}
_MONTH_DAY = re.compile(r"(\d{1,2})-(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?")
_FULL_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_OFFSETS: dict[tuple[str, str, str], timezone] = {}


def parse_weibo_time(value: str, *, now: datetime) -> datetime | None:
    """A Weibo `created_at` (absolute or relative to `now`, read in Asia/Shanghai) as an aware UTC datetime."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return _parse_time(value.strip(), _aware(now))
    except (ValueError, OverflowError):
        return None


def weibo_time_is_date_only(value: str) -> bool:
    """True when a Weibo `created_at` names a day but no time of day (`MM-DD`, `YYYY-MM-DD`: lists show older
    posts that way); such a post is stored at 00:00 Shanghai and kept out of every hour-of-day figure."""
    if not isinstance(value, str):
        return False
    month_day, full = _MONTH_DAY.fullmatch(value.strip()), _FULL_DATE.fullmatch(value.strip())
    return bool(month_day and month_day[3] is None) or bool(full and full[4] is None)


def _parse_time(value: str, now: datetime) -> datetime | None:
    match = _RFC.fullmatch(value)
    if match:
        return _from_rfc(match)
    if value == "刚刚":
        return now.astimezone(UTC)
    match = _AGO.fullmatch(value)
    if match:
        return (now - timedelta(**{_AGO_UNITS[match[2]]: int(match[1])})).astimezone(UTC)
    local_now = now.astimezone(SHANGHAI)
    match = _DAY_CLOCK.fullmatch(value)
    if match:
        day = local_now.date() - timedelta(days=_DAY_OFFSETS[match[1]])
        return _local(day.year, day.month, day.day, int(match[2]), int(match[3]))
    match = _FULL_DATE.fullmatch(value)
    if match:
        year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
        return _local(year, month, day, hour, minute, second)
    match = _MONTH_DAY.fullmatch(value)
    if match:
        return _this_year(local_now, *(int(part or 0) for part in match.groups()))
    return None


def _from_rfc(match: re.Match[str]) -> datetime | None:
    month = _MONTHS.get(match[1].title())
    if month is None:
        return None
    key = (match[6], match[7], match[8])
    offset = _OFFSETS.get(key)
    if offset is None:
        minutes = int(match[7]) * 60 + int(match[8])
        offset = _OFFSETS.setdefault(key, timezone(timedelta(minutes=-minutes if match[6] == "-" else minutes)))
    stamp = datetime(int(match[9]), month, int(match[2]), int(match[3]), int(match[4]), int(match[5]),
                     tzinfo=offset)
    return stamp.astimezone(UTC)


def _this_year(local_now: datetime, month: int, day: int, hour: int, minute: int) -> datetime | None:
    """`MM-DD` is this year unless that date is still ahead of `now`; Feb 29 walks back to a leap year."""
    for year in range(local_now.year, local_now.year - 9, -1):
        try:
            stamp = datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)
        except ValueError:
            if month == 2 and day == 29:
                continue
            return None
        if stamp.date() <= local_now.date():
            return stamp.astimezone(UTC)
    return None


def _local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI).astimezone(UTC)


def _aware(moment: Any) -> datetime:
    if not isinstance(moment, datetime):
        return datetime.now(UTC)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# -- small field readers ----------------------------------------------------------------------------------


def _id_str(value: Any) -> str | None:
    """Ids as strings; floats are refused because 16-digit mids do not survive them."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value) if value > 0 else None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def is_organization(verified_type: Any) -> bool | None:
    """Weibo verified_type → organisation (True), person (False) or unknown (None)."""
    number = _int_or_none(verified_type)
    if number in ORGANIZATION_TYPES:
        return True
    if number in INDIVIDUAL_TYPES:
        return False
    return None


def _user_id(user: dict) -> str | None:
    return _id_str(user.get("idstr")) or _id_str(user.get("id"))


def _short_id(mblog: dict) -> str | None:
    bid = mblog.get("bid") or mblog.get("mblogid")
    return bid.strip() or None if isinstance(bid, str) else None


def _post_id(mblog: dict) -> str | None:
    return _id_str(mblog.get("idstr")) or _id_str(mblog.get("id")) or _id_str(mblog.get("mid"))


def _plain(markup: Any) -> str:
    return weibo_html_to_text(markup) if isinstance(markup, str) else ""


# Weibo markup is a small, machine-written subset (a, span, img alt, br), so one regex pass gives the same
# text as `text.html_to_text` (tests compare both on every fixture) at a fraction of HTMLParser's cost.
_TAG = re.compile(r"<!--.*?-->|<(/?)([A-Za-z][A-Za-z0-9]*)((?:\s[^>]*)?)/?>", re.DOTALL)
_ALT = re.compile(r"""\balt\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""", re.IGNORECASE)
_BREAK_ON_OPEN = frozenset({"br", "p", "div", "li", "blockquote"})
_BREAK_ON_CLOSE = frozenset({"p", "div", "li", "blockquote"})
_SPACES_BEFORE_NEWLINE = re.compile(r"[ \t]+\n")
_BLANK_LINES = re.compile(r"\n{3,}")


def weibo_html_to_text(markup: str) -> str:
    """Plain text of a Weibo HTML fragment: emoji `<img alt="[笑cry]">` → `[笑cry]`, `<br>` → newline."""
    if not markup:
        return ""
    if "<" not in markup:
        return _tidy(html.unescape(markup) if "&" in markup else markup)
    parts: list[str] = []
    position = 0
    for match in _TAG.finditer(markup):
        if match.start() > position:
            parts.append(markup[position:match.start()])
        position = match.end()
        name = (match[2] or "").lower()
        if match[1]:
            if name in _BREAK_ON_CLOSE:
                parts.append("\n")
        elif name == "img":
            alt = _ALT.search(match[3])
            if alt and alt[1].strip("\"'"):
                parts.append(alt[1].strip("\"'"))
        elif name in _BREAK_ON_OPEN:
            parts.append("\n")
    parts.append(markup[position:])
    text = "".join(parts)
    return _tidy(html.unescape(text) if "&" in text else text)


def _tidy(text: str) -> str:
    text = text.replace("\u200b", "").replace("\xa0", " ")
    if " \n" in text or "\t\n" in text:
        text = _SPACES_BEFORE_NEWLINE.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


# -- posts ------------------------------------------------------------------------------------------------


class _Drop(ValueError):
    """A card that cannot become a Post; the message is the reason recorded in TimelinePage.dropped."""


def parse_status(mblog: dict, *, crawled_at: datetime, now: datetime | None = None) -> Post:
    """One mblog (any surface) → Post. Raises ValueError(reason) when id, author or date is unusable."""
    if not isinstance(mblog, dict):
        raise _Drop("not_an_object")
    try:
        return _build_post(mblog, _aware(crawled_at), _aware(now or crawled_at))
    except _Drop:
        raise
    except Exception as error:  # schema drift becomes a drop reason, not a crash
        raise _Drop(f"unparseable_{type(error).__name__}") from error


def _build_post(mblog: dict, crawled_at: datetime, now: datetime) -> Post:
    post_id = _post_id(mblog)
    if post_id is None:
        raise _Drop("missing_id")
    user = _dict(mblog.get("user"))
    account_id = _user_id(user)
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
    text = _plain(text_html)
    anchors = _anchors(text_html)
    raw = mblog.get("raw_text") or mblog.get("text_raw")
    tag_source = raw if isinstance(raw, str) and raw and not truncated else text
    counts, lower_bound = _counts(mblog)
    short_id = _short_id(mblog)
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
        source_client=_plain(mblog.get("source")) or None,
        hashtags=weibo_topics(tag_source),
        mentions=_mentions(anchors, tag_source),
        links=_links(mblog, anchors, tag_source),
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
    long_text = _dict(mblog.get("longText"))
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
    if top is True or (_int_or_none(top) or 0) > 0:
        return True
    if _int_or_none(mblog.get("mblogtype")) == 2:
        return True
    if _dict(mblog.get("title")).get("text") == "置顶":
        return True
    return _card_is_pinned(card)


def _card_is_pinned(card: Any) -> bool:
    profile_type = _dict(card).get("profile_type_id")
    return isinstance(profile_type, str) and profile_type.startswith("proweibotop")


def _fill_repost(post: Post, mblog: dict, original: dict) -> None:
    post.kind = "repost"
    post.ref_post_id = _post_id(original)
    # A repost's own media are only its own pictures; weibo.com hoists the original's video card onto
    # the repost, so that page_info is described in ref_format instead.
    post.format, post.media_count = _format_and_media({"pics": mblog.get("pics"), "pic_infos": mblog.get(
        "pic_infos"), "pic_ids": mblog.get("pic_ids"), "pic_num": mblog.get("pic_num")}, post.extra)
    own_card = _dict(mblog.get("page_info"))
    hoisted = original
    if not original.get("page_info") and _is_video(own_card.get("object_type") or own_card.get("type")):
        hoisted = {**original, "page_info": own_card}
    post.extra["ref_format"] = _format_and_media(hoisted, {})[0]
    user = original.get("user")
    if _is_deleted(original, user):
        post.extra["ref_deleted"] = True
        return  # the author is unknown: never counted as a fan, a brand or a peer
    user = _dict(user)
    post.ref_author_id = _user_id(user)
    name = user.get("screen_name")
    post.ref_author_name = name if isinstance(name, str) and name else None
    post.ref_author_is_organization = is_organization(user.get("verified_type"))
    post.ref_author_followers = parse_count(user.get("followers_count"))[0]
    if user.get("verified_type") is not None:
        post.extra["ref_author_verified_type"] = _int_or_none(user.get("verified_type"))


def _is_deleted(original: dict, user: Any) -> bool:
    if not isinstance(user, dict) or _user_id(user) is None:
        return True
    text = original.get("text")
    return isinstance(text, str) and any(marker in text for marker in DELETED_MARKERS)


# -- format and media -------------------------------------------------------------------------------------

_VIDEO_TYPES = frozenset({"video", 5, "5", 11, "11"})


def _format_and_media(mblog: dict, extra: dict) -> tuple[str, int]:
    page = _dict(mblog.get("page_info"))
    kind = page.get("object_type") or page.get("type")
    pics = _pictures(mblog)
    picture_count = max(len(pics), len(_list(mblog.get("pic_ids"))), _int_or_none(mblog.get("pic_num")) or 0)
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
    items = _list(_dict(mblog.get("mix_media_info")).get("items"))
    return [str(_dict(item).get("type")) for item in items if isinstance(item, dict)]


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


# -- mentions and links -----------------------------------------------------------------------------------

_ANCHOR = re.compile(r"<a\b([^>]*)>", re.IGNORECASE)
_ANCHOR_ATTRIBUTE = re.compile(
    r"""(?<![\w-])(href|data-url|usercard)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""", re.IGNORECASE)
_PLAIN_MENTION = re.compile(r"(?<![A-Za-z0-9_.\-])@([\w\-]{1,30})")
_WEIBO_HOSTS = ("weibo.com", "weibo.cn", "sinaimg.cn", "weibocdn.com", "sinajs.cn", "t.sina.com.cn")
_SHORT_HOSTS = ("t.cn",)


def _anchors(markup: str) -> list[dict[str, str]]:
    """href / data-url / usercard of each `<a>`; only these three attributes are ever read."""
    if "<a" not in markup and "<A" not in markup:
        return []
    found = []
    for match in _ANCHOR.finditer(markup):
        attributes = {}
        for name, value in _ANCHOR_ATTRIBUTE.findall(match[1]):
            value = value.strip("\"'")
            # html.unescape is costly on query strings full of bare `&`; only real entities end in `;`.
            attributes[name.lower()] = html.unescape(value) if "&" in value and ";" in value else value
        found.append(attributes)
    return found


def _mentions(anchors: list[dict[str, str]], plain: str) -> list[str]:
    """`@name` targets: from `/n/<name>` anchors when the text is HTML (exact), else from plain text."""
    if not anchors:
        return _unique(_PLAIN_MENTION.findall(plain))
    names = []
    for anchor in anchors:
        card = anchor.get("usercard", "")
        href = anchor.get("href", "")
        path = _path(href) if "/n/" in href else ""
        if path.startswith("/n/"):
            names.append(unquote(path[3:]).strip())
        elif card.startswith("name=@"):
            names.append(card[6:].strip())
    return _unique(name for name in names if name)


def _links(mblog: dict, anchors: list[dict[str, str]], plain: str) -> list[str]:
    """Outbound URLs. Weibo-internal targets (topics, /n/ mentions, the post's own video) are not links;
    a t.cn short link counts unless `url_struct` or its anchor shows it lands back on Weibo."""
    resolved = _url_struct(mblog)
    found: list[str] = []
    for anchor in anchors:
        found.extend(_anchor_link(anchor, resolved))
    if not anchors:
        for url in urls(plain):
            found.extend(_short_or_external(url, resolved))
    page = _dict(mblog.get("page_info"))
    page_url = page.get("page_url")
    if page.get("type") == "webpage" and isinstance(page_url, str) and page_url.startswith("http"):
        found.append(page_url)
    return _unique(found)


def _anchor_link(anchor: dict[str, str], resolved: dict[str, str]) -> list[str]:
    target = _unwrap(_absolute(anchor.get("href", "")))
    if _is_external(target):
        return [target]
    short = anchor.get("data-url", "")
    if _host(target) in _SHORT_HOSTS:
        return _short_or_external(target, resolved)
    if _host(short) in _SHORT_HOSTS and short in resolved:
        return _short_or_external(short, resolved)
    return []  # internal target (topic search, /n/ mention, video page): the t.cn lands on Weibo


def _short_or_external(url: str, resolved: dict[str, str]) -> list[str]:
    if _host(url) in _SHORT_HOSTS:
        target = resolved.get(url)
        if target is None:
            return [url]  # destination unknown: keep the short link itself
        return [target] if _is_external(target) else []
    return [url] if _is_external(url) else []


def _url_struct(mblog: dict) -> dict[str, str]:
    mapping = {}
    for entry in _list(mblog.get("url_struct")):
        entry = _dict(entry)
        short, long = entry.get("short_url"), entry.get("long_url") or entry.get("ori_url")
        if isinstance(short, str) and isinstance(long, str):
            mapping[short] = _unwrap(long)
    return mapping


def _path(href: str) -> str:
    try:
        return urlsplit(_absolute(href)).path
    except ValueError:  # e.g. a broken IPv6 literal: not a mention link
        return ""


def _absolute(href: str) -> str:
    return "https:" + href if href.startswith("//") else href


def _unwrap(url: str) -> str:
    """weibo.cn/sinaurl?u=<target> and ?toasturl=<target> redirectors → the target."""
    if "sinaurl" not in url:
        return url
    try:
        query = parse_qs(urlsplit(url).query)
    except ValueError:
        return url
    for key in ("u", "toasturl", "url"):
        if query.get(key):
            return query[key][0]
    return url


_HOST = re.compile(r"https?://(?:[^/?#@]*@)?([A-Za-z0-9.-]+)(?::\d*)?(?:[/?#]|$)", re.IGNORECASE)


def _host(url: str) -> str:
    """Lower-case host name of an http(s) URL, "" for anything else (relative, sinaweibo://, broken)."""
    match = _HOST.match(url)
    return match[1].lower() if match else ""


def _is_external(url: str) -> bool:
    host = _host(url)
    if not host or host in _SHORT_HOSTS:
        return False
    return not any(host == known or host.endswith("." + known) for known in _WEIBO_HOSTS)


def _unique(items: Any) -> list[str]:
    return list(dict.fromkeys(items))


def _fill_extra(extra: dict, mblog: dict, short_id: str | None, post_id: str) -> None:
    if short_id:
        extra["bid"] = short_id
    mid = _id_str(mblog.get("mid"))
    if mid and mid != post_id:
        extra["mid"] = mid
    region = mblog.get("region_name")
    if isinstance(region, str) and region.strip():
        extra["region"] = region.replace("发布于", "").strip()
    title = _dict(mblog.get("title")).get("text")
    if isinstance(title, str) and title and title != "置顶":
        extra["visibility"] = title  # 好友圈, 仅自己可见, 仅粉丝可见
    for key in ("edit_count", "reads_count", "repost_type", "ad_state"):
        value = _int_or_none(mblog.get(key))
        if value is not None:
            extra[key] = value


# -- timeline ---------------------------------------------------------------------------------------------


def parse_timeline(payload: Any, *, account_id: str, crawled_at: datetime) -> TimelinePage:
    """A timeline page (m.weibo.cn/app `cards`, weibo.com `list`) → the account's posts and the next cursor."""
    try:
        return _parse_timeline(payload, str(account_id or ""), _aware(crawled_at))
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
    if not entries or _dict(entries[0]).get("card_type") == 58:
        return TimelinePage([], since_id, "end", "the timeline has no more posts")
    page = TimelinePage([], since_id, "ok")
    seen: dict[str, Post] = {}
    for mblog, card in _mblogs(entries, "cards" in data, page.dropped):
        _add_post(page, seen, mblog, card, account_id, crawled_at)
    return page


def _cursor(data: dict) -> str | None:
    since_id = _dict(data.get("cardlistInfo")).get("since_id", data.get("since_id"))
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
    card_type = _int_or_none(card.get("card_type"))
    if card_type == 9:
        if isinstance(card.get("mblog"), dict):
            yield card["mblog"], card
        else:
            dropped.append("missing_mblog")
    elif card_type == 11 and depth < 2:
        for member in _list(card.get("card_group")):
            if isinstance(member, dict) and ("mblog" in member or _int_or_none(member.get("card_type")) == 9):
                yield from _card_mblogs(member, dropped, depth + 1)


def _add_post(page: TimelinePage, seen: dict[str, Post], mblog: Any, card: dict, account_id: str,
              crawled_at: datetime) -> None:
    try:
        post = parse_status(mblog, crawled_at=crawled_at)
    except ValueError as error:
        page.dropped.append(str(error) or "unparseable")
        return
    post.pinned = post.pinned or _card_is_pinned(card)
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
        return _parse_profile(payload, _aware(crawled_at))
    except Exception:  # no profile is an answer the spider handles
        return None


def _parse_profile(payload: Any, crawled_at: datetime) -> Account | None:
    if classify_envelope(payload)[0] != "ok":
        return None
    data = _dict(payload.get("data", payload))
    user = data.get("userInfo") if isinstance(data.get("userInfo"), dict) else data.get("user")
    if not isinstance(user, dict):
        return None
    uid = _user_id(user)
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
    for tab in _list(_dict(data.get("tabsInfo")).get("tabs")):
        if isinstance(tab, dict) and tab.get("tab_type") == "weibo" and tab.get("containerid"):
            extra["timeline_containerid"] = str(tab["containerid"])
    return extra


def apply_long_text(post: Post, full_text: str, links: Iterable[str] = ()) -> Post:
    """Put the full text (from parse_long_text) into a truncated post; tags, mentions and links found in
    the newly visible part are added to what the truncated HTML gave. `links`: those of the long text's
    anchors (`long_text_links`): in the plain text a link is only "网页链接", its URL is in the markup."""
    if not isinstance(full_text, str) or not full_text.strip():
        return post
    post.text = full_text
    post.extra.pop("truncated", None)
    post.hashtags = _unique([*post.hashtags, *weibo_topics(full_text)])
    post.mentions = _unique([*post.mentions, *_PLAIN_MENTION.findall(full_text)])
    found = [link for url in urls(full_text) for link in _short_or_external(url, {})]
    post.links = _unique([*post.links, *links, *found])
    return post


def long_text_links(payload: Any) -> list[str]:
    """Outbound links of a long-text answer (statuses/extend, statuses/show, ajax/statuses/longtext): from the
    anchors of `longTextContent` (`href`, `data-url`), with its `url_struct` resolving t.cn short links, by
    the same rules as a timeline post's links. Never raises; [] when there is no long text."""
    try:
        holder, content = _long_text_holder(payload)
        if content is None:
            return []
        return _links({"url_struct": holder.get("url_struct")}, _anchors(content), content)
    except Exception:  # a long text is optional: a strange one adds no link
        return []


# -- long text --------------------------------------------------------------------------------------------


def parse_long_text(payload: Any) -> str | None:
    """Full text from statuses/extend, statuses/show, ajax/statuses/longtext or the app API; else None."""
    try:
        return _parse_long_text(payload)
    except Exception:  # a failed long-text fetch keeps the truncated post
        return None


def _parse_long_text(payload: Any) -> str | None:
    _holder, content = _long_text_holder(payload)
    return (weibo_html_to_text(content) or None) if content is not None else None


def _long_text_holder(payload: Any) -> tuple[dict, str | None]:
    """(the object holding the long text, its markup) in any of the long-text answers; ({}, None) if none."""
    if not isinstance(payload, dict) or payload.get("ok") in (0, -100):
        return {}, None
    for holder in (_dict(payload.get("data")), payload):
        content = holder.get("longTextContent")
        if not isinstance(content, str):
            long_text = _dict(holder.get("longText"))
            content = long_text.get("longTextContent") or long_text.get("content")
            holder = {**long_text, "url_struct": holder.get("url_struct") or long_text.get("url_struct")}
        if isinstance(content, str) and content.strip():
            return holder, content
    return {}, None


# -- comments ---------------------------------------------------------------------------------------------


def parse_comments(payload: Any, *, post_id: str, post_author_id: str,
                   crawled_at: datetime) -> tuple[list[Comment], str | None, int | None]:
    """comments/hotflow (or old api/comments/show) → (comments with inline replies, next max_id, max_id_type)."""
    try:
        return _parse_comments(payload, str(post_id), str(post_author_id or ""), _aware(crawled_at))
    except Exception:  # comments are optional; a bad page yields none
        return [], None, None


def _parse_comments(payload: Any, post_id: str, author_id: str,
                    crawled_at: datetime) -> tuple[list[Comment], str | None, int | None]:
    if classify_envelope(payload)[0] != "ok":
        return [], None, None
    data = payload.get("data")
    # weibo.com buildComments puts the list in `data` and the cursor beside it; m.weibo.cn nests both.
    data = {"data": data, "max_id": payload.get("max_id")} if isinstance(data, list) else _dict(data)
    found: dict[str, Comment] = {}
    for raw in _list(data.get("data")) + _list(data.get("hot_data")):
        top = _comment(raw, post_id, author_id, crawled_at, parent_id=None)
        if top is None:
            continue
        found.setdefault(top.comment_id, top)
        for reply in _list(raw.get("comments")):  # `comments` is a list of inline replies, or false
            child = _comment(reply, post_id, author_id, crawled_at, parent_id=top.comment_id)
            if child is not None:
                found.setdefault(child.comment_id, child)
    max_id = data.get("max_id")
    next_max_id = None if max_id in (None, 0, "0", "") or isinstance(max_id, bool) else str(max_id)
    return list(found.values()), next_max_id, _int_or_none(data.get("max_id_type"))


_REPLY_TO = re.compile(r"^回复\s*@([^:：\s]+)\s*[:：]")


def _comment(raw: Any, post_id: str, author_id: str, crawled_at: datetime,
             parent_id: str | None) -> Comment | None:
    if not isinstance(raw, dict):
        return None
    comment_id = _id_str(raw.get("idstr")) or _id_str(raw.get("id"))
    if comment_id is None:
        return None
    user = _dict(raw.get("user"))
    uid = _user_id(user)
    text = _plain(raw.get("text"))
    created = raw.get("created_at")
    extra = _comment_extra(raw, text)
    name = user.get("screen_name")
    return Comment(
        platform=PLATFORM,
        comment_id=comment_id,
        post_id=post_id,
        author_id=uid,
        author_name=name if isinstance(name, str) else None,
        author_is_organization=is_organization(user.get("verified_type")),
        created_at=parse_weibo_time(created, now=crawled_at) if isinstance(created, str) else None,
        text=text,
        parent_comment_id=parent_id or _parent_of_top_level(raw, comment_id),
        is_by_post_author=bool(uid and author_id and uid == author_id),
        likes=parse_count(raw.get("like_count", raw.get("like_counts")))[0],
        crawled_at=crawled_at,
        extra=extra,
    )


def _parent_of_top_level(raw: dict, comment_id: str) -> str | None:
    """hotflow: rootid == id on a thread root; the old API names the replied comment in reply_id."""
    for key in ("reply_id", "rootid"):
        parent = _id_str(raw.get(key))
        if parent and parent != comment_id:
            return parent
    return None


def _comment_extra(raw: dict, text: str) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    badges = [badge.get("name") for badge in _list(raw.get("comment_badge")) if isinstance(badge, dict)]
    if any(isinstance(name, str) for name in badges):
        extra["badges"] = [name for name in badges if isinstance(name, str)]
    reply_to = _REPLY_TO.match(text)
    if reply_to:
        extra["reply_to_name"] = reply_to[1]
    for key in ("floor_number", "total_number"):
        value = _int_or_none(raw.get(key))
        if value is not None:
            extra[key] = value
    if raw.get("isLikedByMblogAuthor") is True:
        extra["liked_by_post_author"] = True
    source = _plain(raw.get("source"))
    if source:
        extra["source"] = source  # weibo.com: "来自北京" (the commenter's IP region)
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
