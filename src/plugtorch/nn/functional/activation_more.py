"""More activations: ``erfc leaky_relu elu softplus``, each one op with its backward rule.

Every forward selects between two branches with ``where``; the branch not taken is computed on
clamped values (``expm1(min(x, 0))``, ``exp(min(beta x, threshold))``) so it never overflows.
Edge values follow PyTorch: ``nan`` stays ``nan``, ``-0.0`` stays ``-0.0`` (it is not ``> 0``),
``leaky_relu(-inf) = -inf``, ``elu(-inf) = -alpha``, ``softplus(-inf) = 0``.
"""

from __future__ import annotations

from typing import Any

from plugtorch import dtypes
from plugtorch.backend.protocol import Backend
from plugtorch.ops import elementwise as _elementwise
from plugtorch.ops import logic
from plugtorch.ops._autocast import FLOAT32, autocast_op
from plugtorch.ops._prepare import astype
from plugtorch.ops.registry import apply, op
from plugtorch.ops.special import erfc
from plugtorch.ops.unary import _dtype_of
from plugtorch.tensor import Tensor

__all__ = ["erfc", "leaky_relu", "elu", "softplus"]


def _const(b: Backend, value: float, like: Any, dtype: dtypes.DType) -> Any:
    return b.broadcast_to(b.full((), value, dtype), like.shape)


def _floating(input: Tensor, name: str) -> Tensor:
    dtype = _dtype_of(input, name)
    return input if dtype.is_floating_point else astype(input, dtypes.get_default_dtype())


def _scalar(value: Any, name: str, argument: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name}(): {argument} must be a number, got {value!r}")
    return float(value)


@op("leaky_relu", needs=((0,),))
def leaky_relu_op(b: Backend, x: Any, *, negative_slope: float, dtype: dtypes.DType) -> Any:
    """x where x > 0, else negative_slope * x. Gradient: grad where x > 0, else
    negative_slope * grad."""
    scaled = b.multiply(x, _const(b, negative_slope, x, dtype))
    return b.where(b.greater(x, _const(b, 0.0, x, dtype)), x, scaled)


@leaky_relu_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    x = ctx.inputs[0]
    return (logic.where(x > 0, g, g * ctx.params["negative_slope"]),)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where ``x > 0``, else ``negative_slope * x``.

    Gradient ``grad`` where ``x > 0``, else ``negative_slope * grad`` (at 0 too, as PyTorch).

    >>> import plugtorch as pt
    >>> pt.nn.functional.leaky_relu(pt.tensor([-2.0, 3.0]), 0.1)
    tensor([-0.2000,  3.0000])
    """
    slope = _scalar(negative_slope, "leaky_relu", "negative_slope")
    x = _floating(input, "leaky_relu")
    out = apply(leaky_relu_op, (x,), x._dtype, negative_slope=slope, dtype=x._dtype)
    return input.copy_(out) if inplace else out


@op("elu", needs=((0,),))
def elu_op(b: Backend, x: Any, *, alpha: float, dtype: dtypes.DType) -> Any:
    """x where x > 0, else alpha * (exp(x) - 1). Gradient: grad where x > 0, else
    grad * alpha * exp(x)."""
    zero = _const(b, 0.0, x, dtype)
    negative = b.multiply(_const(b, alpha, x, dtype), b.expm1(b.minimum(x, zero)))
    return b.where(b.greater(x, zero), x, negative)


@elu_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    x = ctx.inputs[0]
    alpha = ctx.params["alpha"]
    return (logic.where(x > 0, g, g * alpha * _elementwise.exp(logic.clamp(x, max=0.0))),)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """Exponential linear unit: ``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Gradient ``grad`` where ``x > 0``, else ``grad * alpha * exp(x)``.

    >>> import plugtorch as pt
    >>> pt.nn.functional.elu(pt.tensor([-float("inf"), 0.0, 2.0]))
    tensor([-1.,  0.,  2.])
    """
    value = _scalar(alpha, "elu", "alpha")
    x = _floating(input, "elu")
    out = apply(elu_op, (x,), x._dtype, alpha=value, dtype=x._dtype)
    return input.copy_(out) if inplace else out


@op("softplus", needs=((0,),))
def softplus_op(b: Backend, x: Any, *, beta: float, threshold: float, dtype: dtypes.DType) -> Any:
    """log(1 + exp(beta x)) / beta, and x where beta x > threshold. Gradient: grad *
    sigmoid(beta x), and grad where beta x > threshold."""
    scaled = b.multiply(x, _const(b, beta, x, dtype))
    limit = _const(b, threshold, x, dtype)
    smooth = b.divide(b.log1p(b.exp(b.minimum(scaled, limit))), _const(b, beta, x, dtype))
    return b.where(b.greater(scaled, limit), x, smooth)


@softplus_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    scaled = ctx.inputs[0] * ctx.params["beta"]
    return (logic.where(scaled > ctx.params["threshold"], g, g * _elementwise.sigmoid(scaled)),)


@autocast_op(cpu=None, cuda=FLOAT32)
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, a smooth ReLU; ``x`` itself where
    ``beta * x > threshold`` (for numerical stability, as PyTorch).

    Gradient ``grad * sigmoid(beta * x)`` (``grad`` above the threshold).

    >>> import plugtorch as pt
    >>> pt.nn.functional.softplus(pt.tensor([0.0, 30.0]))
    tensor([ 0.6931, 30.0000])
    """
    b = _scalar(beta, "softplus", "beta")
    t = _scalar(threshold, "softplus", "threshold")
    x = _floating(input, "softplus")
    return apply(softplus_op, (x,), x._dtype, beta=b, threshold=t, dtype=x._dtype)
