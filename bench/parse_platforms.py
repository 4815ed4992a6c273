"""Parser throughput for Bluesky, Mastodon and Telegram on pages built from the real recorded fixtures.

    python bench/parse_platforms.py [--posts 3000] [--repeat 3]

Real items from tests/fixtures/<platform>/ are replicated (with unique ids, so nothing is de-duplicated away)
into full pages: 100 feed items per Bluesky page, 40 statuses per Mastodon page, and the recorded 20-message
t.me/s page for Telegram. For each platform it prints posts/s of the parser and the parser's time as a
multiple of the unavoidable baseline on the same pages: `json.loads` (Bluesky, Mastodon) or building the
`parsel.Selector` (Telegram). "parse" excludes that baseline; "total" = baseline + parse.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from parsel import Selector

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._timing import best_time  # noqa: E402
from benchmark.platforms.bluesky import parser as bluesky  # noqa: E402
from benchmark.platforms.mastodon import parser as mastodon  # noqa: E402
from benchmark.platforms.telegram import parser as telegram  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
CRAWLED_AT = datetime(2026, 9, 30, tzinfo=UTC)


def replicate(items: list[dict], total: int, make_unique: Callable[[dict, int], None]) -> list[dict]:
    copies = []
    for index in range(total):
        item = copy.deepcopy(items[index % len(items)])
        make_unique(item, index)
        copies.append(item)
    return copies


def pages_of(items: list, size: int) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)]


# ---------------------------------------------------------------- Bluesky


def bluesky_items() -> list[dict]:
    folder = FIXTURES / "bluesky"
    items = [json.loads((folder / "atat_feedviewpost_reasonRepost.json").read_text())]
    items += [{"post": json.loads(p.read_text())} for p in sorted(folder.glob("atat_postview_*.json"))]
    for name in ("dannguyen_getPostThread.response.json", "marshalx_thread_view_post_with_embed_media.json"):
        thread = json.loads((folder / name).read_text())["thread"]
        items += [{"post": thread["post"]}] + [{"post": reply["post"]} for reply in thread.get("replies", [])]
    return items


def bluesky_unique(item: dict, index: int) -> None:
    item["post"]["uri"] += f"x{index}"


def bench_bluesky(total: int, repeat: int) -> dict:
    items = replicate(bluesky_items(), total, bluesky_unique)
    pages = [json.dumps({"feed": page, "cursor": "c"}) for page in pages_of(items, 100)]
    loaded = [json.loads(page) for page in pages]

    def parse_all() -> int:
        return sum(
            len(bluesky.parse_author_feed(page, account_id="bench.bsky.social", crawled_at=CRAWLED_AT).posts)
            for page in loaded
        )

    return measure("bluesky", pages, lambda: [json.loads(page) for page in pages], parse_all, repeat)


# ---------------------------------------------------------------- Mastodon


def mastodon_items() -> list[dict]:
    statuses: list[dict] = []
    for path in sorted((FIXTURES / "mastodon").glob("*.json")):
        payload = json.loads(path.read_text())
        if isinstance(payload, list):
            statuses += payload
        elif isinstance(payload, dict) and "descendants" in payload:
            statuses += payload["ancestors"] + payload["descendants"]
        elif isinstance(payload, dict) and "content" in payload:
            statuses.append(payload)
    return statuses


def mastodon_unique(status: dict, index: int) -> None:
    status["id"] = f"{status['id']}{index}"
    status["uri"] = f"{status['uri']}#{index}"


def bench_mastodon(total: int, repeat: int) -> dict:
    items = replicate(mastodon_items(), total, mastodon_unique)
    pages = [json.dumps(page) for page in pages_of(items, 40)]
    loaded = [json.loads(page) for page in pages]
    link = '<https://example.social/api/v1/accounts/1/statuses?limit=40&max_id=1>; rel="next"'

    def parse_all() -> int:
        pages_parsed = (
            mastodon.parse_statuses(page, account_id="b@example.social", crawled_at=CRAWLED_AT, link_header=link)
            for page in loaded
        )
        return sum(len(page.posts) for page in pages_parsed)

    return measure("mastodon", pages, lambda: [json.loads(page) for page in pages], parse_all, repeat)


# ---------------------------------------------------------------- Telegram


def bench_telegram(total: int, repeat: int) -> dict:
    page = (FIXTURES / "telegram" / "laconicman_swiftui_dev_tme_s_page.html").read_text(encoding="utf-8")
    per_page = page.count('class="tgme_widget_message_wrap')
    pages = [page] * max(1, total // per_page)

    def parse_all() -> int:
        return sum(
            len(telegram.parse_channel_page(html, channel="swiftui_dev", crawled_at=CRAWLED_AT)[1].posts)
            for html in pages
        )

    return measure("telegram", pages, lambda: [Selector(text=html) for html in pages], parse_all, repeat)


# ---------------------------------------------------------------- report


def measure(platform: str, pages: list[str], baseline: Callable[[], object], parse_all: Callable[[], int],
            repeat: int) -> dict:
    posts = parse_all()  # warm-up, and the number of posts the parser yields
    baseline_s = best_time(baseline, repeat)
    parse_s = best_time(parse_all, repeat)
    if platform == "telegram":  # parse_channel_page builds its own Selector: take the baseline out
        parse_s = max(parse_s - baseline_s, 1e-9)
    return {
        "platform": platform,
        "pages": len(pages),
        "posts": posts,
        "mb": sum(len(page.encode()) for page in pages) / 1e6,
        "baseline_s": baseline_s,
        "parse_s": parse_s,
    }


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--posts", type=int, default=3000)
    options.add_argument("--repeat", type=int, default=3)
    args = options.parse_args()
    rows = [bench(args.posts, args.repeat) for bench in (bench_bluesky, bench_mastodon, bench_telegram)]
    baseline_name = {"bluesky": "json.loads", "mastodon": "json.loads", "telegram": "Selector()"}
    print(f"{'platform':<9} {'pages':>5} {'posts':>6} {'MB':>6} {'baseline':>11} {'parse ms':>9} "
          f"{'posts/s (parse)':>16} {'posts/s (total)':>16} {'parse/baseline':>15}")
    for row in rows:
        total_s = row["baseline_s"] + row["parse_s"]
        print(
            f"{row['platform']:<9} {row['pages']:>5} {row['posts']:>6} {row['mb']:>6.2f} "
            f"{baseline_name[row['platform']]:>11} {row['parse_s'] * 1000:>9.1f} "
            f"{row['posts'] / row['parse_s']:>16,.0f} {row['posts'] / total_s:>16,.0f} "
            f"{row['parse_s'] / row['baseline_s']:>14.2f}x"
        )
        print(f"{'':<9} baseline {baseline_name[row['platform']]}: {row['baseline_s'] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
