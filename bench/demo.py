"""Time `scrapy demo` end to end, exactly as the README runs it (target: under 60 s on 2 cores).

    python bench/demo.py [--runs 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times = []
    for _ in range(args.runs):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "scrapy", "demo"], cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - began)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"scrapy demo: {args.runs} runs, median {statistics.median(times):.1f} s "
          f"(min {min(times):.1f}, max {max(times):.1f}); peak RSS {peak_mb:.0f} MB (target < 60 s)")


if __name__ == "__main__":
    main()
