"""Reductions over any axes with the kernels of ``kernels/reduce.cu``.

The input is seen as a C-contiguous ``[A, R, B]`` array: ``R`` is the product of the reduced
axes, ``A`` and ``B`` of the kept axes before and after them (:func:`layout`; axes that are not
adjacent are first moved behind the kept ones, one copy). Each pass splits ``R`` into ``S``
chunks so that the device has enough blocks, writes ``[A, S, B]`` partial results, and the
next pass reduces those, until one pass needs no split (:func:`plan_splits`). The planning is
plain Python, tested against numpy on the CPU.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from plugtorch_cupy._kernels import BLOCK, KernelCache

__all__ = ["KERNEL_DTYPES", "layout", "plan_splits", "chunk_bounds", "fits", "reduce_axes"]

KERNEL_DTYPES = frozenset({"float32", "float64", "int64"})
OPS = frozenset({"sum", "max", "min"})
# A row block should stride over at least this many elements per thread before splitting
# pays: 4 loads in flight per thread (the kernel's four accumulators), a few rounds of them.
_MIN_ROW_CHUNK = BLOCK * 16
_MIN_COL_CHUNK = 64


def layout(
    shape: tuple[int, ...], axes: tuple[int, ...]
) -> tuple[tuple[int, ...] | None, int, int, int]:
    """``(permutation or None, A, R, B)``: how to see an array of ``shape`` as ``[A, R, B]``
    when reducing ``axes`` (sorted, distinct, non-empty). The permutation is None when the
    reduced axes are adjacent (no copy needed for a C-contiguous input)."""
    first, last = axes[0], axes[-1]
    if last - first + 1 == len(axes):
        return (
            None,
            math.prod(shape[:first]),
            math.prod(shape[first : last + 1]),
            math.prod(shape[last + 1 :]),
        )
    kept = tuple(d for d in range(len(shape)) if d not in axes)
    return kept + axes, math.prod(shape[d] for d in kept), math.prod(shape[d] for d in axes), 1


def plan_splits(a: int, r: int, b: int, sm_count: int) -> int:
    """Chunks to split each reduced run of length ``r`` into, so that about 4 blocks per
    multiprocessor run, each chunk still long enough to be worth a block (or a thread, for
    columns). Always < r when > 1, so repeated passes end."""
    target_blocks = 4 * sm_count
    if b == 1:
        have = a
        most = r // _MIN_ROW_CHUNK
    else:
        have = a * -(-b // BLOCK)
        most = r // _MIN_COL_CHUNK
    if have >= target_blocks or most <= 1:
        return 1
    return int(min(most, -(-target_blocks // have)))


def fits(shape: tuple[int, ...], axes: tuple[int, ...], sm_count: int) -> bool:
    """Whether the kernels' grid can hold this reduction (a column pass puts ``A * S`` blocks
    on the grid's y axis, at most 65,535)."""
    _, a, r, b = layout(shape, axes)
    return b == 1 or a * plan_splits(a, r, b, sm_count) <= 65535


def chunk_bounds(r: int, splits: int, split: int) -> tuple[int, int]:
    """``[start, end)`` of chunk ``split`` as the kernels compute it."""
    chunk = -(-r // splits)
    start = split * chunk
    return start, min(r, start + chunk)


def reduce_axes(
    cupy: Any, kernels: KernelCache, x: Any, op: str, axes: tuple[int, ...], keepdims: bool
) -> Any:
    """``op`` (sum, max, min) of ``x`` over ``axes`` with the kernels; x's dtype is one of
    :data:`KERNEL_DTYPES`, ``axes`` non-empty and every size positive."""
    permutation, a, r, b = layout(x.shape, axes)
    data = x if permutation is None else cupy.transpose(x, permutation)
    data = cupy.ascontiguousarray(data)
    dtype = x.dtype.name
    while True:
        splits = plan_splits(a, r, b, kernels.sm_count())
        out = cupy.empty((a, splits, b), dtype=x.dtype)
        if b == 1:
            kernel = kernels.function("reduce.cu", f"reduce_rows_{op}_{dtype}")
            kernel((a * splits,), (BLOCK,), (data, out, np.int64(a), np.int64(r), np.int64(splits)))
        else:
            kernel = kernels.function("reduce.cu", f"reduce_cols_{op}_{dtype}")
            grid = (-(-b // BLOCK), a * splits)
            kernel(grid, (BLOCK,), (data, out, *(np.int64(v) for v in (a, r, b, splits))))
        if splits == 1:
            break
        data, r = out, splits
    kept = [n for d, n in enumerate(x.shape) if d not in axes]
    result = out.reshape(kept)
    if keepdims:
        result = result.reshape([1 if d in axes else n for d, n in enumerate(x.shape)])
    return result
