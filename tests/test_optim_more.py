"""Adadelta, Adagrad, RMSprop, Adamax, NAdam and RAdam against the algorithm boxes of
PyTorch's documentation written out in numpy, on every backend; PyTorch's hyper-parameter
errors, state_dict layout, in-place updates and resuming from a state_dict."""

from __future__ import annotations

import math

import numpy as np
import pytest

import plugtorch as pt
from plugtorch import optim

A = np.array([0.5, 1.5, 2.0, 0.1])
B = np.array([1.0, -2.0, 0.3, 0.0])
START = np.array([1.0, -0.5, 2.0, 3.0])


def grad_at(p):
    """Gradient of sum(A p**2 + B p), the objective every optimizer here minimises."""
    return 2 * A * p + B


# --- numpy references (PyTorch's algorithm boxes) -----------------------------------------------


def ref_adadelta(steps, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    p, v, u = START.copy(), np.zeros(4), np.zeros(4)
    for _ in range(steps):
        g = grad_at(p) * (-1 if maximize else 1)
        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta
    return p


def ref_adagrad(steps, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial=0.0, eps=1e-10):
    p, total = START.copy(), np.full(4, initial)
    for t in range(1, steps + 1):
        g = grad_at(p) + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        total = total + g * g
        p = p - clr * g / (np.sqrt(total) + eps)
    return p


def ref_rmsprop(
    steps, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False
):
    p, v, m, b = START.copy(), np.zeros(4), np.zeros(4), np.zeros(4)
    for _ in range(steps):
        g = grad_at(p) + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        if centered:
            m = alpha * m + (1 - alpha) * g
            avg = np.sqrt(v - m * m) + eps
        else:
            avg = np.sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / avg
            p = p - lr * b
        else:
            p = p - lr * g / avg
    return p


def ref_adamax(steps, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    p, m, u = START.copy(), np.zeros(4), np.zeros(4)
    for t in range(1, steps + 1):
        g = grad_at(p) + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        u = np.maximum(betas[1] * u, np.abs(g) + eps)
        p = p - lr / (1 - betas[0] ** t) * m / u
    return p


def ref_nadam(steps, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, psi=4e-3,
              decoupled=False):  # fmt: skip
    beta1, beta2 = betas
    p, m, v = START.copy(), np.zeros(4), np.zeros(4)
    mu_product = np.float32(1.0)  # PyTorch keeps it in a float32 state tensor
    for t in range(1, steps + 1):
        g = grad_at(p)
        if weight_decay:
            if decoupled:
                p = p * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
        mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        mu_product = np.float32(mu_product * np.float32(mu))
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        denom = np.sqrt(v / (1 - beta2**t)) + eps
        prod = float(mu_product)
        p = p - lr * (1 - mu) / (1 - prod) * g / denom
        p = p - lr * mu_next / (1 - prod * mu_next) * m / denom
    return p


def ref_radam(steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    beta1, beta2 = betas
    p, m, v = START.copy(), np.zeros(4), np.zeros(4)
    rho_inf = 2 / (1 - beta2) - 1
    for t in range(1, steps + 1):
        g = grad_at(p)
        if weight_decay:
            if decoupled:
                p = p * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        if rho_t > 5:
            l_t = np.sqrt(1 - beta2**t) / (np.sqrt(v) + eps)
            r_t = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            p = p - lr * m_hat * l_t * r_t
        else:
            p = p - lr * m_hat
    return p


CASES = [
    (optim.Adadelta, {}, ref_adadelta, {}),
    (optim.Adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.1), ref_adadelta,
     dict(lr=0.5, rho=0.8, weight_decay=0.1)),
    (optim.Adagrad, dict(lr=0.1), ref_adagrad, dict(lr=0.1)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.2, initial_accumulator_value=0.3),
     ref_adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.2, initial=0.3)),
    (optim.RMSprop, {}, ref_rmsprop, {}),
    (optim.RMSprop, dict(momentum=0.9, centered=True, weight_decay=0.1, alpha=0.9),
     ref_rmsprop, dict(momentum=0.9, centered=True, weight_decay=0.1, alpha=0.9)),
    (optim.RMSprop, dict(momentum=0.5), ref_rmsprop, dict(momentum=0.5)),
    (optim.Adamax, dict(lr=0.05), ref_adamax, dict(lr=0.05)),
    (optim.Adamax, dict(lr=0.05, weight_decay=0.3, betas=(0.8, 0.9)), ref_adamax,
     dict(lr=0.05, weight_decay=0.3, betas=(0.8, 0.9))),
    (optim.NAdam, dict(lr=0.05), ref_nadam, dict(lr=0.05)),
    (optim.NAdam, dict(lr=0.05, weight_decay=0.1, momentum_decay=0.01), ref_nadam,
     dict(lr=0.05, weight_decay=0.1, psi=0.01)),
    (optim.NAdam, dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True), ref_nadam,
     dict(lr=0.05, weight_decay=0.1, decoupled=True)),
    (optim.RAdam, dict(lr=0.05), ref_radam, dict(lr=0.05)),
    (optim.RAdam, dict(lr=0.05, betas=(0.9, 0.9), weight_decay=0.1), ref_radam,
     dict(lr=0.05, betas=(0.9, 0.9), weight_decay=0.1)),
    (optim.RAdam, dict(lr=0.05, betas=(0.9, 0.9), weight_decay=0.1, decoupled_weight_decay=True),
     ref_radam, dict(lr=0.05, betas=(0.9, 0.9), weight_decay=0.1, decoupled=True)),
]  # fmt: skip


def run(optimizer_class, kwargs, steps, backend, maximize=False):
    p = pt.tensor(START, dtype=pt.float64, backend=backend, requires_grad=True)
    opt = optimizer_class([p], maximize=maximize, **kwargs)
    a, b = (
        pt.tensor(A, dtype=pt.float64, backend=backend),
        pt.tensor(B, dtype=pt.float64, backend=backend),
    )
    sign = -1.0 if maximize else 1.0
    for _ in range(steps):
        opt.zero_grad()
        (sign * (a * p * p + b * p)).sum().backward()
        opt.step()
    return p, opt


@pytest.mark.parametrize("optimizer_class, kwargs, reference, ref_kwargs", CASES)
def test_matches_pytorch_algorithm(backend_name, optimizer_class, kwargs, reference, ref_kwargs):
    steps = 12  # RAdam with beta2 = 0.9 switches to its rectified branch after step 5
    p, _ = run(optimizer_class, kwargs, steps, backend_name)
    np.testing.assert_allclose(
        p.detach().numpy(), reference(steps, **ref_kwargs), rtol=1e-9, atol=1e-12
    )


def test_maximize_ascends_the_negated_objective(backend_name):
    p, _ = run(optim.Adadelta, dict(lr=0.5), 5, backend_name, maximize=True)
    # maximizing -f moves exactly like minimising f
    np.testing.assert_allclose(p.detach().numpy(), ref_adadelta(5, lr=0.5), rtol=1e-9)


ALL = [optim.Adadelta, optim.Adagrad, optim.RMSprop, optim.Adamax, optim.NAdam, optim.RAdam]
STATE_KEYS = {
    optim.Adadelta: ["acc_delta", "square_avg", "step"],
    optim.Adagrad: ["step", "sum"],
    optim.RMSprop: ["square_avg", "step"],
    optim.Adamax: ["exp_avg", "exp_inf", "step"],
    optim.NAdam: ["exp_avg", "exp_avg_sq", "mu_product", "step"],
    optim.RAdam: ["exp_avg", "exp_avg_sq", "step"],
}
DEFAULTS = {
    optim.Adadelta: dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0),
    optim.Adagrad: dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                        eps=1e-10),
    optim.RMSprop: dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False),
    optim.Adamax: dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0),
    optim.NAdam: dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                      decoupled_weight_decay=False),
    optim.RAdam: dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                      decoupled_weight_decay=False),
}  # fmt: skip


@pytest.mark.parametrize("optimizer_class", ALL)
def test_state_dict_layout_and_defaults(backend_name, optimizer_class):
    p, opt = run(optimizer_class, {}, 2, backend_name)
    saved = opt.state_dict()
    assert sorted(saved["state"][0]) == STATE_KEYS[optimizer_class]
    step = saved["state"][0]["step"]
    assert isinstance(step, pt.Tensor) and step.ndim == 0 and step.item() == 2.0
    assert step.dtype is pt.float32
    group = saved["param_groups"][0]
    assert group["params"] == [0]
    for key, value in DEFAULTS[optimizer_class].items():
        assert group[key] == value, key
    assert group["maximize"] is False and group["foreach"] is None


@pytest.mark.parametrize("optimizer_class", ALL)
def test_update_is_in_place_and_parameters_keep_identity(backend_name, optimizer_class):
    model = pt.nn.Linear(3, 2).to(backend_name)
    weight = model.weight
    opt = optimizer_class(model.parameters(), lr=0.1)
    before = weight.detach().numpy().copy()
    model(pt.ones(4, 3, backend=backend_name)).sum().backward()
    opt.step()
    assert model.weight is weight and weight.requires_grad and weight.is_leaf
    assert not np.array_equal(weight.detach().numpy(), before)
    assert list(opt.state) == [model.weight, model.bias]


@pytest.mark.parametrize("optimizer_class", ALL)
def test_resume_from_state_dict(backend_name, optimizer_class):
    kwargs = dict(lr=0.05)
    if optimizer_class is optim.RMSprop:
        kwargs.update(momentum=0.9, centered=True)
    straight, _ = run(optimizer_class, kwargs, 6, backend_name)
    p, opt = run(optimizer_class, kwargs, 3, backend_name)
    saved = opt.state_dict()
    q = pt.tensor(p.detach().numpy(), dtype=pt.float64, backend=backend_name, requires_grad=True)
    resumed = optimizer_class([q], **kwargs)
    resumed.load_state_dict(saved)
    a = pt.tensor(A, dtype=pt.float64, backend=backend_name)
    b = pt.tensor(B, dtype=pt.float64, backend=backend_name)
    for _ in range(3):
        resumed.zero_grad()
        (a * q * q + b * q).sum().backward()
        resumed.step()
    # NAdam's mu_product is float32 state that load_state_dict casts to the parameter's dtype,
    # as PyTorch does, so the resumed run may differ in the last float32 bits.
    np.testing.assert_allclose(q.detach().numpy(), straight.detach().numpy(), rtol=1e-9)


def test_adagrad_state_exists_before_the_first_step():
    p = pt.zeros(2, requires_grad=True)
    opt = optim.Adagrad([p], initial_accumulator_value=0.5)
    assert opt.state[p]["step"].item() == 0.0
    assert opt.state[p]["sum"].numpy().tolist() == [0.5, 0.5]


@pytest.mark.parametrize(
    "optimizer_class, kwargs, message",
    [
        (optim.Adadelta, dict(lr=-1.0), "Invalid learning rate: -1.0"),
        (optim.Adadelta, dict(lr=float("nan")), "Invalid learning rate: nan"),
        (optim.Adadelta, dict(rho=1.5), "Invalid rho value: 1.5"),
        (optim.Adadelta, dict(eps=-1e-3), "Invalid epsilon value: -0.001"),
        (optim.Adadelta, dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
        (optim.Adagrad, dict(lr_decay=-1), "Invalid lr_decay value: -1"),
        (optim.Adagrad, dict(initial_accumulator_value=-1),
         "Invalid initial_accumulator_value value: -1"),
        (optim.Adagrad, dict(eps=float("nan")), "Invalid epsilon value: nan"),
        (optim.RMSprop, dict(momentum=-0.5), "Invalid momentum value: -0.5"),
        (optim.RMSprop, dict(alpha=-0.5), "Invalid alpha value: -0.5"),
        (optim.Adamax, dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
        (optim.Adamax, dict(betas=(0.9, float("nan"))), "Invalid beta parameter at index 1: nan"),
        (optim.NAdam, dict(momentum_decay=-1.0), "Invalid momentum_decay value: -1.0"),
        (optim.NAdam, dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
        (optim.RAdam, dict(weight_decay=float("nan")), "Invalid weight_decay value: nan"),
        (optim.RAdam, dict(lr=pt.tensor([0.1, 0.2])), "Tensor lr must be 1-element"),
    ],
)  # fmt: skip
def test_hyperparameter_errors_are_pytorchs(optimizer_class, kwargs, message):
    with pytest.raises(ValueError) as info:
        optimizer_class([pt.zeros(1, requires_grad=True)], **kwargs)
    assert str(info.value) == message


def test_differentiable_is_refused_with_a_reason():
    with pytest.raises(ValueError, match=r"differentiable=True\) is not supported"):
        optim.RAdam([pt.zeros(1, requires_grad=True)], differentiable=True)


def test_parameters_without_grad_are_skipped():
    p, q = pt.ones(2, requires_grad=True), pt.ones(2, requires_grad=True)
    opt = optim.NAdam([p, q])
    (p * 2).sum().backward()
    opt.step()
    assert q not in opt.state and q.detach().numpy().tolist() == [1.0, 1.0]
