"""Mastodon parser on real recorded REST responses (tests/fixtures/mastodon, provenance in SOURCE.md).

The JSON files were extracted from Mastodon.py's VCR cassettes by extract_cassettes.py (bodies unchanged,
`.link` = the recorded Link header) or copied from msync. Where a case needs a shape the recordings lack
(a group account, a quote of someone else), a deepcopy of a real status is changed and the test says so.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.items import POST_FORMATS, POST_KINDS
from benchmark.parsers.common import FeedPage
from benchmark.platforms.mastodon import parser as mastodon

FIXTURES = Path(__file__).parent / "fixtures" / "mastodon"
CRAWLED_AT = datetime(2026, 9, 30, 12, 0, tzinfo=UTC)
ACCOUNT_FILES = ["account_lookup_200.json", "account_remote_23972.json"]


def load(name: str) -> object:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def link_of(name: str) -> str | None:
    path = FIXTURES / name.replace(".json", ".link")
    return path.read_text(encoding="utf-8").strip() if path.exists() else None


def statuses_in(name: str) -> list[dict]:
    """The statuses a recorded response holds: a page (list), a context, or one status."""
    payload = load(name)
    if isinstance(payload, list):
        return payload
    if "descendants" in payload:
        return payload["ancestors"] + payload["descendants"]
    return [payload]


def parse(statuses: object, account_id: str = "halcy@mastodon.social", **kwargs: object) -> FeedPage:
    return mastodon.parse_statuses(statuses, account_id=account_id, crawled_at=CRAWLED_AT, **kwargs)


NOT_STATUSES = {*ACCOUNT_FILES, "account_lookup_404.json", "search_v2.json"}
STATUS_FILES = sorted(p.name for p in FIXTURES.glob("*.json") if p.name not in NOT_STATUSES)


# ---------------------------------------------------------------- every real fixture parses


@pytest.mark.parametrize("name", STATUS_FILES)
def test_every_recorded_status_parses(name: str) -> None:
    statuses = statuses_in(name)
    page = parse(statuses, link_header=link_of(name))

    assert (page.status, page.dropped) == ("ok", [])
    assert [post.extra["id"] for post in page.posts] == [status["id"] for status in statuses]
    for post, status in zip(page.posts, statuses, strict=True):
        assert post.post_id == status["uri"]
        assert post.created_at.tzinfo is UTC
        assert post.created_at == datetime.fromisoformat(status["created_at"])
        assert post.kind in POST_KINDS and post.format in POST_FORMATS
        assert "<" not in post.text  # HTML stripped
        assert post.views is None


@pytest.mark.parametrize("name", ACCOUNT_FILES)
def test_every_recorded_account_parses(name: str) -> None:
    body = load(name)
    account, status, message = mastodon.parse_account(body, account_id="halcy@mastodon.social", crawled_at=CRAWLED_AT)

    assert (status, message) == ("ok", "")
    assert account.account_id == "halcy@mastodon.social"
    assert (account.followers, account.following, account.posts_count) == (
        body["followers_count"], body["following_count"], body["statuses_count"]
    )
    assert "<" not in (account.description or "")


def test_every_account_of_a_recorded_search_parses() -> None:
    accounts = load("search_v2.json")["accounts"]  # searched on mastodon.social: local accts have no domain
    ids = [a["acct"] if "@" in a["acct"] else f"{a['acct']}@mastodon.social" for a in accounts]
    parsed = [mastodon.parse_account(a, account_id=i, crawled_at=None) for a, i in zip(accounts, ids, strict=True)]

    assert {status for _, status, _ in parsed} == {"ok"}
    bots = [a.handle for a, _, _ in parsed if a.is_organization]
    assert bots == ["quasi_crystals@mastodon.social", "YkkPanels@icosahedron.website"]  # the two "bot": true


def test_every_fixture_file_is_used_by_a_test() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    unused = [
        p.name for p in FIXTURES.glob("*.json")
        if p.name not in STATUS_FILES and p.name not in source
    ]
    assert unused == []


# ---------------------------------------------------------------- accounts


def test_lookup_of_a_local_account() -> None:
    account, status, _ = mastodon.parse_account(
        load("account_lookup_200.json"), account_id="mastodonpy_test@localhost:3000", crawled_at=CRAWLED_AT
    )
    assert status == "ok"
    assert (account.handle, account.name, account.description) == (
        "mastodonpy_test@localhost:3000", "John Lennon", "I walk funny"
    )
    assert (account.is_organization, account.verified) == (False, False)
    assert account.extra["locked"] is True


def test_verified_profile_field_makes_the_account_verified() -> None:
    account, _, _ = mastodon.parse_account(
        load("account_remote_23972.json"), account_id="halcy@icosahedron.website", crawled_at=CRAWLED_AT
    )
    assert account.verified is True
    assert account.extra["verified_links"] == ["https://halcy.de/"]


def test_group_account_is_an_organization() -> None:
    body = copy.deepcopy(load("account_lookup_200.json"))
    body["group"] = True  # a group actor (e.g. a Lemmy community seen from Mastodon)

    account, _, _ = mastodon.parse_account(body, account_id="g@example.social", crawled_at=CRAWLED_AT)
    assert account.is_organization is True


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (load("account_lookup_404.json"), "not_found"),  # {"error": "Record not found"}
        ({"error": "This API requires an authenticated user"}, "login_wall"),
        ({"error": "Too many requests"}, "blocked"),
        (None, "malformed"),
        ("x", "malformed"),
        ([], "malformed"),
        ({}, "malformed"),
        ({"id": "1"}, "malformed"),
    ],
)
def test_account_errors_and_hostile_payloads(payload: object, status: str) -> None:
    account, got, message = mastodon.parse_account(payload, account_id="a@b.social", crawled_at=CRAWLED_AT)
    assert (account, got) == (None, status)
    assert message


# ---------------------------------------------------------------- boosts, replies, quotes


def test_boost_of_a_bot_is_a_repost_of_an_organization() -> None:
    page = parse(load("msync_statuses_array_json.json"), account_id="BestGirlGrace@test.website.egg")

    original, boost = page.posts
    assert (original.kind, boost.kind) == ("original", "repost")
    assert boost.ref_author_id == "tmnt@botsin.space"
    assert boost.ref_author_is_organization is True  # "bot": true
    assert boost.ref_author_followers == 135
    assert boost.ref_post_id == "https://botsin.space/users/tmnt/statuses/103139477824897157"
    assert boost.created_at == datetime(2019, 11, 15, 2, 13, 1, 819000, tzinfo=UTC)  # boost time
    assert (boost.format, boost.media_count) == ("image", 1)  # the boosted status's attachment
    assert boost.text.startswith("Happy, Horny, Gay and Sassy")
    assert (boost.likes, boost.reposts) == (None, None)
    assert boost.extra["ref_counts"]["reposts"] == 11


@pytest.mark.parametrize(("bot", "group", "organization"), [(False, False, False), (False, True, True)])
def test_boost_author_group_or_person(bot: bool, group: bool, organization: bool) -> None:
    status = copy.deepcopy(load("msync_boosted_status_attachment_json.json"))
    status["reblog"]["account"] |= {"bot": bot, "group": group}

    [boost] = parse([status], account_id="BestGirlGrace@test.website.egg").posts
    assert boost.ref_author_is_organization is organization


def test_self_boost_points_at_the_account_itself() -> None:
    [boost] = parse([load("status_self_boost.json")], account_id="mastodonpy_test@localhost:3000").posts
    assert (boost.kind, boost.ref_author_id, boost.ref_author_is_organization) == (
        "repost", "mastodonpy_test@localhost:3000", None
    )


def test_reply_to_another_account_uses_the_mentioned_acct() -> None:
    [reply] = parse([load("status_reply_to_other.json")], account_id="admin@localhost:3000").posts
    assert reply.kind == "reply"
    assert reply.reply_to_author_id == "mastodonpy_test_2@localhost:3000"
    assert reply.extra["reply_to_post_id"] == "117020583245459824"


def test_reply_to_oneself_continues_a_thread() -> None:
    first, final = parse(statuses_in("context.json")).posts
    assert first.reply_to_author_id is None
    assert (final.kind, final.reply_to_author_id, final.extra["self_reply"]) == (
        "original", "halcy@mastodon.social", True
    )


def test_quote_that_is_also_a_reply_stays_a_reply_with_ref_fields() -> None:
    status = load("status_quote.json")  # a bridged Bluesky reply that quotes its own post
    [post] = parse([status], account_id="h4lcy.bsky.social@bsky.brid.gy").posts

    assert post.kind == "reply"
    assert post.ref_post_id == status["quote"]["quoted_status"]["uri"]
    assert post.ref_author_id == "h4lcy.bsky.social@bsky.brid.gy"  # self-quote
    assert post.extra["quote_state"] == "accepted"
    assert "RE:" not in post.text  # the quote-inline fallback is not part of the text
    assert post.text.startswith("actual reply that quotes a post")


def test_quote_of_someone_else() -> None:
    status = copy.deepcopy(load("status_quote.json"))
    status["in_reply_to_id"] = status["in_reply_to_account_id"] = None
    quoted_author = status["quote"]["quoted_status"]["account"]
    quoted_author |= {"id": "1", "acct": "brand@example.social", "display_name": "Brand", "followers_count": 9}

    [post] = parse([status], account_id="h4lcy.bsky.social@bsky.brid.gy").posts
    assert (post.kind, post.ref_author_id, post.ref_author_name) == ("quote", "brand@example.social", "Brand")
    assert (post.ref_author_followers, post.ref_author_is_organization) == (9, False)


def test_pending_quote_has_an_unknown_author() -> None:
    status = copy.deepcopy(load("status_quote.json"))
    status["in_reply_to_id"] = status["in_reply_to_account_id"] = None
    status["quote"] = {"state": "pending", "quoted_status": None}

    [post] = parse([status]).posts
    assert (post.kind, post.ref_author_id, post.ref_author_is_organization) == ("quote", None, None)


# ---------------------------------------------------------------- formats, text, links


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("status_image.json", ("image", 1)),
        ("status_gifv.json", ("gif", 1)),
        ("status_video.json", ("video", 1)),
        ("status_video_remote.json", ("video", 1)),
        ("status_audio.json", ("audio", 1)),
        ("status_poll.json", ("poll", 0)),
        ("status_card_link.json", ("link", 0)),
        ("status_card_video.json", ("link", 0)),  # a YouTube/SoundCloud OEmbed card is still a link
        ("msync_no_attach_status_json.json", ("text", 0)),
    ],
)
def test_format_from_media_poll_and_card(name: str, expected: tuple[str, int]) -> None:
    [post] = parse(statuses_in(name)).posts
    assert (post.format, post.media_count) == expected


def test_mixed_attachments_take_the_richest_format() -> None:
    status = copy.deepcopy(load("status_image.json"))
    status["media_attachments"] += load("status_video.json")["media_attachments"]

    [post] = parse([status]).posts
    assert (post.format, post.media_count, post.extra["media_types"]) == ("video", 2, ["image", "video"])


def test_poll_details() -> None:
    [post] = parse([load("status_poll.json")]).posts
    assert post.extra["poll"] == {
        "options": ["real", "fr fr", "so true", ":hecker:"],
        "votes_count": 64,
        "voters_count": 47,
        "multiple": True,
    }


def test_card_url_is_a_link() -> None:
    [post] = parse([load("status_card_link.json")]).posts
    assert post.links == ["https://halcy.itch.io/cat-game"]
    assert post.extra["card"]["provider_name"] == "itch.io"


def test_html_content_becomes_plain_text_without_mention_or_tag_links() -> None:
    [post] = parse([load("status_gifv.json")], account_id="halcy@icosahedron.website").posts

    assert post.text == (
        "@halcy you're a doo-doo head\n\n"
        "edit: editing this to have the maximum amount of fields filled :trans_heart: #ThisIsAHashtag"
    )
    assert post.hashtags == ["ThisIsAHashtag"]
    assert post.mentions == ["halcy@icosahedron.website"]
    assert post.links == []  # the @halcy and #ThisIsAHashtag anchors are not links
    assert post.extra["spoiler_text"] == "test post for mastodon.py stuff"


def test_local_mentions_are_qualified_with_the_home_instance() -> None:
    [post] = parse([load("msync_mentions_json.json")], account_id="BestGirlGrace@test.website.egg").posts
    assert post.mentions == [
        "GoddessGrace@crime.egg", "grace_ebooks@test.website.egg", "tmnt@botsin.space", "wifelife@test.website.egg"
    ]


# ---------------------------------------------------------------- paging and pinned


def test_link_header_next_gives_the_max_id_cursor() -> None:
    first = parse(load("statuses_page1.json"), link_header=link_of("statuses_page1.json"))
    second = parse(load("statuses_page2.json"), link_header=link_of("statuses_page2.json").encode())

    assert first.cursor == "117020580489281910"
    assert second.cursor == "117020580452511285"
    assert [p.text for p in first.posts + second.posts] == [f"Toot number {n}!" for n in range(9, -1, -1)]


@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", link_of("statuses_pinned.json"), '<https://x.social/api?min_id=5>; rel="prev"', b"\xff"],
)
def test_no_next_link_means_no_cursor(header: object) -> None:
    assert mastodon.next_max_id(header) is None


def test_next_link_found_in_any_order() -> None:
    header = '<https://a.social/x?min_id=9>; rel="prev", <https://a.social/x?limit=40&max_id=123>; rel="next"'
    assert mastodon.next_max_id(header) == "123"


def test_empty_page_is_the_end() -> None:
    page = parse([], link_header=link_of("statuses_page1.json"))
    assert (page.status, page.cursor) == ("end", None)


def test_pinned_statuses() -> None:
    [pinned] = parse(load("statuses_pinned.json")).posts
    assert pinned.pinned is True
    # Unauthenticated `?pinned=true` responses lack the attribute; the spider says so with pinned=True.
    page = parse(load("statuses_page1.json"), pinned=True)
    assert {p.pinned for p in page.posts} == {True}
    assert {p.pinned for p in parse(load("statuses_page1.json")).posts} == {False}


# ---------------------------------------------------------------- hostile input


@pytest.mark.parametrize("payload", [None, "x", 42, {}, {"statuses": []}])
def test_hostile_payloads_are_malformed_not_raised(payload: object) -> None:
    page = parse(payload)
    assert (page.status, page.posts, page.cursor) == ("malformed", [], None)


def test_boost_without_any_account_has_an_unknown_author_not_self() -> None:
    status = copy.deepcopy(load("msync_boosted_status_attachment_json.json"))
    del status["account"], status["reblog"]["account"]

    [boost] = parse([status]).posts
    assert (boost.kind, boost.ref_author_id, boost.ref_author_is_organization) == ("repost", None, None)


def test_error_payload_of_the_statuses_endpoint() -> None:
    page = parse({"error": "This API requires an authenticated user"})
    assert (page.status, page.message) == ("login_wall", "This API requires an authenticated user")


def test_broken_statuses_are_skipped_with_reasons() -> None:
    good = load("status_image.json")
    bad_time = copy.deepcopy(good) | {"created_at": "yesterday"}
    bad_reblog = copy.deepcopy(good) | {"reblog": "not a status"}
    wrong_types = copy.deepcopy(good) | {"media_attachments": "x", "mentions": 5, "account": [], "poll": 3}

    page = parse([None, "x", {}, {"id": "1"}, bad_time, bad_reblog, wrong_types, good])

    assert page.dropped == [
        "item 0: missing_id",
        "item 1: missing_id",
        "item 2: missing_id",
        "item 3: missing_created_at",
        "item 4: missing_created_at",
        "item 5: malformed_reblog",
    ]
    assert len(page.posts) == 2


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from(
    ["id", "created_at", "reblog", "account", "content", "media_attachments", "quote", "in_reply_to_account_id"]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(KEYS, JSON, max_size=6), max_size=5))
def test_random_statuses_never_raise(statuses: list) -> None:
    page = parse(statuses)
    assert len(page.posts) + len(page.dropped) == len(statuses)


# ---------------------------------------------------------------- context → comments (comments crawl)

THREAD = "msync_context_json.json"  # a self-reply thread: post 2 → post 3 → post four
THREAD_AUTHOR = "BestGirlGrace@test.website.egg"
THREAD_POST = "https://test.website.egg/users/BestGirlGrace/statuses/105539247642691774"


def comments_of(payload: object, post_author_id: str = THREAD_AUTHOR, dropped: list[str] | None = None) -> list:
    return mastodon.parse_context(payload, post_id=THREAD_POST, post_author_id=post_author_id, crawled_at=CRAWLED_AT,
                                  dropped=dropped)


def thread() -> dict:
    return copy.deepcopy(load(THREAD))


def test_recorded_contexts_become_comments_of_the_post() -> None:
    for name, author in (("context.json", "halcy@mastodon.social"), (THREAD, THREAD_AUTHOR)):
        payload = load(name)
        dropped: list[str] = []
        comments = comments_of(payload, author, dropped)

        assert dropped == [] and mastodon.context_status(payload) == ("ok", "")
        instance = author.split("@")[1]
        assert [c.comment_id for c in comments] == [f"{instance}/{s['id']}" for s in payload["descendants"]]
        assert [c.extra["uri"] for c in comments] == [s["uri"] for s in payload["descendants"]]  # own answers
        assert [c.extra["id"] for c in comments] == [s["id"] for s in payload["descendants"]]
        assert {c.post_id for c in comments} == {THREAD_POST}
        assert all(c.is_by_post_author and c.author_id == author for c in comments)  # self-reply threads
        assert all(c.created_at.tzinfo is UTC and "<" not in c.text for c in comments)


def test_a_reply_to_a_reply_points_at_it_and_a_reply_to_the_post_is_top_level() -> None:
    first, second = comments_of(load(THREAD))

    assert (first.text, first.parent_comment_id) == ("test thread post 3", None)  # answers the post itself
    assert (second.text, second.parent_comment_id) == ("test thread post four", first.comment_id)


def test_parents_come_first_whatever_the_payload_order() -> None:
    payload = thread()
    payload["descendants"].reverse()
    assert [c.text for c in comments_of(payload)] == ["test thread post 3", "test thread post four"]


def test_fans_and_bots_under_the_post() -> None:
    """The thread's replies given recorded remote and bot accounts in place of the author's own."""
    payload = thread()
    payload["descendants"][0]["account"] = load("account_remote_23972.json")
    payload["descendants"][1]["account"] = next(a for a in load("search_v2.json")["accounts"] if a["bot"])
    fan, bot = comments_of(payload)

    assert (fan.is_by_post_author, fan.author_id, fan.author_is_organization) == (
        False, "halcy@icosahedron.website", False)
    assert fan.author_name == load("account_remote_23972.json")["display_name"]
    assert (bot.is_by_post_author, bot.author_is_organization) == (False, True)
    assert bot.author_id == "quasi_crystals@test.website.egg"  # local acct qualified with the home instance
    for comment, status in zip((fan, bot), payload["descendants"], strict=True):
        # The pipeline pseudonymises author_id and author_name; the id and extra must not name the fan again.
        stored = json.dumps([comment.comment_id, comment.parent_comment_id, comment.extra])
        assert status["account"]["username"] not in stored and "uri" not in comment.extra


def test_unreadable_descendants_are_skipped_with_the_replies_under_them() -> None:
    payload = thread()
    payload["descendants"][0].pop("created_at")
    payload["descendants"].append("junk")
    dropped: list[str] = []

    assert comments_of(payload, dropped=dropped) == []  # post four answers the skipped post 3: not top-level
    assert dropped == ["descendant 0: missing_created_at", "descendant 2: not_an_object",
                       "descendant 105539249606393432: unreachable_reply"]


def test_a_reply_cycle_is_dropped_not_looped() -> None:
    payload = thread()
    first, second = payload["descendants"]
    first["in_reply_to_id"] = second["id"]
    dropped: list[str] = []

    assert comments_of(payload, dropped=dropped) == []
    assert sorted(dropped) == [f"descendant {first['id']}: unreachable_reply",
                               f"descendant {second['id']}: unreachable_reply"]


def test_content_warning_is_kept_apart_from_the_text() -> None:
    payload = thread()
    payload["descendants"][0]["spoiler_text"] = "food"
    first, _ = comments_of(payload)
    assert (first.text, first.extra["spoiler_text"]) == ("test thread post 3", "food")


@pytest.mark.parametrize(("payload", "status"), [
    ({"error": "Record not found"}, "not_found"),
    ({"error": "This method requires an authenticated user"}, "login_wall"),
    ({"ancestors": []}, "malformed"), ({"descendants": "x"}, "malformed"), (None, "malformed"), ([], "malformed"),
])
def test_context_problems_are_statuses_and_give_no_comments(payload: object, status: str) -> None:
    assert mastodon.context_status(payload)[0] == status
    assert comments_of(payload) == []


STATUS_KEYS = st.sampled_from(["id", "created_at", "in_reply_to_id", "uri", "account", "content", "acct"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(STATUS_KEYS, JSON, max_size=6) | JSON, max_size=6))
def test_random_descendants_never_raise(descendants: list) -> None:
    dropped: list[str] = []
    comments = comments_of({"descendants": descendants}, dropped=dropped)
    assert len(comments) + len(dropped) == len(descendants)  # each one is a comment or a reason
    ids = [c.comment_id for c in comments]
    assert len(ids) == len(set(ids)) and all(c.created_at.tzinfo is UTC for c in comments)


def test_a_descendant_shown_twice_is_one_comment() -> None:
    payload = thread()
    payload["descendants"].append(copy.deepcopy(payload["descendants"][0]))
    dropped: list[str] = []
    assert len(comments_of(payload, dropped=dropped)) == 2
    assert dropped == ["descendant 2: duplicate_id"]


# ---------------------------------------------------------------- every field the metrics read, on every recording
# What the Mastodon REST API documents each field to be, read from the raw recorded status, next to what the parser
# made of it. The lists of fields are benchmark.metrics.load's: a metric that starts reading a new field fails
# test_the_field_checks_cover_every_field_the_metrics_read until it is checked here too.


def _acct(account: dict, instance: str) -> str:
    acct = account["acct"]
    return acct if "@" in acct else f"{acct}@{instance}"


def expected_post(status: dict, account_id: str) -> dict:
    """Every metric-read Post field of one raw status, by the API's documented meaning."""
    instance = account_id.split("@")[1]
    shown = status["reblog"] or status
    own_id = status["account"]["id"]
    quote = (status.get("quote") or {}) if not status["reblog"] else {}
    quoted = quote.get("quoted_status") or {}
    original = status["reblog"] or quoted or None
    reply_to = status.get("in_reply_to_account_id") if not status["reblog"] else None
    kind = ("repost" if status["reblog"] else "reply" if reply_to and reply_to != own_id
            else "quote" if quote else "original")
    counts = {"likes": "favourites_count", "comments": "replies_count", "reposts": "reblogs_count",
              "quotes": "quotes_count"}
    types = {m["type"] for m in shown["media_attachments"]}
    media_format = next((f for t, f in (("video", "video"), ("gifv", "gif"), ("audio", "audio"), ("image", "image"))
                         if t in types), None)
    by_author = original and original["account"]["id"] == own_id
    return {
        "post_id": status["uri"],
        "created_at": datetime.fromisoformat(status["created_at"].replace("Z", "+00:00")),
        "url": shown["url"] or shown["uri"],
        "kind": kind,
        "format": media_format or ("poll" if shown.get("poll") else "link" if shown.get("card") else "text"),
        **{field: None if status["reblog"] else status.get(key) for field, key in counts.items()},
        "views": None,  # Mastodon shows none
        "pinned": status.get("pinned") is True,
        "hashtags": {tag["name"].lower() for tag in shown["tags"]},
        "mentions": [_acct(m, instance) for m in shown["mentions"]],
        "links": {shown["card"]["url"]} if shown.get("card") else set(),  # a subset: the content's links too
        "ref_author_id": (None if original is None else account_id if by_author
                          else _acct(original["account"], instance)),
        "ref_author_name": (None if original is None or by_author
                            else original["account"]["display_name"] or original["account"]["username"]),
        "ref_author_is_organization": (None if original is None or by_author
                                       else bool(original["account"]["bot"] or original["account"].get("group"))),
        "reply_to_author_id": (None if not reply_to else account_id if reply_to == own_id
                               # the acct of the account replied to, from the mentions; its local id if not there
                               else next((_acct(m, instance) for m in status["mentions"] if m["id"] == reply_to),
                                         reply_to)),
        "text": shown["content"],
        "date_only": False,  # statuses carry a full timestamp; only Weibo lists show days without a time
    }


def seen_post(post) -> dict:
    """The parser's Post in expected_post's terms (sets where order or case is the platform's, not ours)."""
    return {**{field: getattr(post, field) for field in POST_METRIC_FIELDS},
            "hashtags": {tag.lower() for tag in post.hashtags}}


def recorded_statuses() -> list[tuple[str, dict]]:
    return [(name, status) for name in STATUS_FILES if name not in ("context.json", THREAD)
            for status in statuses_in(name)]


def owner_of(status: dict) -> str:
    account = status["account"]
    host = account["url"].split("/")[2]
    return account["acct"] if "@" in account["acct"] else f"{account['acct']}@{host}"


def test_the_field_checks_cover_every_field_the_metrics_read() -> None:
    from benchmark.metrics.load import COMMENT_COLUMNS, POST_COLUMNS

    _name, status = recorded_statuses()[0]
    assert set(POST_COLUMNS) == set(expected_post(status, owner_of(status))) == set(POST_METRIC_FIELDS)
    assert set(COMMENT_COLUMNS) == set(expected_comments(load("context.json"), "halcy@mastodon.social")[0])


POST_METRIC_FIELDS = (
    "post_id", "created_at", "url", "text", "kind", "format", "likes", "comments", "reposts", "quotes",
    "views", "pinned", "hashtags", "mentions", "links", "ref_author_id", "ref_author_name",
    "ref_author_is_organization", "reply_to_author_id", "date_only",
)


@pytest.mark.parametrize(("name", "status"), recorded_statuses(),
                         ids=[f"{n}:{s['id']}" for n, s in recorded_statuses()])
def test_every_field_the_metrics_read_matches_the_recorded_status(name: str, status: dict) -> None:
    account_id = owner_of(status)
    page = parse([status], account_id=account_id)
    [post] = page.posts
    wanted, seen = expected_post(status, account_id), seen_post(post)
    content, text = wanted.pop("text"), seen.pop("text")
    card_link, links = wanted.pop("links"), seen.pop("links")
    assert seen == wanted
    assert card_link <= set(links)  # the link card's URL, besides the links of the content
    # Text: the content without HTML; a link the content shows is a link, a mention or tag link is not.
    assert "<" not in text and (bool(text.strip()) or not re.sub(r"<[^>]+>", "", content).strip())
    mention_urls = {m["url"] for m in (status["reblog"] or status)["mentions"]}
    assert not mention_urls & set(post.links)
    assert all(link.startswith(("http://", "https://")) for link in post.links)


def expected_comments(context: dict, post_author_id: str) -> list[dict]:
    instance = post_author_id.split("@")[1]
    ids = {s["id"] for s in context["descendants"]}
    out = []
    for status in context["descendants"]:
        own = _acct(status["account"], instance).lower() == post_author_id.lower()
        out.append({
            "comment_id": f"{instance}/{status['id']}", "post_id": THREAD_POST,
            "author_id": post_author_id if own else _acct(status["account"], instance),
            "author_is_organization": bool(status["account"]["bot"] or status["account"].get("group")),
            "created_at": datetime.fromisoformat(status["created_at"].replace("Z", "+00:00")),
            "parent_comment_id": f"{instance}/{status['in_reply_to_id']}" if status["in_reply_to_id"] in ids else None,
            "is_by_post_author": own, "likes": status["favourites_count"], "text": status["content"],
        })
    return out


@pytest.mark.parametrize(("name", "author"), [("context.json", "halcy@mastodon.social"), (THREAD, THREAD_AUTHOR)])
def test_every_comment_field_the_metrics_read_matches_the_recorded_context(name: str, author: str) -> None:
    payload = load(name)
    comments = comments_of(payload, author)
    wanted = expected_comments(payload, author)
    for comment, expected in zip(comments, wanted, strict=True):
        content = expected.pop("text")
        assert {field: getattr(comment, field) for field in expected} == expected
        assert "<" not in comment.text and bool(comment.text.strip()) == bool(re.sub(r"<[^>]+>", "", content).strip())


@pytest.mark.parametrize("name", ACCOUNT_FILES)
def test_every_account_field_the_metrics_read_matches_the_recording(name: str) -> None:
    body = load(name)
    account_id = owner_of({"account": body})
    account, status, _ = mastodon.parse_account(body, crawled_at=CRAWLED_AT, account_id=account_id)
    assert status == "ok"
    assert (account.account_id, account.handle, account.url, account.followers, account.is_organization) == (
        account_id, account_id, body["url"], body["followers_count"], bool(body["bot"] or body.get("group")))
    assert account.name == (body["display_name"] or body["username"])
