"""numpy's OpenBLAS as the backend's ``matmul`` drives it: its thread count (one GEMM per core
from our own threads, ``split_batch``), its idle spin (``shorten_spin``, ``spinning``) and the
layouts it packs slowly (``rows_dense``).

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

While OpenBLAS's idle threads spin, the second core is theirs, and this backend's pool only
gets in their way: a pool thread that takes a task shares its core with the spinning thread,
and the caller waits for that task. ``note_gemm()`` records when the backend last ran a
threaded OpenBLAS product, and ``spinning()`` says whether OpenBLAS's threads still spin
(within ``2**spin_log2()`` cycles of it, at the CPU's clock); ``_threads`` then runs the
work on the calling thread alone, and ``matmul`` leaves a stack to OpenBLAS's own threads.
Whole numba steps on the AMD EPYC, OpenBLAS spinning 2^28 cycles, this rule against always
splitting, switched inside one process (paired medians of 12-14 switches, two runs): LeNet
0.94 / 0.98, GPT 0.91 / 0.99, GPT with fused attention 1.00 / 0.96, digits 1.02 / 1.00, MLP,
VAE and the LSTM 0.99-1.00 (all pool work on the caller, unconditionally: LeNet 0.93 / 0.92,
GPT with fused attention 0.93 / 0.90). A program without products keeps both threads for
its kernels.

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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np  # numpy's BLAS must be loaded before we look for it

__all__ = [
    "CBLAS_NO_TRANS",
    "CBLAS_ROW_MAJOR",
    "CBLAS_TRANS",
    "SPIN_ENV",
    "SPIN_LOG2",
    "OPENBLAS_THREADED",
    "available",
    "cpuinfo",
    "gemm_function",
    "matmul",
    "note_gemm",
    "rows_dense",
    "shorten_spin",
    "single_threaded",
    "spin_log2",
    "spin_shortened",
    "spinning",
    "split_batch",
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
_last_gemm = float("-inf")  # time.perf_counter() of the last threaded OpenBLAS product
_spin_seconds: float | None = None  # how long OpenBLAS's idle threads spin; None: not known yet
_DEFAULT_SPIN_LOG2 = 28  # OpenBLAS's own, when OPENBLAS_THREAD_TIMEOUT is unset
_FALLBACK_HZ = 2.5e9


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


OPENBLAS_THREADED = 1 << 18
"""Multiply-adds from which OpenBLAS splits one product over its threads (65536 times its
GEMM_MULTITHREAD_THRESHOLD of 4); smaller ones run on the calling thread."""


def matmul(x: np.ndarray, y: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``np.matmul(x, y, out=out)``, noting (``note_gemm``) a product large enough for
    OpenBLAS's threads."""
    out = np.matmul(x, y, out=out)
    rows = x.shape[-2] if x.ndim > 1 else 1
    if rows * x.shape[-1] * y.shape[-1] >= OPENBLAS_THREADED:
        note_gemm()
    return out


def note_gemm() -> None:
    """Record that a product just ran in numpy's OpenBLAS on its own threads (not when
    OpenBLAS is held to one thread: then no thread of its spins)."""
    global _last_gemm
    functions = _lookup()
    if functions is not None and functions[0]() > 1:
        _last_gemm = time.perf_counter()


def spinning() -> bool:
    """Whether OpenBLAS's idle threads are likely still spinning after the last product
    :func:`note_gemm` recorded (see the module docstring)."""
    global _spin_seconds
    if _spin_seconds is None:
        _spin_seconds = _spin_time()
    return time.perf_counter() - _last_gemm < _spin_seconds


def _spin_time() -> float:
    """Seconds OpenBLAS's threads spin when idle: ``2**spin_log2()`` cycles at the CPU's
    clock; 0 without a known OpenBLAS or with the spin shortened (0.1 ms is gone before
    a kernel starts)."""
    log2 = spin_log2()
    if log2 is None or (log2 and log2 <= SPIN_LOG2):
        return 0.0
    return 2.0 ** (log2 or _DEFAULT_SPIN_LOG2) / _cpu_hz()


def _cpu_hz() -> float:
    try:
        return float(cpuinfo("cpu MHz")) * 1e6
    except ValueError:  # no such line here
        return _FALLBACK_HZ


def cpuinfo(field: str) -> str:
    """The first value of ``field`` in ``/proc/cpuinfo`` (``"vendor_id"``, ``"cpu MHz"``), or
    ``""`` where there is no such file or line."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith(field):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return ""


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
    global _spin_seconds
    _spin_seconds = None  # spinning() reads the new timeout
    return True


_CBLAS = {"f": ("sgemm", ctypes.c_float), "d": ("dgemm", ctypes.c_double)}
_gemm_functions: dict[str, Any] = {}


def gemm_function(dtype: np.dtype) -> Any:
    """numpy's OpenBLAS ``cblas_?gemm`` for float32 or float64 as a ctypes function that numba
    kernels call (``_conv_image_kernels``), or None (another dtype, or no known OpenBLAS). The
    arguments are CBLAS's: order, transa, transb (``CBLAS_*`` below), m, n, k, alpha, a, lda, b,
    ldb, beta, c, ldc, with the pointers as integer addresses. A product below
    ``OPENBLAS_THREADED`` multiply-adds runs on the calling thread, so two of our threads may
    each call it."""
    kind = np.dtype(dtype).char
    if kind not in _CBLAS:
        return None
    if kind not in _gemm_functions:
        _gemm_functions[kind] = _bind_gemm(*_CBLAS[kind])
    return _gemm_functions[kind]


CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS = 101, 111, 112


def _bind_gemm(name: str, real: Any) -> Any:
    if _lookup() is None:
        return None
    # The scipy-openblas wheels: 64-bit integers (numpy's own) or 32-bit; a plain OpenBLAS.
    for symbol, index in (
        (f"scipy_cblas_{name}64_", ctypes.c_int64),
        (f"scipy_cblas_{name}", ctypes.c_int),
        (f"cblas_{name}", ctypes.c_int),
    ):
        function = getattr(_library, symbol, None)
        if function is None:
            continue
        enum, pointer = ctypes.c_int, ctypes.c_void_p
        prototype = ctypes.CFUNCTYPE(
            None, enum, enum, enum, index, index, index, real, pointer, index, pointer, index,
            real, pointer, index,
        )  # fmt: skip
        address = ctypes.cast(function, ctypes.c_void_p).value
        return None if address is None else prototype(address)
    return None


def rows_dense(a: np.ndarray) -> np.ndarray:
    """A stack whose matrices BLAS would read column by column with a leading dimension
    beyond the matrix (``k.transpose(-2, -1)`` of attention heads sliced from one projection),
    copied to C order; other layouts as they are. OpenBLAS packs such small matrices at about
    half speed: GPT attention's q @ k^T, 64 of 64x32 @ 32x64 in the step, 635 -> 529 us with
    the copy included, where copying a dense transposed stack only added its time."""
    if a.ndim < 3 or a.strides[-2] != a.itemsize or a.shape[-1] < 2:
        return a
    return np.ascontiguousarray(a) if a.strides[-1] > a.shape[-2] * a.itemsize else a


def split_batch(x: np.ndarray, y: np.ndarray, min_size: int) -> bool:
    """A float stack of equal batch shape, C-contiguous, mid-sized matrices and enough work.

    At most 256^3 multiply-adds a matrix: larger ones keep OpenBLAS's own 2-thread split.
    More than ``8 * min_size`` (2^18 at the default ``min_parallel_size``, OpenBLAS's own
    one-thread cutoff, 65536 x GEMM_MULTITHREAD_THRESHOLD): below it OpenBLAS multiplies each
    matrix on the calling thread, and two of our threads calling it at once did not scale.
    Measured (float32, 2-core VM, us, numpy's loop / the split): 64 of 64x32x64 (GPT
    attention) 131-209 / 308-329, 64 of 64x64x64 436 / 642, but 64 of 64x64x128 1047 / 775
    and 64 of 128x128x128 3505 / 2470."""
    if x.ndim < 3 or x.shape[:-2] != y.shape[:-2] or x.dtype.kind != "f":
        return False
    if not (x.flags.c_contiguous and y.flags.c_contiguous) or not available():
        return False
    m, k = x.shape[-2:]
    n = y.shape[-1]
    batch = x.size // (m * k) if x.size else 0
    flops = m * k * n
    return batch >= 2 and 8 * min_size < flops <= 1 << 24 and batch * flops >= max(min_size, 1) * 64
