"""`app.bsky.feed.getPostThread` → the replies under a post as Comments (optional comments crawl).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from benchmark.i18n import Message
from benchmark.items import Comment
from benchmark.parsers.common import (
    as_dict,
    as_int,
    as_list,
    as_str,
    describe,
)
from benchmark.platforms.bluesky.fields import PLATFORM, author_signals, error_status, post_time, split_at_uri

# ---------------------------------------------------------------- threads (comments crawl)

THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"
THREAD_GONE = {  # reply nodes the AppView shows in place of a post it cannot show
    "app.bsky.feed.defs#notFoundPost": "reply_not_found",
    "app.bsky.feed.defs#blockedPost": "reply_blocked",
}


def thread_status(payload: object) -> tuple[str, str]:
    """(status, message) of a `getPostThread` answer: "ok" when it holds the post's thread; "not_found",
    "blocked" or "malformed" (error body, deleted or blocked post, no thread) otherwise."""
    body = as_dict(payload)
    if "error" in body:
        return error_status(body)
    thread = as_dict(body.get("thread"))
    kind = as_str(thread.get("$type"))
    if kind in THREAD_GONE:
        return ("blocked" if kind.endswith("blockedPost") else "not_found"), Message("the post is {state}",
                                                                                      state=kind.rsplit("#", 1)[-1])
    if not as_dict(thread.get("post")):
        return "malformed", f"no thread in {describe(payload)}"
    return "ok", ""


def parse_thread(
    payload: object,
    *,
    post_id: str,
    post_author_id: str,
    crawled_at: datetime | None,
    dropped: list[str] | None = None,
) -> list[Comment]:
    """`getPostThread?uri=<post_id>` → the replies under the post as Comments, parents before their replies.

    A comment's id is its record CID, not its at-uri: the uri holds the author's DID, and a fan's id must
    not reach the store through the comment id (benchmark/privacy.py pseudonymises author_id only). Direct
    replies have no parent_comment_id; deeper ones point at the reply they answer. `post_author_id` is the
    panel account's id (handle or DID): its own replies are recognised by DID (the one in `post_id`) or
    handle, flagged is_by_post_author, carry that id and keep their at-uri in extra["uri"]. Authors are
    classified from the inline profile like repost authors (bots, labelers, trusted verifiers, verified bare
    domains are organisations; everyone else is a person). Authors who opted out of logged-out apps
    (`!no-unauthenticated`) lose name and text. Unreadable replies are skipped with a reason appended to
    `dropped`; never raises."""
    reasons = dropped if dropped is not None else []
    if thread_status(payload)[0] != "ok":
        return []
    owner = _ThreadOwner(post_author_id, split_at_uri(post_id)[0])
    comments: list[Comment] = []
    seen: set[str] = set()
    # Depth first with an explicit stack: hostile nesting cannot exhaust the recursion limit.
    stack = [(reply, None, 1) for reply in reversed(as_list(as_dict(as_dict(payload).get("thread")).get("replies")))]
    index = -1
    while stack:
        node, parent_id, depth = stack.pop()
        index += 1
        try:
            result = _thread_comment(node, post_id, parent_id, depth, owner, crawled_at)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:  # drift: skip
            result = type(error).__name__
        if isinstance(result, Comment) and result.comment_id in seen:
            result = "duplicate_id"
        if isinstance(result, str):
            reasons.append(f"reply {index}: {result}")  # its own replies go with it: their parent is unknown
            continue
        seen.add(result.comment_id)
        comments.append(result)
        children = as_list(as_dict(node).get("replies"))
        stack.extend((child, result.comment_id, depth + 1) for child in reversed(children))
    return comments


@dataclass
class _ThreadOwner:
    account_id: str
    did: str

    def owns(self, author: dict[str, Any]) -> bool:
        did, handle = as_str(author.get("did")), as_str(author.get("handle")).lower()
        wanted = self.account_id.lower().lstrip("@")
        if did and did in (self.did, self.account_id):
            return True
        return bool(handle) and handle == wanted


def _thread_comment(
    node: object, post_id: str, parent_id: str | None, depth: int, owner: _ThreadOwner, crawled_at: datetime | None,
) -> Comment | str:
    if not isinstance(node, dict):
        return "not_an_object"
    kind = as_str(node.get("$type"))
    if kind in THREAD_GONE:
        return THREAD_GONE[kind]
    if kind and kind != THREAD_VIEW:
        return "unknown_reply_type"
    view = as_dict(node.get("post"))
    uri = as_str(view.get("uri"))
    if not all(split_at_uri(uri)):
        return "missing_uri"
    cid = as_str(view.get("cid"))
    if not cid:
        return "missing_cid"
    record, author = as_dict(view.get("record")), as_dict(view.get("author"))
    created_at = post_time(record, view)
    if created_at is None:
        return "missing_created_at"
    signals = author_signals(author)
    own = owner.owns(author)
    hidden = signals["opted_out"] and not own
    did = as_str(author.get("did")) or split_at_uri(uri)[0]
    return Comment(
        platform=PLATFORM,
        comment_id=cid,
        post_id=post_id,
        author_id=owner.account_id if own else did,
        author_name=None if hidden else (as_str(author.get("displayName")) or as_str(author.get("handle")) or None),
        author_is_organization=signals["is_organization"],
        created_at=created_at,
        text="" if hidden else as_str(record.get("text")),
        parent_comment_id=parent_id,
        is_by_post_author=own,
        likes=as_int(view.get("likeCount")),
        crawled_at=crawled_at,
        extra=_thread_extra(view, record, signals, depth, hidden, uri if own else None,
                            None if own or hidden else as_str(author.get("handle")) or None),
    )


def _thread_extra(view: dict[str, Any], record: dict[str, Any], signals: dict[str, Any], depth: int, hidden: bool,
                  own_uri: str | None, handle: str | None = None) -> dict[str, Any]:
    """Nothing here may name a fan (no uri of a fan's reply). `author_handle` is there for the pseudonymiser
    alone: a panel brand or an affiliate listed in the config by handle is known by it (the reply gives only
    the DID as the author's id), and benchmark/privacy.py removes it from every comment it pseudonymises."""
    extra: dict[str, Any] = {
        "depth": depth,
        "author_is_bot": signals["is_bot"],
        "author_verified": signals["verified"],
        "replies": as_int(view.get("replyCount")),
        "reposts": as_int(view.get("repostCount")),
        "quotes": as_int(view.get("quoteCount")),
        "langs": [lang for lang in as_list(record.get("langs")) if isinstance(lang, str)],
    }
    if hidden:
        extra["author_opted_out"] = True
    if own_uri:
        extra["uri"] = own_uri  # the account's own answer: public, and worth a link in the report
    if handle:
        extra["author_handle"] = handle
    return extra
