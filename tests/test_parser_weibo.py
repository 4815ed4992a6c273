"""Weibo parser on real recorded payloads (tests/fixtures/weibo/, provenance in SOURCE.md).

Small variants are built with copy.deepcopy of a real mblog and one changed field, so each quirk is tested
on the real schema rather than on an invented one.
"""

from __future__ import annotations

import ast
import copy
import json
from datetime import UTC, datetime, timedelta
from html import escape as html_escape
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmark.parsers.text import html_to_text
from benchmark.platforms.weibo import parser as weibo
from benchmark.platforms.weibo.parser import (
    apply_long_text,
    classify_envelope,
    parse_comments,
    parse_long_text,
    parse_profile,
    parse_status,
    parse_timeline,
    parse_weibo_time,
)

FIXTURES = Path(__file__).parent / "fixtures" / "weibo"
M_TIMELINE = "m_weibo_cn__getIndex_containerid_107603__timeline_page2__2019.json"
M_USERINFO = "m_weibo_cn__getIndex_type_uid__userinfo__2019.json"
M_EXTEND = "m_weibo_cn__statuses_extend__longtext__2019.json"
M_SHOW_REPOST = "m_weibo_cn__statuses_show__repost_with_retweeted_status__2019.json"
M_COMMENTS_OLD = "m_weibo_cn__api_comments_show__page1__2019.json"
M_HOTFLOW = "m_weibo_cn__comments_hotflow__first_page__2019.json"
WEB_MYMBLOG = "weibo_com__ajax_statuses_mymblog__data_member__2022.json"
WEB_PROFILE = "weibo_com__ajax_profile_info__2023.json"
WEB_REPOST = "weibo_com__ajax_status_object__repost_with_retweeted_status__2023.json"
WEB_FAVORITES = "weibo_com__ajax_favorites_all_fav__2023.json"
WEB_LONGTEXT = "weibo_com__ajax_statuses_longtext__2023.json"
APP_TIMELINE = "api_weibo_cn__2_profile_statuses__containerid_107603__2025.json"
APP_SHOW = "api_weibo_cn__2_statuses_show__isGetLongText__2025.json"

DILIREBA = "1669879400"  # owner of the m.weibo.cn timeline and of the hotflow post
WHISPERS = "1786055427"  # owner of the app-API timeline
MYMBLOG_OWNER = "2125613987"
HUSHUBAO = "1787569845"  # 护舒宝, a P&G brand (verified_type 2) commenting under the hotflow post
CRAWLED_2019 = datetime(2019, 6, 15, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, the day after the "06-14" posts
CRAWLED_2025 = datetime(2025, 7, 12, tzinfo=UTC)


def load(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def m_cards() -> list[dict]:
    return load(M_TIMELINE)["data"]["cards"]


def m_mblog(index: int) -> dict:
    return copy.deepcopy(m_cards()[index]["mblog"])


def m_mblog_where(predicate) -> dict:
    return next(copy.deepcopy(card["mblog"]) for card in m_cards() if predicate(card["mblog"]))


def status(mblog: dict):
    return parse_status(mblog, crawled_at=CRAWLED_2019)


def timeline_of(cards: list, account_id: str = DILIREBA):
    return parse_timeline({"ok": 1, "data": {"cardlistInfo": {}, "cards": cards}}, account_id=account_id,
                          crawled_at=CRAWLED_2019)


# -- every fixture parses ---------------------------------------------------------------------------------


def _card_mblogs(cards: list) -> list[dict]:
    found = []
    for card in cards:
        if card.get("card_type") == 9:
            found.append(card["mblog"])
        for member in card.get("card_group") or []:
            if member.get("card_type") == 9:
                found.append(member["mblog"])
    return found


def _timeline_case(name: str, owner: str) -> None:
    payload = load(name)
    raw = _card_mblogs(payload["cards"]) if "cards" in payload else _card_mblogs(payload["data"]["cards"])
    page = parse_timeline(payload, account_id=owner, crawled_at=CRAWLED_2025)
    assert page.status == "ok" and page.dropped == []
    assert [post.post_id for post in page.posts] == [str(mblog["id"]) for mblog in raw]


def _mymblog_case() -> None:
    payload = load(WEB_MYMBLOG)
    page = parse_timeline(payload, account_id=MYMBLOG_OWNER, crawled_at=CRAWLED_2025)
    assert page.status == "ok" and page.since_id == payload["since_id"]
    assert [post.post_id for post in page.posts] == [mblog["idstr"] for mblog in payload["list"]]


def _favorites_case() -> None:
    payload = load(WEB_FAVORITES)
    for raw in payload["data"]:
        post = parse_status(raw, crawled_at=CRAWLED_2025)
        assert post.post_id == raw["idstr"] and post.account_id == str(raw["user"]["id"])
    # A status list with any authors: no account filter when account_id is empty.
    page = parse_timeline(payload, account_id="", crawled_at=CRAWLED_2025)
    assert len(page.posts) == len(payload["data"])


def _profile_case(name: str) -> None:
    payload = load(name)
    user = payload["data"].get("userInfo") or payload["data"]["user"]
    account = parse_profile(payload, crawled_at=CRAWLED_2025)
    assert account is not None and account.account_id == str(user["id"]) and account.followers == user[
        "followers_count"]


def _long_text_case(name: str) -> None:
    text = parse_long_text(load(name))
    assert text and "<br" not in text and "</" not in text


def _status_case(name: str) -> None:
    payload = load(name)
    mblog = payload.get("data", payload)
    post = parse_status(mblog, crawled_at=CRAWLED_2025)
    assert post.post_id == str(mblog["id"]) and post.account_id == str(mblog["user"]["id"])


def _comments_case(name: str) -> None:
    payload = load(name)
    data = payload["data"]
    top_level = {str(item["id"]) for item in data["data"] + data.get("hot_data", [])}
    comments, _, _ = parse_comments(payload, post_id="1", post_author_id=DILIREBA, crawled_at=CRAWLED_2019)
    assert top_level <= {comment.comment_id for comment in comments}


FIXTURE_CASES = {
    M_TIMELINE: lambda: _timeline_case(M_TIMELINE, DILIREBA),
    APP_TIMELINE: lambda: _timeline_case(APP_TIMELINE, WHISPERS),
    WEB_MYMBLOG: _mymblog_case,
    WEB_FAVORITES: _favorites_case,
    M_USERINFO: lambda: _profile_case(M_USERINFO),
    WEB_PROFILE: lambda: _profile_case(WEB_PROFILE),
    M_EXTEND: lambda: _long_text_case(M_EXTEND),
    WEB_LONGTEXT: lambda: _long_text_case(WEB_LONGTEXT),
    APP_SHOW: lambda: (_long_text_case(APP_SHOW), _status_case(APP_SHOW)),
    M_SHOW_REPOST: lambda: _status_case(M_SHOW_REPOST),
    WEB_REPOST: lambda: _status_case(WEB_REPOST),
    M_HOTFLOW: lambda: _comments_case(M_HOTFLOW),
    M_COMMENTS_OLD: lambda: _comments_case(M_COMMENTS_OLD),
}


def test_every_fixture_file_has_a_case():
    assert {path.name for path in FIXTURES.glob("*.json")} == set(FIXTURE_CASES)


@pytest.mark.parametrize("name", sorted(FIXTURE_CASES))
def test_fixture_parses(name):
    FIXTURE_CASES[name]()


@pytest.mark.parametrize("name", sorted(FIXTURE_CASES))
def test_no_public_function_raises_on_any_fixture(name):
    """Feeding each payload to every parser (mostly the wrong one) must answer, never raise."""
    payload = load(name)
    assert classify_envelope(payload)[0] in {"ok", "end", "malformed", "login_wall", "blocked", "not_found",
                                              "private"}
    parse_timeline(payload, account_id=DILIREBA, crawled_at=CRAWLED_2019)
    parse_profile(payload, crawled_at=CRAWLED_2019)
    parse_long_text(payload)
    parse_comments(payload, post_id="1", post_author_id=DILIREBA, crawled_at=CRAWLED_2019)


def test_fast_html_to_text_matches_the_shared_helper_on_every_fixture_string():
    checked = 0

    def walk(node):
        nonlocal checked
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str) and key in {"text", "source", "longTextContent", "content", "raw_text"}:
                    assert weibo.weibo_html_to_text(value) == html_to_text(value), value[:80]
                    checked += 1
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in FIXTURES.glob("*.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    assert checked > 300


PARSER_MODULES = ("parser", "envelope", "fields", "markup", "posts", "long_text", "comments")


@pytest.mark.parametrize("name", PARSER_MODULES)
def test_module_stays_off_scrapy_and_heavy_imports(name):
    tree = ast.parse((Path(weibo.__file__).parent / f"{name}.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 and node.module}
    assert not imported & {"scrapy", "pandas", "numpy", "jinja2", "sqlalchemy"}


# -- dates ------------------------------------------------------------------------------------------------

NOW = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)  # 2024-03-01 10:00 in Shanghai


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue Jun 07 10:20:30 +0800 2022", datetime(2022, 6, 7, 2, 20, 30, tzinfo=UTC)),
        ("Tue Jun 07 10:20:30 -0500 2022", datetime(2022, 6, 7, 15, 20, 30, tzinfo=UTC)),
        ("刚刚", NOW),
        ("5分钟前", NOW - timedelta(minutes=5)),
        ("3小时前", NOW - timedelta(hours=3)),
        ("今天 06:09", datetime(2024, 2, 29, 22, 9, tzinfo=UTC)),
        ("昨天 12:00", datetime(2024, 2, 29, 4, 0, tzinfo=UTC)),  # 2024 is a leap year
        ("02-14", datetime(2024, 2, 13, 16, 0, tzinfo=UTC)),  # this year, midnight in Shanghai
        ("06-14", datetime(2023, 6, 13, 16, 0, tzinfo=UTC)),  # would be in the future: last year
        ("2019-06-14", datetime(2019, 6, 13, 16, 0, tzinfo=UTC)),
        ("2019-06-14 08:30:00", datetime(2019, 6, 14, 0, 30, tzinfo=UTC)),
    ],
)
def test_weibo_time_forms(value, expected):
    parsed = parse_weibo_time(value, now=NOW)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_relative_days_are_counted_in_shanghai_not_utc():
    # 2024-02-29 17:00 UTC is already 2024-03-01 01:00 in Shanghai: "今天" is March 1st there.
    late_utc = datetime(2024, 2, 29, 17, 0, tzinfo=UTC)
    assert parse_weibo_time("今天 00:30", now=late_utc) == datetime(2024, 2, 29, 16, 30, tzinfo=UTC)
    assert parse_weibo_time("03-01", now=late_utc) == datetime(2024, 2, 29, 16, 0, tzinfo=UTC)


def test_february_29_without_a_year_walks_back_to_a_leap_year():
    assert parse_weibo_time("02-29", now=datetime(2025, 3, 1, tzinfo=UTC)) == datetime(2024, 2, 28, 16, 0,
                                                                                       tzinfo=UTC)


@pytest.mark.parametrize("value", ["", "yesterday", "13-45", "2019-02-30", "Tue Jux 07 10:20:30 +0800 2022",
                                   None, 1560470400, "99小时以后"])
def test_unparseable_times_are_none(value):
    assert parse_weibo_time(value, now=NOW) is None


def test_relative_post_dates_use_crawl_time():
    post = status(m_mblog(0))
    assert m_mblog(0)["created_at"] == "06-14"
    assert post.created_at == datetime(2019, 6, 13, 16, 0, tzinfo=UTC)
    assert post.crawled_at == CRAWLED_2019


# -- counts -----------------------------------------------------------------------------------------------


def test_capped_count_strings_are_lower_bounds():
    raw = m_mblog_where(lambda mblog: mblog["reposts_count"] == "100万+")
    post = status(raw)
    assert post.reposts == 1_000_000 and post.counts_are_lower_bounds
    assert post.likes == raw["attitudes_count"] and post.quotes is None and post.views is None


def test_integer_counts_are_exact():
    raw = m_mblog_where(lambda mblog: all(isinstance(mblog[key], int) for key in
                                          ("reposts_count", "comments_count", "attitudes_count")))
    post = status(raw)
    assert (post.likes, post.comments, post.reposts) == (raw["attitudes_count"], raw["comments_count"],
                                                         raw["reposts_count"])
    assert not post.counts_are_lower_bounds


def test_wan_and_yi_count_strings():
    raw = m_mblog(0)
    raw.update(attitudes_count="1.2万", comments_count="3亿", reposts_count="17")
    post = status(raw)
    assert (post.likes, post.comments, post.reposts) == (12_000, 300_000_000, 17)
    assert not post.counts_are_lower_bounds


# -- format and media -------------------------------------------------------------------------------------


def test_pics_as_list_or_dict_count_the_same():
    as_list = m_mblog(0)
    as_dict = copy.deepcopy(as_list)
    as_dict["pics"] = {str(index): pic for index, pic in enumerate(as_list["pics"])}
    for raw in (as_list, as_dict):
        post = status(raw)
        assert (post.format, post.media_count) == ("image", len(as_list["pics"]))


def test_gif_from_weibo_com_pic_infos_type():
    payload = load(WEB_MYMBLOG)
    raw = next(mblog for mblog in payload["list"]
               if any(info.get("type") == "gif" for info in (mblog.get("pic_infos") or {}).values()))
    assert parse_status(raw, crawled_at=CRAWLED_2025).format == "gif"


def test_gif_from_m_weibo_pic_url():
    raw = m_mblog(0)
    raw["pics"][1]["large"]["url"] = raw["pics"][1]["large"]["url"].replace(".jpg", ".gif")
    assert status(raw).format == "gif"


def test_live_photo_is_an_image_with_a_flag():
    raw = m_mblog(0)
    raw["pics"][0]["type"] = "livephoto"
    post = status(raw)
    assert post.format == "image" and post.extra["live_photo"] is True


def test_video_from_m_weibo_page_info():
    raw = m_mblog_where(lambda mblog: (mblog.get("page_info") or {}).get("type") == "video")
    post = status(raw)
    assert (post.format, post.media_count) == ("video", 1)
    assert post.links == []  # the t.cn behind the video card is the post's own media, not an outbound link


def test_video_from_weibo_com_object_type_with_numeric_and_string_types():
    videos = [mblog for mblog in load(WEB_MYMBLOG)["list"] if mblog.get("page_info", {}).get("object_type")]
    assert {mblog["page_info"]["type"] for mblog in videos} == {5, "11"}
    for raw in videos:
        post = parse_status(raw, crawled_at=CRAWLED_2025)
        assert post.format == "video" and post.links == []


@pytest.mark.parametrize(("page_type", "expected"), [("live", "live"), ("article", "article"),
                                                     ("topic", "image")])
def test_other_page_info_types(page_type, expected):
    raw = m_mblog_where(lambda mblog: (mblog.get("page_info") or {}).get("type") == "topic" and mblog.get("pics"))
    raw["page_info"]["type"] = page_type
    assert status(raw).format == expected


def test_webpage_card_is_a_link_post():
    raw = m_mblog_where(lambda mblog: (mblog.get("page_info") or {}).get("type") == "webpage")
    post = status(raw)
    assert post.format == "link"
    assert raw["page_info"]["page_url"] in post.links
    assert post.source_client == raw["source"] == "生日动态"


def test_text_only_post():
    raw = m_mblog(0)
    del raw["pics"]
    post = status(raw)
    assert (post.format, post.media_count) == ("text", 0)


# -- text, topics, mentions, links, source ----------------------------------------------------------------


def test_emoji_alt_text_is_kept():
    raw = m_mblog(0)
    assert "<img alt=[偷笑]" in raw["text"]
    assert status(raw).text == "搬完这块砖，就可以吃好吃的了[偷笑][偷笑][偷笑]"


def test_topics_and_mentions_from_m_weibo_html():
    raw = m_mblog_where(lambda mblog: "/n/" in mblog["text"])
    post = status(raw)
    assert post.hashtags == ["蓝天保卫战我是行动者", "和地球自拍"]
    assert post.mentions == ["联合国环境规划署", "星光公益联盟"]
    assert post.links == []  # topic search pages and /n/ profiles are Weibo-internal
    assert "<" not in post.text


def test_topic_card_does_not_change_format():
    raw = m_mblog_where(lambda mblog: (mblog.get("page_info") or {}).get("type") == "topic")
    post = status(raw)
    assert post.hashtags and post.format == "image"


def test_mention_from_weibo_com_usercard_anchor_and_redirector_link_unwrapped():
    payload = load(WEB_REPOST)
    assert status(payload).mentions == ["李富强Jason"]
    original = parse_status(payload["retweeted_status"], crawled_at=CRAWLED_2025)
    assert original.links == ["https://blog.brachiosoft.com/redis"]  # from //weibo.cn/sinaurl?u=...


def test_plain_text_mentions_skip_email_addresses():
    raw = m_mblog(1)
    raw["text"] = raw["raw_text"] = "联系 helloworkwork@126.com 或者 @热爱CP 吧"
    assert status(raw).mentions == ["热爱CP"]


def test_plain_text_short_link_is_kept_unless_url_struct_says_it_is_weibo():
    raw = m_mblog(1)
    raw["text"] = raw["raw_text"] = ("新品 http://t.cn/A6abcdEF 和视频 http://t.cn/A6J4mWcc "
                                     "店铺 https://shop.example.com/x 旧帖 https://weibo.com/1669879400/HyTZc60ew")
    raw["url_struct"] = [{"short_url": "http://t.cn/A6J4mWcc",
                          "long_url": "https://video.weibo.com/show?fid=1034:4724033716158529"}]
    assert status(raw).links == ["http://t.cn/A6abcdEF", "https://shop.example.com/x"]


def test_source_client_is_stripped_of_html_and_empty_is_none():
    app_post = parse_timeline(load(APP_TIMELINE), account_id=WHISPERS, crawled_at=CRAWLED_2025).posts[0]
    assert app_post.source_client == "微博网页版"
    assert m_mblog(0)["source"] == "" and status(m_mblog(0)).source_client is None


def test_ids_and_permalinks_on_both_schemas():
    m_post = status(m_mblog(0))
    assert (m_post.post_id, m_post.account_id) == ("4383183661430868", DILIREBA)
    assert m_post.url == f"https://weibo.com/{DILIREBA}/HyTZc60ew" and m_post.extra["bid"] == "HyTZc60ew"
    web = load(WEB_MYMBLOG)["list"][0]
    assert isinstance(web["id"], int)
    web_post = parse_status(web, crawled_at=CRAWLED_2025)
    assert web_post.post_id == web["idstr"] and web_post.url == f"https://weibo.com/{MYMBLOG_OWNER}/{web['mblogid']}"


def test_permalink_falls_back_to_the_numeric_id_without_bid():
    raw = m_mblog(0)
    del raw["bid"]
    assert status(raw).url == f"https://weibo.com/{DILIREBA}/{raw['id']}"


# -- long text --------------------------------------------------------------------------------------------


def test_truncated_posts_are_flagged_for_statuses_extend():
    payload = load(WEB_MYMBLOG)
    page = parse_timeline(payload, account_id=MYMBLOG_OWNER, crawled_at=CRAWLED_2025)
    expected = [mblog["idstr"] for mblog in payload["list"] if mblog["isLongText"]]
    assert len(expected) == 3 and page.needs_long_text == expected
    for post in page.posts:
        assert post.extra.get("truncated", False) is (post.post_id in expected)
        assert not post.text.endswith("展开")


def test_parse_long_text_m_statuses_extend():
    text = parse_long_text(load(M_EXTEND))
    assert "\nNature\n" in text and "<br" not in text  # <br /> became line breaks


def test_parse_long_text_weibo_com_longtext():
    assert parse_long_text(load(WEB_LONGTEXT)).startswith("5月27日台大毕业典礼上NVIDIA公司创始人黄仁勋演讲全文")


def test_parse_long_text_app_api_and_inline_long_text_is_not_truncated():
    payload = load(APP_SHOW)
    text = parse_long_text(payload)
    assert len(text) > len(payload["text"]) and text.startswith("#国家卫健委叫停阿尔茨海默病手术#")
    post = parse_status(payload, crawled_at=CRAWLED_2025)
    assert post.text == text and "truncated" not in post.extra


def test_parse_long_text_statuses_show_shape_and_missing_long_text():
    show = load(M_SHOW_REPOST)
    assert parse_long_text(show) is None  # the repost itself is short; the long text is the original's
    original = show["data"]["retweeted_status"]
    assert parse_long_text({"ok": 1, "data": original}).startswith(original["longText"]["longTextContent"][:5])
    for junk in (None, [], "x", {"ok": 0, "msg": "请求过于频繁"}, {"ok": 1, "data": {"longTextContent": ""}}):
        assert parse_long_text(junk) is None


def test_apply_long_text_adds_what_the_full_text_reveals():
    raw = next(mblog for mblog in load(WEB_MYMBLOG)["list"] if mblog["isLongText"])
    post = parse_status(raw, crawled_at=CRAWLED_2025)
    apply_long_text(post, post.text + " #新话题# 见 @某人 http://t.cn/A6xyzW1")
    assert post.text.endswith("http://t.cn/A6xyzW1") and "truncated" not in post.extra
    assert "新话题" in post.hashtags and "某人" in post.mentions and "http://t.cn/A6xyzW1" in post.links


SHOP_ANCHOR = ('<a data-url="http://t.cn/A6shop01" href="https://shop104431213.m.taobao.com/?sm=1" data-hide="">'
               "<span class='url-icon'><img style='width: 1rem;height: 1rem' src='https://h5.sinaimg.cn/upload/"
               "2015/09/25/3/timeline_card_small_web_default.png'></span><span class=\"surl-text\">网页链接</span></a>")


def test_apply_long_text_takes_links_from_the_anchors_of_the_long_text():
    """A long sales post cut in the timeline before its shop link: the link exists only as an anchor of
    `longTextContent` (its text is "网页链接"), shaped as m.weibo.cn statuses/extend sends it."""
    raw = copy.deepcopy(next(mblog for mblog in load(WEB_MYMBLOG)["list"] if mblog["isLongText"]))
    post = parse_status(raw, crawled_at=CRAWLED_2025)
    before = list(post.links)
    extend = copy.deepcopy(load(M_EXTEND))
    extend["data"]["longTextContent"] = (html_escape(post.text) + "<br />限时下单：" + SHOP_ANCHOR
                                         + ' 领券 <a data-url="http://t.cn/A6only02" href="https://m.weibo.cn/'
                                         'sinaurl?u=https%3A%2F%2Fitem.jd.com%2F100012.html" data-hide="">'
                                         '<span class="surl-text">网页链接</span></a>')
    full_text = parse_long_text(extend)
    assert "网页链接" in full_text and "taobao" not in full_text  # the plain text has no URL to find
    apply_long_text(post, full_text, weibo.long_text_links(extend))
    assert "https://shop104431213.m.taobao.com/?sm=1" in post.links
    assert "https://item.jd.com/100012.html" in post.links  # unwrapped from Weibo's redirector
    assert post.links[:len(before)] == before


def test_long_text_links_resolve_short_links_with_the_long_texts_url_struct():
    payload = copy.deepcopy(load(WEB_LONGTEXT))
    payload["data"]["longTextContent"] = "全文 http://t.cn/A6kept03 和 http://t.cn/A6home04"
    payload["data"]["url_struct"] = [
        {"short_url": "http://t.cn/A6kept03", "long_url": "https://www.tmall.com/shop/x"},
        {"short_url": "http://t.cn/A6home04", "long_url": "https://weibo.com/1234/abc"}]
    assert weibo.long_text_links(payload) == ["https://www.tmall.com/shop/x"]
    for junk in (None, [], {"ok": 0}, {"ok": 1, "data": {"longTextContent": 5}}):
        assert weibo.long_text_links(junk) == []


# -- reposts ----------------------------------------------------------------------------------------------


def test_repost_of_a_fan():
    raw = m_mblog_where(lambda mblog: "retweeted_status" in mblog)
    original = raw["retweeted_status"]
    assert original["user"]["verified_type"] == 0
    post = status(raw)
    assert post.kind == "repost" and post.ref_post_id == original["id"]
    assert post.ref_author_id == str(original["user"]["id"]) and post.ref_author_name == "代斯daisy"
    assert post.ref_author_is_organization is False
    assert post.ref_author_followers == original["user"]["followers_count"]
    assert post.format == "text" and post.media_count == 0 and post.extra["ref_format"] == "image"


def test_repost_of_an_unverified_user_on_weibo_com():
    post = parse_status(load(WEB_REPOST), crawled_at=CRAWLED_2025)
    assert post.ref_author_is_organization is False and post.extra["ref_author_verified_type"] == -1


@pytest.mark.parametrize(("verified_type", "expected"), [(2, True), (3, True), (8, True), ("2", True),
                                                         (-1, False), (220, False), (400, None), (None, None)])
def test_repost_author_organization_from_verified_type(verified_type, expected):
    raw = m_mblog_where(lambda mblog: "retweeted_status" in mblog)
    raw["retweeted_status"]["user"]["verified_type"] = verified_type
    assert status(raw).ref_author_is_organization is expected


def test_repost_of_a_hidden_original_has_an_unknown_author():
    payload = load(APP_TIMELINE)
    raw = next(card["mblog"] for card in payload["cards"]
               if "retweeted_status" in card.get("mblog", {}) and "user" not in card["mblog"]["retweeted_status"])
    post = parse_status(raw, crawled_at=CRAWLED_2025)
    assert post.kind == "repost" and post.ref_post_id == raw["retweeted_status"]["idstr"]
    assert post.ref_author_id is None and post.ref_author_is_organization is None
    assert post.extra["ref_deleted"] is True


def test_repost_of_a_deleted_original_with_null_user():
    raw = m_mblog_where(lambda mblog: "retweeted_status" in mblog)
    raw["retweeted_status"].update(user=None, text="抱歉，此微博已被作者删除。查看帮助：<a href='x'>x</a>")
    post = status(raw)
    assert post.ref_author_id is None and post.ref_author_is_organization is None and post.extra["ref_deleted"]


@pytest.mark.parametrize("user", [None, {}, {"screen_name": "no id"}, "gone"])
def test_repost_of_an_original_without_a_usable_user_is_unknown_even_without_a_deletion_notice(user):
    raw = m_mblog_where(lambda mblog: "retweeted_status" in mblog)
    raw["retweeted_status"]["user"] = user
    post = status(raw)
    assert post.ref_author_id is None and post.ref_author_is_organization is None
    assert post.extra["ref_deleted"] is True and post.ref_author_name is None


def test_repost_keeps_its_own_format_and_the_originals_hoisted_video_as_ref_format():
    raw = next(mblog for mblog in load(WEB_FAVORITES)["data"]
               if "retweeted_status" in mblog and mblog.get("page_info", {}).get("object_type") == "video")
    post = parse_status(raw, crawled_at=CRAWLED_2025)
    assert (post.format, post.extra["ref_format"]) == ("text", "video")
    assert post.links == ["http://www.mohrss.gov.cn/SYrlzyhshbzb/rdzt/zhrmghgdyjzyjndc/"]
    assert post.mentions == ["五哥", "来去之间"]


# -- pinned -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("isTop", 1), ("isTop", True), ("mblogtype", 2),
                                              ("title", {"text": "置顶", "base_color": 1})])
def test_pinned_signals_on_the_mblog(field, value):
    raw = m_mblog(0)
    assert not status(raw).pinned
    raw[field] = value
    assert status(raw).pinned


def test_not_pinned_signals():
    raw = m_mblog(0)
    raw.update(mblogtype=1, mark="followtopweibo", title={"text": "好友圈"}, isTop=0)
    post = status(raw)
    assert not post.pinned and post.extra["visibility"] == "好友圈"


def test_pinned_from_the_card_profile_type_id():
    card = copy.deepcopy(m_cards()[0])
    card["profile_type_id"] = "proweibotop_4383183661430868"
    plain = copy.deepcopy(m_cards()[1])
    plain["profile_type_id"] = "proweibo_4383180406740606"
    page = timeline_of([card, plain])
    assert [post.pinned for post in page.posts] == [True, False]


# -- timeline pages ---------------------------------------------------------------------------------------


def test_card_group_can_hide_a_post():
    hidden = copy.deepcopy(m_cards()[0])
    page = timeline_of([{"card_type": 11, "card_group": [{"card_type": 22, "pic": "x"}, hidden]},
                        copy.deepcopy(m_cards()[1])])
    assert [post.post_id for post in page.posts] == [hidden["mblog"]["id"], m_cards()[1]["mblog"]["id"]]
    assert page.dropped == []


def test_post_in_a_card_group_and_again_as_a_card_is_kept_once_and_stays_pinned():
    pinned = copy.deepcopy(m_cards()[0])
    pinned["profile_type_id"] = "proweibotop_1"
    page = timeline_of([{"card_type": 11, "card_group": [pinned]}, copy.deepcopy(m_cards()[0])])
    assert len(page.posts) == 1 and page.posts[0].pinned and page.dropped == ["duplicate"]


def test_cursor_from_cardlist_info_and_weibo_com_data():
    assert parse_timeline(load(APP_TIMELINE), account_id=WHISPERS, crawled_at=CRAWLED_2025).since_id == str(
        load(APP_TIMELINE)["cardlistInfo"]["since_id"])
    assert parse_timeline({"ok": 1, "data": load(WEB_MYMBLOG)}, account_id=MYMBLOG_OWNER,
                          crawled_at=CRAWLED_2025).since_id == "4723815428655827kp7"
    assert parse_timeline(load(M_TIMELINE), account_id=DILIREBA, crawled_at=CRAWLED_2019).since_id is None


def test_posts_of_other_authors_are_dropped():
    page = parse_timeline(load(M_TIMELINE), account_id="42", crawled_at=CRAWLED_2019)
    assert page.posts == [] and page.dropped == ["other_author"] * 10


@pytest.mark.parametrize(
    "payload",
    [
        {"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}},
        {"ok": 0, "msg": "这里还没有内容"},
        {"ok": 1, "data": {"cardlistInfo": {"total": 1012}, "cards": []}},
        {"ok": 1, "data": {"cards": [{"card_type": 58, "name": "暂无微博"}]}},
        {"ok": 1, "data": {"since_id": "", "list": []}},
    ],
)
def test_end_of_timeline(payload):
    page = parse_timeline(payload, account_id=DILIREBA, crawled_at=CRAWLED_2019)
    assert page.status == "end" and page.posts == []


def test_login_wall():
    payload = {"ok": -100, "url": "https://passport.weibo.cn/signin/welcome?entry=mweibo&r=https%3A%2F%2Fm.weibo.cn"}
    status_, message = classify_envelope(payload)
    assert status_ == "login_wall" and "WEIBO_COOKIE" in message
    assert parse_timeline(payload, account_id=DILIREBA, crawled_at=CRAWLED_2019).status == "login_wall"
    assert parse_profile(payload, crawled_at=CRAWLED_2019) is None


def test_captcha_challenge_is_blocked():
    payload = {"ok": 0, "url": "https://security.weibo.com/captcha/geetest?type=0&ua=x"}
    status_, message = classify_envelope(payload)
    assert status_ == "blocked" and "captcha" in message


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"ok": 1, "data": {"cards": []}}, "ok"),
        ({"ok": 0, "msg": "用户不存在(20003)"}, "not_found"),
        ({"ok": 0, "errno": 20003, "msg": "error"}, "not_found"),
        ({"ok": 0, "statusCode": 200, "relation_display": 1}, "private"),
        ({"ok": 0, "msg": "请求过于频繁"}, "blocked"),
        ({"ok": 0, "msg": "something new"}, "malformed"),
        ({"error_code": 21301, "error": "relogin!"}, "login_wall"),
        ("<html><script>wbBotDetector</script></html>", "login_wall"),
        ({"since_id": "1kp2", "list": []}, "ok"),  # weibo.com `data` member saved bare
        ({"foo": "bar"}, "malformed"),
        (None, "malformed"),
        ([], "malformed"),
        ("x", "malformed"),
        (3, "malformed"),
    ],
)
def test_classify_envelope(payload, expected):
    assert classify_envelope(payload)[0] == expected


@pytest.mark.parametrize("payload", [None, [], "x", 7, {"ok": 1}, {"ok": 1, "data": "x"}, {"ok": 1, "data": []},
                                     {"ok": 1, "data": {"cards": "x"}}, {"ok": 1, "data": {"cards": [None, 3]}}])
def test_malformed_timelines_report_instead_of_raising(payload):
    page = parse_timeline(payload, account_id=DILIREBA, crawled_at=CRAWLED_2019)
    assert page.status in {"malformed", "ok", "end"} and page.posts == []
    if page.status == "malformed":
        assert page.message


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda mblog: mblog.clear(), "missing_id"),
        (lambda mblog: [mblog.pop(key) for key in ("id", "idstr", "mid")], "missing_id"),
        (lambda mblog: mblog.pop("user"), "missing_account_id"),
        (lambda mblog: mblog.update(user={"screen_name": "x"}), "missing_account_id"),
        (lambda mblog: mblog.pop("created_at"), "missing_created_at"),
        (lambda mblog: mblog.update(created_at="sometime"), "bad_created_at"),
    ],
)
def test_bad_cards_are_dropped_with_a_reason(change, reason):
    broken = copy.deepcopy(m_cards()[0])
    change(broken["mblog"])
    page = timeline_of([broken, copy.deepcopy(m_cards()[1]), {"card_type": 9}])
    assert page.status == "ok" and len(page.posts) == 1
    assert page.dropped == [reason, "missing_mblog"]


def test_minimal_empty_mblog_card_is_dropped():
    page = parse_timeline({"ok": 1, "data": {"cards": [{"card_type": 9, "mblog": {}}]}}, account_id=DILIREBA,
                          crawled_at=CRAWLED_2019)
    assert page.status == "ok" and page.posts == [] and page.dropped == ["missing_id"]


JUNK = [None, [], {}, "", "x", -1, 0, 1.5, True, [None], {"x": {}}]


def test_any_optional_field_set_to_junk_still_gives_the_post():
    """Schema drift on every field of real mblogs (a repost, a long post, a video): never an exception, and
    only the fields a Post cannot exist without (author, date) make a card drop."""
    bases = (m_mblog(1), load(WEB_MYMBLOG)["list"][14], load(WEB_MYMBLOG)["list"][0])
    for base in bases:
        for key in list(base):
            for junk in JUNK:
                raw = copy.deepcopy(base)
                raw[key] = junk
                page = timeline_of([{"card_type": 9, "mblog": raw}], account_id="")
                if key in ("user", "created_at"):
                    assert len(page.posts) + len(page.dropped) == 1, (key, junk)
                else:
                    assert len(page.posts) == 1, (key, junk, page.dropped)


def test_broken_urls_in_anchors_do_not_drop_the_post():
    raw = m_mblog(0)
    raw["text"] = "<a href='http://[::1/n/x'>@x</a> <a href='//weibo.cn/sinaurl?u=http://[bad'>网页链接</a> ok"
    post = status(raw)
    assert post.text == "@x 网页链接 ok" and post.mentions == [] and post.links == []


def test_junk_inside_nested_objects_still_gives_the_post():
    base = m_mblog(1)
    nested = [("retweeted_status", "user"), ("retweeted_status", "pics"), ("retweeted_status", "id"),
              ("user", "verified_type"), ("user", "screen_name"), ("retweeted_status", "page_info")]
    for outer, inner in nested:
        for junk in JUNK:
            raw = copy.deepcopy(base)
            raw[outer][inner] = junk
            assert status(raw).kind == "repost", (outer, inner, junk)
    for junk in JUNK:
        raw = m_mblog(0)
        raw["pics"] = [junk, *raw["pics"]]
        raw["page_info"] = {"type": junk, "object_type": junk, "page_url": junk}
        assert status(raw).media_count >= 3


json_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["ok", "data", "cards", "card_type", "mblog", "card_group", "list", "user", "id",
                         "created_at", "text", "pics", "retweeted_status", "comments", "max_id", "longText",
                         "userInfo", "url", "msg"]), children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_junk)
def test_nested_junk_never_raises(payload):
    page = parse_timeline(payload, account_id="1", crawled_at=CRAWLED_2019)
    assert page.status in {"ok", "end", "login_wall", "blocked", "not_found", "private", "malformed"}
    parse_profile(payload, crawled_at=CRAWLED_2019)
    parse_long_text(payload)
    parse_comments(payload, post_id="1", post_author_id="1", crawled_at=CRAWLED_2019)
    classify_envelope(payload)


# -- profile ----------------------------------------------------------------------------------------------


def test_profile_from_m_weibo_user_info():
    payload = load(M_USERINFO)
    user = payload["data"]["userInfo"]
    account = parse_profile(payload, crawled_at=CRAWLED_2019)
    assert account.account_id == DILIREBA and account.url == f"https://weibo.com/u/{DILIREBA}"
    assert (account.name, account.followers, account.following, account.posts_count) == (
        user["screen_name"], user["followers_count"], user["follow_count"], user["statuses_count"])
    assert account.is_organization is False and account.verified is True
    assert account.extra["verified_type"] == 0 and account.extra["mbrank"] == user["mbrank"]
    assert account.extra["timeline_containerid"] == f"107603{DILIREBA}"


def test_profile_from_weibo_com_profile_info():
    account = parse_profile(load(WEB_PROFILE), crawled_at=CRAWLED_2025)
    assert account.following == 3 and account.extra["followers_count_str"] == "24.7万"


@pytest.mark.parametrize(("verified_type", "expected"), [(2, True), (1, True), (7, True), (-1, False),
                                                         (0, False), (200, False), (10, None), ("junk", None)])
def test_profile_organization_from_verified_type(verified_type, expected):
    payload = load(M_USERINFO)
    payload["data"]["userInfo"]["verified_type"] = verified_type
    assert parse_profile(payload, crawled_at=CRAWLED_2019).is_organization is expected


def test_profile_missing_or_without_id_is_none():
    payload = load(M_USERINFO)
    del payload["data"]["userInfo"]["id"]
    assert parse_profile(payload, crawled_at=CRAWLED_2019) is None
    assert parse_profile({"ok": 1, "data": {"cards": []}}, crawled_at=CRAWLED_2019) is None


def test_profile_with_capped_follower_string():
    payload = load(M_USERINFO)
    payload["data"]["userInfo"]["followers_count"] = "6335万+"
    account = parse_profile(payload, crawled_at=CRAWLED_2019)
    assert account.followers == 63_350_000 and account.extra["followers_is_lower_bound"] is True


# -- comments ---------------------------------------------------------------------------------------------


def test_hotflow_brand_reply_to_a_fan_inside_comments():
    payload = load(M_HOTFLOW)
    thread = payload["data"]["data"][0]
    reply_raw = thread["comments"][0]
    assert thread["user"]["verified_type"] == 2 and reply_raw["user"]["id"] == int(HUSHUBAO)
    comments, max_id, max_id_type = parse_comments(payload, post_id="4383183661430868", post_author_id=HUSHUBAO,
                                                   crawled_at=CRAWLED_2019)
    reply = next(comment for comment in comments if comment.comment_id == reply_raw["id"])
    assert reply.is_by_post_author and reply.parent_comment_id == thread["id"]
    assert reply.author_is_organization is True and reply.extra["badges"] == ["loyal_fans"]
    assert reply.extra["reply_to_name"] == "热爱CP" and reply.text.endswith("[doge]")
    assert reply.created_at == datetime(2019, 6, 14, 13, 9, tzinfo=UTC)
    assert max_id == str(payload["data"]["max_id"]) and max_id_type == payload["data"]["max_id_type"] == 0


def test_hotflow_comments_false_and_fan_authors():
    payload = load(M_HOTFLOW)
    raw = payload["data"]["data"]
    inline = sum(len(item["comments"]) for item in raw if item["comments"])
    comments, _, _ = parse_comments(payload, post_id="4383183661430868", post_author_id=DILIREBA,
                                    crawled_at=CRAWLED_2019)
    assert len(comments) == len(raw) + inline
    assert not any(comment.is_by_post_author for comment in comments)
    top = {comment.comment_id: comment for comment in comments if comment.parent_comment_id is None}
    assert len(top) == len(raw)
    fan = next(item for item in raw if item["user"]["verified_type"] == -1)
    assert top[fan["id"]].author_is_organization is False and top[fan["id"]].likes == fan["like_count"]


def test_old_comments_show_shape():
    payload = load(M_COMMENTS_OLD)
    comments, max_id, max_id_type = parse_comments(payload, post_id="4383183661430868", post_author_id=DILIREBA,
                                                   crawled_at=CRAWLED_2019)
    ids = [str(item["id"]) for item in payload["data"]["data"] + payload["data"]["hot_data"]]
    assert [comment.comment_id for comment in comments] == list(dict.fromkeys(ids))
    assert (max_id, max_id_type) == (None, None)
    by_id = {comment.comment_id: comment for comment in comments}
    reply = next(item for item in payload["data"]["data"] if "reply_id" in item)
    assert by_id[str(reply["id"])].parent_comment_id == str(reply["reply_id"])
    first = payload["data"]["data"][0]
    assert first["created_at"] == "刚刚" and by_id[str(first["id"])].created_at == CRAWLED_2019
    assert by_id[str(first["id"])].likes == first["like_counts"]


def test_comments_end_and_errors():
    end = {"ok": 1, "data": {"data": [], "max_id": 0, "max_id_type": 0}}
    assert parse_comments(end, post_id="1", post_author_id="2", crawled_at=CRAWLED_2019) == ([], None, 0)
    for junk in (None, "x", {"ok": -100}, {"ok": 1, "data": {"data": [None, {"text": "no id"}]}}):
        assert parse_comments(junk, post_id="1", post_author_id="2", crawled_at=CRAWLED_2019)[0] == []


def test_config_login_reads_data_login_and_the_login_answers():
    assert weibo.config_login({"ok": 1, "data": {"login": True, "st": "x", "uid": "1"}}) is True
    assert weibo.config_login({"ok": 1, "data": {"login": False, "st": "x"}}) is False
    assert weibo.config_login({"ok": -100, "url": "https://passport.weibo.cn/signin/login"}) is False
    for unclear in (None, [], {"ok": 1}, {"ok": 1, "data": {"login": "yes"}}, {"ok": 0, "msg": "x"}):
        assert weibo.config_login(unclear) is None
