"""In-place updates of large arrays (``binary_inplace``, ``add_scaled_inplace``) split over
the backend's threads: bit-identical to the numpy reference, and overlapping, broadcast or
half operands keep the reference's single pass."""

from __future__ import annotations

import numpy as np
import pytest
from plugtorch_numba import NumbaBackend
from plugtorch_numba._threads import MIN_THREADED
from plugtorch_numpy import NumpyBackend

SIZE = MIN_THREADED + 12345  # large enough to split, not a multiple of the chunk alignment


@pytest.fixture(scope="module")
def numba_backend() -> NumbaBackend:
    return NumbaBackend()


def _pair(dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(SIZE).astype(dtype)
    y = rng.standard_normal(SIZE).astype(dtype)
    x[:4] = [np.nan, np.inf, -0.0, -np.inf]
    y[:4] = [1.0, -np.inf, 0.0, np.nan]
    return x, y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide"])
def test_binary_inplace_matches_the_reference(numba_backend, dtype, name):
    x, y = _pair(dtype)
    want = x.copy()
    with np.errstate(all="ignore"):
        NumpyBackend().binary_inplace(name, want, y)
        numba_backend.binary_inplace(name, x, y)
    np.testing.assert_array_equal(x, want)
    assert np.array_equal(np.signbit(x), np.signbit(want))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_add_scaled_inplace_matches_the_reference(numba_backend, dtype):
    x, y = _pair(dtype, 1)
    want = x.copy()
    NumpyBackend().add_scaled_inplace(want, y, -0.37)
    numba_backend.add_scaled_inplace(x, y, -0.37)
    np.testing.assert_array_equal(x, want)


def test_a_square_and_2d_arrays(numba_backend):
    x = np.random.default_rng(2).standard_normal((SIZE // 100, 100)).astype(np.float32)
    want = x * x
    numba_backend.binary_inplace("multiply", x, x)  # y is x
    np.testing.assert_array_equal(x, want)


@pytest.mark.parametrize("case", ["shifted", "broadcast", "transposed", "half"])
def test_operands_that_cannot_be_split_keep_the_reference_result(numba_backend, case):
    rng = np.random.default_rng(3)
    base = rng.standard_normal(SIZE + 1).astype(np.float32)
    if case == "shifted":  # y overlaps x one element on
        x, y = base[1:], base[:-1]
    elif case == "broadcast":
        x, y = rng.standard_normal((SIZE // 64, 64)).astype(np.float32), None
        y = np.broadcast_to(rng.standard_normal(64).astype(np.float32), x.shape)
    elif case == "transposed":
        x = rng.standard_normal((SIZE // 64, 64)).astype(np.float32)
        y = np.ascontiguousarray(rng.standard_normal((64, SIZE // 64)).astype(np.float32)).T
    else:
        x, y = base[1:].astype(np.float16), base[:-1].astype(np.float16)
    reference = base.copy()
    x_ref = x.copy() if case != "shifted" else reference[1:]
    y_ref = y if case != "shifted" else reference[:-1]
    NumpyBackend().binary_inplace("add", x_ref, y_ref)
    numba_backend.binary_inplace("add", x, y)
    np.testing.assert_array_equal(x, x_ref)
    if case != "half":
        numba_backend.add_scaled_inplace(x, y, 0.5)
        NumpyBackend().add_scaled_inplace(x_ref, y_ref, 0.5)
        np.testing.assert_array_equal(x, x_ref)
