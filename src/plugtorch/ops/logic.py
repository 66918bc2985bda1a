"""Comparisons, logic and selection: ``eq lt logical_and bitwise_not where clamp``.

Comparisons and logical ops are not differentiable (their outputs are bool).
"""

from __future__ import annotations

from typing import Any

from plugtorch import dtypes
from plugtorch.backend.protocol import Backend
from plugtorch.ops._prepare import (
    astype,
    broadcast_shapes,
    expand_to,
    prepare_elementwise,
    scalar_tensor,
)
from plugtorch.ops.binary import maximum, minimum
from plugtorch.ops.registry import Op, apply, op
from plugtorch.tensor import Tensor

__all__ = [
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_not",
    "where",
    "clamp",
]


# --- comparisons and logic (not differentiable: the outputs are bool) ----------------------


def _compare(o: Op, a: Any, b: Any) -> Tensor:
    (x, y), common = prepare_elementwise(o.name, (a, b))
    if common.is_bool and o.name in _ORDERINGS:
        # The array API orders real numbers only: bools are compared as 0 and 1.
        x, y = astype(x, dtypes.uint8), astype(y, dtypes.uint8)
    return apply(o, (x, y), dtypes.bool_)


_ORDERINGS = frozenset({"lt", "le", "gt", "ge"})


def _declare_predicate(name: str, primitive: str, doc: str) -> Op:
    def forward(b: Backend, x: Any, y: Any) -> Any:
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
    if isinstance(x, Tensor):
        return ne(x, 0) if x._dtype is not dtypes.bool_ else x
    if type(x) not in (bool, int, float):
        raise TypeError(
            f"logical ops take tensors and Python numbers, got {type(x).__name__}; wrap arrays "
            "with plugtorch.tensor()"
        )
    return bool(x)


@op("logical_not", differentiable=False)
def logical_not_op(b: Backend, x: Any) -> Any:
    """not x (bool)."""
    return b.logical_not(x)


def logical_not(input: Tensor) -> Tensor:
    """Elementwise logical NOT (nonzero is True).

    >>> import plugtorch as pt
    >>> pt.logical_not(pt.tensor([True, False]))
    tensor([False,  True])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"logical_not() expects a Tensor, got {type(input).__name__}")
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
def bitwise_not_op(b: Backend, x: Any) -> Any:
    """~x: bit inversion of integers, logical NOT of bools."""
    return b.logical_not(x) if x.dtype == bool else b.bitwise_invert(x)


def bitwise_not(input: Tensor) -> Tensor:
    """Elementwise ``~``: bit inversion of integers, NOT of bools.

    >>> import plugtorch as pt
    >>> pt.bitwise_not(pt.tensor([True, False]))
    tensor([False,  True])
    """
    if not isinstance(input, Tensor) or input._dtype.is_floating_point:
        got = input._dtype if isinstance(input, Tensor) else type(input).__name__
        raise TypeError(f"~ (bitwise_not) needs an integer or bool tensor, got {got}")
    return apply(bitwise_not_op, (input,), input._dtype)


# --- selection --------------------------------------------------------------------------------


@op("where", needs=((), (0,), (0,)))
def where_op(b: Backend, condition: Any, x: Any, y: Any) -> Any:
    """condition ? x : y. Gradient: grad to x where condition, to y elsewhere."""
    return b.where(condition, x, y)


@where_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[None, Tensor | None, Tensor | None]:
    condition, x, y = ctx.inputs
    gx = where(condition, g, 0.0) if x.requires_grad else None
    gy = where(condition, 0.0, g) if y.requires_grad else None
    return None, gx, gy


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """Elementwise ``input if condition else other``, with broadcasting; either may be a
    Python number (two numbers give the dtype PyTorch gives, on the condition's backend).
    ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``.

    >>> import plugtorch as pt
    >>> pt.where(pt.tensor([True, False]), pt.tensor([1.0, 2.0]), 0.0)
    tensor([1., 0.])
    >>> pt.where(pt.tensor([True, False]), 1.0, 0)
    tensor([1., 0.])
    """
    if not isinstance(condition, Tensor) or condition._dtype is not dtypes.bool_:
        raise TypeError("where(): condition must be a bool tensor (e.g. x > 0)")
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if input is None or other is None:
        raise TypeError("where(): give both input and other, or neither (where(condition))")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input, other = _numbers_on(condition._backend, input, other)
    (x, y), common = prepare_elementwise("where", (input, other))
    shape = broadcast_shapes(condition.shape, x.shape)
    condition = expand_to(condition, shape)
    x, y = expand_to(x, shape), expand_to(y, shape)
    return apply(where_op, (condition, x, y), common)


def _numbers_on(backend: Any, input: Any, other: Any) -> tuple[Tensor, Tensor]:
    """Two Python numbers as 0-d tensors of PyTorch's dtype for them (``where(c, 1.0, 0)``
    is float32, ``where(c, 1, 0)`` int64), on the condition's backend."""
    for value in (input, other):
        if type(value) not in (bool, int, float):
            raise TypeError(
                f"where(): input and other must be Tensors or Python numbers, got "
                f"{type(value).__name__}"
            )
    kind = dtypes.result_type((input, other))
    return scalar_tensor(input, backend, kind, ()), scalar_tensor(other, backend, kind, ())


@op("clamp")
def clamp_op(b: Backend, x: Any, low: Any, high: Any) -> Any:
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
    if common is dtypes.bool_:  # bools are not ordered by the array API: maximum casts them
        return minimum(maximum(x, lo), hi)
    return apply(clamp_op, (x, lo, hi), common)
