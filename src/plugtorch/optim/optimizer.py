"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad``, ``state_dict``."""

from __future__ import annotations

import copy
from typing import Any, Callable, Iterable

from plugtorch.autograd import enable_grad
from plugtorch.ops.inplace import zero_grad_of
from plugtorch.tensor import Tensor

__all__ = ["Optimizer", "check_hyper"]


def check_hyper(ok: Any, message: str) -> None:
    """Raise ``ValueError(message)`` unless ``ok``; write ``ok`` as ``0.0 <= value`` (not
    ``value < 0``) so that nan fails too, as in PyTorch's ``Adam``.

    >>> check_hyper(0.0 <= float("nan"), "Invalid learning rate: nan")
    Traceback (most recent call last):
    ...
    ValueError: Invalid learning rate: nan
    """
    if not ok:
        raise ValueError(message)


class Optimizer:
    """Base class: holds ``param_groups`` (lists of parameters with their hyper-parameters)
    and ``state`` (per parameter: momentum buffers, moments, step counts).

    ``params`` is an iterable of tensors or of dicts ``{"params": [...], "lr": ...}`` whose
    entries override ``defaults`` for that group, as in PyTorch.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters."""
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for param in group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizers take tensors, got {type(param).__name__}")
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf tensor")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError for a bad hyper-parameter of ``group`` (every group is checked when
        it is added, defaults included). Subclasses check theirs with :func:`check_hyper`."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to ``None`` by default, as PyTorch, or to zeros
        written into the existing ``.grad`` (``set_to_none=False``)."""
        for group in self.param_groups:
            for param in group["params"]:
                zero_grad_of(param, set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        raise NotImplementedError

    def _closure_loss(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None

        with enable_grad():
            return closure()

    # --- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``, with
        parameters numbered in group order (as PyTorch); ready for ``plugtorch.save``."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            numbers = []
            for param in group["params"]:
                index.setdefault(id(param), len(index))
                numbers.append(index[id(param)])
            packed["params"] = numbers
            groups.append(packed)
        state = {
            index[id(param)]: {
                key: value.detach() if isinstance(value, Tensor) else value
                for key, value in values.items()
            }
            for param, values in self.state.items()
            if id(param) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and state saved by :meth:`state_dict` (state tensors are
        moved to each parameter's backend and dtype)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        by_index: dict[int, Tensor] = {}
        for mine, saved in zip(self.param_groups, groups):
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    "of the optimizer's group"
                )
            for param, number in zip(mine["params"], saved["params"]):
                by_index[int(number)] = param
            for key, value in saved.items():
                if key != "params":
                    mine[key] = copy.deepcopy(value)
        self.state = {}
        for number, values in state_dict["state"].items():
            param = by_index[int(number)]
            restored: dict[str, Any] = {}
            for key, value in values.items():
                if isinstance(value, Tensor):
                    value = value.detach().to(param.backend)
                    if value.dtype.is_floating_point and key != "step":
                        value = value.to(param.dtype)
                restored[key] = value
            self.state[param] = restored

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
