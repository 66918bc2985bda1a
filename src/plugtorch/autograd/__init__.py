"""Reverse-mode automatic differentiation.

>>> import plugtorch as pt
>>> x = pt.tensor([1.0, 2.0], requires_grad=True)
>>> pt.autograd.grad((x * x).sum(), x)
(tensor([2., 4.]),)
"""

from __future__ import annotations

from typing import Any

from plugtorch._lazy import LazyNames
from plugtorch.autograd.function import Function, FunctionCtx
from plugtorch.autograd.functional import backward, grad
from plugtorch.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from plugtorch.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "Function",
    "FunctionCtx",
    "GradcheckError",
    "backward",
    "enable_grad",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "set_grad_enabled",
]

# The older ``torch.autograd.profiler`` interface is built on ``plugtorch.profiler`` (a layer
# above the ops), so it loads on first use (PEP 562).
_LAZY = LazyNames(__name__, {"profiler": "plugtorch.autograd.profiler"})


def __getattr__(name: str) -> Any:
    return _LAZY.load(name)


def __dir__() -> list[str]:
    return _LAZY.dir()
