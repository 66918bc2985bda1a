"""Area "determinism": seeded randomness repeats, results are reproducible, inputs are safe."""

from __future__ import annotations

import numpy as np
import pytest

import plugtorch as pt
from plugtorch import dtypes
from plugtorch_conformance.plugin import target
from plugtorch_conformance.support import call, host


def _draw(backend: object) -> list[np.ndarray]:
    pt.manual_seed(1234)
    return [
        t.to("numpy").numpy()
        for t in (
            pt.rand(5, 7, backend=backend),
            pt.randn(1025, backend=backend),
            pt.randint(0, 10, (9,), backend=backend),
            pt.randperm(11, backend=backend),
            pt.nn.functional.dropout(pt.ones(64, backend=backend), 0.5, training=True),
        )
    ]


def test_seeded_random_functions_repeat() -> None:
    backend = target().backend
    first, second = _draw(backend), _draw(backend)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_seeded_random_numbers_match_the_reference_backend() -> None:
    for a, b in zip(_draw(target().backend), _draw(pt.get_backend("numpy"))):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["sum", "max", "matmul", "exp", "add"])
def test_results_are_reproducible(name: str) -> None:
    backend = target().backend
    rng = np.random.default_rng(7)
    x = backend.asarray(rng.standard_normal((257, 129)).astype(np.float32), dtypes.float32)
    y = backend.asarray(rng.standard_normal((129, 257)).astype(np.float32), dtypes.float32)
    if name in ("sum", "max"):
        runs = [host(backend, call(backend, name, x, (0, 1), False)) for _ in range(3)]
    elif name == "matmul":
        runs = [host(backend, call(backend, name, x, y)) for _ in range(3)]
    elif name == "exp":
        runs = [host(backend, call(backend, name, x)) for _ in range(3)]
    else:
        runs = [host(backend, call(backend, name, x, x)) for _ in range(3)]
    for run in runs[1:]:
        np.testing.assert_array_equal(run, runs[0])


def test_training_step_is_reproducible() -> None:
    backend = target().backend

    def step() -> np.ndarray:
        pt.manual_seed(0)
        model = pt.nn.Sequential(pt.nn.Linear(8, 16), pt.nn.ReLU(), pt.nn.Linear(16, 3)).to(
            backend.name
        )
        optimizer = pt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x = pt.randn(32, 8, backend=backend)
        y = pt.randint(0, 3, (32,), backend=backend)
        for _ in range(3):
            optimizer.zero_grad()
            pt.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        return model[0].weight.detach().to("numpy").numpy()

    np.testing.assert_array_equal(step(), step())
