"""Bluesky public AppView payloads → Account / Post items (pure, no network).

Endpoints (https://public.api.bsky.app/xrpc/…): `app.bsky.actor.getProfile`, `app.bsky.feed.getAuthorFeed`
(cursor paging, `limit=100`, `includePins=true`), `app.bsky.actor.getProfiles` (≤ 25 actors) for the
authors of reposted / quoted posts, whose follower counts the feed does not carry, and
`app.bsky.feed.getPostThread` for the replies under a post (optional comments crawl).

Payloads are read as plain dicts because the AppView adds union members without notice
(`embed.gallery#view`, `viewDetached`, …) and typed SDKs crash on them; unknown types are kept in `extra`.

This module is the platform's parser entry (profiles) and re-exports the rest, which lives by payload:
`feed.py` (author feed → posts, reposts, replies, quotes), `threads.py` (a post's thread → comments) and
`fields.py` (constants, author signals, embeds/formats, facets, times, URIs).
"""

from __future__ import annotations

from datetime import datetime

from benchmark.i18n import Message
from benchmark.items import Account, Post
from benchmark.parsers.common import (
    ProfileResult,
    as_dict,
    as_int,
    as_list,
    as_str,
    describe,
)
from benchmark.platforms.bluesky.feed import is_last_page, parse_author_feed
from benchmark.platforms.bluesky.fields import (
    OPT_OUT_LABEL,
    PLATFORM,
    REASON_PIN,
    author_signals,
    error_status,
    label_values,
    profile_url,
)
from benchmark.platforms.bluesky.threads import THREAD_VIEW, parse_thread, thread_status

__all__ = ["REASON_PIN", "THREAD_VIEW", "apply_ref_authors", "author_signals", "is_last_page", "parse_author_feed",
           "parse_profile", "parse_profiles", "parse_thread", "thread_status"]


# ---------------------------------------------------------------- profiles


def parse_profile(
    payload: object, *, crawled_at: datetime | None, account_id: str | None = None
) -> ProfileResult:
    """`getProfile` → (account, status, message). `account_id` should be the config id (handle or DID);
    without it the handle is used. Status is "opted_out" (account still returned) when the profile carries
    the `!no-unauthenticated` self-label: the spider should then not store the account's posts."""
    profile = as_dict(payload)
    if "error" in profile:
        status, message = error_status(profile)
        return ProfileResult(None, status, message)
    did, handle = as_str(profile.get("did")), as_str(profile.get("handle"))
    if not did.startswith("did:") or not handle:
        return ProfileResult(None, "malformed", f"profile without did/handle ({describe(payload)})")
    signals = author_signals(profile)
    account = Account(
        platform=PLATFORM,
        account_id=account_id or handle,
        handle=handle,
        name=as_str(profile.get("displayName")) or None,
        url=profile_url(handle, did),
        is_organization=signals["is_organization"],
        verified=signals["verified"],
        description=as_str(profile.get("description")) or None,
        followers=as_int(profile.get("followersCount")),
        following=as_int(profile.get("followsCount")),
        posts_count=as_int(profile.get("postsCount")),
        crawled_at=crawled_at,
        extra={
            "did": did,
            "is_bot": signals["is_bot"],
            "labels": label_values(profile),
            "pinned_post_uri": as_str(as_dict(profile.get("pinnedPost")).get("uri")) or None,
            "created_at": as_str(profile.get("createdAt")) or None,
        },
    )
    if signals["opted_out"]:
        reason = Message("{handle} carries the {label} label", handle=handle, label=OPT_OUT_LABEL)
        return ProfileResult(account, "opted_out", reason)
    return ProfileResult(account, "ok", "")


def parse_profiles(payload: object) -> dict[str, dict]:
    """`getProfiles` → {did: {"followers", "is_organization", "is_bot", "verified", "handle", "name",
    "opted_out"}}. Profiles without a DID are skipped. Opted-out authors keep their counts (aggregates)
    but lose handle and name, which the app asks logged-out tools not to show."""
    authors: dict[str, dict] = {}
    for profile in as_list(as_dict(payload).get("profiles")):
        did = as_str(as_dict(profile).get("did"))
        if not did.startswith("did:"):
            continue
        signals = author_signals(profile)
        authors[did] = {
            "followers": as_int(profile.get("followersCount")),
            "is_organization": signals["is_organization"],
            "is_bot": signals["is_bot"],
            "verified": signals["verified"],
            "handle": "" if signals["opted_out"] else as_str(profile.get("handle")),
            "name": "" if signals["opted_out"] else as_str(profile.get("displayName")),
            "opted_out": signals["opted_out"],
        }
    return authors


def apply_ref_authors(posts: list[Post], authors: dict[str, dict]) -> None:
    """Fill `ref_author_followers` / `ref_author_is_organization` of reposts and quotes from `parse_profiles`.
    Authors missing from `authors` (deleted, suspended, not looked up) stay unknown (None)."""
    for post in posts:
        info = authors.get(post.ref_author_id or "")
        if not info:
            continue
        post.ref_author_followers = info.get("followers")
        organization = info.get("is_organization")
        # An inline signal (bot label, labeler) already seen in the feed is never downgraded to "person".
        post.ref_author_is_organization = True if post.ref_author_is_organization else organization
