"""``Adagrad`` (Duchi et al., 2011), PyTorch's formulation and state layout (the state is
created when the optimizer is built, as in PyTorch)."""

from __future__ import annotations

from typing import Any, Iterable

from plugtorch.ops.creation import full_like
from plugtorch.optim._per_parameter import (
    PerParameterOptimizer,
    apply_weight_decay,
    check_nonnegative,
    scalar_tensor_like,
)
from plugtorch.tensor import Tensor

__all__ = ["Adagrad"]


class Adagrad(PerParameterOptimizer):
    """Adagrad. Per step ``t``, with ``g`` the gradient (state ``sum`` starting at
    ``initial_accumulator_value``)::

        lr_t = lr / (1 + (t - 1) * lr_decay)
        g = g + weight_decay * p
        sum = sum + g**2
        p = p - lr_t * g / (sqrt(sum) + eps)

    >>> import plugtorch as pt
    >>> w = pt.tensor([1.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.5)
    >>> (w * w).sum().backward(); _ = opt.step()
    >>> w
    tensor([0.5000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("lr_decay value", lr_decay)
        check_nonnegative("weight_decay value", weight_decay)
        check_nonnegative("initial_accumulator_value value", initial_accumulator_value)
        check_nonnegative("epsilon value", eps)
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                self.state[param] = self._init_state(param, group)

    def _init_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "step": scalar_tensor_like(0.0, param),
            "sum": full_like(param, group["initial_accumulator_value"]),
        }

    def _update(
        self, param: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        step = state["step"].item()
        grad = apply_weight_decay(param, grad, 0.0, group["weight_decay"])
        learning_rate = float(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        state["sum"].addcmul_(grad, grad, value=1)
        std = state["sum"].sqrt() + group["eps"]
        param.addcdiv_(grad, std, value=-learning_rate)
