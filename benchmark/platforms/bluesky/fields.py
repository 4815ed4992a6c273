"""Bluesky constants and the readers the feed, threads and profiles share: author signals, error
statuses, embeds → formats, facets, times and AT-URIs. Pure functions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from benchmark.parsers.common import (
    as_dict,
    as_list,
    as_str,
    parse_datetime,
)

PLATFORM = "bluesky"
WEB = "https://bsky.app"
REASON_REPOST = "app.bsky.feed.defs#reasonRepost"
REASON_PIN = "app.bsky.feed.defs#reasonPin"
OPT_OUT_LABEL = "!no-unauthenticated"  # the author asked apps not to show their content to logged-out viewers
BOT_LABEL = "bot"
POST_COLLECTION = "app.bsky.feed.post"
QUOTED_POST_TYPES = (  # embed.record.$type values that stand for a post (found or not)
    "app.bsky.embed.record#viewRecord",
    "app.bsky.embed.record#viewNotFound",
    "app.bsky.embed.record#viewBlocked",
    "app.bsky.embed.record#viewDetached",
)
MEDIA_FORMATS = {  # embed $type without "#view" → Post.format
    "app.bsky.embed.images": "image",
    "app.bsky.embed.gallery": "image",
    "app.bsky.embed.video": "video",
    "app.bsky.embed.external": "link",
}
# The app's GIF picker posts Tenor links as external embeds; Giphy links are GIFs shared the same way.
GIF_HOSTS = ("tenor.com", "giphy.com")
NOT_FOUND_ERRORS = ("InvalidRequest", "NotFound", "AccountTakedown", "AccountDeactivated", "RepoNotFound")
BLOCKED_ERRORS = ("RateLimitExceeded", "BlockedActor", "BlockedByActor")


def author_signals(profile: dict[str, Any]) -> dict[str, Any]:
    """Fan-or-brand signals of a profileView(Basic/Detailed).

    is_organization: True for bots (self-label), labelers, trusted verifiers and verified accounts whose
    handle is a bare domain (washingtonpost.com); False otherwise. Verified people (name.nytimes.com,
    celebrities) stay False: METRICS counts verified individuals as fans, as Weibo's orange V does."""
    labels = label_values(profile)
    verification = as_dict(profile.get("verification"))
    trusted_verifier = verification.get("trustedVerifierStatus") == "valid"
    verified = verification.get("verifiedStatus") == "valid" or trusted_verifier
    is_bot = BOT_LABEL in labels
    is_labeler = bool(as_dict(profile.get("associated")).get("labeler"))
    handle = as_str(profile.get("handle"))
    organization = is_bot or is_labeler or trusted_verifier or (verified and _is_bare_domain(handle))
    return {
        "is_organization": organization,
        "is_bot": is_bot,
        "verified": verified,
        "opted_out": OPT_OUT_LABEL in labels,
    }


def _is_bare_domain(handle: str) -> bool:
    """washingtonpost.com / bbc.co.uk, not jane.nytimes.com or jane.bsky.social."""
    parts = handle.lower().split(".")
    if handle.lower().endswith(".bsky.social") or len(parts) < 2:
        return False
    second_level = parts[-2] in ("co", "com", "org", "net", "gov", "ac", "edu") and len(parts[-1]) == 2
    return len(parts) == (3 if second_level else 2)


def label_values(profile: dict[str, Any]) -> list[str]:
    return [as_str(as_dict(label).get("val")) for label in as_list(profile.get("labels"))]


def error_status(payload: dict[str, Any]) -> tuple[str, str]:
    error, message = as_str(payload.get("error")), as_str(payload.get("message"))
    text = f"{error}: {message}".strip(": ")
    if error in NOT_FOUND_ERRORS or "not found" in message.lower():
        return "not_found", text
    if error in BLOCKED_ERRORS:
        return "blocked", text
    return "malformed", text or "error payload"


# ---------------------------------------------------------------- fields


def format_of(embed: dict[str, Any]) -> tuple[str, int, dict[str, Any]]:
    """(format, media_count, extra) of a post from its embed view (or raw record embed as fallback)."""
    embed_type = as_str(embed.get("$type")).removesuffix("#view")
    if not embed_type:
        return "text", 0, {}
    if embed_type == "app.bsky.embed.recordWithMedia":
        post_format, count, extra = format_of(as_dict(embed.get("media")))
        return post_format, count, {**extra, "embed_type": embed_type}
    if embed_type == "app.bsky.embed.record":
        record_type = as_str(as_dict(embed.get("record")).get("$type"))
        is_post = not record_type or record_type in QUOTED_POST_TYPES
        # An embedded feed, list or starter pack is a card pointing elsewhere, not a quoted post.
        return ("text" if is_post else "link"), 0, {"embed_type": embed_type}
    if embed_type not in MEDIA_FORMATS:
        return "text", 0, {"embed_type": embed_type, "unknown_embed": True}
    return _media_format(embed_type, embed)


def _media_format(embed_type: str, embed: dict[str, Any]) -> tuple[str, int, dict[str, Any]]:
    extra: dict[str, Any] = {"embed_type": embed_type}
    if embed_type == "app.bsky.embed.video":
        return ("gif" if embed.get("presentation") == "gif" else "video"), 1, extra
    if embed_type == "app.bsky.embed.external":
        uri = as_str(as_dict(embed.get("external")).get("uri"))
        extra["links"] = [uri] if uri else []
        extra["link_title"] = as_str(as_dict(embed.get("external")).get("title")) or None
        host = uri.split("/")[2].lower() if uri.count("/") >= 2 else ""
        is_gif = any(host == gif_host or host.endswith("." + gif_host) for gif_host in GIF_HOSTS)
        return ("gif" if is_gif else "link"), 0, extra
    items = as_list(embed.get("images")) or as_list(embed.get("items"))
    return "image", len(items), extra


def facet_values(record: dict[str, Any], key: str) -> list[str]:
    """`tag` or `uri` values of the record's rich-text facets (hashtags and link targets)."""
    values = []
    for facet in as_list(record.get("facets")):
        for feature in as_list(as_dict(facet).get("features")):
            value = as_dict(feature).get(key)
            if isinstance(value, str):
                values.append(value)
    return values


def post_time(record: dict[str, Any], post: dict[str, Any]) -> datetime | None:
    """min(createdAt, indexedAt), as Bluesky recommends: createdAt is client-set and may be future-dated."""
    times = [t for t in (parse_datetime(record.get("createdAt")), parse_datetime(post.get("indexedAt"))) if t]
    return min(times) if times else None


def split_at_uri(uri: str) -> tuple[str, str, str]:
    """at://did/collection/rkey → (did, collection, rkey); ("", "", "") when it is not one."""
    if not uri.startswith("at://"):
        return "", "", ""
    parts = uri[len("at://") :].split("/")
    if len(parts) != 3 or not parts[0]:
        return (parts[0] if parts else ""), "", ""
    return parts[0], parts[1], parts[2]


def profile_url(handle: str, did: str) -> str:
    # "handle.invalid" is what the AppView shows when a handle no longer resolves; the DID always works.
    return f"{WEB}/profile/{handle if handle and handle != 'handle.invalid' else did}"
