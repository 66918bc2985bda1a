"""``Adadelta`` (Zeiler, 2012), PyTorch's formulation and state layout."""

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

__all__ = ["Adadelta"]


class Adadelta(PerParameterOptimizer):
    """Adadelta. Per step, with ``g`` the gradient (state ``square_avg`` ``v``,
    ``acc_delta`` ``u``, both starting at 0)::

        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g**2
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta**2
        p = p - lr * delta

    >>> import plugtorch as pt
    >>> w = pt.tensor([1.0], requires_grad=True)
    >>> opt = Adadelta([w])
    >>> (w * w).sum().backward(); _ = opt.step()
    >>> sorted(opt.state[w])
    ['acc_delta', 'square_avg', 'step']
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonnegative("epsilon value", eps)
        check_nonnegative("weight_decay value", weight_decay)
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _init_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "step": scalar_tensor_like(0.0, param),
            "square_avg": zeros_like(param),
            "acc_delta": zeros_like(param),
        }

    def _update(
        self, param: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        rho, eps, decay = group["rho"], group["eps"], group["weight_decay"]
        grad = apply_weight_decay(param, grad, 0.0, decay)
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
        std = (square_avg + eps).sqrt()
        delta = (acc_delta + eps).sqrt() / std * grad
        acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        param.add_(delta, alpha=-float(group["lr"]))
