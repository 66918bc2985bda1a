"""The direct convolution kernels (``_conv_kernels``) and the shape rule that picks them over
im2col + GEMM, against the numpy backend: shapes on both sides of the crossover, every
geometry the primitive accepts on both paths, the gradients one at a time, non-finite values."""

from __future__ import annotations

import numpy as np
import pytest
from plugtorch_numba import _conv_pool
from plugtorch_numba._conv_pool import use_direct, use_direct_grad_x

# x shape, w shape, stride, padding, dilation, groups
LENET_1 = ((64, 1, 28, 28), (6, 1, 5, 5), (1, 1), (2, 2), (1, 1), 1)
LENET_2 = ((64, 6, 14, 14), (16, 6, 5, 5), (1, 1), (0, 0), (1, 1), 1)

CASES = [
    LENET_1,  # direct forward and weight gradient
    LENET_2,  # im2col (16 outputs x 14/10 of the width: past the crossover)
    ((3, 6, 14, 14), (12, 6, 5, 5), (1, 1), (0, 0), (1, 1), 1),  # direct, just inside
    ((3, 6, 14, 14), (14, 6, 5, 5), (1, 1), (0, 0), (1, 1), 1),  # im2col, just outside
    ((2, 4, 9, 11), (6, 2, 3, 3), (2, 1), (1, 2), (1, 1), 2),  # stride 2: im2col
    ((2, 4, 9, 11), (6, 2, 3, 3), (1, 1), (1, 2), (1, 1), 2),  # groups, 3 outputs a group
    ((2, 3, 10, 10), (5, 3, 3, 2), (1, 1), (2, 0), (2, 3), 1),  # dilation, odd outputs
    ((2, 3, 12, 14), (16, 3, 3, 3), (1, 1), (1, 2), (2, 2), 1),  # im2col row copies, dilated
    ((1, 2, 5, 5), (2, 2, 5, 5), (1, 1), (4, 4), (1, 1), 1),  # padding larger than input
    ((1, 1, 28, 28), (6, 1, 5, 5), (1, 1), (2, 2), (1, 1), 1),  # batch 1
    ((2, 6, 7, 9), (6, 1, 3, 3), (1, 1), (1, 1), (1, 1), 6),  # depthwise
    ((2, 8, 6, 6), (4, 8, 1, 1), (1, 1), (0, 0), (1, 1), 1),  # 1x1: im2col
    ((2, 3, 8, 1), (2, 3, 2, 1), (1, 1), (0, 0), (1, 1), 1),  # one column wide
]


def _forward(backend, x, w, case):
    result = backend.conv2d(x, w, *case[2:])
    return result if isinstance(result, tuple) else (result, None)


def _check(nb, ref, case, dtype, x=None):
    rng = np.random.default_rng(sum(map(sum, case[:2])))
    if x is None:
        x = rng.standard_normal(case[0]).astype(dtype)
    w = rng.standard_normal(case[1]).astype(dtype)
    tol = 2e-4 if dtype == np.float32 else 1e-10
    y, state = _forward(nb, x, w, case)
    want_y = _forward(ref, x.astype(np.float64), w.astype(np.float64), case)[0]
    assert y.dtype == dtype and y.shape == want_y.shape
    np.testing.assert_allclose(y, want_y, rtol=tol, atol=tol * 10)
    gy = rng.standard_normal(y.shape).astype(dtype)
    want = ref.conv2d_backward(gy.astype(np.float64), x.astype(np.float64),
                               w.astype(np.float64), *case[2:])  # fmt: skip
    for saved in (state, None):
        for needs in ((True, True), (True, False), (False, True)):
            got = nb.conv2d_backward(gy, x, w, *case[2:], needs_input_grad=needs, state=saved)
            for wanted, have, expect in zip(needs, got, want, strict=True):
                if not wanted:
                    assert have is None
                    continue
                assert have.dtype == dtype and have.shape == expect.shape
                np.testing.assert_allclose(have, expect, rtol=tol, atol=tol * 100)
    return state


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_chosen_path_matches_numpy(nb, ref, case, dtype):
    state = _check(nb, ref, case, dtype)
    # the state tells the path: im2col hands its columns to the backward, direct its planes
    assert isinstance(state, np.ndarray) != use_direct(*case)


@pytest.mark.parametrize("path", ["direct", "im2col"])
@pytest.mark.parametrize("case", [c for c in CASES if c[2] == (1, 1)])
def test_both_paths_match_numpy(nb, ref, monkeypatch, case, path):
    limit = 1e9 if path == "direct" else 0.0
    monkeypatch.setattr(_conv_pool, "DIRECT_LIMIT", limit)
    monkeypatch.setattr(_conv_pool, "DIRECT_LIMIT_GRAD_X", limit)
    state = _check(nb, ref, case, np.float32)
    one_by_one = case[1][2] * case[1][3] == 1
    assert isinstance(state, np.ndarray) == (path == "im2col" or one_by_one)


def test_crossover():
    assert use_direct(*LENET_1) and not use_direct(*LENET_2)
    assert not use_direct_grad_x(*LENET_2)
    small_layer = ((64, 6, 14, 14), (8, 6, 5, 5), (1, 1), (0, 0), (1, 1), 1)
    assert use_direct(*small_layer) and use_direct_grad_x(*small_layer)
    strided = ((64, 1, 28, 28), (6, 1, 5, 5), (2, 2), (2, 2), (1, 1), 1)
    assert not use_direct(*strided) and not use_direct_grad_x(*strided)
    grouped = ((64, 32, 14, 14), (32, 1, 5, 5), (1, 1), (0, 0), (1, 1), 32)  # 1 out per group
    assert use_direct(*grouped) and use_direct_grad_x(*grouped)


def test_non_contiguous_input(nb, ref):
    base = np.random.default_rng(3).standard_normal((4, 1, 28, 28)).astype(np.float32)
    x = np.ascontiguousarray(base.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)
    assert not x.flags.c_contiguous
    case = ((4, 1, 28, 28), *LENET_1[1:])
    _check(nb, ref, case, np.float32, x=x)
    _check(nb, ref, case, np.float32, x=base[:, :, ::-1])


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_values(nb, ref, bad):
    # The direct weight gradient multiplies zeros by values outside the windows and the
    # direct input gradient zeros by weights: such a value takes im2col for that gradient.
    rng = np.random.default_rng(4)
    case = ((2, 2, 8, 8), (3, 2, 3, 3), (1, 1), (1, 1), (1, 1), 1)
    assert use_direct(*case) and use_direct_grad_x(*case)
    x = rng.standard_normal(case[0]).astype(np.float32)
    w = rng.standard_normal(case[1]).astype(np.float32)
    x[0, 1, 3, 7] = bad
    w[2, 0, 1, 1] = bad
    y, state = _forward(nb, x, w, case)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    got = nb.conv2d_backward(gy, x, w, *case[2:], state=state)
    with np.errstate(invalid="ignore"):  # the reference multiplies inf by 0 too
        np.testing.assert_allclose(y, _forward(ref, x, w, case)[0], rtol=1e-4, atol=1e-4)
        want = ref.conv2d_backward(gy, x, w, *case[2:])
    for have, expect in zip(got, want, strict=True):
        np.testing.assert_array_equal(np.isnan(have), np.isnan(expect))
        np.testing.assert_allclose(have, expect, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("stride", [1, 2], ids=["direct", "im2col"])  # stride 2: never direct
@pytest.mark.parametrize(
    "x_shape,w_shape,groups",
    [
        ((0, 1, 8, 8), (2, 1, 3, 3), 1),  # no images
        ((2, 1, 8, 8), (0, 1, 3, 3), 1),  # no output channels
        ((2, 2, 8, 8), (0, 1, 3, 3), 2),  # no output channels, groups
        ((2, 0, 8, 8), (2, 0, 3, 3), 1),  # no input channels
    ],
)
def test_empty_shapes_on_both_paths(nb, ref, x_shape, w_shape, groups, stride):
    case = (x_shape, w_shape, (stride, stride), (1, 1), (1, 1), groups)
    assert use_direct(*case) == (stride == 1)
    if stride == 1:
        assert use_direct_grad_x(*case)
    x, w = np.ones(x_shape, np.float32), np.ones(w_shape, np.float32)
    y, state = _forward(nb, x, w, case)
    np.testing.assert_array_equal(y, _forward(ref, x, w, case)[0])
    got = nb.conv2d_backward(y, x, w, *case[2:], state=state)
    for have, expect in zip(got, ref.conv2d_backward(y, x, w, *case[2:]), strict=True):
        np.testing.assert_array_equal(have, expect)
