"""index_add's compiled loop against numpy's np.add.at (the reference backend's)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32])
@pytest.mark.parametrize(
    ("shape", "axis", "count"),
    [((256, 128), 0, 1024), ((3, 50, 7), 1, 200), ((5, 6), 1, 40), ((10,), 0, 100),
     ((2, 3, 9000), 1, 7), ((4, 0, 3), 1, 0), ((4, 3), 0, 0)],
)  # fmt: skip
def test_index_add_is_bit_identical_to_add_at(nb, ref, dtype, shape, axis, count):
    # Same additions in the same (index) order: duplicates accumulate, equal bits.
    rng = np.random.default_rng(11)
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    indices = rng.integers(0, max(shape[axis], 1), count)
    values_shape = shape[:axis] + (count,) + shape[axis + 1 :]
    values = (rng.standard_normal(values_shape) * 5).astype(dtype)
    if dtype in (np.float32, np.float64) and values.size:
        values.reshape(-1)[:3] = [np.nan, np.inf, -0.0][: values.size]
    got = nb.index_add(x, indices, values, axis)
    want = ref.index_add(x, indices, values, axis)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))


def test_index_add_leaves_its_input_alone_and_takes_strided_values(nb, ref):
    x = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    before = x.copy()
    values = np.ones((3, 6), np.float32)[:, ::2]  # strided
    got = nb.index_add(x, np.array([3, 0, 3]), values, 0)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(got, ref.index_add(x, np.array([3, 0, 3]), values, 0))
    halves = nb.index_add(x.astype(np.float16), np.array([1]), np.ones((1, 3), np.float16), 0)
    assert halves.dtype == np.float16 and halves[1].tolist() == [4.0, 5.0, 6.0]
