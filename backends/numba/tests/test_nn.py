"""Optional nn primitives against plain numpy references (im2col convolution, loops)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest


def im2col(x, kh, kw, stride, padding, dilation):
    """cols[n, c, ki, kj, i, j] = padded x at the tap's position (zeros outside)."""
    n, c, h, w = x.shape
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    cols = np.empty((n, c, kh, kw, ho, wo), dtype=x.dtype)
    for ki, kj in itertools.product(range(kh), range(kw)):
        r, s = ki * dh, kj * dw
        cols[:, :, ki, kj] = xp[
            :, :, r : r + sh * (ho - 1) + 1 : sh, s : s + sw * (wo - 1) + 1 : sw
        ]
    return cols, ho, wo


def conv_reference(x, w, stride, padding, dilation, groups):
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    o, cg, kh, kw = w.shape
    cols, ho, wo = im2col(x64, kh, kw, stride, padding, dilation)
    og = o // groups
    out = np.empty((x.shape[0], o, ho, wo))
    for g in range(groups):
        cg_cols = cols[:, g * cg : (g + 1) * cg]  # n, cg, kh, kw, ho, wo
        out[:, g * og : (g + 1) * og] = np.einsum(
            "nckluv,ockl->nouv", cg_cols, w64[g * og : (g + 1) * og]
        )
    return out


def conv_backward_reference(gy, x, w, stride, padding, dilation, groups):
    """Gradients by the adjoint of im2col: grad_w = gy . cols, grad_x = col2im(w . gy)."""
    gy64, x64, w64 = gy.astype(np.float64), x.astype(np.float64), w.astype(np.float64)
    o, cg, kh, kw = w.shape
    og = o // groups
    cols, ho, wo = im2col(x64, kh, kw, stride, padding, dilation)
    grad_w = np.empty_like(w64)
    grad_cols = np.zeros_like(cols)
    for g in range(groups):
        sl_o, sl_c = slice(g * og, (g + 1) * og), slice(g * cg, (g + 1) * cg)
        grad_w[sl_o] = np.einsum("nouv,nckluv->ockl", gy64[:, sl_o], cols[:, sl_c])
        grad_cols[:, sl_c] = np.einsum("nouv,ockl->nckluv", gy64[:, sl_o], w64[sl_o])
    n, c, h, wd = x.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    grad_xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    for ki, kj in itertools.product(range(kh), range(kw)):
        r, s = ki * dh, kj * dw
        grad_xp[:, :, r : r + sh * (ho - 1) + 1 : sh, s : s + sw * (wo - 1) + 1 : sw] += grad_cols[
            :, :, ki, kj
        ]
    return grad_xp[:, :, ph : ph + h, pw : pw + wd], grad_w


CONV_CASES = [
    # x shape, w shape, stride, padding, dilation, groups
    ((64, 1, 28, 28), (6, 1, 5, 5), (1, 1), (0, 0), (1, 1), 1),  # LeNet conv1
    ((8, 6, 12, 12), (16, 6, 5, 5), (1, 1), (0, 0), (1, 1), 1),  # LeNet conv2
    ((2, 4, 9, 11), (6, 2, 3, 3), (2, 1), (1, 2), (1, 1), 2),  # stride, padding, groups
    ((2, 3, 10, 10), (4, 3, 3, 2), (1, 3), (2, 0), (2, 3), 1),  # dilation
    ((1, 2, 5, 5), (2, 2, 5, 5), (1, 1), (4, 4), (1, 1), 1),  # padding larger than input
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_forward_and_backward(nb, dtype, case):
    xs, ws, stride, padding, dilation, groups = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(ws).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    y, cols = nb.conv2d(x, w, stride, padding, dilation, groups)  # cols: the state
    want = conv_reference(x, w, stride, padding, dilation, groups)
    assert y.dtype == dtype and y.shape == want.shape
    np.testing.assert_allclose(y, want, rtol=tol, atol=tol)
    gy = rng.standard_normal(y.shape).astype(dtype)
    want_gx, want_gw = conv_backward_reference(gy, x, w, stride, padding, dilation, groups)
    for state in (cols, None):  # with conv2d's columns, and building them again
        gx, gw = nb.conv2d_backward(gy, x, w, stride, padding, dilation, groups, state=state)
        np.testing.assert_allclose(gx, want_gx, rtol=tol, atol=tol * 10)
        np.testing.assert_allclose(gw, want_gw, rtol=tol, atol=tol * 100)


def test_conv_transposed_input(nb):
    x = np.random.default_rng(1).standard_normal((2, 3, 8, 8)).astype(np.float32)
    w = np.ones((1, 3, 3, 3), np.float32)
    xt = np.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)
    np.testing.assert_allclose(
        nb.conv2d(xt, w, (1, 1), (0, 0), (1, 1), 1)[0],
        conv_reference(x, w, (1, 1), (0, 0), (1, 1), 1),
        rtol=1e-5,
    )


def pool_reference(x, kernel, stride, padding, mode):
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    ho, wo = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    y = np.empty((n, c, ho, wo), dtype=x.dtype)
    idx = np.empty((n, c, ho, wo), dtype=np.int64)
    for i, j in itertools.product(range(ho), range(wo)):
        r0, c0 = i * sh - ph, j * sw - pw
        rows = range(max(r0, 0), min(r0 + kh, h))
        cols_ = range(max(c0, 0), min(c0 + kw, w))
        window = x[:, :, rows.start : rows.stop, cols_.start : cols_.stop]
        if mode == "avg":
            y[:, :, i, j] = window.sum(axis=(2, 3)) / (kh * kw)
            continue
        flat = window.reshape(n, c, -1)
        k = np.argmax(flat, axis=2)  # first maximum; argmax already prefers the first nan
        y[:, :, i, j] = np.take_along_axis(flat, k[..., None], 2)[..., 0]
        wcols = cols_.stop - cols_.start
        idx[:, :, i, j] = (rows.start + k // wcols) * w + cols_.start + k % wcols
    return y, idx


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "kernel,stride,padding",
    [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 1), (1, 1)), ((3, 2), (1, 2), (0, 1))],
)
def test_pooling(nb, dtype, kernel, stride, padding):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4, 9, 10)).astype(dtype)
    x[0, 0, 1, 1] = np.nan
    x[1, 1, :3, :3] = 7.0  # ties: the first wins
    y, idx = nb.max_pool2d(x, kernel, stride, padding)
    want_y, want_idx = pool_reference(x, kernel, stride, padding, "max")
    np.testing.assert_array_equal(y, want_y)
    np.testing.assert_array_equal(idx, want_idx)
    gy = rng.standard_normal(y.shape).astype(dtype)
    gx = nb.max_pool2d_backward(gy, idx, x.shape)
    want_gx = np.zeros_like(x).reshape(3, 4, -1)
    for n, c in itertools.product(range(3), range(4)):
        np.add.at(want_gx[n, c], idx[n, c].ravel(), gy[n, c].ravel())
    np.testing.assert_allclose(gx, want_gx.reshape(x.shape), rtol=1e-6)
    with pytest.raises(IndexError):
        nb.max_pool2d_backward(gy, idx + 1000, x.shape)

    xa = np.nan_to_num(x)
    ya = nb.avg_pool2d(xa, kernel, stride, padding)
    np.testing.assert_allclose(
        ya, pool_reference(xa, kernel, stride, padding, "avg")[0], rtol=1e-5, atol=1e-6
    )
    gya = rng.standard_normal(ya.shape).astype(dtype)
    gxa = nb.avg_pool2d_backward(gya, xa.shape, kernel, stride, padding)
    # adjoint test: <avg_pool(x), gy> == <x, avg_pool_backward(gy)>
    lhs = np.sum(ya.astype(np.float64) * gya)
    rhs = np.sum(xa.astype(np.float64) * gxa)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_and_softmax(nb, dtype):
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((70, 1031)) * 30).astype(dtype)
    x[0, :4] = [np.nan, np.inf, -np.inf, -0.0]
    with np.errstate(all="ignore"):
        x64 = x.astype(np.float64)
        sig = np.where(x64 >= 0, 1 / (1 + np.exp(-x64)), np.exp(x64) / (1 + np.exp(x64)))
        tol = 2e-6 if dtype == np.float32 else 1e-14
        for layout in (x, np.ascontiguousarray(x.T).T):
            np.testing.assert_allclose(nb.sigmoid(layout), sig, rtol=tol, atol=1e-30)
            np.testing.assert_allclose(nb.silu(layout), x64 * sig, rtol=tol * 2, atol=1e-30)
            np.testing.assert_array_equal(nb.relu(layout), np.maximum(x, 0))
        y = x[1:]
        for axis in (0, 1):
            shifted = y.astype(np.float64) - y.max(axis=axis, keepdims=True)
            lse = np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
            np.testing.assert_allclose(
                nb.log_softmax(y, axis), shifted - lse, rtol=tol * 10, atol=tol * 10
            )
            np.testing.assert_allclose(
                nb.softmax(y, axis), np.exp(shifted - lse), rtol=tol * 10, atol=1e-30
            )
        assert np.isnan(nb.softmax(x[:1], 1)).all()
        big = np.array([[1e30, -np.inf, 0]], dtype=dtype)
        np.testing.assert_allclose(nb.softmax(big, 1), [[1, 0, 0]])


@pytest.mark.parametrize("decoupled,weight_decay", [(False, 0.0), (False, 0.1), (True, 0.1)])
def test_adam_step(nb, decoupled, weight_decay):
    rng = np.random.default_rng(4)
    p, g, m, v = (rng.standard_normal((33, 17)).astype(np.float32) for _ in range(4))
    v = np.abs(v)
    lr, b1, b2, eps, step = 1e-3, 0.9, 0.999, 1e-8, 3
    new_p, new_m, new_v = nb.adam_step(p, g, m, v, lr, b1, b2, eps, weight_decay, step, decoupled)
    p64, g64 = p.astype(np.float64), g.astype(np.float64)
    if decoupled:
        p64 = p64 * (1 - lr * weight_decay)
    else:
        g64 = g64 + weight_decay * p64
    m64 = b1 * m + (1 - b1) * g64
    v64 = b2 * v + (1 - b2) * g64**2
    denom = np.sqrt(v64) / np.sqrt(1 - b2**step) + eps
    np.testing.assert_allclose(new_m, m64, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(new_v, v64, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(new_p, p64 - lr / (1 - b1**step) * m64 / denom, rtol=1e-6, atol=1e-7)
    assert new_p.shape == p.shape and new_p.dtype == p.dtype


@pytest.mark.parametrize("width", [7, 13])  # the window-at-a-time and the two-pass kernels
def test_max_pool_2x2_ties_and_nans(nb, width):
    # The wide 2x2 kernel compares pairs of rows first, then pairs of columns: the first
    # maximum in row-major order (and the first nan) must still win, as in the window loop.
    rng = np.random.default_rng(5)
    values = np.array([0.0, 1.0, np.nan, -np.inf], np.float32)
    x = rng.choice(values, size=(4, 8, 6, width))  # odd width: the last column is dropped
    y, idx = nb.max_pool2d(x, (2, 2), (2, 2), (0, 0))
    want_y, want_idx = pool_reference(x, (2, 2), (2, 2), (0, 0), "max")
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_array_equal(y, want_y)


@pytest.mark.parametrize("length", [1023, 1024], ids=["kernel's max", "numpy's max"])
def test_softmax_edge_rows_on_both_maximum_paths(nb, ref, length):
    x = np.random.default_rng(6).standard_normal((4, length)).astype(np.float32)
    x[0, 7] = np.nan
    x[1, 3] = np.inf
    x[2] = -np.inf
    with np.errstate(all="ignore"):
        for name in ("softmax", "log_softmax"):
            got, want = getattr(nb, name)(x, 1), getattr(ref, name)(x, 1)
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
            np.testing.assert_allclose(got[3], want[3], rtol=1e-5, atol=1e-6)
            assert np.isnan(got[:3]).sum() == np.isnan(want[:3]).sum() > 0
