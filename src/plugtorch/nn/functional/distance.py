"""Distances and the losses built on them: ``cosine_similarity pairwise_distance
margin_ranking_loss triplet_margin_loss`` (PyTorch's formulas, broadcasting and reductions).
"""

from __future__ import annotations

import math

from plugtorch import dtypes
from plugtorch.nn.functional.pointwise_loss import legacy_reduction, reduce_loss
from plugtorch.ops._autocast import FLOAT32, autocast_op
from plugtorch.ops._prepare import astype, normalize_dim
from plugtorch.ops.elementwise import clamp, minimum, relu
from plugtorch.ops.shape import broadcast_tensors
from plugtorch.tensor import Tensor

__all__ = [
    "cosine_similarity",
    "pairwise_distance",
    "margin_ranking_loss",
    "triplet_margin_loss",
]


def _common_float(*tensors: Tensor) -> tuple[Tensor, ...]:
    dtype = tensors[0]._dtype
    for t in tensors[1:]:
        dtype = dtypes.promote_types(dtype, t._dtype)
    if not dtype.is_floating_point:
        dtype = dtypes.get_default_dtype()
    return tuple(t if t._dtype is dtype else astype(t, dtype) for t in tensors)


def _vector_norm(x: Tensor, p: float, dim: int, keepdim: bool) -> Tensor:
    magnitude = x.abs()
    if math.isinf(p):
        return magnitude.amax(dim, keepdim) if p > 0 else magnitude.amin(dim, keepdim)
    if p == 0:
        return (x != 0).sum(dim, keepdim).to(x.dtype)
    if p == 2:
        return (x * x).sum(dim, keepdim).sqrt()
    if p == 1:
        return magnitude.sum(dim, keepdim)
    return (magnitude**p).sum(dim, keepdim) ** (1.0 / p)


@autocast_op(cpu=None, cuda=FLOAT32)
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``x1 . x2 / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim`` of the broadcast
    shape; ``dim`` is removed from the result.

    >>> import plugtorch as pt
    >>> cosine_similarity(pt.tensor([[1.0, 0.0], [1.0, 1.0]]), pt.tensor([[1.0, 0.0]]))
    tensor([1.0000, 0.7071])
    """
    x1, x2 = _common_float(*broadcast_tensors(x1, x2))
    axis = normalize_dim(dim, x1.ndim)
    norm1 = clamp(_vector_norm(x1, 2.0, axis, False), min=eps)
    norm2 = clamp(_vector_norm(x2, 2.0, axis, False), min=eps)
    return (x1 * x2).sum(axis) / (norm1 * norm2)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """The ``p``-norm of ``x1 - x2 + eps`` over the last dimension (rows of ``(N, D)`` inputs,
    broadcasting as PyTorch); ``eps`` keeps the gradient finite for equal rows.

    >>> import plugtorch as pt
    >>> pairwise_distance(pt.tensor([[3.0, 4.0]]), pt.tensor([[0.0, 0.0]]), eps=0.0)
    tensor([5.])
    """
    x1, x2 = _common_float(x1, x2)
    diff = x1 - x2 + eps
    if diff.ndim == 0:
        return diff.abs()
    return _vector_norm(diff, float(p), diff.ndim - 1, keepdim)


@autocast_op(cpu=FLOAT32, cuda=FLOAT32)
def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``, ``target`` in {1, -1} saying which
    input should rank higher.

    >>> import plugtorch as pt
    >>> margin_ranking_loss(pt.tensor([1.0, 1.0]), pt.tensor([2.0, 0.0]), pt.tensor([1.0, 1.0]))
    tensor(0.5000)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {tuple(input1.shape)}, input2: {tuple(input2.shape)}, "
            f"target: {tuple(target.shape)} "
        )
    input1, input2, target = _common_float(input1, input2, target)
    return reduce_loss(relu(-target * (input1 - input2) + margin), reduction)


@autocast_op(cpu=FLOAT32, cuda=FLOAT32)
def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the :func:`pairwise_distance`
    (``p``, ``eps``); with ``swap``, ``d(a, n)`` is replaced by ``min(d(a, n), d(p, n))``.

    >>> import plugtorch as pt
    >>> a, pos, neg = pt.tensor([[0.0, 0.0]]), pt.tensor([[3.0, 4.0]]), pt.tensor([[0.0, 1.0]])
    >>> triplet_margin_loss(a, pos, neg, eps=0.0)
    tensor(5.)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
            f"negative {negative.ndim}D inputs"
        )
    d_positive = pairwise_distance(anchor, positive, p, eps)
    d_negative = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_negative = minimum(d_negative, pairwise_distance(positive, negative, p, eps))
    return reduce_loss(relu(d_positive - d_negative + margin), reduction)
