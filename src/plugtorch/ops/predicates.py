"""Tests of values and of tensors: ``isnan isinf isfinite isposinf isneginf isreal`` (bool
tensors, not differentiable) and ``is_tensor is_floating_point numel`` (Python answers).

The element tests are comparisons (``x != x`` for nan, ``|x| == inf``...), so every backend
runs them with its own primitives; on integer and bool tensors, which hold no nan nor infinity,
they answer a constant tensor, as PyTorch. ``plugtorch.array_api`` uses the same functions.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

from plugtorch import dtypes
from plugtorch.ops import logic, unary
from plugtorch.ops.creation import full
from plugtorch.tensor import Tensor

__all__ = [
    "isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal", "is_tensor",
    "is_floating_point", "numel",
]  # fmt: skip


def _tensor(input: Any, name: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
            f" (wrap numbers with plugtorch.tensor(...))"
        )
    return input


def _constant(input: Tensor, value: builtins.bool) -> Tensor:
    return full(input.shape, value, dtype=dtypes.bool_, backend=input._backend)


def isnan(input: Tensor) -> Tensor:
    """True where ``input`` is nan (``x != x``); all False for integer and bool tensors.

    >>> import plugtorch as pt
    >>> pt.isnan(pt.tensor([1.0, float("nan"), float("inf")]))
    tensor([False,  True, False])
    """
    x = _tensor(input, "isnan")
    return logic.ne(x, x) if x._dtype.is_floating_point else _constant(x, False)


def isinf(input: Tensor) -> Tensor:
    """True where ``input`` is ``+inf`` or ``-inf``; all False for integer and bool tensors.

    >>> import plugtorch as pt
    >>> pt.isinf(pt.tensor([1.0, float("-inf"), float("nan")]))
    tensor([False,  True, False])
    """
    x = _tensor(input, "isinf")
    return logic.eq(unary.abs(x), math.inf) if x._dtype.is_floating_point else _constant(x, False)


def isfinite(input: Tensor) -> Tensor:
    """True where ``input`` is neither infinite nor nan (``|x| < inf``); all True for integer
    and bool tensors.

    >>> import plugtorch as pt
    >>> pt.isfinite(pt.tensor([1.0, float("inf"), float("nan")]))
    tensor([ True, False, False])
    """
    x = _tensor(input, "isfinite")
    return logic.lt(unary.abs(x), math.inf) if x._dtype.is_floating_point else _constant(x, True)


def isposinf(input: Tensor) -> Tensor:
    """True where ``input`` is ``+inf``; all False for integer and bool tensors.

    >>> import plugtorch as pt
    >>> pt.isposinf(pt.tensor([-float("inf"), float("inf"), 1.2]))
    tensor([False,  True, False])
    """
    x = _tensor(input, "isposinf")
    return logic.eq(x, math.inf) if x._dtype.is_floating_point else _constant(x, False)


def isneginf(input: Tensor) -> Tensor:
    """True where ``input`` is ``-inf``; all False for integer and bool tensors.

    >>> import plugtorch as pt
    >>> pt.isneginf(pt.tensor([-float("inf"), float("inf"), 1.2]))
    tensor([ True, False, False])
    """
    x = _tensor(input, "isneginf")
    return logic.eq(x, -math.inf) if x._dtype.is_floating_point else _constant(x, False)


def isreal(input: Tensor) -> Tensor:
    """True where ``input`` has a zero imaginary part: everywhere, since plugtorch's dtypes are
    real (nan and inf included, as PyTorch answers for real tensors).

    >>> import plugtorch as pt
    >>> pt.isreal(pt.tensor([1.0, float("nan")]))
    tensor([True, True])
    """
    return _constant(_tensor(input, "isreal"), True)


def is_tensor(obj: Any) -> builtins.bool:
    """Whether ``obj`` is a plugtorch :class:`Tensor` (a ``Parameter`` is one).

    >>> import plugtorch as pt
    >>> pt.is_tensor(pt.tensor([1.0])), pt.is_tensor([1.0])
    (True, False)
    """
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> builtins.bool:
    """Whether ``input``'s dtype is a floating-point one (``float32``, ``float64``).

    >>> import plugtorch as pt
    >>> pt.is_floating_point(pt.tensor([1.0])), pt.is_floating_point(pt.tensor([1]))
    (True, False)
    """
    return _tensor(input, "is_floating_point").is_floating_point()


def numel(input: Tensor) -> builtins.int:
    """The number of elements of ``input`` (the product of its shape; 1 for a 0-d tensor).

    >>> import plugtorch as pt
    >>> pt.numel(pt.zeros(2, 3)), pt.numel(pt.tensor(5.0))
    (6, 1)
    """
    return _tensor(input, "numel").numel()
