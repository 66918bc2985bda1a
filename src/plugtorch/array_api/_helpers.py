"""Shared plumbing of the array-API namespace: standard promotion, axes, host fallbacks.

The namespace is a thin layer over :mod:`plugtorch.ops`. Two things differ from the PyTorch-style
functions and live here once:

* **promotion** follows the standard's table: a 0-d array counts like any other array, and a
  Python scalar takes the dtype of the array it meets (PyTorch lets a wider 0-d tensor lose);
* **host fallbacks**: a few functions need an algorithm no backend primitive provides (sorting,
  unique, searchsorted, inverse trigonometry, ...). They copy the values to the host with the
  backend's ``to_numpy``, compute with numpy, and come back with the backend's ``asarray``.
  Where a gradient makes sense, the backward rule is written with differentiable ops
  (:class:`HostElementwise`), so autograd still flows.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from plugtorch import dtypes
from plugtorch.autograd.function import Function, FunctionCtx
from plugtorch.ops._prepare import normalize_dim, scalar_tensor
from plugtorch.tensor import Tensor

__all__ = [
    "Scalar",
    "check_array",
    "promote_pair",
    "promote_all",
    "standard_result_type",
    "as_axes",
    "as_axis",
    "to_host",
    "from_host",
    "host_result",
    "HostElementwise",
]

Scalar = bool | int | float
_SCALARS = (bool, int, float)


def check_array(x: Any, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{name}() expects a plugtorch Tensor, got {type(x).__name__}; "
            "make one with plugtorch.array_api.asarray()"
        )
    return x


def _scalar_dtype(value: Any, array_dtype: dtypes.DType) -> dtypes.DType:
    """The dtype a Python scalar takes when it meets an array (the standard's rule)."""
    if isinstance(value, bool):
        return array_dtype
    if isinstance(value, int):
        return array_dtype if not array_dtype.is_bool else dtypes.int64
    if isinstance(value, float):
        return array_dtype if array_dtype.is_floating_point else dtypes.get_default_dtype()
    if isinstance(value, complex):
        raise TypeError("plugtorch has no complex dtypes (see docs/array-api.md)")
    raise TypeError(f"unsupported operand type {type(value).__name__}")


def standard_result_type(*types: dtypes.DType) -> dtypes.DType:
    """The standard's promotion of dtypes: 0-d and n-d alike (mixed kinds as in PyTorch)."""
    result = types[0]
    for other in types[1:]:
        if result is other:
            continue
        if result.is_integer and other.is_integer and result.signed != other.signed:
            unsigned = other if result.signed else result
            if unsigned.bits == 64:
                raise TypeError(
                    f"{result} and {other} have no common dtype in the array API standard"
                )
        result = dtypes.promote_types(result, other)
    return result


def promote_all(name: str, *operands: Any) -> list[Tensor]:
    """Tensors of one dtype (the standard's promotion) on one backend; scalars become 0-d."""
    arrays = [o for o in operands if isinstance(o, Tensor)]
    if not arrays:
        raise TypeError(f"{name}() needs at least one array argument")
    common = standard_result_type(*(a._dtype for a in arrays))
    backend = arrays[0]._backend
    result = []
    for operand in operands:
        if isinstance(operand, Tensor):
            result.append(operand if operand._dtype is common else operand.to(common))
        elif isinstance(operand, _SCALARS) or isinstance(operand, complex):
            scalar_type = _scalar_dtype(operand, common)
            if scalar_type is not common:
                # e.g. float scalar with an integer array: the standard leaves it undefined;
                # plugtorch promotes the array (as PyTorch does)
                common_new = scalar_type
                result = [r.to(common_new) for r in result]
                common = common_new
            result.append(scalar_tensor(operand, backend, common, ()))
        else:
            raise TypeError(
                f"{name}(): unsupported operand type {type(operand).__name__}; "
                "expected a plugtorch Tensor or a Python scalar"
            )
    return [r if r._dtype is common else r.to(common) for r in result]


def promote_pair(name: str, x1: Any, x2: Any) -> tuple[Tensor, Tensor]:
    a, b = promote_all(name, x1, x2)
    return a, b


def as_axes(axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...] | None:
    """``None`` (all axes) or a tuple of non-negative axes, checked."""
    if axis is None:
        return None
    if isinstance(axis, int):
        return (normalize_dim(axis, ndim, "axis"),)
    axes = tuple(normalize_dim(a, ndim, "axis") for a in axis)
    if len(set(axes)) != len(axes):
        raise ValueError(f"axis {tuple(axis)} names an axis twice")
    return axes


def as_axis(axis: int, ndim: int) -> int:
    if not -ndim <= axis < max(ndim, 1) or (ndim == 0 and axis not in (0, -1)):
        raise IndexError(f"axis {axis} is out of range for an array with {ndim} dimensions")
    return normalize_dim(axis, ndim, "axis")


# --- host fallbacks ---------------------------------------------------------------------------


def to_host(x: Tensor) -> np.ndarray:
    """The tensor's values as numpy (no copy on host backends)."""
    return np.asarray(x._backend.to_numpy(x._data))


def from_host(values: Any, backend: Any, dtype: dtypes.DType | None = None) -> Tensor:
    """A numpy result back on ``backend`` (a copy)."""
    host = np.asarray(values)
    if dtype is None:
        dtype = dtypes.from_numpy_dtype(host.dtype)
    return Tensor._make(backend.asarray(host, dtype), backend, dtype)


def host_result(name: str, values: Any, like: Tensor, dtype: dtypes.DType | None = None) -> Tensor:
    """A host result with no gradient; backward() will name ``name`` if one was needed."""
    out = from_host(values, like._backend, dtype)
    if like.requires_grad or like._nondiff is not None:
        out._nondiff = name
    return out


Derivative = Callable[..., tuple[Tensor | None, ...]]


class HostElementwise(Function):
    """An elementwise function computed on the host, with a backward rule in tensor ops.

    ``HostElementwise.apply(name, numpy_function, derivative, *tensors)``: the tensors already
    share a dtype and a shape; ``derivative(grad, output, *tensors)`` returns one gradient per
    tensor, written with differentiable plugtorch ops.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, name: str, fn: Any, derivative: Any, *tensors: Any) -> Tensor:
        first = tensors[0]
        with np.errstate(all="ignore"):
            values = fn(*(to_host(t) for t in tensors))
        out = from_host(np.asarray(values, dtype=first._dtype.numpy), first._backend, first._dtype)
        ctx.derivative = derivative  # type: ignore[attr-defined]
        ctx.save_for_backward(out, *tensors)
        return out

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Any) -> Any:
        output, *tensors = ctx.saved_tensors
        grads = ctx.derivative(grad, output, *tensors)  # type: ignore[attr-defined]
        return (None, None, None, *grads)
