"""Numeric helpers with PyTorch's exact semantics: ``lerp`` (linear interpolation),
``nan_to_num`` (replace nan and infinities), and the comparisons ``isclose``, ``allclose`` and
``equal``.
"""

from __future__ import annotations

import math
from typing import Any

from plugtorch import dtypes
from plugtorch.backend.protocol import Backend
from plugtorch.ops._prepare import prepare_elementwise
from plugtorch.ops.elementwise import where
from plugtorch.ops.registry import apply, mixed_backend_error, op
from plugtorch.tensor import Tensor

__all__ = ["lerp", "nan_to_num", "isclose", "allclose", "equal"]


# --- lerp ---------------------------------------------------------------------------------------


@op("lerp", needs=((2,), (2,), (0, 1)))
def lerp_op(b: Backend, start: Any, end: Any, weight: Any, *, dtype: dtypes.DType) -> Any:
    """start + weight * (end - start), computed as PyTorch does: for |weight| >= 0.5 as
    end - (end - start) * (1 - weight), so weight 1 gives end exactly. Gradient:
    (grad * (1 - weight), grad * weight, grad * (end - start))."""
    shape = tuple(start.shape)
    difference = b.subtract(end, start)
    one = b.broadcast_to(b.full((), 1, dtype), shape)
    half = b.broadcast_to(b.full((), 0.5, dtype), shape)
    near_start = b.add(start, b.multiply(weight, difference))
    near_end = b.subtract(end, b.multiply(difference, b.subtract(one, weight)))
    return b.where(b.less(b.abs(weight), half), near_start, near_end)


@lerp_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
    start, end, weight = ctx.inputs
    return (
        g * (1 - weight) if start.requires_grad else None,
        g * weight if end.requires_grad else None,
        g * (end - start) if weight.requires_grad else None,
    )


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """Linear interpolation ``input + weight * (end - input)``, with broadcasting; ``weight``
    is a number or a tensor. Computed as PyTorch does (from ``end`` when ``|weight| >= 0.5``,
    so ``weight=1`` gives ``end`` exactly). ``input``, ``end`` (and a tensor ``weight``) must
    share one floating dtype. Gradients: ``grad * (1 - weight)``, ``grad * weight`` and
    ``grad * (end - input)``.

    >>> import plugtorch as pt
    >>> pt.lerp(pt.tensor([1.0, 2.0]), pt.tensor([10.0, 10.0]), 0.5)
    tensor([5.5000, 6.0000])
    >>> pt.lerp(pt.zeros(2), pt.ones(2), pt.tensor([0.25, 1.0]))
    tensor([0.2500, 1.0000])
    """
    if not isinstance(input, Tensor) or not isinstance(end, Tensor):
        raise TypeError("lerp(): input and end must be Tensors")
    for label, tensor in (("end", end), ("weight", weight)):
        if isinstance(tensor, Tensor) and tensor._dtype is not input._dtype:
            raise TypeError(
                f"lerp(): expected dtype {input._dtype} for `{label}` but got dtype "
                f"{tensor._dtype}; convert it with .to({input._dtype})"
            )
    if not input._dtype.is_floating_point:
        raise TypeError(f"lerp(): needs floating point tensors, got {input._dtype}")
    if not isinstance(weight, Tensor) and (
        isinstance(weight, bool) or not isinstance(weight, (int, float))
    ):
        raise TypeError(f"lerp(): weight must be a number or a Tensor, got {type(weight)}")
    (x, y, w), common = prepare_elementwise("lerp", (input, end, weight), input._dtype)
    return apply(lerp_op, (x, y, w), common, dtype=common)


# --- nan_to_num ---------------------------------------------------------------------------------


def nan_to_num(
    input: Tensor,
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Tensor:
    """``input`` with nan replaced by ``nan``, +inf by ``posinf`` and -inf by ``neginf``;
    by default 0, the dtype's largest finite value and its lowest. Integer and bool tensors
    come back unchanged (a copy). Gradient: ``grad`` where ``input`` is finite, 0 where a value
    was replaced.

    >>> import plugtorch as pt
    >>> x = pt.tensor([float("nan"), float("inf"), -float("inf"), 3.14])
    >>> pt.nan_to_num(x)
    tensor([ 0.0000e+00,  3.4028e+38, -3.4028e+38,  3.1400e+00])
    >>> pt.nan_to_num(x, nan=2.0, posinf=1.0)
    tensor([ 2.0000e+00,  1.0000e+00, -3.4028e+38,  3.1400e+00])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"nan_to_num(): input must be a Tensor, got {type(input).__name__}")
    for label, value in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise TypeError(f"nan_to_num(): {label} must be a number, got {type(value).__name__}")
    if not input._dtype.is_floating_point:
        return input.clone()
    limits = dtypes.finfo(input._dtype)
    high = float(limits.max) if posinf is None else posinf
    low = float(limits.min) if neginf is None else neginf
    out = where(input != input, float(nan), input)
    out = where(out == math.inf, float(high), out)
    return where(out == -math.inf, float(low), out)


# --- comparisons --------------------------------------------------------------------------------


def isclose(
    input: Tensor,
    other: Tensor,
    rtol: float = 1e-05,
    atol: float = 1e-08,
    equal_nan: bool = False,
) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (a bool tensor, broadcast),
    where both are finite; otherwise close only when equal (nan equals nan with
    ``equal_nan=True``). Both tensors must have one dtype; integers compare exactly when both
    tolerances are 0. Not differentiable.

    >>> import plugtorch as pt
    >>> pt.isclose(pt.tensor((1., 2, 3)), pt.tensor((1 + 1e-10, 3, 4)))
    tensor([ True, False, False])
    >>> pt.isclose(pt.tensor((float('inf'), 4)), pt.tensor((float('inf'), 6)), rtol=.5)
    tensor([True, True])
    """
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError("isclose(): input and other must be Tensors")
    if input._backend is not other._backend:
        raise mixed_backend_error("isclose", input._backend, other._backend)
    if input._dtype is not other._dtype:
        raise TypeError(
            f"isclose(): expected both tensors to have same dtype, but got {input._dtype} and "
            f"{other._dtype}; convert one, e.g. other.to(input.dtype)"
        )
    for label, value in (("rtol", rtol), ("atol", atol)):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError(f"isclose(): {label} must be a number, got {type(value).__name__}")
        if not value >= 0:
            raise ValueError(f"{label} must be greater than or equal to zero, but got {value}")
    close = input == other
    floating = input._dtype.is_floating_point
    if equal_nan and floating:
        close = close | ((input != input) & (other != other))
    if rtol == 0 and atol == 0:
        return close
    if input._dtype is dtypes.bool_:
        input, other = input.to(dtypes.get_default_dtype()), other.to(dtypes.get_default_dtype())
    allowed = atol + (rtol * other).abs()
    actual = (input - other).abs()
    within = actual <= allowed  # false for a nan difference
    if floating:
        within = within & (actual != math.inf)  # infinities are close only when equal
    return close | within


def allclose(
    input: Tensor,
    other: Tensor,
    rtol: float = 1e-05,
    atol: float = 1e-08,
    equal_nan: bool = False,
) -> bool:
    """True when :func:`isclose` holds for every element (a Python bool).

    >>> import plugtorch as pt
    >>> pt.allclose(pt.tensor([10000., 1e-07]), pt.tensor([10000.1, 1e-08]))
    False
    >>> pt.allclose(pt.tensor([10000., 1e-08]), pt.tensor([10000.1, 1e-09]))
    True
    """
    return bool(isclose(input, other, rtol, atol, equal_nan).all().item())


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and equal elements (dtypes may differ;
    nan is never equal to nan). A Python bool.

    >>> import plugtorch as pt
    >>> pt.equal(pt.tensor([1, 2]), pt.tensor([1.0, 2.0]))
    True
    >>> pt.equal(pt.tensor([3, float("nan")]), pt.tensor([3, float("nan")]))
    False
    """
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError("equal(): input and other must be Tensors")
    if input._backend is not other._backend:
        raise mixed_backend_error("equal", input._backend, other._backend)
    if input.shape != other.shape:
        return False
    if input.numel() == 0:
        return True
    return bool((input == other).all().item())
