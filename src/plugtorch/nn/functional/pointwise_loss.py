"""Pointwise regression and divergence losses: ``smooth_l1_loss huber_loss kl_div``, with
PyTorch's reductions (``none``, ``mean``, ``sum``, and ``batchmean`` for ``kl_div``) and its
legacy ``size_average``/``reduce`` arguments.

All are composites of differentiable ops, so their gradients (and gradients of gradients) come
from the ops' own rules.
"""

from __future__ import annotations

import warnings

from plugtorch.ops._autocast import FLOAT32, autocast_op
from plugtorch.ops._prepare import astype
from plugtorch.ops.elementwise import abs as _abs
from plugtorch.ops.elementwise import exp, log, where
from plugtorch.ops.shape import broadcast_tensors
from plugtorch.tensor import Tensor

__all__ = ["smooth_l1_loss", "huber_loss", "kl_div", "legacy_reduction", "broadcast_for_loss"]

_REDUCTIONS = ("none", "mean", "sum")


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """The ``reduction`` string, from PyTorch's deprecated ``size_average``/``reduce`` flags
    when either is given (with PyTorch's deprecation warning), else ``reduction`` itself."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    result = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{result}' "
        "instead.",
        UserWarning,
        stacklevel=3,
    )
    return result


def reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    """``loss`` reduced by ``reduction`` (``none``, ``mean`` or ``sum``)."""
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def broadcast_for_loss(input: Tensor, target: Tensor, name: str) -> tuple[Tensor, Tensor]:
    """``input`` and ``target`` broadcast together (warning when their shapes differ, as
    PyTorch does), the target cast to the input's dtype."""
    if input.shape != target.shape:
        warnings.warn(
            f"{name}: Using a target size ({tuple(target.shape)}) that is different to the "
            f"input size ({tuple(input.shape)}). This will likely lead to incorrect results due "
            "to broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )
        input, target = broadcast_tensors(input, target)
    if target._dtype is not input._dtype:
        target = astype(target, input._dtype)
    return input, target


def _smooth_l1(diff: Tensor, beta: float) -> Tensor:
    magnitude = _abs(diff)
    if beta == 0.0:
        return magnitude
    return where(magnitude < beta, diff * diff * (0.5 / beta), magnitude - 0.5 * beta)


@autocast_op(cpu=None, cuda=FLOAT32)
def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """Smooth L1: ``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``
    (``d = input - target``); plain L1 when ``beta == 0``.

    Gradient ``d / beta`` inside, ``sign(d)`` outside.

    >>> import plugtorch as pt
    >>> smooth_l1_loss(pt.tensor([0.5, 3.0]), pt.tensor([0.0, 0.0]), reduction="none")
    tensor([0.1250, 2.5000])
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input, target = broadcast_for_loss(input, target, "smooth_l1_loss")
    return reduce_loss(_smooth_l1(input - target, float(beta)), reduction)


@autocast_op(cpu=FLOAT32, cuda=None)
def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
) -> Tensor:
    """Huber: ``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``; equals
    ``delta * smooth_l1_loss(beta=delta)``.

    >>> import plugtorch as pt
    >>> huber_loss(pt.tensor([0.5, 3.0]), pt.tensor([0.0, 0.0]), reduction="none", delta=2.0)
    tensor([0.1250, 4.0000])
    """
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    input, target = broadcast_for_loss(input, target, "huber_loss")
    return reduce_loss(_smooth_l1(input - target, float(delta)) * float(delta), reduction)


@autocast_op(cpu=FLOAT32, cuda=FLOAT32)
def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Kullback-Leibler divergence of log-probabilities ``input`` from ``target``
    (probabilities, or log-probabilities when ``log_target``), pointwise:
    ``target * (log(target) - input)`` (0 where ``target == 0``) or
    ``exp(target) * (target - input)``.

    ``reduction="batchmean"`` divides the sum by the batch size (the mathematical KL);
    ``"mean"`` divides by the number of elements and warns, as PyTorch does.

    >>> import plugtorch as pt
    >>> p = pt.tensor([[0.5, 0.5]])
    >>> kl_div(pt.tensor([[0.25, 0.75]]).log(), p, reduction="batchmean")
    tensor(0.1438)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            UserWarning,
            stacklevel=2,
        )
    if input.shape != target.shape:
        input, target = broadcast_tensors(input, target)
    if target._dtype is not input._dtype:
        target = astype(target, input._dtype)
    if log_target:
        pointwise = exp(target) * (target - input)
    else:
        positive = target > 0
        # xlogy(t, t): the log's argument is 1 where t == 0, so no -inf (and no nan gradient).
        pointwise = target * log(where(positive, target, 1.0)) - target * input
    if reduction == "batchmean":
        total = pointwise.sum()
        return total / input.shape[0] if input.ndim else total
    return reduce_loss(pointwise, reduction)
