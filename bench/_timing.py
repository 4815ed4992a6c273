"""Shared by the bench scripts: the best of several timed runs."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time(action: Callable[[], object], repeat: int) -> float:
    """Fastest of `repeat` runs, in seconds: the least disturbed by the other processes on the machine."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)
