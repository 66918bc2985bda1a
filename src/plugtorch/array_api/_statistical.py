"""Statistical functions of the array API standard (``axis``/``keepdims`` spelling).

``cumulative_sum`` and ``cumulative_prod`` are the core's ``cumsum`` and ``cumprod`` (the
backend's optional primitive or the host) plus the standard's ``include_initial``.
"""

from __future__ import annotations

from typing import Any

import plugtorch.ops as _ops
from plugtorch import dtypes
from plugtorch.array_api._helpers import as_axes, as_axis, check_array
from plugtorch.tensor import Tensor

__all__ = [
    "cumulative_prod", "cumulative_sum", "max", "mean", "min", "prod", "std", "sum", "var",
]  # fmt: skip

Axis = int | tuple[int, ...] | None


def _accumulator(x: Tensor, dtype: Any) -> dtypes.DType:
    """The standard's default result dtype of sum/prod/cumulative_*: widen small integers."""
    if dtype is not None:
        return dtypes.as_dtype(dtype)
    if x._dtype.is_bool:
        return dtypes.int64
    if x._dtype.is_integer:
        return dtypes.int64 if x._dtype.signed else dtypes.uint64
    return x._dtype


def sum(x: Tensor, /, *, axis: Axis = None, dtype: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (all axes by default)."""
    check_array(x, "sum")
    return _ops.sum(x, as_axes(axis, x.ndim), keepdims, dtype=_accumulator(x, dtype))


def prod(x: Tensor, /, *, axis: Axis = None, dtype: Any = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis``."""
    check_array(x, "prod")
    return _ops.prod(x, as_axes(axis, x.ndim), keepdims, dtype=_accumulator(x, dtype))


def max(x: Tensor, /, *, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Largest element over ``axis`` (nan propagates)."""
    check_array(x, "max")
    return _ops.amax(x, as_axes(axis, x.ndim), keepdims)


def min(x: Tensor, /, *, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Smallest element over ``axis`` (nan propagates)."""
    check_array(x, "min")
    return _ops.amin(x, as_axes(axis, x.ndim), keepdims)


def mean(x: Tensor, /, *, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis`` (floating dtypes)."""
    check_array(x, "mean")
    return _ops.mean(x, as_axes(axis, x.ndim), keepdims)


def var(
    x: Tensor, /, *, axis: Axis = None, correction: int | float = 0.0, keepdims: bool = False
) -> Tensor:
    """Variance ``sum((x - mean)**2) / (N - correction)`` over ``axis``."""
    check_array(x, "var")
    return _ops.var(x, as_axes(axis, x.ndim), None, keepdims, correction=correction)


def std(
    x: Tensor, /, *, axis: Axis = None, correction: int | float = 0.0, keepdims: bool = False
) -> Tensor:
    """Standard deviation: ``sqrt(var)`` over ``axis``."""
    check_array(x, "std")
    return _ops.sqrt(var(x, axis=axis, correction=correction, keepdims=keepdims))


def _cumulative(
    name: str,
    scan: Any,
    identity: int,
    x: Tensor,
    axis: int | None,
    dtype: Any,
    include_initial: bool,
) -> Tensor:
    check_array(x, name)
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"{name}(): axis is required for arrays with more than one axis")
        axis = 0
    if x.ndim == 0:
        raise ValueError(f"{name}() needs an array with at least one axis")
    axis = as_axis(axis, x.ndim)
    target = _accumulator(x, dtype)
    out = scan(x, axis, dtype=target)
    if include_initial:
        shape = tuple(1 if i == axis else s for i, s in enumerate(x.shape))
        initial = _ops.full(shape, identity, dtype=target, backend=x._backend)
        out = _ops.cat([initial, out], axis)
    return out


def cumulative_sum(
    x: Tensor, /, *, axis: int | None = None, dtype: Any = None, include_initial: bool = False
) -> Tensor:
    """Running sum along ``axis`` (differentiable)."""
    return _cumulative("cumulative_sum", _ops.cumsum, 0, x, axis, dtype, include_initial)


def cumulative_prod(
    x: Tensor, /, *, axis: int | None = None, dtype: Any = None, include_initial: bool = False
) -> Tensor:
    """Running product along ``axis`` (differentiable, zeros included)."""
    return _cumulative("cumulative_prod", _ops.cumprod, 1, x, axis, dtype, include_initial)
