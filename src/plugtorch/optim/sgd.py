"""``SGD``: stochastic gradient descent with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from plugtorch.autograd import no_grad
from plugtorch.optim.optimizer import Optimizer, check_hyper

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
                lr, momentum = group["lr"], group["momentum"]
                dampening, decay = group["dampening"], group["weight_decay"]
                for param in group["params"]:
                    if param.grad is None:
                        continue
                    grad = param.grad.detach()
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
        return loss
