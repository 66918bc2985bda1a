"""``NAdam`` (Dozat, 2016: Adam with Nesterov momentum), PyTorch's formulation, including its
momentum-decay schedule and state layout (``mu_product``)."""

from __future__ import annotations

from typing import Any, Iterable

from plugtorch.optim._per_parameter import (
    PerParameterOptimizer,
    apply_weight_decay,
    check_adam_family,
    check_nonnegative,
    moment_state,
    scalar_tensor_like,
    update_moments,
)
from plugtorch.tensor import Tensor

__all__ = ["NAdam"]


class NAdam(PerParameterOptimizer):
    """NAdam. Per step ``t``, with ``g`` the gradient and ``psi`` = ``momentum_decay``::

        p = p * (1 - lr * weight_decay)   (decoupled_weight_decay)
        g = g + weight_decay * p          (otherwise)
        mu_t = beta1 * (1 - 0.5 * 0.96**(t * psi))
        mu_next = beta1 * (1 - 0.5 * 0.96**((t + 1) * psi))
        mu_product = mu_product * mu_t    (state, starts at 1)
        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g**2
        denom = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - mu_product) * g / denom
              - lr * mu_next / (1 - mu_product * mu_next) * m / denom

    >>> import plugtorch as pt
    >>> w = pt.tensor([1.0], requires_grad=True)
    >>> opt = NAdam([w])
    >>> (w * w).sum().backward(); _ = opt.step()
    >>> sorted(opt.state[w])
    ['exp_avg', 'exp_avg_sq', 'mu_product', 'step']
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_adam_family(lr, eps, betas, weight_decay)
        check_nonnegative("momentum_decay value", momentum_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _init_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = moment_state(param)
        state["mu_product"] = scalar_tensor_like(1.0, param)
        return state

    def _update(
        self, param: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, (beta1, beta2), decay = float(group["lr"]), group["betas"], group["weight_decay"]
        step = state["step"].item()
        grad = apply_weight_decay(param, grad, lr, decay, group["decoupled_weight_decay"])
        psi = group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        state["mu_product"].mul_(mu)
        mu_product = state["mu_product"].item()
        update_moments(state, grad, beta1, beta2)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        denom = (exp_avg_sq / (1 - beta2**step)).sqrt() + group["eps"]
        param.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - mu_product))
        param.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1.0 - mu_product * mu_next))
