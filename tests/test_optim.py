"""Optimizers and schedules against PyTorch's update formulas written in numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest

import plugtorch as pt
from plugtorch import nn, optim

STEPS = 5


def _quadratic_run(make_optimizer, backend: str = "numpy", dtype=pt.float64):
    """Minimise sum(a * w**2) + sum(w) from a fixed start; returns the parameter history."""
    w = nn.Parameter(pt.tensor([1.0, -2.0, 0.5], dtype=dtype, backend=backend))
    a = pt.tensor([1.0, 3.0, 0.5], dtype=dtype, backend=backend)
    opt = make_optimizer([w])
    history = []
    for _ in range(STEPS):
        opt.zero_grad()
        ((a * w * w).sum() + w.sum()).backward()
        opt.step()
        history.append(w.detach().numpy().astype(np.float64).copy())
    return history, opt


def _grad(w):
    return 2 * np.array([1.0, 3.0, 0.5]) * w + 1


def test_sgd_momentum_nesterov_weight_decay() -> None:
    lr, mu, decay = 0.1, 0.9, 0.01
    for nesterov in (False, True):
        got, _ = _quadratic_run(
            lambda p, n=nesterov: optim.SGD(p, lr=lr, momentum=mu, weight_decay=decay, nesterov=n)
        )
        w = np.array([1.0, -2.0, 0.5])
        buf = None
        for step in range(STEPS):
            g = _grad(w) + decay * w
            buf = g if buf is None else mu * buf + g
            w = w - lr * (g + mu * buf if nesterov else buf)
            np.testing.assert_allclose(got[step], w, rtol=1e-12)
    plain, _ = _quadratic_run(lambda p: optim.SGD(p, lr=lr))
    np.testing.assert_allclose(plain[0], np.array([1.0, -2.0, 0.5]) - lr * _grad(
        np.array([1.0, -2.0, 0.5])))  # fmt: skip


def _adam_reference(decoupled: bool, lr=0.05, betas=(0.9, 0.99), eps=1e-8, decay=0.1):
    w = np.array([1.0, -2.0, 0.5])
    m = np.zeros(3)
    v = np.zeros(3)
    out = []
    for t in range(1, STEPS + 1):
        g = _grad(w)
        if decoupled:
            w = w * (1 - lr * decay)
        else:
            g = g + decay * w
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        denom = np.sqrt(v) / math.sqrt(1 - betas[1] ** t) + eps
        w = w - lr / (1 - betas[0] ** t) * m / denom
        out.append(w.copy())
    return out


@pytest.mark.parametrize("cls,decoupled", [(optim.Adam, False), (optim.AdamW, True)])
def test_adam_and_adamw_match_the_formula(backend_name: str, cls, decoupled: bool) -> None:
    got, _ = _quadratic_run(
        lambda p: cls(p, lr=0.05, betas=(0.9, 0.99), weight_decay=0.1), backend_name
    )
    want = _adam_reference(decoupled)
    for step in range(STEPS):
        np.testing.assert_allclose(got[step], want[step], rtol=1e-10)


def test_optimizer_state_dict_round_trip(tmp_path) -> None:
    _, opt = _quadratic_run(lambda p: optim.Adam(p, lr=0.05))
    state = opt.state_dict()
    assert state["param_groups"][0]["params"] == [0]
    assert state["state"][0]["step"] == STEPS
    pt.save({"optimizer": state}, tmp_path / "opt.safetensors")
    loaded = pt.load(tmp_path / "opt.safetensors")["optimizer"]
    w = nn.Parameter(pt.zeros(3, dtype=pt.float64))
    fresh = optim.Adam([w], lr=1.0)
    fresh.load_state_dict(loaded)
    assert fresh.param_groups[0]["lr"] == 0.05
    np.testing.assert_array_equal(fresh.state[w]["exp_avg"].numpy(),
                                  state["state"][0]["exp_avg"].numpy())  # fmt: skip


def test_param_groups_zero_grad_and_errors() -> None:
    a, b = nn.Parameter(pt.ones(2)), nn.Parameter(pt.ones(2))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    (a.sum() + b.sum()).backward()
    opt.step()
    assert a.detach().tolist() == pytest.approx([0.9, 0.9])
    assert b.detach().tolist() == pytest.approx([0.5, 0.5])
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([a], lr=0.1, nesterov=True)


def test_schedulers() -> None:
    w = nn.Parameter(pt.zeros(1))
    opt = optim.SGD([w], lr=1.0)
    step = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    lrs = []
    for _ in range(7):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        step.step()
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    opt = optim.SGD([w], lr=0.1)
    cosine = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.02)
    seen = []
    for _ in range(5):
        seen.append(cosine.get_last_lr()[0])
        cosine.step()
    want = [0.02 + 0.08 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    assert seen == pytest.approx(want)
