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
from benchmark.parsers.common import FeedPage
from benchmark.platforms.bluesky import parser as bluesky

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
    # The appview_* recordings of the local App View are read by tests/test_appview_recorded.py.
    source = Path(__file__).read_text(encoding="utf-8") + (Path(__file__).parent / "test_appview_recorded.py"
                                                           ).read_text(encoding="utf-8")
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


# ---------------------------------------------------------------- threads → comments (comments crawl)


def comments_of(payload: object, post_author_id: str, dropped: list[str] | None = None) -> list:
    return bluesky.parse_thread(payload, post_id=root_uri(payload), post_author_id=post_author_id,
                                crawled_at=CRAWLED_AT, dropped=dropped)


def root_uri(payload: object) -> str:
    """The thread's own post (the comments' post_id), or a stand-in for payloads without one."""
    try:
        return payload["thread"]["post"]["uri"]  # type: ignore[index]
    except (KeyError, TypeError):
        return "at://did:plc:x/app.bsky.feed.post/x"


def big_thread() -> dict:
    return load("dannguyen_getPostThread.response.json")


def test_replies_of_a_recorded_celebrity_thread_become_comments() -> None:
    payload = big_thread()
    replies = [node["post"] for node in payload["thread"]["replies"]]
    dropped: list[str] = []
    comments = comments_of(payload, "jimmyfallon.bsky.social", dropped)

    assert dropped == [] and bluesky.thread_status(payload) == ("ok", "")
    assert [c.comment_id for c in comments] == [view["cid"] for view in replies]
    assert {c.post_id for c in comments} == {payload["thread"]["post"]["uri"]}
    assert {c.parent_comment_id for c in comments} == {None}  # direct replies to the post
    assert [c.likes for c in comments] == [view["likeCount"] for view in replies]
    assert all(c.created_at.tzinfo is UTC and c.crawled_at == CRAWLED_AT for c in comments)
    [own] = [c for c in comments if c.is_by_post_author]
    assert (own.author_id, own.text) == ("jimmyfallon.bsky.social", "Hey")  # the account's id, not its DID
    assert own.extra["uri"] == replies[0]["uri"]
    others = [c for c in comments if not c.is_by_post_author]
    assert [c.author_id for c in others] == [v["author"]["did"] for v in replies if v["author"]["did"] != own_did()]


def test_nothing_but_author_id_and_name_says_who_a_fan_is() -> None:
    """The pipeline pseudonymises author_id and author_name, and drops the handle the parser leaves in extra
    (for panel accounts listed by handle); the id and extra must not name the fan again."""
    from benchmark.privacy import Pseudonymiser

    payload = big_thread()
    rules = Pseudonymiser(b"k" * 32, "bluesky", ["jimmyfallon.bsky.social"])
    for comment in comments_of(payload, "jimmyfallon.bsky.social"):
        if comment.is_by_post_author:
            continue
        view = next(n["post"] for n in payload["thread"]["replies"] if n["post"]["cid"] == comment.comment_id)
        # The one field that names the author; not even that for authors who opted out of logged-out apps.
        hidden = comment.extra.get("author_opted_out", False)
        assert comment.extra.get("author_handle") == (None if hidden else view["author"]["handle"])
        rules.apply(comment)
        stored = json.dumps([comment.comment_id, comment.parent_comment_id, comment.extra])
        assert view["author"]["did"] not in stored and view["author"]["handle"] not in stored


def own_did() -> str:
    return big_thread()["thread"]["post"]["author"]["did"]


def test_own_replies_are_recognised_by_did_as_well_as_by_handle() -> None:
    payload = load("dannguyen_getPostThread-simple.response.json")
    did = payload["thread"]["post"]["author"]["did"]
    [by_handle] = comments_of(payload, "dancow.bsky.social")
    [by_did] = comments_of(payload, did)
    [stranger] = comments_of(payload, "someone-else.bsky.social")  # the DID in the post uri still says who owns it

    assert by_handle.is_by_post_author and by_handle.author_id == "dancow.bsky.social"
    assert by_did.is_by_post_author and by_did.author_id == did
    assert stranger.is_by_post_author


def test_authors_who_opted_out_keep_their_did_but_not_their_name_or_text() -> None:
    payload = big_thread()
    opted_out = {node["post"]["cid"] for node in payload["thread"]["replies"]
                 if any(label["val"] == "!no-unauthenticated" for label in node["post"]["author"]["labels"])}
    comments = {c.comment_id: c for c in comments_of(payload, "jimmyfallon.bsky.social")}

    assert len(opted_out) > 10
    for cid in opted_out:
        comment = comments[cid]
        assert comment.author_id.startswith("did:") and comment.author_name is None and comment.text == ""
        assert comment.extra["author_opted_out"] is True
    shown = [c for cid, c in comments.items() if cid not in opted_out]
    assert all(c.author_name and "author_opted_out" not in c.extra for c in shown)


def test_comment_authors_are_classified_like_repost_authors() -> None:
    """Recorded replies are all by people; a bot self-label and a verified bare-domain handle are added to
    copies of two of them."""
    payload = big_thread()
    bot, brand = copy.deepcopy(payload["thread"]["replies"][2]), copy.deepcopy(payload["thread"]["replies"][3])
    bot["post"]["author"]["labels"] = [{"val": "bot", "src": bot["post"]["author"]["did"]}]
    brand["post"]["author"].update(handle="washingtonpost.com", verification={"verifiedStatus": "valid"})
    payload["thread"]["replies"] = [payload["thread"]["replies"][4], bot, brand]
    person, as_bot, as_brand = comments_of(payload, "jimmyfallon.bsky.social")

    assert person.author_is_organization is False  # a definite "fan", not unknown: the view carries the signals
    assert as_bot.author_is_organization is True and as_bot.extra["author_is_bot"] is True
    assert as_brand.author_is_organization is True and as_brand.extra["author_verified"] is True


def test_nested_replies_point_at_the_reply_they_answer_parents_first() -> None:
    """Recorded replies, nested into one another (the recordings hold one level only)."""
    payload = big_thread()
    first, second, third, fourth = (copy.deepcopy(node) for node in payload["thread"]["replies"][1:5])
    second["replies"] = [third]
    first["replies"] = [second]
    payload["thread"]["replies"] = [first, fourth]
    comments = comments_of(payload, "jimmyfallon.bsky.social")

    cids = [node["post"]["cid"] for node in (first, second, third, fourth)]
    assert [c.comment_id for c in comments] == cids
    assert [c.parent_comment_id for c in comments] == [None, cids[0], cids[1], None]
    assert [c.extra["depth"] for c in comments] == [1, 2, 3, 1]


def test_replies_the_appview_cannot_show_are_skipped_with_reasons() -> None:
    payload = big_thread()
    kept = copy.deepcopy(payload["thread"]["replies"][1])
    broken = copy.deepcopy(payload["thread"]["replies"][2])
    broken["post"].pop("uri")
    broken["replies"] = [copy.deepcopy(payload["thread"]["replies"][3])]  # goes with its unreadable parent
    payload["thread"]["replies"] = [
        {"$type": "app.bsky.feed.defs#notFoundPost", "uri": "at://did:plc:gone/app.bsky.feed.post/1", "notFound": True},
        {"$type": "app.bsky.feed.defs#blockedPost", "uri": "at://did:plc:blk/app.bsky.feed.post/1", "blocked": True},
        broken, kept, "junk", {"$type": "app.bsky.feed.defs#somethingNew"},
    ]
    dropped: list[str] = []
    comments = comments_of(payload, "jimmyfallon.bsky.social", dropped)

    assert [c.comment_id for c in comments] == [kept["post"]["cid"]]
    assert dropped == ["reply 0: reply_not_found", "reply 1: reply_blocked", "reply 2: missing_uri",
                       "reply 4: not_an_object", "reply 5: unknown_reply_type"]


@pytest.mark.parametrize(("payload", "status"), [
    ({"thread": {"$type": "app.bsky.feed.defs#notFoundPost", "uri": "at://x", "notFound": True}}, "not_found"),
    ({"thread": {"$type": "app.bsky.feed.defs#blockedPost", "uri": "at://x", "blocked": True}}, "blocked"),
    ({"error": "NotFound", "message": "Post not found: at://x"}, "not_found"),
    ({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, "blocked"),
    (None, "malformed"), ([], "malformed"), ({"thread": "x"}, "malformed"), ({"thread": {"replies": []}}, "malformed"),
])
def test_thread_problems_are_statuses_and_give_no_comments(payload: object, status: str) -> None:
    assert bluesky.thread_status(payload)[0] == status
    assert comments_of(payload, "someone.bsky.social") == []


def test_a_post_without_replies_has_no_comments() -> None:
    payload = load("marshalx_thread_view_post_with_embed_media.json")  # depth=1, no replies
    assert bluesky.thread_status(payload) == ("ok", "")
    assert comments_of(payload, "test.marshal.dev") == []


def test_very_deep_threads_do_not_exhaust_the_stack() -> None:
    payload = big_thread()
    template = payload["thread"]["replies"][1]
    node = None
    for depth in range(3000):
        current = copy.copy(template)
        current["post"] = {**template["post"], "uri": f"at://did:plc:deep/app.bsky.feed.post/{depth}",
                           "cid": f"bafy-deep-{depth}"}
        current["replies"] = [node] if node else []
        node = current
    payload["thread"]["replies"] = [node]
    assert len(comments_of(payload, "jimmyfallon.bsky.social")) == 3000


REPLY_KEYS = st.sampled_from(["$type", "post", "replies", "uri", "author", "record", "did", "handle", "createdAt"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(REPLY_KEYS, JSON, max_size=5), max_size=5))
def test_random_reply_nodes_never_raise(replies: list) -> None:
    payload = {"thread": {"$type": bluesky.THREAD_VIEW, "post": {"uri": "at://did:plc:x/app.bsky.feed.post/1"},
                          "replies": replies}}
    dropped: list[str] = []
    comments = comments_of(payload, "x.bsky.social", dropped)
    assert len(comments) + len(dropped) >= len(replies)  # every direct reply is a comment or a reason
    assert all(c.comment_id and c.created_at.tzinfo is UTC for c in comments)


def test_a_reply_shown_twice_is_one_comment() -> None:
    payload = big_thread()
    payload["thread"]["replies"] = [payload["thread"]["replies"][1], copy.deepcopy(payload["thread"]["replies"][1])]
    dropped: list[str] = []
    assert len(comments_of(payload, "jimmyfallon.bsky.social", dropped)) == 1
    assert dropped == ["reply 1: duplicate_id"]
