"""Choose a reduction kernel from where the reduced axes sit in memory."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from plugtorch_numba._threads import MIN_THREADED, num_threads, parallel_blocks

__all__ = ["reduce_sum_max_min"]

# Below this many output columns the column kernel's vectors are too short; numpy is better.
_MIN_COLUMNS = 64
# The column-sum kernel splits the reduced axis into chunks of at least this many rows when
# that is needed to give every thread a few tasks.
_MIN_CHUNK_ROWS = 64
_MIN_TASKS = 2 * num_threads()  # more, smaller chunks measured slower (1.2 vs 1.0-1.1 ms)


def _dense_perm(x: np.ndarray) -> tuple[np.ndarray, list[int]] | None:
    """``(x.transpose(perm) C-contiguous, perm)`` if x is dense in some axis order, else None."""
    if x.flags.c_contiguous:
        return x, list(range(x.ndim))
    perm = sorted(range(x.ndim), key=lambda k: -abs(x.strides[k]) if x.shape[k] != 1 else 0)
    xt = x.transpose(perm)
    if xt.flags.c_contiguous:
        return xt, perm
    return None


def reduce_sum_max_min(
    kind: str,
    x: np.ndarray,
    axis: tuple[int, ...],
    keepdims: bool,
    kernels: Any,
    fallback: Callable[[], np.ndarray],
) -> np.ndarray:
    """``sum``/``max``/``min`` of ``x`` over ``axis`` with a parallel kernel, or ``fallback()``
    when no kernel fits (bool, strided or broadcast input, scattered axes, few columns)."""
    dense = _dense_perm(x)
    if dense is None or x.dtype == np.bool_:
        return fallback()
    xt, perm = dense
    reduced = sorted(perm.index(a) for a in axis)
    if reduced != list(range(reduced[0], reduced[-1] + 1)):
        return fallback()
    shape = xt.shape
    r0, r1 = reduced[0], reduced[-1] + 1
    outer, inner, cols = math.prod(shape[:r0]), math.prod(shape[r0:r1]), math.prod(shape[r1:])
    floating = x.dtype.kind == "f"
    acc_dtype = np.float64 if floating else np.int64
    if cols == 1:
        rows = xt.reshape(outer, inner)
        if kind == "sum":
            nch = -(-inner // kernels.CHUNK)
            partial = np.zeros((outer, nch), dtype=acc_dtype)
            parallel_blocks(kernels.sum_rows, (rows, partial), outer * nch, x.size)
            flat = partial.sum(axis=1) if nch > 1 else partial[:, 0]
        else:
            # numpy's SIMD reduction (nan wins): numba does not vectorise a float max/min
            # (LLVM wants no-nans fast-math for it), and the row kernel ran 2.5x slower on two
            # threads than numpy on one (700x10000 float32: 2137 against 847 us).
            flat = getattr(np, kind)(rows, axis=1)
    elif cols >= _MIN_COLUMNS:
        blocks = xt.reshape(outer, inner, cols)
        if kind == "sum":
            # Split the reduced axis too when (outer, column block) alone gives few tasks
            # to threads; not below the threading size, where one thread does it all and
            # the chunks cost a second pass (128x256 float32 bias gradients 14.7 -> 8.3 us,
            # numpy 6.9-9.0). The split depends on the size only, not on the thread count
            # set at run time: the same bits on one thread or two.
            tasks = outer * -(-cols // kernels.COL_BLOCK)
            nch = 1
            if x.size >= MIN_THREADED:
                nch = max(1, min(inner // _MIN_CHUNK_ROWS, -(-_MIN_TASKS // tasks)))
            partial = np.empty((outer, nch, cols), dtype=acc_dtype)
            parallel_blocks(kernels.sum_cols, (blocks, partial), tasks * nch, x.size)
            out2 = partial[:, 0] if nch == 1 else partial.sum(axis=1)
        else:
            out2 = np.empty((outer, cols), dtype=x.dtype)
            kernel = kernels.max_cols if kind == "max" else kernels.min_cols
            parallel_blocks(kernel, (blocks, out2), -(-cols // kernels.COL_BLOCK) * outer, x.size)
        flat = out2
    else:
        return fallback()
    kept_perm = [perm[d] for d in range(x.ndim) if d < r0 or d >= r1]
    kept_shape = [shape[d] for d in range(x.ndim) if d < r0 or d >= r1]
    result = np.asarray(flat, dtype=x.dtype).reshape(kept_shape)
    if kept_perm != sorted(kept_perm):
        result = np.ascontiguousarray(result.transpose(np.argsort(kept_perm)))
    if keepdims:
        result = np.expand_dims(result, axis)
    return result
