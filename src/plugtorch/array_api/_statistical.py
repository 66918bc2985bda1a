"""Statistical functions of the array API standard (``axis``/``keepdims`` spelling).

``cumulative_sum`` and ``cumulative_prod`` have no backend primitive: their forward runs on the
host (numpy) and comes back; their gradients are written with differentiable ops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import plugtorch.ops as _ops
from plugtorch import dtypes
from plugtorch.array_api._helpers import as_axes, as_axis, check_array, from_host, to_host
from plugtorch.autograd.function import Function, FunctionCtx
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


class _CumulativeSum(Function):
    """Running sum along one axis on the host. Gradient: the reversed running sum of grad."""

    @staticmethod
    def forward(ctx: FunctionCtx, x: Tensor, axis: int) -> Tensor:
        ctx.axis = axis  # type: ignore[attr-defined]
        values = np.cumsum(to_host(x), axis=axis, dtype=x._dtype.numpy)
        return from_host(values, x._backend, x._dtype)

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor, None]:
        axis = ctx.axis  # type: ignore[attr-defined]
        flipped = _ops.flip(grad, (axis,))
        return _ops.flip(_CumulativeSum.apply(flipped, axis), (axis,)), None


class _CumulativeProd(Function):
    """Running product on the host. Gradient: ``revcumsum(grad * out) / x`` (x nonzero)."""

    @staticmethod
    def forward(ctx: FunctionCtx, x: Tensor, axis: int) -> Tensor:
        ctx.axis = axis  # type: ignore[attr-defined]
        values = np.cumprod(to_host(x), axis=axis, dtype=x._dtype.numpy)
        out = from_host(values, x._backend, x._dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor, None]:
        axis = ctx.axis  # type: ignore[attr-defined]
        x, out = ctx.saved_tensors
        running = _CumulativeSum.apply(_ops.flip(grad * out, (axis,)), axis)
        reversed_sum = _ops.flip(running, (axis,))
        return reversed_sum / x, None


def _cumulative(
    name: str,
    function: Any,
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
    x = x if x._dtype is target else x.to(target)
    out = function.apply(x, axis)
    if include_initial:
        shape = tuple(1 if i == axis else s for i, s in enumerate(x.shape))
        initial = _ops.full(shape, identity, dtype=target, backend=x._backend)
        out = _ops.cat([initial, out], axis)
    return out


def cumulative_sum(
    x: Tensor, /, *, axis: int | None = None, dtype: Any = None, include_initial: bool = False
) -> Tensor:
    """Running sum along ``axis`` (host forward, differentiable)."""
    return _cumulative("cumulative_sum", _CumulativeSum, 0, x, axis, dtype, include_initial)


def cumulative_prod(
    x: Tensor, /, *, axis: int | None = None, dtype: Any = None, include_initial: bool = False
) -> Tensor:
    """Running product along ``axis`` (host forward; the gradient assumes nonzero ``x``)."""
    return _cumulative("cumulative_prod", _CumulativeProd, 1, x, axis, dtype, include_initial)
