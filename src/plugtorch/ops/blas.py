"""BLAS-style fused products: ``beta * input + alpha * product`` for ``addmm`` (matrix),
``addmv`` (matrix-vector), ``baddbmm`` (batched) and ``addbmm`` (batched, summed over the batch).

Compositions of ``matmul``, ``sum``, ``mul`` and ``add``, so every backend has them and the
gradients need no rule of their own. As PyTorch documents, ``beta=0`` ignores ``input``
entirely (nan and inf in it do not propagate; its gradient is zero), and integer tensors take
integer ``beta``/``alpha`` only.
"""

from __future__ import annotations

from typing import Any

from plugtorch import dtypes
from plugtorch.ops._autocast import LOWER, autocast_op
from plugtorch.ops._prepare import broadcast_shapes
from plugtorch.ops.creation import zeros
from plugtorch.ops.elementwise import where
from plugtorch.ops.linalg import matmul
from plugtorch.ops.reduction import sum as sum_
from plugtorch.ops.registry import mixed_backend_error
from plugtorch.tensor import Tensor

__all__ = ["addmm", "addmv", "addbmm", "baddbmm"]

Number = bool | int | float


def _check_scalars(name: str, dtype: dtypes.DType, beta: Any, alpha: Any) -> None:
    for label, value in (("beta", beta), ("alpha", alpha)):
        if isinstance(value, Tensor) or not isinstance(value, (bool, int, float)):
            raise TypeError(f"{name}(): argument '{label}' must be a number, got {type(value)}")
        if isinstance(value, float) and not dtype.is_floating_point:
            raise TypeError(
                f"{name}(): for integral input tensors, argument {label} must not be a floating "
                f"point number (got {value}); pass an int or convert the tensors to float"
            )


def _check_tensors(name: str, **tensors: Any) -> None:
    """Tensors on one backend with one dtype (PyTorch does not promote here)."""
    first: Tensor | None = None
    for label, tensor in tensors.items():
        if not isinstance(tensor, Tensor):
            raise TypeError(f"{name}(): argument '{label}' must be a Tensor, got {type(tensor)}")
        if first is None:
            first = tensor
            continue
        if tensor._backend is not first._backend:
            raise mixed_backend_error(name, first._backend, tensor._backend)
        if tensor._dtype is not first._dtype:
            names = ", ".join(f"{k} {t.dtype}" for k, t in tensors.items())
            raise TypeError(
                f"{name}(): expected all tensors to have the same dtype, got {names}; convert "
                "them, e.g. with .to(input.dtype)"
            )


def _check_ndim(name: str, label: str, tensor: Tensor, ndim: int, kind: str) -> None:
    if tensor.ndim != ndim:
        raise ValueError(f"{name}(): {label} must be a {kind}, got {tensor.ndim}-D tensor")


def _combine(name: str, input: Tensor, product: Tensor, beta: Number, alpha: Number) -> Tensor:
    """``beta * input + alpha * product`` with ``input`` broadcast to the product's shape;
    ``beta == 0`` ignores ``input``'s values (its gradient is then zero, as PyTorch)."""
    shape = tuple(product.shape)
    if broadcast_shapes(input.shape, shape) != shape:
        raise ValueError(
            f"{name}(): input of shape {list(input.shape)} does not broadcast to the product's "
            f"shape {list(shape)}"
        )
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:
        if not input.requires_grad:
            return scaled
        never = zeros(input.shape, dtype=dtypes.bool_, backend=input._backend)
        return scaled + where(never, input, 0)  # 0, with a zero gradient for input
    return scaled + (input if beta == 1 else input * beta)


@autocast_op(cpu=LOWER, cuda=LOWER)
def addmm(
    input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Number = 1, alpha: Number = 1
) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` for matrices ``mat1`` (n, m) and ``mat2``
    (m, p); ``input`` broadcasts to (n, p). Gradients: ``beta * grad`` for input,
    ``alpha * grad @ mat2^T`` and ``alpha * mat1^T @ grad``.

    >>> import plugtorch as pt
    >>> pt.addmm(pt.ones(2), pt.eye(2), pt.tensor([[1.0, 2.0], [3.0, 4.0]]), beta=2)
    tensor([[3., 4.],
            [5., 6.]])
    """
    _check_tensors("addmm", input=input, mat1=mat1, mat2=mat2)
    _check_ndim("addmm", "mat1", mat1, 2, "matrix")
    _check_ndim("addmm", "mat2", mat2, 2, "matrix")
    _check_scalars("addmm", mat1._dtype, beta, alpha)
    return _combine("addmm", input, matmul(mat1, mat2), beta, alpha)


@autocast_op(cpu=None, cuda=LOWER)
def addmv(
    input: Tensor, mat: Tensor, vec: Tensor, *, beta: Number = 1, alpha: Number = 1
) -> Tensor:
    """``beta * input + alpha * (mat @ vec)`` for a matrix (n, m) and a vector (m,); ``input``
    broadcasts to (n,).

    >>> import plugtorch as pt
    >>> pt.addmv(pt.tensor([1.0, 1.0]), pt.eye(2), pt.tensor([2.0, 3.0]), alpha=2)
    tensor([5., 7.])
    """
    _check_tensors("addmv", input=input, mat=mat, vec=vec)
    _check_ndim("addmv", "mat", mat, 2, "matrix")
    _check_ndim("addmv", "vec", vec, 1, "vector")
    _check_scalars("addmv", mat._dtype, beta, alpha)
    return _combine("addmv", input, matmul(mat, vec), beta, alpha)


def _check_batches(name: str, batch1: Tensor, batch2: Tensor) -> None:
    _check_ndim(name, "batch1", batch1, 3, "3D tensor")
    _check_ndim(name, "batch2", batch2, 3, "3D tensor")
    if batch1.shape[0] != batch2.shape[0]:
        raise ValueError(
            f"{name}(): batch1 and batch2 must have the same number of batches, got "
            f"{batch1.shape[0]} and {batch2.shape[0]}"
        )


@autocast_op(cpu=LOWER, cuda=LOWER)
def baddbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Number = 1, alpha: Number = 1
) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` for (b, n, m) and (b, m, p) batches;
    ``input`` broadcasts to (b, n, p).

    >>> import plugtorch as pt
    >>> pt.baddbmm(pt.zeros(1), pt.ones(2, 1, 3), pt.ones(2, 3, 1), alpha=0.5).shape
    (2, 1, 1)
    """
    _check_tensors("baddbmm", input=input, batch1=batch1, batch2=batch2)
    _check_batches("baddbmm", batch1, batch2)
    _check_scalars("baddbmm", batch1._dtype, beta, alpha)
    return _combine("baddbmm", input, matmul(batch1, batch2), beta, alpha)


@autocast_op(cpu=LOWER, cuda=LOWER)
def addbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Number = 1, alpha: Number = 1
) -> Tensor:
    """``beta * input + alpha * sum_i(batch1[i] @ batch2[i])`` for (b, n, m) and (b, m, p)
    batches; ``input`` broadcasts to (n, p).

    >>> import plugtorch as pt
    >>> pt.addbmm(pt.zeros(2, 2), pt.ones(3, 2, 1), pt.ones(3, 1, 2))
    tensor([[3., 3.],
            [3., 3.]])
    """
    _check_tensors("addbmm", input=input, batch1=batch1, batch2=batch2)
    _check_batches("addbmm", batch1, batch2)
    _check_scalars("addbmm", batch1._dtype, beta, alpha)
    product = sum_(matmul(batch1, batch2), dim=0)
    return _combine("addbmm", input, product.to(batch1._dtype), beta, alpha)
