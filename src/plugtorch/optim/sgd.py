"""``SGD``: stochastic gradient descent with momentum, Nesterov momentum and weight decay; a
backend's fused ``sgd_step_inplace`` (or ``sgd_step``) primitive runs the momentum update in
one pass when it declares one."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from plugtorch.autograd import no_grad
from plugtorch.ops.creation import zeros_like
from plugtorch.ops.inplace import bump_version, check_writable, write
from plugtorch.ops.registry import primitive_of
from plugtorch.optim.optimizer import Optimizer, check_hyper
from plugtorch.tensor import Tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    """PyTorch's SGD. Per step, with ``g`` the gradient::

        g = g + weight_decay * p
        buf = g                                   (first step)
        buf = momentum * buf + (1 - dampening) * g (later steps)
        g = g + momentum * buf if nesterov else buf
        p = p - lr * g

    >>> import plugtorch as pt
    >>> w = pt.tensor([1.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward(); _ = opt.step()
    >>> w
    tensor([0.8000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        # PyTorch's checks and messages, written so that nan fails them too.
        lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
        dampening = group["dampening"]
        check_hyper(0.0 <= lr, f"Invalid learning rate: {lr}")
        check_hyper(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        check_hyper(0.0 <= decay, f"Invalid weight_decay value: {decay}")
        check_hyper(dampening == dampening, f"Invalid dampening value: {dampening}")
        check_hyper(
            not group["nesterov"] or (momentum > 0 and dampening == 0),
            "Nesterov momentum requires a momentum and zero dampening",
        )

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
        lr, momentum = group["lr"], group["momentum"]
        dampening, decay = group["dampening"], group["weight_decay"]
        grad = param.grad.detach()  # type: ignore[union-attr]
        if momentum and self._fused(param, grad, group):
            return
        if group["maximize"]:
            grad = -grad
        if decay:
            grad = grad.add(param, alpha=decay)
        if momentum:
            state = self.state.setdefault(param, {})
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = grad.clone()
            else:
                buffer.mul_(momentum).add_(grad, alpha=1 - dampening)
            grad = grad.add(buffer, alpha=momentum) if group["nesterov"] else buffer
        param.add_(grad, alpha=-lr)  # in place: no copy of the parameter

    def _fused(self, param: Tensor, grad: Tensor, group: dict[str, Any]) -> bool:
        """The momentum update in one pass by the backend's ``sgd_step_inplace`` (or
        ``sgd_step``) when it declares one; False (nothing done) when it declares neither."""
        backend = param._backend
        if grad._backend is not backend or grad._dtype is not param._dtype:
            return False  # the decomposition promotes (or refuses) as the ops do
        if grad.shape != param.shape:
            return False
        scalars = (group["lr"], group["momentum"], group["dampening"], group["weight_decay"])
        if not all(type(value) in (int, float) for value in scalars):
            return False  # a tensor or numpy learning rate: the tensor ops take it as it is
        fused_inplace = primitive_of(backend, "sgd_step_inplace")
        if fused_inplace is None or not backend.capabilities.mutable:
            fused_inplace = None
            if primitive_of(backend, "sgd_step") is None:
                return False
        state = self.state.setdefault(param, {})
        buffer = state.get("momentum_buffer")
        if buffer is not None and (
            buffer._backend is not backend
            or buffer._dtype is not param._dtype
            or buffer.shape != param.shape
        ):
            return False  # a loaded buffer of another dtype: the ops promote it
        first_step = buffer is None
        if buffer is None:  # its values are not read: the first step writes the gradient there
            buffer = state["momentum_buffer"] = zeros_like(param)
        arrays = (param._data, grad._data, buffer._data)
        numbers = tuple(float(value) for value in scalars)
        flags = (bool(group["nesterov"]), bool(group["maximize"]), first_step)
        if fused_inplace is not None:
            check_writable(param)
            fused_inplace(*arrays, *numbers, *flags)
            bump_version(param, buffer)
            return True
        new_param, new_buffer = primitive_of(backend, "sgd_step")(  # type: ignore[misc]
            *arrays, *numbers, *flags
        )
        write(param, new_param)
        write(buffer, new_buffer)
        return True
