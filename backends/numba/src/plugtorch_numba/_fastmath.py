"""Vectorisable ``exp``, ``tanh``, ``sigmoid`` and ``erf`` for the fused kernels.

numba calls libm's scalar ``expf`` for ``math.exp`` (the PyPI llvmlite has no vector math
library), which keeps LLVM from vectorising any loop that contains it: an exp loop over 2^19
float32 ran 4x slower than numpy's AVX-512 ``np.exp``. For float32 these helpers compute exp
from arithmetic only: ``exp(x) = 2^k * exp(r)`` with ``k = round(x / ln 2)`` (Cody-Waite
reduction, ``|r| <= ln(2) / 2``), Cephes' degree-6 polynomial for ``exp(r)`` and ``2^k`` built
from its bits, which vectorises (faster than ``np.exp`` on one core; at most 1.4 ulp from the
correctly rounded value over float32's normal range; subnormal results are rounded more
coarsely, and overflow gives inf). float64 inputs use libm (``math.exp``, exact to numpy's
rounding): float64 is the accuracy path, float32 the fast one.

The functions are ``overload``-ed on the argument type, so one kernel source compiles to the
fast path for float32 and the libm path for float64.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]
from numba import types
from numba.extending import intrinsic, overload

__all__ = ["exp", "tanh", "sigmoid", "erf", "select"]


@intrinsic
def _int32_as_float32(typingctx, bits):  # type: ignore[no-untyped-def]
    """The float32 whose bits are ``bits`` (one LLVM bitcast: vectorises)."""
    if bits != types.int32:
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], ir.FloatType())

    return types.float32(types.int32), codegen


@intrinsic
def _llvm_select(typingctx, condition, if_true, if_false):  # type: ignore[no-untyped-def]
    if condition != types.boolean or if_true != if_false:
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.select(args[0], args[1], args[2])

    return if_true(types.boolean, if_true, if_false), codegen


def select(condition, if_true, if_false):  # type: ignore[no-untyped-def]
    """``if_true if condition else if_false``; compiled, one LLVM ``select``: no branch, so
    loops vectorise, and safe to inline many times into one kernel (numba's inlining of a
    conditional expression used more than once per function trips its SSA check)."""
    return if_true if condition else if_false


@overload(select, inline="always")
def _select(condition, if_true, if_false):  # type: ignore[no-untyped-def]
    return lambda condition, if_true, if_false: _llvm_select(condition, if_true, if_false)


_F = np.float32
_LOG2E = _F(1.4426950408889634)
_LN2_HI = _F(0.693359375)  # ln 2 split so that k * _LN2_HI is exact for |k| < 2^10
_LN2_LO = _F(-2.12194440e-4)
_ROUND = _F(12582912.0)  # 1.5 * 2^23: adding and subtracting it rounds to an integer
_EXP_MIN = _F(-104.0)  # exp below it rounds to 0 in float32
_EXP_MAX = _F(89.0)  # exp above it overflows to inf in float32


def _exp_float32(x):  # type: ignore[no-untyped-def]
    # Below _EXP_MIN (a causal mask's -inf) the result is 0: computed from x = 0 instead, as
    # the vector code computes both sides of a select, and 2^-150 times p would take the
    # CPU's slow subnormal path (7.4 instead of 0.5 ns per value)
    tiny = x < _EXP_MIN
    clamped = min(max(select(tiny, _F(0.0), x), _EXP_MIN), _EXP_MAX)
    k = (clamped * _LOG2E + _ROUND) - _ROUND
    r = clamped - k * _LN2_HI - k * _LN2_LO
    p = _F(1.9875691500e-4)
    p = p * r + _F(1.3981999507e-3)
    p = p * r + _F(8.3334519073e-3)
    p = p * r + _F(4.1665795894e-2)
    p = p * r + _F(1.6666665459e-1)
    p = p * r + _F(5.0000001201e-1)
    p = p * r * r + r + _F(1.0)
    # 2^k as two normal factors 2^(k//2) * 2^(k - k//2): k from -150 to 128 gives results
    # down through the subnormals to 0 and up to inf by plain multiplication
    whole = np.int32(k)
    half = whole >> np.int32(1)
    low = _int32_as_float32(np.int32((half + np.int32(127)) << np.int32(23)))
    high = _int32_as_float32(np.int32((whole - half + np.int32(127)) << np.int32(23)))
    value = select(tiny, _F(0.0), p * low * high)
    return select(x == x, value, x)  # noqa: PLR0124 (nan stays nan)


def exp(x):  # type: ignore[no-untyped-def]
    """e**x (float32: vectorisable, within 1.4 ulp; float64: libm). Run as Python
    (``NUMBA_DISABLE_JIT=1``): numpy's exp, which overflows to inf as the compiled code does
    (``math.exp`` would raise)."""
    with np.errstate(over="ignore"):
        return np.exp(x)


@overload(exp, inline="always")
def _exp(x):  # type: ignore[no-untyped-def]
    if x == types.float32:
        return _exp_float32
    return lambda x: math.exp(x)


def tanh(x):  # type: ignore[no-untyped-def]
    """tanh(x): ``(1 - e) / (1 + e)`` with ``e = exp(-2|x|)``, an odd Taylor polynomial below
    |x| = 0.1 (where ``1 - e`` would cancel); float64: libm."""
    return math.tanh(x)


@overload(tanh, inline="always")
def _tanh(x):  # type: ignore[no-untyped-def]
    if x != types.float32:
        return lambda x: math.tanh(x)

    def tanh_float32(x):  # type: ignore[no-untyped-def]
        a = abs(x)
        e = exp(_F(-2.0) * a)
        big = (_F(1.0) - e) / (_F(1.0) + e)
        s = x * x
        small = x * (_F(1.0) + s * (_F(-1.0 / 3.0) + s * (_F(2.0 / 15.0) + s * _F(-17.0 / 315.0))))
        value = select(a < _F(0.1), small, select(x > _F(0.0), big, -big))
        return select(x == x, value, x)  # noqa: PLR0124 (nan stays nan)

    return tanh_float32


def sigmoid(x):  # type: ignore[no-untyped-def]
    """1 / (1 + exp(-x)), stable for large |x| (as Python: the compiled formula below)."""
    e = np.exp(-abs(x))
    return (1.0 if x >= 0 else e) / (1.0 + e)


@overload(sigmoid, inline="always")
def _sigmoid(x):  # type: ignore[no-untyped-def]
    one = np.float32(1.0) if x == types.float32 else np.float64(1.0)
    zero = one - one

    def stable(x):  # type: ignore[no-untyped-def]
        # exp(-|x|) never overflows; then 1/(1+e) or e/(1+e) by sign (as the core's formula)
        e = exp(-abs(x))
        return select(x >= zero, one, e) / (one + e)

    return stable


# Abramowitz & Stegun 7.1.26, as the core's erf (plugtorch.nn.functional.activation): |error|
# below 1.5e-7.
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
_ERF_P = 0.3275911


def erf(x):  # type: ignore[no-untyped-def]
    """The error function by Abramowitz & Stegun 7.1.26 (the core's formula)."""
    return math.erf(x)


@overload(erf, inline="always")
def _erf(x):  # type: ignore[no-untyped-def]
    dtype = np.float32 if x == types.float32 else np.float64
    a0, a1, a2, a3, a4 = (dtype(a) for a in _ERF_A)
    p, one, zero = dtype(_ERF_P), dtype(1.0), dtype(0.0)

    def erf_as(x):  # type: ignore[no-untyped-def]
        ax = abs(x)
        t = one / (one + p * ax)
        poly = (((a4 * t + a3) * t + a2) * t + a1) * t + a0
        value = one - poly * t * exp(-(ax * ax))
        signed = select(x > zero, value, -value)
        return select((x == zero) | (x != x), x, signed)  # noqa: PLR0124 (+-0, nan as they are)

    return erf_as
