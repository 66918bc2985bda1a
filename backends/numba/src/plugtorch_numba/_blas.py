"""numpy's OpenBLAS thread count, for running one GEMM per core from our own threads.

numpy's ``matmul`` on a stack of small matrices calls OpenBLAS once per matrix, and OpenBLAS
splits each 128x128 product over both cores: 64x128x128 float32 took 1.5-1.7 ms. Two of our
threads each multiplying half of the stack with OpenBLAS held to one thread took 1.31 ms
(205 GFLOP/s of the ~234 peak). ``single_threaded()`` holds OpenBLAS to one thread while
such a split runs; it finds numpy's OpenBLAS among the loaded libraries (the scipy-openblas
wheels name their symbols ``scipy_openblas_*64_``) and does nothing when there is none
(numpy built on MKL, Accelerate, or a platform without ``/proc/self/maps``).
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np  # noqa: F401 (numpy's BLAS must be loaded before we look for it)

__all__ = ["available", "single_threaded"]

_SYMBOLS = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)
_lock = threading.Lock()
_functions: tuple[Any, Any] | None | bool = False  # False: not looked up yet


def _find() -> tuple[Any, Any] | None:
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get_name, set_name in _SYMBOLS:
            get, set_ = getattr(lib, get_name, None), getattr(lib, set_name, None)
            if get is not None and set_ is not None:
                get.restype = ctypes.c_int
                set_.argtypes = (ctypes.c_int,)
                set_.restype = None
                return get, set_
    return None


def _lookup() -> tuple[Any, Any] | None:
    global _functions
    if _functions is False:
        _functions = _find()
    return _functions  # type: ignore[return-value]


def available() -> bool:
    """Whether numpy's OpenBLAS thread count can be set from here."""
    return _lookup() is not None


@contextmanager
def single_threaded() -> Iterator[None]:
    """OpenBLAS at one thread inside the block (a no-op without a known OpenBLAS)."""
    functions = _lookup()
    if functions is None:
        yield
        return
    get, set_ = functions
    with _lock:  # one split at a time, so the restored count is the user's
        before = get()
        set_(1)
        try:
            yield
        finally:
            set_(before)
