"""Weibo (m.weibo.cn) payloads for the sample panel, shaped like shared/fixtures/weibo/m_weibo_cn__*.

Routes (below the /weibo prefix):
  /api/container/getIndex?type=uid&value=<uid> | ?containerid=100505<uid>   → profile (data.userInfo)
  /api/container/getIndex?containerid=107603<uid>[&since_id=<mid>][&page=N]  → timeline, 10 cards a page
  /statuses/extend?id=<mid>                                                  → long text
  /statuses/show?id=<mid>                                                    → one mblog
  /comments/hotflow?id=<mid>&mid=<mid>&max_id_type=0[&max_id=<cursor>]      → comments, 20 a page
  /api/config                                                                → login state (`data.login`)

Strict mode (`SampleSite(weibo_strict=True, weibo_cookie=...)`, `--strict-weibo` on the command line; the
end-to-end tests use it, the demo keeps the lenient default): like real m.weibo.cn for anonymous or
scripted clients, a request without the expected cookie (when one is set) or without the mobile web
client's headers (`X-Requested-With: XMLHttpRequest`, `MWeibo-Pwa: 1`, a `Referer` of the account's page
or the post's page) gets the visitor redirect (getIndex) or `{"ok": -100, "url": <login>}` (other APIs).
`/api/config` says `login: true` only to the expected cookie. Rejections are counted (`/__strict`).

Text fields are HTML exactly as m.weibo.cn sends them: topics and @mentions as links, emoji as
`<span class="url-icon"><img alt=[笑cry] ...></span>`, links as "网页链接" anchors, long posts cut with a
"全文" link. Dates mix the relative forms ("刚刚", "N分钟前", "N小时前", "昨天 HH:MM", "MM-DD", "YYYY-MM-DD")
with the full "Tue Jun 07 10:20:30 +0800 2022" form, relative to the server's clock (`site.now()`).
Counts of 1,000,000 or more are the string "100万+", as the real API sends them.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from benchmark.sample import HTML_TYPE, Reply, counted, dump_json, first, json_reply, redirect, throttle
from benchmark.sample.panel import (
    SHANGHAI,
    SampleAccount,
    SampleAuthor,
    SampleComment,
    SamplePost,
    SampleRef,
    comments_for,
    mid_to_bid,
    tokenize,
)

PAGE_SIZE = 10
COMMENTS_PAGE = 20
DISPLAY_CHARS = 110  # long posts show this many characters, then "...全文"
END_OF_LIST = {"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}}
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
EMOJI_FILES = {
    "[笑cry]": "default/d_xiaoku-f2bd11b506.png", "[doge]": "others/d_doge-861403219c.png",
    "[心]": "others/l_xin-43af9086c0.png", "[赞]": "others/h_zan-44ddc70637.png",
    "[哈哈]": "default/d_haha-0ed7d4c7c9.png", "[偷笑]": "default/d_touxiao-15afb1c739.png",
    "[喵喵]": "others/d_miao-7ba7d3b0aa.png", "[允悲]": "default/d_yunbei-a14a649db8.png",
    "[二哈]": "default/d_erha-0d2bea3a7d.png", "[鼓掌]": "default/d_guzhang-cd3a6c5ab3.png",
}
CAPTCHA_URL = "https://security.weibo.com/captcha/geetest?type=mweibo&r="
SIGNIN_URL = "https://passport.weibo.cn/signin/login?entry=mweibo&r="
PRIVATE = {"ok": 0, "msg": "由于博主设置，目前内容暂不可见。", "statusCode": 200, "relation_display": 1}
COMMENT_MANAGE = {"comment_permission_type": -1, "approval_comment_type": 0}
NUMBER_DISPLAY = {"apply_scenario_flag": 3, "display_text_min_number": 1000000, "display_text": "100万+"}


# ------------------------------------------------------------------------------------ formatting


def full_date(moment: datetime) -> str:
    """"Tue Jun 07 10:20:30 +0800 2022" without depending on the C locale."""
    local = moment.astimezone(SHANGHAI)
    return f"{DAYS[local.weekday()]} {MONTHS[local.month - 1]} {local:%d %H:%M:%S} +0800 {local.year}"


def created_at(moment: datetime, now: datetime, post_id: str) -> str:
    """The date as m.weibo.cn lists show it: relative for recent posts, a per-post mix for older ones."""
    seconds = (now - moment).total_seconds()
    local, today = moment.astimezone(SHANGHAI), now.astimezone(SHANGHAI).date()
    if seconds < 0:
        return full_date(moment)
    if seconds < 60:
        return "刚刚"
    if seconds < 3600:
        return f"{int(seconds // 60)}分钟前"
    if seconds < 86400:
        return f"{int(seconds // 3600)}小时前"
    if local.date() == today - timedelta(days=1):
        return f"昨天 {local:%H:%M}"
    if int(hashlib.md5(post_id.encode()).hexdigest()[:4], 16) % 10 < 7:
        return full_date(moment)
    return f"{local:%m-%d}" if local.year == today.year else f"{local:%Y-%m-%d}"


def count(value: int) -> int | str:
    """Counts of a million or more are capped strings on Weibo."""
    return "100万+" if value >= 1_000_000 else value


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _topic_link(topic: str, uid: str) -> str:
    q = quote(topic, safe="")
    return (f'<a  href="https://m.weibo.cn/search?containerid=231522type%3D1%26t%3D10%26q%3D{q}&extparam={q}'
            f'&luicode=10000011&lfid=107603{uid}" data-hide=""><span class="surl-text">{escape(topic)}</span></a>')


def _emoji(code: str) -> str:
    path = EMOJI_FILES.get(code, "default/d_xiaoku-f2bd11b506.png")
    return (f'<span class="url-icon"><img alt={code} src="//h5.sinaimg.cn/m/emoticon/icon/{path}" '
            f'style="width:1em; height:1em;" /></span>')


def _url(url: str) -> str:
    short = "http://t.cn/A6" + hashlib.md5(url.encode()).hexdigest()[:6]
    return (f'<a data-url="{short}" href="{escape(url)}" data-hide=""><span class=\'url-icon\'><img '
            "style='width: 1rem;height: 1rem' src='https://h5.sinaimg.cn/upload/2015/09/25/3/"
            "timeline_card_small_web_default.png'></span><span class=\"surl-text\">网页链接</span></a>")


def text_html(text: str, uid: str) -> str:
    parts = []
    for kind, value in tokenize(text, "weibo"):
        if kind == "topic":
            parts.append(_topic_link(value, uid))
        elif kind == "mention":
            parts.append(f"<a href='/n/{escape(value)}'>@{escape(value)}</a>")
        elif kind == "emoji":
            parts.append(_emoji(value))
        elif kind == "url":
            parts.append(_url(value))
        elif kind == "newline":
            parts.append("<br />")
        else:
            parts.append(escape(value))
    return "".join(parts)


def truncated_html(text: str, uid: str, mid: str) -> str:
    """The list view of a long post: the first characters (whole tokens only), then "...全文"."""
    kept, length = [], 0
    for kind, value in tokenize(text, "weibo"):
        if length >= DISPLAY_CHARS:
            break
        if kind == "text" and length + len(value) > DISPLAY_CHARS:
            value = value[: DISPLAY_CHARS - length]
        kept.append(value if kind != "mention" else "@" + value)
        length += len(value)
    return text_html("".join(kept), uid) + f' ...<a href="/status/{mid}">全文</a>'


def text_length(text: str) -> int:
    return sum(2 if ord(ch) > 127 else 1 for ch in text)


# ------------------------------------------------------------------------------------------ users


def _avatar(uid: str) -> str:
    return f"https://tvax1.sinaimg.cn/crop.0.0.996.996.180/{int(uid) % 0xFFFFFFFF:08x}ly8h1a2b3c4d5j20ro0ro0u7.jpg"


def user_json(author: SampleAuthor | SampleAccount, container: str) -> dict[str, Any]:
    """The user object embedded in posts, comments and the profile (verified_type 2 = brand blue V)."""
    if isinstance(author, SampleAccount):
        uid, name, followers, vtype = author.id, author.name, author.followers, author.verified_type
        statuses, following, description = author.statuses_count, author.following, author.description
        reason = f"{author.label.split(' ')[0]}官方微博"
    else:
        uid, name, followers, vtype = author.id, author.name, author.followers, author.verified_type
        statuses, following, description = 300 + int(uid) % 4000, 100 + int(uid) % 700, ""
        reason = {2: f"{name}官方微博", 3: f"{name}官方账号", 0: "美食博主"}.get(vtype, "")
    return {
        "id": int(uid), "screen_name": name, "profile_image_url": _avatar(uid),
        "profile_url": f"https://m.weibo.cn/u/{uid}?uid={uid}&luicode=10000011&lfid={container}",
        "statuses_count": statuses, "verified": vtype in (0, 1, 2, 3, 4, 5, 6, 7), "verified_type": vtype,
        "verified_type_ext": 50 if vtype == 2 else (1 if vtype == 0 else 0), "verified_reason": reason,
        "close_blue_v": False, "description": description, "gender": "f" if int(uid) % 2 else "m",
        "mbtype": 12 if vtype == 2 else 0, "urank": 30 + int(uid) % 18, "mbrank": int(uid) % 7,
        "follow_me": False, "following": False, "followers_count": followers,
        "followers_count_str": _wan(followers), "follow_count": following,
        "cover_image_phone": "https://tva1.sinaimg.cn/crop.0.0.640.640.640/549d0121tw1egm1kjly3jj20hs0hsq4f.jpg",
        "avatar_hd": _avatar(uid).replace("crop.0.0.996.996.180", "orj480"), "like": False, "like_me": False,
        "badge": {"user_name_certificate": 1} if vtype == 2 else {},
    }


def _wan(value: int) -> str:
    if value >= 100_000_000:
        return f"{value / 100_000_000:.1f}亿"
    return f"{value / 10_000:.1f}万" if value >= 10_000 else str(value)


# ----------------------------------------------------------------------------------------- media


def _pid(uid: str, mid: str, index: int) -> str:
    digest = hashlib.sha1(f"{mid}:{index}".encode()).hexdigest()
    return f"{int(uid) % 0xFFFFFFFF:08x}gy1h{digest[:20]}"


def _pics(uid: str, post: SamplePost | SampleRef, mid: str, livephoto: bool) -> list[dict[str, Any]]:
    pics = []
    for i in range(post.media_count):
        pid = _pid(uid, mid, i)
        ext = "gif" if post.format == "gif" else "jpg"
        pic: dict[str, Any] = {
            "pid": pid, "url": f"https://wx{i % 4 + 1}.sinaimg.cn/orj360/{pid}.{ext}", "size": "orj360",
            "geo": {"width": 360, "height": 480, "croped": False},
            "large": {"size": "large", "url": f"https://wx{i % 4 + 1}.sinaimg.cn/large/{pid}.{ext}",
                      "geo": {"width": "1080", "height": "1440", "croped": False}},
        }
        if post.format == "gif":
            pic["type"] = "gif"
        elif livephoto and i % 3 == 0:
            pic["type"] = "livephoto"
            pic["videoSrc"] = f"https://video.weibo.com/media/play?livephoto=https%3A%2F%2Flivephoto.us.sinaimg.cn%2F{pid}.mov"
        pics.append(pic)
    return pics


def _page_info(account: SampleAccount, post: SamplePost, mid: str, views: int) -> dict[str, Any] | None:
    oid = str(int(mid) + 7)
    cover = {"url": f"https://wx3.sinaimg.cn/orj480/{_pid(account.id, mid, 99)}.jpg"}
    lfid = f"107603{account.id}"
    if post.format == "video":
        stream = f"https://f.video.weibocdn.com/o0/{oid}.mp4?label=mp4_720p&template=1280x720.25.0"
        return {"page_pic": cover, "page_url": f"https://m.weibo.cn/p/index?containerid=230444{oid}&url_type=39"
                f"&object_type=video&pos=2&luicode=10000011&lfid={lfid}", "page_title": f"{account.name}的微博视频",
                "content1": f"{account.name}的微博视频", "content2": "", "type": "video", "play_count": views,
                "object_id": f"1034:{oid}", "media_info": {
                    "video_orientation": "horizontal", "name": f"{account.name}的微博视频",
                    "duration": 15 + int(mid) % 200,
                    "stream_url": stream.replace("720p", "ld"), "stream_url_hd": stream.replace("720p", "hd"),
                    "h5_url": f"https://video.weibo.com/show?fid=1034:{oid}",
                    "mp4_sd_url": stream.replace("720p", "sd"),
                    "mp4_hd_url": stream.replace("720p", "hd"), "mp4_720p_mp4": stream,
                    "online_users": f"{_wan(views)}次观看", "online_users_number": views}}
    if post.format == "live":
        return {"page_pic": cover, "page_url": f"https://weibo.com/l/wblive/m/show/1022:2321325{oid[-10:]}",
                "page_title": f"{account.name}的直播", "content1": f"{account.name}的直播", "content2": "直播已结束",
                "type": "live", "object_type": "live", "object_id": f"1022:2321325{oid[-10:]}",
                "media_info": {"live_status": 3, "online_users_number": views}}
    if post.format == "article":
        return {"page_pic": cover, "page_url": f"https://card.weibo.com/article/m/show/id/2309404{oid[-12:]}",
                "page_title": post.text[:24], "content1": post.text[:24], "content2": post.text[:60],
                "type": "article", "object_type": "article", "object_id": f"1022:2309404{oid[-12:]}"}
    if post.format == "link" and post.links:
        return {"page_pic": cover, "page_url": post.links[-1], "page_title": f"{account.label.split(' ')[0]}",
                "content1": "", "content2": "", "type": "webpage", "object_id": f"1022:231601_{account.id}_{oid[-8:]}"}
    return None


# ----------------------------------------------------------------------------------------- posts


def _ref_json(account: SampleAccount, post: SamplePost, ref: SampleRef, now: datetime) -> dict[str, Any]:
    base = {"created_at": created_at(ref.created_at, now, ref.post_id), "id": ref.post_id, "idstr": ref.post_id,
            "mid": ref.post_id, "visible": {"type": 0, "list_id": 0}}
    if ref.author is None:
        return {**base, "text": "抱歉，此微博已被作者删除。", "deleted": "1", "mblogtype": 0,
                "bid": mid_to_bid(ref.post_id)}
    container = f"107603{account.id}"
    mblog = {**base, "can_edit": False, "text": text_html(ref.text, account.id), "textLength": text_length(ref.text),
             "source": "iPhone客户端", "favorited": False, "pic_types": "", "is_paid": False, "mblog_vip_type": 0,
             "user": user_json(ref.author, container), "reposts_count": count(ref.reposts),
             "comments_count": count(ref.comments), "attitudes_count": count(ref.likes),
             "pending_approval_count": 0, "isLongText": False, "mblogtype": 0, "bid": mid_to_bid(ref.post_id),
             "number_display_strategy": NUMBER_DISPLAY, "retweeted": 1}
    pics = _pics(ref.author.id, ref, ref.post_id, False) if ref.format in ("image", "gif") else []
    if pics:
        mblog["pics"] = pics
        mblog["pic_num"] = len(pics)
    return mblog


def mblog_json(account: SampleAccount, post: SamplePost, now: datetime) -> dict[str, Any]:
    mid = post.id
    container = f"107603{account.id}"
    text = truncated_html(post.text, account.id, mid) if post.long_text else text_html(post.text, account.id)
    mblog: dict[str, Any] = {
        "created_at": created_at(post.created_at, now, mid), "id": mid, "idstr": mid, "mid": mid,
        "can_edit": False, "show_additional_indication": 0, "text": text, "textLength": text_length(post.text),
        "source": post.source, "favorited": False, "pic_types": "", "is_paid": False, "mblog_vip_type": 0,
        "user": user_json(account, container), "reposts_count": count(post.reposts),
        "comments_count": count(post.comments), "attitudes_count": count(post.likes), "pending_approval_count": 0,
        "isLongText": post.long_text, "reward_exhibition_type": 0, "hide_flag": 0,
        "visible": {"type": 0, "list_id": 0}, "mblogtype": 2 if post.pinned else 0, "more_info_type": 0,
        "extern_safe": 0, "number_display_strategy": NUMBER_DISPLAY, "content_auth": 0,
        "mblog_menu_new_style": 0, "edit_config": {"edited": False}, "weibo_position": 1 if post.kind == "original"
        else 2, "show_attitude_bar": 0, "region_name": "发布于 上海", "bid": mid_to_bid(mid),
    }
    if post.pinned:
        mblog["isTop"] = 1
        mblog["title"] = {"text": "置顶", "base_color": 1}
    if post.ref is not None:
        mblog["retweeted_status"] = _ref_json(account, post, post.ref, now)
        return mblog
    if post.format in ("image", "gif") and post.media_count:
        pics = _pics(account.id, post, mid, livephoto=account.archetype == "visual")
        mblog.update(pics=pics, pic_num=len(pics), thumbnail_pic=pics[0]["url"].replace("orj360", "thumbnail"),
                     bmiddle_pic=pics[0]["url"].replace("orj360", "bmiddle"), original_pic=pics[0]["large"]["url"],
                     picStatus=",".join(f"{i}:1" for i in range(len(pics))))
    page_info = _page_info(account, post, mid, views=post.likes * 40 + 1000)
    if page_info:
        mblog["page_info"] = page_info
    return mblog


def card_json(account: SampleAccount, post: SamplePost, now: datetime) -> dict[str, Any]:
    bid = mid_to_bid(post.id)
    container = f"107603{account.id}"
    card = {"card_type": 9, "itemid": f"{container}_-_{post.id}",
            "scheme": f"https://m.weibo.cn/status/{bid}?mblogid={bid}&luicode=10000011&lfid={container}",
            "mblog": mblog_json(account, post, now), "show_type": 0}
    if post.pinned:
        card["profile_type_id"] = f"proweibotop_{post.id}"
    return card


# ------------------------------------------------------------------------------------- endpoints


def route(site: Any, path: str, query: dict[str, list[str]], base: str) -> Reply | None:
    if path == "/api/container/getIndex":
        return get_index(site, query, base)
    if path == "/statuses/extend":
        return extend(site, first(query, "id") or "")
    if path == "/statuses/show":
        return show(site, first(query, "id") or "")
    if path == "/comments/hotflow":
        return hotflow(site, first(query, "mid") or first(query, "id") or "", first(query, "max_id"))
    return None


# ---------------------------------------------------------------------------------- strict mode

# What m.weibo.cn's own web app sends with every API call (research/weibo.md §1: stablog, MediaCrawler).
MOBILE_HEADERS = {"x-requested-with": "XMLHttpRequest", "mweibo-pwa": "1"}
LOGGED_IN_UID = "6000000001"  # the viewer a logged-in sample cookie belongs to


def cookie_pairs(header: str) -> dict[str, str]:
    """`a=1; b=2` → {"a": "1", "b": "2"} (a Cookie header or a pasted WEIBO_COOKIE)."""
    pairs = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name:
            pairs[name] = value
    return pairs


def logged_in(site: Any, headers: dict[str, str]) -> bool:
    """True when the request carries every name=value of the cookie the site expects (none: never)."""
    expected = cookie_pairs(getattr(site, "weibo_cookie", "") or "")
    if not expected:
        return False
    got = cookie_pairs(headers.get("cookie", ""))
    return all(got.get(name) == value for name, value in expected.items())


def admit(site: Any, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> Reply | None:
    """The answer to a request the real site would not serve as asked (strict mode), or None to serve it.

    `headers` are the request's, names in lower case. `/api/config` is always answered here: it is where the
    web app learns whether its cookie is logged in."""
    login = logged_in(site, headers)
    if path == "/api/config":
        site.count("weibo:config")
        return json_reply({"ok": 1, "data": {"login": login, "st": "a1b2c3", "uid": LOGGED_IN_UID if login else "",
                                             "preferQuickapp": 0}})
    if not getattr(site, "weibo_strict", False):
        return None
    problem = strict_problem(site, path, query, headers, login)
    if problem is None:
        return None
    site.reject(problem, path)
    here = f"https://m.weibo.cn{path}?{_query_string(query)}"
    return login_wall("redirect" if path == "/api/container/getIndex" else "json", here)


def strict_problem(site: Any, path: str, query: dict[str, list[str]], headers: dict[str, str],
                   login: bool) -> str | None:
    """Why a strict site refuses the request: "cookie", "headers" or "referer"; None when it is served."""
    if getattr(site, "weibo_cookie", "") and not login:
        return "cookie"
    if any(headers.get(name) != value for name, value in MOBILE_HEADERS.items()):
        return "headers"
    referer = urlsplit(headers.get("referer", "")).path.rstrip("/")
    if path == "/api/container/getIndex":
        container = first(query, "containerid") or ""
        uid = first(query, "value") or container[6:].split("_-_")[0]
        return None if referer.endswith((f"/u/{uid}", f"/profile/{uid}")) else "referer"
    mid = first(query, "mid") or first(query, "id") or ""
    pages = ("/u/", "/profile/", "/detail/", "/status/")
    return None if any(page in referer for page in pages) and (mid in referer or "/u/" in referer) else "referer"


def get_index(site: Any, query: dict[str, list[str]], base: str) -> Reply:
    container = first(query, "containerid") or ""
    uid = first(query, "value") or ""
    timeline = False
    for prefix in ("107603", "230413"):
        if container.startswith(prefix):
            uid, timeline = container[len(prefix):].split("_-_")[0], True
    if container.startswith("100505"):
        uid = container[6:]
    account = site.panel.account("weibo", uid)
    if account is None or account.behaviour.get("not_found"):
        return json_reply({"ok": 0, "msg": "这里还没有内容"} if not timeline else END_OF_LIST)
    blocked = _blocked(site, account, base, query, timeline)
    if blocked is not None:
        return blocked
    if not timeline:
        return site.cached(("weibo", "profile", uid), lambda: json_reply(profile_json(account)))
    return timeline_page(site, account, first(query, "since_id"), first(query, "page"))


def _blocked(site: Any, account: SampleAccount, base: str, query: dict[str, list[str]], timeline: bool) -> Reply | None:
    behaviour = account.behaviour
    wall = behaviour.get("login_wall")
    here = f"https://m.weibo.cn/api/container/getIndex?{_query_string(query)}"
    if wall:
        return login_wall(wall, here)
    if not timeline:
        return None
    if counted(site, "weibo", account.id, behaviour, "captcha"):
        return json_reply({"ok": 0, "url": CAPTCHA_URL + quote(here, safe="")})
    limited = throttle(site, "weibo", account.id, behaviour, dump_json({"ok": 0, "msg": "请求过于频繁，歇歇吧"}))
    if limited is not None:
        return limited
    if behaviour.get("private") or behaviour.get("opted_out"):
        return json_reply(PRIVATE)
    return None


def _query_string(query: dict[str, list[str]]) -> str:
    return "&".join(f"{k}={quote(v, safe='')}" for k, values in query.items() for v in values)


def login_wall(kind: Any, here: str) -> Reply:
    """No or expired cookie: a 302 to the visitor passport, the HTML login page, or JSON ok:-100."""
    if kind == "html":
        return Reply(200, LOGIN_PAGE.encode("utf-8"), HTML_TYPE)
    if kind == "json":
        return json_reply({"ok": -100, "url": SIGNIN_URL + quote(here, safe="")})
    return redirect(f"https://passport.weibo.cn/visitor/visitor?entry=miniblog&a=enter&url={quote(here, safe='')}"
                    "&domain=.weibo.cn&ua=php-sso_sdk_client-0.6.36&_rand=1712345678.9012")


LOGIN_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, maximum-scale=1, user-scalable=no">
<title>微博-出错了</title>
<script src="https://h5.sinaimg.cn/upload/1005/526/2021/01/27/wbBotDetector.js"></script>
</head>
<body>
<div id="app"><p>登录微博，查看更多精彩内容</p><a href="https://passport.weibo.cn/signin/login?entry=mweibo">登录</a></div>
<script>window.wbBotDetector && window.wbBotDetector.init({appKey: "mweibo"});</script>
</body>
</html>
"""


def profile_json(account: SampleAccount) -> dict[str, Any]:
    uid = account.id
    info = user_json(account, f"100505{uid}")
    info["toolbar_menus"] = [{"type": "profile_follow", "name": "关注", "pic": "", "params": {"uid": int(uid)}}]
    tabs = [{"id": 1, "tabKey": "profile", "must_show": 1, "hidden": 0, "title": "主页", "tab_type": "profile",
             "containerid": f"230283{uid}"},
            {"id": 2, "tabKey": "weibo", "must_show": 1, "hidden": 0, "title": "微博", "tab_type": "weibo",
             "containerid": f"107603{uid}", "apipath": "/profile/statuses", "url": "/index/my"},
            {"id": 10, "tabKey": "album", "must_show": 0, "hidden": 0, "title": "相册", "tab_type": "album",
             "containerid": f"107803{uid}"}]
    return {"ok": 1, "data": {
        "avatar_guide": [], "isStarStyle": 0, "userInfo": info,
        "fans_scheme": f"https://m.weibo.cn/p/index?containerid=231051_-_fans_intimacy_-_{uid}&luicode=10000011&lfid=100505{uid}",
        "follow_scheme": f"https://m.weibo.cn/p/index?containerid=231051_-_followersrecomm_-_{uid}&luicode=10000011&lfid=100505{uid}",
        "tabsInfo": {"selectedTab": 1, "tabs": tabs},
        "scheme": f"sinaweibo://userinfo?uid={uid}&type=uid&value={uid}&luicode=10000011&lfid=100505{uid}",
        "showAppTips": 0}}


def ordered_posts(site: Any, account: SampleAccount) -> tuple[list[SamplePost], list[SamplePost]]:
    """(pinned, the rest newest first): pinned posts show only at the top of page 1."""
    posts = site.panel.posts("weibo", account.id)
    return [p for p in posts if p.pinned], [p for p in posts if not p.pinned]


def timeline_page(site: Any, account: SampleAccount, since_id: str | None, page: str | None) -> Reply:
    now = site.now()
    key = ("weibo", "timeline", account.id, since_id, page, now.replace(second=0, microsecond=0))
    return site.cached(key, lambda: json_reply(_timeline_payload(site, account, since_id, page, now)))


def _timeline_payload(site: Any, account: SampleAccount, since_id: str | None, page: str | None,
                      now: datetime) -> dict[str, Any]:
    pinned, rest = ordered_posts(site, account)
    combined = pinned + rest
    if since_id and since_id.isdigit():
        start = next((i for i, p in enumerate(rest) if int(p.id) <= int(since_id)), len(rest)) + len(pinned)
    elif page and page.isdigit() and int(page) > 1:
        start = (int(page) - 1) * PAGE_SIZE
    else:
        start = 0
    items = combined[start:start + PAGE_SIZE]
    if not items:
        return END_OF_LIST
    container = f"107603{account.id}"
    cards = [card_json(account, post, now) for post in items]
    if start == 0 and account.archetype == "fan_friendly":
        cards[len(pinned)] = {"card_type": 11, "card_style": 0, "card_group": [cards[len(pinned)]], "show_type": 0}
    info: dict[str, Any] = {"containerid": container, "v_p": 42, "show_style": 1, "total": account.statuses_count,
                            "page": start // PAGE_SIZE + 1}
    following = combined[start + PAGE_SIZE:start + PAGE_SIZE + 1]
    if following:
        info["since_id"] = int(following[0].id)
    return {"ok": 1, "data": {"cardlistInfo": info, "cards": cards, "scheme": ""}}


def _find(site: Any, mid: str) -> tuple[SampleAccount, SamplePost] | None:
    return site.index("weibo").get(mid)


NOT_VISIBLE = {"ok": 0, "errno": "20101", "msg": "微博不存在或暂无查看权限!"}


def extend(site: Any, mid: str) -> Reply:
    found = _find(site, mid)
    if found is None:
        return json_reply(NOT_VISIBLE)
    account, post = found
    return json_reply({"ok": 1, "data": {"ok": 1, "longTextContent": text_html(post.text, account.id),
                                         "reposts_count": count(post.reposts), "comments_count": count(post.comments),
                                         "attitudes_count": count(post.likes)}})


def show(site: Any, mid: str) -> Reply:
    found = _find(site, mid)
    if found is None:
        return json_reply(NOT_VISIBLE)
    account, post = found
    mblog = mblog_json(account, post, site.now())
    if post.long_text:
        mblog["longText"] = {"longTextContent": text_html(post.text, account.id)}
    return json_reply({"ok": 1, "data": mblog})


# -------------------------------------------------------------------------------------- comments


def _comment_json(comment: SampleComment, root: SampleComment | None, container: str, floor: int,
                  now: datetime) -> dict[str, Any]:
    user = user_json(comment.author, container)
    data: dict[str, Any] = {
        "created_at": full_date(comment.created_at), "id": comment.id, "rootid": (root or comment).id,
        "floor_number": floor, "text": "", "disable_reply": 0, "user": user, "mid": comment.id,
        "readtimetype": "comment", "bid": mid_to_bid(comment.id), "source": "来自上海", "like_count": comment.likes,
        "liked": False,
    }
    if comment.loyal_fan and not comment.by_account:
        data["comment_badge"] = [{
            "pic_url": "https://h5.sinaimg.cn/upload/1007/25/2019/05/17/feed_iconloyalfan_identity133low.png",
            "name": "loyal_fans", "length": 1.33, "actionlog": {"act_code": "3671", "ext": "status:fans"},
            "scheme": "https://kefu.weibo.com/faqdetail?id=20848"}]
    if root is not None:
        name = escape(root.author.name)
        data["text"] = f"回复<a href='/n/{name}'>@{name}</a>:{text_html(comment.text, '0')}"
        data["reply_original_text"] = comment.text
        data["shouldShowColon"] = 0
        return data
    data["text"] = text_html(comment.text, "0")
    data["comments"] = [_comment_json(r, comment, container, 0, now) for r in comment.replies] or False
    data["max_id"] = 0
    data["total_number"] = len(comment.replies)
    data["isLikedByMblogAuthor"] = bool(comment.replies)
    data["more_info_type"] = 0
    return data


def hotflow(site: Any, mid: str, max_id: str | None) -> Reply:
    found = _find(site, mid)
    if found is None:
        return json_reply(NOT_VISIBLE)
    account, post = found
    everything = site.cached(("weibo", "comments", mid), lambda: comments_for(site.panel, account, post))
    comments = everything
    if max_id and max_id.isdigit() and int(max_id) > 0:
        comments = [c for c in everything if int(c.id) < int(max_id)]
    page = comments[:COMMENTS_PAGE]
    container = f"107603{account.id}"
    now = site.now()
    total = len(everything)
    skipped = total - len(comments)
    data = [_comment_json(c, None, container, total - skipped - i, now) for i, c in enumerate(page)]
    next_id = int(page[-1].id) if len(comments) > COMMENTS_PAGE else 0
    return json_reply({"ok": 1, "data": {
        "data": data, "total_number": post.comments, "max_id": next_id, "max": max(1, math.ceil(total / COMMENTS_PAGE)),
        "max_id_type": 0, "status": {"comment_manage_info": COMMENT_MANAGE}}})


def index_posts(panel: Any) -> dict[str, tuple[SampleAccount, SamplePost]]:
    """mid → (account, post) for every Weibo post of the panel."""
    out = {}
    for account in panel.accounts:
        if account.platform == "weibo":
            for post in panel.posts("weibo", account.id):
                out[post.id] = (account, post)
    return out

