"""Fans are pseudonymised before storage; brands, panel accounts and affiliates stay in clear."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime

import pytest

from benchmark.items import Comment, Post
from benchmark.privacy import Pseudonymiser, load_or_create_key
from tests.toolkit.factories import make_post

T = datetime(2026, 8, 1, tzinfo=UTC)


def repost(ref_id: str, is_org: bool | None) -> Post:
    return make_post(account_id="100", created_at=T, kind="repost", ref_author_id=ref_id, ref_author_name="某人",
                     ref_author_is_organization=is_org)


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
        return make_post(ref_id, platform="bluesky", account_id="did:plc:brand", created_at=T, kind="repost",
                         ref_author_id=ref_id, ref_author_is_organization=False, reply_to_author_id="did:plc:x",
                         extra={"ref_author_handle": handle, "reply_to_handle": reply_to_handle})

    affiliate = rules.apply(sky("did:plc:help", "Help.Brand.bsky.social", reply_to_handle="help.brand.bsky.social"))
    assert affiliate.ref_author_id == "did:plc:help" and affiliate.extra["ref_author_handle"]
    assert affiliate.reply_to_author_id == "did:plc:x"  # the handle of the account it answers is the affiliate's
    fan = rules.apply(sky("did:plc:fan", "fan.bsky.social", reply_to_handle="fan.bsky.social"))
    assert fan.ref_author_id.startswith("anon:") and fan.reply_to_author_id.startswith("anon:")
    assert "ref_author_handle" not in fan.extra and "reply_to_handle" not in fan.extra  # no fan handle kept


@pytest.mark.parametrize("content", [b"", b"0123abcd", b"z" * 64, b"ab" * 40],
                         ids=["empty", "short", "not-hex", "long"])
def test_a_key_file_that_is_not_64_hex_characters_is_refused(tmp_path, content):
    """An empty or cut key (a crash while it was being written) was accepted: with an empty key, anyone could
    recompute every fan's pseudonym."""
    from benchmark.config import ConfigError

    path = tmp_path / "pseudonym.key"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as raised:
        load_or_create_key(path)
    assert str(path) in str(raised.value) and "64 hexadecimal characters" in str(raised.value)
    assert path.read_bytes() == content  # never replaced: restoring the real key must stay possible
    assert raised.value.translate("zh") != str(raised.value)


def test_a_valid_key_file_is_read_with_its_newline(tmp_path):
    path = tmp_path / "pseudonym.key"
    path.write_text("AB" * 32 + "\n", encoding="ascii")
    assert load_or_create_key(path) == bytes.fromhex("ab" * 32)


def test_the_key_is_created_atomically(tmp_path, monkeypatch):
    """Written in a temporary file then linked: a crash before the link leaves no key file at all, never an
    empty one; nothing but the key is left in the folder."""
    path = tmp_path / "data" / "pseudonym.key"

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "link", crash)
    with pytest.raises(KeyboardInterrupt):
        load_or_create_key(path)
    assert list(path.parent.iterdir()) == []
    monkeypatch.undo()
    key = load_or_create_key(path)
    assert [p.name for p in path.parent.iterdir()] == ["pseudonym.key"] and path.read_text() == key.hex()


def test_a_crawl_with_a_cut_key_stops_with_one_line_and_status_2(tmp_path):
    import subprocess
    import sys

    from tests.crawl_helpers import PROJECT_ROOT

    key = tmp_path / "pseudonym.key"
    key.write_text("0123", encoding="ascii")
    done = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "weibo", "-a", "accounts=1669879400", "-a",
                           "since=2026-07-01", "-s", f"PSEUDONYM_KEY_FILE={key}", "-s",
                           f"BENCHMARK_DB=sqlite:///{tmp_path}/db.sqlite3", "-s", "WEIBO_BASE_URL=http://127.0.0.1:9"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if "pseudonym key" in line]
    assert errors == [
        f"error: {key}: the pseudonym key must be 64 hexadecimal characters, not 4 bytes: restore it from a backup, "
        "or delete the file to start new pseudonyms (fans will not match earlier crawls)"]
    assert "Traceback" not in done.stderr and "Spider opened" not in done.stderr
