"""Throughput of the purpose rules: `python bench/purpose.py [N]` prints posts/s for N labels (default 200,000).

Not a test: the numbers depend on the machine. Posts are the labelled test set repeated, so the language and
label mix is realistic (short posts, a third with links); a suffix makes every text distinct.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmark.purpose import PurposeRules, label_posts  # noqa: E402


def main(count: int = 200_000) -> None:
    with (ROOT / "tests" / "data" / "purpose_labelled.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts = [f"{rows[i % len(rows)]['text']} #{i}" for i in range(count)]
    links = [rows[i % len(rows)]["links"].split() for i in range(count)]
    kinds = ["original"] * count

    started = time.perf_counter()
    rules = PurposeRules.load()
    load_s = time.perf_counter() - started

    started, cpu_started = time.perf_counter(), time.process_time()
    labels = label_posts(texts, links, kinds, rules)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    mean_chars = sum(map(len, texts)) / count
    # CPU time is the fairer figure on a shared machine; wall time is what a report run waits.
    print(f"load: {load_s * 1000:.0f} ms; labelled {len(labels):,} posts (mean {mean_chars:.0f} chars) "
          f"in {elapsed:.2f} s wall = {count / elapsed:,.0f} posts/s ({count / cpu:,.0f} posts per CPU-second)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
