"""The kernels' index arithmetic, written again in Python line for line and run against numpy
on the CPU. A GPU runs the real kernels (``gpu-check``); these models catch the mistakes that
do not need one: a chunk that leaves elements out or counts them twice (the partial-sum bug),
a tile that loads past a matrix edge, a convolution window off by one, a wrong stride.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from plugtorch_cupy import _fused, _kernels, _nn, _reduce
from plugtorch_cupy._strides import contiguous_strides, extent, nocopy_reshape_strides
from plugtorch_numpy import NumpyBackend

from plugtorch.backend.geometry import output_size

REF = NumpyBackend()
RNG = np.random.default_rng(0)
IDENTITY = {"sum": 0, "max": -np.inf, "min": np.inf}


def _apply(op: str, a: float, b: float) -> float:
    """MaxOp/MinOp/SumOp of common.cuh: a nan already held wins."""
    if op == "sum":
        return a + b
    if op == "max":
        return a if (a != a or a > b) else b
    return a if (a != a or a < b) else b


# --- reductions ------------------------------------------------------------------------------
def model_rows(x: np.ndarray, splits: int, op: str, seen: np.ndarray | None = None) -> np.ndarray:
    """reduce_rows: block (a, s) over chunk s of row a; each thread's 4-accumulator stride
    loop, then the block tree (the combination order of a tree does not change which
    elements take part, which is what this model checks)."""
    a_count, r = x.shape
    block = _kernels.BLOCK
    out = np.empty((a_count, splits), dtype=x.dtype)
    for a in range(a_count):
        for s in range(splits):
            start, end = _reduce.chunk_bounds(r, splits, s)
            per_thread = []
            for t in range(block):
                acc = [IDENTITY[op]] * 4
                i = start + t
                while i + 3 * block < end:
                    for lane in range(4):
                        acc[lane] = _apply(op, acc[lane], x[a, i + lane * block])
                        if seen is not None:
                            seen[a, i + lane * block] += 1
                    i += 4 * block
                while i < end:
                    acc[0] = _apply(op, acc[0], x[a, i])
                    if seen is not None:
                        seen[a, i] += 1
                    i += block
                per_thread.append(
                    _apply(op, _apply(op, acc[0], acc[1]), _apply(op, acc[2], acc[3]))
                )
            total = IDENTITY[op]
            for value in per_thread:
                total = _apply(op, total, value)
            out[a, s] = total
    return out


def model_cols(x: np.ndarray, splits: int, op: str) -> np.ndarray:
    """reduce_cols: thread (a, s, b) walks chunk s of column b serially."""
    a_count, r, b_count = x.shape
    out = np.empty((a_count, splits, b_count), dtype=x.dtype)
    for a in range(a_count):
        for s in range(splits):
            start, end = _reduce.chunk_bounds(r, splits, s)
            for b in range(b_count):
                acc = IDENTITY[op]
                for i in range(start, end):
                    acc = _apply(op, acc, x[a, i, b])
                out[a, s, b] = acc
    return out


def model_reduce_axes(x: np.ndarray, op: str, axes: tuple[int, ...], sm_count: int) -> np.ndarray:
    """The host loop of ``_reduce.reduce_axes`` with the kernel models."""
    permutation, a, r, b = _reduce.layout(x.shape, axes)
    data = x if permutation is None else np.transpose(x, permutation)
    data = np.ascontiguousarray(data).reshape(a, r, b)
    while True:
        splits = _reduce.plan_splits(a, r, b, sm_count)
        if b == 1:
            out = model_rows(data.reshape(a, r), splits, op).reshape(a, splits, 1)
        else:
            out = model_cols(data, splits, op)
        if splits == 1:
            break
        data, r = out, splits
    return out.reshape([n for d, n in enumerate(x.shape) if d not in axes])


@pytest.mark.parametrize(
    "length,splits",
    [
        (length, splits)
        for length in (1, 2, 31, 255, 256, 257, 1023, 1024, 1025, 4097, 9001)
        for splits in (1, 2, 3, 7)
        if splits <= length
    ],
)
def test_row_chunks_read_every_element_exactly_once(length: int, splits: int) -> None:
    x = RNG.integers(-5, 5, size=(2, length)).astype(np.float64)
    seen = np.zeros(x.shape, dtype=np.int64)
    partial = model_rows(x, splits, "sum", seen)
    assert (seen == 1).all()
    assert np.array_equal(partial.sum(axis=1), x.sum(axis=1))


@pytest.mark.parametrize("r", [1, 5, 64, 65, 200, 1000])
@pytest.mark.parametrize("splits", [1, 2, 3])
def test_column_chunks_partition_the_reduced_axis(r: int, splits: int) -> None:
    bounds = [_reduce.chunk_bounds(r, splits, s) for s in range(splits)]
    covered = [i for start, end in bounds for i in range(start, end)]
    assert covered == list(range(r))


@pytest.mark.parametrize("r", [2, 4096, 8191, 8192, 100_003, 10**8])
@pytest.mark.parametrize("a,b", [(1, 1), (3, 1), (1, 5), (1, 300), (4000, 1)])
def test_split_plans_terminate_and_fit(r: int, a: int, b: int) -> None:
    passes = 0
    while True:
        splits = _reduce.plan_splits(a, r, b, sm_count=132)
        assert 1 <= splits and (splits == 1 or splits < r)
        passes += 1
        if splits == 1:
            break
        r = splits
    assert passes <= 3


@pytest.mark.parametrize(
    "shape,axes",
    [
        ((10,), (0,)),
        ((3, 4, 5), (1,)),
        ((3, 4, 5), (0, 2)),
        ((3, 4, 5), (0, 1, 2)),
        ((2, 3, 4, 5), (1, 2)),
        ((2, 3, 4, 5), (0, 3)),
        ((40000,), (0,)),
        ((3, 20000), (1,)),
        ((9000, 3), (0,)),
    ],
)
@pytest.mark.parametrize("op", ["sum", "max", "min"])
def test_reduction_model_matches_numpy(shape: tuple[int, ...], axes: tuple[int, ...], op: str):
    x = RNG.integers(-1000, 1000, size=shape).astype(np.float64)
    if op != "sum" and x.size > 10:
        x.reshape(-1)[7] = np.nan  # max and min propagate nan
    got = model_reduce_axes(x, op, axes, sm_count=132)
    expected = {"sum": np.sum, "max": np.max, "min": np.min}[op](x, axis=axes)
    np.testing.assert_array_equal(got, expected)


def test_layout_views_the_reduced_axes_as_one_run() -> None:
    for shape, axes in [((2, 3, 4, 5), (1, 2)), ((2, 3, 4, 5), (0, 2)), ((6,), (0,))]:
        x = RNG.standard_normal(shape)
        permutation, a, r, b = _reduce.layout(shape, axes)
        data = x if permutation is None else np.transpose(x, permutation)
        np.testing.assert_allclose(
            data.reshape(a, r, b).sum(axis=1).reshape(-1), x.sum(axes).reshape(-1)
        )


# --- tiled matmul ----------------------------------------------------------------------------
def _defines(filename: str) -> dict[str, int]:
    text = (_kernels.KERNEL_DIR / filename).read_text()
    return {k: int(v) for k, v in re.findall(r"#define (\w+) (\d+)", text)}


def model_matmul_tiled(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """matmul_tiled of kernels/matmul.cu, every thread of every block at once (numpy over the
    thread index), with the same load mapping, zero padding and 8x8 strided ownership."""
    d = _defines("matmul.cu")
    tm, tn, tk, threads, per = d["TILE_M"], d["TILE_N"], d["TILE_K"], d["THREADS"], d["PER_THREAD"]
    m, k_total = a.shape
    n = b.shape[1]
    c = np.full((m, n), np.nan)
    written = np.zeros((m, n), dtype=np.int64)
    t = np.arange(threads)
    tx, ty = t % 16, t // 16
    for row0 in range(0, m, tm):
        for col0 in range(0, n, tn):
            acc = np.zeros((threads, per, per))
            for k0 in range(0, k_total, tk):
                a_tile = np.full((tk, tm), np.nan)
                b_tile = np.full((tk, tn), np.nan)
                for i in range((tm * tk) // threads):
                    e = t + i * threads
                    r, kk = e // tk, e % tk
                    gr, gk = row0 + r, k0 + kk
                    ok = (gr < m) & (gk < k_total)
                    a_tile[kk, r] = np.where(
                        ok, a[np.minimum(gr, m - 1), np.minimum(gk, k_total - 1)], 0
                    )
                for i in range((tk * tn) // threads):
                    e = t + i * threads
                    kk, nn = e // tn, e % tn
                    gk, gn = k0 + kk, col0 + nn
                    ok = (gk < k_total) & (gn < n)
                    b_tile[kk, nn] = np.where(
                        ok, b[np.minimum(gk, k_total - 1), np.minimum(gn, n - 1)], 0
                    )
                assert not np.isnan(a_tile).any() and not np.isnan(b_tile).any(), "tile not loaded"
                for kk in range(tk):
                    a_reg = a_tile[kk][ty[:, None] + 16 * np.arange(per)]  # (threads, per)
                    b_reg = b_tile[kk][tx[:, None] + 16 * np.arange(per)]
                    acc += a_reg[:, :, None] * b_reg[:, None, :]
            for i in range(per):
                for j in range(per):
                    r = row0 + ty + 16 * i
                    col = col0 + tx + 16 * j
                    ok = (r < m) & (col < n)
                    c[r[ok], col[ok]] = acc[ok, i, j]
                    np.add.at(written, (r[ok], col[ok]), 1)
    assert (written == 1).all(), "every output written exactly once"
    return c


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (128, 8, 128), (130, 17, 259), (5, 300, 3)])
def test_matmul_tiling_matches_numpy(m: int, k: int, n: int) -> None:
    a, b = RNG.standard_normal((m, k)), RNG.standard_normal((k, n))
    np.testing.assert_allclose(model_matmul_tiled(a, b), a @ b, rtol=1e-12, atol=1e-12)


def test_matmul_tile_constants_agree() -> None:
    d = _defines("matmul.cu")
    assert (d["TILE_M"], d["TILE_N"]) == (_nn.TILE_M, _nn.TILE_N)
    assert d["THREADS"] == _kernels.BLOCK == 16 * 16
    assert d["TILE_M"] == 16 * d["PER_THREAD"] == d["TILE_N"]
    assert (d["TILE_M"] * d["TILE_K"]) % d["THREADS"] == 0


# --- convolution and pooling -----------------------------------------------------------------
def _trunc_div(a: int, b: int) -> int:
    """C's integer division (toward zero), as the kernels compute."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def model_conv(x, w, stride, padding, dilation, groups):  # type: ignore[no-untyped-def]
    n_count, c_count, h, wd = x.shape
    o_count, cg, kh, kw = w.shape
    og = o_count // groups
    ho = output_size(h, kh, stride[0], padding[0], dilation[0])
    wo = output_size(wd, kw, stride[1], padding[1], dilation[1])
    y = np.zeros((n_count, o_count, ho, wo))
    for n in range(n_count):
        for o in range(o_count):
            c0 = (o // og) * cg
            for oy in range(ho):
                for ox in range(wo):
                    acc = 0.0
                    for c in range(cg):
                        for ky in range(kh):
                            iy = oy * stride[0] - padding[0] + ky * dilation[0]
                            if iy < 0 or iy >= h:
                                continue
                            for kx in range(kw):
                                ix = ox * stride[1] - padding[1] + kx * dilation[1]
                                if 0 <= ix < wd:
                                    acc += x[n, c0 + c, iy, ix] * w[o, c, ky, kx]
                    y[n, o, oy, ox] = acc
    # conv2d_backward_input: one thread per input element, the divisibility test per tap
    return y


def model_conv_backward(gy, x, w, stride, padding, dilation, groups):  # type: ignore[no-untyped-def]
    n_count, c_count, h, wd = x.shape
    o_count, cg, kh, kw = w.shape
    og = o_count // groups
    ho, wo = gy.shape[2:]
    gx = np.zeros(x.shape)
    for n in range(n_count):
        for c in range(c_count):
            g, cl = c // cg, c % cg
            for iy in range(h):
                for ix in range(wd):
                    acc = 0.0
                    for o in range(g * og, (g + 1) * og):
                        for ky in range(kh):
                            ty = iy + padding[0] - ky * dilation[0]
                            if ty < 0 or ty % stride[0] != 0:
                                continue
                            oy = ty // stride[0]
                            if oy >= ho:
                                continue
                            for kx in range(kw):
                                tx = ix + padding[1] - kx * dilation[1]
                                if tx < 0 or tx % stride[1] != 0:
                                    continue
                                ox = tx // stride[1]
                                if ox < wo:
                                    acc += gy[n, o, oy, ox] * w[o, cl, ky, kx]
                    gx[n, c, iy, ix] = acc
    gw = np.zeros(w.shape)
    for widx in range(w.size):  # one block per weight element, threads over n, oy, ox
        kx = widx % kw
        ky = (widx // kw) % kh
        cl = (widx // (kw * kh)) % cg
        o = widx // (kw * kh * cg)
        c = (o // og) * cg + cl
        acc = 0.0
        for t in range(n_count * ho * wo):
            ox, oy, n = t % wo, (t // wo) % ho, t // (wo * ho)
            iy = oy * stride[0] - padding[0] + ky * dilation[0]
            ix = ox * stride[1] - padding[1] + kx * dilation[1]
            if 0 <= iy < h and 0 <= ix < wd:
                acc += gy[n, o, oy, ox] * x[n, c, iy, ix]
        gw[o, cl, ky, kx] = acc
    return gx, gw


CONV_CASES = [
    ((2, 4, 7, 6), (6, 2, 3, 3), (2, 1), (1, 2), (1, 2), 2),
    ((1, 3, 5, 5), (2, 3, 5, 5), (1, 1), (0, 0), (1, 1), 1),
    ((2, 2, 6, 9), (4, 1, 2, 3), (3, 2), (2, 0), (2, 1), 2),
]


@pytest.mark.parametrize("x_shape,w_shape,stride,padding,dilation,groups", CONV_CASES)
def test_conv_index_math_matches_the_reference(x_shape, w_shape, stride, padding, dilation, groups):  # type: ignore[no-untyped-def]
    x, w = RNG.standard_normal(x_shape), RNG.standard_normal(w_shape)
    y = model_conv(x, w, stride, padding, dilation, groups)
    np.testing.assert_allclose(y, REF.conv2d(x, w, stride, padding, dilation, groups), atol=1e-12)
    gy = RNG.standard_normal(y.shape)
    gx, gw = model_conv_backward(gy, x, w, stride, padding, dilation, groups)
    ref_gx, ref_gw = REF.conv2d_backward(gy, x, w, stride, padding, dilation, groups)
    np.testing.assert_allclose(gx, ref_gx, atol=1e-12)
    np.testing.assert_allclose(gw, ref_gw, atol=1e-12)


def model_max_pool(x, kernel, stride, padding):  # type: ignore[no-untyped-def]
    n, c, h, w = x.shape
    ho, wo = _nn._pool_out(x.shape, kernel, stride, padding)
    y = np.empty((n, c, ho, wo))
    arg = np.empty((n, c, ho, wo), dtype=np.int64)
    for p in np.ndindex(n, c):
        for oy in range(ho):
            for ox in range(wo):
                best, best_index = -np.inf, -1
                for ky in range(kernel[0]):
                    iy = oy * stride[0] - padding[0] + ky
                    if iy < 0 or iy >= h:
                        continue
                    for kx in range(kernel[1]):
                        ix = ox * stride[1] - padding[1] + kx
                        if ix < 0 or ix >= w:
                            continue
                        v = x[p][iy, ix]
                        if best_index < 0 or (best == best and (v > best or v != v)):
                            best, best_index = v, iy * w + ix
                y[p][oy, ox], arg[p][oy, ox] = best, best_index
    return y, arg


def _window_range(i: int, pad: int, k: int, s: int, out: int) -> range:
    """oy_lo .. oy_hi of the pooling backward kernels (C division)."""
    return range(max(0, _trunc_div(i + pad - k + s, s)), min(out - 1, _trunc_div(i + pad, s)) + 1)


def model_avg_pool_backward(gy, input_shape, kernel, stride, padding):  # type: ignore[no-untyped-def]
    n, c, h, w = input_shape
    ho, wo = gy.shape[2:]
    gx = np.zeros(input_shape)
    for p in np.ndindex(n, c):
        for iy in range(h):
            for ix in range(w):
                total = 0.0
                for oy in _window_range(iy, padding[0], kernel[0], stride[0], ho):
                    for ox in _window_range(ix, padding[1], kernel[1], stride[1], wo):
                        total += gy[p][oy, ox]
                gx[p][iy, ix] = total / (kernel[0] * kernel[1])
    return gx


POOL_CASES = [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)), ((3, 2), (1, 2), (1, 0))]


@pytest.mark.parametrize("kernel,stride,padding", POOL_CASES)
def test_pool_index_math_matches_the_reference(kernel, stride, padding) -> None:  # type: ignore[no-untyped-def]
    x = RNG.integers(-3, 3, size=(2, 2, 7, 6)).astype(np.float64)  # many ties
    x[0, 0, 1, 1] = np.nan
    x[1, 1] = -np.inf
    y, arg = model_max_pool(x, kernel, stride, padding)
    ref_y, ref_arg = REF.max_pool2d(x, kernel, stride, padding)
    np.testing.assert_array_equal(y, ref_y)
    np.testing.assert_array_equal(arg, ref_arg)
    # Where every value of a window is -inf, the first real element of the window is chosen
    # (PyTorch), never a padding position.
    ho, wo = arg.shape[2:]
    for oy in range(ho):
        for ox in range(wo):
            iy = max(0, oy * stride[0] - padding[0])
            ix = max(0, ox * stride[1] - padding[1])
            assert arg[1, 1, oy, ox] == iy * x.shape[3] + ix
    gy = RNG.standard_normal(y.shape)
    scattered = np.zeros(x.shape).reshape(4, -1)  # max_pool2d_backward: the atomic scatter
    np.add.at(scattered, (np.arange(4)[:, None], arg.reshape(4, -1)), gy.reshape(4, -1))
    np.testing.assert_allclose(
        scattered.reshape(x.shape), REF.max_pool2d_backward(gy, arg, x.shape)
    )
    gx = model_avg_pool_backward(gy, x.shape, kernel, stride, padding)
    np.testing.assert_allclose(gx, REF.avg_pool2d_backward(gy, x.shape, kernel, stride, padding))


# --- softmax, cross-entropy, layer norm, Adam: the kernels' formulas ---------------------------
def model_softmax_row(row: np.ndarray, log: bool) -> np.ndarray:
    m = -np.inf
    for v in row:
        m = _apply("max", m, v)
    shift = m  # subtracted even when not finite (PyTorch): such rows become nan
    total = np.exp(row - shift).sum()
    return row - shift - np.log(total) if log else np.exp(row - shift) / total


@pytest.mark.parametrize("log", [False, True])
def test_softmax_formula_matches_the_reference(log: bool) -> None:
    x = RNG.standard_normal((5, 9)) * 30
    x[1, 3] = np.nan
    x[2] = -np.inf
    x[3, 0] = np.inf
    with np.errstate(invalid="ignore", divide="ignore"):
        got = np.stack([model_softmax_row(r, log) for r in x])
        ref = (REF.log_softmax if log else REF.softmax)(x, 1)
    np.testing.assert_allclose(got, ref, equal_nan=True, atol=1e-12)


def test_cross_entropy_formula_matches_log_softmax() -> None:
    x = RNG.standard_normal((6, 4))
    target = np.array([0, 3, 1, -100, 2, 2])
    logp = REF.log_softmax(x, 1)
    for row, t in enumerate(target):
        m = x[row].max()
        s = np.exp(x[row] - m).sum()
        valid = 0 <= t < x.shape[1]
        loss = m + np.log(s) - x[row, t] if valid else 0.0
        grad = np.exp(x[row] - m) / s - (np.arange(4) == t) if valid else np.zeros(4)
        assert loss == pytest.approx(-logp[row, t] if valid else 0.0)
        expected = np.exp(logp[row]) - (np.arange(4) == t) if valid else np.zeros(4)
        np.testing.assert_allclose(grad, expected, atol=1e-12)


def test_layer_norm_formulas_match_autograd() -> None:
    import plugtorch as pt
    import plugtorch.nn.functional as F

    x = RNG.standard_normal((3, 7))
    w, b, gy = RNG.standard_normal(7), RNG.standard_normal(7), RNG.standard_normal((3, 7))
    mean = x.mean(axis=1, keepdims=True)
    rstd = 1 / np.sqrt(((x - mean) ** 2).mean(axis=1, keepdims=True) + 1e-5)
    xhat = (x - mean) * rstd
    y = xhat * w + b
    g = gy * w
    gx = rstd * (g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True))
    gw, gb = (gy * xhat).sum(axis=0), gy.sum(axis=0)
    tx, tw, tb = (pt.tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.layer_norm(tx, (7,), tw, tb, eps=1e-5)
    out.backward(pt.tensor(gy))
    np.testing.assert_allclose(y, out.detach().numpy(), atol=1e-12)
    for mine, theirs in ((gx, tx), (gw, tw), (gb, tb)):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_formula_matches_the_optimizer(decoupled: bool) -> None:
    import plugtorch as pt
    from plugtorch.backend import ArrayAPIBackend, registry

    plain = ArrayAPIBackend(np, name="plain-for-adam")  # declares no adam_step: decomposition
    registry.register_backend("plain-for-adam", plain)
    try:
        p0 = RNG.standard_normal(5)
        grads = [RNG.standard_normal(5) for _ in range(3)]
        w = pt.tensor(p0, backend="plain-for-adam", requires_grad=True)
        cls = pt.optim.AdamW if decoupled else pt.optim.Adam
        opt = cls([w], lr=0.1, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.05)
        p, m, v = p0.copy(), np.zeros(5), np.zeros(5)
        for step, grad in enumerate(grads, start=1):
            w.grad = pt.tensor(grad, backend="plain-for-adam")
            opt.step()
            step_size = 0.1 / (1 - 0.8**step)
            inv = 1 / math.sqrt(1 - 0.9**step)
            g = grad if decoupled else grad + 0.05 * p
            p = p * (1 - 0.1 * 0.05) if decoupled else p
            m = 0.8 * m + (1 - 0.8) * g
            v = 0.9 * v + (1 - 0.9) * g * g
            p = p - m / (np.sqrt(v) * inv + 1e-6) * step_size
        np.testing.assert_allclose(p, w.detach().numpy(), rtol=1e-12)
    finally:
        registry._manual.pop("plain-for-adam", None)
        registry._backends.pop("plain-for-adam", None)


# --- fused chains and strides ----------------------------------------------------------------
def test_fused_strided_offsets_follow_numpy_views() -> None:
    base = np.arange(60.0).reshape(3, 4, 5)
    views = [base, base.transpose(2, 0, 1)[:, :, ::2].transpose(1, 2, 0)[:, :2], base[:, :2, :]]
    shape = (3, 2, 5)
    views = [np.broadcast_to(base[:1, :1, :], shape), base[:, 1:3, :], base[:, ::2, :]]
    strides = [[s // 8 for s in v.strides] for v in views]
    offsets_of = [
        v.__array_interface__["data"][0] - base.__array_interface__["data"][0] for v in views
    ]
    flat = base.reshape(-1)
    for index in range(math.prod(shape)):
        coordinate = np.unravel_index(index, shape)
        offsets = _fused.strided_offsets(index, shape, strides)
        for k, v in enumerate(views):
            assert flat[offsets_of[k] // 8 + offsets[k]] == v[coordinate]


def test_fused_chain_meaning_and_checks() -> None:
    x, y = RNG.standard_normal(10), RNG.standard_normal(10)
    chain = (("multiply", 0, 1), ("sin", 0), ("add", 2, 3))
    np.testing.assert_allclose(_fused.evaluate(chain, (x, y), np), x * y + np.sin(x))
    relu = _fused.evaluate((("relu", 0),), (np.array([-1.0, np.nan, 2.0, -np.inf]),), np)
    np.testing.assert_array_equal(relu, [0.0, np.nan, 2.0, 0.0])
    source = _fused.render(chain, 2, "float64")
    assert "typedef double T;" in source and "const T t2 = (t0 + t1);" in source
    assert "sin(v0)" in source and "$" not in source
    with pytest.raises(ValueError, match="cannot be fused"):
        _fused.check_chain((("cumsum", 0),), 1)
    with pytest.raises(ValueError, match="operand 2 must index"):
        _fused.check_chain((("add", 0, 2),), 2)
    with pytest.raises(ValueError, match="takes 2 operand"):
        _fused.check_chain((("add", 0),), 1)


@pytest.mark.parametrize(
    "shape,make_view,new_shape",
    [
        ((6, 4), lambda a: a, (24,)),
        ((6, 4), lambda a: a.T, (24,)),
        ((6, 4), lambda a: a.T, (2, 2, 6)),
        ((6, 4), lambda a: a[:, ::2], (3, 2, 2)),
        ((6, 4), lambda a: a[::2], (12,)),
        ((2, 3, 4), lambda a: a.transpose(1, 0, 2), (3, 8)),
        ((2, 3, 4), lambda a: a.transpose(0, 2, 1), (2, 12)),
        ((2, 3, 4), lambda a: a[:, :1], (2, 1, 1, 4)),
        ((5,), lambda a: np.broadcast_to(a, (3, 5)), (15,)),
        ((5,), lambda a: np.broadcast_to(a, (3, 5)), (3, 5, 1)),
        ((0, 3), lambda a: a, (3, 0)),
    ],
)
def test_nocopy_reshape_agrees_with_numpy(shape, make_view, new_shape) -> None:  # type: ignore[no-untyped-def]
    base = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
    view = make_view(base)
    strides = nocopy_reshape_strides(view.shape, [s // 4 for s in view.strides], new_shape)
    try:
        expected = view.view()
        expected.shape = new_shape  # numpy's own no-copy reshape, or AttributeError
    except AttributeError:
        assert strides is None
        return
    assert strides is not None
    rebuilt = np.lib.stride_tricks.as_strided(view, new_shape, [s * 4 for s in strides])
    np.testing.assert_array_equal(rebuilt, expected)


def test_extent_and_contiguous_strides() -> None:
    assert contiguous_strides((2, 3, 4)) == (12, 4, 1)
    assert contiguous_strides((2, 0, 4)) == (4, 4, 1)
    assert extent((2, 3), (3, 1), 5) == (5, 10)
    assert extent((2, 3), (-3, 1), 5) == (2, 7)
    assert extent((2, 0), (3, 1), 5) is None
