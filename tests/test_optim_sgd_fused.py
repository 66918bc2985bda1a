"""The fused ``sgd_step`` / ``sgd_step_inplace`` primitives against SGD's decomposition into
tensor ops: every option combination, several steps, bit for bit, on the backends that
declare them (a view parameter, a parameter without a gradient and a strided gradient
included)."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

import plugtorch as pt
from plugtorch import optim

FUSED = frozenset({"sgd_step", "sgd_step_inplace"})
HOSTS = [name for name in ("numpy", "numba") if pt.get_backend(name).is_available()]


class Declaring:
    """``backend`` declaring only the optional primitives in ``keep``; counts SGD calls."""

    def __init__(self, backend: Any, keep: frozenset[str], name: str) -> None:
        self._backend = backend
        self.name = name
        self.capabilities = replace(backend.capabilities, primitives=keep)
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._backend, name)
        if name not in FUSED:
            return attribute

        def counted(*args: Any) -> Any:
            self.calls[name] += 1
            return attribute(*args)

        return counted


def _variant(host: str, keep: frozenset[str], label: str) -> Declaring:
    backend = pt.get_backend(host)
    variant = Declaring(backend, keep, f"{host}-sgd-{label}")
    pt.register_backend(variant.name, variant)
    return variant


def _options() -> list[dict[str, Any]]:
    combos = []
    for momentum, dampening, decay, nesterov, maximize in itertools.product(
        (0.0, 0.9), (0.0, 0.3), (0.0, 0.05), (False, True), (False, True)
    ):
        if nesterov and (momentum == 0 or dampening != 0):
            continue  # PyTorch refuses these (tested in test_optim_hyperparameters)
        combos.append(
            dict(
                momentum=momentum,
                dampening=dampening,
                weight_decay=decay,
                nesterov=nesterov,
                maximize=maximize,
            )
        )
    return combos


def _train(backend: str, dtype: pt.dtype, options: dict[str, Any], steps: int = 4) -> list:
    """Four SGD steps over a plain parameter, a strided view of a buffer (its gradient a
    transposed tensor), a contiguous view and a parameter whose gradient stays None."""
    rng = np.random.default_rng(7)

    def values(*shape: int) -> pt.Tensor:
        return pt.tensor(rng.standard_normal(shape), dtype=dtype, backend=backend)

    plain = values(3, 5).requires_grad_()
    strided_base, rows_base = values(4, 6), values(5, 3)
    strided = strided_base[:, ::2].requires_grad_()
    rows = rows_base[1:].requires_grad_()
    idle = values(3).requires_grad_()
    start_idle = idle.detach().numpy().copy()
    optimizer = optim.SGD([plain, strided, rows, idle], lr=0.05, **options)
    for step in range(steps):
        plain.grad = values(3, 5) * (step + 1)
        strided.grad = values(3, 4).t()
        rows.grad = values(4, 3)
        optimizer.step()
    assert idle.grad is None and idle not in optimizer.state
    np.testing.assert_array_equal(idle.detach().numpy(), start_idle)
    out = [t.detach().numpy().copy() for t in (plain, strided_base, rows_base)]
    if options["momentum"]:
        out += [optimizer.state[p]["momentum_buffer"].numpy().copy() for p in (plain, strided)]
    return out


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("dtype", [pt.float64, pt.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("tier", ["sgd_step_inplace", "sgd_step"])
def test_fused_sgd_equals_the_decomposition(host: str, dtype: pt.dtype, tier: str) -> None:
    declared = pt.get_backend(host).capabilities.primitives
    assert FUSED <= declared, f"{host} should declare {sorted(FUSED)}"
    others = declared - FUSED
    fused = _variant(host, others | {tier}, tier)
    decomposed = _variant(host, others, "decomposed")
    for options in _options():
        fused.calls.clear()
        got = _train(fused.name, dtype, options)
        want = _train(decomposed.name, dtype, options)
        assert not decomposed.calls
        # momentum 0 has no buffer to fuse: the two ops of the decomposition run
        assert fused.calls[tier] == (3 * 4 if options["momentum"] else 0), options
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b, err_msg=f"{host} {tier} {options}")


def test_fused_sgd_follows_pytorch_formula() -> None:
    """Dampening and maximize through the fused path, against PyTorch's documented update."""
    lr, mu, tau, decay = 0.1, 0.8, 0.3, 0.05
    w0 = np.array([1.0, -2.0, 0.5])
    grads = [np.array([0.5, 1.0, -1.0]) * (k + 1) for k in range(3)]
    for host in HOSTS:
        w = pt.tensor(w0, dtype=pt.float64, backend=host, requires_grad=True)
        opt = optim.SGD([w], lr=lr, momentum=mu, dampening=tau, weight_decay=decay, maximize=True)
        want, buf = w0.copy(), None
        for g in grads:
            w.grad = pt.tensor(g, dtype=pt.float64, backend=host)
            opt.step()
            d = -g + decay * want
            buf = d if buf is None else mu * buf + (1 - tau) * d
            want = want - lr * buf
            np.testing.assert_allclose(w.detach().numpy(), want, rtol=1e-14)


@pytest.mark.parametrize("dtype", [pt.float16, pt.bfloat16], ids=["float16", "bfloat16"])
def test_fused_sgd_half_precision_equals_the_decomposition(dtype: pt.dtype) -> None:
    """Half dtypes: the reference's update rounds as the decomposition's ops do."""
    for host in HOSTS:
        declared = pt.get_backend(host).capabilities.primitives
        if dtype not in pt.get_backend(host).capabilities.dtypes:
            continue
        fused = _variant(host, declared, "half-fused")
        decomposed = _variant(host, declared - FUSED, "half-decomposed")
        for options in _options():
            got = _train(fused.name, dtype, options)
            want = _train(decomposed.name, dtype, options)
            for a, b in zip(got, want):
                np.testing.assert_array_equal(a, b, err_msg=f"{host} {dtype} {options}")


def test_fused_sgd_continues_from_a_loaded_state() -> None:
    """A momentum buffer restored by load_state_dict is read, not re-initialised."""

    def run(reload: bool) -> np.ndarray:
        w = pt.tensor([1.0, -2.0, 0.5], dtype=pt.float64, requires_grad=True)
        opt = optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.2)
        for step in range(4):
            if reload and step == 2:
                saved = opt.state_dict()
                opt = optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.2)
                opt.load_state_dict(saved)
            w.grad = pt.tensor([0.5, 1.0, -1.0], dtype=pt.float64) * (step + 1)
            opt.step()
        return w.detach().numpy().copy()

    np.testing.assert_array_equal(run(True), run(False))
