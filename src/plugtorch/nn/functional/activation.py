"""Activations: ``relu gelu sigmoid tanh silu softmax log_softmax``, numerically stable.

``softmax`` and ``log_softmax`` are ops with a direct backward rule (one op each way instead of
the five of a composite); both subtract the row maximum (detached: it does not change the
result) so logits of size 1e4 stay finite. A backend that declares the ``softmax`` /
``log_softmax`` primitive computes the forward.
"""

from __future__ import annotations

import math
from typing import Any

from plugtorch import dtypes
from plugtorch.ops import elementwise as _elementwise
from plugtorch.ops._autocast import FLOAT32, autocast_op
from plugtorch.ops._precision import computes_in_float32
from plugtorch.ops._prepare import astype, normalize_dim
from plugtorch.ops.registry import apply, op
from plugtorch.ops.unary import _dtype_of
from plugtorch.tensor import Tensor

_default = dtypes.get_default_dtype

__all__ = ["relu", "gelu", "sigmoid", "tanh", "silu", "softmax", "log_softmax", "erf"]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)`` elementwise. Gradient: ``grad`` where ``x > 0``, else 0.

    >>> import plugtorch as pt
    >>> relu(pt.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return _elementwise.relu(input)


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))``, stable for large ``|x|``.

    >>> import plugtorch as pt
    >>> sigmoid(pt.tensor([0.0]))
    tensor([0.5000])
    """
    return _elementwise.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent.

    >>> import plugtorch as pt
    >>> tanh(pt.tensor([0.0]))
    tensor([0.])
    """
    return _elementwise.tanh(input)


@op("silu", needs=((0,),), primitive="silu")
def silu_op(b: Any, x: Any) -> Any:
    """x * sigmoid(x) in one pass, by the backend's silu primitive. Gradient: through the
    decomposition, s * (1 + x * (1 - s))."""
    return b.silu(x)


@silu_op.decomposition
def _(x: Tensor) -> Tensor:
    return x * _elementwise.sigmoid(x)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (also called swish).

    >>> import plugtorch as pt
    >>> silu(pt.tensor([0.0]))
    tensor([0.])
    """
    x = input if _dtype_of(input, "silu").is_floating_point else astype(input, _default())
    out = apply(silu_op, (x,), x._dtype)
    return input.copy_(out) if inplace else out


# --- erf and gelu ---------------------------------------------------------------------------
# erf is no primitive (the array API has none); W. J. Cody's rational approximations are
# accurate to float64 rounding, but a short one suffices here: Abramowitz & Stegun 7.1.26 has
# an absolute error below 1.5e-7 (float32 rounding is 6e-8), and the gradient below uses the
# exact derivative 2/sqrt(pi) exp(-x^2).
_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
_P = 0.3275911


def erfc_tail(b: Any, ax: Any, dtype: dtypes.DType) -> Any:
    """``erfc(ax) = 1 - erf(ax)`` for ``ax >= 0`` (the same approximation, on arrays)."""

    def const(value: float) -> Any:
        return b.broadcast_to(b.full((), value, dtype), ax.shape)

    t = b.divide(const(1.0), b.add(const(1.0), b.multiply(const(_P), ax)))
    poly = const(_A[4])
    for coefficient in reversed(_A[:4]):
        poly = b.add(b.multiply(poly, t), const(coefficient))
    return b.multiply(b.multiply(poly, t), b.exp(b.negative(b.multiply(ax, ax))))


def _erf_array(b: Any, x: Any, dtype: dtypes.DType) -> Any:
    def const(value: float) -> Any:
        return b.broadcast_to(b.full((), value, dtype), x.shape)

    tail = erfc_tail(b, b.abs(x), dtype)
    value = b.multiply(b.sign(x), b.subtract(const(1.0), tail))
    return b.where(b.equal(x, const(0.0)), x, value)  # erf(+-0) = +-0 exactly


@op("erf", needs=((0,),))
def erf_op(b: Any, x: Any, *, dtype: dtypes.DType) -> Any:
    """Error function (|error| < 1.5e-7). Gradient: grad * 2/sqrt(pi) * exp(-x^2)."""
    return _erf_array(b, x, dtype)


@erf_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    x = ctx.inputs[0]
    return (g * (2.0 / math.sqrt(math.pi)) * _elementwise.exp(-(x * x)),)


def erf(input: Tensor) -> Tensor:
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt`` (absolute error < 1.5e-7).

    >>> import plugtorch as pt
    >>> erf(pt.tensor([0.0, 10.0]))
    tensor([0., 1.])
    """
    x = input if _dtype_of(input, "erf").is_floating_point else astype(input, _default())
    return apply(erf_op, (x,), x._dtype, dtype=x._dtype)


_TANH_SCALE = math.sqrt(2 / math.pi)


@op("gelu", needs=((0,),), primitive="gelu")
def gelu_op(b: Any, x: Any, *, approximate: str) -> Any:
    """x * Phi(x) (Phi the normal CDF; ``approximate="tanh"``: its tanh form), by the
    backend's gelu primitive. Gradient: the gelu_backward primitive, else the decomposition's,
    grad * (Phi(x) + x * phi(x)) (tanh form: its derivative)."""
    return b.gelu(x, approximate)


@gelu_op.decomposition
def _(x: Tensor, *, approximate: str) -> Tensor:
    if approximate == "tanh":
        inner = _TANH_SCALE * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + _elementwise.tanh(inner))
    return x * (0.5 * (1 + erf(x * (1 / math.sqrt(2.0)))))


@gelu_op.backward_primitive("gelu_backward")
def _(b: Any, ctx: Any, g: Tensor, needs: tuple[bool, ...]) -> tuple[Any]:
    return (b.gelu_backward(g._data, ctx.inputs[0]._data, ctx.params["approximate"]),)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit ``x * Phi(x)`` (Phi the normal CDF, through :func:`erf`);
    ``approximate="tanh"`` uses ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``, as
    PyTorch. One op (the backend's fused ``gelu`` primitive where it has one).

    Gradient ``grad * (Phi(x) + x * phi(x))`` (tanh form: the derivative of that formula).

    >>> import plugtorch as pt
    >>> gelu(pt.tensor([0.0, 10.0]))
    tensor([ 0., 10.])
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    dtype = _dtype_of(input, "gelu")
    x = input if dtype.is_floating_point else astype(input, _default())
    return apply(gelu_op, (x,), x._dtype, approximate=approximate)


# --- softmax and log_softmax --------------------------------------------------------------


def _shifted(b: Any, x: Any, axis: int) -> Any:
    """``x - max(x)`` along ``axis``. Like PyTorch, the max is subtracted even when it is
    +-inf or nan, so a row holding +inf (or only -inf, or a nan) gives nan everywhere:
    ``softmax([1, inf])`` is ``[nan, nan]``."""
    shift = b.max(x, (axis,), True)
    return b.subtract(x, b.broadcast_to(shift, x.shape))


@op("softmax", saves_output=True, needs=(), primitive="softmax")
def softmax_op(b: Any, x: Any, *, axis: int, dtype: dtypes.DType) -> Any:
    """exp(x) / sum(exp(x)) along axis, max-subtracted. Gradient: s * (g - sum(g * s))."""
    return b.softmax(x, axis)


@softmax_op.fallback
def _(b: Any, x: Any, *, axis: int, dtype: dtypes.DType) -> Any:
    e = b.exp(_shifted(b, x, axis))
    return b.divide(e, b.broadcast_to(b.sum(e, (axis,), True), e.shape))


@softmax_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    axis = ctx.params["axis"]
    return (apply(softmax_backward_op, (g, ctx.output), g._dtype, axis=axis),)


@op("softmax_backward", primitive="softmax_backward")
def softmax_backward_op(b: Any, g: Any, s: Any, *, axis: int) -> Any:
    """s * (g - sum(g * s, axis)) in one op (softmax's gradient, s its output), by the
    backend's softmax_backward primitive. Gradients: through the decomposition."""
    return b.softmax_backward(g, s, axis)


@softmax_backward_op.decomposition
def _(g: Tensor, s: Tensor, *, axis: int) -> Tensor:
    return s * (g - (g * s).sum(axis, keepdim=True))


@op("log_softmax", saves_output=True, needs=(), primitive="log_softmax")
def log_softmax_op(b: Any, x: Any, *, axis: int, dtype: dtypes.DType) -> Any:
    """x - logsumexp(x) along axis, max-subtracted. Gradient: g - softmax(x) * sum(g)."""
    return b.log_softmax(x, axis)


@log_softmax_op.fallback
def _(b: Any, x: Any, *, axis: int, dtype: dtypes.DType) -> Any:
    z = _shifted(b, x, axis)
    total = b.log(b.sum(b.exp(z), (axis,), True))
    return b.subtract(z, b.broadcast_to(total, z.shape))


@log_softmax_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    axis = ctx.params["axis"]
    return (g - _elementwise.exp(ctx.output) * g.sum(axis, keepdim=True),)


def _softmax_input(input: Tensor, dim: int | None, dtype: Any, name: str) -> tuple[Tensor, int]:
    if dim is None:
        raise TypeError(f"{name}: pass dim explicitly (PyTorch's implicit choice is deprecated)")
    if dtype is not None:
        input = astype(input, dtypes.as_dtype(dtype))
    elif not input._dtype.is_floating_point:
        input = astype(input, dtypes.get_default_dtype())
    return input, normalize_dim(dim, input.ndim)


@autocast_op(cpu=None, cuda=FLOAT32)
@computes_in_float32("input")
def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``; finite for any finite logits.

    Gradient ``s * (grad - sum(grad * s, dim))``.

    >>> import plugtorch as pt
    >>> softmax(pt.tensor([0.0, 1e4]), dim=0)
    tensor([0., 1.])
    """
    x, axis = _softmax_input(input, dim, dtype, "softmax")
    if 0 in x.shape:
        return x.clone()  # nothing to normalise (PyTorch returns an empty tensor)
    if x.ndim == 0:
        return apply(softmax_op, (x.reshape(1),), x._dtype, axis=0, dtype=x._dtype).reshape(())
    return apply(softmax_op, (x,), x._dtype, axis=axis, dtype=x._dtype)


@autocast_op(cpu=None, cuda=FLOAT32)
@computes_in_float32("input")
def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """``x - log(sum(exp(x)))`` along ``dim``; finite for any finite logits.

    Gradient ``grad - softmax(x) * sum(grad, dim)``.

    >>> import plugtorch as pt
    >>> log_softmax(pt.tensor([0.0, 1e4]), dim=0)
    tensor([-10000.,      0.])
    """
    x, axis = _softmax_input(input, dim, dtype, "log_softmax")
    if 0 in x.shape:
        return x.clone()  # nothing to normalise (PyTorch returns an empty tensor)
    if x.ndim == 0:
        out = apply(log_softmax_op, (x.reshape(1),), x._dtype, axis=0, dtype=x._dtype)
        return out.reshape(())
    return apply(log_softmax_op, (x,), x._dtype, axis=axis, dtype=x._dtype)
