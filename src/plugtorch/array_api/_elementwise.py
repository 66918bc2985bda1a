"""Element-wise functions of the array API standard, over plugtorch's ops.

Most are the core op under the standard's name, after the standard's promotion
(:func:`~plugtorch.array_api._helpers.promote_pair`). Functions the core lacks are composed from
differentiable ops (``tan = sin / cos``, ``trunc``, ``hypot``, ``logaddexp``, ...). Inverse
trigonometric and hyperbolic functions, ``signbit``, ``nextafter`` and the bit shifts have no
backend primitive: they run on the host (numpy) and return; the inverse functions carry an
analytic gradient written in tensor ops.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import plugtorch.ops as _ops
from plugtorch import dtypes
from plugtorch.array_api._helpers import (
    HostElementwise,
    check_array,
    host_result,
    promote_all,
    promote_pair,
    to_host,
)
from plugtorch.tensor import Tensor

__all__ = [
    "abs", "acos", "acosh", "add", "asin", "asinh", "atan", "atan2", "atanh", "bitwise_and",
    "bitwise_left_shift", "bitwise_invert", "bitwise_or", "bitwise_right_shift", "bitwise_xor",
    "ceil", "clip", "conj", "copysign", "cos", "cosh", "divide", "equal", "exp", "expm1",
    "floor", "floor_divide", "greater", "greater_equal", "hypot", "imag", "isfinite", "isinf",
    "isnan", "less", "less_equal", "log", "log1p", "log2", "log10", "logaddexp", "logical_and",
    "logical_not", "logical_or", "logical_xor", "maximum", "minimum", "multiply", "negative",
    "nextafter", "not_equal", "positive", "pow", "real", "reciprocal", "remainder", "round",
    "sign", "signbit", "sin", "sinh", "square", "sqrt", "subtract", "tan", "tanh", "trunc",
]  # fmt: skip

Operand = Tensor | bool | int | float


def _float(x: Tensor, name: str) -> Tensor:
    check_array(x, name)
    return x if x._dtype.is_floating_point else x.to(dtypes.get_default_dtype())


def _host_unary(name: str, fn: Any, x: Tensor, derivative: Any) -> Tensor:
    x = _float(x, name)
    return HostElementwise.apply(name, fn, derivative, x)


# --- arithmetic ----------------------------------------------------------------------------- ----
def add(x1: Operand, x2: Operand, /) -> Tensor:
    """``x1 + x2`` with broadcasting."""
    return _ops.add(*promote_pair("add", x1, x2))


def subtract(x1: Operand, x2: Operand, /) -> Tensor:
    """``x1 - x2`` with broadcasting."""
    return _ops.sub(*promote_pair("subtract", x1, x2))


def multiply(x1: Operand, x2: Operand, /) -> Tensor:
    """``x1 * x2`` with broadcasting."""
    return _ops.mul(*promote_pair("multiply", x1, x2))


def divide(x1: Operand, x2: Operand, /) -> Tensor:
    """True division ``x1 / x2`` (integers give the default floating dtype)."""
    return _ops.div(*promote_pair("divide", x1, x2))


def floor_divide(x1: Operand, x2: Operand, /) -> Tensor:
    """``floor(x1 / x2)``; an infinite operand gives the standard's ``±inf`` or ``±0``.

    (Python's ``//``, and so the ``//`` operator, gives nan for ``inf // 2`` and ``-1.0`` for
    ``1.0 // -inf``; the standard asks for ``x1 / x2`` there.)
    """
    a, b = promote_pair("floor_divide", x1, x2)
    quotient = _ops.floor_divide(a, b)
    if not quotient._dtype.is_floating_point:
        return quotient
    one_infinite = isinf(a) ^ isinf(b)
    return _ops.where(one_infinite & ~isnan(a) & ~isnan(b), _ops.div(a, b), quotient)


def remainder(x1: Operand, x2: Operand, /) -> Tensor:
    """``x1 - floor(x1 / x2) * x2`` (the sign of ``x2``, as Python's ``%``)."""
    return _ops.remainder(*promote_pair("remainder", x1, x2))


def pow(x1: Operand, x2: Operand, /) -> Tensor:  # noqa: A001 (the standard's name)
    """``x1 ** x2``."""
    return _ops.pow(*promote_pair("pow", x1, x2))


def maximum(x1: Operand, x2: Operand, /) -> Tensor:
    """Element-wise maximum (nan propagates)."""
    return _ops.maximum(*promote_pair("maximum", x1, x2))


def minimum(x1: Operand, x2: Operand, /) -> Tensor:
    """Element-wise minimum (nan propagates)."""
    return _ops.minimum(*promote_pair("minimum", x1, x2))


def negative(x: Tensor, /) -> Tensor:
    """``-x``."""
    check_array(x, "negative")
    if x._dtype.is_bool:
        raise TypeError("negative() needs a numeric array, got bool")
    return _ops.neg(x)


def positive(x: Tensor, /) -> Tensor:
    """``+x`` (a copy: the values of ``x``)."""
    check_array(x, "positive")
    return _ops.clone(x)


def abs(x: Tensor, /) -> Tensor:  # noqa: A001 (the standard's name)
    """``|x|``."""
    return _ops.abs(check_array(x, "abs"))


def sign(x: Tensor, /) -> Tensor:
    """-1, 0 or 1 (nan for nan)."""
    return _ops.sign(check_array(x, "sign"))


def square(x: Tensor, /) -> Tensor:
    """``x * x``."""
    return _ops.mul(check_array(x, "square"), x)


def sqrt(x: Tensor, /) -> Tensor:
    """Square root."""
    return _ops.sqrt(check_array(x, "sqrt"))


def reciprocal(x: Tensor, /) -> Tensor:
    """``1 / x``."""
    return _ops.reciprocal(check_array(x, "reciprocal"))


def clip(x: Tensor, /, min: Operand | None = None, max: Operand | None = None) -> Tensor:  # noqa: A002
    """``x`` clamped into ``[min, max]``; the result keeps ``x``'s dtype (nan propagates)."""
    check_array(x, "clip")
    out = x
    for bound, combine in ((min, _ops.maximum), (max, _ops.minimum)):
        if bound is None:
            continue
        if isinstance(bound, Tensor):
            bound = bound if bound._dtype is x._dtype else bound.to(x._dtype)
        elif x._dtype.is_integer:
            info = np.iinfo(x._dtype.numpy)
            if bound < info.min or bound > info.max:
                bound = info.min if bound < info.min else info.max
            bound = int(bound)
        elif x._dtype.is_floating_point:
            bound = float(bound)
        out = combine(out, bound)
    return out if out is not x else _ops.clone(x)


# --- exponentials and logarithms ------------------------------------------------------------- ---
def exp(x: Tensor, /) -> Tensor:
    """``e ** x``."""
    return _ops.exp(check_array(x, "exp"))


def expm1(x: Tensor, /) -> Tensor:
    """``e ** x - 1``, accurate near 0."""
    return _ops.expm1(check_array(x, "expm1"))


def log(x: Tensor, /) -> Tensor:
    """Natural logarithm."""
    return _ops.log(check_array(x, "log"))


def log1p(x: Tensor, /) -> Tensor:
    """``log(1 + x)``, accurate near 0."""
    return _ops.log1p(check_array(x, "log1p"))


def log2(x: Tensor, /) -> Tensor:
    """Base-2 logarithm (composite: ``log(x) / log(2)``)."""
    return _ops.log(_float(x, "log2")) / math.log(2.0)


def log10(x: Tensor, /) -> Tensor:
    """Base-10 logarithm (composite: ``log(x) / log(10)``)."""
    return _ops.log(_float(x, "log10")) / math.log(10.0)


def logaddexp(x1: Operand, x2: Operand, /) -> Tensor:
    """``log(exp(x1) + exp(x2))`` without overflow: ``max + log1p(exp(-|x1 - x2|))``."""
    a, b = promote_pair("logaddexp", x1, x2)
    a, b = _float(a, "logaddexp"), _float(b, "logaddexp")
    larger = _ops.maximum(a, b)
    with np.errstate(invalid="ignore"):
        spread = _ops.log1p(_ops.exp(-_ops.abs(a - b)))
    # equal infinities give nan in a - b; there the answer is the shared value
    return _ops.where(a == b, a + math.log(2.0), larger + spread)


# --- trigonometry --------------------------------------------------------------------------------
def sin(x: Tensor, /) -> Tensor:
    """Sine."""
    return _ops.sin(check_array(x, "sin"))


def cos(x: Tensor, /) -> Tensor:
    """Cosine."""
    return _ops.cos(check_array(x, "cos"))


def tan(x: Tensor, /) -> Tensor:
    """Tangent (composite: ``sin(x) / cos(x)``)."""
    x = _float(x, "tan")
    return _ops.sin(x) / _ops.cos(x)


def tanh(x: Tensor, /) -> Tensor:
    """Hyperbolic tangent."""
    return _ops.tanh(check_array(x, "tanh"))


def sinh(x: Tensor, /) -> Tensor:
    """Hyperbolic sine (composite: ``(expm1(x) - expm1(-x)) / 2``, exact at ±0)."""
    x = _float(x, "sinh")
    return (_ops.expm1(x) - _ops.expm1(-x)) * 0.5


def cosh(x: Tensor, /) -> Tensor:
    """Hyperbolic cosine (composite: ``(exp(x) + exp(-x)) / 2``)."""
    x = _float(x, "cosh")
    return (_ops.exp(x) + _ops.exp(-x)) * 0.5


def asin(x: Tensor, /) -> Tensor:
    """Inverse sine (host). Gradient ``1 / sqrt(1 - x**2)``."""
    return _host_unary("asin", np.arcsin, x, lambda g, out, x: (g / _ops.sqrt(1 - x * x),))


def acos(x: Tensor, /) -> Tensor:
    """Inverse cosine (host). Gradient ``-1 / sqrt(1 - x**2)``."""
    return _host_unary("acos", np.arccos, x, lambda g, out, x: (-(g / _ops.sqrt(1 - x * x)),))


def atan(x: Tensor, /) -> Tensor:
    """Inverse tangent (host). Gradient ``1 / (1 + x**2)``."""
    return _host_unary("atan", np.arctan, x, lambda g, out, x: (g / (1 + x * x),))


def asinh(x: Tensor, /) -> Tensor:
    """Inverse hyperbolic sine (host). Gradient ``1 / sqrt(x**2 + 1)``."""
    return _host_unary("asinh", np.arcsinh, x, lambda g, out, x: (g / _ops.sqrt(x * x + 1),))


def acosh(x: Tensor, /) -> Tensor:
    """Inverse hyperbolic cosine (host). Gradient ``1 / sqrt(x**2 - 1)``."""
    return _host_unary("acosh", np.arccosh, x, lambda g, out, x: (g / _ops.sqrt(x * x - 1),))


def atanh(x: Tensor, /) -> Tensor:
    """Inverse hyperbolic tangent (host). Gradient ``1 / (1 - x**2)``."""
    return _host_unary("atanh", np.arctanh, x, lambda g, out, x: (g / (1 - x * x),))


def atan2(x1: Operand, x2: Operand, /) -> Tensor:
    """Angle of the point ``(x2, x1)`` (host). Gradient ``(x2, -x1) / (x1**2 + x2**2)``."""
    a, b = promote_pair("atan2", x1, x2)
    a, b = _float(a, "atan2"), _float(b, "atan2")
    shape = _ops.broadcast_tensors(a, b)
    a, b = shape

    def derivative(g: Tensor, out: Tensor, y: Tensor, x: Tensor) -> tuple[Tensor, Tensor]:
        denominator = x * x + y * y
        return g * x / denominator, -(g * y) / denominator

    return HostElementwise.apply("atan2", np.arctan2, derivative, a, b)


def hypot(x1: Operand, x2: Operand, /) -> Tensor:
    """``sqrt(x1**2 + x2**2)``, ``+inf`` when either is infinite (composite)."""
    a, b = promote_pair("hypot", x1, x2)
    a, b = _float(a, "hypot"), _float(b, "hypot")
    infinite = isinf(a) | isinf(b)
    return _ops.where(infinite, math.inf, _ops.sqrt(a * a + b * b))


# --- rounding -----------------------------------------------------------------------------------
def floor(x: Tensor, /) -> Tensor:
    """Round toward -inf."""
    return _ops.floor(check_array(x, "floor"))


def ceil(x: Tensor, /) -> Tensor:
    """Round toward +inf."""
    return _ops.ceil(check_array(x, "ceil"))


def round(x: Tensor, /) -> Tensor:  # noqa: A001 (the standard's name)
    """Round half to even."""
    return _ops.round(check_array(x, "round"))


def trunc(x: Tensor, /) -> Tensor:
    """Round toward zero (composite: ``ceil`` below zero, ``floor`` above)."""
    check_array(x, "trunc")
    if not x._dtype.is_floating_point:
        return x
    return _ops.where(x < 0, _ops.ceil(x), _ops.floor(x))


# --- sign bits and neighbours --------------------------------------------------------------------
def signbit(x: Tensor, /) -> Tensor:
    """True where the sign bit is set, -0.0 and -nan included (host)."""
    check_array(x, "signbit")
    return host_result("signbit", np.signbit(to_host(x)), x, dtypes.bool_)


def copysign(x1: Operand, x2: Operand, /) -> Tensor:
    """``|x1|`` with the sign bit of ``x2`` (composite over :func:`signbit`)."""
    a, b = promote_pair("copysign", x1, x2)
    a, b = _float(a, "copysign"), _float(b, "copysign")
    magnitude = _ops.abs(a)
    return _ops.where(signbit(b), -magnitude, magnitude)


def nextafter(x1: Operand, x2: Operand, /) -> Tensor:
    """The next representable value after ``x1`` toward ``x2`` (host, no gradient)."""
    a, b = promote_pair("nextafter", x1, x2)
    a, b = _ops.broadcast_tensors(a, b)
    return host_result("nextafter", np.nextafter(to_host(a), to_host(b)), a, a._dtype)


# --- classification ------------------------------------------------------------------------------
def isnan(x: Tensor, /) -> Tensor:
    """True where ``x`` is nan (:func:`plugtorch.isnan`)."""
    return _ops.isnan(check_array(x, "isnan"))


def isinf(x: Tensor, /) -> Tensor:
    """True where ``x`` is ``+inf`` or ``-inf`` (:func:`plugtorch.isinf`)."""
    return _ops.isinf(check_array(x, "isinf"))


def isfinite(x: Tensor, /) -> Tensor:
    """True where ``x`` is neither infinite nor nan (:func:`plugtorch.isfinite`)."""
    return _ops.isfinite(check_array(x, "isfinite"))


# --- complex parts (plugtorch's dtypes are real) -------------------------------------------------
def conj(x: Tensor, /) -> Tensor:
    """The complex conjugate: ``x`` itself for real dtypes."""
    return check_array(x, "conj")


def real(x: Tensor, /) -> Tensor:
    """The real part: ``x`` itself for real dtypes."""
    return check_array(x, "real")


def imag(x: Tensor, /) -> Tensor:
    """The imaginary part: zeros for real dtypes."""
    check_array(x, "imag")
    return _ops.zeros_like(x)


# --- comparisons ---------------------------------------------------------------------------------
def equal(x1: Operand, x2: Operand, /) -> Tensor:
    """``x1 == x2``."""
    return _ops.eq(*promote_pair("equal", x1, x2))


def not_equal(x1: Operand, x2: Operand, /) -> Tensor:
    """``x1 != x2``."""
    return _ops.ne(*promote_pair("not_equal", x1, x2))


def less(x1: Operand, x2: Operand, /) -> Tensor:
    """``x1 < x2``."""
    return _ops.lt(*promote_pair("less", x1, x2))


def less_equal(x1: Operand, x2: Operand, /) -> Tensor:
    """``x1 <= x2``."""
    return _ops.le(*promote_pair("less_equal", x1, x2))


def greater(x1: Operand, x2: Operand, /) -> Tensor:
    """``x1 > x2``."""
    return _ops.gt(*promote_pair("greater", x1, x2))


def greater_equal(x1: Operand, x2: Operand, /) -> Tensor:
    """``x1 >= x2``."""
    return _ops.ge(*promote_pair("greater_equal", x1, x2))


# --- logic and bits ------------------------------------------------------------------------------
def logical_and(x1: Operand, x2: Operand, /) -> Tensor:
    """Element-wise AND of booleans."""
    return _ops.logical_and(*promote_pair("logical_and", x1, x2))


def logical_or(x1: Operand, x2: Operand, /) -> Tensor:
    """Element-wise OR of booleans."""
    return _ops.logical_or(*promote_pair("logical_or", x1, x2))


def logical_xor(x1: Operand, x2: Operand, /) -> Tensor:
    """Element-wise XOR of booleans."""
    return _ops.logical_xor(*promote_pair("logical_xor", x1, x2))


def logical_not(x: Tensor, /) -> Tensor:
    """Element-wise NOT of booleans."""
    return _ops.logical_not(check_array(x, "logical_not"))


def bitwise_and(x1: Operand, x2: Operand, /) -> Tensor:
    """``x1 & x2`` (integers and booleans)."""
    return _ops.bitwise_and(*promote_pair("bitwise_and", x1, x2))


def bitwise_or(x1: Operand, x2: Operand, /) -> Tensor:
    """``x1 | x2`` (integers and booleans)."""
    return _ops.bitwise_or(*promote_pair("bitwise_or", x1, x2))


def bitwise_xor(x1: Operand, x2: Operand, /) -> Tensor:
    """``x1 ^ x2`` (integers and booleans)."""
    return _ops.bitwise_xor(*promote_pair("bitwise_xor", x1, x2))


def bitwise_invert(x: Tensor, /) -> Tensor:
    """``~x`` (integers and booleans)."""
    return _ops.bitwise_not(check_array(x, "bitwise_invert"))


def _shift(name: str, fn: Any, x1: Operand, x2: Operand) -> Tensor:
    a, b = promote_all(name, x1, x2)
    if not a._dtype.is_integer:
        raise TypeError(f"{name}() needs integer arrays, got {a._dtype}")
    a, b = _ops.broadcast_tensors(a, b)
    if bool(_ops.any(b < 0)):
        raise ValueError(f"{name}(): shift amounts must be non-negative")
    values, shifts = to_host(a), to_host(b)
    bits = a._dtype.bits
    big = shifts >= bits
    with np.errstate(all="ignore"):
        out = fn(values, np.where(big, 0, shifts))
    if name == "bitwise_left_shift":
        out = np.where(big, 0, out)
    else:
        out = np.where(big, np.where(values < 0, -1, 0), out)
    return host_result(name, out.astype(a._dtype.numpy), a, a._dtype)


def bitwise_left_shift(x1: Operand, x2: Operand, /) -> Tensor:
    """``x1 << x2`` (integers; host)."""
    return _shift("bitwise_left_shift", np.left_shift, x1, x2)


def bitwise_right_shift(x1: Operand, x2: Operand, /) -> Tensor:
    """``x1 >> x2``, arithmetic for signed integers (host)."""
    return _shift("bitwise_right_shift", np.right_shift, x1, x2)
