"""Elementwise ops: math functions, arithmetic, comparisons, logic, ``where`` and ``clamp``.

Each op is declared once with its forward (backend primitives) and its derivative beside it.
Promotion and broadcasting happen in :func:`~plugtorch.ops._prepare.prepare_elementwise`.
"""

from __future__ import annotations

from typing import Any

from plugtorch import dtypes
from plugtorch.ops._prepare import astype, prepare_elementwise
from plugtorch.ops.registry import Op, apply, op
from plugtorch.tensor import Tensor

__all__ = [
    "neg", "abs", "sign", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tanh",
    "sigmoid", "relu", "floor", "ceil", "round", "reciprocal", "square",
    "add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "pow",
    "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge",
    "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "where", "clamp", "zeros_like_grad",
]  # fmt: skip

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


def _unary_float(o: Op, x: Tensor) -> Tensor:
    x = _float_input(x, o.name)
    return apply(o, (x,), x._dtype)


def _unary_same(o: Op, x: Tensor) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{o.name}() expects a Tensor, got {type(x).__name__}")
    return apply(o, (x,), x._dtype)


# --- unary math ----------------------------------------------------------------------------


@op("neg")
def neg_op(b: Any, x: Any) -> Any:
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
    if input._dtype is dtypes.bool_:
        raise TypeError("negation of a bool tensor is not supported; use ~t or logical_not(t)")
    return _unary_same(neg_op, input)


@op("abs")
def abs_op(b: Any, x: Any) -> Any:
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


@op("sign")
def sign_op(b: Any, x: Any) -> Any:
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


@op("floor")
def floor_op(b: Any, x: Any) -> Any:
    """Round down. Gradient: 0."""
    return b.floor(x)


floor_op.derivative(_zero_derivative)


def floor(input: Tensor) -> Tensor:
    """Largest integer not greater than x, elementwise. Gradient 0.

    >>> import plugtorch as pt
    >>> pt.floor(pt.tensor([-1.5, 1.5]))
    tensor([-2.,  1.])
    """
    return input if not input._dtype.is_floating_point else _unary_same(floor_op, input)


@op("ceil")
def ceil_op(b: Any, x: Any) -> Any:
    """Round up. Gradient: 0."""
    return b.ceil(x)


ceil_op.derivative(_zero_derivative)


def ceil(input: Tensor) -> Tensor:
    """Smallest integer not less than x, elementwise. Gradient 0.

    >>> import plugtorch as pt
    >>> pt.ceil(pt.tensor([-1.5, 1.5]))
    tensor([-1.,  2.])
    """
    return input if not input._dtype.is_floating_point else _unary_same(ceil_op, input)


@op("round")
def round_op(b: Any, x: Any) -> Any:
    """Round half to even. Gradient: 0."""
    return b.round(x)


round_op.derivative(_zero_derivative)


def round(input: Tensor) -> Tensor:  # noqa: A001 (PyTorch's name)
    """Round to the nearest integer, halves to even (as PyTorch and NumPy). Gradient 0.

    >>> import plugtorch as pt
    >>> pt.round(pt.tensor([0.5, 1.5, 2.4]))
    tensor([0., 2., 2.])
    """
    return input if not input._dtype.is_floating_point else _unary_same(round_op, input)


@op("exp", saves_output=True)
def exp_op(b: Any, x: Any) -> Any:
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


@op("log")
def log_op(b: Any, x: Any) -> Any:
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


@op("log1p")
def log1p_op(b: Any, x: Any) -> Any:
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


@op("expm1", saves_output=True)
def expm1_op(b: Any, x: Any) -> Any:
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


@op("sqrt", saves_output=True)
def sqrt_op(b: Any, x: Any) -> Any:
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


def rsqrt(input: Tensor) -> Tensor:
    """Elementwise ``1 / sqrt(x)`` (composite: reciprocal of sqrt).

    >>> import plugtorch as pt
    >>> pt.rsqrt(pt.tensor([4.0]))
    tensor([0.5000])
    """
    return reciprocal(sqrt(input))


def reciprocal(input: Tensor) -> Tensor:
    """Elementwise ``1 / x`` (composite: division). Integers give floats.

    >>> import plugtorch as pt
    >>> pt.reciprocal(pt.tensor([2.0]))
    tensor([0.5000])
    """
    return div(1.0, _float_input(input, "reciprocal"))


def square(input: Tensor) -> Tensor:
    """Elementwise ``x * x`` (composite).

    >>> import plugtorch as pt
    >>> pt.square(pt.tensor([3]))
    tensor([9])
    """
    return mul(input, input)


@op("sin")
def sin_op(b: Any, x: Any) -> Any:
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


@op("cos")
def cos_op(b: Any, x: Any) -> Any:
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


@op("tanh", saves_output=True)
def tanh_op(b: Any, x: Any) -> Any:
    """Hyperbolic tangent. Gradient: grad * (1 - tanh(x)**2)."""
    return b.tanh(x)


@tanh_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (apply(tanh_backward_op, (g, ctx.output), g._dtype),)


@op("tanh_backward")
def tanh_backward_op(b: Any, g: Any, out: Any) -> Any:
    """g * (1 - out**2) in one op (tanh's gradient). Gradients: (1 - out**2, -2 g out)."""
    return b.subtract(g, b.multiply(g, b.multiply(out, out)))


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


@op("sigmoid", saves_output=True)
def sigmoid_op(b: Any, x: Any, *, dtype: dtypes.DType) -> Any:
    """1 / (1 + e**-x), stable for large |x|. Gradient: grad * s * (1 - s)."""
    if "sigmoid" in b.capabilities.primitives:
        return b.sigmoid(x)
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
    return (apply(sigmoid_backward_op, (g, ctx.output), g._dtype),)


@op("sigmoid_backward")
def sigmoid_backward_op(b: Any, g: Any, out: Any) -> Any:
    """g * s * (1 - s) in one op (sigmoid's gradient). Gradients: (s(1-s), g(1-2s))."""
    gs = b.multiply(g, out)
    return b.subtract(gs, b.multiply(gs, out))


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


@op("relu")
def relu_op(b: Any, x: Any, *, dtype: dtypes.DType) -> Any:
    """max(x, 0). Gradient: grad where x > 0, else 0."""
    if "relu" in b.capabilities.primitives:
        return b.relu(x)
    zero = b.broadcast_to(b.full((), 0, dtype), x.shape)
    return b.where(b.greater(x, zero), x, zero)


@relu_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (where(ctx.inputs[0] > 0, g, 0.0),)


def relu(input: Tensor) -> Tensor:
    """Rectified linear unit ``max(x, 0)``. Gradient ``grad`` where ``x > 0``, else 0.

    >>> import plugtorch as pt
    >>> pt.relu(pt.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return apply(relu_op, (input,), input._dtype, dtype=input._dtype)


# --- binary arithmetic ----------------------------------------------------------------------


def _binary(o: Op, a: Any, b: Any, dtype: dtypes.DType | None = None) -> Tensor:
    (x, y), common = prepare_elementwise(o.name, (a, b), dtype)
    return apply(o, (x, y), common)


@op("add")
def add_op(b: Any, x: Any, y: Any) -> Any:
    """x + y. Gradient: (grad, grad)."""
    return b.add(x, y)


@add_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor, Tensor]:
    return g, g


def add(input: Any, other: Any, *, alpha: Number = 1) -> Tensor:
    """Elementwise ``input + alpha * other`` with broadcasting and promotion.

    >>> import plugtorch as pt
    >>> pt.add(pt.tensor([1, 2]), 1.5)
    tensor([2.5000, 3.5000])
    """
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(add_op, input, other)


@op("sub")
def sub_op(b: Any, x: Any, y: Any) -> Any:
    """x - y. Gradient: (grad, -grad)."""
    return b.subtract(x, y)


@sub_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor, Tensor]:
    return g, -g


def sub(input: Any, other: Any, *, alpha: Number = 1) -> Tensor:
    """Elementwise ``input - alpha * other``.

    >>> import plugtorch as pt
    >>> pt.sub(pt.tensor([3.0]), 1)
    tensor([2.])
    """
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(sub_op, input, other)


@op("mul")
def mul_op(b: Any, x: Any, y: Any) -> Any:
    """x * y. Gradient: (grad * y, grad * x)."""
    return b.multiply(x, y)


@mul_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    x, y = ctx.inputs
    return (g * y if x.requires_grad else None), (g * x if y.requires_grad else None)


def mul(input: Any, other: Any) -> Tensor:
    """Elementwise product.

    >>> import plugtorch as pt
    >>> pt.mul(pt.tensor([2.0]), pt.tensor([3.0]))
    tensor([6.])
    """
    return _binary(mul_op, input, other)


@op("div")
def div_op(b: Any, x: Any, y: Any) -> Any:
    """x / y (true division). Gradient: (grad / y, -grad * x / y**2)."""
    return b.divide(x, y)


@div_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    x, y = ctx.inputs
    gx = g / y if x.requires_grad else None
    gy = -(g * x) / (y * y) if y.requires_grad else None
    return gx, gy


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """Elementwise true division; integers give the default float dtype.

    ``rounding_mode="floor"`` is floor division, ``"trunc"`` rounds toward zero.

    >>> import plugtorch as pt
    >>> pt.div(pt.tensor([1, 2]), 2)
    tensor([0.5000, 1.0000])
    """
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        quotient = div(input, other)
        result = where(quotient < 0, ceil(quotient), floor(quotient))
        common = _common_dtype(input, other)
        return result if common.is_floating_point else astype(result, common)
    if rounding_mode is not None:
        raise ValueError(f"rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")
    common = _common_dtype(input, other)
    if not common.is_floating_point:
        common = dtypes.get_default_dtype()
    return _binary(div_op, input, other, common)


true_divide = div


def _common_dtype(a: Any, b: Any) -> dtypes.DType:
    return dtypes.result_type((o._dtype, o.ndim) if isinstance(o, Tensor) else o for o in (a, b))


@op("floor_divide", differentiable=False)
def floor_divide_op(b: Any, x: Any, y: Any) -> Any:
    """floor(x / y). Not differentiable."""
    return b.floor_divide(x, y)


def floor_divide(input: Any, other: Any) -> Tensor:
    """Elementwise ``floor(input / other)`` (Python's ``//``). Not differentiable.

    >>> import plugtorch as pt
    >>> pt.floor_divide(pt.tensor([7, -7]), 2)
    tensor([ 3, -4])
    """
    return _binary(floor_divide_op, input, other)


@op("remainder")
def remainder_op(b: Any, x: Any, y: Any) -> Any:
    """x - floor(x / y) * y (sign of y, like Python). Gradient: (grad, -grad * floor(x/y))."""
    return b.remainder(x, y)


@remainder_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor, Tensor | None]:
    x, y = ctx.inputs
    return g, (-(g * floor_divide(x, y)) if y.requires_grad else None)


def remainder(input: Any, other: Any) -> Tensor:
    """Elementwise Python-style modulus ``input % other`` (result has the sign of other).

    >>> import plugtorch as pt
    >>> pt.remainder(pt.tensor([-3, 3]), 2)
    tensor([1, 1])
    """
    return _binary(remainder_op, input, other)


@op("pow", saves_output=True)
def pow_op(b: Any, x: Any, y: Any) -> Any:
    """x ** y. Gradient: (grad * y * x**(y-1), grad * x**y * log(x))."""
    return b.pow(x, y)


@pow_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    x, y = ctx.inputs
    gx = g * y * pow(x, y - 1) if x.requires_grad else None
    gy = None
    if y.requires_grad:
        safe = where(x == 0, 1.0, x)
        gy = g * where((x == 0) & (y >= 0), 0.0, ctx.output * log(safe))
    return gx, gy


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001 (PyTorch's name)
    """Elementwise power ``input ** exponent``.

    Gradients ``grad * y * x**(y-1)`` and ``grad * x**y * log(x)``.

    >>> import plugtorch as pt
    >>> pt.pow(pt.tensor([2.0, 3.0]), 2)
    tensor([4., 9.])
    """
    common = _common_dtype(input, exponent)
    if common.is_integer and isinstance(exponent, int) and exponent < 0:
        raise ValueError("integers to negative integer powers are not allowed")
    return _binary(pow_op, input, exponent)


def _tie_split(g: Tensor, x: Tensor, y: Tensor, x_wins: Tensor) -> tuple[Tensor, Tensor]:
    tie = (x == y).to(g.dtype) * 0.5
    wins = x_wins.to(g.dtype) + tie
    return g * wins, g * (1 - wins)


@op("maximum")
def maximum_op(b: Any, x: Any, y: Any) -> Any:
    """max(x, y), nan if either is nan. Gradient: to the larger; split equally on ties."""
    return b.maximum(x, y)


@maximum_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor, Tensor]:
    x, y = ctx.inputs
    return _tie_split(g, x, y, x > y)


def maximum(input: Any, other: Any) -> Tensor:
    """Elementwise maximum (propagates nan).

    >>> import plugtorch as pt
    >>> pt.maximum(pt.tensor([1.0, 5.0]), pt.tensor([3.0, 2.0]))
    tensor([3., 5.])
    """
    return _binary(maximum_op, input, other)


@op("minimum")
def minimum_op(b: Any, x: Any, y: Any) -> Any:
    """min(x, y), nan if either is nan. Gradient: to the smaller; split equally on ties."""
    return b.minimum(x, y)


@minimum_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor, Tensor]:
    x, y = ctx.inputs
    return _tie_split(g, x, y, x < y)


def minimum(input: Any, other: Any) -> Tensor:
    """Elementwise minimum (propagates nan).

    >>> import plugtorch as pt
    >>> pt.minimum(pt.tensor([1.0, 5.0]), pt.tensor([3.0, 2.0]))
    tensor([1., 2.])
    """
    return _binary(minimum_op, input, other)


# --- comparisons and logic (not differentiable: the outputs are bool) ----------------------


def _compare(o: Op, a: Any, b: Any) -> Tensor:
    (x, y), _ = prepare_elementwise(o.name, (a, b))
    return apply(o, (x, y), dtypes.bool_)


def _declare_predicate(name: str, primitive: str, doc: str) -> Op:
    def forward(b: Any, x: Any, y: Any) -> Any:
        return getattr(b, primitive)(x, y)

    forward.__doc__ = doc
    return op(name, differentiable=False)(forward)


eq_op = _declare_predicate("eq", "equal", "x == y (bool). Not differentiable.")
ne_op = _declare_predicate("ne", "not_equal", "x != y (bool). Not differentiable.")
lt_op = _declare_predicate("lt", "less", "x < y (bool). Not differentiable.")
le_op = _declare_predicate("le", "less_equal", "x <= y (bool). Not differentiable.")
gt_op = _declare_predicate("gt", "greater", "x > y (bool). Not differentiable.")
ge_op = _declare_predicate("ge", "greater_equal", "x >= y (bool). Not differentiable.")


def eq(input: Any, other: Any) -> Tensor:
    """Elementwise ``input == other`` as a bool tensor.

    >>> import plugtorch as pt
    >>> pt.eq(pt.tensor([1, 2]), 2)
    tensor([False,  True])
    """
    return _compare(eq_op, input, other)


def ne(input: Any, other: Any) -> Tensor:
    """Elementwise ``input != other`` as a bool tensor.

    >>> import plugtorch as pt
    >>> pt.ne(pt.tensor([1, 2]), 2)
    tensor([ True, False])
    """
    return _compare(ne_op, input, other)


def lt(input: Any, other: Any) -> Tensor:
    """Elementwise ``input < other`` as a bool tensor.

    >>> import plugtorch as pt
    >>> pt.lt(pt.tensor([1, 2]), 2)
    tensor([ True, False])
    """
    return _compare(lt_op, input, other)


def le(input: Any, other: Any) -> Tensor:
    """Elementwise ``input <= other`` as a bool tensor.

    >>> import plugtorch as pt
    >>> pt.le(pt.tensor([1, 3]), 2)
    tensor([ True, False])
    """
    return _compare(le_op, input, other)


def gt(input: Any, other: Any) -> Tensor:
    """Elementwise ``input > other`` as a bool tensor.

    >>> import plugtorch as pt
    >>> pt.gt(pt.tensor([1, 3]), 2)
    tensor([False,  True])
    """
    return _compare(gt_op, input, other)


def ge(input: Any, other: Any) -> Tensor:
    """Elementwise ``input >= other`` as a bool tensor.

    >>> import plugtorch as pt
    >>> pt.ge(pt.tensor([1, 2]), 2)
    tensor([False,  True])
    """
    return _compare(ge_op, input, other)


logical_and_op = _declare_predicate("logical_and", "logical_and", "x and y (bool).")
logical_or_op = _declare_predicate("logical_or", "logical_or", "x or y (bool).")
logical_xor_op = _declare_predicate("logical_xor", "logical_xor", "x xor y (bool).")
bitwise_and_op = _declare_predicate("bitwise_and", "bitwise_and", "x & y (integers and bools).")
bitwise_or_op = _declare_predicate("bitwise_or", "bitwise_or", "x | y (integers and bools).")
bitwise_xor_op = _declare_predicate("bitwise_xor", "bitwise_xor", "x ^ y (integers and bools).")


def _logical(o: Op, a: Any, b: Any) -> Tensor:
    (x, y), _ = prepare_elementwise(o.name, (a, b), dtypes.bool_)
    return apply(o, (x, y), dtypes.bool_)


def logical_and(input: Any, other: Any) -> Tensor:
    """Elementwise logical AND of the truth values (nonzero is True).

    >>> import plugtorch as pt
    >>> pt.logical_and(pt.tensor([True, False]), True)
    tensor([ True, False])
    """
    return _logical(logical_and_op, _truth(input), _truth(other))


def logical_or(input: Any, other: Any) -> Tensor:
    """Elementwise logical OR of the truth values.

    >>> import plugtorch as pt
    >>> pt.logical_or(pt.tensor([True, False]), False)
    tensor([ True, False])
    """
    return _logical(logical_or_op, _truth(input), _truth(other))


def logical_xor(input: Any, other: Any) -> Tensor:
    """Elementwise logical XOR of the truth values.

    >>> import plugtorch as pt
    >>> pt.logical_xor(pt.tensor([True, False]), True)
    tensor([False,  True])
    """
    return _logical(logical_xor_op, _truth(input), _truth(other))


def _truth(x: Any) -> Any:
    if isinstance(x, Tensor) and x._dtype is not dtypes.bool_:
        return ne(x, 0)
    return bool(x) if not isinstance(x, Tensor) else x


@op("logical_not", differentiable=False)
def logical_not_op(b: Any, x: Any) -> Any:
    """not x (bool)."""
    return b.logical_not(x)


def logical_not(input: Tensor) -> Tensor:
    """Elementwise logical NOT (nonzero is True).

    >>> import plugtorch as pt
    >>> pt.logical_not(pt.tensor([True, False]))
    tensor([False,  True])
    """
    return apply(logical_not_op, (_truth(input),), dtypes.bool_)


def _bitwise(o: Op, a: Any, b: Any) -> Tensor:
    (x, y), common = prepare_elementwise(o.name, (a, b))
    if common.is_floating_point:
        raise TypeError(f"{o.name} needs integer or bool tensors, got {common}")
    return apply(o, (x, y), common)


def bitwise_and(input: Any, other: Any) -> Tensor:
    """Elementwise ``&`` of integers or bools.

    >>> import plugtorch as pt
    >>> pt.bitwise_and(pt.tensor([12]), 10)
    tensor([8])
    """
    return _bitwise(bitwise_and_op, input, other)


def bitwise_or(input: Any, other: Any) -> Tensor:
    """Elementwise ``|`` of integers or bools.

    >>> import plugtorch as pt
    >>> pt.bitwise_or(pt.tensor([12]), 10)
    tensor([14])
    """
    return _bitwise(bitwise_or_op, input, other)


def bitwise_xor(input: Any, other: Any) -> Tensor:
    """Elementwise ``^`` of integers or bools.

    >>> import plugtorch as pt
    >>> pt.bitwise_xor(pt.tensor([12]), 10)
    tensor([6])
    """
    return _bitwise(bitwise_xor_op, input, other)


@op("bitwise_not", differentiable=False)
def bitwise_not_op(b: Any, x: Any) -> Any:
    """~x: bit inversion of integers, logical NOT of bools."""
    return b.logical_not(x) if x.dtype == bool else b.bitwise_invert(x)


def bitwise_not(input: Tensor) -> Tensor:
    """Elementwise ``~``: bit inversion of integers, NOT of bools.

    >>> import plugtorch as pt
    >>> pt.bitwise_not(pt.tensor([True, False]))
    tensor([False,  True])
    """
    if input._dtype.is_floating_point:
        raise TypeError(f"~ (bitwise_not) needs an integer or bool tensor, got {input._dtype}")
    return apply(bitwise_not_op, (input,), input._dtype)


# --- selection --------------------------------------------------------------------------------


@op("where")
def where_op(b: Any, condition: Any, x: Any, y: Any) -> Any:
    """condition ? x : y. Gradient: grad to x where condition, to y elsewhere."""
    return b.where(condition, x, y)


@where_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[None, Tensor | None, Tensor | None]:
    condition, x, y = ctx.inputs
    gx = where(condition, g, 0.0) if x.requires_grad else None
    gy = where(condition, 0.0, g) if y.requires_grad else None
    return None, gx, gy


def where(condition: Tensor, input: Any, other: Any) -> Tensor:
    """Elementwise ``input if condition else other``, with broadcasting.

    >>> import plugtorch as pt
    >>> pt.where(pt.tensor([True, False]), pt.tensor([1.0, 2.0]), 0.0)
    tensor([1., 0.])
    """
    if not isinstance(condition, Tensor) or condition._dtype is not dtypes.bool_:
        raise TypeError("where(): condition must be a bool tensor (e.g. x > 0)")
    (x, y), common = prepare_elementwise("where", (input, other))
    from plugtorch.ops._prepare import broadcast_shapes, expand_to

    shape = broadcast_shapes(condition.shape, x.shape)
    condition = expand_to(condition, shape)
    x, y = expand_to(x, shape), expand_to(y, shape)
    return apply(where_op, (condition, x, y), common)


@op("clamp")
def clamp_op(b: Any, x: Any, low: Any, high: Any) -> Any:
    """min(max(x, low), high). Gradient: grad where low <= x <= high, else 0."""
    return b.minimum(b.maximum(x, low), high)


@clamp_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor, None, None]:
    x, low, high = ctx.inputs
    return where((x >= low) & (x <= high), g, 0.0), None, None


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Clamp every element into ``[min, max]`` (either bound may be None).

    Gradient ``grad`` where ``min <= x <= max``, else 0 (as PyTorch).

    >>> import plugtorch as pt
    >>> pt.clamp(pt.tensor([-2.0, 0.5, 3.0]), min=0.0, max=1.0)
    tensor([0.0000, 0.5000, 1.0000])
    """
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    low = -float("inf") if min is None else min
    high = float("inf") if max is None else max
    if not input._dtype.is_floating_point:
        if min is None:
            return minimum(input, high)
        if max is None:
            return maximum(input, low)
    (x, lo, hi), common = prepare_elementwise("clamp", (input, low, high))
    if not isinstance(low, Tensor) and not isinstance(high, Tensor) and common is not input._dtype:
        (x, lo, hi), common = prepare_elementwise("clamp", (input, low, high), input._dtype)
    return apply(clamp_op, (x, lo, hi), common)
