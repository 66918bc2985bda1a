"""Matrix products: ``matmul`` (batched, broadcasting), ``mm``, ``bmm``, ``outer``, ``dot``."""

from __future__ import annotations

from typing import Any

from plugtorch import dtypes
from plugtorch.autograd import grad_mode
from plugtorch.backend.protocol import Backend
from plugtorch.ops._autocast import LOWER, PROMOTE, autocast_op
from plugtorch.ops._precision import apply_in_float32
from plugtorch.ops._prepare import astype, broadcast_shapes, expand_to
from plugtorch.ops.registry import apply, mixed_backend_error, op
from plugtorch.ops.shape import reshape, unsqueeze
from plugtorch.tensor import Tensor

__all__ = ["matmul", "mm", "bmm", "outer", "dot"]


@op("matmul", needs=((1,), (0,)))
def matmul_op(b: Backend, x: Any, y: Any) -> Any:
    """(..., n, k) @ (..., k, m) with equal batch shapes.

    Gradient: (grad @ y^T, x^T @ grad).
    """
    return b.matmul(x, y)


@matmul_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    x, y = ctx.inputs
    if not grad_mode._state.enabled:
        # No graph of the gradient: the products straight from the backend (the transposes
        # and products as ops cost four dispatches).
        b, dtype = g._backend, g._dtype
        gx = b.matmul(g._data, _transposed(b, y._data)) if x.requires_grad else None
        gy = b.matmul(_transposed(b, x._data), g._data) if y.requires_grad else None
        return (
            None if gx is None else Tensor._make(gx, b, dtype),
            None if gy is None else Tensor._make(gy, b, dtype),
        )
    gx = apply(matmul_op, (g, y.mT), g._dtype) if x.requires_grad else None
    gy = apply(matmul_op, (x.mT, g), g._dtype) if y.requires_grad else None
    return gx, gy


def _transposed(b: Backend, a: Any) -> Any:
    """The backend array ``a`` with its last two dimensions swapped."""
    axes = tuple(range(a.ndim))
    return b.permute_dims(a, (*axes[:-2], axes[-1], axes[-2]))


@autocast_op(cpu=LOWER, cuda=LOWER)
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics: 1-D operands are promoted to matrices and
    the extra dimension removed afterwards; batch dimensions broadcast. float16 and bfloat16
    multiply with float32 sums, rounded once (as PyTorch).

    Gradient ``(grad @ other^T, input^T @ grad)``.

    >>> import plugtorch as pt
    >>> pt.matmul(pt.ones(2, 3), pt.ones(3)).shape
    (2,)
    """
    return unmarked_matmul(input, other)


def unmarked_matmul(input: Tensor, other: Tensor) -> Tensor:
    """:func:`matmul` without autocast's mark: for the ops PyTorch computes natively in their
    inputs' dtype (``dot``, ``adaptive_avg_pool2d``), which autocast leaves alone."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError("matmul expects two tensors")
    if input._backend is not other._backend:
        raise mixed_backend_error("matmul", input._backend, other._backend)
    if input.ndim == 0 or other.ndim == 0:
        raise ValueError("matmul: both arguments need at least 1 dimension (use * for scalars)")
    dtype = dtypes.promote_types(input._dtype, other._dtype)
    if dtype is dtypes.bool_:
        raise TypeError("matmul of bool tensors is not supported")
    x, y = astype(input, dtype), astype(other, dtype)
    x_vector, y_vector = x.ndim == 1, y.ndim == 1
    if x_vector:
        x = unsqueeze(x, 0)
    if y_vector:
        y = unsqueeze(y, -1)
    if x.shape[-1] != y.shape[-2]:
        raise ValueError(
            f"matmul: shapes {input.shape} and {other.shape} are not aligned: "
            f"{x.shape[-1]} (last dim of the first) != {y.shape[-2]} (second-to-last of the second)"
        )
    batch = broadcast_shapes(x.shape[:-2], y.shape[:-2])
    x = expand_to(x, batch + x.shape[-2:])
    y = expand_to(y, batch + y.shape[-2:])
    out = apply_in_float32(matmul_op, (x, y), dtype)
    if x_vector and y_vector:
        return reshape(out, batch)
    if x_vector:
        return reshape(out, batch + (out.shape[-1],))
    if y_vector:
        return reshape(out, batch + (out.shape[-2],))
    return out


@autocast_op(cpu=LOWER, cuda=LOWER)
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Product of two matrices (2-D only).

    >>> import plugtorch as pt
    >>> pt.mm(pt.ones(2, 3), pt.ones(3, 4)).shape
    (2, 4)
    """
    if input.ndim != 2 or mat2.ndim != 2:
        raise ValueError(f"mm expects 2-D tensors, got {input.ndim}-D and {mat2.ndim}-D")
    return matmul(input, mat2)


@autocast_op(cpu=LOWER, cuda=LOWER)
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched product of 3-D tensors with equal batch sizes.

    >>> import plugtorch as pt
    >>> pt.bmm(pt.ones(5, 2, 3), pt.ones(5, 3, 4)).shape
    (5, 2, 4)
    """
    if input.ndim != 3 or mat2.ndim != 3 or input.shape[0] != mat2.shape[0]:
        raise ValueError(f"bmm expects (b, n, k) and (b, k, m), got {input.shape} and {mat2.shape}")
    return matmul(input, mat2)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two vectors (composite: broadcasting multiply).

    >>> import plugtorch as pt
    >>> pt.outer(pt.tensor([1, 2]), pt.tensor([1, 10]))
    tensor([[ 1, 10],
            [ 2, 20]])
    """
    if input.ndim != 1 or vec2.ndim != 1:
        raise ValueError("outer expects two 1-D tensors")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


@autocast_op(cpu=None, cuda=PROMOTE)
def dot(input: Tensor, other: Tensor) -> Tensor:
    """Inner product of two 1-D tensors.

    >>> import plugtorch as pt
    >>> pt.dot(pt.tensor([1.0, 2.0]), pt.tensor([3.0, 4.0]))
    tensor(11.)
    """
    if input.ndim != 1 or other.ndim != 1:
        raise ValueError("dot expects two 1-D tensors")
    return unmarked_matmul(input, other)
