"""``RMSprop`` (Hinton's lecture notes; centered form from Graves, 2013), PyTorch's formulation
and state layout."""

from __future__ import annotations

from typing import Any, Iterable

from plugtorch.ops.creation import zeros_like
from plugtorch.optim._per_parameter import (
    PerParameterOptimizer,
    apply_weight_decay,
    check_nonnegative,
    scalar_tensor_like,
)
from plugtorch.tensor import Tensor

__all__ = ["RMSprop"]


class RMSprop(PerParameterOptimizer):
    """RMSprop. Per step, with ``g`` the gradient (state ``square_avg`` ``v``, and
    ``grad_avg`` ``m`` when ``centered``, ``momentum_buffer`` ``b`` when ``momentum > 0``)::

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g**2
        m = alpha * m + (1 - alpha) * g           (centered)
        avg = sqrt(v - m**2) + eps  if centered else sqrt(v) + eps
        b = momentum * b + g / avg; p = p - lr * b  (momentum > 0)
        p = p - lr * g / avg                        (otherwise)

    >>> import plugtorch as pt
    >>> w = pt.tensor([1.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01, momentum=0.9, centered=True)
    >>> (w * w).sum().backward(); _ = opt.step()
    >>> sorted(opt.state[w])
    ['grad_avg', 'momentum_buffer', 'square_avg', 'step']
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("epsilon value", eps)
        check_nonnegative("momentum value", momentum)
        check_nonnegative("weight_decay value", weight_decay)
        check_nonnegative("alpha value", alpha)
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _init_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = {"step": scalar_tensor_like(0.0, param), "square_avg": zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = zeros_like(param)
        return state

    def _update(
        self, param: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        alpha, eps, momentum = group["alpha"], group["eps"], group["momentum"]
        grad = apply_weight_decay(param, grad, 0.0, group["weight_decay"])
        square_avg = state["square_avg"]
        square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg.lerp_(grad, 1 - alpha)
            avg = (square_avg - grad_avg * grad_avg).sqrt() + eps
        else:
            avg = square_avg.sqrt() + eps
        if momentum > 0:
            buffer = state["momentum_buffer"]
            buffer.mul_(momentum).addcdiv_(grad, avg)
            param.add_(buffer, alpha=-float(group["lr"]))
        else:
            param.addcdiv_(grad, avg, value=-float(group["lr"]))
