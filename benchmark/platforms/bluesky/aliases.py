"""Bluesky's alias-identity hook for the metrics (SPEC.aliases): a handle → the DIDs it was seen with.

A brand listed in the config by handle is named by its DID in others' reposts, replies and comments; these DIDs
identify it too (benchmark/metrics/load.py calls `handle_dids` while it builds the panel's accounts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, select

from benchmark import store
from benchmark.config import normalize_id

if TYPE_CHECKING:
    from benchmark.config import AccountConfig


def handle_dids(conn: Any, accounts: list[AccountConfig], stored_ids: set[str]) -> dict[str, set[str]]:
    """Ident of each handle among the accounts' ids and affiliates → the DIDs seen beside it (idents)."""
    handles = {a for account in accounts for a in (account.id, *account.affiliates) if not a.startswith("did:")}
    return _dids_of_handles(conn, handles, stored_ids)


def _ident(platform: str, value: Any) -> str:
    """As metrics/load.py compares ids: handles and DIDs are case-insensitive, '@' prefixes are dropped."""
    return normalize_id(platform, str(value)).lstrip("@").lower()


def _dids_of_handles(conn: Any, handles: set[str], account_ids: set[str]) -> dict[str, set[str]]:
    """Bluesky handle → the DIDs it was seen with in the posts of `account_ids` and in the comments under them.
    Reposts, replies and comments name their author by DID, with the handle beside it in `extra`, so a panel
    account or an affiliate listed by handle is still recognised."""
    wanted = {_ident("bluesky", h) for h in handles}
    found: dict[str, set[str]] = {}
    if not wanted or not account_ids:
        return found
    p, c = store.posts.c, store.comments.c
    panel_posts = and_(p.platform == "bluesky", p.account_id.in_(sorted(account_ids)))
    statements = []
    for handle_key, id_column in (("ref_author_handle", p.ref_author_id), ("reply_to_handle", p.reply_to_author_id)):
        handle = p.extra[handle_key].as_string()
        statements.append(select(handle, id_column).distinct().where(panel_posts, handle.is_not(None)))
    handle = c.extra["author_handle"].as_string()
    statements.append(select(handle, c.author_id).distinct().join_from(
        store.comments, store.posts, and_(p.platform == c.platform, p.post_id == c.post_id)).where(
        panel_posts, handle.is_not(None)))
    for stmt in statements:
        for seen, did in conn.execute(stmt):
            if did and _ident("bluesky", seen) in wanted:
                found.setdefault(_ident("bluesky", seen), set()).add(_ident("bluesky", did))
    return found
