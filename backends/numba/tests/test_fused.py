"""The fused nn primitives and their vectorisable math against float64 numpy references, at
sizes that take the threaded path (partial column sums per row block) and at small ones."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit
from plugtorch_numba import _fastmath


@njit(cache=False)
def _apply_all(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[0, i] = _fastmath.exp(x[i])
        out[1, i] = _fastmath.tanh(x[i])
        out[2, i] = _fastmath.sigmoid(x[i])
        out[3, i] = _fastmath.erf(x[i])


def _erf_as(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26, the core's formula, in float64."""
    a = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
    ax = np.abs(x)
    t = 1 / (1 + 0.3275911 * ax)
    poly = ((((a[4] * t + a[3]) * t + a[2]) * t + a[1]) * t + a[0]) * t
    return np.where(x == 0, x, np.sign(x) * (1 - poly * np.exp(-ax * ax)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_math_functions(dtype):
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            rng.standard_normal(4000) * 3,
            rng.uniform(-100, 100, 1000),
            np.geomspace(1e-8, 0.2, 200),
            -np.geomspace(1e-8, 0.2, 200),
            [0.0, -0.0, np.inf, -np.inf, np.nan, 88.0, -87.0, -200.0, 200.0],
        ]
    ).astype(dtype)
    out = np.empty((4, x.size), dtype)
    _apply_all(x, out)
    x64 = x.astype(np.float64)
    with np.errstate(all="ignore"):
        expected = [np.exp(x64), np.tanh(x64), 1 / (1 + np.exp(-x64)), _erf_as(x64)]
        expected = [want.astype(dtype) for want in expected]  # overflow to inf as in dtype
    ulp = 2e-7 if dtype == np.float32 else 1e-15
    names = ["exp", "tanh", "sigmoid", "erf"]
    for name, got, want in zip(names, out, expected):
        # subnormal results are rounded more coarsely; erf's 1 - tail cancels near 0 (as the
        # core's float32 erf does: its absolute error is what the formula promises)
        atol = np.finfo(dtype).tiny
        if name == "erf":
            atol = 1e-6 if dtype == np.float32 else 1e-15
        np.testing.assert_allclose(got, want, rtol=8 * ulp, atol=atol, err_msg=name)
    assert np.signbit(out[1:, x.size - 8][[0, 2]]).all()  # tanh(-0.0), erf(-0.0) stay -0.0


def _layer_norm_reference(x, w, b, eps=1e-5):
    x64 = x.astype(np.float64)
    mean = x64.mean(1, keepdims=True)
    rstd = 1 / np.sqrt(((x64 - mean) ** 2).mean(1, keepdims=True) + eps)
    xhat = (x64 - mean) * rstd
    y = xhat * (1 if w is None else w) + (0 if b is None else b)
    return y, xhat, rstd


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 5), (1100, 512), (1, 1), (600, 1)])
@pytest.mark.parametrize("affine", ["wb", "w", "b", ""])
def test_layer_norm_forward_and_backward(nb, dtype, shape, affine):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    w = rng.standard_normal(shape[1]).astype(dtype) if "w" in affine else None
    b = rng.standard_normal(shape[1]).astype(dtype) if "b" in affine else None
    g = rng.standard_normal(shape).astype(dtype)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    y, (mean, rstd) = nb.layer_norm(x, w, b, 1e-5)
    want, xhat, want_rstd = _layer_norm_reference(x, w, b)
    assert y.dtype == dtype and mean.shape == (shape[0],)
    np.testing.assert_allclose(y, want, rtol=tol, atol=tol)
    np.testing.assert_allclose(rstd, want_rstd[:, 0], rtol=tol)
    gx, gw, gb = nb.layer_norm_backward(g, x, w, mean, rstd, (True, w is not None, True))
    h = g.astype(np.float64) * (1 if w is None else w)
    want_gx = want_rstd * (h - h.mean(1, keepdims=True) - xhat * (h * xhat).mean(1, keepdims=True))
    scale = np.abs(g).max() * np.abs(want_rstd).max()
    np.testing.assert_allclose(gx, want_gx, rtol=tol * 10, atol=tol * scale)
    if w is not None:
        np.testing.assert_allclose(gw, (g * xhat).sum(0), rtol=tol * 10, atol=tol * shape[0])
    else:
        assert gw is None
    np.testing.assert_allclose(gb, g.astype(np.float64).sum(0), rtol=tol * 10, atol=tol * shape[0])
    gx, gw, gb = nb.layer_norm_backward(g, x, w, mean, rstd, (False, False, True))
    assert gx is None and gw is None and gb is not None


def test_layer_norm_strided_input_and_nan_rows(nb):
    rng = np.random.default_rng(2)
    base = rng.standard_normal((16, 40)).astype(np.float32)
    base[3, 6] = np.nan  # (column 3 of the view)
    base[5, 0] = np.inf
    view = base[:, ::2]
    with np.errstate(all="ignore"):
        y, _ = nb.layer_norm(view, None, None, 1e-5)
        want, _, _ = _layer_norm_reference(view, None, None)
    np.testing.assert_allclose(y, want, rtol=2e-5, atol=2e-5)
    assert np.isnan(y[3]).all() and np.isnan(y[5]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("size", [7, 600_000])
def test_gelu_forward_and_backward(nb, ref, dtype, approximate, size):
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(size) * 4).astype(dtype)
    x[:6] = [0.0, -0.0, np.nan, np.inf, -np.inf, -12.0]
    g = rng.standard_normal(size).astype(dtype)
    x2 = x.reshape(-1, 1)[::1].T  # a 2-D input of the same values
    with np.errstate(all="ignore"):
        want = ref.gelu(x.astype(np.float64), approximate)
        want_grad = ref.gelu_backward(g.astype(np.float64), x.astype(np.float64), approximate)
        got = nb.gelu(x2, approximate)
        got_grad = nb.gelu_backward(g.reshape(x2.shape), x2, approximate)
    assert got.shape == x2.shape and got.dtype == dtype
    tol = 1e-6 if dtype == np.float32 else 1e-15
    np.testing.assert_allclose(got.reshape(-1), want, rtol=tol * 4, atol=tol)
    np.testing.assert_allclose(got_grad.reshape(-1), want_grad, rtol=tol * 4, atol=tol * 4)
    assert np.signbit(got.reshape(-1)[1])  # gelu(-0.0) = -0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(7, 5), (120, 10000), (3, 1)])
def test_cross_entropy_forward_and_backward(nb, ref, dtype, shape):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    target = rng.integers(0, shape[1], shape[0])
    target[1] = -100  # ignored
    if shape[1] > 1:
        x[2, 0] = -np.inf  # a -inf logit (a masked class) is fine
    g = rng.standard_normal(shape[0]).astype(dtype)
    loss, state = nb.cross_entropy(x, target, -100)
    want, want_state = ref.cross_entropy(x.astype(np.float64), target, -100)
    tol = 2e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(loss, want, rtol=tol, atol=tol)
    for got_part, want_part in zip(state, want_state):
        np.testing.assert_allclose(got_part, want_part, rtol=tol, atol=tol)
    assert loss[1] == 0
    grad = nb.cross_entropy_backward(g, x, target, -100, state)
    want_grad = ref.cross_entropy_backward(g.astype(np.float64), x.astype(np.float64), target,
                                           -100, want_state)  # fmt: skip
    np.testing.assert_allclose(grad, want_grad, rtol=tol * 10, atol=tol)
    assert not grad[1].any()


def test_cross_entropy_nan_and_inf_rows(nb, ref):
    x = np.array([[np.nan, 1, 2], [np.inf, 1, 2], [-np.inf, -np.inf, -np.inf], [1, 2, 3]])
    target = np.array([1, 1, 0, 2])
    for dtype in (np.float32, np.float64):
        with np.errstate(all="ignore"):
            loss, _ = nb.cross_entropy(x.astype(dtype), target, -100)
            want, _ = ref.cross_entropy(x, target, -100)
        np.testing.assert_allclose(loss, want, rtol=1e-6)  # nan where numpy's is nan


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, axis", [((70, 1031), 1), ((600, 1000), 1), ((5, 7, 3), 1)])
def test_softmax_backward(nb, ref, dtype, shape, axis):
    rng = np.random.default_rng(5)
    y = ref.softmax(rng.standard_normal(shape) * 3, axis).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    want = ref.softmax_backward(g.astype(np.float64), y.astype(np.float64), axis)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(nb.softmax_backward(g, y, axis), want, rtol=tol * 10, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("shape", [(2, 3, 5, 4, 6), (64, 64, 64, 32, 32)])
def test_attention_forward_and_backward(nb, ref, dtype, causal, shape):
    batch, length, source, width, value_width = shape
    rng = np.random.default_rng(6)
    q = rng.standard_normal((batch, length, width)).astype(dtype)
    k = rng.standard_normal((batch, source, width)).astype(dtype)
    v = rng.standard_normal((batch, source, value_width)).astype(dtype)
    g = rng.standard_normal((batch, length, value_width)).astype(dtype)
    scale = 1 / np.sqrt(width)
    out, weights = nb.scaled_dot_product_attention(q, k, v, scale, causal)
    wide = [a.astype(np.float64) for a in (q, k, v)]
    want, want_weights = ref.scaled_dot_product_attention(*wide, scale, causal)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, want, rtol=tol, atol=tol)
    np.testing.assert_allclose(weights, want_weights, rtol=tol, atol=tol)
    grads = nb.scaled_dot_product_attention_backward(g, q, k, v, scale, causal, weights)
    wanted = ref.scaled_dot_product_attention_backward(
        g.astype(np.float64), *wide, scale, causal, want_weights
    )
    for got, want_grad in zip(grads, wanted):
        np.testing.assert_allclose(got, want_grad, rtol=tol * 10, atol=tol * 10)
    only_v = nb.scaled_dot_product_attention_backward(
        g, q, k, v, scale, causal, weights, (False, False, True)
    )
    assert only_v[0] is None and only_v[1] is None and only_v[2] is not None


def _heads(qkv: np.ndarray, part: int, heads: int) -> np.ndarray:
    """Part ``part`` of a (B, L, 3 * H * E) projection as strided (B, H, L, E) heads."""
    batch, length, total = qkv.shape
    width = total // 3
    block = qkv[..., part * width : (part + 1) * width]
    return block.reshape(batch, length, heads, width // heads).transpose(0, 2, 1, 3)


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch, heads", [(6, 2), (1, 5)])  # split over batch, then heads
def test_attention_on_strided_heads_without_copies(nb, ref, dtype, causal, batch, heads):
    """Heads viewed out of one projection (q, k, v and grad_out strided, none copied): the
    results equal the numpy reference's on contiguous copies, and the output and gradients
    lie in memory in their inputs' order, so that transposing the heads back and merging them
    is a view."""
    length, width = 7, 4
    rng = np.random.default_rng(8)
    qkv = rng.standard_normal((batch, length, 3 * heads * width)).astype(dtype)
    q, k, v = (_heads(qkv, part, heads) for part in range(3))
    assert not q.flags.c_contiguous
    g_flat = rng.standard_normal((batch, length, heads * width)).astype(dtype)
    g = g_flat.reshape(batch, length, heads, width).transpose(0, 2, 1, 3)
    out, weights = nb.scaled_dot_product_attention(q, k, v, 0.4, causal)
    dense = [np.ascontiguousarray(a, dtype=np.float64) for a in (q, k, v)]
    want, want_weights = ref.scaled_dot_product_attention(*dense, 0.4, causal)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, want, rtol=tol, atol=tol)
    np.testing.assert_allclose(weights, want_weights, rtol=tol, atol=tol)
    assert out.transpose(0, 2, 1, 3).flags.c_contiguous  # (B, L, H, E) in memory
    grads = nb.scaled_dot_product_attention_backward(g, q, k, v, 0.4, causal, weights)
    wanted = ref.scaled_dot_product_attention_backward(
        np.ascontiguousarray(g, dtype=np.float64), *dense, 0.4, causal, want_weights
    )
    for got, want_grad in zip(grads, wanted):
        np.testing.assert_allclose(got, want_grad, rtol=tol * 10, atol=tol * 10)
        assert got.transpose(0, 2, 1, 3).flags.c_contiguous
    only_q = nb.scaled_dot_product_attention_backward(
        g, q, k, v, 0.4, causal, weights, (True, False, False)
    )
    assert only_q[1] is None and only_q[2] is None
    np.testing.assert_allclose(only_q[0], wanted[0], rtol=tol * 10, atol=tol * 10)


@pytest.mark.parametrize("lead", [(), (3,), (2, 3, 2)])
def test_attention_any_number_of_leading_dimensions(nb, ref, lead):
    rng = np.random.default_rng(9)
    q, k, v, g = (rng.standard_normal((*lead, *s)) for s in ((4, 3), (6, 3), (6, 2), (4, 2)))
    out, weights = nb.scaled_dot_product_attention(q, k, v, 0.5, True)
    want, want_weights = ref.scaled_dot_product_attention(q, k, v, 0.5, True)
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
    grads = nb.scaled_dot_product_attention_backward(g, q, k, v, 0.5, True, weights)
    wanted = ref.scaled_dot_product_attention_backward(g, q, k, v, 0.5, True, want_weights)
    for got, want_grad in zip(grads, wanted):
        assert got.shape == want_grad.shape
        np.testing.assert_allclose(got, want_grad, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_relu_backward(nb, dtype):
    rng = np.random.default_rng(7)
    y = np.maximum(rng.standard_normal((700, 1000)) * 3, 0).astype(dtype)
    g = rng.standard_normal((700, 1000)).astype(dtype)
    if dtype != np.int32:
        y[0, :3] = [np.nan, np.inf, -0.0]
        g[1, :2] = [np.nan, -0.0]
    got = nb.relu_backward(g, y.T.copy().T)  # a non-contiguous layout too
    np.testing.assert_array_equal(got, np.where(y > 0, g, 0))
    assert got.dtype == dtype
