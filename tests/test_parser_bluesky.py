"""Bluesky parser on real recorded AppView payloads (tests/fixtures/bluesky, provenance in SOURCE.md).

No getAuthorFeed page or getProfile(s) response was found verbatim, so pages are built from real
feedViewPost / postView items (`{"feed": [{"post": postView}]}` is the lexicon's shape) and profiles from
real profileViews of getFollows; where a case needs a field the recordings lack (reasonPin, a label,
followersCount) it is added to a deepcopy of a real item, and the test says so.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.items import POST_FORMATS, POST_KINDS
from benchmark.parsers import bluesky
from benchmark.parsers.common import FeedPage

FIXTURES = Path(__file__).parent / "fixtures" / "bluesky"
CRAWLED_AT = datetime(2026, 9, 30, 12, 0, tzinfo=UTC)
PIN = {"$type": bluesky.REASON_PIN}


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def feed_of(*items: dict, cursor: str | None = None) -> dict:
    payload: dict = {"feed": list(items)}
    if cursor:
        payload["cursor"] = cursor
    return payload


def post_item(name: str) -> dict:
    """A feedViewPost wrapping a recorded postView."""
    return {"post": load(name)}


def parse(payload: object, account_id: str = "someone.bsky.social", **kwargs: object) -> FeedPage:
    return bluesky.parse_author_feed(payload, account_id=account_id, crawled_at=CRAWLED_AT, **kwargs)


def thread_posts(node: dict) -> list[dict]:
    """Every postView of a getPostThread response, depth first."""
    posts = [node["post"]] if "post" in node else []
    for reply in node.get("replies", []):
        posts.extend(thread_posts(reply))
    return posts


def follows() -> list[dict]:
    return load("marshalx_get_follows.json")["follows"]


# ---------------------------------------------------------------- every real fixture parses

POSTVIEW_FILES = sorted(p.name for p in FIXTURES.glob("atat_postview_*.json"))
THREAD_FILES = [
    *sorted(p.name for p in FIXTURES.glob("*getPostThread*.json")),
    "marshalx_thread_view_post_with_embed_media.json",
]


def test_every_fixture_file_is_used_by_a_test() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    used = set(POSTVIEW_FILES) | set(THREAD_FILES)
    unused = [p.name for p in FIXTURES.glob("*.json") if p.name not in used and p.name not in source]
    assert unused == []


@pytest.mark.parametrize("name", POSTVIEW_FILES)
def test_every_recorded_post_view_parses(name: str) -> None:
    view = load(name)
    page = parse(feed_of({"post": view}), account_id=view["author"]["handle"])

    assert (page.status, page.dropped) == ("ok", [])
    [post] = page.posts
    assert post.post_id == view["uri"]
    assert post.account_id == view["author"]["handle"]
    assert post.url == f"https://bsky.app/profile/{view['author']['handle']}/post/{view['uri'].rsplit('/', 1)[1]}"
    assert post.created_at.tzinfo is UTC and post.created_at <= datetime.fromisoformat(view["indexedAt"])
    assert post.text == view["record"]["text"]
    assert post.kind in POST_KINDS and post.format in POST_FORMATS
    assert (post.likes, post.comments, post.reposts, post.quotes) == (
        view["likeCount"], view["replyCount"], view["repostCount"], view["quoteCount"]
    )
    assert post.crawled_at == CRAWLED_AT


@pytest.mark.parametrize("name", THREAD_FILES)
def test_every_post_of_recorded_threads_parses(name: str) -> None:
    views = thread_posts(load(name)["thread"])
    page = parse(feed_of(*({"post": view} for view in views)))

    assert page.dropped == []
    assert [post.post_id for post in page.posts] == [view["uri"] for view in views]
    assert all(post.created_at.tzinfo is UTC for post in page.posts)


def test_big_thread_replies_are_replies_to_the_celebrity() -> None:
    thread = load("dannguyen_getPostThread.response.json")["thread"]
    replies = [reply["post"] for reply in thread["replies"]]
    root_did = thread["post"]["author"]["did"]
    page = parse(feed_of(*({"post": view} for view in replies)), account_id="fan.example")

    to_root = [p for p in page.posts if p.reply_to_author_id == root_did]
    by_others = [v for v in replies if v["author"]["did"] != root_did]
    assert len(to_root) == len(by_others) == 169  # the 170th reply is the celebrity's own
    assert {p.kind for p in to_root} == {"reply"}
    [own] = [p for p in page.posts if p.ref_author_id is None and p.extra.get("self_reply")]
    assert own.kind == "original"
    assert sum(p.format == "image" for p in page.posts) == 15  # 15 images#view embeds in the recording
    # 14 external#view cards: 4 Tenor and 1 Giphy GIF (the app's GIF picker), 9 ordinary link cards.
    assert sum(p.format == "gif" for p in page.posts) == 5
    assert sum(p.format == "link" for p in page.posts) == 9


@pytest.mark.parametrize(
    ("name", "expected_format"),
    [("atat_embedview_images_no_aspectratio.json", "image"), ("atat_embedview_video_no_aspectratio.json", "video")],
)
def test_recorded_bare_embed_views_without_aspect_ratio(name: str, expected_format: str) -> None:
    view = load("atat_postview_images.json")
    embed = load(name)
    view["embed"] = embed if "$type" in embed else {"$type": "app.bsky.embed.images#view", "images": [embed]}

    [post] = parse(feed_of({"post": view})).posts
    assert (post.format, post.media_count) == (expected_format, 1)


# ---------------------------------------------------------------- reposts, pins, quotes, replies


def test_reason_repost_is_a_repost_of_the_post_author() -> None:
    item = load("atat_feedviewpost_reasonRepost.json")
    page = parse(feed_of(item, cursor="2025-02-06T17:58:31.348Z"), account_id="daniloc.xyz")

    [post] = page.posts
    original = item["post"]
    assert post.kind == "repost"
    assert post.account_id == "daniloc.xyz"
    assert post.post_id == f"{original['uri']}#repost-by-{item['reason']['by']['did']}"
    assert post.created_at == datetime(2025, 2, 6, 17, 58, 31, 348000, tzinfo=UTC)  # reason.indexedAt
    assert post.ref_post_id == original["uri"]
    assert post.ref_author_id == original["author"]["did"]
    assert post.ref_author_name == "The Ferrari Lab"
    assert post.ref_author_is_organization is None  # unknown until getProfiles
    assert post.url == "https://bsky.app/profile/theferrarilab.bsky.social/post/3lhjnkjle5s2o"
    # The repost earns nothing itself; the original's counts are kept aside.
    assert (post.likes, post.comments, post.reposts, post.quotes) == (None, None, None, None)
    assert post.extra["ref_counts"] == {"likes": 9, "comments": 1, "reposts": 7, "quotes": 0}
    assert page.ref_authors == [original["author"]["did"]]
    assert page.cursor == "2025-02-06T17:58:31.348Z"


def test_repost_uses_the_repost_record_uri_when_the_appview_sends_it() -> None:
    item = copy.deepcopy(load("atat_feedviewpost_reasonRepost.json"))
    repost_uri = "at://did:plc:lw5dadzkguntwgkj2jxmulxk/app.bsky.feed.repost/3lhjnzzzzzz2a"
    item["reason"]["uri"] = repost_uri  # newer AppViews add uri/cid to reasonRepost

    assert parse(feed_of(item), account_id="daniloc.xyz").posts[0].post_id == repost_uri


def test_repost_of_an_opted_out_author_keeps_no_text_or_name() -> None:
    item = copy.deepcopy(load("atat_feedviewpost_reasonRepost.json"))
    item["post"]["author"]["labels"] = load("atat_postview_images.json")["author"]["labels"]  # real label

    [post] = parse(feed_of(item), account_id="daniloc.xyz").posts
    assert (post.text, post.ref_author_name, post.extra["ref_author_opted_out"]) == ("", None, True)
    assert post.ref_author_id == item["post"]["author"]["did"]  # still counted in aggregates


def test_reason_pin_is_pinned_and_not_yielded_twice() -> None:
    pinned = post_item("atat_postview_images.json") | {"reason": PIN}
    page = parse(
        feed_of(pinned, post_item("atat_postview_video.json"), post_item("atat_postview_images.json")),
        account_id="danoleary.bsky.social",
    )

    assert [p.post_id for p in page.posts] == [pinned["post"]["uri"], load("atat_postview_video.json")["uri"]]
    assert [p.pinned for p in page.posts] == [True, False]


def test_pinned_uri_from_the_profile_marks_the_post_pinned() -> None:
    view = load("atat_postview_video.json")
    page = parse(feed_of({"post": view}, post_item("atat_postview_images.json")), pinned_uri=view["uri"])

    assert [p.pinned for p in page.posts] == [True, False]


def test_quote_embed_is_a_quote_of_the_embedded_author() -> None:
    view = load("atat_postview_quote_with_comment.json")
    page = parse(feed_of({"post": view}), account_id="mackuba.eu")

    [post] = page.posts
    quoted = view["embed"]["record"]
    assert (post.kind, post.format) == ("quote", "text")
    assert post.ref_post_id == quoted["uri"]
    assert post.ref_author_id == quoted["author"]["did"]
    assert post.ref_author_name == "The Verge"
    assert post.extra["ref_author_handle"] == "theverge.com"
    assert (post.likes, post.quotes) == (view["likeCount"], view["quoteCount"])  # a quote has its own counts
    assert page.ref_authors == [quoted["author"]["did"]]


def test_record_with_media_is_a_quote_with_the_media_format() -> None:
    view = load("atat_postview_record_with_media.json")
    [post] = parse(feed_of({"post": view})).posts

    assert (post.kind, post.format, post.media_count) == ("quote", "image", 1)
    assert post.ref_author_id == "did:plc:ab5inzxnpw4j2zvzlxupr5ut"
    assert post.ref_author_name == "Bohdan Pavuk"
    assert post.extra["embed_type"] == "app.bsky.embed.recordWithMedia"


def test_self_quote_points_at_the_account_itself_and_needs_no_lookup() -> None:
    view = load("marshalx_thread_view_post_with_embed_media.json")["thread"]["post"]
    page = parse(feed_of({"post": view}), account_id="test.marshal.dev")

    [post] = page.posts
    assert post.kind == "quote"
    assert post.ref_author_id == "test.marshal.dev"
    assert page.ref_authors == []


def test_quote_of_a_deleted_post_has_an_unknown_author() -> None:
    view = copy.deepcopy(load("atat_postview_quote_with_comment.json"))
    uri = view["embed"]["record"]["uri"]
    view["embed"]["record"] = {"$type": "app.bsky.embed.record#viewNotFound", "uri": uri, "notFound": True}

    [post] = parse(feed_of({"post": view})).posts
    assert post.kind == "quote"
    assert post.ref_author_id == uri.split("/")[2]
    assert post.ref_author_is_organization is None
    assert post.extra["quoted_state"] == "viewNotFound"


def test_reply_to_someone_else() -> None:
    view = load("atat_postview_reply_no_embed.json")
    [post] = parse(feed_of({"post": view}), account_id="xxiainxx.bsky.social").posts

    assert post.kind == "reply"
    assert post.reply_to_author_id == "did:plc:x2rfmy3ldn2k6d2diyp7ofi2"
    assert post.extra["reply_to_post_id"] == view["record"]["reply"]["parent"]["uri"]


def test_reply_to_oneself_continues_a_thread() -> None:
    view = load("dannguyen_getPostThread-simple.response.json")["thread"]["replies"][0]["post"]
    [post] = parse(feed_of({"post": view}), account_id="dancow.bsky.social").posts

    assert post.kind == "original"
    assert post.reply_to_author_id == "dancow.bsky.social"
    assert post.extra["self_reply"] is True


# ---------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("atat_postview_images.json", ("image", 1)),
        ("atat_postview_video.json", ("video", 1)),
        ("atat_postview_external_link_card.json", ("link", 0)),
        ("atat_postview_reply_no_embed.json", ("text", 0)),
    ],
)
def test_format_from_embed(name: str, expected: tuple[str, int]) -> None:
    [post] = parse(feed_of(post_item(name))).posts
    assert (post.format, post.media_count) == expected


def test_external_card_link_and_facet_tags() -> None:
    [card] = parse(feed_of(post_item("atat_postview_external_link_card.json"))).posts
    [video] = parse(feed_of(post_item("atat_postview_video.json"))).posts

    assert card.links == [
        "https://www.createwithswift.com/designing-for-application-states-creating-seamless-user-experiences/"
    ]
    assert video.hashtags == ["swiftUI", "iOS", "beginner", "code", "keeplearning"]


def test_video_presented_as_gif_is_a_gif() -> None:
    view = copy.deepcopy(load("atat_postview_video.json"))
    view["embed"]["presentation"] = "gif"  # lexicon: video#view.presentation ∈ default | gif

    assert parse(feed_of({"post": view})).posts[0].format == "gif"


def test_unknown_embed_type_is_kept_not_fatal() -> None:
    view = copy.deepcopy(load("atat_postview_images.json"))
    view["embed"]["$type"] = "app.bsky.embed.somethingNew#view"

    [post] = parse(feed_of({"post": view})).posts
    assert (post.format, post.extra["embed_type"], post.extra["unknown_embed"]) == (
        "text", "app.bsky.embed.somethingNew", True
    )


# ---------------------------------------------------------------- profiles and ref authors


def test_profile_from_a_real_profile_view() -> None:
    profile = follows()[3]  # bsky.app
    account, status, message = bluesky.parse_profile(profile, crawled_at=CRAWLED_AT, account_id="bsky.app")

    assert (status, message) == ("ok", "")
    assert account is not None
    assert (account.account_id, account.handle, account.name) == ("bsky.app", "bsky.app", "Bluesky")
    assert account.url == "https://bsky.app/profile/bsky.app"
    assert account.extra["did"] == profile["did"]
    assert account.followers is None  # profileView has no counts; getProfile's profileViewDetailed does


def test_profile_counts_and_verification() -> None:
    profile = copy.deepcopy(follows()[3])
    profile |= {"followersCount": 33_000_000, "followsCount": 9, "postsCount": 600}  # profileViewDetailed fields
    profile["verification"] = {"verifications": [], "verifiedStatus": "valid", "trustedVerifierStatus": "valid"}

    account, status, _ = bluesky.parse_profile(profile, crawled_at=CRAWLED_AT)
    assert status == "ok"
    assert (account.followers, account.following, account.posts_count) == (33_000_000, 9, 600)
    assert (account.verified, account.is_organization) == (True, True)


def test_no_unauthenticated_label_means_opted_out() -> None:
    profile = copy.deepcopy(follows()[0])
    profile["labels"].append(copy.deepcopy(load("atat_postview_images.json")["author"]["labels"][0]))

    account, status, message = bluesky.parse_profile(profile, crawled_at=CRAWLED_AT)
    assert status == "opted_out"
    assert "!no-unauthenticated" in message
    assert account is not None and account.handle == "why.bsky.team"
    assert bluesky.parse_profile(follows()[0], crawled_at=CRAWLED_AT)[1] == "ok"


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"error": "InvalidRequest", "message": "Profile not found"}, "not_found"),
        ({"error": "AccountTakedown", "message": "Account has been suspended"}, "not_found"),
        ({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, "blocked"),
    ],
)
def test_error_payloads(payload: dict, status: str) -> None:
    assert bluesky.parse_profile(payload, crawled_at=CRAWLED_AT)[:2] == (None, status)
    assert parse(payload).status == status


def test_parse_profiles_classifies_fans_and_organizations() -> None:
    person, bot, labeler, verified_org, verified_person, opted_out = (copy.deepcopy(follows()[0]) for _ in range(6))
    bot |= {"did": "did:plc:bot", "labels": [{"src": "did:plc:bot", "val": "bot"}]}
    labeler |= {"did": "did:plc:labeler", "associated": {"labeler": True}}
    valid = {"verifications": [], "verifiedStatus": "valid", "trustedVerifierStatus": "none"}
    verified_org |= {"did": "did:plc:org", "handle": "washingtonpost.com", "verification": valid}
    verified_person |= {"did": "did:plc:staff", "handle": "jane.nytimes.com", "verification": valid}
    opted_out |= {"did": "did:plc:shy", "labels": [{"val": "!no-unauthenticated"}], "followersCount": 12}
    person["followersCount"] = 321

    authors = bluesky.parse_profiles(
        {"profiles": [person, bot, labeler, verified_org, verified_person, opted_out, {"handle": "no-did"}]}
    )

    assert {did: info["is_organization"] for did, info in authors.items()} == {
        person["did"]: False,
        "did:plc:bot": True,
        "did:plc:labeler": True,
        "did:plc:org": True,
        "did:plc:staff": False,
        "did:plc:shy": False,
    }
    assert authors[person["did"]]["followers"] == 321
    assert authors["did:plc:bot"]["is_bot"] is True
    assert authors["did:plc:staff"]["verified"] is True
    assert (authors["did:plc:shy"]["handle"], authors["did:plc:shy"]["followers"]) == ("", 12)


def test_apply_ref_authors_fills_followers_and_organization() -> None:
    quote = post_item("atat_postview_quote_with_comment.json")  # quotes theverge.com
    repost = load("atat_feedviewpost_reasonRepost.json")  # reposts theferrarilab.bsky.social
    own = post_item("atat_postview_images.json")
    page = parse(feed_of(quote, repost, own), account_id="daniloc.xyz")
    verge, lab = (copy.deepcopy(follows()[0]) for _ in range(2))
    verge |= {"did": page.ref_authors[0], "handle": "theverge.com", "followersCount": 500_000}
    verge["verification"] = {"verifications": [], "verifiedStatus": "valid", "trustedVerifierStatus": "none"}
    lab |= {"did": page.ref_authors[1], "followersCount": 1_200}

    bluesky.apply_ref_authors(page.posts, bluesky.parse_profiles({"profiles": [verge, lab]}))

    assert [(p.ref_author_followers, p.ref_author_is_organization) for p in page.posts] == [
        (500_000, True),
        (1_200, False),
        (None, None),
    ]


def test_apply_ref_authors_leaves_unknown_authors_unknown() -> None:
    page = parse(feed_of(post_item("atat_postview_quote_with_comment.json")))
    bluesky.apply_ref_authors(page.posts, {})
    assert (page.posts[0].ref_author_followers, page.posts[0].ref_author_is_organization) == (None, None)


# ---------------------------------------------------------------- paging and hostile input


def test_empty_feed_without_cursor_is_the_end() -> None:
    page = parse({"feed": []})
    assert (page.status, page.cursor, page.posts) == ("end", None, [])


@pytest.mark.parametrize("payload", [None, [], "x", 42, {}, {"feed": None}, {"feed": "x"}, {"feed": {}}])
def test_hostile_payloads_are_malformed_not_raised(payload: object) -> None:
    page = parse(payload)
    assert (page.status, page.posts, page.cursor) == ("malformed", [], None)
    assert page.message


def test_broken_items_are_skipped_with_reasons() -> None:
    good = post_item("atat_postview_video.json")
    no_time = copy.deepcopy(good)
    del no_time["post"]["record"]["createdAt"], no_time["post"]["indexedAt"]
    repost_without_time = copy.deepcopy(load("atat_feedviewpost_reasonRepost.json"))
    del repost_without_time["reason"]["indexedAt"]
    wrong_types = copy.deepcopy(good)
    wrong_types["post"] |= {"record": "text", "author": [], "embed": 5, "likeCount": "many"}

    page = parse(feed_of(None, {}, {"post": {}}, {"post": {"uri": "https://x"}}, no_time, repost_without_time,
                         wrong_types, post_item("atat_postview_images.json")))

    assert page.dropped == [
        "item 0: missing_post",
        "item 1: missing_post",
        "item 2: missing_post",
        "item 3: missing_uri",
        "item 4: missing_created_at",
        "item 5: missing_repost_time",
    ]
    assert len(page.posts) == 2  # wrong_types still yields what it can (indexedAt, uri)
    assert page.posts[0].likes is None


@pytest.mark.parametrize("payload", [None, [], "x", {}, {"did": "not-a-did", "handle": "x"}])
def test_hostile_profiles(payload: object) -> None:
    assert bluesky.parse_profile(payload, crawled_at=CRAWLED_AT)[:2] == (None, "malformed")
    assert bluesky.parse_profiles(payload) == {}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from(["post", "reason", "reply", "uri", "record", "embed", "author", "$type", "feed"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(KEYS, JSON, max_size=5), max_size=5))
def test_random_feed_items_never_raise(items: list) -> None:
    page = parse({"feed": items})
    assert len(page.posts) + len(page.dropped) <= len(items)
