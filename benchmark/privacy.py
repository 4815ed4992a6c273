"""Privacy of fans: their ids and names are pseudonymised before they reach the store.

Brands, organisations, panel accounts and affiliates stay in clear (they are the subject of the
benchmark); individual people (reposted fans, comment authors) are replaced by a keyed hash, so the
metrics can still count distinct fans and repeat visitors, but the store holds no fan's id or name.
The key is random, created once in the data folder with user-only permissions; without it the
pseudonyms cannot be linked back to accounts. `PSEUDONYMISE_FANS = False` turns this off for users
who need names (and have a legal basis for keeping them: PIPL art. 13, GDPR art. 6).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from benchmark.items import Comment, Post

PREFIX = "anon:"
# A reply names the fan it answers: Weibo "回复@name:", open platforms a leading "@handle" chain.
_REPLY_TO = re.compile(r"^(回复|回覆)@[^:：\s]+[:：]")
_LEADING_MENTIONS = re.compile(r"^(?:@[\w.\-]+(?:@[\w.\-]+)?\s+)+")


def load_or_create_key(path: str | Path) -> bytes:
    path = Path(path)
    if path.exists():
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex())
    return key


class Pseudonymiser:
    def __init__(self, key: bytes, platform: str, clear_ids: Iterable[str] = ()) -> None:
        self.key = key
        self.platform = platform
        self.clear_ids = {str(i) for i in clear_ids}
        # Handles in the config (Bluesky, Mastodon) are case-insensitive, and a Bluesky handle must also clear
        # the DID that the payload gives as the id: the item's handle is compared as well (see `apply`).
        self.clear_handles = {str(i).lstrip("@").lower() for i in clear_ids}

    def pseudonym(self, account_id: str) -> str:
        digest = hmac.new(self.key, f"{self.platform}:{account_id}".encode(), hashlib.sha256).hexdigest()
        return f"{PREFIX}{digest[:16]}"

    def _is_person(self, account_id: Any, is_organization: bool | None, handle: Any = None) -> bool:
        if handle and str(handle).lstrip("@").lower() in self.clear_handles:
            return False  # e.g. an affiliate given as brand-help.bsky.social, reposted under its DID
        return bool(account_id) and str(account_id) not in self.clear_ids and is_organization is not True \
            and not str(account_id).startswith(PREFIX)

    def apply(self, item: Any) -> Any:
        """Pseudonymise the people in a Post or Comment, in place; everything else is returned as is."""
        if isinstance(item, Post):
            ref_handle = item.extra.get("ref_author_handle")
            if self._is_person(item.ref_author_id, item.ref_author_is_organization, ref_handle):
                item.ref_author_id = self.pseudonym(item.ref_author_id)
                item.ref_author_name = None
                item.extra.pop("ref_author_handle", None)
            if item.reply_to_author_id and self._is_person(item.reply_to_author_id, None,
                                                           item.extra.get("reply_to_handle")):
                item.reply_to_author_id = self.pseudonym(item.reply_to_author_id)
                item.extra.pop("reply_to_handle", None)
        elif isinstance(item, Comment):
            self._apply_to_comment(item)
        return item

    def _apply_to_comment(self, comment: Comment) -> None:
        comment.extra.pop("reply_to_name", None)
        if comment.is_by_post_author:
            # The brand's answer stays in clear, but not the name of the fan it answers.
            comment.text = _LEADING_MENTIONS.sub("@… ", _REPLY_TO.sub(r"\1@…:", comment.text or ""))
        elif self._is_person(comment.author_id, comment.author_is_organization, comment.extra.get("author_handle")):
            comment.author_id = self.pseudonym(comment.author_id)
            comment.author_name = None
            comment.extra.pop("author_handle", None)  # Bluesky: kept for panel accounts and affiliates only
