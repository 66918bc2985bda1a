"""Intel MKL's GEMMs through ctypes, for the numba backend's ``matmul`` when MKL is installed.

On the products of the model benchmarks numpy's OpenBLAS took 1.0-1.8x MKL's time (one
thread, float32, ms: the LSTM's 10000x700 by 700x256 gradient 39.7 against 31.2, its
20x256x1024 step 0.137 against 0.087, 1024x128x512 0.97 against 0.90; see the README), and
more at two threads on a loaded machine, where OpenBLAS's static split waits for a starved
thread. ``pip install 'plugtorch-numba[mkl]'`` installs the ``mkl``
wheel; its ``libmkl_rt`` is found through the distribution's file list (or ``<prefix>/lib``)
and loaded with ctypes. Its threads: MKL's *TBB* threading layer when the ``tbb`` wheel
(which the ``mkl`` wheel requires) loads: MKL threads a product itself on oneTBB's workers,
which sleep when idle instead of spinning (an OpenMP layer spins beside numba's kernels and
OpenBLAS), schedule dynamically (a core another process holds does not stall a product) and
survive ``fork`` (a DataLoader worker multiplies after its parent did; libgomp's layer hung
there). Whole training steps at two threads, this layer against numpy's OpenBLAS in the same
process, interleaved (ms, medians of 6-8 rounds): MLP 5.08 -> 4.45, 3.89 -> 3.73 and 3.72 ->
3.04 in three runs, VAE 10.32 -> 9.71 and 9.36 -> 8.74, the LSTM model 194.6 -> 186.1; the
GPT model and the digits CNN unchanged (their products are small or stacked). Otherwise
(``PLUGTORCH_NUMBA_MKL_THREADING=sequential``, or no TBB): the *sequential* layer, every call
one thread, and the backend spreads a large product over its own thread pool (row or column
blocks, or parts of a batch), like its other kernels.

Operands are passed as BLAS sees them: a transposed view (``a.mT``, ``x.T``) is ``CblasTrans``
with its leading dimension, a stack with one stride between matrices (broadcast ones: stride
0) is one ``cblas_?gemm_batch_strided`` call; only what BLAS cannot express (negative or
element strides, batch dimensions that do not collapse to one stride) is copied.

``PLUGTORCH_NUMBA_BLAS=mkl|openblas`` forces the choice; unset, MKL is used when it loads and
the CPU is Intel's (on AMD's, MKL's GEMMs measured slower than OpenBLAS's: ``choose_blas``).
``PLUGTORCH_NUMBA_MKL_THREADING=tbb|sequential`` chooses MKL's threads (read when MKL is
first loaded in the process).
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from plugtorch_numba import _blas
from plugtorch_numba._threads import num_threads, run_blocks

__all__ = [
    "BLAS_ENV",
    "THREADING_ENV",
    "Mkl",
    "choose_blas",
    "gemm_into",
    "library_paths",
    "load",
    "matmul_into",
]

BLAS_ENV = "PLUGTORCH_NUMBA_BLAS"
THREADING_ENV = "PLUGTORCH_NUMBA_MKL_THREADING"
INSTALL_HINT = "pip install 'plugtorch-numba[mkl]'"

_ROW_MAJOR, _NO_TRANS, _TRANS = _blas.CBLAS_ROW_MAJOR, _blas.CBLAS_NO_TRANS, _blas.CBLAS_TRANS
_MKL_THREADING_SEQUENTIAL, _MKL_THREADING_TBB = 1, 4
_MAX_INT = (1 << 31) - 1

MIN_FLOPS = 1 << 20
"""Multiply-adds per matrix (m*n*k) below which numpy's OpenBLAS is used. Measured one
thread, float32, us, MKL called directly / numpy: 128x128x128 27.6/35.1, 128x400x20
23.4/28.3, 128x256x10 10.4/11.2 (5.9 with a transposed left operand), 16x16x16 4.1/1.9; a
stack of 64 products of 64x32x64 317/149 in one MKL call (OpenBLAS is faster on small
matrices, and the ctypes call costs about 4 us)."""
MIN_FLOPS_THREADED = 1 << 28
"""The same threshold when the backend runs on two or more threads, where numpy's OpenBLAS
threads its own products and MKL's sequential layer is split over our pool (below): measured
at two threads (idle 2-core VM, ms, OpenBLAS / MKL split), the split lost on mid-size
products, 128x512x256 with a transposed operand 0.33/0.52, 20x256x1024 (an LSTM step)
0.14/0.32, and whole steps with it, MLP 4.1 -> 5.5 ms and VAE 6.8 -> 11.6 ms; it won only on
large ones, 700x256x10000 (the LSTM decoder) 20.7/15.7."""


MIN_FLOPS_TBB = 1 << 22
"""The threshold on two or more threads with MKL's TBB layer (MKL threads the product
itself). Whole MLP steps were faster with MKL from 2^22 and from 2^24 multiply-adds than with
OpenBLAS alone, and the digits CNN and LeNet-5 (products under 2^21) unchanged; below 2^21
MKL lost alone (two threads, us, OpenBLAS / MKL: 128x400x20 22 / 33, 64x120x84 11 / 18),
from 2^22 it is even or ahead (20x256x1024, an LSTM step, 108 / 96, with a transposed
operand 180 / 124; 128x784x512 627 / 569)."""


def min_flops(threads: int, threading: str = "sequential") -> int:
    """Multiply-adds per matrix from which MKL takes a product on ``threads`` threads with
    its ``threading`` layer (``"tbb"`` or ``"sequential"``)."""
    if threads <= 1:
        return MIN_FLOPS
    return MIN_FLOPS_TBB if threading == "tbb" else MIN_FLOPS_THREADED


BLOCKS_PER_THREAD = 2
"""Blocks a split product is cut into per thread: a thread whose core another process holds
then leaves its second block to the others (dynamic scheduling, see ``_threads.py``), where
more blocks would pack the shared operand more often."""
MIN_SPLIT_FLOPS = 1 << 20
"""Multiply-adds of one block below which a product is not split over threads (a pool round
trip costs up to about 50 us; 2^20 multiply-adds take about 20 us on one core)."""


@dataclass(frozen=True)
class Mkl:
    """The loaded library: its GEMM functions by dtype character and its version."""

    path: str
    version: str
    gemm: dict[str, Any]
    gemm_batch: dict[str, Any]
    threading: str = "sequential"
    """MKL's threading layer: ``"tbb"`` (MKL threads a product) or ``"sequential"``."""
    set_threads: Any = None
    """``MKL_Set_Num_Threads_Local`` (the TBB layer's thread count for the calling thread)."""


def _wheel_files(distribution: str, prefix: str) -> list[Path]:
    """The files of an installed distribution whose names start with ``prefix``, resolved."""
    from importlib import metadata

    try:
        files = metadata.distribution(distribution).files or []
    except metadata.PackageNotFoundError:
        return []
    return [Path(str(f.locate())).resolve() for f in files if f.name.startswith(prefix)]


def library_paths() -> list[Path]:
    """Where ``libmkl_rt`` may be: the ``mkl`` distribution's files, then ``<prefix>/lib``."""
    found = _wheel_files("mkl", "libmkl_rt.so")
    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix)):
        found += [Path(prefix, "lib", name) for name in ("libmkl_rt.so.3", "libmkl_rt.so")]
    return [path for path in dict.fromkeys(found) if path.is_file()]


def _bind(lib: Any, kind: str, ctype: Any) -> tuple[Any, Any]:
    pointer, i = ctypes.c_void_p, ctypes.c_int
    gemm = getattr(lib, f"cblas_{kind}gemm")
    gemm.argtypes = [i] * 6 + [ctype, pointer, i, pointer, i, ctype, pointer, i]
    gemm.restype = None
    batch = getattr(lib, f"cblas_{kind}gemm_batch_strided")
    batch.argtypes = [i] * 6 + [ctype, pointer, i, i, pointer, i, i, ctype, pointer, i, i, i]
    batch.restype = None
    return gemm, batch


def threading_choice() -> tuple[str, str]:
    """``(layer, error)`` from ``$PLUGTORCH_NUMBA_MKL_THREADING``: ``"tbb"`` (the default)
    or ``"sequential"``; ``error`` is non-empty for any other value."""
    choice = os.environ.get(THREADING_ENV, "").strip().lower() or "tbb"
    if choice not in ("tbb", "sequential"):
        return "tbb", f"{THREADING_ENV} must be 'tbb' or 'sequential' (or unset), got {choice!r}"
    return choice, ""


def _tbb_libraries(mkl_path: Path) -> list[Path] | None:
    """oneTBB's ``libtbb.so.12`` (the ``tbb`` distribution's file, else beside MKL) and MKL's
    ``libmkl_tbb_thread`` beside ``libmkl_rt``, or None when either is missing."""
    candidates = [p for p in _wheel_files("tbb", "libtbb.so.12") if p.name == "libtbb.so.12"]
    candidates.append(mkl_path.parent / "libtbb.so.12")
    tbb = next((path for path in candidates if path.is_file()), None)
    layer = sorted(mkl_path.parent.glob("libmkl_tbb_thread.so*"))
    return None if tbb is None or not layer else [tbb, layer[-1]]


def _load_tbb(mkl_path: Path) -> bool:
    """Load oneTBB with global symbols, so that MKL's layer (``libmkl_tbb_thread``, which MKL
    loads at its first call and which cannot be loaded before MKL's core: the two refer to
    each other) finds it; False when either library is missing or oneTBB does not load. MKL
    ends the process when it cannot load the layer it was told to use: both are checked
    first."""
    libraries = _tbb_libraries(mkl_path)
    if libraries is None:
        return False
    try:
        ctypes.CDLL(str(libraries[0]), mode=ctypes.RTLD_GLOBAL)
    except OSError:
        return False
    return True


def _open(path: Path) -> Mkl:
    lib = ctypes.CDLL(str(path))
    lib.MKL_Set_Threading_Layer.argtypes = [ctypes.c_int]
    lib.MKL_Set_Threading_Layer.restype = ctypes.c_int
    threading = "sequential"
    if threading_choice()[0] == "tbb" and _load_tbb(path):
        if lib.MKL_Set_Threading_Layer(_MKL_THREADING_TBB) == _MKL_THREADING_TBB:
            threading = "tbb"
    if threading == "sequential":
        if lib.MKL_Set_Threading_Layer(_MKL_THREADING_SEQUENTIAL) != _MKL_THREADING_SEQUENTIAL:
            raise OSError("MKL refused its sequential threading layer")
    set_threads = None
    if threading == "tbb":
        set_threads = lib.MKL_Set_Num_Threads_Local
        set_threads.argtypes = [ctypes.c_int]
        set_threads.restype = ctypes.c_int
    buffer = ctypes.create_string_buffer(256)
    lib.MKL_Get_Version_String(buffer, len(buffer))
    words = buffer.value.decode(errors="replace").split()
    version = (
        "MKL " + words[words.index("Version") + 1].split("-")[0]
        if "Version" in words[:-1]
        else "MKL"
    )
    sgemm, sbatch = _bind(lib, "s", ctypes.c_float)
    dgemm, dbatch = _bind(lib, "d", ctypes.c_double)
    gemm, batch = {"f": sgemm, "d": dgemm}, {"f": sbatch, "d": dbatch}
    return Mkl(str(path), version, gemm, batch, threading, set_threads)


_loaded: Mkl | str | None = None


def load() -> Mkl | str:
    """The MKL library, or why it could not be loaded (loaded once per process)."""
    global _loaded
    if _loaded is None:
        paths = library_paths()
        if not paths:
            _loaded = "MKL is not installed"
        for path in paths:
            try:
                _loaded = _open(path)
                break
            except (OSError, AttributeError) as error:
                _loaded = f"MKL at {path} could not be loaded ({error})"
    assert _loaded is not None
    return _loaded


INTEL = "GenuineIntel"


@functools.cache
def cpu_vendor() -> str:
    """The CPU's vendor string (``"GenuineIntel"``, ``"AuthenticAMD"``, ...) from
    ``/proc/cpuinfo`` or :func:`platform.processor`, or ``""`` when neither names one."""
    vendor = _blas.cpuinfo("vendor_id")
    if vendor:
        return vendor
    words = platform.processor().replace(",", " ").split()
    return next((w for w in words if w in (INTEL, "AuthenticAMD", "HygonGenuine")), "")


def choose_blas(requested: str | None = None) -> tuple[Mkl | None, str, str]:
    """``(mkl or None, description, error)`` for ``requested`` (or ``$PLUGTORCH_NUMBA_BLAS``):
    ``"mkl"``, ``"openblas"``, or empty for MKL when it loads and the CPU is Intel's (or of an
    unknown vendor); ``error`` is non-empty when the request cannot be met.

    MKL picks its code paths by CPU vendor: on an AMD EPYC (Zen 4, AVX-512) its float32 GEMMs
    took up to twice OpenBLAS's time (one thread, ms, OpenBLAS / MKL: the LSTM decoder's
    700x256x10000 37.0 / 79.4, its gradient 39.4 / 51.8, GPT's 1024x128x512 1.51 / 1.76;
    ``benchmarks/bench_gemm_shapes.py``), where on an Intel Xeon it was the faster of the
    two, so unless asked the backend takes MKL on Intel CPUs only."""
    choice = (os.environ.get(BLAS_ENV, "") if requested is None else requested).strip().lower()
    if choice not in ("", "mkl", "openblas"):
        error = f"{BLAS_ENV} must be 'mkl' or 'openblas' (or unset), got {choice!r}"
        return None, "OpenBLAS", error
    if choice == "openblas":
        return None, f"OpenBLAS (numpy's; {BLAS_ENV}=openblas)", ""
    threading_error = threading_choice()[1]
    if threading_error:
        return None, "OpenBLAS", threading_error
    vendor = cpu_vendor()
    if not choice and vendor not in ("", INTEL):
        return None, f"OpenBLAS (numpy's; MKL's GEMMs are slower on this {vendor} CPU)", ""
    mkl = load()
    if isinstance(mkl, Mkl):
        if mkl.threading == "tbb":
            return mkl, f"Intel {mkl.version} (TBB threading layer)", ""
        return mkl, f"Intel {mkl.version} (sequential layer, split over the backend's threads)", ""
    if choice == "mkl":
        error = f"{BLAS_ENV}=mkl, but {mkl}: install it with {INSTALL_HINT}, or unset {BLAS_ENV}"
        return None, "OpenBLAS", error
    return None, f"OpenBLAS (numpy's; {mkl}: {INSTALL_HINT} for MKL)", ""


class _Operand(NamedTuple):
    """A stack of matrices as BLAS reads them: ``array`` (kept alive while BLAS runs), its
    address, trans flag, leading dimension, and the byte steps between matrices, rows and
    columns of the logical (transposed-back) matrix."""

    array: np.ndarray
    address: int
    trans: int
    ld: int
    matrix_step: int
    row_step: int
    col_step: int


def _layout(rows: int, cols: int, s0: int, s1: int) -> tuple[int, int] | None:
    """``(trans, ld)`` with which row-major BLAS reads a rows x cols matrix of element
    strides ``s0, s1``, or None."""
    if s1 == 1 or cols == 1:
        ld = s0 if rows > 1 else cols
        if ld >= max(1, cols):
            return _NO_TRANS, ld
    if s0 == 1 or rows == 1:
        ld = s1 if cols > 1 else rows
        if ld >= max(1, rows):
            return _TRANS, ld
    return None


def _batch_stride(a: np.ndarray, batch: tuple[int, ...]) -> int | None:
    """The one byte stride between the matrices of ``a`` broadcast to ``batch`` (0 when all
    are broadcast), or None when its batch dims do not collapse to one stride."""
    own = a.ndim - 2
    steps = []
    for i, size in enumerate(batch):
        j = i - len(batch) + own
        if size != 1:
            steps.append((size, a.strides[j] if j >= 0 and a.shape[j] != 1 else 0))
    for (_, outer), (size, inner) in zip(steps, steps[1:], strict=False):
        if outer != inner * size:
            return None
    return steps[-1][1] if steps else 0


def _operand(a: np.ndarray, batch: tuple[int, ...]) -> _Operand:
    """``a`` broadcast to ``batch`` as BLAS reads it, copied (to C order) only when BLAS
    cannot: batch dims that do not collapse to one stride, negative or element strides."""
    item = a.itemsize
    rows, cols = a.shape[-2:]
    s0, s1 = a.strides[-2:]
    step = _batch_stride(a, batch)
    layout = None if s0 % item or s1 % item else _layout(rows, cols, s0 // item, s1 // item)
    if step is None or step < 0 or layout is None:
        a = np.ascontiguousarray(np.broadcast_to(a, batch + (rows, cols)))
        s0, s1, step = a.strides[-2], item, rows * cols * item
        layout = _NO_TRANS, max(1, cols)
    return _Operand(a, a.ctypes.data, *layout, step, s0, s1)


def _gemm_2d(
    gemm: Any, sizes: tuple[int, int, int], x: _Operand, y: _Operand, out: np.ndarray, threads: int
) -> None:
    """``out = x @ y`` for (m, k) and (k, n) operands into C-contiguous (m, n) ``out``, in row
    blocks (column blocks when there are more columns) shared by up to ``threads`` threads,
    each of at least :data:`MIN_SPLIT_FLOPS` multiply-adds."""
    m, n, k = sizes
    base, item = out.ctypes.data, out.itemsize

    def rows(a: int, b: int) -> None:
        gemm(
            *(_ROW_MAJOR, x.trans, y.trans, b - a, n, k, 1.0),
            *(x.address + a * x.row_step, x.ld, y.address, y.ld, 0.0, base + a * n * item, n),
        )

    def columns(a: int, b: int) -> None:
        gemm(
            *(_ROW_MAJOR, x.trans, y.trans, m, b - a, k, 1.0),
            *(x.address, x.ld, y.address + a * y.col_step, y.ld, 0.0, base + a * item, n),
        )

    blocks = min(threads * BLOCKS_PER_THREAD, m * n * k // MIN_SPLIT_FLOPS, max(m, n) // 16)
    if threads <= 1 or blocks <= 1:
        rows(0, m)
    else:
        run_blocks(rows if m >= n else columns, max(m, n), blocks, 16)


def _gemm_stack(
    gemm_batch: Any,
    sizes: tuple[int, int, int, int],
    x: _Operand,
    y: _Operand,
    out: np.ndarray,
    threads: int,
) -> None:
    """``out[i] = x[i] @ y[i]`` for a stack of ``count`` products in one MKL call per block
    of the stack, the blocks shared by up to ``threads`` threads."""
    count, m, n, k = sizes
    base, item = out.ctypes.data, out.itemsize
    x_stride, y_stride = x.matrix_step // item, y.matrix_step // item

    def products(a: int, b: int) -> None:
        gemm_batch(
            *(_ROW_MAJOR, x.trans, y.trans, m, n, k, 1.0),
            *(x.address + a * x.matrix_step, x.ld, x_stride),
            *(y.address + a * y.matrix_step, y.ld, y_stride, 0.0),
            *(base + a * m * n * item, n, m * n, b - a),
        )

    blocks = min(threads * BLOCKS_PER_THREAD, count, count * m * n * k // MIN_SPLIT_FLOPS)
    if threads <= 1 or blocks <= 1:
        products(0, count)
    else:
        run_blocks(products, count, blocks, 1)


def gemm_into(mkl: Mkl, x: np.ndarray, y: np.ndarray, out: np.ndarray, threads: int) -> bool:
    """``out[...] = x @ y`` through MKL, on up to ``threads`` threads; ``x`` and ``y`` have
    broadcastable batch dims, ``out`` is C-contiguous of the result's shape. False (nothing
    written) when numpy should do the product: not float32/float64, or fewer than
    :func:`min_flops` multiply-adds per matrix, or empty."""
    gemm = mkl.gemm.get(x.dtype.char)
    if gemm is None or x.dtype != y.dtype or out.dtype != x.dtype:
        return False
    m, k, n = x.shape[-2], x.shape[-1], y.shape[-1]
    if out.size == 0 or k == 0:
        return False  # numpy's zeros (MKL rejects a leading dimension of 0)
    count = out.size // (m * n)
    threshold = min_flops(threads, mkl.threading)
    if m * n * k < threshold:
        # Small matrices: MKL's fixed cost per matrix is above OpenBLAS's. A stack of them
        # times one matrix still goes to MKL when it folds into one large 2-D product.
        if not (y.ndim == 2 and count * m * n * k >= threshold and _folds(x)):
            return False
    batch = out.shape[:-2]
    xo, yo = _operand(x, batch), _operand(y, batch)
    item = x.itemsize
    sizes = (count * m, n, k, m * n, xo.ld, yo.ld, xo.matrix_step // item, yo.matrix_step // item)
    if max(sizes) > _MAX_INT:
        return False  # MKL's 32-bit integers (LP64 interface)
    if mkl.set_threads is not None:  # the TBB layer: MKL threads the one call itself
        mkl.set_threads(max(1, threads))
        threads = 1
    if count == 1 or (yo.matrix_step == 0 and xo.trans == _NO_TRANS and _folds_rows(xo, m)):
        # One matrix, or a stack times one matrix: one (count*m, k) @ (k, n) product.
        _gemm_2d(gemm, (count * m, n, k), xo, yo, out, threads)
    else:
        _gemm_stack(mkl.gemm_batch[x.dtype.char], (count, m, n, k), xo, yo, out, threads)
    return True


def _folds_rows(x: _Operand, m: int) -> bool:
    """Whether a (NoTrans) stack's rows follow each other at one stride across matrices."""
    return x.matrix_step == m * x.row_step


def _folds(x: np.ndarray) -> bool:
    """Whether C-order-like ``x`` of any batch is one (rows, k) matrix of one row stride."""
    rows = x.shape[-2]
    if x.strides[-1] != x.itemsize:
        return False
    step = _batch_stride(x, x.shape[:-2])
    return step is not None and step == rows * x.strides[-2]


def matmul_into(mkl: Mkl | None, x: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
    """``np.matmul(x, y, out=out)`` (C-contiguous ``out``), through MKL when ``mkl`` is given
    and :func:`gemm_into` takes the product, on the backend's threads."""
    if mkl is None or not gemm_into(mkl, x, y, out, num_threads()):
        _blas.matmul(x, y, out)
