"""Searching functions of the array API standard.

``nonzero`` has a data-dependent output size: it runs on the host and returns to the backend;
``searchsorted`` is the core's binary search on the backend. No gradient: both give indices.
"""

from __future__ import annotations

from typing import Any, Literal

import plugtorch.ops as _ops
from plugtorch import dtypes
from plugtorch.array_api._helpers import (
    as_axes,
    as_axis,
    check_array,
    promote_all,
)
from plugtorch.tensor import Tensor

__all__ = ["argmax", "argmin", "count_nonzero", "nonzero", "searchsorted", "where"]


def argmax(x: Tensor, /, *, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the first largest element (of the flattened array when ``axis`` is None)."""
    check_array(x, "argmax")
    return _ops.argmax(x, None if axis is None else as_axis(axis, x.ndim), keepdims)


def argmin(x: Tensor, /, *, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the first smallest element."""
    check_array(x, "argmin")
    return _ops.argmin(x, None if axis is None else as_axis(axis, x.ndim), keepdims)


def count_nonzero(
    x: Tensor, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> Tensor:
    """Number of nonzero elements over ``axis`` (int64)."""
    check_array(x, "count_nonzero")
    return _ops.sum(_ops.ne(x, 0), as_axes(axis, x.ndim), keepdims, dtype=dtypes.int64)


def nonzero(x: Tensor, /) -> tuple[Tensor, ...]:
    """One int64 index array per axis, locating the nonzero elements (host)."""
    check_array(x, "nonzero")
    if x.ndim == 0:
        raise ValueError("nonzero() needs an array with at least one axis")
    return tuple(_ops.nonzero(x, as_tuple=True))


def searchsorted(
    x1: Tensor,
    x2: Tensor | int | float,
    /,
    *,
    side: Literal["left", "right"] = "left",
    sorter: Tensor | None = None,
) -> Tensor:
    """Insertion points of ``x2`` in the sorted 1-D ``x1`` (the core's binary search)."""
    check_array(x1, "searchsorted")
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    if x1.ndim != 1:
        raise ValueError("searchsorted(): x1 must be one-dimensional")
    a, b = promote_all("searchsorted", x1, x2)
    return _ops.searchsorted(a, b, side=side, sorter=sorter)


def where(condition: Tensor, x1: Any, x2: Any, /) -> Tensor:
    """``x1`` where ``condition`` is true, else ``x2`` (broadcast; scalars allowed)."""
    check_array(condition, "where")
    if condition._dtype is not dtypes.bool_:
        condition = _ops.ne(condition, 0)
    if not isinstance(x1, Tensor) and not isinstance(x2, Tensor):
        raise TypeError("where(): at least one of x1 and x2 must be an array")
    a, b = promote_all("where", x1, x2)
    return _ops.where(condition, a, b)
