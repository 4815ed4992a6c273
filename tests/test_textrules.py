"""The shared text-rules engine (benchmark/textrules.py) behind purpose labels and fan voice.

The golden file tests/data/textrules_labels.json holds 1,310 texts (demo-panel posts and comments, the
hand-labelled sets, Weibo comment fixtures and traditional/full-width/upper-case/curly-quote variants) with
the labels the two classifiers gave them before they shared one engine (written by
tests/data/capture_textrules_labels.py from that code). Any label or explanation that moves fails here.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from benchmark import textrules
from benchmark.purpose import PurposeRules, label_posts
from benchmark.voice import VoiceRules, classify_comments

GOLDEN = Path(__file__).parent / "data" / "textrules_labels.json"


@pytest.fixture(scope="module")
def golden() -> dict:
    payload = json.loads(GOLDEN.read_text(encoding="utf-8"))
    payload["records"] = [dict(zip(payload["fields"], row, strict=True)) for row in payload["records"]]
    return payload


def _digest(values: list) -> str:
    return hashlib.sha256(json.dumps(values, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _misses(records: list[dict], field: str, labels: list[str]) -> list[tuple[str, str, str]]:
    return [(r["text"][:60], r[field], got) for r, got in zip(records, labels, strict=True) if r[field] != got][:10]


@pytest.mark.parametrize("field", ["purpose", "purpose_cfg"])
def test_purpose_labels_are_unchanged(golden, field):
    records = golden["records"]
    rules = PurposeRules.load(golden["purpose_extra"] if field.endswith("_cfg") else None)
    texts, links, kinds = ([r[key] for r in records] for key in ("text", "links", "kind"))
    labels = label_posts(texts, links, kinds, rules)
    assert not _misses(records, field, labels)
    single = [rules.label(r["text"], links=r["links"], kind=r["kind"]) for r in records]
    assert single == labels
    explained = [rules.explain(r["text"], links=r["links"], kind=r["kind"]) for r in records]
    assert _digest(explained) == golden["digests"][field]


@pytest.mark.parametrize("field", ["voice", "voice_cfg"])
def test_voice_classes_are_unchanged(golden, field):
    records = golden["records"]
    rules = VoiceRules.load(golden["voice_extra"] if field.endswith("_cfg") else None)
    texts = [r["text"] for r in records]
    labels = classify_comments(texts, rules)
    assert not _misses(records, field, labels)
    assert [rules.classify(text) for text in texts] == labels
    assert _digest([rules.explain(text) for text in texts]) == golden["digests"][field]


def test_normalisation_is_unchanged(golden):
    purpose, voice = PurposeRules.load(), VoiceRules.load()
    texts = [r["text"] for r in golden["records"]]
    assert _digest([[purpose.normalise(t), voice.normalise(t)] for t in texts]) == golden["digests"]["normalised"]


def test_the_corpus_exercises_every_label(golden):
    # A golden file whose texts all land in one label would prove little.
    records = golden["records"]
    assert len(records) > 1000
    assert {r["purpose"] for r in records} == {"brand", "communication", "sales", "service", "other"}
    assert {r["voice"] for r in records} == {"complaint", "praise", "question", "other"}


# --- the engine itself ------------------------------------------------------------------------------------------


def _finder(*terms: str, flexible: bool = False):
    pattern = textrules.trie_pattern(((t.rstrip("*"), t.endswith("*")) for t in terms), flexible_spaces=flexible)
    return re.compile(pattern).findall


def test_trie_finds_the_longest_term_and_respects_ascii_word_edges():
    find = _finder("优惠", "优惠券", "sale", "618")
    assert find("领优惠券再逛优惠") == ["优惠券", "优惠"]
    assert find("wholesale sales sale! 2618 618") == ["sale", "618"]


def test_trie_prefix_term_wins_over_the_plain_one_in_any_order():
    # Purpose used to keep whichever of `joy` / `joy*` came last, so listing `joy` after `joy*` disabled it.
    assert _finder("joy*", "joy")("joyful joy") == ["joyful", "joy"]
    assert _finder("joy", "joy*")("joyful joy") == ["joyful", "joy"]
    assert PurposeRules.load({"sales": ["joy*", "joy"]}).explain("joyful day")["sales"] == ["joy*"]


def test_trie_spaces_are_literal_unless_flexible():
    assert _finder("buy now")("buy  now") == []
    assert _finder("buy now", flexible=True)("buy  now") == ["buy  now"]
    assert textrules.trie_pattern([]) is None


def test_term_index_maps_matches_back_to_terms_longest_stem_first():
    index = textrules.TermIndex.build([("sale", "sale", "S"), ("sal*", "sal", "P1"), ("sale*", "sale", "P2")])
    assert index.lookup("sale", "?") == "S"
    assert index.lookup("salesman", "?") == "P2"
    assert index.lookup("salty", "?") == "P1"
    assert index.lookup("other", "?") == "?"


def test_char_table_folds_fullwidth_traditional_and_the_callers_extras():
    table = textrules.char_table({0x2019: "'"})
    assert "ＡＢＣ？\u3000優惠券don\u2019t".translate(table) == "ABC? 优惠券don't"
    assert "\u2019".translate(textrules.char_table()) == "\u2019"  # purpose keeps curly quotes
    assert textrules.normalise_term("  優惠Ｃode ", table) == "优惠code"


def test_checked_extra_names_the_section_and_the_problem():
    known = ("praise", "other")
    assert textrules.checked_extra(None, known, section="voice", key_name="class") == {}
    assert textrules.checked_extra({"praise": "yum"}, known, section="voice", key_name="class") == {"praise": ["yum"]}
    with pytest.raises(ValueError, match=r"unknown voice class 'x' in \[voice\.lexicon\]"):
        textrules.checked_extra({"x": []}, known, section="voice", key_name="class")
    with pytest.raises(ValueError, match=r"voice\.lexicon\.praise: terms must be strings, got 3"):
        textrules.checked_extra({"praise": ["a", 3]}, known, section="voice", key_name="class")
    with pytest.raises(ValueError, match="table of class"):
        textrules.checked_extra(["praise"], known, section="voice", key_name="class")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="longer than 5 characters"):
        textrules.checked_extra({"other": ["abcdef"]}, known, section="voice", key_name="class", max_chars=5)
