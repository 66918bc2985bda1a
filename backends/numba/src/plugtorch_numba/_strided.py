"""Turn same-shape arrays of any strides into 2-D views a kernel can loop over quickly.

numpy picks the loop order from the strides; a kernel looping in logical order over a
transposed view is several times slower. ``plan_2d`` does what numpy's iterator does for the
common cases: order the axes by decreasing stride (memory order of the first operand that is
not broadcast along that axis), drop length-1 axes, merge axes that are contiguous with their
neighbour in *every* operand, and, if at most two axes remain, return 2-D ``as_strided`` views
(inner axis = smallest stride, so contiguous rows vectorise) and a C-contiguous output buffer
laid out in the same memory order (what numpy's ``order="K"`` gives).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = ["plan_2d"]


def plan_2d(
    arrays: Sequence[np.ndarray],
    out_dtype: Any,
    empty: Callable[[list[int], Any], np.ndarray] = np.empty,
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray] | None:
    """``(inputs as 2-D views, 2-D output view, result array)`` or None when more than two
    axes stay separate after merging (the caller then falls back to numpy). ``empty(shape,
    dtype)`` allocates the C-contiguous output buffer (e.g. from a buffer pool)."""
    shape = arrays[0].shape
    nd = len(shape)
    strides = [a.strides for a in arrays]
    axes = [k for k in range(nd) if shape[k] != 1]
    # Decreasing |stride| of the first operand that is not broadcast along any axis (a where's
    # broadcast condition must not choose the order: with the condition's zero strides
    # ranking the batch axes innermost, the kernel read the scores across the batch, 4096
    # floats apart, and wrote its output in that order, which the next softmax then copied:
    # in GPT's profile where 7.1 -> 4.9 ms and softmax 6.0 -> 3.3 ms per step while the
    # unchanged GEMMs went 62 -> 51 ms with the machine's drift), then the others; stable
    # so ties keep logical order.
    full = [s for s in strides if all(s[k] for k in axes)]
    ranked = full[:1] + strides
    axes.sort(key=lambda k: tuple(-abs(s[k]) for s in ranked))
    merged_shape: list[int] = []
    merged_strides: list[list[int]] = [[] for _ in arrays]
    for k in axes:
        if merged_shape and all(
            ms[-1] == s[k] * shape[k] for ms, s in zip(merged_strides, strides)
        ):
            merged_shape[-1] *= shape[k]
            for ms, s in zip(merged_strides, strides):
                ms[-1] = s[k]
        else:
            merged_shape.append(shape[k])
            for ms, s in zip(merged_strides, strides):
                ms.append(s[k])
    if len(merged_shape) > 2:
        return None
    while len(merged_shape) < 2:
        merged_shape.insert(0, 1)
        for ms in merged_strides:
            ms.insert(0, 0)
    # Output: C-contiguous in the chosen axis order, then viewed back in logical order.
    order = axes + [k for k in range(nd) if shape[k] == 1]
    buffer = empty([shape[k] for k in order], out_dtype)
    result = buffer.transpose(np.argsort(order)) if order != list(range(nd)) else buffer
    out2 = buffer.reshape(merged_shape)
    views = [
        as_strided(a, shape=tuple(merged_shape), strides=tuple(ms), writeable=False)
        for a, ms in zip(arrays, merged_strides)
    ]
    return views, out2, result
