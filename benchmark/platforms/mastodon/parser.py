"""Mastodon REST payloads → Account / Post items (pure, no network).

Endpoints on the account's *home* instance (other instances only hold what federated to them):
`GET /api/v1/accounts/lookup?acct=<user>` and `GET /api/v1/accounts/:id/statuses?limit=40`, paged by the
`Link` header (`rel="next"` carries `max_id`), and `GET /api/v1/statuses/:id/context` for the replies under a
status (optional comments crawl). Account ids in the config are `user@instance`.

This module is the platform's parser entry (accounts) and re-exports the rest, which lives by payload:
`statuses.py` (a statuses page → posts, reblogs, replies, quotes), `context.py` (a status's context →
comments) and `fields.py` (constants and the readers they share: formats, tags, mentions, links, accts).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from benchmark.i18n import Message
from benchmark.items import Account
from benchmark.parsers import text as textutil
from benchmark.parsers.common import (
    ProfileResult,
    as_dict,
    as_int,
    as_list,
    as_str,
    describe,
)
from benchmark.platforms.mastodon.context import context_status, parse_context
from benchmark.platforms.mastodon.fields import (
    PLATFORM,
    actor_is_organization,
    error_status,
    full_acct,
    instance_of,
)
from benchmark.platforms.mastodon.statuses import next_max_id, parse_statuses

__all__ = ["context_status", "next_max_id", "parse_account", "parse_context", "parse_statuses"]


# ---------------------------------------------------------------- accounts


def parse_account(
    payload: object, *, account_id: str, crawled_at: datetime | None
) -> ProfileResult:
    """`accounts/lookup` (or `accounts/:id`) → (account, status, message). `account_id` is "user@instance"
    from the config. is_organization comes from `bot` / `group`; verified from `fields[].verified_at`."""
    body = as_dict(payload)
    if "error" in body:
        status, message = error_status(body)
        return ProfileResult(None, status, message)
    local_id, username = as_str(body.get("id")), as_str(body.get("username"))
    if not local_id or not username:
        return ProfileResult(None, "malformed", f"account without id/username ({describe(payload)})")
    instance = instance_of(account_id)
    fields = [as_dict(item) for item in as_list(body.get("fields"))]
    account = Account(
        platform=PLATFORM,
        account_id=account_id,
        handle=full_acct(as_str(body.get("acct")) or username, instance),
        name=as_str(body.get("display_name")) or username,
        url=as_str(body.get("url")) or None,
        is_organization=actor_is_organization(body),
        verified=any(item.get("verified_at") for item in fields),
        description=textutil.html_to_text(as_str(body.get("note"))) or None,
        followers=as_int(body.get("followers_count")),
        following=as_int(body.get("following_count")),
        posts_count=as_int(body.get("statuses_count")),
        crawled_at=crawled_at,
        extra=_account_extra(body, fields),
    )
    if body.get("suspended"):
        return ProfileResult(account, "not_found", Message("{account} is suspended", account=account_id))
    moved = as_dict(body.get("moved"))
    if moved:
        target = as_str(moved.get("acct"))
        return ProfileResult(account, "ok",
                             Message("{account} moved to {target}", account=account_id, target=target))
    return ProfileResult(account, "ok", "")


def _account_extra(body: dict[str, Any], fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": as_str(body.get("id")),
        "bot": body.get("bot") is True,
        "group": body.get("group") is True,
        "locked": body.get("locked") is True,
        "verified_links": [
            textutil.html_to_text(as_str(item.get("value"))) for item in fields if item.get("verified_at")
        ],
        "created_at": as_str(body.get("created_at")) or None,
        "last_status_at": as_str(body.get("last_status_at")) or None,
    }
