"""Long text (`statuses/extend`, `statuses/longtext`, the app's `longText`) into a truncated Post.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from benchmark.items import Post
from benchmark.parsers.common import as_dict
from benchmark.parsers.text import urls, weibo_topics
from benchmark.platforms.weibo.fields import dedupe
from benchmark.platforms.weibo.markup import (
    PLAIN_MENTION,
    links_of,
    parse_anchors,
    short_or_external,
    weibo_html_to_text,
)


def apply_long_text(post: Post, full_text: str, links: Iterable[str] = ()) -> Post:
    """Put the full text (from parse_long_text) into a truncated post; tags, mentions and links found in
    the newly visible part are added to what the truncated HTML gave. `links`: those of the long text's
    anchors (`long_text_links`): in the plain text a link is only "网页链接", its URL is in the markup."""
    if not isinstance(full_text, str) or not full_text.strip():
        return post
    post.text = full_text
    post.extra.pop("truncated", None)
    post.hashtags = dedupe([*post.hashtags, *weibo_topics(full_text)])
    post.mentions = dedupe([*post.mentions, *PLAIN_MENTION.findall(full_text)])
    found = [link for url in urls(full_text) for link in short_or_external(url, {})]
    post.links = dedupe([*post.links, *links, *found])
    return post


def long_text_links(payload: Any) -> list[str]:
    """Outbound links of a long-text answer (statuses/extend, statuses/show, ajax/statuses/longtext): from the
    anchors of `longTextContent` (`href`, `data-url`), with its `url_struct` resolving t.cn short links, by
    the same rules as a timeline post's links. Never raises; [] when there is no long text."""
    try:
        holder, content = _long_text_holder(payload)
        if content is None:
            return []
        return links_of({"url_struct": holder.get("url_struct")}, parse_anchors(content), content)
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
    for holder in (as_dict(payload.get("data")), payload):
        content = holder.get("longTextContent")
        if not isinstance(content, str):
            long_text = as_dict(holder.get("longText"))
            content = long_text.get("longTextContent") or long_text.get("content")
            holder = {**long_text, "url_struct": holder.get("url_struct") or long_text.get("url_struct")}
        if isinstance(content, str) and content.strip():
            return holder, content
    return {}, None
