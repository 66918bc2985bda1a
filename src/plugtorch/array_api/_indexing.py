"""Indexing functions of the array API standard (differentiable gathers)."""

from __future__ import annotations

import plugtorch.ops as _ops
from plugtorch.array_api._helpers import as_axis, check_array
from plugtorch.tensor import Tensor

__all__ = ["take", "take_along_axis"]


def _non_negative(indices: Tensor, size: int) -> Tensor:
    if indices._dtype.is_floating_point or indices._dtype.is_bool:
        raise TypeError(f"indices must have an integer dtype, got {indices._dtype}")
    indices = indices.to("int64")
    return _ops.where(indices < 0, indices + size, indices)


def take(x: Tensor, indices: Tensor, /, *, axis: int | None = None) -> Tensor:
    """Elements of ``x`` at ``indices`` along ``axis`` (negative indices count from the end)."""
    check_array(x, "take")
    if axis is None:
        if x.ndim > 1:
            raise ValueError("take(): axis is required for arrays with more than one axis")
        axis = 0
    axis = as_axis(axis, x.ndim)
    size = x.shape[axis] if x.ndim else 1
    return _ops.index_select(x, axis, _non_negative(check_array(indices, "take"), size))


def take_along_axis(x: Tensor, indices: Tensor, /, *, axis: int = -1) -> Tensor:
    """Elements of ``x`` at ``indices`` along ``axis`` (other axes broadcast)."""
    check_array(x, "take_along_axis")
    check_array(indices, "take_along_axis")
    if indices.ndim != x.ndim:
        raise ValueError("take_along_axis(): x and indices must have the same number of axes")
    axis = as_axis(axis, x.ndim)
    x_shape = list(x.shape)
    index_shape = list(indices.shape)
    for d in range(x.ndim):
        if d != axis:
            size = (
                max(x_shape[d], index_shape[d])
                if 1 in (x_shape[d], index_shape[d])
                else (x_shape[d])
            )
            x_shape[d] = index_shape[d] = size
    index_shape[axis] = indices.shape[axis]
    x = _ops.broadcast_to(x, tuple(x_shape))
    indices = _ops.broadcast_to(indices, tuple(index_shape))
    return _ops.gather(x, axis, _non_negative(indices, x.shape[axis]))
