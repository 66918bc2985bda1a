"""Linear algebra functions of the main namespace (differentiable compositions)."""

from __future__ import annotations

from typing import Sequence

import plugtorch.ops as _ops
from plugtorch.array_api._helpers import as_axis, check_array, promote_pair
from plugtorch.tensor import Tensor

__all__ = ["matmul", "matrix_transpose", "tensordot", "vecdot"]


def matmul(x1: Tensor, x2: Tensor, /) -> Tensor:
    """Matrix product with broadcasting of the batch axes (1-D operands as vectors)."""
    check_array(x1, "matmul")
    check_array(x2, "matmul")
    if x1.ndim == 0 or x2.ndim == 0:
        raise ValueError("matmul() does not accept 0-d arrays")
    return _ops.matmul(*promote_pair("matmul", x1, x2))


def matrix_transpose(x: Tensor, /) -> Tensor:
    """Swap the last two axes."""
    check_array(x, "matrix_transpose")
    return x.mT


def tensordot(
    x1: Tensor,
    x2: Tensor,
    /,
    *,
    axes: int | tuple[Sequence[int], Sequence[int]] = 2,
) -> Tensor:
    """Sum of products over ``axes`` (composite: permute, reshape, matmul)."""
    a, b = promote_pair("tensordot", x1, x2)
    if isinstance(axes, int):
        if axes < 0:
            raise ValueError("tensordot(): axes must be non-negative")
        first = tuple(range(a.ndim - axes, a.ndim))
        second = tuple(range(axes))
    else:
        first = tuple(as_axis(i, a.ndim) for i in axes[0])
        second = tuple(as_axis(i, b.ndim) for i in axes[1])
    if len(first) != len(second):
        raise ValueError("tensordot(): both axes sequences must have the same length")
    for i, j in zip(first, second):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"tensordot(): axis {i} of x1 and axis {j} of x2 differ in size")
    free_a = tuple(i for i in range(a.ndim) if i not in first)
    free_b = tuple(j for j in range(b.ndim) if j not in second)
    contracted = 1
    for i in first:
        contracted *= a.shape[i]
    rows = 1
    for i in free_a:
        rows *= a.shape[i]
    columns = 1
    for j in free_b:
        columns *= b.shape[j]
    left = _ops.reshape(_ops.permute(a, free_a + first), (rows, contracted))
    right = _ops.reshape(_ops.permute(b, second + free_b), (contracted, columns))
    product = _ops.matmul(left, right)
    return _ops.reshape(
        product, tuple(a.shape[i] for i in free_a) + tuple(b.shape[j] for j in free_b)
    )


def vecdot(x1: Tensor, x2: Tensor, /, *, axis: int = -1) -> Tensor:
    """Dot product over ``axis`` with broadcasting: ``sum(x1 * x2, axis)``."""
    a, b = promote_pair("vecdot", x1, x2)
    ndim = max(a.ndim, b.ndim)
    if not -min(a.ndim, b.ndim) <= axis < min(a.ndim, b.ndim) and axis >= 0:
        raise ValueError(f"vecdot(): axis {axis} is out of range")
    if axis >= 0:
        axis -= ndim
    a_, b_ = _ops.broadcast_tensors(a, b)
    if a.shape[axis] != b.shape[axis]:
        raise ValueError(f"vecdot(): sizes {a.shape[axis]} and {b.shape[axis]} differ")
    product = _ops.mul(a_, b_)
    if product._dtype.is_bool:
        return _ops.any(product, axis)
    return _ops.sum(product, axis, dtype=product._dtype)
