"""Timing shared by the benchmark scripts (imported as ``_timing`` from their folder)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any


def best_of(
    repeat: int, fn: Callable[..., Any], *, setup: Callable[[], Any] | None = None
) -> tuple[float, Any]:
    """Best time of ``repeat`` calls, with the cyclic GC off while timing (as timeit does).

    Otherwise collections triggered by the objects each implementation allocates,
    and by whatever an earlier measurement left alive, dominate and reorder the figures.
    With ``setup``, it runs before each call, untimed, and ``fn`` gets what it returns.
    Returns the best time and the last call's result.
    """
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None
        prepared = setup() if setup is not None else None
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            result = fn(prepared) if setup is not None else fn()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best, result
