"""Time `scrapy demo` end to end, exactly as the README runs it (target, issue #19: at most 5 s on an idle
machine with 2 cores).

    python bench/demo.py [--runs 3] [--ab ROOT]

Prints the median [min–max] of the wall time, of the child's own peak memory (VmHWM, read by the child
at exit) and of the largest process of its tree (wait4's `ru_maxrss`: the demo forks the sample server and
the report's process, whose memory VmHWM does not count), and the 1-minute
load average before and after. `--ab ROOT` interleaves each run with a run from another checkout ROOT (e.g.
`git worktree add /tmp/base main`), so both see the same load. Each run writes into its own temporary
folders (`--workdir`, `-o`), not into data/demo and reports/demo.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _child import SCRAPY_CHILD  # bench/ is sys.path[0] when a script runs

ROOT = Path(__file__).resolve().parent.parent


def run_demo(root: Path) -> tuple[float, float, float, float]:
    """Wall seconds, the child's VmHWM (MB) and the largest peak RSS of the child and the processes it waited
    for (wait4's ru_maxrss, MB: the sample server and the report are forked children since the demo forks
    them) of one `scrapy demo` run from checkout `root`."""
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        hwm_file = Path(tmp, "vmhwm.txt")
        began = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", SCRAPY_CHILD, "demo", "--workdir", str(Path(tmp, "work")),
                                 "-o", str(Path(tmp, "report"))], cwd=root, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env={**os.environ, "BENCH_HWM_FILE": str(hwm_file)})
        stderr = proc.stderr.read()  # type: ignore[union-attr]
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - began
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"scrapy demo failed ({proc.returncode}):\n{stderr.decode(errors='replace')}")
        return wall, int(hwm_file.read_text()) / 1024, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def median_text(values: list[float], fmt: str) -> str:
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}–{fmt.format(max(values))}]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ab", type=Path, help="another checkout, run interleaved with this one")
    args = parser.parse_args()
    roots = {"this checkout": ROOT} | ({str(args.ab): args.ab.resolve()} if args.ab else {})
    results: dict[str, list[tuple[float, float, float, float]]] = {label: [] for label in roots}
    before = Path("/proc/loadavg").read_text().split()[0]
    for i in range(args.runs):
        order = list(roots.items())
        if i % 2:  # alternate who goes first
            order.reverse()
        for label, root in order:
            results[label].append(run_demo(root))
    after = Path("/proc/loadavg").read_text().split()[0]
    for label, runs in results.items():
        print(f"scrapy demo, {label}: {median_text([r[0] for r in runs], '{:.1f}')} s, CPU "
              f"{median_text([r[3] for r in runs], '{:.1f}')} s, child VmHWM "
              f"{median_text([r[1] for r in runs], '{:.0f}')} MB, largest process of the tree "
              f"{median_text([r[2] for r in runs], '{:.0f}')} MB ({len(runs)} runs)")
    print(f"load average (1 min): {before} before, {after} after; target: <= 5 s on an idle machine")


if __name__ == "__main__":
    main()
