"""Every hyper-parameter of every optimizer and scheduler is checked as PyTorch checks it, nan
included (issue #14). Before: ``Adam(lr=nan)`` and ``Adam(eps=nan)`` were accepted (the check
was ``lr < 0``) and ``StepLR(step_size=0)`` divided by zero at its first step."""

from __future__ import annotations

import math

import pytest

import plugtorch as pt
from plugtorch import optim
from plugtorch.optim import lr_scheduler

NAN, INF = math.nan, math.inf


def _params() -> list[pt.Tensor]:
    return [pt.zeros(2, requires_grad=True)]


ADAM_BAD = [
    (dict(lr=NAN), "Invalid learning rate: nan"),
    (dict(lr=-1e-3), "Invalid learning rate: -0.001"),
    (dict(eps=NAN), "Invalid epsilon value: nan"),
    (dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    (dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (dict(betas=(0.9, NAN)), "Invalid beta parameter at index 1: nan"),
    (dict(betas=(-0.1, 0.9)), "Invalid beta parameter at index 0: -0.1"),
    (dict(weight_decay=NAN), "Invalid weight_decay value: nan"),
    (dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
]


@pytest.mark.parametrize("kind", [optim.Adam, optim.AdamW])
@pytest.mark.parametrize("kwargs, message", ADAM_BAD)
def test_adam_refuses_bad_hyperparameters(kind, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        kind(_params(), **kwargs)


SGD_BAD = [
    (dict(lr=NAN), "Invalid learning rate: nan"),
    (dict(lr=-0.1), "Invalid learning rate: -0.1"),
    (dict(lr=0.1, momentum=NAN), "Invalid momentum value: nan"),
    (dict(lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    (dict(lr=0.1, weight_decay=NAN), "Invalid weight_decay value: nan"),
    (dict(lr=0.1, dampening=NAN), "Invalid dampening value: nan"),
    (dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov momentum requires"),
]


@pytest.mark.parametrize("kwargs, message", SGD_BAD)
def test_sgd_refuses_bad_hyperparameters(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        optim.SGD(_params(), **kwargs)


def test_parameter_groups_are_checked_too() -> None:
    opt = optim.Adam(_params(), lr=1e-3)
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        opt.add_param_group({"params": [pt.zeros(1, requires_grad=True)], "lr": NAN})
    with pytest.raises(ValueError, match="Invalid momentum value: -1"):
        optim.SGD([{"params": _params(), "momentum": -1}], lr=0.1)
    assert len(opt.param_groups) == 1


def test_valid_edges_are_accepted() -> None:
    optim.Adam(_params(), lr=0.0, eps=0.0, betas=(0.0, 0.0), weight_decay=0.0)
    optim.SGD(_params(), lr=0.0, momentum=0.9, nesterov=True)
    assert optim.AdamW(_params()).param_groups[0]["weight_decay"] == 1e-2


def test_schedulers_check_their_arguments() -> None:
    opt = optim.SGD(_params(), lr=1.0)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.StepLR([], step_size=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="step_size must be at least 1, got 0"):
        lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(TypeError, match="step_size must be an int"):
        lr_scheduler.StepLR(opt, step_size=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="gamma must be a finite number >= 0, got nan"):
        lr_scheduler.StepLR(opt, step_size=1, gamma=NAN)
    with pytest.raises(ValueError, match="T_max must be at least 1, got 0"):
        lr_scheduler.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="eta_min must be a finite number >= 0, got inf"):
        lr_scheduler.CosineAnnealingLR(opt, T_max=3, eta_min=INF)
    with pytest.raises(ValueError, match="last_epoch must be at least -1"):
        lr_scheduler.StepLR(opt, step_size=1, last_epoch=-2)
    with pytest.raises(KeyError, match=r"param_groups\[0\] when resuming"):
        lr_scheduler.StepLR(optim.SGD(_params(), lr=1.0), step_size=1, last_epoch=3)
    assert opt.param_groups[0]["lr"] == 1.0  # nothing half-applied
