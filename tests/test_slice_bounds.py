"""Slices with out-of-range bounds clamp as in Python, on every backend.

The core hands backends only bounds in [-size, size]: the array API standard leaves others
unspecified, and array-api-strict refuses them (found by the conformance suite).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import plugtorch as pt
from plugtorch.backend import ArrayAPIBackend


@pytest.fixture(scope="module")
def strict_name() -> str:
    array_api_strict = pytest.importorskip("array_api_strict")
    pt.register_backend("strict-slices", ArrayAPIBackend(array_api_strict, name="strict-slices"))
    return "strict-slices"


def test_out_of_range_slice_bounds_clamp_like_python(strict_name: str) -> None:
    for size in (0, 1, 2, 5):
        host = np.arange(float(size))
        x = pt.tensor(host, backend=strict_name)
        bounds = [None, -9, -size - 1, -size, -1, 0, 1, size, size + 1, 9]
        for start, stop, step in itertools.product(bounds, bounds, [None, 1, 2, -1, -3]):
            key = slice(start, stop, step)
            assert x[key].numpy().tolist() == host[key].tolist(), (size, key)


def test_gradient_through_a_clamped_slice(strict_name: str) -> None:
    x = pt.tensor([1.0, 2.0, 3.0], backend=strict_name, requires_grad=True)
    x[-10:2].sum().backward()
    assert x.grad.numpy().tolist() == [1.0, 1.0, 0.0]
