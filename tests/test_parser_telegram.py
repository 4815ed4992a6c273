"""Telegram parser on real t.me pages (tests/fixtures/telegram, provenance in SOURCE.md).

Shapes no recording shows (a linked forward, round video, voice, documents, a verified badge) are made by
editing a real page: the changed markup follows the class names of RSSHub's t.me parser and of a real
linked forward quoted in research/platforms.md, and each such test says so.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.items import POST_FORMATS, POST_KINDS
from benchmark.parsers.common import FeedPage
from benchmark.platforms.telegram import parser as telegram
from tests.toolkit.spiders import as_served

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
CRAWLED_AT = datetime(2026, 9, 30, 12, 0, tzinfo=UTC)
CHANNEL_PAGE = "laconicman_swiftui_dev_tme_s_page.html"
WIDGETS = {  # single-post embed pages → their channel
    "laconicman_post-forward.html": "iosgr",
    "laconicman_post-album.html": "iosgr",
    "laconicman_post-reply.html": "iosdev",
    "laconicman_post-poll.html": "iosdev",
}
UNLINKED_FORWARD = (
    '<span class="tgme_widget_message_forwarded_from_name">'
    '<span dir="auto">Код Воробья для iOS разработчиков</span></span>'
)
LINKED_FORWARD = '<a class="tgme_widget_message_forwarded_from_name" href="{href}"><span dir="auto">{name}</span></a>'
DOCUMENT = (
    '<a class="tgme_widget_message_document_wrap{extra}" href="https://t.me/iosgr/3996">'
    '<div class="tgme_widget_message_document"><div class="tgme_widget_message_document_title">{title}</div></div></a>'
)
PHOTO = re.compile(r'<a class="tgme_widget_message_photo_wrap.*?</a>', re.DOTALL)


def load(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def parse(html: object, channel: str = "swiftui_dev", url: str = "") -> tuple:
    return telegram.parse_channel_page(html, channel=channel, crawled_at=CRAWLED_AT, url=url)


def only_post(html: str, channel: str = "iosgr"):
    _, page = parse(html, channel)
    assert page.dropped == []
    [post] = page.posts
    return post


@pytest.fixture(scope="module")
def channel_page() -> tuple:
    return parse(load(CHANNEL_PAGE))


def by_id(page: FeedPage, number: int):
    return next(post for post in page.posts if post.post_id == f"swiftui_dev/{number}")


# ---------------------------------------------------------------- every real fixture parses


@pytest.mark.parametrize("name", [CHANNEL_PAGE, *WIDGETS])
def test_every_recorded_page_parses(name: str) -> None:
    html = load(name)
    channel = WIDGETS.get(name, "swiftui_dev")
    _, page = parse(html, channel)

    assert (page.status, page.dropped) == ("ok", [])
    assert [post.post_id for post in page.posts] == re.findall(r'data-post="([^"]+)"', html)
    for post in page.posts:
        assert post.account_id == channel
        assert post.url == f"https://t.me/{post.post_id}"
        assert post.created_at.tzinfo is UTC
        assert post.kind in POST_KINDS and post.format in POST_FORMATS
        assert post.views is not None and post.likes is not None
        assert post.comments is None  # the preview shows no comment counts
        assert post.crawled_at == CRAWLED_AT


@pytest.mark.parametrize(
    ("name", "status", "followers"),
    [
        ("laconicman_plain-subscribers.html", "private", 12076),  # "12 076 subscribers": a channel, no preview
        ("laconicman_plain-members.html", "private", None),  # "408 members, 104 online": a group
        ("laconicman_plain-contactonly.html", "not_found", None),  # only "you can contact @name"
    ],
)
def test_recorded_plain_pages_of_channels_without_preview(name: str, status: str, followers: int | None) -> None:
    account, page = parse(as_served(load(name)), channel="somechannel", url="https://t.me/somechannel")

    assert (page.status, page.posts, page.cursor) == (status, [], None)
    assert "redirected away from /s/" in page.message
    assert (account.followers if account else None) == followers


def test_group_page_says_it_is_a_group() -> None:
    _, page = parse(load("laconicman_plain-members.html"), channel="somegroup")
    assert page.message.startswith("a group (408 members, 104 online)")


def test_every_fixture_file_is_used_by_a_test() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    assert [p.name for p in FIXTURES.glob("*.html") if p.name not in source] == []


# ---------------------------------------------------------------- channel profile and paging


def test_channel_profile(channel_page: tuple) -> None:
    account, _ = channel_page
    assert (account.account_id, account.handle, account.name) == ("swiftui_dev", "swiftui_dev", "Alexander Kraev")
    assert (account.followers, account.verified) == (992, False)
    assert account.url == "https://t.me/swiftui_dev"
    assert account.description == (
        "Tech, Mobile (like SwiftUI, Compose), Code, Thoughts, feel free to reach me: @lexkraev"
    )
    assert account.extra["counters"] == {"photos": "87", "videos": "41", "files": "1", "links": "79"}


def test_verified_badge() -> None:
    html = load(CHANNEL_PAGE).replace(  # badge markup as snscrape reads it: i.verified-icon in the title
        '<span dir="auto">Alexander Kraev</span></div>',
        '<span dir="auto">Alexander Kraev</span><i class="verified-icon"></i></div>',
        1,
    )
    assert parse(html)[0].verified is True


def test_rounded_subscriber_count_is_flagged() -> None:
    html = load(CHANNEL_PAGE).replace(">992</span>", ">27.4K</span>")
    account, _ = parse(html)
    assert (account.followers, account.extra["followers_rounded"]) == (27400, True)


def test_pagination_cursor_is_the_smallest_message_id(channel_page: tuple) -> None:
    _, page = channel_page
    assert page.cursor == "262"  # = a.tme_messages_more[data-before] of the recorded page
    assert len(page.posts) == 20
    numbers = [int(p.post_id.split("/")[1]) for p in page.posts]
    assert numbers == sorted(numbers)  # the page lists oldest → newest


def test_page_without_messages_is_the_end() -> None:
    html = load(CHANNEL_PAGE)
    start = html.index('<div class="tgme_widget_message_wrap')
    end = html.index("</section>", start)
    account, page = parse(html[:start] + html[end:])  # the same page with its messages removed

    assert (page.status, page.posts, page.cursor) == ("end", [], None)
    assert account is not None and account.followers == 992


def test_first_message_of_the_history_ends_paging() -> None:
    html = load(CHANNEL_PAGE).replace('data-post="swiftui_dev/262"', 'data-post="swiftui_dev/1"')
    assert parse(html)[1].cursor is None


# ---------------------------------------------------------------- views and reactions


def test_rounded_views_are_lower_bounds(channel_page: tuple) -> None:
    _, page = channel_page
    rounded, exact = by_id(page, 262), by_id(page, 295)
    assert (rounded.views, rounded.counts_are_lower_bounds, rounded.extra["views_raw"]) == (1700, True, "1.7K")
    assert (exact.views, exact.counts_are_lower_bounds, exact.extra["views_raw"]) == (764, False, "764")


def test_reactions_are_summed_into_likes(channel_page: tuple) -> None:
    _, page = channel_page
    post = by_id(page, 262)
    assert post.extra["reactions"] == {"👍": 13, "❤": 3, "🔥": 3}
    assert post.likes == 19


def test_paid_star_reactions_are_kept_apart(channel_page: tuple) -> None:
    _, page = channel_page
    post = by_id(page, 290)
    assert (post.likes, post.extra["paid_reactions"]) == (18, 8)
    # The source repository's own invariant: 268 reactions on the page, paid stars included.
    assert sum(p.likes for p in page.posts) + sum(p.extra["paid_reactions"] for p in page.posts) == 268


def test_zwj_emoji_reaction_keeps_its_sequence() -> None:
    post = only_post(load("laconicman_post-reply.html"), "iosdev")
    assert post.extra["reactions"]["❤\u200d🔥"] == 1
    assert post.likes == 25 + 5 + 3 + 2 + 1 + 1


def test_rounded_reaction_count_makes_counts_lower_bounds() -> None:
    html = load("laconicman_post-poll.html").replace("<b>👍</b></i>9</span>", "<b>👍</b></i>1.2K</span>")
    post = only_post(html, "iosdev")
    assert (post.extra["reactions"]["👍"], post.counts_are_lower_bounds) == (1200, True)


# ---------------------------------------------------------------- forwards and replies


def test_forward_from_an_unlinked_name_is_unknown() -> None:
    post = only_post(load("laconicman_post-forward.html"))
    assert post.kind == "repost"
    assert (post.ref_author_id, post.ref_author_name) == (None, "Код Воробья для iOS разработчиков")
    assert post.ref_author_is_organization is None
    assert post.extra["forward_origin"] == "hidden"


def test_forward_from_a_channel_is_an_organization() -> None:
    linked = LINKED_FORWARD.format(href="https://t.me/mchs_official/24927", name="МЧС России")
    post = only_post(load("laconicman_post-forward.html").replace(UNLINKED_FORWARD, linked))

    assert (post.kind, post.ref_author_id, post.ref_post_id) == ("repost", "mchs_official", "mchs_official/24927")
    assert (post.ref_author_name, post.ref_author_is_organization) == ("МЧС России", True)
    assert post.extra["forward_origin"] == "channel"


@pytest.mark.parametrize(("username", "organization"), [("jane_doe", False), ("news_digest_bot", True)])
def test_forward_from_a_user_is_a_fan_unless_a_bot(username: str, organization: bool) -> None:
    linked = LINKED_FORWARD.format(href=f"https://t.me/{username}", name="Jane")
    post = only_post(load("laconicman_post-forward.html").replace(UNLINKED_FORWARD, linked))

    assert (post.ref_author_id, post.ref_post_id, post.ref_author_is_organization) == (username, None, organization)
    assert post.extra["forward_origin"] == "user"


def test_forward_from_itself() -> None:
    linked = LINKED_FORWARD.format(href="https://t.me/iosgr/100", name="iOS")
    post = only_post(load("laconicman_post-forward.html").replace(UNLINKED_FORWARD, linked))
    assert (post.kind, post.ref_author_id, post.ref_author_is_organization) == ("repost", "iosgr", None)


def test_reply_to_the_channel_itself_continues_a_thread() -> None:
    post = only_post(load("laconicman_post-reply.html"), "iosdev")

    assert (post.kind, post.reply_to_author_id) == ("original", "iosdev")
    assert post.extra["reply_to_post_id"] == "iosdev/593"
    assert post.extra["self_reply"] is True
    assert post.text.startswith("Новый термин для чёлки")
    assert "Новые крутые анимации" not in post.text  # the quoted parent is not the body


def test_reply_to_another_chat() -> None:
    html = load("laconicman_post-reply.html").replace('href="https://t.me/iosdev/593"', 'href="https://t.me/otherchat/12"')
    post = only_post(html, "iosdev")
    assert (post.kind, post.reply_to_author_id) == ("reply", "otherchat")
    assert post.extra["reply_to_post_id"] == "otherchat/12"


# ---------------------------------------------------------------- media kinds and text


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (262, ("video", 1, ["video"])),  # playable video
        (271, ("video", 1, ["video"])),  # "Media is too big": no <video src>, still a video
        (272, ("link", 0, ["link_preview"])),
        (268, ("text", 0, [])),
    ],
)
def test_media_kinds_on_the_channel_page(channel_page: tuple, number: int, expected: tuple) -> None:
    _, page = channel_page
    post = by_id(page, number)
    assert (post.format, post.media_count, post.extra["media_kinds"]) == expected


def test_photo_album_and_poll_widgets() -> None:
    photo = only_post(load("laconicman_post-forward.html"))
    album = only_post(load("laconicman_post-album.html"))
    poll = only_post(load("laconicman_post-poll.html"), "iosdev")

    assert (photo.format, photo.media_count, photo.extra["media_kinds"]) == ("image", 1, ["photo"])
    assert (album.format, album.media_count, album.extra["media_kinds"]) == ("image", 2, ["album", "photo"])
    assert (poll.format, poll.media_count) == ("poll", 0)
    assert poll.text == "Хотели бы что-то изменить в своём наборе гаджетов от Apple?"
    assert poll.extra["poll"]["votes_count"] == 746
    assert len(poll.extra["poll"]["options"]) == 6


SRC = "https://cdn4.telesco.pe/file/x"


@pytest.mark.parametrize(
    ("media_html", "expected"),
    [
        (
            f'<div class="tgme_widget_message_roundvideo_player js-message_roundvideo_player">'
            f'<video class="tgme_widget_message_roundvideo js-message_roundvideo" src="{SRC}.mp4"></video></div>',
            ("video", 1, ["round_video"]),
        ),
        (
            f'<a class="tgme_widget_message_voice_player js-message_voice_player">'
            f'<audio class="tgme_widget_message_voice js-message_voice" src="{SRC}.ogg"></audio></a>',
            ("audio", 1, ["voice"]),
        ),
        (DOCUMENT.format(extra=" audio", title="Song"), ("audio", 1, ["music", "document"])),
        (DOCUMENT.format(extra="", title="a.pdf"), ("link", 0, ["document"])),
        (
            f'<a class="tgme_widget_message_video_player js-message_video_player" href="https://t.me/iosgr/3996">'
            f'<i class="tgme_widget_message_video_thumb"></i><div class="tgme_widget_message_video_wrap">'
            f'<video class="tgme_widget_message_video js-message_video" src="{SRC}.mp4"></video></div></a>',
            ("gif", 1, ["gif"]),  # a player without .message_video_play is an animation (RSSHub)
        ),
        (f'<i class="tgme_widget_message_sticker" data-webp="{SRC}.webp"></i>', ("image", 1, ["sticker"])),
    ],
)
def test_media_kinds_without_recordings(media_html: str, expected: tuple) -> None:
    html = PHOTO.sub(lambda _: media_html, load("laconicman_post-forward.html"), count=1)
    post = only_post(html)
    assert (post.format, post.media_count, post.extra["media_kinds"]) == expected


def test_text_hashtags_links_and_edit_flag(channel_page: tuple) -> None:
    _, page = channel_page
    post = by_id(page, 262)
    assert post.text.startswith("🎆 Обновил либу Animatable. Добавил анимации для скелетонов")
    assert "\n\nКраткий мануал здесь 📚\n\n" in post.text  # <br/><br/> → blank line, emoji kept
    assert post.hashtags == ["swiftpm", "tasty", "groovy", "getsources"]
    # External links only: not the ?q=%23tag searches, not the @swiftui_dev mention link.
    assert post.links == ["https://github.com/c-villain/Animatable", "https://github.com/c-villain/Animatable#quick-start"]
    assert post.mentions == ["swiftui_dev"]
    assert post.extra["edited"] is True
    assert post.extra["author_signature"] == "Alexander Kraev"
    assert by_id(page, 269).extra["edited"] is False


def test_link_preview_url_is_a_link(channel_page: tuple) -> None:
    _, page = channel_page
    post = by_id(page, 293)
    assert "https://github.com/kiwicom/orbit-swiftui" in post.links


# ---------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    ("html", "status"),
    [(None, "malformed"), ("", "malformed"), ({}, "malformed"), ("x", "malformed"), ("<html></html>", "malformed"),
     ("<html><h1>502 Bad Gateway</h1><center>nginx</center></html>", "malformed"),  # a proxy's page with 200
     ('<html><div class="tgme_page_wrap"><div class="tgme_page"></div></div></html>', "not_found")],
)
def test_hostile_pages_never_raise(html: object, status: str) -> None:
    account, page = parse(html)
    assert (account, page.status, page.posts, page.cursor) == (None, status, [], None)
    assert page.message


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95, 0.999])
def test_a_cut_page_is_malformed_not_a_shorter_page(keep: float) -> None:
    """Messages run oldest to newest: a body cut short would lose the newest ones without an error."""
    html = load(CHANNEL_PAGE)
    _, page = parse(html[: int(len(html) * keep)])
    assert (page.status, page.posts) == ("malformed", [])
    assert "truncated" in page.message
    _, whole = parse(html)
    assert whole.status == "ok" and len(whole.posts) == 20
    _, header_only = parse(html[: html.index("tgme_channel_info") + 40])  # no message left: not "end"
    assert header_only.status == "malformed"
    _, head_only = parse(html[:2000], url="https://t.me/s/swiftui_dev")  # before the header: not "not_found"
    assert head_only.status == "malformed"
    plain = load("laconicman_plain-subscribers.html")  # a saved fragment: accepted without a url
    assert parse(plain, channel="laconicman")[1].status != "malformed"
    _, fetched = parse(plain, channel="laconicman", url="https://t.me/laconicman")  # fetched: must be whole
    assert fetched.status == "malformed"


def test_bytes_are_decoded() -> None:
    account, page = parse(load(CHANNEL_PAGE).encode("utf-8"))
    assert (account.followers, len(page.posts)) == (992, 20)


def test_broken_messages_are_skipped_with_reasons() -> None:
    html = load(CHANNEL_PAGE)
    html = html.replace('data-post="swiftui_dev/262"', 'data-post="swiftui_dev/oops"', 1)
    html = html.replace('<time datetime="2024-06-07T15:47:11+00:00" class="time">', '<time class="time">', 1)
    html = html.replace(
        'class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="swiftui_dev/266"',
        'class="tgme_widget_message service_message js-widget_message" data-post="swiftui_dev/266"',
        1,
    )
    _, page = parse(html)

    assert page.dropped == ["message 0: missing_data_post", "message 1: missing_datetime", "message 2: service_message"]
    assert len(page.posts) == 17
    assert page.cursor == "263"  # skipped messages still count for paging


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=40_000), st.integers(min_value=1, max_value=6_000), st.text(max_size=20))
def test_truncated_and_spliced_pages_never_raise(start: int, length: int, noise: str) -> None:
    html = load(CHANNEL_PAGE)
    start = html.index('<div class="tgme_widget_message_wrap') + start
    _, page = parse(html[:start] + noise + html[start + length :])
    assert page.status in ("ok", "end", "not_found", "malformed")
    assert len(page.posts) + len(page.dropped) <= 20


# ---------------------------------------------------------------- every field the metrics read, on every recording
# What each recorded message shows, read with lxml (not the parser's parsel/CSS code), next to what the parser
# made of it. The field list is benchmark.metrics.load's: a metric that starts reading a new post field fails
# test_the_field_checks_cover_every_post_field_the_metrics_read until it is checked here too.
TELEGRAM_POST_FIELDS = (
    "post_id", "created_at", "url", "text", "kind", "format", "likes", "comments", "reposts", "quotes",
    "views", "pinned", "hashtags", "mentions", "links", "ref_author_id", "ref_author_name",
    "ref_author_is_organization", "reply_to_author_id", "date_only",
)


def _has_class(name: str) -> str:
    return f'contains(concat(" ", normalize-space(@class), " "), " {name} ")'


def _count(text: str) -> int:
    """t.me's "5.19K" / "1.2M" / "884" as a number (the rounded ones are lower bounds)."""
    text = text.strip().replace(" ", "")
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1:].upper(), 1)
    return round(float(text[:-1] if scale > 1 else text) * scale)


def _is_mention(anchor: object) -> bool:
    target = (anchor.get("href") or "").removeprefix("https://t.me/")
    return anchor.text_content().startswith("@") and target != anchor.get("href") and "/" not in target \
        and not target.startswith("+")


def recorded_messages() -> list[tuple[str, str, object]]:
    from lxml import html as lxml_html

    out = []
    for name, channel in ((CHANNEL_PAGE, "swiftui_dev"), *WIDGETS.items()):
        document = lxml_html.fromstring(load(name))
        for message in document.xpath(f"//div[{_has_class('tgme_widget_message')}][@data-post]"):
            out.append((name, channel, message))
    return out


def expected_message(message: object, channel: str) -> dict:
    data_post = message.get("data-post")
    forward = message.xpath(f".//*[{_has_class('tgme_widget_message_forwarded_from_name')}]")
    reply = message.xpath(f".//a[{_has_class('tgme_widget_message_reply')}]/@href")
    reply_chat = reply[0].split("/")[3] if reply else None
    text_node = message.xpath(f".//div[{_has_class('js-message_text')}]")[:1]
    anchors = text_node[0].xpath(".//a") if text_node else []
    preview = message.xpath(f".//a[{_has_class('tgme_widget_message_link_preview')}]/@href")
    reactions = [r for r in message.xpath(f".//*[{_has_class('tgme_widget_message_reactions')}]"
                                          f"//*[{_has_class('tgme_reaction')}]")
                 if "tgme_reaction_paid" not in r.get("class", "")]
    players = message.xpath(f".//a[{_has_class('tgme_widget_message_video_player')}]")
    photos = message.xpath(f".//a[{_has_class('tgme_widget_message_photo_wrap')}]")
    poll = message.xpath(f".//*[{_has_class('tgme_widget_message_poll')}]")
    post_format = ("video" if any(p.xpath(f".//*[{_has_class('message_video_play')}]") for p in players)
                   else "gif" if players else "image" if photos else "poll" if poll else None)
    return {
        "post_id": data_post,
        "created_at": datetime.fromisoformat(message.xpath(".//a[contains(@class, 'tgme_widget_message_date')]"
                                                           "//time/@datetime")[0]),
        "url": f"https://t.me/{data_post}",
        "kind": "repost" if forward else "reply" if reply_chat and reply_chat != channel else "original",
        "format": post_format,  # None: a format the markup above does not decide (text, link, document...)
        "likes": sum(_count("".join(r.xpath("./text()"))) for r in reactions),
        "comments": None, "reposts": None, "quotes": None,  # a channel page shows none of them
        "views": _count(message.xpath(f".//span[{_has_class('tgme_widget_message_views')}]/text()")[0]),
        "pinned": False,  # the page does not say which post is pinned
        # A hashtag links to a search (?q=%23tag), also when written #tag@channel (the channel's own tag).
        "hashtags": sorted(unquote(a.get("href"))[4:] for a in anchors if (a.get("href") or "").startswith("?q=%23")),
        # A mention links to the account (t.me/name); "@word" without that link (Swift's @State) names nobody.
        "mentions": sorted(a.text_content().lstrip("@") for a in anchors if _is_mention(a)),
        # Every other web link is a link: a text link to a group invite (t.me/+…) too.
        "links": sorted({*(a.get("href") for a in anchors if (a.get("href") or "").startswith("http")
                           and not _is_mention(a)), *preview}),
        "ref_author_id": (forward[0].get("href").split("/")[3] if forward and forward[0].get("href") else None),
        "ref_author_name": forward[0].text_content().strip() if forward else None,
        "ref_author_is_organization": None,  # decided only for linked forwards (none recorded)
        "reply_to_author_id": reply_chat,
        "text": text_node[0].text_content() if text_node else "",
        "date_only": False,  # <time datetime> is a full timestamp; only Weibo lists show days without a time
    }


def test_the_field_checks_cover_every_post_field_the_metrics_read() -> None:
    from benchmark.metrics.load import POST_COLUMNS

    _name, channel, message = recorded_messages()[0]
    assert set(POST_COLUMNS) == set(expected_message(message, channel)) == set(TELEGRAM_POST_FIELDS)


@pytest.mark.parametrize(("name", "channel", "message"), recorded_messages(),
                         ids=[m.get("data-post") for _n, _c, m in recorded_messages()])
def test_every_field_the_metrics_read_matches_the_recorded_message(name: str, channel: str, message: object) -> None:
    _, page = parse(load(name), channel)
    post = next(p for p in page.posts if p.post_id == message.get("data-post"))
    wanted = expected_message(message, channel)
    text, post_format = wanted.pop("text"), wanted.pop("format")
    seen = {field: getattr(post, field) for field in wanted}
    seen["hashtags"], seen["mentions"], seen["links"] = sorted(post.hashtags), sorted(post.mentions), sorted(post.links)
    assert seen == wanted
    assert post_format is None or post.format == post_format
    assert bool(post.text.strip()) == bool(text.strip()) or post.extra.get("poll")  # a poll's text is its question
    assert "<" not in post.text or "<" in text
    assert post.counts_are_lower_bounds == any(
        v[-1:].upper() in "KM" for v in message.xpath(f".//span[{_has_class('tgme_widget_message_views')}]/text()"))
