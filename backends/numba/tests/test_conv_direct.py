"""The direct convolution kernels (``_conv_kernels``), the per-image im2col + GEMM kernels
(``_conv_image_kernels``) and the shape rules that pick them over im2col of the whole batch,
against the numpy backend: shapes on both sides of the crossovers, every geometry the
primitive accepts on every path, the gradients one at a time, non-finite values."""

from __future__ import annotations

import numpy as np
import pytest
from plugtorch_numba import _conv_pool
from plugtorch_numba._conv_pool import per_image_gemm, use_direct, use_direct_grad_x

import plugtorch as pt
from plugtorch.backend.geometry import output_size_2d

# x shape, w shape, stride, padding, dilation, groups
LENET_1 = ((64, 1, 28, 28), (6, 1, 5, 5), (1, 1), (2, 2), (1, 1), 1)
LENET_2 = ((64, 6, 14, 14), (16, 6, 5, 5), (1, 1), (0, 0), (1, 1), 1)

CASES = [
    LENET_1,  # direct forward and weight gradient
    LENET_2,  # per image (16 outputs x 14/10 of the width: past the direct crossover)
    ((20, 6, 14, 14), (16, 6, 5, 5), (1, 1), (0, 0), (1, 1), 1),  # per image, 2.5 blocks
    ((3, 4, 12, 17), (6, 2, 3, 3), (2, 1), (1, 2), (1, 2), 2),  # per image: stride, groups
    ((2, 64, 10, 10), (64, 64, 3, 3), (1, 1), (1, 1), (1, 1), 1),  # batch im2col: large
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


def _path(state):
    """The forward's path, told by its state: batch im2col hands its columns to the
    backward, direct its padded planes, the per-image kernels nothing."""
    if state is None:
        return "images"
    return "im2col" if isinstance(state, np.ndarray) else "direct"


def _per_image(case, dtype=np.float32):
    out_hw = output_size_2d(case[0][2:], case[1][2:], *case[2:5])
    return per_image_gemm(np.empty(case[0], dtype), case[1], out_hw, case[5]) is not None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_chosen_path_matches_numpy(nb, ref, case, dtype):
    state = _check(nb, ref, case, dtype)
    expected = "direct" if use_direct(*case) else "images" if _per_image(case) else "im2col"
    assert _path(state) == expected


@pytest.mark.parametrize("path", ["direct", "images", "im2col"])
@pytest.mark.parametrize("case", CASES)
def test_every_path_matches_numpy(nb, ref, monkeypatch, case, path):
    limit = 1e9 if path == "direct" else 0.0
    monkeypatch.setattr(_conv_pool, "DIRECT_LIMIT", limit)
    monkeypatch.setattr(_conv_pool, "DIRECT_LIMIT_GRAD_X", limit)
    monkeypatch.setattr(_conv_pool, "PER_IMAGE_OUTPUTS", 0 if path == "images" else 1 << 40)
    state = _check(nb, ref, case, np.float32)
    if path == "direct" and (case[2] != (1, 1) or case[1][2] * case[1][3] == 1):
        path = "images" if _per_image(case) else "im2col"  # direct: stride 1, past 1x1 only
    elif path == "images" and not _per_image(case):
        path = "im2col"  # a product too large for one image
    assert _path(state) == path


def test_per_image_rule():
    assert _per_image(LENET_2) and _per_image(LENET_2, np.float64)
    assert not _per_image(LENET_2, np.float16)  # no BLAS GEMM of that type
    digits = ((64, 16, 4, 4), (32, 16, 3, 3), (1, 1), (1, 1), (1, 1), 1)  # 16 outputs
    assert not _per_image(digits)
    large = ((2, 64, 16, 16), (64, 64, 3, 3), (1, 1), (1, 1), (1, 1), 1)  # 2^18 and more
    assert not _per_image(large)
    assert not _per_image(((0, 6, 14, 14), *LENET_2[1:]))


def test_per_image_weight_gradient_does_not_depend_on_the_threads(nb):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(LENET_2[0]).astype(np.float32)
    w = rng.standard_normal(LENET_2[1]).astype(np.float32)
    gy = rng.standard_normal((64, 16, 10, 10)).astype(np.float32)
    before = pt.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            pt.set_num_threads(threads)
            results.append(nb.conv2d_backward(gy, x, w, *LENET_2[2:], state=None))
    finally:
        pt.set_num_threads(before)
    for one, two in zip(*results, strict=True):
        np.testing.assert_array_equal(one, two)


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


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "images"])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_values(nb, ref, monkeypatch, bad, direct):
    # The direct weight gradient multiplies zeros by values outside the windows and the
    # direct input gradient zeros by weights: such a value takes im2col for that gradient.
    # The per-image products see exactly what the reference's do.
    rng = np.random.default_rng(4)
    case = ((2, 2, 8, 8), (3, 2, 3, 3), (1, 1), (1, 1), (1, 1), 1)
    if not direct:
        monkeypatch.setattr(_conv_pool, "DIRECT_LIMIT", 0.0)
        monkeypatch.setattr(_conv_pool, "DIRECT_LIMIT_GRAD_X", 0.0)
    assert use_direct(*case) == direct and use_direct_grad_x(*case) == direct
    assert _per_image(case)
    x = rng.standard_normal(case[0]).astype(np.float32)
    w = rng.standard_normal(case[1]).astype(np.float32)
    x[0, 1, 3, 7] = bad
    w[2, 0, 1, 1] = bad
    y, state = _forward(nb, x, w, case)
    assert _path(state) == ("direct" if direct else "images")
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
