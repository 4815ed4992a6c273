"""Weibo's small readers shared by the parser's modules: constants, times (every surface's date formats, in
Shanghai time) and field readers that never raise. Pure: no Scrapy, no network.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from benchmark.i18n import Message

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
        return _parse_time(value.strip(), as_aware(now))
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


def as_aware(moment: Any) -> datetime:
    if not isinstance(moment, datetime):
        return datetime.now(UTC)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# -- small field readers ----------------------------------------------------------------------------------


def id_str(value: Any) -> str | None:
    """Ids as strings; floats are refused because 16-digit mids do not survive them."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value) if value > 0 else None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def is_organization(verified_type: Any) -> bool | None:
    """Weibo verified_type → organisation (True), person (False) or unknown (None)."""
    number = int_or_none(verified_type)
    if number in ORGANIZATION_TYPES:
        return True
    if number in INDIVIDUAL_TYPES:
        return False
    return None


def user_id(user: dict) -> str | None:
    return id_str(user.get("idstr")) or id_str(user.get("id"))


def short_id_of(mblog: dict) -> str | None:
    bid = mblog.get("bid") or mblog.get("mblogid")
    return bid.strip() or None if isinstance(bid, str) else None


def post_id_of(mblog: dict) -> str | None:
    return id_str(mblog.get("idstr")) or id_str(mblog.get("id")) or id_str(mblog.get("mid"))


def dedupe(items: Any) -> list[str]:
    return list(dict.fromkeys(items))
