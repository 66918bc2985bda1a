"""Elementwise arithmetic of two operands: ``add sub mul div pow maximum ...``.

Promotion and broadcasting happen once, in :func:`~plugtorch.ops._prepare.prepare_elementwise`.
"""

from __future__ import annotations

from typing import Any

from plugtorch import dtypes
from plugtorch.backend.protocol import Backend
from plugtorch.ops._prepare import astype, prepare_elementwise
from plugtorch.ops.registry import Op, apply, op
from plugtorch.ops.unary import _float_input, ceil, floor, log, sqrt
from plugtorch.tensor import Tensor

__all__ = [
    "add",
    "sub",
    "mul",
    "div",
    "floor_divide",
    "remainder",
    "pow",
    "maximum",
    "minimum",
    "rsqrt",
    "reciprocal",
    "square",
    "true_divide",
]

Number = bool | int | float


# --- binary arithmetic ----------------------------------------------------------------------


def _binary(o: Op, a: Any, b: Any, dtype: dtypes.DType | None = None) -> Tensor:
    (x, y), common = prepare_elementwise(o.name, (a, b), dtype)
    if common is dtypes.bool_:
        return _on_bools(o, x, y)
    return apply(o, (x, y), common)


# The array API has no arithmetic on bools. PyTorch's add, mul, maximum and minimum of bools
# give bools (True + True is True): computed on 0 and 1, the result cast back. The rest refuse.
_BOOL_ARITHMETIC = frozenset({"add", "mul", "maximum", "minimum"})


def _on_bools(o: Op, x: Tensor, y: Tensor) -> Tensor:
    if o.name == "sub":
        raise TypeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead."
        )
    if o.name not in _BOOL_ARITHMETIC:
        raise TypeError(
            f"{o.name} is not implemented for bool tensors (as in PyTorch); convert them first, "
            "e.g. x.int()"
        )
    as_int = apply(o, (astype(x, dtypes.uint8), astype(y, dtypes.uint8)), dtypes.uint8)
    return astype(as_int, dtypes.bool_)


@op("add", needs=())
def add_op(b: Backend, x: Any, y: Any) -> Any:
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


@op("sub", needs=())
def sub_op(b: Backend, x: Any, y: Any) -> Any:
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


@op("mul", needs=((1,), (0,)))
def mul_op(b: Backend, x: Any, y: Any) -> Any:
    """x * y. Gradient: (grad * y, grad * x)."""
    return b.multiply(x, y)


@mul_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    x, y = ctx.inputs
    return (g * y if x._requires_grad else None), (g * x if y._requires_grad else None)


def mul(input: Any, other: Any) -> Tensor:
    """Elementwise product.

    >>> import plugtorch as pt
    >>> pt.mul(pt.tensor([2.0]), pt.tensor([3.0]))
    tensor([6.])
    """
    return _binary(mul_op, input, other)


@op("div", needs=((1,), (0, 1)))
def div_op(b: Backend, x: Any, y: Any) -> Any:
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
        common = _common_dtype(input, other)
        if not common.is_floating_point:
            # exact in integers (a float quotient would round large int64 values)
            quotient = floor_divide(input, other)
            rest = sub(input, mul(quotient, other))
            negative = (mul(input, 1) < 0) != (mul(other, 1) < 0)
            return add(quotient, astype((rest != 0) & negative, common))
        quotient = div(input, other)
        return ceil(quotient).where(quotient < 0, floor(quotient))
    if rounding_mode is not None:
        raise ValueError(f"rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")
    common = _common_dtype(input, other)
    if not common.is_floating_point:
        common = dtypes.get_default_dtype()
    return _binary(div_op, input, other, common)


true_divide = div


def _common_dtype(a: Any, b: Any) -> dtypes.DType:
    return dtypes.result_type((o._dtype, o.ndim) if isinstance(o, Tensor) else o for o in (a, b))


@op("floor_divide", differentiable=False, needs=())
def floor_divide_op(b: Backend, x: Any, y: Any) -> Any:
    """floor(x / y). Not differentiable."""
    return b.floor_divide(x, y)


def _check_integer_divisor(name: str, input: Any, other: Any) -> None:
    """Integer division by zero raises ZeroDivisionError (as PyTorch on CPU; numpy would
    silently give 0). Floating division by zero gives +-inf or nan and is not checked."""
    if isinstance(other, Tensor):
        if other._dtype.is_floating_point or not other.numel():
            return
        if _common_dtype(input, other).is_floating_point:
            return
        if not other.eq(0).any().item():
            return
    elif type(other) is float or other != 0:
        return
    elif _common_dtype(input, other).is_floating_point:
        return
    raise ZeroDivisionError(
        f"{name}: integer division by zero (the divisor has zeros); divide floating point "
        "tensors instead, e.g. a.float() / b, to get inf or nan there"
    )


def floor_divide(input: Any, other: Any) -> Tensor:
    """Elementwise ``floor(input / other)`` (Python's ``//``). Not differentiable.

    Integer division by zero raises ``ZeroDivisionError``, as in PyTorch.

    >>> import plugtorch as pt
    >>> pt.floor_divide(pt.tensor([7, -7]), 2)
    tensor([ 3, -4])
    """
    _check_integer_divisor("floor_divide", input, other)
    return _binary(floor_divide_op, input, other)


@op("remainder", needs=((), (0, 1)))
def remainder_op(b: Backend, x: Any, y: Any) -> Any:
    """x - floor(x / y) * y (sign of y, like Python). Gradient: (grad, -grad * floor(x/y))."""
    return b.remainder(x, y)


@remainder_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor, Tensor | None]:
    x, y = ctx.inputs
    return g, (-(g * floor_divide(x, y)) if y.requires_grad else None)


def remainder(input: Any, other: Any) -> Tensor:
    """Elementwise Python-style modulus ``input % other`` (result has the sign of other).

    Integer division by zero raises ``ZeroDivisionError``, as in PyTorch.

    >>> import plugtorch as pt
    >>> pt.remainder(pt.tensor([-3, 3]), 2)
    tensor([1, 1])
    """
    _check_integer_divisor("remainder", input, other)
    return _binary(remainder_op, input, other)


# A Python-number exponent that is whole (or +-0.5) takes a fast path instead of the backend's
# general `pow` on the raw input: numpy's pow (and so numba's and array-api-strict's) costs
# about 100 ns per element for negative bases (a 90K-element float32 x ** 3.0 took 10 ms,
# PyTorch 0.04 ms) and about 1 ns for positive ones. PyTorch's CPU kernel computes 2, 3, -1,
# -2, 0.5 and -0.5 with multiplications, reciprocal and square root; so does this path, with
# PyTorch's results at nan, inf and signed zeros (pow(-0.0, 0.5) is -0.0 as sqrt gives). Other
# whole exponents call pow on |x| only (0.15 ms for x ** 5, see benchmarks/bench_pow.py).
_BY_MULTIPLICATION = frozenset({0, 1, 2, 3, -1, -2, 0.5, -0.5})
_LARGEST_WHOLE_EXPONENT = 2**53  # above it every float is even and whole; pow gives 0/1/inf


def _fast_exponent(exponent: Any, dtype: dtypes.DType) -> float | None:
    """``exponent`` when the fast path computes ``x ** exponent`` for a ``dtype`` result: a
    Python int or float (not bool) that is whole, or +-0.5 for a floating result."""
    kind = type(exponent)
    if kind is not int and kind is not float:
        return None
    if dtype.is_floating_point:
        if exponent in _BY_MULTIPLICATION or (
            abs(exponent) <= _LARGEST_WHOLE_EXPONENT and float(exponent).is_integer()
        ):
            return exponent
        return None
    if dtype.is_integer and kind is int and 0 <= exponent <= 3:
        return exponent  # larger integer powers: the backend's pow is exact and fast
    return None


def _power_by_multiplication(b: Backend, x: Any, exponent: float, dtype: Any) -> Any:
    """``x ** exponent`` for an exponent of _BY_MULTIPLICATION, always in new memory."""
    if exponent == 0:
        return b.full(x.shape, 1, dtype)  # x ** 0 is 1, even for nan
    if exponent == 1:
        return b.astype(x, dtype)  # a copy
    if exponent == 0.5:
        return b.sqrt(x)
    one = b.broadcast_to(b.full((), 1, dtype), x.shape)
    if exponent == -0.5:
        return b.divide(one, b.sqrt(x))  # rsqrt: pow(-0.0, -0.5) is -inf, as PyTorch
    if exponent == -1:
        return b.divide(one, x)
    result = b.multiply(x, x)
    if exponent == 3:
        return b.multiply(result, x)
    return b.divide(one, result) if exponent == -2 else result


def _power_of_magnitude(b: Backend, x: Any, exponent: float, dtype: Any) -> Any:
    """``x ** exponent`` for a whole exponent outside _BY_MULTIPLICATION from the power of
    ``|x|``: ``|x| ** n`` for even n, ``x * |x| ** (n - 1)`` for odd n > 0 and
    ``|x| ** (n + 1) / x`` for odd n < 0, so the base's sign (of -0.0 and -inf too) reaches
    the result as in IEEE pow: -0.0 ** 5 is -0.0, -0.0 ** -5 is -inf, -inf ** -5 is -0.0."""
    whole = int(exponent)
    if whole % 2 == 0:
        power = whole
    else:
        power = whole - 1 if whole > 0 else whole + 1
    magnitude = b.pow(b.abs(x), b.broadcast_to(b.full((), power, dtype), x.shape))
    if power == whole:
        return magnitude
    return b.multiply(x, magnitude) if whole > 0 else b.divide(magnitude, x)


@op("pow", saves_output=True, needs=((0, 1), (0, 1)))
def pow_op(b: Backend, x: Any, y: Any, *, exponent: float | None = None, dtype: Any = None) -> Any:
    """x ** y. Gradient: (grad * y * x**(y-1), grad * x**y * log(x)); for a Python-number
    exponent 0 the gradient is 0 (PyTorch)."""
    if exponent is None:
        return b.pow(x, y)
    if exponent in _BY_MULTIPLICATION:
        return _power_by_multiplication(b, x, exponent, dtype)
    return _power_of_magnitude(b, x, exponent, dtype)


@pow_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    x, y = ctx.inputs
    exponent = ctx.params["exponent"] if ctx.params else None
    gx = None
    if x.requires_grad:
        if exponent is None:
            gx = g * y * pow(x, y - 1)
        elif exponent == 0:
            gx = g * 0  # PyTorch: zeros, even where x ** -1 is infinite
        else:
            gx = g * (exponent * pow(x, exponent - 1))
    gy = None
    if y.requires_grad:
        safe = x.where(x != 0, 1.0)
        gy = g * (ctx.output * log(safe)).where((x != 0) | (y < 0), 0.0)
    return gx, gy


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001 (PyTorch's name)
    """Elementwise power ``input ** exponent``.

    Gradients ``grad * y * x**(y-1)`` and ``grad * x**y * log(x)``; for a Python-number
    exponent 0 the gradient is 0, as PyTorch. A whole Python-number exponent is fast for
    negative bases too: 2, 3, -1, -2 and +-0.5 are computed with multiplications, reciprocal
    and square root as PyTorch does, other whole ``n`` from ``|x| ** n`` with the sign of an
    odd power restored (IEEE ``pow``'s special values: ``-0.0 ** -3`` is ``-inf``).

    >>> import plugtorch as pt
    >>> pt.pow(pt.tensor([2.0, 3.0]), 2)
    tensor([4., 9.])
    >>> pt.pow(pt.tensor([-2.0, 0.0]), -1)
    tensor([-0.5000,     inf])
    """
    common = _common_dtype(input, exponent)
    if common.is_integer and isinstance(exponent, int) and exponent < 0:
        raise ValueError("integers to negative integer powers are not allowed")
    fast = _fast_exponent(exponent, common) if isinstance(input, Tensor) else None
    if fast is None:
        return _binary(pow_op, input, exponent)
    (x, y), common = prepare_elementwise("pow", (input, exponent))
    return apply(pow_op, (x, y), common, exponent=fast, dtype=common)


def _tie_split(g: Tensor, x: Tensor, y: Tensor, x_wins: Tensor) -> tuple[Tensor, Tensor]:
    tie = (x == y).to(g.dtype) * 0.5
    wins = x_wins.to(g.dtype) + tie
    return g * wins, g * (1 - wins)


@op("maximum", needs=((0, 1), (0, 1)))
def maximum_op(b: Backend, x: Any, y: Any) -> Any:
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


@op("minimum", needs=((0, 1), (0, 1)))
def minimum_op(b: Backend, x: Any, y: Any) -> Any:
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
