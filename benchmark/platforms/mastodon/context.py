"""`GET /api/v1/statuses/:id/context` → the replies under a status as Comments (optional comments crawl).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from benchmark.items import Comment
from benchmark.parsers import text as textutil
from benchmark.parsers.common import (
    as_dict,
    as_int,
    as_str,
    describe,
    parse_datetime,
)
from benchmark.platforms.mastodon.fields import PLATFORM, actor_is_organization, error_status, full_acct, instance_of

# ---------------------------------------------------------------- context (comments crawl)


def context_status(payload: object) -> tuple[str, str]:
    """(status, message) of a `statuses/:id/context` answer: "ok" when it holds a descendants list."""
    body = as_dict(payload)
    if "error" in body:
        return error_status(body)
    if not isinstance(body.get("descendants"), list):
        return "malformed", f"no descendants list in {describe(payload)}"
    return "ok", ""


def parse_context(
    payload: object,
    *,
    post_id: str,
    post_author_id: str,
    crawled_at: datetime | None,
    dropped: list[str] | None = None,
) -> list[Comment]:
    """`statuses/:id/context` → the descendants of the post as Comments, parents before their replies.

    A descendant answering a status that is not among the descendants answers the post itself: it is
    top-level (no parent_comment_id); the others point at the comment they answer. A comment's id is
    "<home instance>/<status id on it>", not the status URI like Post ids: the URI holds the author's
    username, and a fan's name must not reach the store through the comment id (benchmark/privacy.py
    pseudonymises author_id only). `post_author_id` is the panel account's "user@instance": its own replies
    are flagged is_by_post_author, carry that id and keep their URI in extra["uri"]; other authors get their
    full acct, and bots / group actors are organisations. Unreadable descendants (and replies under them)
    are skipped with a reason appended to `dropped`; never raises."""
    reasons = dropped if dropped is not None else []
    if context_status(payload)[0] != "ok":
        return []
    instance = instance_of(post_author_id)
    descendants = as_dict(payload)["descendants"]
    parsed: dict[str, tuple[str, Comment]] = {}  # local id → (in_reply_to_id, comment), payload order
    uris: set[str] = set()
    for index, status in enumerate(descendants):
        try:
            result = _context_comment(status, post_id, post_author_id, instance, crawled_at)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:  # drift: skip
            result = type(error).__name__
        if isinstance(result, Comment) and (result.extra["id"] in parsed or result.comment_id in uris):
            result = "duplicate_id"
        if isinstance(result, str):
            reasons.append(f"descendant {index}: {result}")
        else:
            parsed[result.extra["id"]] = (as_str(status.get("in_reply_to_id")), result)
            uris.add(result.comment_id)
    # Every id the answer holds, readable or not: a reply to a skipped descendant must not pass for top-level.
    known = {as_str(as_dict(status).get("id")) for status in descendants} - {""}
    return _in_thread_order(parsed, known, reasons)


def _in_thread_order(parsed: dict[str, tuple[str, Comment]], known: set[str], reasons: list[str]) -> list[Comment]:
    """Depth first from the top-level comments, keeping the payload's order among siblings; sets parents.
    Descendants that cannot be reached (their parent was skipped, or a hostile cycle) are dropped."""
    children: dict[str, list[str]] = {}
    roots: list[str] = []
    for local_id, (parent, _comment) in parsed.items():
        if parent not in known or parent == local_id:
            roots.append(local_id)
        else:
            children.setdefault(parent, []).append(local_id)
    ordered: list[Comment] = []
    stack = [(local_id, None) for local_id in reversed(roots)]
    while stack:
        local_id, parent_uri = stack.pop()
        comment = parsed[local_id][1]
        comment.parent_comment_id = parent_uri
        ordered.append(comment)
        stack.extend((child, comment.comment_id) for child in reversed(children.get(local_id, [])))
    reasons.extend(f"descendant {local_id}: unreachable_reply" for local_id in sorted(parsed.keys() - _ids(ordered)))
    return ordered


def _ids(comments: list[Comment]) -> set[str]:
    return {comment.extra["id"] for comment in comments}


def _context_comment(
    status: object, post_id: str, post_author_id: str, instance: str, crawled_at: datetime | None
) -> Comment | str:
    if not isinstance(status, dict):
        return "not_an_object"
    local_id = as_str(status.get("id"))
    if not local_id:
        return "missing_id"
    created_at = parse_datetime(status.get("created_at"))
    if created_at is None:
        return "missing_created_at"
    author = as_dict(status.get("account"))
    acct = as_str(author.get("acct"))
    full = full_acct(acct, instance) if acct else ""
    own = bool(full) and full.lower() == post_author_id.lower().lstrip("@")
    extra = _context_extra(status, local_id)
    if own and as_str(status.get("uri")):
        extra["uri"] = as_str(status.get("uri"))  # the account's own answer: public, worth a link in the report
    return Comment(
        platform=PLATFORM,
        comment_id=f"{instance}/{local_id}" if instance else local_id,
        post_id=post_id,
        author_id=post_author_id if own else (full or None),
        author_name=as_str(author.get("display_name")) or as_str(author.get("username")) or None,
        author_is_organization=actor_is_organization(author) if author else None,
        created_at=created_at,
        text=textutil.html_to_text(as_str(status.get("content"))),
        is_by_post_author=own,
        likes=as_int(status.get("favourites_count")),
        crawled_at=crawled_at,
        extra=extra,
    )


def _context_extra(status: dict[str, Any], local_id: str) -> dict[str, Any]:
    """Nothing here may name the author (no url or uri of a fan's status): extra is stored as is."""
    extra: dict[str, Any] = {
        "id": local_id,
        "replies": as_int(status.get("replies_count")),
        "reposts": as_int(status.get("reblogs_count")),
        "visibility": as_str(status.get("visibility")) or None,
        "language": as_str(status.get("language")) or None,
    }
    if as_str(status.get("spoiler_text")):
        extra["spoiler_text"] = as_str(status.get("spoiler_text"))
    return extra
