"""numpy's OpenBLAS thread count, for running one GEMM per core from our own threads.

numpy's ``matmul`` on a stack of small matrices calls OpenBLAS once per matrix, and OpenBLAS
splits each 128x128 product over both cores: 64x128x128 float32 took 1.5-1.7 ms. Two of our
threads each multiplying half of the stack with OpenBLAS held to one thread took 1.31 ms
(205 GFLOP/s of the ~234 peak). ``single_threaded()`` holds OpenBLAS to one thread while
such a split runs; it finds numpy's OpenBLAS among the loaded libraries (the scipy-openblas
wheels name their symbols ``scipy_openblas_*64_``) and does nothing when there is none
(numpy built on MKL, Accelerate, or a platform without ``/proc/self/maps``).

``shorten_spin()`` cuts how long OpenBLAS's idle worker threads spin before they sleep. After
each threaded call they busy-wait for 2^28 cycles (about 0.13 s: a process sleeping 200 ms
after one GEMM used 128 ms of CPU), and a training step calls BLAS every few milliseconds, so
one core is always held by a spinning OpenBLAS thread. That pays when OpenBLAS does the
step's GEMMs: each product starts at once on both cores, as in numpy itself. It costs when
MKL does the large ones (``_mkl.py``, split over this backend's pool) and OpenBLAS the small
ones: then a spinning OpenBLAS thread holds the core that MKL's share and the pool's kernels
want (a pool round trip took 15 us idle and 63 us just after a GEMM). So the backend shortens
the spin only when its ``matmul`` takes MKL. Measured, two threads:

- Intel Xeon, MKL doing the large GEMMs, 2^18 cycles (about 0.1 ms) against 2^28, back to
  back: GPT 145 -> 129 and 119 -> 109 ms, the LSTM model 221 -> 168 ms (CPU time 289 -> 176
  and 429 -> 292 ms).
- AMD EPYC, OpenBLAS doing the GEMMs, 2^28 against 2^18, the setting switched inside one
  process every quarter second (so both see the same host; paired medians of 16-20 switches):
  digits 0.92 / 0.87, MLP 0.94 / 0.99, VAE 0.91, GPT 0.93, LeNet 1.02 / 1.00, GPT with fused
  attention 1.06, LSTM 1.07: a gain for the GEMM-bound models, a loss for the two whose pool
  kernels are largest (``benchmarks/PROFILE.md``).

OpenBLAS reads the timeout when it starts its threads, so ``shorten_spin`` sets
``OPENBLAS_THREAD_TIMEOUT`` for a moment, has OpenBLAS re-read its environment, and stops the
threads (as OpenBLAS's own fork handler does); the next threaded call starts them again with
the new timeout. A user's own ``OPENBLAS_THREAD_TIMEOUT`` is left as it is, and
``PLUGTORCH_NUMBA_BLAS_SPIN=0`` turns this off.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np  # noqa: F401 (numpy's BLAS must be loaded before we look for it)

__all__ = [
    "SPIN_ENV",
    "SPIN_LOG2",
    "available",
    "shorten_spin",
    "single_threaded",
    "spin_log2",
    "spin_shortened",
]

SPIN_LOG2 = 18
"""OpenBLAS's idle spin, log2 of cycles (its default is 28)."""
SPIN_ENV = "PLUGTORCH_NUMBA_BLAS_SPIN"
_OPENBLAS_ENV = "OPENBLAS_THREAD_TIMEOUT"

_SYMBOLS = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)
_lock = threading.Lock()
_functions: tuple[Any, Any] | None | bool = False  # False: not looked up yet
_library: Any = None  # the OpenBLAS CDLL the functions came from
_spin_shortened: bool | None = None  # once per process


def _find() -> tuple[Any, Any] | None:
    global _library
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
                _library = lib
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


def spin_log2() -> int | None:
    """OpenBLAS's idle spin as it will use it (log2 of cycles; 0 for its default), or None
    without a known OpenBLAS."""
    if _lookup() is None:
        return None
    timeout = getattr(_library, "openblas_thread_timeout", None)
    if timeout is None:
        return None
    timeout.restype = ctypes.c_int
    return int(timeout())


def shorten_spin(log2: int = SPIN_LOG2) -> bool:
    """Make OpenBLAS's idle threads spin ``2**log2`` cycles instead of 2^28 (see the module
    docstring); True when done. Not while another thread is inside OpenBLAS: the backend
    calls it once, when it is created (later calls return the first answer)."""
    global _spin_shortened
    if _spin_shortened is None:
        _spin_shortened = _shorten_spin(log2)
    return _spin_shortened


def spin_shortened() -> bool:
    """Whether ``shorten_spin`` has shortened the spin in this process."""
    return bool(_spin_shortened)


def _shorten_spin(log2: int) -> bool:
    if os.environ.get(SPIN_ENV, "1").strip() == "0" or os.environ.get(_OPENBLAS_ENV):
        return False
    if _lookup() is None:
        return False
    read_env = getattr(_library, "openblas_read_env", None)
    shutdown = getattr(_library, "blas_thread_shutdown_", None)
    if read_env is None or shutdown is None or spin_log2() is None:
        return False
    with _lock:
        os.environ[_OPENBLAS_ENV] = str(log2)
        try:
            read_env()
        finally:
            del os.environ[_OPENBLAS_ENV]
        if spin_log2() != log2:
            return False
        shutdown()  # the threads restart on the next threaded call, with the new timeout
    return True
