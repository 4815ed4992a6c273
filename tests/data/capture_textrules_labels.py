"""Writes tests/data/textrules_labels.json: purpose labels and fan-voice classes of a fixed corpus, as the code
on PYTHONPATH gives them. Run once against the code before the text-rules refactor:

    cd /work/main && PYTHONPATH=$PWD python /path/to/tests/data/capture_textrules_labels.py OUT.json

tests/test_textrules.py then checks that the refactored engine gives every text the same labels (and the same
explanations, through one digest). The corpus is stored with the labels so that a later change to the sample
panel cannot silently change what is compared.

Corpus: every distinct text of the demo panel's posts (with their links and kind), a sample of the panel's fan
comments, the hand-labelled purpose and voice sets, the Weibo comment fixtures, and variants of a subset that
exercise normalisation (traditional characters, full-width ASCII, upper case, curly apostrophes).
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchmark.platforms.weibo.parser import parse_comments
from benchmark.purpose import PurposeRules, label_posts
from benchmark.sample.panel import DEFAULT_ANCHOR, comments_for, demo_panel
from benchmark.voice import VoiceRules, classify_comments

TESTS = Path(__file__).resolve().parents[1]
PURPOSE_EXTRA = {"other": ["招聘", "we're hiring"], "sales": ["Joy*", "拿鐵"], "brand": ["秋日 限定"]}
VOICE_EXTRA = {"other": ["慢"], "praise": ["绝绝子", "Yum*"], "complaint": ["踩雷"]}
POSTS, COMMENTS, VARIANT_EVERY = 700, 600, 7
FIELDS = ("text", "links", "kind", "purpose", "purpose_cfg", "voice", "voice_cfg")


def corpus() -> list[dict]:
    panel = demo_panel(DEFAULT_ANCHOR)
    records: dict[str, dict] = {}

    def add(text: str, links: list[str] | None = None, kind: str = "original") -> None:
        if isinstance(text, str) and text not in records:
            records[text] = {"text": text, "links": list(links or []), "kind": kind}

    posts = [(account, post) for account in panel.accounts for post in panel.posts(account.platform, account.id)]
    for _account, post in posts[:: max(1, len(posts) // POSTS)]:
        add(post.text, post.links, post.kind)
    comments = [comment.text for account, post in posts[::7] for comment in comments_for(panel, account, post)]
    for text in dict.fromkeys(comments[:: max(1, len(comments) // COMMENTS)]):
        add(text)
    for name in ("purpose_labelled.csv", "voice_labelled.csv"):
        with (TESTS / "data" / name).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                add(row["text"], (row.get("links") or "").split())
    for name in ("m_weibo_cn__comments_hotflow__first_page__2019.json",
                 "m_weibo_cn__api_comments_show__page1__2019.json"):
        payload = json.loads((TESTS / "fixtures" / "weibo" / name).read_text(encoding="utf-8"))
        comments = parse_comments(payload, post_id="4383183661430868", post_author_id="1669879400",
                                  crawled_at=datetime(2019, 6, 15, tzinfo=UTC))[0]
        for comment in comments:
            add(comment.text)
    base = list(records.values())
    s2t = _simplified_to_traditional()
    for record in base[::VARIANT_EVERY]:
        text = record["text"]
        for variant in (text.translate(s2t), _fullwidth(text), text.upper(), text.replace("'", "\u2019")):
            add(variant, record["links"], record["kind"])
    return list(records.values())


def _simplified_to_traditional() -> dict[int, str]:
    table = PurposeRules.load().char_table
    return {ord(simple): chr(trad) for trad, simple in table.items() if len(simple) == 1 and trad >= 0x3400}


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def digest(values: list) -> str:
    return hashlib.sha256(json.dumps(values, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def main(out: str) -> None:
    records = corpus()
    texts = [r["text"] for r in records]
    links, kinds = [r["links"] for r in records], [r["kind"] for r in records]
    purpose, purpose_cfg = PurposeRules.load(), PurposeRules.load(PURPOSE_EXTRA)
    voice, voice_cfg = VoiceRules.load(), VoiceRules.load(VOICE_EXTRA)
    for record, p, pc, v, vc in zip(records, label_posts(texts, links, kinds, purpose),
                                    label_posts(texts, links, kinds, purpose_cfg),
                                    classify_comments(texts, voice), classify_comments(texts, voice_cfg), strict=True):
        record.update(purpose=p, purpose_cfg=pc, voice=v, voice_cfg=vc)
    explained = {
        "purpose": digest([purpose.explain(r["text"], links=r["links"], kind=r["kind"]) for r in records]),
        "purpose_cfg": digest([purpose_cfg.explain(r["text"], links=r["links"], kind=r["kind"]) for r in records]),
        "voice": digest([voice.explain(t) for t in texts]),
        "voice_cfg": digest([voice_cfg.explain(t) for t in texts]),
        "normalised": digest([[purpose.normalise(t), voice.normalise(t)] for t in texts]),
    }
    head = {"about": __doc__.split("\n\n")[0], "purpose_extra": PURPOSE_EXTRA, "voice_extra": VOICE_EXTRA,
            "digests": explained, "fields": FIELDS}
    rows = ",\n".join(json.dumps([r[name] for name in FIELDS], ensure_ascii=False) for r in records)
    head_text = json.dumps(head, ensure_ascii=False, indent=1)[:-2]  # one record a line, for readable diffs
    Path(out).write_text(f'{head_text},\n "records": [\n{rows}\n]}}\n', encoding="utf-8")
    print(f"{len(records)} texts -> {out}")


if __name__ == "__main__":
    main(sys.argv[1])
