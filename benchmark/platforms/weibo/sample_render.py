"""The sample panel drawn as m.weibo.cn JSON: dates and counts as Weibo writes them, text as its HTML, users,
media, mblogs and timeline cards (see sample.py for the routes).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from benchmark.sample.panel import (
    SHANGHAI,
    SampleAccount,
    SampleAuthor,
    SamplePost,
    SampleRef,
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


def find_post(site: Any, mid: str) -> tuple[SampleAccount, SamplePost] | None:
    return site.index("weibo").get(mid)


NOT_VISIBLE = {"ok": 0, "errno": "20101", "msg": "微博不存在或暂无查看权限!"}
