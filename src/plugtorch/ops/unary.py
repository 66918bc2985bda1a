"""Elementwise functions of one tensor: ``exp log sqrt sin tanh sigmoid relu abs ...``.

Each op is declared once, forward (backend primitives) and derivative side by side.
"""

from __future__ import annotations

from typing import Any

from plugtorch import dtypes
from plugtorch.backend.protocol import AcceleratedBackend, Backend
from plugtorch.ops._prepare import astype, scalar_tensor
from plugtorch.ops.registry import Op, apply, op
from plugtorch.tensor import Tensor

__all__ = [
    "zeros_like_grad",
    "neg",
    "abs",
    "sign",
    "floor",
    "ceil",
    "round",
    "exp",
    "log",
    "log1p_op",
    "log1p",
    "expm1_op",
    "expm1",
    "sqrt",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "relu",
]

Number = bool | int | float


def zeros_like_grad(x: Tensor) -> Tensor:
    """A zero gradient for ``x`` (for ops whose derivative is 0 almost everywhere)."""
    data = x._backend.broadcast_to(x._backend.full((), 0, x._dtype), x.shape)
    return Tensor._make(data, x._backend, x._dtype)


def _float_input(x: Tensor, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}() expects a Tensor, got {type(x).__name__}")
    if x._dtype.is_floating_point:
        return x
    return astype(x, dtypes.get_default_dtype())


def _dtype_of(x: Any, name: str) -> dtypes.DType:
    """``x``'s dtype, or a TypeError naming the function when ``x`` is not a Tensor."""
    try:
        return x._dtype
    except AttributeError:
        raise TypeError(f"{name}() expects a Tensor, got {type(x).__name__}") from None


def _unary_float(o: Op, x: Tensor) -> Tensor:
    x = _float_input(x, o.name)
    return apply(o, (x,), x._dtype)


def _unary_same(o: Op, x: Tensor) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{o.name}() expects a Tensor, got {type(x).__name__}")
    if x._dtype is dtypes.bool_:
        # The array API has no arithmetic on bools: computed on 0 and 1, the result cast back.
        as_int = apply(o, (astype(x, dtypes.uint8),), dtypes.uint8)
        return astype(as_int, dtypes.bool_)
    return apply(o, (x,), x._dtype)


# --- unary math ----------------------------------------------------------------------------


@op("neg", needs=())
def neg_op(b: Backend, x: Any) -> Any:
    """-x. Gradient: -grad."""
    return b.negative(x)


@neg_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (-g,)


def neg(input: Tensor) -> Tensor:
    """Elementwise negation ``-x``. Gradient ``-grad``.

    >>> import plugtorch as pt
    >>> pt.neg(pt.tensor([1, -2]))
    tensor([-1,  2])
    """
    if _dtype_of(input, "neg") is dtypes.bool_:
        raise TypeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return _unary_same(neg_op, input)


@op("abs", needs=((0,),))
def abs_op(b: Backend, x: Any) -> Any:
    """|x|. Gradient: grad * sign(x)."""
    return b.abs(x)


@abs_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (g * sign(ctx.inputs[0]),)


def abs(input: Tensor) -> Tensor:  # noqa: A001 (PyTorch's name)
    """Elementwise absolute value ``|x|``. Gradient ``grad * sign(x)`` (0 at 0).

    >>> import plugtorch as pt
    >>> pt.abs(pt.tensor([-1.5, 2.0]))
    tensor([1.5000, 2.0000])
    """
    return _unary_same(abs_op, input)


def _zero_derivative(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (zeros_like_grad(ctx.inputs[0]),)


@op("sign", needs=())
def sign_op(b: Backend, x: Any) -> Any:
    """sign(x) in {-1, 0, 1}. Gradient: 0."""
    return b.sign(x)


sign_op.derivative(_zero_derivative)


def sign(input: Tensor) -> Tensor:
    """Elementwise sign: -1, 0 or 1 (nan for nan). Gradient 0.

    >>> import plugtorch as pt
    >>> pt.sign(pt.tensor([-3.0, 0.0, 2.0]))
    tensor([-1.,  0.,  1.])
    """
    return _unary_same(sign_op, input)


@op("floor", needs=())
def floor_op(b: Backend, x: Any) -> Any:
    """Round down. Gradient: 0."""
    return b.floor(x)


floor_op.derivative(_zero_derivative)


def floor(input: Tensor) -> Tensor:
    """Largest integer not greater than x, elementwise. Gradient 0.

    >>> import plugtorch as pt
    >>> pt.floor(pt.tensor([-1.5, 1.5]))
    tensor([-2.,  1.])
    """
    if not _dtype_of(input, "floor").is_floating_point:
        return input  # integers are already whole
    return _unary_same(floor_op, input)


@op("ceil", needs=())
def ceil_op(b: Backend, x: Any) -> Any:
    """Round up. Gradient: 0."""
    return b.ceil(x)


ceil_op.derivative(_zero_derivative)


def ceil(input: Tensor) -> Tensor:
    """Smallest integer not less than x, elementwise. Gradient 0.

    >>> import plugtorch as pt
    >>> pt.ceil(pt.tensor([-1.5, 1.5]))
    tensor([-1.,  2.])
    """
    if not _dtype_of(input, "ceil").is_floating_point:
        return input  # integers are already whole
    return _unary_same(ceil_op, input)


@op("round", needs=())
def round_op(b: Backend, x: Any) -> Any:
    """Round half to even. Gradient: 0."""
    return b.round(x)


round_op.derivative(_zero_derivative)


def round(input: Tensor) -> Tensor:  # noqa: A001 (PyTorch's name)
    """Round to the nearest integer, halves to even (as PyTorch and NumPy). Gradient 0.

    >>> import plugtorch as pt
    >>> pt.round(pt.tensor([0.5, 1.5, 2.4]))
    tensor([0., 2., 2.])
    """
    if not _dtype_of(input, "round").is_floating_point:
        return input  # integers are already whole
    return _unary_same(round_op, input)


@op("exp", saves_output=True, needs=())
def exp_op(b: Backend, x: Any) -> Any:
    """e**x. Gradient: grad * e**x."""
    return b.exp(x)


@exp_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (g * ctx.output,)


def exp(input: Tensor) -> Tensor:
    """Elementwise exponential ``e**x``. Gradient ``grad * exp(x)``.

    >>> import plugtorch as pt
    >>> pt.exp(pt.tensor([0.0]))
    tensor([1.])
    """
    return _unary_float(exp_op, input)


@op("log", needs=((0,),))
def log_op(b: Backend, x: Any) -> Any:
    """Natural logarithm. Gradient: grad / x."""
    return b.log(x)


@log_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (g / ctx.inputs[0],)


def log(input: Tensor) -> Tensor:
    """Elementwise natural logarithm. Gradient ``grad / x``.

    >>> import plugtorch as pt
    >>> pt.log(pt.tensor([1.0]))
    tensor([0.])
    """
    return _unary_float(log_op, input)


@op("log1p", needs=((0,),))
def log1p_op(b: Backend, x: Any) -> Any:
    """log(1 + x), accurate near 0. Gradient: grad / (1 + x)."""
    return b.log1p(x)


@log1p_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (g / (ctx.inputs[0] + 1),)


def log1p(input: Tensor) -> Tensor:
    """Elementwise ``log(1 + x)``, accurate for small x. Gradient ``grad / (1 + x)``.

    >>> import plugtorch as pt
    >>> pt.log1p(pt.tensor([0.0]))
    tensor([0.])
    """
    return _unary_float(log1p_op, input)


@op("expm1", saves_output=True, needs=())
def expm1_op(b: Backend, x: Any) -> Any:
    """e**x - 1, accurate near 0. Gradient: grad * e**x."""
    return b.expm1(x)


@expm1_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (g * (ctx.output + 1),)


def expm1(input: Tensor) -> Tensor:
    """Elementwise ``e**x - 1``, accurate for small x. Gradient ``grad * e**x``.

    >>> import plugtorch as pt
    >>> pt.expm1(pt.tensor([0.0]))
    tensor([0.])
    """
    return _unary_float(expm1_op, input)


@op("sqrt", saves_output=True, needs=())
def sqrt_op(b: Backend, x: Any) -> Any:
    """Square root. Gradient: grad / (2 sqrt(x))."""
    return b.sqrt(x)


@sqrt_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (g / (ctx.output * 2),)


def sqrt(input: Tensor) -> Tensor:
    """Elementwise square root. Gradient ``grad / (2 * sqrt(x))``.

    >>> import plugtorch as pt
    >>> pt.sqrt(pt.tensor([4.0]))
    tensor([2.])
    """
    return _unary_float(sqrt_op, input)


@op("sin", needs=((0,),))
def sin_op(b: Backend, x: Any) -> Any:
    """Sine. Gradient: grad * cos(x)."""
    return b.sin(x)


@sin_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (g * cos(ctx.inputs[0]),)


def sin(input: Tensor) -> Tensor:
    """Elementwise sine (radians). Gradient ``grad * cos(x)``.

    >>> import plugtorch as pt
    >>> pt.sin(pt.tensor([0.0]))
    tensor([0.])
    """
    return _unary_float(sin_op, input)


@op("cos", needs=((0,),))
def cos_op(b: Backend, x: Any) -> Any:
    """Cosine. Gradient: -grad * sin(x)."""
    return b.cos(x)


@cos_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (-(g * sin(ctx.inputs[0])),)


def cos(input: Tensor) -> Tensor:
    """Elementwise cosine (radians). Gradient ``-grad * sin(x)``.

    >>> import plugtorch as pt
    >>> pt.cos(pt.tensor([0.0]))
    tensor([1.])
    """
    return _unary_float(cos_op, input)


@op("tanh", saves_output=True, needs=())
def tanh_op(b: Backend, x: Any) -> Any:
    """Hyperbolic tangent. Gradient: grad * (1 - tanh(x)**2)."""
    return b.tanh(x)


@tanh_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (apply(tanh_backward_op, (g, ctx.output), g._dtype, dtype=g._dtype),)


@op("tanh_backward")
def tanh_backward_op(b: Backend, g: Any, out: Any, *, dtype: dtypes.DType) -> Any:
    """g * (1 - out**2) in one op (tanh's gradient), PyTorch's formula (so an infinite g gives
    +-inf, not inf - inf). Gradients: (1 - out**2, -2 g out)."""
    one = scalar_tensor(1, b, dtype, g.shape)._data
    return b.multiply(g, b.subtract(one, b.multiply(out, out)))


@tanh_backward_op.derivative
def _(ctx: Any, gg: Tensor) -> tuple[Tensor | None, Tensor | None]:
    g, out = ctx.inputs
    grad_g = gg * (1 - out * out) if g.requires_grad else None
    grad_out = gg * g * out * -2 if out.requires_grad else None
    return grad_g, grad_out


def tanh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic tangent. Gradient ``grad * (1 - tanh(x)**2)``.

    >>> import plugtorch as pt
    >>> pt.tanh(pt.tensor([0.0]))
    tensor([0.])
    """
    return _unary_float(tanh_op, input)


@op("sigmoid", saves_output=True, needs=(), primitive="sigmoid")
def sigmoid_op(b: AcceleratedBackend, x: Any, *, dtype: dtypes.DType) -> Any:
    """1 / (1 + e**-x), stable for large |x|. Gradient: grad * s * (1 - s)."""
    return b.sigmoid(x)


@sigmoid_op.fallback
def _(b: Backend, x: Any, *, dtype: dtypes.DType) -> Any:
    # e = exp(-|x|) never overflows; pick the form that divides by a number >= 1.
    one = b.broadcast_to(b.full((), 1, dtype), x.shape)
    e = b.exp(b.negative(b.abs(x)))
    denominator = b.add(one, e)
    positive = b.divide(one, denominator)
    negative = b.divide(e, denominator)
    zero = b.broadcast_to(b.full((), 0, dtype), x.shape)
    return b.where(b.greater_equal(x, zero), positive, negative)


@sigmoid_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (apply(sigmoid_backward_op, (g, ctx.output), g._dtype, dtype=g._dtype),)


@op("sigmoid_backward")
def sigmoid_backward_op(b: Backend, g: Any, out: Any, *, dtype: dtypes.DType) -> Any:
    """g * (1 - s) * s in one op (sigmoid's gradient), PyTorch's formula (so an infinite g
    gives +-inf, not inf - inf). Gradients: (s(1-s), g(1-2s))."""
    one = scalar_tensor(1, b, dtype, g.shape)._data
    return b.multiply(b.multiply(g, b.subtract(one, out)), out)


@sigmoid_backward_op.derivative
def _(ctx: Any, gg: Tensor) -> tuple[Tensor | None, Tensor | None]:
    g, out = ctx.inputs
    grad_g = gg * out * (1 - out) if g.requires_grad else None
    grad_out = gg * g * (1 - 2 * out) if out.requires_grad else None
    return grad_g, grad_out


def sigmoid(input: Tensor) -> Tensor:
    """Elementwise logistic function ``1 / (1 + e**-x)``, stable for large ``|x|``.

    Gradient ``grad * s * (1 - s)``.

    >>> import plugtorch as pt
    >>> pt.sigmoid(pt.tensor([0.0]))
    tensor([0.5000])
    """
    x = _float_input(input, "sigmoid")
    return apply(sigmoid_op, (x,), x._dtype, dtype=x._dtype)


@op("relu", saves_output=True, needs=(), primitive="relu")
def relu_op(b: AcceleratedBackend, x: Any, *, dtype: dtypes.DType) -> Any:
    """x < 0 ? 0 : x (nan stays nan, -0.0 stays -0.0, as PyTorch). Gradient: grad where x > 0."""
    return b.relu(x)


@relu_op.fallback
def _(b: Backend, x: Any, *, dtype: dtypes.DType) -> Any:
    zero = b.broadcast_to(b.full((), 0, dtype), x.shape)
    return b.where(b.less(x, zero), zero, x)


@relu_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (apply(relu_backward_op, (g, ctx.output), g._dtype, dtype=g._dtype),)


@op("relu_backward", needs=((1,), ()), primitive="relu_backward")
def relu_backward_op(b: AcceleratedBackend, g: Any, y: Any, *, dtype: dtypes.DType) -> Any:
    """g where y > 0, else 0 (relu's gradient from its output y: relu(x) > 0 exactly where
    x > 0), in one op. Gradients: (gg where y > 0, zeros) (PyTorch's threshold_backward)."""
    return b.relu_backward(g, y)


@relu_backward_op.fallback
def _(b: Backend, g: Any, y: Any, *, dtype: dtypes.DType) -> Any:
    zero = scalar_tensor(0, b, dtype, g.shape)._data
    return b.where(b.greater(y, zero), g, zero)


@relu_backward_op.derivative
def _(ctx: Any, gg: Tensor) -> tuple[Tensor | None, Tensor | None]:
    g, y = ctx.inputs
    grad_g = gg.where(y > 0, 0.0) if g.requires_grad else None
    return grad_g, (zeros_like_grad(y) if y.requires_grad else None)


def relu(input: Tensor) -> Tensor:
    """Rectified linear unit ``max(x, 0)``: ``relu(nan)`` is nan, as in PyTorch.

    Gradient ``grad`` where ``x > 0``, else 0.

    >>> import plugtorch as pt
    >>> pt.relu(pt.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    if not isinstance(input, Tensor) or input._dtype is dtypes.bool_:
        raise TypeError(f"relu() expects a numeric Tensor, got {_describe(input)}")
    return apply(relu_op, (input,), input._dtype, dtype=input._dtype)


def _describe(value: Any) -> str:
    return f"a {value._dtype} tensor" if isinstance(value, Tensor) else type(value).__name__
