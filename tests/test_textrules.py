"""The shared text-rules engine (benchmark/textrules.py) behind purpose labels and fan voice.

The golden file tests/data/textrules_labels.json holds 1,310 texts (demo-panel posts and comments, the
hand-labelled sets, Weibo comment fixtures and traditional/full-width/upper-case/curly-quote variants) with
the labels the two classifiers gave them before they shared one engine (written by
tests/data/capture_textrules_labels.py from that code). Any label or explanation that moves fails here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

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
