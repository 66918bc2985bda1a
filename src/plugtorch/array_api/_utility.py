"""Utility functions of the array API standard."""

from __future__ import annotations

import plugtorch.ops as _ops
from plugtorch.array_api._helpers import as_axes, as_axis, check_array, promote_all
from plugtorch.tensor import Tensor

__all__ = ["all", "any", "diff"]

Axis = int | tuple[int, ...] | None


def all(x: Tensor, /, *, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """True where every element over ``axis`` is nonzero."""
    check_array(x, "all")
    return _ops.all(x, as_axes(axis, x.ndim), keepdims)


def any(x: Tensor, /, *, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """True where some element over ``axis`` is nonzero."""
    check_array(x, "any")
    return _ops.any(x, as_axes(axis, x.ndim), keepdims)


def diff(
    x: Tensor,
    /,
    *,
    axis: int = -1,
    n: int = 1,
    prepend: Tensor | None = None,
    append: Tensor | None = None,
) -> Tensor:
    """The ``n``-th forward difference along ``axis`` (composite: slices and subtraction)."""
    check_array(x, "diff")
    axis = as_axis(axis, x.ndim)
    if n < 0:
        raise ValueError("diff(): n must be non-negative")
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        parts = promote_all("diff", *parts)
        x = _ops.cat(parts, axis)
    for _ in range(n):
        length = x.shape[axis]
        upper = _ops.slice_dim(x, axis, 1, max(length, 1))
        lower = _ops.slice_dim(x, axis, 0, max(length - 1, 0))
        if x._dtype.is_bool:
            x = _ops.ne(upper, lower)
        else:
            x = _ops.sub(upper, lower)
    return x
