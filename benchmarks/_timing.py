"""Timing helpers shared by the benchmarks: medians after warm-up, first calls in fresh
processes (cold and warm numba cache)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["first_calls", "median_ms", "sample_ms"]


def median_ms(fn: Callable[[], Any], repeat: int, warmup: int = 3) -> float:
    """Median wall time of ``fn()`` in milliseconds over ``repeat`` runs after warm-up."""
    return float(np.median(sample_ms(fn, repeat, warmup)))


def sample_ms(
    fn: Callable[[], Any],
    repeat: int,
    warmup: int = 3,
    clock: Callable[[], float] = time.perf_counter,
) -> list[float]:
    """Times of ``repeat`` runs of ``fn()`` in milliseconds, after warm-up: wall time, or the
    process's CPU time with ``clock=time.process_time`` (on a machine shared with other work,
    single-threaded CPU time counts this process's work only, not the time others held the
    core)."""
    # Let the previous framework's idle threads stop spinning first: PyTorch's OpenMP threads
    # keep spinning after a parallel region and, on two cores, starved OpenBLAS's threads in
    # the next numpy measurement (a 2.8 ms case measured 900 ms right after a torch case).
    # Then warm up for a fixed time, not a fixed count: after an idle pause the cores need
    # tens of milliseconds to clock up again (a 1 ms case measured 1.5x slower right after).
    time.sleep(0.3)
    start = time.perf_counter()
    done = 0
    while done < warmup or time.perf_counter() - start < 0.25:
        fn()
        done += 1
    times = []
    for _ in range(repeat):
        start = clock()
        fn()
        times.append((clock() - start) * 1e3)
    return times


def first_calls(snippet: str) -> dict[str, list[float]]:
    """Run ``snippet`` (which prints numbers) in two fresh processes sharing a new, empty
    ``NUMBA_CACHE_DIR``: the first compiles every kernel, the second loads them. Returns the
    printed numbers under ``"cold cache"`` and ``"warm cache (2nd process)"``."""
    results = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("cold cache", "warm cache (2nd process)"):
            out = subprocess.run(
                [sys.executable, "-c", snippet], env=env, check=True, capture_output=True, text=True
            ).stdout.split()
            results[label] = [float(v) for v in out]
    return results
