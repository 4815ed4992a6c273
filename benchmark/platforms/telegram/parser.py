"""Telegram public channel preview HTML (`https://t.me/s/<channel>`, older pages `?before=<id>`) → items.

Pure parsel selectors, no network. The preview exposes rounded views ("1.7K") and per-emoji reactions but no
comment or forward counts; counts that were rounded set `counts_are_lower_bounds`. A channel without a
preview is redirected to `t.me/<channel>`, whose plain page says whether it is a channel, a group or nothing.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from parsel import Selector

from benchmark.i18n import Message
from benchmark.items import Account, Post
from benchmark.parsers import text as textutil
from benchmark.parsers.common import FeedPage, describe, parse_datetime, unique

PLATFORM = "telegram"
WEB = "https://t.me"
MESSAGE = "div.tgme_widget_message[data-post]"
FORMAT_PRIORITY = ("poll", "video", "gif", "image", "audio", "document", "link")
# (css selector, media kind, Post.format), checked in this order; photos, videos and albums are counted apart.
# The selector only runs when the message has one of its classes (one class scan per message is cheaper).
MEDIA_SELECTORS = (
    (".tgme_widget_message_poll", "poll", "poll"),
    (".tgme_widget_message_roundvideo_player, .tgme_widget_message_roundvideo", "round_video", "video"),
    (".tgme_widget_message_voice", "voice", "audio"),
    (".tgme_widget_message_document_wrap.audio, .tgme_widget_message_document.audio", "music", "audio"),
    (".tgme_widget_message_document_wrap, .tgme_widget_message_document", "document", "document"),
    (".tgme_widget_message_sticker, .tgme_widget_message_tgsticker", "sticker", "image"),
    (".tgme_widget_message_videosticker", "video_sticker", "gif"),
    (".tgme_widget_message_location_wrap, .tgme_widget_message_location", "location", "text"),
    (".tgme_widget_message_contact", "contact", "text"),
    ("a.tgme_widget_message_link_preview", "link_preview", "link"),
)
_MEDIA_TRIGGERS = [frozenset(re.findall(r"\.([\w-]+)", css)) for css, _, _ in MEDIA_SELECTORS]
_T_ME_PATH = re.compile(r"^/(?:s/)?([A-Za-z0-9_]{3,64})(?:/(\d+))?/?$")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
TELEGRAM_MARKUP = "tgme_"  # every t.me page (channel, preview, "no such channel") uses tgme_* classes


def parse_channel_page(
    html_text: str | bytes | None, *, channel: str, crawled_at: datetime | None, url: str = ""
) -> tuple[Account | None, FeedPage]:
    """A `/s/<channel>` page → (account, page). page.cursor = smallest message id (for `?before=`);
    status "end" when the channel page has no (more) messages; "not_found" / "private" when there is no
    preview (`url` = the response URL after redirects, used to name the reason)."""
    if isinstance(html_text, bytes):
        html_text = html_text.decode("utf-8", errors="replace")
    if not isinstance(html_text, str) or not html_text.strip():
        return None, FeedPage([], None, status="malformed", message=f"empty page ({describe(html_text)})")
    if TELEGRAM_MARKUP not in html_text:
        # A proxy's error page or junk served with 200: a broken answer (retried), not proof of "no such channel".
        return None, FeedPage([], None, status="malformed", message=f"not a Telegram page ({describe(html_text)})")
    selector = Selector(text=html_text)
    account = _channel_account(selector, channel, crawled_at)
    messages = selector.css(MESSAGE)
    fetched = bool(url)  # by the spider: a whole document; without a url, a saved fragment is accepted
    if (fetched or messages or "tgme_channel_info" in html_text) and not _is_complete(html_text):
        # Messages run oldest to newest: a cut page would silently lose its newest ones (or all of them and
        # look like the end of the channel, or a plain page like a missing channel), so it is re-read.
        return None, FeedPage([], None, status="malformed", message="truncated page (no </html>)")
    if account is None and not messages:
        status, message, account = _no_preview(selector, channel, crawled_at, url)
        return account, FeedPage([], None, status=status, message=message)
    posts, dropped = _parse_messages(messages, channel, crawled_at)
    cursor = _before_cursor(messages)
    status = "ok" if messages else "end"
    note = "" if account else Message("no channel header on the page (single-post widget?)")
    return account, FeedPage(posts, cursor, status=status, message=note, dropped=dropped)


def _is_complete(html_text: str) -> bool:
    """Telegram serves whole documents: a page with messages ends with </html> (cut bodies do not)."""
    return "</html>" in html_text[-4096:].lower()


def _before_cursor(messages: Any) -> str | None:
    """Smallest message id on the page (skipped messages included); None at id 1, the start of history.
    Ids are not contiguous (deletions, albums), so paging must use the ids actually returned."""
    ids = []
    for data_post in messages.xpath("./@data-post").getall():
        number = data_post.rpartition("/")[2]
        if number.isdigit():
            ids.append(int(number))
    return str(min(ids)) if ids and min(ids) > 1 else None


# ---------------------------------------------------------------- channel


def _channel_account(selector: Selector, channel: str, crawled_at: datetime | None) -> Account | None:
    info = selector.css(".tgme_channel_info")
    if not info:
        return None
    counters = _counters(info)
    followers, rounded = textutil.parse_count(_SPACES.sub("", counters.get("subscribers", "")))
    handle = _clean(info.css(".tgme_channel_info_header_username a::text").get()).lstrip("@") or channel
    description = info.css(".tgme_channel_info_description").get()
    return Account(
        platform=PLATFORM,
        account_id=channel,
        handle=handle,
        name=_clean(" ".join(info.css(".tgme_channel_info_header_title ::text").getall())) or None,
        url=f"{WEB}/{handle}",
        verified=bool(info.css(".tgme_channel_info_header .verified-icon")),
        description=textutil.html_to_text(_inner_html(description)) or None,
        followers=followers,
        crawled_at=crawled_at,
        extra={
            "followers_raw": counters.get("subscribers"),
            "followers_rounded": rounded,
            "counters": {kind: value for kind, value in counters.items() if kind != "subscribers"},
            "labels": [_clean(t) for t in info.css(".tgme_channel_info_header_labels ::text").getall() if _clean(t)],
        },
    )


def _counters(info: Selector) -> dict[str, str]:
    """{"subscribers": "992", "photos": "87", …} from the header counters (singular types made plural)."""
    counters = {}
    for counter in info.css(".tgme_channel_info_counter"):
        kind = _clean(counter.css(".counter_type::text").get()).lower()
        value = _clean(counter.css(".counter_value::text").get())
        if kind and value:
            counters[kind if kind.endswith("s") else f"{kind}s"] = value
    return counters


def _no_preview(
    selector: Selector, channel: str, crawled_at: datetime | None, url: str
) -> tuple[str, str, Account | None]:
    """Classify a page without channel header or messages, e.g. the `t.me/<name>` page of a redirect."""
    redirected = Message(" (redirected away from /s/)") if url and "/s/" not in urlsplit(url).path else ""
    extra = _clean(" ".join(selector.css(".tgme_page_extra ::text").getall()))
    if "subscriber" in extra:
        followers, rounded = textutil.parse_count(_SPACES.sub("", extra.split("subscriber")[0]))
        title = _clean(" ".join(selector.css(".tgme_page_title ::text").getall())) or None
        account = Account(
            platform=PLATFORM,
            account_id=channel,
            handle=channel,
            name=title,
            url=f"{WEB}/{channel}",
            followers=followers,
            crawled_at=crawled_at,
            extra={"followers_raw": extra, "followers_rounded": rounded},
        )
        return "private", Message("channel has no public preview{redirected}", redirected=redirected), account
    if "member" in extra:
        return "private", Message("a group ({members}), not a channel with a preview{redirected}", members=extra,
                                  redirected=redirected), None
    if selector.css(".tgme_page_description, .tgme_username_link, .tgme_page"):
        return "not_found", Message("no public channel named {channel}{redirected}", channel=repr(channel),
                                    redirected=redirected), None
    return "not_found", Message("page has neither channel header nor messages{redirected}",
                                redirected=redirected), None


# ---------------------------------------------------------------- messages


def _parse_messages(messages: Any, channel: str, crawled_at: datetime | None) -> tuple[list[Post], list[str]]:
    posts: list[Post] = []
    dropped: list[str] = []
    for index, message in enumerate(messages):
        try:
            result = _parse_message(message, channel, crawled_at)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as error:  # markup drift
            result = type(error).__name__
        if isinstance(result, str):
            dropped.append(f"message {index}: {result}")
        else:
            posts.append(result)
    return posts, dropped


def _parse_message(message: Selector, channel: str, crawled_at: datetime | None) -> Post | str:
    data_post = message.attrib.get("data-post", "")
    chat, _, number = data_post.rpartition("/")
    if not chat or not number.isdigit():
        return "missing_data_post"
    if "service_message" in message.attrib.get("class", "").split():
        return "service_message"
    created_at = parse_datetime(
        message.css("a.tgme_widget_message_date time::attr(datetime)").get()
        or message.css("time[datetime]::attr(datetime)").get()
    )
    if created_at is None:
        return "missing_datetime"
    classes = {name for value in message.xpath(".//@class").getall() for name in value.split()}
    text_node = message.css(".js-message_text")[:1]  # not .js-message_reply_text (the quoted parent)
    poll = _poll(message) if "tgme_widget_message_poll" in classes else None
    # A poll message has no text of its own: its question is what the audience reads.
    body = textutil.html_to_text(_inner_html(text_node.get())) or (poll or {}).get("question", "")
    views_raw = _clean(message.css(".tgme_widget_message_views::text").get())
    views, views_rounded = textutil.parse_count(views_raw)
    reactions, paid, reactions_rounded = _reactions(message)
    media_kinds, post_format, media_count = _media(message, classes)
    post = Post(
        platform=PLATFORM,
        post_id=data_post,
        account_id=channel,
        created_at=created_at,
        url=f"{WEB}/{data_post}",
        text=body,
        format=post_format,
        media_count=media_count,
        likes=sum(reactions.values()),
        views=views,
        counts_are_lower_bounds=views_rounded or reactions_rounded,
        hashtags=textutil.hashtags(body),
        mentions=_mentions(text_node),
        links=_links(text_node, message),
        crawled_at=crawled_at,
        extra={
            "views_raw": views_raw or None,
            "reactions": reactions,
            "paid_reactions": paid,
            "media_kinds": media_kinds,
            "author_signature": _clean(message.css(".tgme_widget_message_from_author::text").get()) or None,
            "edited": "edited" in " ".join(message.css(".tgme_widget_message_meta::text").getall()),
        },
    )
    if poll:
        post.extra["poll"] = poll
    if "tgme_widget_message_forwarded_from_name" in classes:
        _set_forward(post, message, channel)
    if "tgme_widget_message_reply" in classes:
        _set_reply(post, message, channel)
    return post


def _reactions(message: Selector) -> tuple[dict[str, int], int, bool]:
    """({emoji: count}, paid star count, any count rounded). Paid (star) reactions have no emoji and count
    stars, not people, so they stay out of the emoji sum that becomes `likes`."""
    per_emoji: dict[str, int] = {}
    paid, rounded = 0, False
    for reaction in message.css(".tgme_widget_message_reactions .tgme_reaction"):
        count, is_rounded = textutil.parse_count(_clean("".join(reaction.xpath("./text()").getall())))
        if count is None:
            continue
        rounded = rounded or is_rounded
        if "tgme_reaction_paid" in reaction.attrib.get("class", "").split():
            paid += count
            continue
        emoji = _clean("".join(reaction.css("b::text").getall())) or reaction.css("[emoji-id]::attr(emoji-id)").get()
        key = emoji or "custom"
        per_emoji[key] = per_emoji.get(key, 0) + count
    return per_emoji, paid, rounded


def _media(message: Selector, classes: set[str]) -> tuple[list[str], str, int]:
    """(media kinds, Post.format, media_count). An album is one post with several photos/videos."""
    kinds: list[tuple[str, str]] = []
    album = message.css(".tgme_widget_message_grouped_wrap") if "tgme_widget_message_grouped_wrap" in classes else []
    scope = album or message
    photos = scope.css("a.tgme_widget_message_photo_wrap") if "tgme_widget_message_photo_wrap" in classes else []
    videos = scope.css("a.tgme_widget_message_video_player") if "tgme_widget_message_video_player" in classes else []
    for video in videos:
        # RSSHub's rule: a player without the play button is a GIF (animation).
        is_gif = not video.css(".message_video_play")
        kinds.append(("gif", "gif") if is_gif else ("video", "video"))
    kinds.extend(("photo", "image") for _ in photos)
    count = len(photos) + len(videos)
    for (css, kind, post_format), triggers in zip(MEDIA_SELECTORS, _MEDIA_TRIGGERS, strict=True):
        if not classes.isdisjoint(triggers) and message.css(css):
            kinds.append((kind, post_format))
            count += 1 if post_format in ("video", "audio", "image", "gif") else 0
    if album:
        kinds.insert(0, ("album", "image"))
    formats = {post_format for _, post_format in kinds}
    post_format = next((f for f in FORMAT_PRIORITY if f in formats), "text")
    if post_format == "document":
        post_format = "link"  # a shared file is a resource pointer; POST_FORMATS has no "document"
    return unique(kind for kind, _ in kinds), post_format, count


def _poll(message: Selector) -> dict[str, Any] | None:
    poll = message.css(".tgme_widget_message_poll")
    if not poll:
        return None
    votes_text = _clean(poll.css(".tgme_widget_message_poll_votes::text").get()).split("vote")[0]  # "746 votes"
    votes, _ = textutil.parse_count(_SPACES.sub("", votes_text))
    return {
        "question": _clean(" ".join(poll.css(".tgme_widget_message_poll_question ::text").getall())),
        "type": _clean(poll.css(".tgme_widget_message_poll_type::text").get()) or None,
        "options": [_clean(o) for o in poll.css(".tgme_widget_message_poll_option_text::text").getall()],
        "votes_count": votes,
    }


def _links(text_node: Any, message: Selector) -> list[str]:
    """External links of the text and the link preview. Not links: `?q=%23tag` hashtag searches and bare
    `t.me/<username>` targets, which are how the preview renders @mentions."""
    hrefs = text_node.css("a::attr(href)").getall()
    hrefs += message.css("a.tgme_widget_message_link_preview::attr(href)").getall()
    links = []
    for href in hrefs:
        # Since 2024-04 hrefs next to an onclick come double-escaped (&amp;amp;), so unescape once more.
        href = html.unescape(href)
        name, post_number = _t_me_target(href)
        if href.startswith(("http://", "https://")) and not (name and not post_number):
            links.append(href)
    return unique(links)


def _mentions(text_node: Any) -> list[str]:
    """The accounts the text links to. t.me shows a mention as <a href="https://t.me/name">@name</a>; an "@word"
    without that link mentions nobody (code such as Swift's `@State`, the channel part of a `#tag@channel`
    hashtag, a text link "@Group" to an invite)."""
    names = []
    for anchor in text_node.css("a"):
        name, post_number = _t_me_target(anchor.attrib.get("href", ""))
        label = _clean("".join(anchor.css("::text").getall()))
        if name and not post_number and label.startswith("@"):
            names.append(label[1:])
    return unique(names)


def _set_forward(post: Post, message: Selector, channel: str) -> None:
    """Forwarded from a public channel (link with a post id) → organization; from a user (link without
    post id) → fan unless a bot; from an unlinked name (hidden user, private channel) → unknown."""
    origin = message.css(".tgme_widget_message_forwarded_from_name")
    if not origin:
        return
    post.kind = "repost"
    post.ref_author_name = _clean(" ".join(origin[0].css("::text").getall())) or None
    post.extra["forwarded_from_author"] = _clean(
        message.css(".tgme_widget_message_forwarded_from_author::text").get()
    ) or None
    name, post_number = _t_me_target(origin[0].attrib.get("href", ""))
    if not name:
        post.extra["forward_origin"] = "hidden"
        return
    if name.lower() == channel.lower():
        post.ref_author_id = channel  # forwarded from itself
    else:
        post.ref_author_id = name
        post.ref_author_is_organization = True if post_number else name.lower().endswith("bot")
    post.extra["forward_origin"] = "channel" if post_number else "user"
    post.ref_post_id = f"{name}/{post_number}" if post_number else None


def _set_reply(post: Post, message: Selector, channel: str) -> None:
    """Replies in broadcast channels mostly answer the channel's own posts: those stay "original"
    (extra["self_reply"]), as on Bluesky and Mastodon; a reply to another chat is kind "reply"."""
    href = message.css("a.tgme_widget_message_reply::attr(href)").get()
    if href is None:
        return
    name, post_number = _t_me_target(href)
    post.extra["reply_to_post_id"] = f"{name}/{post_number}" if name and post_number else None
    author = message.css(".tgme_widget_message_reply .tgme_widget_message_author_name::text").get()
    post.extra["reply_to_name"] = _clean(author) or None
    if name and name.lower() == channel.lower():
        post.reply_to_author_id = channel
        post.extra["self_reply"] = True
        return
    if post.kind == "original":
        post.kind = "reply"
    post.reply_to_author_id = name or None


def _t_me_target(href: str) -> tuple[str, str]:
    """https://t.me/<name>[/<post>] → (name, post); anything else → ("", "")."""
    parts = urlsplit(html.unescape(href.strip()))
    if parts.netloc.lower() not in ("t.me", "telegram.me", "www.t.me"):
        return "", ""
    match = _T_ME_PATH.match(parts.path)
    if not match:
        return "", ""
    return match.group(1), match.group(2) or ""


def _inner_html(element_html: str | None) -> str:
    """The markup inside the outer element (html_to_text would otherwise add the outer block's newline)."""
    if not element_html:
        return ""
    start, end = element_html.find(">") + 1, element_html.rfind("<")
    return element_html[start:end] if 0 < start <= end else ""


def _clean(value: str | None) -> str:
    return _SPACES.sub(" ", value or "").strip()
