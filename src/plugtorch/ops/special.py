"""Special functions: ``erf`` and ``erfc``, each one op with its backward rule.

Neither is a primitive (the array API has none): both are computed in required primitives from
one approximation, below. ``nn.functional`` exports them too, as PyTorch does.
"""

from __future__ import annotations

import math
from typing import Any

from plugtorch import dtypes
from plugtorch.backend.protocol import Backend
from plugtorch.ops._prepare import astype
from plugtorch.ops.registry import apply, op
from plugtorch.ops.unary import _dtype_of, exp
from plugtorch.tensor import Tensor

__all__ = ["erf", "erfc"]

_default = dtypes.get_default_dtype


def _const(b: Backend, value: float, like: Any, dtype: dtypes.DType) -> Any:
    return b.broadcast_to(b.full((), value, dtype), like.shape)


# erf is no primitive (the array API has none); W. J. Cody's rational approximations are
# accurate to float64 rounding, but a short one suffices here: Abramowitz & Stegun 7.1.26 has
# an absolute error below 1.5e-7 (float32 rounding is 6e-8), and the gradient below uses the
# exact derivative 2/sqrt(pi) exp(-x^2).
_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
_P = 0.3275911


def erfc_tail(b: Backend, ax: Any, dtype: dtypes.DType) -> Any:
    """``erfc(ax) = 1 - erf(ax)`` for ``ax >= 0`` (the same approximation, on arrays)."""

    def const(value: float) -> Any:
        return b.broadcast_to(b.full((), value, dtype), ax.shape)

    t = b.divide(const(1.0), b.add(const(1.0), b.multiply(const(_P), ax)))
    poly = const(_A[4])
    for coefficient in reversed(_A[:4]):
        poly = b.add(b.multiply(poly, t), const(coefficient))
    return b.multiply(b.multiply(poly, t), b.exp(b.negative(b.multiply(ax, ax))))


def erf_array(b: Backend, x: Any, dtype: dtypes.DType) -> Any:
    """``erf(x)`` on arrays, in required primitives (``gelu`` computes with it too)."""

    def const(value: float) -> Any:
        return b.broadcast_to(b.full((), value, dtype), x.shape)

    tail = erfc_tail(b, b.abs(x), dtype)
    value = b.multiply(b.sign(x), b.subtract(const(1.0), tail))
    return b.where(b.equal(x, const(0.0)), x, value)  # erf(+-0) = +-0 exactly


@op("erf", needs=((0,),))
def erf_op(b: Backend, x: Any, *, dtype: dtypes.DType) -> Any:
    """Error function (|error| < 1.5e-7). Gradient: grad * 2/sqrt(pi) * exp(-x^2)."""
    return erf_array(b, x, dtype)


@erf_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    x = ctx.inputs[0]
    return (g * (2.0 / math.sqrt(math.pi)) * exp(-(x * x)),)


def erf(input: Tensor) -> Tensor:
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt`` (absolute error < 1.5e-7).

    >>> import plugtorch as pt
    >>> pt.erf(pt.tensor([0.0, 10.0]))
    tensor([0., 1.])
    """
    x = input if _dtype_of(input, "erf").is_floating_point else astype(input, _default())
    return apply(erf_op, (x,), x._dtype, dtype=x._dtype)


@op("erfc", needs=((0,),))
def erfc_op(b: Backend, x: Any, *, dtype: dtypes.DType) -> Any:
    """Complementary error function 1 - erf(x) (|error| < 1.5e-7), without cancellation for
    large x. Gradient: -grad * 2/sqrt(pi) * exp(-x^2)."""
    tail = erfc_tail(b, b.abs(x), dtype)
    zero = _const(b, 0.0, x, dtype)
    value = b.where(b.less(x, zero), b.subtract(_const(b, 2.0, x, dtype), tail), tail)
    return b.where(b.equal(x, zero), _const(b, 1.0, x, dtype), value)  # erfc(+-0) = 1 exactly


@erfc_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    x = ctx.inputs[0]
    return (g * (-2.0 / math.sqrt(math.pi)) * exp(-(x * x)),)


def erfc(input: Tensor) -> Tensor:
    """The complementary error function ``1 - erf(x)`` (absolute error < 1.5e-7);
    ``erfc(-inf) = 2``, ``erfc(inf) = 0``. Integer inputs give the default float dtype.

    >>> import plugtorch as pt
    >>> pt.erfc(pt.tensor([0.0, float("inf"), -float("inf")]))
    tensor([1., 0., 2.])
    """
    x = input if _dtype_of(input, "erfc").is_floating_point else astype(input, _default())
    return apply(erfc_op, (x,), x._dtype, dtype=x._dtype)
