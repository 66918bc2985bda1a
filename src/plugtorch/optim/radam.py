"""``RAdam`` (Liu et al., 2019: rectified Adam), PyTorch's formulation and state layout."""

from __future__ import annotations

import math
from typing import Any, Iterable

from plugtorch.optim._per_parameter import (
    PerParameterOptimizer,
    apply_weight_decay,
    check_adam_family,
    moment_state,
    update_moments,
)
from plugtorch.tensor import Tensor

__all__ = ["RAdam"]


class RAdam(PerParameterOptimizer):
    """RAdam. Per step ``t``, with ``g`` the gradient::

        p = p * (1 - lr * weight_decay)   (decoupled_weight_decay)
        g = g + weight_decay * p          (otherwise)
        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        if rho_t > 5:
            l = sqrt(1 - beta2**t) / (sqrt(v) + eps)
            r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
            p = p - lr * m_hat * l * r
        else:
            p = p - lr * m_hat

    >>> import plugtorch as pt
    >>> w = pt.tensor([1.0], requires_grad=True)
    >>> opt = RAdam([w], lr=0.1)
    >>> (w * w).sum().backward(); _ = opt.step()
    >>> w                              # the first steps are plain momentum SGD
    tensor([0.8000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_adam_family(lr, eps, betas, weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _init_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return moment_state(param)

    def _update(
        self, param: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, (beta1, beta2), decay = float(group["lr"]), group["betas"], group["weight_decay"]
        step = state["step"].item()
        grad = apply_weight_decay(param, grad, lr, decay, group["decoupled_weight_decay"])
        update_moments(state, grad, beta1, beta2)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2**step / bias_correction2
        if rho_t > 5.0:
            rect = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            adaptive = (exp_avg_sq.sqrt() + group["eps"]).reciprocal() * math.sqrt(bias_correction2)
            param.add_(exp_avg * adaptive, alpha=-lr * rect / bias_correction1)
        else:
            param.add_(exp_avg, alpha=-lr / bias_correction1)
