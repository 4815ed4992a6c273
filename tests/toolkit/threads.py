"""Run one piece of work in many threads at once: the thread-safety tests' harness."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def gather_in_threads(work: Callable[[], list[T]], threads: int) -> list[T]:
    """Start `threads` threads that each run `work`, wait for all, and return what they gave, in one list."""
    results: list[T] = []
    lock = threading.Lock()

    def run() -> None:
        mine = work()
        with lock:
            results.extend(mine)

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return results
