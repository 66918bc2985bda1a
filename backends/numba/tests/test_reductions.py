"""Reduction kernels against numpy: every axis set, layouts, nan propagation, accuracy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _quiet():
    with np.errstate(invalid="ignore", over="ignore"):
        yield


def _check(nb, kind, x, axis, keepdims):
    got = getattr(nb, kind)(x, axis, keepdims)
    want = getattr(np, kind)(
        x, axis=axis, keepdims=keepdims, **({"dtype": x.dtype} if kind == "sum" else {})
    )
    assert got.shape == want.shape and got.dtype == want.dtype, (kind, axis)
    if kind == "sum" and x.dtype.kind == "f":
        exact = np.sum(x.astype(np.float64), axis=axis, keepdims=keepdims)
        finite = np.isfinite(exact)
        np.testing.assert_array_equal(got[~finite], want[~finite])  # nan and inf as numpy
        if finite.any():
            scale = np.sum(np.abs(x.astype(np.float64)), axis=axis, keepdims=keepdims)[finite]
            err_ours = np.max(np.abs(got[finite] - exact[finite]) / (scale + 1e-300))
            err_numpy = np.max(np.abs(want[finite] - exact[finite]) / (scale + 1e-300))
            tol = np.finfo(x.dtype).eps * 8
            assert err_ours <= max(err_numpy, tol), (axis, err_ours, err_numpy)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int8])
@pytest.mark.parametrize("shape", [(3, 1023), (1024, 70), (5, 1025), (2, 3, 65539)])
def test_axes_and_layouts(nb, dtype, shape):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 50).astype(dtype)
    views = {"contiguous": x, "transposed": np.ascontiguousarray(x.T).T}
    if dtype == np.float32:
        views["step"] = np.repeat(x, 2, axis=-1)[..., ::2]
        views["broadcast"] = np.broadcast_to(x[:1], x.shape)
    nd = len(shape)
    axes_sets = [a for r in range(1, nd + 1) for a in itertools.combinations(range(nd), r)]
    kinds = ["sum", "max", "min"]
    for (_, v), axis, kind in itertools.product(views.items(), axes_sets, kinds):
        _check(nb, kind, v, axis, keepdims=False)
    _check(nb, "sum", x, (nd - 1,), keepdims=True)
    _check(nb, "max", views["transposed"], (0,), keepdims=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_inf_and_signed_zero(nb, dtype):
    x = np.zeros((4, 70001), dtype=dtype)
    x[0, 5] = np.nan
    x[1, -1] = np.inf
    x[1, 7] = -np.inf  # sum of +inf and -inf is nan
    x[2, 3] = -0.0
    x[3, 100] = np.inf
    for kind in ("sum", "max", "min"):
        for axis in [(1,), (0,), (0, 1)]:
            _check(nb, kind, x, axis, False)
            _check(nb, kind, np.ascontiguousarray(x.T), tuple(1 - a for a in axis), False)


def test_float32_sum_accuracy(nb):
    rng = np.random.default_rng(1)
    x = (rng.random(2_000_003) + 1000).astype(np.float32)
    got = nb.sum(x, (0,), False)
    exact = np.sum(x, dtype=np.float64)
    naive = np.cumsum(x, dtype=np.float32)[-1]  # the sequential float32 loop
    assert abs(float(got) - exact) <= abs(float(naive) - exact)
    assert abs(float(got) - exact) / exact < 1e-6


def test_integer_sum_wraps_like_numpy(nb):
    x = np.full((3, 40000), 100, dtype=np.int8)
    _check(nb, "sum", x, (1,), False)
    _check(nb, "sum", x, (0,), False)


def test_other_reductions_unchanged(nb):
    x = np.random.default_rng(2).standard_normal((50, 1000)).astype(np.float32)
    np.testing.assert_array_equal(nb.argmax(x, 1, False), np.argmax(x, axis=1))
    np.testing.assert_array_equal(nb.prod(x, (0,), True), np.prod(x, axis=(0,), keepdims=True))
    np.testing.assert_array_equal(nb.sum(x, (), False), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(128, 256), (4000, 256)])  # one chunk; split for threads
def test_column_sums_do_not_depend_on_the_thread_count(nb, dtype, shape):
    # The reduced axis is split by size alone, so set_num_threads does not change the bits
    # (cancelling data, where a different order of additions would show).
    import plugtorch as pt

    rng = np.random.default_rng(7)
    x = (rng.standard_normal(shape) * 1e8).astype(dtype)
    x[::2] += dtype(1e-3)
    before = pt.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            pt.set_num_threads(threads)
            results.append(nb.sum(x, (0,), False))
    finally:
        pt.set_num_threads(before)
    np.testing.assert_array_equal(results[0], results[1])
    _check(nb, "sum", x, (0,), False)
