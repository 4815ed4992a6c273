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

This module routes the requests and serves the profile, timeline and single-post (long text) answers; how
the panel is drawn as m.weibo.cn JSON (dates, counts, HTML text, users, media, mblogs, cards) is in
`sample_render.py`, the strict mode's checks and login walls in `sample_strict.py`, the comments in
`sample_comments.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from benchmark.platforms.weibo.sample_comments import hotflow
from benchmark.platforms.weibo.sample_render import (
    COMMENTS_PAGE,
    END_OF_LIST,
    NOT_VISIBLE,
    PAGE_SIZE,
    card_json,
    count,
    find_post,
    mblog_json,
    text_html,
    user_json,
)
from benchmark.platforms.weibo.sample_strict import (
    admit,
    logged_in,
    strict_blocked,
)
from benchmark.sample import Reply, first, json_reply
from benchmark.sample.panel import (
    SampleAccount,
    SamplePost,
)

# The sample server asks a renderer for `route`, `index_posts` and, where it has them, `admit` and `logged_in`.
__all__ = ["COMMENTS_PAGE", "admit", "index_posts", "logged_in", "route"]


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
    blocked = strict_blocked(site, account, base, query, timeline)
    if blocked is not None:
        return blocked
    if not timeline:
        return site.cached(("weibo", "profile", uid), lambda: json_reply(profile_json(account)))
    return timeline_page(site, account, first(query, "since_id"), first(query, "page"))


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


def extend(site: Any, mid: str) -> Reply:
    found = find_post(site, mid)
    if found is None:
        return json_reply(NOT_VISIBLE)
    account, post = found
    return json_reply({"ok": 1, "data": {"ok": 1, "longTextContent": text_html(post.text, account.id),
                                         "reposts_count": count(post.reposts), "comments_count": count(post.comments),
                                         "attitudes_count": count(post.likes)}})


def show(site: Any, mid: str) -> Reply:
    found = find_post(site, mid)
    if found is None:
        return json_reply(NOT_VISIBLE)
    account, post = found
    mblog = mblog_json(account, post, site.now())
    if post.long_text:
        mblog["longText"] = {"longTextContent": text_html(post.text, account.id)}
    return json_reply({"ok": 1, "data": mblog})


def index_posts(panel: Any) -> dict[str, tuple[SampleAccount, SamplePost]]:
    """mid → (account, post) for every Weibo post of the panel."""
    out = {}
    for account in panel.accounts:
        if account.platform == "weibo":
            for post in panel.posts("weibo", account.id):
                out[post.id] = (account, post)
    return out
