"""``GradScaler``: loss scaling for float16 training, with PyTorch's API and semantics.

Small float16 gradients flush to zero. The scaler multiplies the loss by a large factor before
``backward`` (so the gradients are large too), divides the gradients by it before the
optimizer step (``unscale_``), skips the step when a gradient is inf or nan, and adapts the
factor: ``backoff_factor`` times it after a skipped step, ``growth_factor`` times it after
``growth_interval`` steps in a row without one.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from enum import Enum
from typing import Any

import numpy as np

from plugtorch import cuda, dtypes
from plugtorch.autograd import grad_mode
from plugtorch.ops.creation import full, zeros
from plugtorch.tensor import Tensor

__all__ = ["GradScaler", "OptState"]


class OptState(Enum):
    """Where an optimizer is between two ``update()`` calls."""

    READY = 0
    UNSCALED = 1
    STEPPED = 2


_INF = float("inf")


def _fresh_state() -> dict[str, Any]:
    return {"stage": OptState.READY, "found_inf_per_device": {}}


class GradScaler:
    """Scale the loss, unscale and check the gradients, step unless they overflowed.

    ``GradScaler(device="cuda", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
    growth_interval=2000, enabled=True)``. ``device="cuda"`` without a working CUDA backend
    warns and disables the scaler, as PyTorch; ``GradScaler("cpu")`` works on any host
    backend. A disabled scaler is a no-op: ``scale`` returns its argument, ``step`` calls
    ``optimizer.step()``.

    >>> import plugtorch as pt
    >>> w = pt.nn.Parameter(pt.tensor([1.0]))
    >>> opt = pt.optim.SGD([w], lr=0.1)
    >>> scaler = pt.amp.GradScaler("cpu", init_scale=1024.0)
    >>> scaler.scale((w * 2).sum()).backward()
    >>> w.grad                        # scaled gradient
    tensor([2048.])
    >>> scaler.step(opt)              # unscales to 2.0, then steps
    >>> scaler.update()
    >>> w.detach(), scaler.get_scale()
    (tensor([0.8000]), 1024.0)
    """

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        self._device = str(device).split(":")[0]
        if enabled and self._device == "cuda":
            if not cuda.is_available():
                warnings.warn(
                    "GradScaler('cuda') is enabled, but CUDA is not available.  Disabling "
                    "(GradScaler('cpu') scales on the CPU backends).",
                    stacklevel=2,
                )
                enabled = False
        self._enabled = bool(enabled)
        if self._enabled:
            if not growth_factor > 1.0:
                raise ValueError(f"The growth factor must be > 1.0, got {growth_factor}")
            if not backoff_factor < 1.0:
                raise ValueError(f"The backoff factor must be < 1.0, got {backoff_factor}")
        self._init_scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._init_growth_tracker = 0
        self._scale: Tensor | None = None
        self._growth_tracker: Tensor | None = None
        self._per_optimizer_states: dict[int, dict[str, Any]] = {}

    # --- the training-loop API ------------------------------------------------------------
    def scale(self, outputs: Any) -> Any:
        """``outputs`` (a tensor or an iterable of tensors) times the scale factor."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            scale = self._scale_on(outputs)
            if scale._backend is not outputs._backend:  # PyTorch's .to(outputs.device)
                scale = scale.to(outputs._backend.name)
            return outputs * scale
        if isinstance(outputs, Iterable) and not isinstance(outputs, (str, bytes)):
            scaled = map(self.scale, outputs)
            return type(outputs)(scaled) if isinstance(outputs, (list, tuple)) else scaled
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _scale_on(self, like: Tensor) -> Tensor:
        if self._scale is None:
            backend = like._backend
            self._scale = full((), self._init_scale, dtype=dtypes.float32, backend=backend)
            self._growth_tracker = full(
                (), self._init_growth_tracker, dtype=dtypes.int32, backend=backend
            )
        return self._scale

    def _check_scale(self, function: str) -> Tensor:
        if self._scale is None:
            raise RuntimeError(
                f"Attempted {function} but _scale is None. This may indicate your script did not "
                "use scaler.scale(loss or outputs) earlier in the iteration."
            )
        return self._scale

    def _state(self, optimizer: Any) -> dict[str, Any]:
        return self._per_optimizer_states.setdefault(id(optimizer), _fresh_state())

    def unscale_(self, optimizer: Any) -> None:
        """Divide the gradients of ``optimizer``'s parameters by the scale, in place, and
        record whether any is inf or nan. Call it before clipping gradients; ``step`` calls it
        when you did not."""
        if not self._enabled:
            return
        scale = self._check_scale("unscale_")
        state = self._state(optimizer)
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inverse = 1.0 / float(scale.item())  # the reciprocal in float64, as PyTorch
        state["found_inf_per_device"] = self._unscale_grads(optimizer, inverse)
        state["stage"] = OptState.UNSCALED

    def _unscale_grads(self, optimizer: Any, inverse: float) -> dict[str, Tensor]:
        found: dict[str, Tensor] = {}
        with grad_mode.no_grad():
            for group in optimizer.param_groups:
                for param in group["params"]:
                    grad = param.grad
                    if grad is None:
                        continue
                    if grad.dtype is dtypes.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    key = str(grad.device)
                    if key not in found:
                        found[key] = zeros(1, dtype=dtypes.float32, backend=grad._backend)
                    grad.mul_(inverse)
                    if not bool((grad.abs() < _INF).all()):  # False for inf and nan
                        found[key].fill_(1.0)
        return found

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """Unscale (unless ``unscale_`` was called) and run ``optimizer.step(*args, **kwargs)``
        unless a gradient was inf or nan; returns what ``step`` returned, else None."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale("step")
        state = self._state(optimizer)
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if not state["found_inf_per_device"]:
            raise RuntimeError(
                "No inf checks were recorded for this optimizer: none of its parameters has a "
                "gradient (did backward run on scaler.scale(loss)?)"
            )
        retval = None
        if not any(float(v.item()) for v in state["found_inf_per_device"].values()):
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Adapt the scale after an iteration: back off after a skipped step, grow after
        ``growth_interval`` clean ones; or set ``new_scale`` (a float or a 1-element tensor)."""
        if not self._enabled:
            return
        scale = self._check_scale("update")
        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                if new_scale.numel() != 1 or new_scale.requires_grad:
                    raise ValueError(
                        "new_scale should be a float or a 1-element tensor with "
                        "requires_grad=False."
                    )
                scale.fill_(float(new_scale.item()))
            else:
                scale.fill_(float(new_scale))
        else:
            states = self._per_optimizer_states.values()
            found = [v for s in states for v in s["found_inf_per_device"].values()]
            if not found:
                raise RuntimeError("No inf checks were recorded prior to update().")
            self._update_scale(scale, any(float(v.item()) for v in found))
        self._per_optimizer_states = {}

    def _update_scale(self, scale: Tensor, found_inf: bool) -> None:
        tracker = self._growth_tracker
        assert tracker is not None
        current = float(scale.item())
        if found_inf:
            scale.fill_(current * self._backoff_factor)
            tracker.fill_(0)
            return
        successful = int(tracker.item()) + 1
        if successful == self._growth_interval:
            grown = current * self._growth_factor
            with np.errstate(over="ignore"):
                finite = bool(np.isfinite(np.float32(grown)))
            if finite:  # a scale that would round to inf in float32 stays (PyTorch's check)
                scale.fill_(grown)
            tracker.fill_(0)
        else:
            tracker.fill_(successful)

    # --- inspection and checkpoints ----------------------------------------------------------
    def get_scale(self) -> float:
        """The current scale factor (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale.item())

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        if self._growth_tracker is None:
            return self._init_growth_tracker
        return int(self._growth_tracker.item())

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        """``scale``, ``growth_factor``, ``backoff_factor``, ``growth_interval`` and
        ``_growth_tracker`` (an empty dict when disabled)."""
        if not self._enabled:
            return {}
        return {
            "scale": self.get_scale(),
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._get_growth_tracker(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved from a disabled "
                "instance of GradScaler."
            )
        self._init_scale = float(state_dict["scale"])
        if self._scale is not None:
            self._scale.fill_(self._init_scale)
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._growth_tracker is not None:
            self._growth_tracker.fill_(self._init_growth_tracker)
