"""The sample server's strict Weibo mode: the cookie and mobile-client headers it expects, and the login walls,
visitor redirects and private answers it gives instead (see sample.py's docstring).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from benchmark.platforms.weibo.sample_render import CAPTCHA_URL, PRIVATE, SIGNIN_URL
from benchmark.sample import HTML_TYPE, Reply, counted, dump_json, first, json_reply, redirect, throttle
from benchmark.sample.panel import (
    SampleAccount,
)

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


def strict_blocked(site: Any, account: SampleAccount, base: str, query: dict[str, list[str]],
                   timeline: bool) -> Reply | None:
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
