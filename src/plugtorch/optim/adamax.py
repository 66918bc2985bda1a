"""``Adamax`` (Kingma & Ba, 2015, section 7), PyTorch's formulation and state layout."""

from __future__ import annotations

from typing import Any, Iterable

from plugtorch.ops.creation import zeros_like
from plugtorch.ops.elementwise import maximum
from plugtorch.optim._per_parameter import (
    PerParameterOptimizer,
    apply_weight_decay,
    check_adam_family,
    scalar_tensor_like,
)
from plugtorch.tensor import Tensor

__all__ = ["Adamax"]


class Adamax(PerParameterOptimizer):
    """Adamax: Adam with the infinity norm. Per step ``t``, with ``g`` the gradient (state
    ``exp_avg`` ``m`` and ``exp_inf`` ``u``, both starting at 0)::

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1**t) * m / u

    >>> import plugtorch as pt
    >>> w = pt.tensor([1.0], requires_grad=True)
    >>> opt = Adamax([w], lr=0.1)
    >>> (w * w).sum().backward(); _ = opt.step()
    >>> w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_adam_family(lr, eps, betas, weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _init_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "step": scalar_tensor_like(0.0, param),
            "exp_avg": zeros_like(param),
            "exp_inf": zeros_like(param),
        }

    def _update(
        self, param: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        beta1, beta2 = group["betas"]
        grad = apply_weight_decay(param, grad, group["lr"], group["weight_decay"])
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        exp_avg.lerp_(grad, 1 - beta1)
        exp_inf.copy_(maximum(exp_inf * beta2, grad.abs() + group["eps"]))
        step_size = float(group["lr"]) / (1 - beta1 ** state["step"].item())
        param.addcdiv_(exp_avg, exp_inf, value=-step_size)
