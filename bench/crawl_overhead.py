"""Crawl overhead: pages/s of `scrapy crawl weibo` against the local sample server (politeness off), as a
ratio to a trivial Scrapy spider fetching the same URLs from the same server in the same run.
Target: ratio >= 0.7.

    python bench/crawl_overhead.py [--accounts 40] [--posts 250]

The trivial spider only reads each body's length; the real one parses, validates and stores every post.
Both run as `scrapy` subprocesses with the same concurrency; pages/s = responses / elapsed_time_seconds.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmark.sample.panel import Panel, panel_config_toml, synthetic_spec  # noqa: E402
from benchmark.sample.testing import run_server_subprocess  # noqa: E402

TRIVIAL_SPIDER = '''
import scrapy

class Trivial(scrapy.Spider):
    name = "trivial"
    custom_settings = {"ITEM_PIPELINES": {}, "EXTENSIONS": {}, "DOWNLOADER_MIDDLEWARES": {}}

    async def start(self):
        for url in open(self.urls_file, encoding="utf-8").read().split():
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response):
        yield {"n": len(response.body)}
'''
# The same fetches, but one plain dict per post card: Scrapy's own per-item cost, without parsing or storage.
PER_POST_SPIDER = TRIVIAL_SPIDER.replace('''    def parse(self, response):
        yield {"n": len(response.body)}''', '''    def parse(self, response):
        import json
        cards = (json.loads(response.text).get("data") or {}).get("cards") or [{}]
        for card in cards:
            yield {"id": (card.get("mblog") or {}).get("id")}''')
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS=16",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]


def stats_of(stderr: str) -> dict:
    block = stderr[stderr.index("Dumping Scrapy stats:") :].split("\n", 1)[1]
    text = block[: block.index("}") + 1]
    text = re.sub(r"datetime\.datetime\([^)]*\)", "None", text)
    return ast.literal_eval(text)


def run(command: list[str]) -> tuple[dict, str]:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if "Dumping Scrapy stats" not in done.stderr:
        raise SystemExit(done.stderr[-3000:])
    return stats_of(done.stderr), done.stderr


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--posts", type=int, default=250)
    args = parser.parse_args()
    spec = synthetic_spec(args.accounts, args.posts)
    panel = Panel.from_spec(spec)
    with tempfile.TemporaryDirectory() as tmp, run_server_subprocess(spec, seed=None) as (url, _):
        config = Path(tmp, "benchmark.toml")
        config.write_text(panel_config_toml(panel), encoding="utf-8")
        crawl = [sys.executable, "-m", "scrapy", "crawl", "weibo", *FAST, "-s", f"WEIBO_BASE_URL={url}/weibo",
                 "-s", f"BENCHMARK_CONFIG={config}"]
        # A first, unmeasured run at DEBUG level lists the URLs (DEBUG logs every item: too slow to time).
        _, log = run([*crawl, "-s", "LOG_LEVEL=DEBUG", "-s", f"BENCHMARK_DB=sqlite:///{tmp}/urls.sqlite3"])
        urls = re.findall(r"Crawled \(\d+\) <GET (\S+)>", log)
        real, _ = run([*crawl, "-s", "LOG_LEVEL=INFO", "-s", f"BENCHMARK_DB=sqlite:///{tmp}/store.sqlite3"])
        Path(tmp, "urls.txt").write_text("\n".join(urls), encoding="utf-8")
        Path(tmp, "trivial.py").write_text(TRIVIAL_SPIDER, encoding="utf-8")
        Path(tmp, "per_post.py").write_text(PER_POST_SPIDER, encoding="utf-8")
        trivial, per_post = (
            run([sys.executable, "-m", "scrapy", "runspider", str(Path(tmp, name)), *FAST, "-s", "LOG_LEVEL=INFO",
                 "-a", f"urls_file={tmp}/urls.txt"])[0]
            for name in ("trivial.py", "per_post.py"))
    real_rate = real["response_received_count"] / real["elapsed_time_seconds"]
    trivial_rate = trivial["response_received_count"] / trivial["elapsed_time_seconds"]
    print(f"panel: {args.accounts} accounts x {args.posts} posts; {len(urls)} pages, "
          f"{real.get('item_scraped_count', 0)} items stored")
    print(f"scrapy crawl weibo : {real['response_received_count']:5d} pages in {real['elapsed_time_seconds']:.2f} s "
          f"= {real_rate:6.1f} pages/s")
    print(f"trivial spider     : {trivial['response_received_count']:5d} pages in "
          f"{trivial['elapsed_time_seconds']:.2f} s = {trivial_rate:6.1f} pages/s")
    per_post_rate = per_post["response_received_count"] / per_post["elapsed_time_seconds"]
    print(f"per-post spider    : {per_post['response_received_count']:5d} pages in "
          f"{per_post['elapsed_time_seconds']:.2f} s = {per_post_rate:6.1f} pages/s "
          f"({per_post.get('item_scraped_count', 0)} plain dicts)")
    print(f"ratio to the trivial spider:  {real_rate / trivial_rate:.2f} (target >= 0.7)")
    print(f"ratio to the per-post spider: {real_rate / per_post_rate:.2f} (same number of items: our parsing, "
          "validation, pseudonymisation and storage)")


if __name__ == "__main__":
    main()
