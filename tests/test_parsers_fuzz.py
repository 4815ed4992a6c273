"""Property tests: every parser, fed mutated real payloads, never raises and always returns its declared types.

Inputs start from the real recordings in tests/fixtures/<platform>/ (large pages are cut into windows of a
few items so one example stays cheap) and are then damaged the way drifting APIs and broken proxies damage
them: JSON subtrees replaced by random JSON, keys deleted or added, values changed to another type, lists
truncated or items duplicated; Telegram HTML with elements dropped or duplicated, random class and attribute
values, random text, and the page cut at a random point. Return values are checked field by field against
the dataclass annotations (aware UTC datetimes, ints that are not bools, lists of str, JSON-serialisable
`extra`), plus each parser's documented status vocabulary.

Examples per test come from the Hypothesis profile (tests/conftest.py): 200 by default, 10,000 with
HYPOTHESIS_PROFILE=slow. Figures of the slow run are in docs/reliability.md.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import types
import typing
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from benchmark.items import POST_FORMATS, POST_KINDS, Account, Comment, Post
from benchmark.parsers.common import FEED_STATUSES, FeedPage
from benchmark.platforms.bluesky import parser as bluesky
from benchmark.platforms.mastodon import parser as mastodon
from benchmark.platforms.telegram import parser as telegram
from benchmark.platforms.weibo import parser as weibo

FIXTURES = Path(__file__).parent / "fixtures"
CRAWLED_AT = datetime(2026, 9, 30, 12, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))
WEIBO_STATUSES = {"ok", "end", "login_wall", "blocked", "not_found", "private", "malformed"}

# ------------------------------------------------------------------------------------- random JSON

# Strings real payloads carry in the places parsers read: dates in every Weibo form, capped counts,
# ids, HTML fragments, DIDs and URIs, plus values that break naive code (huge digit strings, NUL).
TRICKY_STRINGS = (
    "", " ", "0", "-1", "1e309", "NaN", "100万+", "1.2K", "3.4M", "1,234", "12 345", "9" * 5000,
    "刚刚", "5分钟前", "3小时前", "昨天 12:30", "前天 08:00", "11-25", "2026-11-25", "2026-02-30",
    "Tue Jun 07 10:20:30 +0800 2022", "Tue Foo 99 99:99:99 +9999 0000", "2026-09-30T12:00:00Z",
    "2026-09-30T12:00:00.123456789+05:30", "0001-01-01T00:00:00", "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:30:00-05:00", "0001-01-01T00:30:00+05:00", "Fri Dec 31 23:30:00 -0500 9999",
    "<a href='/n/x'>@x</a>", "<span class=\"surl-text\">#话题#</span>", "...全文", "<", "</a>", "&amp;",
    "did:plc:abc", "did:", "at://did:plc:abc/app.bsky.feed.post/3k", "at://", "https://t.cn/A6abc",
    "http://[::1", "javascript:alert(1)", "\x00", "\ud7ff", "💩" * 3, "这里还没有内容", "请求过于频繁",
)
LEAVES = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
          | st.sampled_from(TRICKY_STRINGS))


def json_values(keys: list[str]) -> st.SearchStrategy[Any]:
    """Random JSON whose object keys are mostly the keys the real payload uses, so parsers look inside."""
    key = st.sampled_from(keys) | st.text(max_size=6) if keys else st.text(max_size=6)
    return st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(key, inner, max_size=4),
                        max_leaves=10)


def walk(node: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path (tuple of keys / indexes) in a JSON document, the root included."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*prefix, index))


def all_keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node).union(*(all_keys(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(all_keys(v) for v in node))
    return set()


def retyped(value: Any) -> list[Any]:
    """The same value in other JSON types, as schema drift delivers it."""
    out: list[Any] = [None, "", 0, -1, 1.5, True, [], {}, [value], {"value": value}, json.dumps(value)]
    if isinstance(value, str):
        digits = value.lstrip("-")
        out += [int(digits)] if digits.isascii() and digits.isdigit() and len(digits) < 300 else [len(value)]
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out += [str(value), float(value), -value]
    elif isinstance(value, dict):
        out += [list(value.values()), list(value)]
    elif isinstance(value, list):
        out += [{str(i): v for i, v in enumerate(value)}, value[0] if value else None]
    return out


@st.composite
def mutated_json(draw: st.DrawFn, seeds: tuple[str, ...]) -> Any:
    """A real payload (one of `seeds`, JSON text) with one to eight random mutations."""
    seed = draw(st.sampled_from(seeds))
    doc = json.loads(seed)
    values = _json_values_for(seed)
    for _ in range(draw(st.integers(1, 8))):
        path = draw(st.sampled_from(list(walk(doc))))
        doc = _mutate_at(draw, doc, path, values)
    return doc


@cache
def _json_values_for(seed: str) -> st.SearchStrategy[Any]:
    return json_values(sorted(all_keys(json.loads(seed))))


# Dates at the ends of what `datetime` holds: with an offset, converting them to UTC overflows.
FAR_DATES = ("9999-12-31T23:30:00-05:00", "9999-12-31T23:59:59.999999-23:59", "0001-01-01T00:30:00+05:00",
             "Fri Dec 31 23:30:00 -0500 9999", "Sat Jan 01 00:10:00 +0800 0001")
_DATE_LIKE = re.compile(r"^(\d{4}-\d\d-\d\dT|\w{3} \w{3} \d\d \d\d:)")


def far_dated(doc: Any, far: str) -> Any:
    """`doc` with every timestamp string replaced by `far` (a year-9999 or year-1 date)."""
    if isinstance(doc, dict):
        return {key: far_dated(value, far) for key, value in doc.items()}
    if isinstance(doc, list):
        return [far_dated(value, far) for value in doc]
    return far if isinstance(doc, str) and _DATE_LIKE.match(doc) else doc


def _mutate_at(draw: st.DrawFn, doc: Any, path: tuple, values: st.SearchStrategy[Any]) -> Any:
    value = _get(doc, path)
    operation = draw(st.sampled_from(("replace", "delete", "retype", "truncate", "duplicate", "add_key",
                                      "far_dates")))
    if operation == "far_dates":  # every date of the subtree at once: the one the parser reads is among them
        return _set(doc, path, far_dated(value, draw(st.sampled_from(FAR_DATES))))
    if operation == "delete" and path:
        parent = _get(doc, path[:-1])
        del parent[path[-1]]
        return doc
    if operation == "retype":
        new = draw(st.sampled_from(retyped(value)))
    elif operation == "truncate" and isinstance(value, (list, str)):
        new = value[: draw(st.integers(0, len(value)))]
    elif operation == "duplicate" and isinstance(value, list) and value:
        index = draw(st.integers(0, len(value) - 1))
        new = [*value[: index + 1], copy.deepcopy(value[index]), *value[index + 1:]]
    elif operation == "add_key" and isinstance(value, dict):
        new = {**value, draw(st.sampled_from(sorted(map(str, value)) or ["x"]) | st.text(max_size=6)): draw(values)}
    else:
        new = draw(values)
    return _set(doc, path, new)


def _get(doc: Any, path: tuple) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def _set(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


# ------------------------------------------------------------------------------------- random HTML

XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
TRICKY_ATTRIBUTES = ("", "0", "9999-12-31T23:30:00-05:00", "0001-01-01T00:30:00+05:00",
                     "swiftui_dev/abc", "swiftui_dev/99999999999999999999", "/", "a/b/c", "x/-1",
                     "2026-13-45T99:99:99+00:00", "background-image:url('", "tg://resolve?domain=",
                     "https://t.me/", "javascript:", "1.2K", "992")


@st.composite
def mutated_html(draw: st.DrawFn, seeds: tuple[str, ...]) -> str | bytes:
    """A real t.me page with elements dropped/duplicated/re-classed/re-attributed/re-texted, maybe cut."""
    seed = draw(st.sampled_from(seeds))
    root = lxml.html.document_fromstring(seed)
    classes, attributes = _html_vocabulary(seed)
    for _ in range(draw(st.integers(0, 8))):
        elements = [el for el in root.iter() if isinstance(el.tag, str)]
        _mutate_element(draw, draw(st.sampled_from(elements)), classes, attributes)
    markup = lxml.html.tostring(root, encoding="unicode")
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(markup)))
        markup = markup[:cut] + draw(st.text(max_size=10))  # raw text: control characters included
    return markup.encode("utf-8") if draw(st.integers(0, 9)) == 0 else markup


@cache
def _html_vocabulary(seed: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    root = lxml.html.document_fromstring(seed)
    classes = {name for el in root.iter() if isinstance(el.tag, str) for name in (el.get("class") or "").split()}
    attributes = {name for el in root.iter() if isinstance(el.tag, str) for name in el.attrib}
    return tuple(sorted(classes)), tuple(sorted(attributes))


def _mutate_element(draw: st.DrawFn, element: Any, classes: tuple[str, ...], attributes: tuple[str, ...]) -> None:
    operation = draw(st.sampled_from(("drop", "duplicate", "class", "attribute", "text", "unwrap")))
    parent = element.getparent()
    if operation == "drop" and parent is not None:
        element.drop_tree()
    elif operation == "duplicate" and parent is not None:
        element.addnext(copy.deepcopy(element))
    elif operation == "class":
        element.set("class", " ".join(draw(st.lists(st.sampled_from(classes), min_size=1, max_size=3))))
    elif operation == "attribute":
        name = draw(st.sampled_from(attributes))
        element.set(name, draw(st.sampled_from(TRICKY_ATTRIBUTES) | XML_TEXT))
    elif operation == "text":
        element.text = draw(st.sampled_from(TRICKY_ATTRIBUTES) | XML_TEXT)
    elif operation == "unwrap" and parent is not None:
        element.drop_tag()


# ------------------------------------------------------------------------------------------ seeds


def load_json(platform: str, name: str) -> Any:
    return json.loads((FIXTURES / platform / name).read_text(encoding="utf-8"))


def windows(items: list[Any], size: int, limit: int = 12) -> list[list[Any]]:
    """Consecutive slices of `size` items (at most `limit` of them): big real pages, cheap examples."""
    return [items[i:i + size] for i in range(0, len(items), size)][:limit] or [[]]


def with_list(payload: Any, path: tuple, items: list[Any]) -> str:
    doc = copy.deepcopy(payload)
    _set(doc, path, items)
    return json.dumps(doc, ensure_ascii=False)


def windowed(platform: str, name: str, path: tuple, size: int = 3) -> list[str]:
    payload = load_json(platform, name)
    return [with_list(payload, path, part) for part in windows(_get(payload, path), size)]


def dumped(*payloads: Any) -> list[str]:
    return [json.dumps(p, ensure_ascii=False) for p in payloads]


WEIBO_TIMELINES = tuple(
    windowed("weibo", "m_weibo_cn__getIndex_containerid_107603__timeline_page2__2019.json", ("data", "cards"))
    + windowed("weibo", "api_weibo_cn__2_profile_statuses__containerid_107603__2025.json", ("cards",))
    + windowed("weibo", "weibo_com__ajax_statuses_mymblog__data_member__2022.json", ("list",))
    + windowed("weibo", "weibo_com__ajax_favorites_all_fav__2023.json", ("data",))
)
WEIBO_PROFILES = tuple(dumped(load_json("weibo", "m_weibo_cn__getIndex_type_uid__userinfo__2019.json"),
                              load_json("weibo", "weibo_com__ajax_profile_info__2023.json")))
WEIBO_LONG_TEXTS = tuple(dumped(*(load_json("weibo", name) for name in (
    "m_weibo_cn__statuses_extend__longtext__2019.json", "weibo_com__ajax_statuses_longtext__2023.json",
    "api_weibo_cn__2_statuses_show__isGetLongText__2025.json",
    "m_weibo_cn__statuses_show__repost_with_retweeted_status__2019.json"))))
WEIBO_COMMENTS = tuple(
    windowed("weibo", "m_weibo_cn__comments_hotflow__first_page__2019.json", ("data", "data"), 4)
    + windowed("weibo", "m_weibo_cn__api_comments_show__page1__2019.json", ("data", "hot_data"), 4)
)
WEIBO_ANY = WEIBO_TIMELINES + WEIBO_PROFILES + WEIBO_LONG_TEXTS + WEIBO_COMMENTS
WEIBO_UIDS = ("", "1642634100", "2803301701", "5977512966")


def _thread_posts(node: dict) -> list[dict]:
    posts = [node["post"]] if isinstance(node.get("post"), dict) else []
    for reply in node.get("replies", []):
        posts.extend(_thread_posts(reply))
    return posts


def _bluesky_feed_items() -> list[dict]:
    folder = FIXTURES / "bluesky"
    items = [{"post": load_json("bluesky", p.name)} for p in sorted(folder.glob("atat_postview_*.json"))]
    items.append(load_json("bluesky", "atat_feedviewpost_reasonRepost.json"))
    for name in ("dannguyen_getPostThread-simple.response.json", "dannguyen_getPostThread.response.json",
                 "marshalx_thread_view_post_with_embed_media.json"):
        items += [{"post": post} for post in _thread_posts(load_json("bluesky", name)["thread"])[:12]]
    return items


BLUESKY_FEEDS = tuple(dumped(*({"feed": part, "cursor": "2024-11-20T10:00:00.000Z"}
                               for part in windows(_bluesky_feed_items(), 3, limit=40))))
_FOLLOWS = load_json("bluesky", "marshalx_get_follows.json")
BLUESKY_PROFILES = tuple(dumped(_FOLLOWS["subject"], *_FOLLOWS["follows"]))
BLUESKY_PROFILE_LISTS = tuple(dumped(*({"profiles": part} for part in windows(
    [_FOLLOWS["subject"], *_FOLLOWS["follows"]], 3))))

MASTODON_ACCOUNTS = tuple(dumped(
    load_json("mastodon", "account_lookup_200.json"), load_json("mastodon", "account_remote_23972.json"),
    load_json("mastodon", "account_lookup_404.json"), *load_json("mastodon", "search_v2.json")["accounts"][:8]))
_SINGLE_STATUSES = ("status_audio.json", "status_card_link.json", "status_card_video.json", "status_gifv.json",
                    "status_image.json", "status_poll.json", "status_quote.json", "status_reply_to_other.json",
                    "status_self_boost.json", "status_video_remote.json", "msync_boosted_status_attachment_json.json",
                    "msync_mentions_json.json", "msync_anonymous_poll_json.json")
MASTODON_STATUSES = tuple(
    dumped(*([load_json("mastodon", name)] for name in _SINGLE_STATUSES))
    + [json.dumps(part) for name in ("statuses_page1.json", "statuses_pinned.json", "msync_statuses_array_json.json")
       for part in windows(load_json("mastodon", name), 2)]
)
MASTODON_LINKS = tuple((FIXTURES / "mastodon" / name).read_text(encoding="utf-8").strip()
                       for name in ("statuses_page1.link", "statuses_page2.link", "statuses_pinned.link"))


def _telegram_channel_windows(size: int = 3) -> list[str]:
    """The channel page with only `size` consecutive messages kept, for each window."""
    markup = (FIXTURES / "telegram" / "laconicman_swiftui_dev_tme_s_page.html").read_text(encoding="utf-8")
    count = len(lxml.html.document_fromstring(markup).find_class("tgme_widget_message_wrap"))
    pages = []
    for start in range(0, count, size):
        root = lxml.html.document_fromstring(markup)
        for index, wrap in enumerate(root.find_class("tgme_widget_message_wrap")):
            if not start <= index < start + size:
                wrap.drop_tree()
        pages.append(lxml.html.tostring(root, encoding="unicode"))
    return pages


TELEGRAM_PAGES = tuple(
    _telegram_channel_windows()
    + [(FIXTURES / "telegram" / name).read_text(encoding="utf-8") for name in (
        "laconicman_post-album.html", "laconicman_post-forward.html", "laconicman_post-poll.html",
        "laconicman_post-reply.html", "laconicman_plain-contactonly.html", "laconicman_plain-members.html",
        "laconicman_plain-subscribers.html")]
)

# -------------------------------------------------------------------------------- declared types


def conforms(value: Any, hint: Any) -> bool:
    """Does `value` match the annotation `hint` (the subset of typing the item dataclasses use)?"""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if origin in (types.UnionType, typing.Union):
        return any(conforms(value, option) for option in args)
    if hint is type(None):
        return value is None
    if origin is list:
        return isinstance(value, list) and all(conforms(item, args[0]) for item in value)
    if origin is dict:
        return isinstance(value, dict) and all(conforms(k, args[0]) and conforms(v, args[1]) for k, v in value.items())
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is datetime:
        return isinstance(value, datetime) and value.utcoffset() == timedelta(0)  # aware and in UTC
    return isinstance(value, hint)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def check_item(item: Any, cls: type) -> None:
    """Every field of a dataclass item has its declared type; `extra` survives the store's JSON column."""
    assert type(item) is cls, type(item)
    for field in dataclasses.fields(cls):
        value = getattr(item, field.name)
        assert conforms(value, _hints(cls)[field.name]), f"{cls.__name__}.{field.name} = {value!r}"
    if hasattr(item, "extra"):
        json.dumps(item.extra)
    if isinstance(item, Post):
        assert item.kind in POST_KINDS and item.format in POST_FORMATS, (item.kind, item.format)
        assert item.post_id, "a post without an id"


def outcome(status: str, items: list, dropped: list | None = None) -> None:
    """Statistics (--hypothesis-show-statistics): how far into the parser the damaged inputs got."""
    event(f"status {status}, {'with' if items else 'no'} items" + (", some dropped" if dropped else ""))


def check_feed_page(page: Any, account_id: str) -> None:
    outcome(page.status, page.posts, page.dropped)
    assert type(page) is FeedPage
    assert page.status in FEED_STATUSES, page.status
    assert conforms(page.cursor, str | None) and isinstance(page.message, str)
    assert conforms(page.dropped, list[str]) and conforms(page.ref_authors, list[str])
    assert isinstance(page.posts, list)
    for post in page.posts:
        check_item(post, Post)
        assert post.account_id == account_id


# ------------------------------------------------------------------------------- seeds are sound


def test_the_seeds_are_real_and_parse_cleanly() -> None:
    """Without mutation every seed gives data: the fuzz starts from payloads the parsers understand."""
    timelines = [weibo.parse_timeline(json.loads(s), account_id="", crawled_at=CRAWLED_AT) for s in WEIBO_TIMELINES]
    assert all(page.status == "ok" and page.posts for page in timelines)
    assert all(weibo.parse_profile(json.loads(s), crawled_at=CRAWLED_AT) for s in WEIBO_PROFILES)
    assert sum(bool(weibo.parse_long_text(json.loads(s))) for s in WEIBO_LONG_TEXTS) == 3  # + a short show
    assert all(weibo.parse_comments(json.loads(s), post_id="1", post_author_id="", crawled_at=CRAWLED_AT)[0]
               for s in WEIBO_COMMENTS)
    feeds = [bluesky.parse_author_feed(json.loads(s), account_id="x", crawled_at=CRAWLED_AT) for s in BLUESKY_FEEDS]
    assert all(page.status == "ok" and page.posts for page in feeds) and len(feeds) >= 8
    assert all(bluesky.parse_profile(json.loads(s), crawled_at=CRAWLED_AT)[1] == "ok" for s in BLUESKY_PROFILES)
    assert all(bluesky.parse_profiles(json.loads(s)) for s in BLUESKY_PROFILE_LISTS)
    statuses = [mastodon.parse_statuses(json.loads(s), account_id="a@b.c", crawled_at=CRAWLED_AT)
                for s in MASTODON_STATUSES]
    assert all(page.posts for page in statuses)
    accounts = [mastodon.parse_account(json.loads(s), account_id="a@b.c", crawled_at=CRAWLED_AT)
                for s in MASTODON_ACCOUNTS]
    assert sum(status == "ok" for _, status, _ in accounts) == len(MASTODON_ACCOUNTS) - 1  # one recorded 404
    assert all(mastodon.next_max_id(link) for link in MASTODON_LINKS[:2])
    channel_pages = [telegram.parse_channel_page(s, channel="swiftui_dev", crawled_at=CRAWLED_AT)[1]
                     for s in TELEGRAM_PAGES[:-4]]
    assert all(page.status == "ok" and page.posts for page in channel_pages) and len(channel_pages) >= 7


def test_the_type_checks_can_fail() -> None:
    """The checks above are only worth their 10,000 examples if they reject what drifted parsers produce."""
    good = Post(platform="weibo", post_id="1", account_id="2", created_at=CRAWLED_AT, likes=3, hashtags=["a"])
    check_item(good, Post)
    for change in ({"created_at": datetime(2026, 9, 30)}, {"created_at": datetime(2026, 9, 30, tzinfo=SHANGHAI)},
                   {"likes": True}, {"likes": "3"}, {"hashtags": ["a", 1]}, {"kind": "boost"}, {"post_id": ""},
                   {"extra": {"seen": {1, 2}}}, {"url": b"https://x"}):
        with pytest.raises((AssertionError, TypeError)):
            check_item(dataclasses.replace(good, **change), Post)
    with pytest.raises(AssertionError):
        check_item(Account(platform="weibo", account_id="1", followers=1.5), Account)


# ------------------------------------------------------------------------------------------- Weibo


@given(payload=mutated_json(WEIBO_TIMELINES), account_id=st.sampled_from(WEIBO_UIDS))
def test_weibo_parse_timeline(payload: Any, account_id: str) -> None:
    page = weibo.parse_timeline(payload, account_id=account_id, crawled_at=CRAWLED_AT)
    outcome(page.status, page.posts, page.dropped)
    assert type(page) is weibo.TimelinePage
    assert page.status in WEIBO_STATUSES and isinstance(page.message, str)
    assert conforms(page.since_id, str | None)
    assert conforms(page.dropped, list[str]) and conforms(page.needs_long_text, list[str])
    for post in page.posts:
        check_item(post, Post)
        assert post.platform == "weibo"
        assert not account_id or post.account_id == account_id
    assert set(page.needs_long_text) <= {post.post_id for post in page.posts}
    assert len({post.post_id for post in page.posts}) == len(page.posts)


@given(payload=mutated_json(WEIBO_PROFILES))
def test_weibo_parse_profile(payload: Any) -> None:
    account = weibo.parse_profile(payload, crawled_at=CRAWLED_AT)
    event("account" if account else "no account")
    if account is not None:
        check_item(account, Account)
        assert account.platform == "weibo" and account.account_id


@given(payload=mutated_json(WEIBO_LONG_TEXTS))
def test_weibo_parse_long_text(payload: Any) -> None:
    text = weibo.parse_long_text(payload)
    event("text" if text else "no text")
    assert text is None or (isinstance(text, str) and text.strip())


@given(payload=mutated_json(WEIBO_COMMENTS), author=st.sampled_from(WEIBO_UIDS))
def test_weibo_parse_comments(payload: Any, author: str) -> None:
    result = weibo.parse_comments(payload, post_id="4400000000000001", post_author_id=author,
                                  crawled_at=CRAWLED_AT)
    assert isinstance(result, tuple) and len(result) == 3
    comments, max_id, max_id_type = result
    outcome("cursor" if max_id else "no cursor", comments)
    assert isinstance(comments, list) and conforms(max_id, str | None) and conforms(max_id_type, int | None)
    for comment in comments:
        check_item(comment, Comment)
        assert comment.post_id == "4400000000000001"
    assert len({c.comment_id for c in comments}) == len(comments)


@given(payload=mutated_json(WEIBO_ANY) | json_values([]))
def test_weibo_classify_envelope(payload: Any) -> None:
    result = weibo.classify_envelope(payload)
    assert isinstance(result, tuple) and len(result) == 2
    status, message = result
    event(f"status {status}")
    assert status in WEIBO_STATUSES and isinstance(message, str)


# ----------------------------------------------------------------------------------------- Bluesky


@given(payload=mutated_json(BLUESKY_PROFILES), account_id=st.sampled_from([None, "brand.bsky.social"]))
def test_bluesky_parse_profile(payload: Any, account_id: str | None) -> None:
    result = bluesky.parse_profile(payload, crawled_at=CRAWLED_AT, account_id=account_id)
    assert isinstance(result, tuple) and len(result) == 3
    account, status, message = result
    outcome(status, [account] if account else [])
    assert status in FEED_STATUSES and isinstance(message, str)
    if account is not None:
        check_item(account, Account)
        assert account.platform == "bluesky"
    else:
        assert status != "ok"


@given(payload=mutated_json(BLUESKY_FEEDS), owner=st.sampled_from([None, "did:plc:x"]))
def test_bluesky_parse_author_feed(payload: Any, owner: str | None) -> None:
    page = bluesky.parse_author_feed(payload, account_id="brand.bsky.social", crawled_at=CRAWLED_AT, owner_did=owner)
    check_feed_page(page, "brand.bsky.social")


@given(payload=mutated_json(BLUESKY_PROFILE_LISTS))
def test_bluesky_parse_profiles(payload: Any) -> None:
    authors = bluesky.parse_profiles(payload)
    event(f"{min(len(authors), 3)} authors")
    assert isinstance(authors, dict)
    for did, info in authors.items():
        assert isinstance(did, str) and did.startswith("did:")
        assert set(info) == {"followers", "is_organization", "is_bot", "verified", "handle", "name", "opted_out"}
        assert conforms(info["followers"], int | None)
        assert isinstance(info["handle"], str) and isinstance(info["name"], str)
        assert all(conforms(info[k], bool | None) for k in ("is_organization", "is_bot", "verified", "opted_out"))


# ---------------------------------------------------------------------------------------- Mastodon


@given(payload=mutated_json(MASTODON_ACCOUNTS))
def test_mastodon_parse_account(payload: Any) -> None:
    result = mastodon.parse_account(payload, account_id="brand@mastodon.example", crawled_at=CRAWLED_AT)
    assert isinstance(result, tuple) and len(result) == 3
    account, status, message = result
    outcome(status, [account] if account else [])
    assert status in FEED_STATUSES and isinstance(message, str)
    if account is not None:
        check_item(account, Account)
        assert account.account_id == "brand@mastodon.example"


def link_headers() -> st.SearchStrategy[str | bytes | None]:
    """Real Link headers, cut, spliced with random text, or as bytes (what Scrapy hands over)."""
    real = st.sampled_from(MASTODON_LINKS)
    spliced = st.tuples(real, st.integers(0, 300), st.text(max_size=20)).map(lambda t: t[0][: t[1]] + t[2])
    text = real | spliced | st.text(max_size=80) | st.sampled_from(TRICKY_STRINGS)
    return st.none() | text | text.map(lambda s: s.encode("utf-8", "surrogatepass")) | st.binary(max_size=80)


@given(payload=mutated_json(MASTODON_STATUSES), link=link_headers(), pinned=st.booleans())
def test_mastodon_parse_statuses(payload: Any, link: str | bytes | None, pinned: bool) -> None:
    page = mastodon.parse_statuses(payload, account_id="brand@mastodon.example", crawled_at=CRAWLED_AT,
                                   link_header=link, pinned=pinned)
    check_feed_page(page, "brand@mastodon.example")


@given(link=link_headers())
def test_mastodon_next_max_id(link: str | bytes | None) -> None:
    cursor = mastodon.next_max_id(link)
    event("cursor" if cursor else "no cursor")
    assert cursor is None or (isinstance(cursor, str) and cursor)


# ---------------------------------------------------------------------------------------- Telegram


@given(markup=mutated_html(TELEGRAM_PAGES), url=st.sampled_from(["", "https://t.me/swiftui_dev"]))
def test_telegram_parse_channel_page(markup: str | bytes, url: str) -> None:
    result = telegram.parse_channel_page(markup, channel="swiftui_dev", crawled_at=CRAWLED_AT, url=url)
    assert isinstance(result, tuple) and len(result) == 2
    account, page = result
    if account is not None:
        check_item(account, Account)
        assert account.platform == "telegram"
    check_feed_page(page, "swiftui_dev")


@pytest.mark.parametrize("junk", [None, b"", "", "   ", b"\xff\xfe\x00", "<html", "\x00" * 10, "<div class="])
def test_telegram_parse_channel_page_on_non_pages(junk: Any) -> None:
    account, page = telegram.parse_channel_page(junk, channel="swiftui_dev", crawled_at=CRAWLED_AT)
    assert account is None and page.status in FEED_STATUSES and page.posts == []


# ------------------------------------------------------------------------------- out-of-range dates


@pytest.mark.parametrize("far", FAR_DATES)
def test_year_9999_and_year_1_dates_never_raise(far: str) -> None:
    """Every real payload with all its dates at the ends of `datetime`'s range: the parsers skip or keep the
    items, they never raise (an OverflowError used to escape the Bluesky, Mastodon and Telegram parsers)."""
    for seed in WEIBO_TIMELINES:
        page = weibo.parse_timeline(far_dated(json.loads(seed), far), account_id="", crawled_at=CRAWLED_AT)
        assert page.status in WEIBO_STATUSES
    for seed in BLUESKY_FEEDS:
        _check_page(bluesky.parse_author_feed(far_dated(json.loads(seed), far), account_id="brand.bsky.social",
                                                  crawled_at=CRAWLED_AT), "brand.bsky.social")
    for seed in MASTODON_STATUSES:
        _check_page(mastodon.parse_statuses(far_dated(json.loads(seed), far), account_id="b@mastodon.example",
                                                crawled_at=CRAWLED_AT), "b@mastodon.example")
    for seed in TELEGRAM_PAGES:
        markup = re.sub(r'datetime="[^"]*"', f'datetime="{far}"', seed)
        _account, page = telegram.parse_channel_page(markup, channel="swiftui_dev", crawled_at=CRAWLED_AT)
        _check_page(page, "swiftui_dev")


def _check_page(page: Any, account_id: str) -> None:
    assert type(page) is FeedPage and page.status in FEED_STATUSES
    for post in page.posts:
        check_item(post, Post)
        assert post.account_id == account_id
