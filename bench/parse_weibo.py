"""Weibo timeline parsing speed against plain `json.loads` of the same pages.

Builds ~10,000 posts of timeline pages from the real m.weibo.cn fixture (its 10 cards, with fresh ids per
page so nothing is cached), serialised as JSON strings, then times `json.loads` of every page and
`json.loads` + `parse_timeline` of every page (best of --repeat runs each).
Target: parse alone at most 3x json.loads, i.e. (loads + parse) / loads <= 4.

    python bench/parse_weibo.py [--pages 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._timing import best_time  # noqa: E402
from benchmark.platforms.weibo.parser import parse_timeline  # noqa: E402

FIXTURE = ROOT / "tests/fixtures/weibo/m_weibo_cn__getIndex_containerid_107603__timeline_page2__2019.json"
ACCOUNT_ID = "1669879400"
CRAWLED_AT = datetime(2019, 6, 15, 4, 0, tzinfo=UTC)


def build_pages(pages: int) -> list[str]:
    template = json.loads(FIXTURE.read_text(encoding="utf-8"))
    bodies = []
    for page in range(pages):
        payload = copy.deepcopy(template)
        payload["data"]["cardlistInfo"]["since_id"] = str(4_383_000_000_000_000 - page)
        for index, card in enumerate(payload["data"]["cards"]):
            mblog = card["mblog"]
            new_id = str(4_300_000_000_000_000 + page * 100 + index)
            mblog.update(id=new_id, idstr=new_id, mid=new_id, bid=f"B{page:05d}{index:02d}")
        bodies.append(json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
    return bodies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    bodies = build_pages(args.pages)
    megabytes = sum(len(body.encode("utf-8")) for body in bodies) / 1e6
    posts = sum(len(parse_timeline(json.loads(body), account_id=ACCOUNT_ID, crawled_at=CRAWLED_AT).posts)
                for body in bodies[:1]) * len(bodies)

    def loads_only() -> None:
        for body in bodies:
            json.loads(body)

    def loads_and_parse() -> None:
        for body in bodies:
            parse_timeline(json.loads(body), account_id=ACCOUNT_ID, crawled_at=CRAWLED_AT)

    loads = best_time(loads_only, args.repeat)
    total = best_time(loads_and_parse, args.repeat)
    parse = total - loads
    print(f"pages: {len(bodies)}  posts: {posts}  JSON: {megabytes:.1f} MB")
    print(f"json.loads:          {loads:7.3f} s  {posts / loads:10,.0f} posts/s")
    print(f"json.loads + parse:  {total:7.3f} s  {posts / total:10,.0f} posts/s")
    print(f"parse alone:         {parse:7.3f} s  {posts / parse:10,.0f} posts/s  ({parse / posts * 1e6:.0f} µs/post)")
    print(f"ratio parse / loads:          {parse / loads:5.2f}  (target <= 3)")
    print(f"ratio (loads + parse) / loads: {total / loads:5.2f}")


if __name__ == "__main__":
    main()
