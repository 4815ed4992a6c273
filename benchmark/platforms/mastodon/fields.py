"""Mastodon constants and the readers statuses, context and accounts share: organisation and error
statuses, media format, hashtags, mentions, links, the instance of an acct. Pure functions.
"""

from __future__ import annotations

import html
import re
from typing import Any

from benchmark.parsers import text as textutil
from benchmark.parsers.common import (
    as_dict,
    as_list,
    as_str,
    unique,
)

PLATFORM = "mastodon"
MEDIA_FORMATS = {"image": "image", "gifv": "gif", "video": "video", "audio": "audio"}
FORMAT_PRIORITY = ("video", "gif", "audio", "image")  # a status mixing media is labelled by the richest one
_ANCHOR = re.compile(r"<a\s([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_QUOTE_INLINE = re.compile(r"""<(span|p)\s[^>]*class=["'][^"']*\bquote-inline\b[^"']*["'][^>]*>""", re.IGNORECASE)


def actor_is_organization(account: dict[str, Any]) -> bool:
    """Bots (ActivityPub Application/Service) and group actors redistribute; they are never fans."""
    return account.get("bot") is True or account.get("group") is True


def error_status(body: dict[str, Any]) -> tuple[str, str]:
    message = as_str(body.get("error")) or "error payload"
    lowered = message.lower()
    if "not found" in lowered or "suspended" in lowered:
        return "not_found", message
    if "authenticat" in lowered or "authoriz" in lowered:
        return "login_wall", message  # DISALLOW_UNAUTHENTICATED_API_ACCESS instances answer 401
    if "too many" in lowered or "rate" in lowered:
        return "blocked", message
    return "malformed", message


# ---------------------------------------------------------------- fields


def format_of(status: dict[str, Any]) -> tuple[str, int]:
    """(format, media_count): attachments first (richest type wins), then poll, then link card."""
    attachments = [as_dict(m) for m in as_list(status.get("media_attachments"))]
    formats = {MEDIA_FORMATS.get(as_str(m.get("type"))) for m in attachments}
    for candidate in FORMAT_PRIORITY:
        if candidate in formats:
            return candidate, len(attachments)
    if as_dict(status.get("poll")):
        return "poll", 0
    if as_dict(status.get("card")):
        return "link", 0
    return "text", len(attachments)  # only "unknown" attachments (or none)


def hashtags_of(status: dict[str, Any], body: str) -> list[str]:
    """Tags as written in the text (case kept); the API's lower-cased `tags[]` when the text has none."""
    return textutil.hashtags(body) or unique(as_str(as_dict(tag).get("name")) for tag in as_list(status.get("tags")))


def mentions_of(status: dict[str, Any], instance: str) -> list[str]:
    return unique(full_acct(as_str(as_dict(m).get("acct")), instance) for m in as_list(status.get("mentions")))


def content_links(content: str, card: dict[str, Any]) -> list[str]:
    """Link targets of the HTML content, without @mention and #hashtag anchors, plus the card URL."""
    links = []
    for attributes in _ANCHOR.findall(content):
        values = {name.lower(): html.unescape(a or b) for name, a, b in _ATTRIBUTE.findall(attributes)}
        classes = values.get("class", "").split()
        if "mention" in classes or "hashtag" in classes:
            continue
        if values.get("href", "").startswith(("http://", "https://")):
            links.append(values["href"])
    return unique([*links, as_str(card.get("url"))])


def without_quote_fallback(content: str) -> str:
    """Drop the `<span class="quote-inline">RE: <link></span>` fallback that Mastodon adds for old clients."""
    match = _QUOTE_INLINE.search(content)
    if not match:
        return content
    tag, depth, position = match.group(1).lower(), 1, match.end()
    tags = re.compile(rf"<(/?){tag}\b[^>]*>", re.IGNORECASE)
    for found in tags.finditer(content, position):
        depth += -1 if found.group(1) else 1
        if depth == 0:
            return content[: match.start()] + content[found.end() :]
    return content[: match.start()]


def instance_of(account_id: str) -> str:
    """"user@instance" / "@user@instance" → "instance" ("" when the id has no instance)."""
    parts = account_id.lstrip("@").split("@")
    return parts[1].lower() if len(parts) == 2 else ""


def full_acct(acct: str, instance: str) -> str:
    """Local accounts come back as bare "user"; qualify them with the home instance."""
    acct = acct.lstrip("@")
    if not acct or "@" in acct or not instance:
        return acct
    return f"{acct}@{instance}"
