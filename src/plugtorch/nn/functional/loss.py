"""Losses: ``cross_entropy nll_loss mse_loss l1_loss binary_cross_entropy
binary_cross_entropy_with_logits``, PyTorch's semantics and numerically stable.

``cross_entropy`` is ``log_softmax`` then a ``gather`` of the targets' log-probabilities (no
one-hot tensors), so logits of size 1e4 give finite losses and finite gradients.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from plugtorch import dtypes
from plugtorch.backend.protocol import AcceleratedBackend, Backend
from plugtorch.nn.functional.activation import log_softmax
from plugtorch.nn.functional.pointwise_loss import broadcast_for_loss, legacy_reduction, reduce_loss
from plugtorch.ops._autocast import FLOAT32, REFUSE, autocast_op
from plugtorch.ops._precision import apply_in_float32
from plugtorch.ops._prepare import astype
from plugtorch.ops.elementwise import abs as _abs
from plugtorch.ops.elementwise import clamp, exp, log, log1p, relu, where
from plugtorch.ops.indexing import gather
from plugtorch.ops.registry import apply, op
from plugtorch.ops.shape import movedim, reshape
from plugtorch.tensor import Tensor

__all__ = [
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]

_REDUCTIONS = ("mean", "sum", "none")


@contextmanager
def errstate_quiet() -> Iterator[None]:
    """log(0) is expected in binary_cross_entropy (then clamped): no numpy warning for it."""
    with np.errstate(divide="ignore"):
        yield


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _classes_last(input: Tensor) -> Tensor:
    """``(N, C, d1, ...) -> (N * d1 * ..., C)``; ``(N, C)`` and ``(C,)`` unchanged."""
    if input.ndim <= 2:
        return input
    moved = movedim(input, 1, -1)
    return reshape(moved, (-1, input.shape[1]))


def _weighted_nll(
    logp: Tensor,
    target: Tensor,
    weight: Tensor | None,
    ignore_index: int,
    reduction: str,
    label_smoothing: float = 0.0,
) -> Tensor:
    """NLL of class indices on ``logp (M, C)`` with ``target (M,)``; the heart of both losses."""
    if target._dtype.is_floating_point or target._dtype is dtypes.bool_:
        raise TypeError(f"class-index targets must be integers, got {target._dtype}")
    target = astype(target, dtypes.int64)
    classes = logp.shape[1]
    ignored = target == ignore_index
    any_ignored = bool(ignored.any())
    if any_ignored:
        target = where(ignored, 0, target)
    picked = reshape(gather(logp, 1, reshape(target, (-1, 1))), (-1,))
    loss = -picked
    if weight is not None:
        weight = astype(weight, logp._dtype)
        sample_weight = weight[target]
        loss = loss * sample_weight
    if label_smoothing:
        smooth = -(logp * weight).sum(1) if weight is not None else -logp.sum(1)
        loss = (1 - label_smoothing) * loss + (label_smoothing / classes) * smooth
    if any_ignored:
        loss = where(ignored, 0.0, loss)
    if reduction == "mean" and (weight is not None or any_ignored):
        if weight is None:
            denominator = (~ignored).sum().to(logp._dtype)
        else:
            denominator = where(ignored, 0.0, sample_weight).sum()
        return loss.sum() / denominator
    return _reduce(loss, reduction)


@op("cross_entropy", needs=((0, 1), ()), primitive="cross_entropy", state=True)
def cross_entropy_op(b: AcceleratedBackend, logits: Any, target: Any, *, ignore_index: int) -> Any:
    """Per-row ``logsumexp(logits) - logits[target]`` of (M, C) logits and (M,) int64 class
    indices (0 where ``target == ignore_index``), by the backend's fused cross_entropy
    primitive (which also returns each row's logsumexp, for the backward).

    Gradient: the cross_entropy_backward primitive, else the decomposition's (log_softmax and a
    gather): ``grad * (softmax(logits) - onehot(target))``, 0 in ignored rows.
    """
    return b.cross_entropy(logits, target, ignore_index)


@cross_entropy_op.decomposition
def _(logits: Tensor, target: Tensor, *, ignore_index: int) -> Tensor:
    ignored = target == ignore_index
    any_ignored = bool(ignored.any())
    if any_ignored:
        target = where(ignored, 0, target)  # (a valid class for the gather; zeroed below)
    picked = -reshape(gather(log_softmax(logits, 1), 1, reshape(target, (-1, 1))), (-1,))
    return where(ignored, 0.0, picked) if any_ignored else picked


@cross_entropy_op.backward_primitive("cross_entropy_backward")
def _(b: AcceleratedBackend, ctx: Any, g: Tensor, needs: tuple[bool, ...]) -> tuple[Any, None]:
    logits, target = ctx.inputs
    ignore_index = ctx.params["ignore_index"]
    grad = b.cross_entropy_backward(g._data, logits._data, target._data, ignore_index, ctx.state)
    return grad, None


def _fused_cross_entropy(
    logits: Tensor, target: Tensor, ignore_index: int, reduction: str
) -> Tensor:
    """Cross-entropy of (M, C) logits and (M,) class indices as one op (no weight, no label
    smoothing). Targets are checked here, once: each in [0, C) or equal to ``ignore_index``."""
    if target._dtype.is_floating_point or target._dtype is dtypes.bool_:
        raise TypeError(f"class-index targets must be integers, got {target._dtype}")
    target = astype(target, dtypes.int64)
    rows, classes = logits.shape
    ignored_count: Tensor | None = None
    if rows:
        b = target._backend
        low = int(np.asarray(b.to_numpy(b.min(target._data, (0,), False))))
        high = int(np.asarray(b.to_numpy(b.max(target._data, (0,), False))))
        ignored = target == ignore_index if low <= ignore_index <= high else None
        if ignored is not None:
            ignored_count = ignored.sum()
        if low < 0 or high >= classes:  # allowed only where the target is ignore_index
            outside = (target < 0) | (target >= classes)
            bad = outside if ignored is None else where(ignored, False, outside)
            if bool(bad.any()):
                value = int(target[bad][0].item())
                raise IndexError(
                    f"cross_entropy: Target {value} is out of bounds: expected a class in "
                    f"[0, {classes - 1}] or ignore_index ({ignore_index})"
                )
    loss = apply_in_float32(
        cross_entropy_op, (logits, target), logits._dtype, ignore_index=ignore_index
    )
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction != "mean":
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    if ignored_count is None:
        return loss.mean()
    # the mean over the rows that count (nan when every row is ignored, as PyTorch)
    return loss.sum() / (rows - ignored_count).to(logits._dtype)


@autocast_op(cpu=FLOAT32, cuda=FLOAT32)
def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy of unnormalised logits ``input (N, C)`` (or ``(N, C, d1, ...)``) against
    class indices ``target (N)`` or class probabilities (same shape as ``input``).

    ``loss = -log_softmax(input)[target]``; with ``label_smoothing`` ``e`` the target is
    ``(1 - e) * onehot + e / C``. Gradient ``softmax(input) - target`` (per sample).

    >>> import plugtorch as pt
    >>> cross_entropy(pt.tensor([[0.0, 1e4]]), pt.tensor([0]))
    tensor(10000.)
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1], got {label_smoothing}")
    if input.ndim == 1:
        input, target = reshape(input, (1, -1)), reshape(target, (1, *target.shape))
    if target._dtype.is_floating_point:
        logp = log_softmax(input, 1)
        if target.shape != input.shape:
            raise ValueError(
                f"probability targets need the input's shape {input.shape}, got {target.shape}"
            )
        classes = input.shape[1]
        target = astype(target, logp._dtype)
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / classes
        products = logp * target
        if weight is not None:
            products = products * reshape(astype(weight, logp._dtype), (1, classes) + (1,) *
                                          (input.ndim - 2))  # fmt: skip
        loss = -products.sum(1)
        if reduction == "mean":
            return loss.sum() / loss.numel()
        return _reduce(loss, reduction)
    expected = (input.shape[0],) + input.shape[2:]
    if target.shape != expected:
        raise ValueError(f"cross_entropy: target shape {target.shape}, expected {expected}")
    fusable = input._dtype.is_floating_point and input.ndim > 1 and input.shape[1] > 0
    if weight is None and not label_smoothing and fusable:
        loss = _fused_cross_entropy(
            _classes_last(input), reshape(target, (-1,)), ignore_index, reduction
        )
        return reshape(loss, expected) if reduction == "none" else loss
    loss = _weighted_nll(
        _classes_last(log_softmax(input, 1)),
        reshape(target, (-1,)),
        weight,
        ignore_index,
        reduction if reduction != "none" else "none",
        label_smoothing,
    )
    return reshape(loss, expected) if reduction == "none" else loss


@autocast_op(cpu=FLOAT32, cuda=FLOAT32)
def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities ``input (N, C)`` at class indices ``target``.

    >>> import plugtorch as pt
    >>> nll_loss(pt.tensor([[-1.0, -2.0]]), pt.tensor([1]))
    tensor(2.)
    """
    if input.ndim == 1:
        input, target = reshape(input, (1, -1)), reshape(target, (1, *target.shape))
    expected = (input.shape[0],) + input.shape[2:]
    if target.shape != expected:
        raise ValueError(f"nll_loss: target shape {target.shape}, expected {expected}")
    loss = _weighted_nll(
        _classes_last(input), reshape(target, (-1,)), weight, ignore_index, reduction
    )
    return reshape(loss, expected) if reduction == "none" else loss


def _check_same_shape(input: Tensor, target: Tensor, name: str) -> Tensor:
    if input.shape != target.shape:
        raise ValueError(
            f"{name}: target shape {target.shape} differs from input shape {input.shape}; "
            "reshape one of them (broadcasting here is almost always a bug)"
        )
    return astype(target, input._dtype)


@autocast_op(cpu=FLOAT32, cuda=FLOAT32)
def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Mean squared error ``(input - target)**2`` (shapes that differ broadcast, with
    PyTorch's warning).

    >>> import plugtorch as pt
    >>> mse_loss(pt.tensor([1.0, 3.0]), pt.tensor([1.0, 1.0]))
    tensor(2.)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    input, target = broadcast_for_loss(input, target, "mse_loss")
    diff = input - target
    return reduce_loss(diff * diff, reduction)


@autocast_op(cpu=FLOAT32, cuda=FLOAT32)
def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Mean absolute error ``|input - target|`` (shapes that differ broadcast, with PyTorch's
    warning). Gradient ``sign(input - target)``.

    >>> import plugtorch as pt
    >>> l1_loss(pt.tensor([1.0, 3.0]), pt.tensor([1.0, 1.0]))
    tensor(1.)
    >>> l1_loss(pt.tensor([1.0, 3.0]), pt.tensor([0.0, 1.0]), reduction="none")
    tensor([1., 2.])
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    input, target = broadcast_for_loss(input, target, "l1_loss")
    return reduce_loss(_abs(input - target), reduction)


@op("binary_cross_entropy")
def binary_cross_entropy_op(b: Backend, p: Any, y: Any, *, dtype: dtypes.DType) -> Any:
    """-(y log p + (1 - y) log(1 - p)), each log clamped at -100 (PyTorch).

    Gradients (direct, so p = 0 or 1 gives finite ones): (p - y) / max(p (1 - p), 1e-12) for
    p, and log(1 - p) - log(p) (clamped) for y.
    """
    log_p, log_q = _clamped_logs(b, p, dtype)
    one = b.broadcast_to(b.full((), 1, dtype), p.shape)
    return b.negative(b.add(b.multiply(y, log_p), b.multiply(b.subtract(one, y), log_q)))


def _clamped_logs(b: Backend, p: Any, dtype: dtypes.DType) -> tuple[Any, Any]:
    one = b.broadcast_to(b.full((), 1, dtype), p.shape)
    floor = b.broadcast_to(b.full((), -100, dtype), p.shape)
    return b.maximum(b.log(p), floor), b.maximum(b.log(b.subtract(one, p)), floor)


@binary_cross_entropy_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    p, y = ctx.inputs
    grad_p = grad_y = None
    if p.requires_grad:
        grad_p = g * (p - y) / clamp(p * (1 - p), min=1e-12)
    if y.requires_grad:
        grad_y = g * (clamp(log(1 - p), min=-100.0) - clamp(log(p), min=-100.0))
    return grad_p, grad_y


@autocast_op(cpu=FLOAT32, cuda=REFUSE)
def binary_cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None = None, reduction: str = "mean"
) -> Tensor:
    """``-(y log(p) + (1 - y) log(1 - p))`` of probabilities ``p``; each log is clamped at
    -100 and the gradient ``(p - y) / max(p (1 - p), 1e-12)`` is computed directly, as in
    PyTorch, so ``p = 0`` or ``1`` gives a finite loss and a finite gradient.

    >>> import plugtorch as pt
    >>> binary_cross_entropy(pt.tensor([0.0, 1.0]), pt.tensor([1.0, 1.0]))
    tensor(50.)
    """
    y = _check_same_shape(input, target, "binary_cross_entropy")
    if not input._dtype.is_floating_point:
        raise TypeError(f"binary_cross_entropy needs floating probabilities, got {input._dtype}")
    if input.numel() and not ((input >= 0) & (input <= 1)).all().item():  # nan fails too
        raise ValueError(
            "binary_cross_entropy: all elements of input should be between 0 and 1 (found "
            "values outside [0, 1] or nan); for logits use binary_cross_entropy_with_logits"
        )
    with errstate_quiet():
        loss = apply(binary_cross_entropy_op, (input, y), input._dtype, dtype=input._dtype)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


@autocast_op(cpu=FLOAT32, cuda=FLOAT32)
def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy of logits ``x``, stable for any ``x``:
    ``max(x, 0) - x y + log(1 + exp(-|x|))`` (with ``pos_weight`` ``w``:
    ``(1 - y) x + (1 + (w - 1) y) (log(1 + exp(-|x|)) + max(-x, 0))``).

    >>> import plugtorch as pt
    >>> binary_cross_entropy_with_logits(pt.tensor([1e4, -1e4]), pt.tensor([1.0, 0.0]))
    tensor(0.)
    """
    y = _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    softplus_neg = log1p(exp(-_abs(input)))  # log(1 + exp(-|x|)), never overflows
    if pos_weight is None:
        loss = relu(input) - input * y + softplus_neg
    else:
        scale = 1 + (pos_weight - 1) * y
        loss = (1 - y) * input + scale * (softplus_neg + relu(-input))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)
