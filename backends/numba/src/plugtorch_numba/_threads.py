"""Run work on every core from Python threads: numba kernels (``nogil=True``) over block
ranges, and numpy ufuncs over chunks of a dense array.

Threads pull task numbers from a shared counter (dynamic scheduling) instead of taking one
fixed share each: when another process holds one of the two cores, the free thread simply
does more tasks, where a static split (numba's OpenMP layer) waits for the starved thread
(measured 3x slower than one thread in that state). A round trip through the thread pool
costs up to about 50 us, so only work of at least ``MIN_THREADED`` elements is split; smaller
work runs on the calling thread. Every kernel in this package is serial (``nogil=True``, over
a task range) and is spread over cores here: one thread pool whose idle threads sleep,
instead of numba's OpenMP threads spinning next to OpenBLAS's on two cores.

numpy's transcendental loops (sin, exp, tanh, ...) are SIMD (AVX-512) but single-threaded and
release the GIL, so two threads each running the ufunc on part of the buffer give numpy's
exact results at nearly twice the speed. numba's own ``np.sin`` is a scalar libm call per
element (the PyPI llvmlite is built without SVML), 2-4x slower per core; see the README.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from plugtorch._settings import get_num_threads

from . import _blas

__all__ = [
    "MIN_THREADED",
    "TASKS_PER_THREAD",
    "num_threads",
    "parallel_blocks",
    "run_blocks",
    "run_chunks",
    "split_ufunc",
]

MIN_THREADED = 1 << 19
"""Elements below which splitting over threads costs more than it gains (waking a pool
thread costs tens of microseconds; one core adds about 4e9 float32 per second from memory)."""

TASKS_PER_THREAD = 4

_pool: ThreadPoolExecutor | None = None


def num_threads() -> int:
    """The cores this process may use, capped by ``plugtorch.set_num_threads``."""
    return get_num_threads()


def _forget_pool() -> None:
    # A forked child (a DataLoader worker) inherits the pool object but none of its threads;
    # it starts its own on first use instead of queueing work for threads that do not exist.
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool)


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(num_threads(), thread_name_prefix="plugtorch-numba")
    return _pool


def _split(n: int, tasks: int, align: int) -> list[tuple[int, int]]:
    step = -(-n // tasks)
    step = -(-step // align) * align
    return [(s, min(s + step, n)) for s in range(0, n, step)]


class _Tasks:
    """Task numbers handed out from a shared counter, with completion tracking.

    The caller waits until every *task* is done, not until every helper thread has returned:
    a helper that the OS has not scheduled yet (another process holds its core) then costs
    nothing, where waiting for it would cost a whole scheduler time slice (measured: a
    2-thread kernel took 8 ms instead of 0.3 ms under load).
    """

    __slots__ = ("bounds", "counter", "done", "left", "error", "lock")

    def __init__(self, bounds: list[tuple[int, int]]) -> None:
        self.bounds = bounds
        self.counter = itertools.count()  # next() on a count is atomic under the GIL
        self.left = len(bounds)
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.lock = threading.Lock()

    def work(self, func: Callable[[int, int], Any]) -> None:
        while True:
            task = next(self.counter)
            if task >= len(self.bounds):
                return
            try:
                func(*self.bounds[task])
            except BaseException as error:  # noqa: BLE001 (re-raised in the caller)
                self.error = error
            with self.lock:
                self.left -= 1
                if self.left == 0:
                    self.done.set()


def _run_dynamic(func: Callable[[int, int], Any], bounds: list[tuple[int, int]]) -> None:
    """``func(a, b)`` for every bound; the caller and ``threads - 1`` pool threads share them
    (the caller alone while OpenBLAS's idle threads spin on the other cores: ``_blas.py``)."""
    if len(bounds) <= 1 or _blas.spinning():
        for a, b in bounds:
            func(a, b)
        return
    tasks = _Tasks(bounds)
    for _ in range(min(num_threads(), len(bounds)) - 1):
        _get_pool().submit(tasks.work, func)
    tasks.work(func)
    tasks.done.wait()
    if tasks.error is not None:
        raise tasks.error


def parallel_blocks(kernel: Callable[..., Any], args: tuple[Any, ...], nblocks: int, size: int):
    """``kernel(*args, b0, b1)`` over ``range(nblocks)``; ``size`` elements in all decide
    whether threads pay."""
    threads = num_threads()
    if size < MIN_THREADED or threads == 1 or nblocks <= 1:
        kernel(*args, 0, nblocks)
        return
    tasks = min(nblocks, threads * TASKS_PER_THREAD)
    _run_dynamic(lambda a, b: kernel(*args, a, b), _split(nblocks, tasks, 1))


def run_blocks(func: Callable[[int, int], Any], n: int, blocks: int, align: int) -> None:
    """Call ``func(start, stop)`` over ``range(n)`` in about ``blocks`` blocks (multiples of
    ``align``) shared by all threads; the caller decides that the work is worth splitting."""
    _run_dynamic(func, _split(n, max(1, blocks), align))


def run_chunks(
    func: Callable[[int, int], Any], n: int, align: int = 64, min_size: int = MIN_THREADED
) -> None:
    """Call ``func(start, stop)`` over ``range(n)`` in chunks shared by all threads (when
    ``n >= min_size``); numpy's error state (per thread) is carried into the workers."""
    threads = num_threads()
    if n < min_size or threads == 1:
        func(0, n)
        return
    errors = np.geterr()

    def with_errstate(a: int, b: int) -> Any:
        with np.errstate(**errors):
            return func(a, b)

    _run_dynamic(with_errstate, _split(n, threads * TASKS_PER_THREAD, align))


def split_ufunc(
    ufunc: Callable[..., Any], x: np.ndarray, empty_like: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """``ufunc(x)``, computed on all cores when ``x`` is dense (C or F order); the result
    comes from ``empty_like(x)``, which must keep x's memory order."""
    if not (x.flags.c_contiguous or x.flags.f_contiguous):
        return ufunc(x)
    out = empty_like(x)
    flat_x = x.ravel(order="K")
    flat_out = out.ravel(order="K")

    def chunk(a: int, b: int) -> None:
        ufunc(flat_x[a:b], out=flat_out[a:b])

    run_chunks(chunk, flat_x.size)
    return out
