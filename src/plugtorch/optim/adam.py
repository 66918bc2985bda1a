"""``Adam`` and ``AdamW``, updating parameters and moments in place (as PyTorch); a backend's
fused ``adam_step_inplace`` (or ``adam_step``) primitive runs the update when it declares one."""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable

from plugtorch.autograd import no_grad
from plugtorch.ops.creation import zeros_like
from plugtorch.ops.inplace import bump_version, write
from plugtorch.ops.registry import primitive_of
from plugtorch.optim.optimizer import Optimizer, check_hyper
from plugtorch.tensor import Tensor

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's formulation. Per step ``t``, with ``g`` the gradient::

        g = g + weight_decay * p            (Adam: L2 penalty in the gradient)
        p = p * (1 - lr * weight_decay)     (AdamW: decoupled decay, instead)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    >>> import plugtorch as pt
    >>> w = pt.tensor([1.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); _ = opt.step()
    >>> w
    tensor([0.9000], requires_grad=True)
    """

    _decoupled = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        if amsgrad:
            raise NotImplementedError("amsgrad is not supported")
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        # PyTorch's checks and messages; `0.0 <= x` is False for nan, so nan is refused too.
        lr, eps, betas, decay = group["lr"], group["eps"], group["betas"], group["weight_decay"]
        check_hyper(0.0 <= lr, f"Invalid learning rate: {lr}")
        check_hyper(0.0 <= eps, f"Invalid epsilon value: {eps}")
        check_hyper(len(betas) == 2, f"betas must be a pair (beta1, beta2), got {betas!r}")
        check_hyper(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        check_hyper(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        check_hyper(0.0 <= decay, f"Invalid weight_decay value: {decay}")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()`` if given."""
        loss = self._closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                for param in group["params"]:
                    if param.grad is not None:
                        self._update(param, group)
        return loss

    def _update(self, param: Tensor, group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        decay = group["weight_decay"]
        grad = param.grad.detach()  # type: ignore[union-attr]
        if group["maximize"]:
            grad = -grad
        state = self.state.get(param)
        if not state:
            state = {"step": 0, "exp_avg": zeros_like(param), "exp_avg_sq": zeros_like(param)}
            self.state[param] = state
        state["step"] += 1
        step = state["step"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        backend = param._backend
        arrays = (param._data, grad._data, exp_avg._data, exp_avg_sq._data)
        scalars = (lr, beta1, beta2, eps, decay, step, self._decoupled)
        fused_inplace = primitive_of(backend, "adam_step_inplace")
        if fused_inplace is not None and backend.capabilities.mutable:
            # one fused pass, writing into the parameter and the moments where they lie
            fused_inplace(*arrays, *scalars)
            bump_version(param, exp_avg, exp_avg_sq)
            return
        fused = primitive_of(backend, "adam_step")
        if fused is not None:
            new_param, new_avg, new_avg_sq = fused(*arrays, *scalars)
            write(param, new_param)
            write(exp_avg, new_avg)
            write(exp_avg_sq, new_avg_sq)
            return
        if decay and self._decoupled:
            param.mul_(1 - lr * decay)
        elif decay:
            grad = grad.add(param, alpha=decay)
        exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step_size = lr / (1 - beta1**step)
        denominator = exp_avg_sq.sqrt().div_(math.sqrt(1 - beta2**step)).add_(eps)
        param.addcdiv_(exp_avg, denominator, value=-step_size)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter); ``weight_decay`` defaults to
    0.01 as in PyTorch.

    >>> import plugtorch as pt
    >>> w = pt.tensor([1.0], requires_grad=True)
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * w).sum().backward(); _ = opt.step()
    >>> w
    tensor([0.8500], requires_grad=True)
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
