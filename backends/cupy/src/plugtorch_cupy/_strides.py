"""Stride arithmetic shared by ``reshape(copy=False)`` and ``as_strided``; plain Python over
element strides, so it is tested against numpy on machines without a GPU."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["contiguous_strides", "nocopy_reshape_strides", "extent"]


def contiguous_strides(shape: Sequence[int]) -> tuple[int, ...]:
    """Row-major strides in elements."""
    strides = []
    step = 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def nocopy_reshape_strides(
    shape: Sequence[int], strides: Sequence[int], new_shape: Sequence[int]
) -> tuple[int, ...] | None:
    """Strides (in elements) that view an array of ``shape``/``strides`` as ``new_shape``
    without copying, or None when no view can (numpy's rule: each group of old axes that
    merges or splits into new axes must be contiguous within itself)."""
    if math.prod(shape) != math.prod(new_shape):
        raise ValueError(f"cannot reshape {tuple(shape)} into {tuple(new_shape)}")
    if math.prod(shape) == 0:
        return contiguous_strides(new_shape)
    old = [(size, stride) for size, stride in zip(shape, strides) if size != 1]
    old_dims = [size for size, _ in old]
    old_strides = [stride for _, stride in old]
    new_dims = list(new_shape)
    new_strides = [0] * len(new_dims)
    oi, oj, ni, nj = 0, 1, 0, 1
    while ni < len(new_dims) and oi < len(old_dims):
        new_product, old_product = new_dims[ni], old_dims[oi]
        while new_product != old_product:
            if new_product < old_product:
                new_product *= new_dims[nj]
                nj += 1
            else:
                old_product *= old_dims[oj]
                oj += 1
        for k in range(oi, oj - 1):
            if old_strides[k] != old_dims[k + 1] * old_strides[k + 1]:
                return None
        new_strides[nj - 1] = old_strides[oj - 1]
        for k in range(nj - 1, ni, -1):
            new_strides[k - 1] = new_strides[k] * new_dims[k]
        ni, nj, oi, oj = nj, nj + 1, oj, oj + 1
    last = new_strides[ni - 1] if ni >= 1 else 1
    for k in range(ni, len(new_dims)):
        new_strides[k] = last
    return tuple(new_strides)


def extent(shape: Sequence[int], strides: Sequence[int], offset: int) -> tuple[int, int] | None:
    """``(lowest, highest)`` element offsets a strided view touches, None when it is empty."""
    if any(size == 0 for size in shape):
        return None
    low = high = offset
    for size, stride in zip(shape, strides):
        if stride >= 0:
            high += (size - 1) * stride
        else:
            low += (size - 1) * stride
    return low, high
