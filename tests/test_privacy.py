"""Fans are pseudonymised before storage; brands, panel accounts and affiliates stay in clear."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime

from benchmark.items import Comment, Post
from benchmark.privacy import Pseudonymiser, load_or_create_key

T = datetime(2026, 8, 1, tzinfo=UTC)


def repost(ref_id: str, is_org: bool | None) -> Post:
    return Post(platform="weibo", post_id="1", account_id="100", created_at=T, kind="repost", ref_author_id=ref_id,
                ref_author_name="某人", ref_author_is_organization=is_org)


def test_key_is_created_once_user_only(tmp_path):
    path = tmp_path / "data" / "pseudonym.key"
    key = load_or_create_key(path)
    assert len(key) == 32 and load_or_create_key(path) == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_fans_get_stable_keyed_pseudonyms(tmp_path):
    one = Pseudonymiser(b"k" * 32, "weibo", clear_ids=["100", "200"])
    other_key = Pseudonymiser(b"x" * 32, "weibo")
    fan = one.apply(repost("555", False))
    assert fan.ref_author_id == one.pseudonym("555") and fan.ref_author_id.startswith("anon:")
    assert fan.ref_author_name is None
    assert one.apply(repost("555", None)).ref_author_id == fan.ref_author_id  # unknown people too
    assert other_key.pseudonym("555") != fan.ref_author_id  # without the key, no link back
    assert one.pseudonym("556") != fan.ref_author_id


def test_brands_panel_and_affiliates_stay_in_clear():
    rules = Pseudonymiser(b"k" * 32, "weibo", clear_ids=["100", "200"])
    assert rules.apply(repost("777", True)).ref_author_id == "777"  # an organisation
    assert rules.apply(repost("200", False)).ref_author_id == "200"  # a panel account or affiliate
    assert rules.apply(repost("anon:abc", False)).ref_author_id == "anon:abc"  # never hashed twice


def test_comments_hide_fans_but_keep_the_brand_answer():
    rules = Pseudonymiser(b"k" * 32, "weibo", clear_ids=["100"])
    fan = rules.apply(Comment(platform="weibo", comment_id="c1", post_id="1", author_id="555", author_name="小红",
                              author_is_organization=False, text="好喝", extra={"reply_to_name": "x"}))
    assert fan.author_id.startswith("anon:") and fan.author_name is None and fan.extra == {}
    brand = rules.apply(Comment(platform="weibo", comment_id="c2", post_id="1", author_id="100", author_name="品牌",
                                is_by_post_author=True, text="回复@小红:谢谢支持", extra={"reply_to_name": "小红"}))
    assert (brand.author_id, brand.author_name) == ("100", "品牌")
    assert brand.text == "回复@…:谢谢支持" and "reply_to_name" not in brand.extra
    mastodon = Pseudonymiser(b"k" * 32, "mastodon", clear_ids=["brand@x.social"])
    answer = mastodon.apply(Comment(platform="mastodon", comment_id="c3", post_id="1", author_id="brand@x.social",
                                    is_by_post_author=True, text="@fan @fan2@y.social thanks!"))
    assert answer.text == "@… thanks!"


def test_an_affiliate_listed_by_handle_stays_in_clear_under_its_did():
    """Bluesky reposts name their author by DID, with the handle beside it: the config lists the handle."""
    rules = Pseudonymiser(b"k" * 32, "bluesky", clear_ids=["brand.bsky.social", "help.brand.bsky.social"])

    def sky(ref_id: str, handle: str, reply_to_handle: str | None = None) -> Post:
        return Post(platform="bluesky", post_id=ref_id, account_id="did:plc:brand", created_at=T, kind="repost",
                    ref_author_id=ref_id, ref_author_is_organization=False, reply_to_author_id="did:plc:x",
                    extra={"ref_author_handle": handle, "reply_to_handle": reply_to_handle})

    affiliate = rules.apply(sky("did:plc:help", "Help.Brand.bsky.social", reply_to_handle="help.brand.bsky.social"))
    assert affiliate.ref_author_id == "did:plc:help" and affiliate.extra["ref_author_handle"]
    assert affiliate.reply_to_author_id == "did:plc:x"  # the handle of the account it answers is the affiliate's
    fan = rules.apply(sky("did:plc:fan", "fan.bsky.social", reply_to_handle="fan.bsky.social"))
    assert fan.ref_author_id.startswith("anon:") and fan.reply_to_author_id.startswith("anon:")
    assert "ref_author_handle" not in fan.extra and "reply_to_handle" not in fan.extra  # no fan handle kept
