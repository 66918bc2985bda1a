"""The shared frame of the optimizers that update each parameter on its own (Adadelta,
Adagrad, RMSprop, Adamax, NAdam, RAdam): PyTorch's hyper-parameter checks and messages, lazy
per-parameter state with a ``step`` count kept as a 0-d tensor (PyTorch's ``state_dict``
layout), ``maximize``, and updates made in place on the parameter tensors under ``no_grad`` so
that parameters keep their identity.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from plugtorch import dtypes
from plugtorch.autograd import no_grad
from plugtorch.ops.creation import full, zeros_like
from plugtorch.optim.optimizer import Optimizer
from plugtorch.tensor import Tensor

__all__ = [
    "PerParameterOptimizer",
    "check_nonnegative",
    "check_betas",
    "check_adam_family",
    "scalar_tensor_like",
    "moment_state",
    "update_moments",
    "apply_weight_decay",
]


def check_nonnegative(label: str, value: Any) -> None:
    """PyTorch's check ``0.0 <= value`` (so nan fails too): ``ValueError("Invalid <label>:
    <value>")``."""
    if isinstance(value, Tensor) and value.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= value:
        raise ValueError(f"Invalid {label}: {value}")


def check_betas(betas: tuple[float, float]) -> None:
    """PyTorch's checks ``0 <= beta < 1`` for both coefficients."""
    for index in (0, 1):
        if not 0.0 <= betas[index] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {betas[index]}")


def check_adam_family(lr: Any, eps: float, betas: tuple[float, float], weight_decay: float) -> None:
    """The checks Adam-like optimizers share, in PyTorch's order (lr, eps, betas, decay)."""
    check_nonnegative("learning rate", lr)
    check_nonnegative("epsilon value", eps)
    check_betas(betas)
    check_nonnegative("weight_decay value", weight_decay)


def apply_weight_decay(
    param: Tensor, grad: Tensor, lr: float, decay: float, decoupled: bool = False
) -> Tensor:
    """L2 decay added to the gradient (``g + decay * p``), or, ``decoupled``, the parameter
    shrunk in place (``p *= 1 - lr * decay``); returns the gradient to use."""
    if decay == 0:
        return grad
    if decoupled:
        param.mul_(1 - lr * decay)
        return grad
    return grad.add(param, alpha=decay)


def moment_state(param: Tensor) -> dict[str, Any]:
    """``step`` plus zero first and second moments (``exp_avg``, ``exp_avg_sq``)."""
    return {
        "step": scalar_tensor_like(0.0, param),
        "exp_avg": zeros_like(param),
        "exp_avg_sq": zeros_like(param),
    }


def update_moments(state: dict[str, Any], grad: Tensor, beta1: float, beta2: float) -> None:
    """``m = beta1 m + (1 - beta1) g`` and ``v = beta2 v + (1 - beta2) g**2``, in place."""
    state["exp_avg"].lerp_(grad, 1 - beta1)
    state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)


def scalar_tensor_like(value: float, param: Tensor) -> Tensor:
    """A 0-d tensor on ``param``'s backend in PyTorch's scalar dtype for optimizer state
    (float64 when the default dtype is float64, else float32)."""
    dtype = dtypes.float64 if dtypes.get_default_dtype() is dtypes.float64 else dtypes.float32
    return full((), value, dtype=dtype, backend=param.backend)


class PerParameterOptimizer(Optimizer):
    """Runs ``_update(param, grad, state, group)`` for every parameter that has a gradient.

    Subclasses write ``_init_state(param, group)`` (the lazily created state) and
    ``_update``; the base negates the gradient when ``maximize`` is set and increments
    ``state["step"]`` (a 0-d tensor) before each update.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        if defaults.get("differentiable"):
            raise ValueError(
                f"{type(self).__name__}(differentiable=True) is not supported: plugtorch "
                "optimizers update parameters in place, outside autograd"
            )
        super().__init__(params, defaults)

    def _init_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _update(
        self, param: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        raise NotImplementedError

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()`` if given."""
        loss = self._closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                for param in group["params"]:
                    if param.grad is None:
                        continue
                    grad = param.grad.detach()
                    if group.get("maximize"):
                        grad = -grad
                    state = self.state.get(param)
                    if not state:
                        state = self._init_state(param, group)
                        self.state[param] = state
                    state["step"] += 1
                    self._update(param, grad, state, group)
        return loss
