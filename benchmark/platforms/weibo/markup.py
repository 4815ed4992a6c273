"""Weibo markup → text, mentions and links (the `a`/`span`/`img alt` subset Weibo writes). Pure functions.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from benchmark.parsers.common import as_dict, as_list
from benchmark.parsers.text import urls
from benchmark.platforms.weibo.fields import dedupe


def plain_text(markup: Any) -> str:
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


# -- mentions and links -----------------------------------------------------------------------------------

_ANCHOR = re.compile(r"<a\b([^>]*)>", re.IGNORECASE)
_ANCHOR_ATTRIBUTE = re.compile(
    r"""(?<![\w-])(href|data-url|usercard)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""", re.IGNORECASE)
PLAIN_MENTION = re.compile(r"(?<![A-Za-z0-9_.\-])@([\w\-]{1,30})")
_WEIBO_HOSTS = ("weibo.com", "weibo.cn", "sinaimg.cn", "weibocdn.com", "sinajs.cn", "t.sina.com.cn")
_SHORT_HOSTS = ("t.cn",)


def parse_anchors(markup: str) -> list[dict[str, str]]:
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


def mentions_of(anchors: list[dict[str, str]], plain: str) -> list[str]:
    """`@name` targets: from `/n/<name>` anchors when the text is HTML (exact), else from plain text."""
    if not anchors:
        return dedupe(PLAIN_MENTION.findall(plain))
    names = []
    for anchor in anchors:
        card = anchor.get("usercard", "")
        href = anchor.get("href", "")
        path = _path(href) if "/n/" in href else ""
        if path.startswith("/n/"):
            names.append(unquote(path[3:]).strip())
        elif card.startswith("name=@"):
            names.append(card[6:].strip())
    return dedupe(name for name in names if name)


def links_of(mblog: dict, anchors: list[dict[str, str]], plain: str) -> list[str]:
    """Outbound URLs. Weibo-internal targets (topics, /n/ mentions, the post's own video) are not links;
    a t.cn short link counts unless `url_struct` or its anchor shows it lands back on Weibo."""
    resolved = _url_struct(mblog)
    found: list[str] = []
    for anchor in anchors:
        found.extend(_anchor_link(anchor, resolved))
    if not anchors:
        for url in urls(plain):
            found.extend(short_or_external(url, resolved))
    page = as_dict(mblog.get("page_info"))
    page_url = page.get("page_url")
    if page.get("type") == "webpage" and isinstance(page_url, str) and page_url.startswith("http"):
        found.append(page_url)
    return dedupe(found)


def _anchor_link(anchor: dict[str, str], resolved: dict[str, str]) -> list[str]:
    target = _unwrap(_absolute(anchor.get("href", "")))
    if _is_external(target):
        return [target]
    short = anchor.get("data-url", "")
    if _host(target) in _SHORT_HOSTS:
        return short_or_external(target, resolved)
    if _host(short) in _SHORT_HOSTS and short in resolved:
        return short_or_external(short, resolved)
    return []  # internal target (topic search, /n/ mention, video page): the t.cn lands on Weibo


def short_or_external(url: str, resolved: dict[str, str]) -> list[str]:
    if _host(url) in _SHORT_HOSTS:
        target = resolved.get(url)
        if target is None:
            return [url]  # destination unknown: keep the short link itself
        return [target] if _is_external(target) else []
    return [url] if _is_external(url) else []


def _url_struct(mblog: dict) -> dict[str, str]:
    mapping = {}
    for entry in as_list(mblog.get("url_struct")):
        entry = as_dict(entry)
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
