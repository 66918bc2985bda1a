"""The real kernels on a GPU, against numpy (run by ``backends/cupy/gpu-check``; skipped, with
the reason, on machines without one). The conformance suite checks every primitive through
the core; these aim at each kernel's edges: lengths around block and split boundaries, tiles
that do not divide the matrix, strided and broadcast inputs, aliasing rules of the mutable
tier."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import requires_gpu
from plugtorch_numpy import NumpyBackend

import plugtorch as pt

pytestmark = requires_gpu
REF = NumpyBackend()
RNG = np.random.default_rng(1)


@pytest.fixture(scope="module")
def cb():  # type: ignore[no-untyped-def]
    from plugtorch_cupy import CupyBackend

    backend = CupyBackend()
    assert backend.kernels_reason == "", backend.kernels_reason
    return backend


def _close(got, expected, rtol=1e-5, atol=1e-6):  # type: ignore[no-untyped-def]
    import cupy

    np.testing.assert_allclose(cupy.asnumpy(got), expected, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("n", [1, 255, 256, 257, 4095, 4097, 65537, 1_000_003, 10_000_019])
@pytest.mark.parametrize("op", ["sum", "max", "min"])
def test_reduce_all_lengths(cb, n: int, op: str) -> None:  # type: ignore[no-untyped-def]
    x = RNG.standard_normal(n)
    got = getattr(cb, op)(cb.cupy.asarray(x), (0,), False)
    _close(got, getattr(np, op)(x), rtol=1e-9, atol=1e-9)
    ints = RNG.integers(-9, 9, size=n)
    got = getattr(cb, op)(cb.cupy.asarray(ints), (0,), False)
    assert int(got) == int(getattr(np, op)(ints))  # exact: no partial sum left behind


@pytest.mark.parametrize(
    "shape,axes",
    [((4096, 4096), (1,)), ((4096, 4096), (0,)), ((3, 5, 7), (0, 2)), ((2, 3, 4, 5), (1, 2)),
     ((70000, 3), (0,)), ((1, 1), (0, 1))],
)  # fmt: skip
def test_reduce_axes_float32(cb, shape, axes) -> None:  # type: ignore[no-untyped-def]
    x = RNG.standard_normal(shape).astype(np.float32)
    x.reshape(-1)[0] = np.nan
    for op in ("sum", "max", "min"):
        got = getattr(cb, op)(cb.cupy.asarray(x), axes, True)
        expected = getattr(np, op)(x.astype(np.float64), axis=axes, keepdims=True)
        _close(got, expected, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("m,k,n,batch", [(1, 1, 1, 1), (130, 17, 259, 3), (512, 512, 512, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_tiled(cb, m, k, n, batch, dtype) -> None:  # type: ignore[no-untyped-def]
    a = RNG.standard_normal((batch, m, k)).astype(dtype)
    b = RNG.standard_normal((batch, k, n)).astype(dtype)
    got = cb.matmul_tiled(cb.cupy.asarray(a), cb.cupy.asarray(b).transpose(0, 1, 2))
    _close(got, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-3)


def test_fused_chain_contiguous_strided_broadcast(cb) -> None:  # type: ignore[no-untyped-def]
    from plugtorch_cupy import _fused

    cupy = cb.cupy
    chain = (("multiply", 0, 1), ("sin", 0), ("add", 2, 3), ("relu", 4))
    x = RNG.standard_normal((300, 200)).astype(np.float32)
    row = RNG.standard_normal(200).astype(np.float32)
    cases = [
        (x, x[::-1].copy()),
        (x.T, x.T),
        (x, np.broadcast_to(row, x.shape)),
    ]
    for a, b in cases:
        da = (
            cupy.asarray(np.ascontiguousarray(a.T)).T
            if not a.flags.c_contiguous
            else cupy.asarray(a)
        )
        db = (
            cupy.broadcast_to(cupy.asarray(row), a.shape)
            if b.strides[0] == 0
            else (
                cupy.asarray(np.ascontiguousarray(b.T)).T
                if not b.flags.c_contiguous
                else cupy.asarray(b)
            )
        )
        got = cb.fused_elementwise(chain, (da, db))
        _close(got, _fused.evaluate(chain, (a.astype(np.float64), b), np), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("x_shape,w_shape,stride,padding,dilation,groups", [
    ((2, 4, 9, 8), (6, 2, 3, 3), (2, 1), (1, 2), (1, 2), 2),
    ((64, 1, 28, 28), (6, 1, 5, 5), (1, 1), (0, 0), (1, 1), 1),
])  # fmt: skip
def test_conv(cb, x_shape, w_shape, stride, padding, dilation, groups) -> None:  # type: ignore[no-untyped-def]
    x, w = RNG.standard_normal(x_shape), RNG.standard_normal(w_shape)
    y = cb.conv2d(cb.cupy.asarray(x), cb.cupy.asarray(w), stride, padding, dilation, groups)
    _close(y, REF.conv2d(x, w, stride, padding, dilation, groups), rtol=1e-9, atol=1e-9)
    gy = RNG.standard_normal(y.shape)
    gx, gw = cb.conv2d_backward(cb.cupy.asarray(gy), cb.cupy.asarray(x), cb.cupy.asarray(w),
                                stride, padding, dilation, groups)  # fmt: skip
    ref_gx, ref_gw = REF.conv2d_backward(gy, x, w, stride, padding, dilation, groups)
    _close(gx, ref_gx, rtol=1e-9, atol=1e-9)
    _close(gw, ref_gw, rtol=1e-9, atol=1e-9)


def test_pooling(cb) -> None:  # type: ignore[no-untyped-def]
    x = RNG.integers(-3, 3, size=(2, 3, 9, 8)).astype(np.float64)
    x[0, 0, 2, 2] = np.nan
    dx = cb.cupy.asarray(x)
    for kernel, stride, padding in [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1))]:
        y, arg = cb.max_pool2d(dx, kernel, stride, padding)
        ref_y, ref_arg = REF.max_pool2d(x, kernel, stride, padding)
        _close(y, ref_y)
        np.testing.assert_array_equal(cb.cupy.asnumpy(arg), ref_arg)
        gy = RNG.standard_normal(ref_y.shape)
        gx = cb.max_pool2d_backward(cb.cupy.asarray(gy), arg, x.shape)
        _close(gx, REF.max_pool2d_backward(gy, ref_arg, x.shape), rtol=1e-12)
        _close(
            cb.avg_pool2d(dx, kernel, stride, padding), REF.avg_pool2d(x, kernel, stride, padding)
        )
        gx = cb.avg_pool2d_backward(cb.cupy.asarray(gy), x.shape, kernel, stride, padding)
        _close(gx, REF.avg_pool2d_backward(gy, x.shape, kernel, stride, padding))


def test_softmax_cross_entropy_layer_norm_adam(cb) -> None:  # type: ignore[no-untyped-def]
    cupy = cb.cupy
    x = RNG.standard_normal((37, 1000)) * 10
    for axis in (0, 1):
        _close(cb.softmax(cupy.asarray(x), axis), REF.softmax(x, axis), rtol=1e-9, atol=1e-12)
        _close(cb.log_softmax(cupy.asarray(x), axis), REF.log_softmax(x, axis), rtol=1e-9)
    target = RNG.integers(0, 1000, size=37)
    target[3] = -100
    loss, grad = cb.cross_entropy(cupy.asarray(x), cupy.asarray(target))
    logp = REF.log_softmax(x, 1)
    valid = target >= 0
    expected = np.where(valid, -logp[np.arange(37), np.clip(target, 0, None)], 0)
    _close(loss, expected, rtol=1e-9)
    onehot = np.eye(1000)[np.clip(target, 0, None)]
    _close(grad, np.where(valid[:, None], np.exp(logp) - onehot, 0), rtol=1e-9, atol=1e-12)
    w, b = RNG.standard_normal(1000), RNG.standard_normal(1000)
    y, mean, rstd = cb.layer_norm(cupy.asarray(x), cupy.asarray(w), cupy.asarray(b), 1e-5)
    xhat = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    _close(y, xhat * w + b, rtol=1e-9, atol=1e-9)
    p, g, m, v = (RNG.standard_normal(1001) for _ in range(4))
    new = cb.adam_step(*(cupy.asarray(a) for a in (p, g, m, np.abs(v))), 0.1, 0.9, 0.99, 1e-8,
                       0.01, 3, False)  # fmt: skip
    g2 = g + 0.01 * p  # Adam (not decoupled): weight decay joins the gradient
    m2 = 0.9 * m + 0.1 * g2
    v2 = 0.99 * np.abs(v) + 0.01 * g2 * g2
    p2 = p - m2 / (np.sqrt(v2) / np.sqrt(1 - 0.99**3) + 1e-8) * (0.1 / (1 - 0.9**3))
    for mine, expected in zip(new, (p2, m2, v2)):
        _close(mine, expected, rtol=1e-9)


def test_mutable_tier(cb) -> None:  # type: ignore[no-untyped-def]
    cupy = cb.cupy
    x = cupy.arange(12, dtype=cupy.float32).reshape(3, 4)
    assert cb.strides(x) == (4, 1) and cb.data_ptr(x[1]) == cb.data_ptr(x) + 16
    ptr, nbytes = cb.storage_info(x[1:])
    assert ptr == cb.data_ptr(x) and nbytes >= 48
    view = cb.as_strided(x[1:], (2, 2), (1, 4), 1)
    np.testing.assert_array_equal(cupy.asnumpy(view), [[1, 5], [2, 6]])
    with pytest.raises(ValueError, match="outside the allocation"):
        cb.as_strided(x, (4, 4), (4, 1), 0)
    assert cb.reshape(x, (12,), copy=False).data.ptr == x.data.ptr
    with pytest.raises(ValueError, match="without a copy"):
        cb.reshape(x.T, (12,), copy=False)
    copied = cb.reshape(x, (12,), copy=True)
    assert copied.data.ptr != x.data.ptr
    flipped = cb.flip(x, (0,))
    assert not cupy.shares_memory(flipped, x)
    cb.binary_inplace("add", x, x)
    np.testing.assert_array_equal(cupy.asnumpy(x), np.arange(12.0).reshape(3, 4) * 2)
    y = cupy.ones((4, 4), dtype=cupy.float32)
    cb.binary_inplace("subtract", y, y.T)  # overlapping, not element for element: copied first
    cb.add_scaled_inplace(x, cupy.broadcast_to(cupy.ones(4, dtype=cupy.float32), (3, 4)), -2.0)
    np.testing.assert_array_equal(cupy.asnumpy(x), np.arange(12.0).reshape(3, 4) * 2 - 2)
    cb.setitem_inplace(x, (x > 10,), cupy.zeros(int((x > 10).sum()), dtype=cupy.float32))
    assert float(x.max()) <= 10


def test_core_on_the_gpu() -> None:
    """A few ops through the core: device plumbing, moves, training step pieces."""
    assert pt.cuda.is_available() and pt.cuda.device_count() >= 1
    x = pt.randn(64, 32).cuda()
    assert x.is_cuda and x.device.type == "cuda"
    w = pt.randn(32, 8, requires_grad=True, device="cuda")
    loss = (x @ w).relu().sum()
    loss.backward()
    assert w.grad.device == w.device
    pt.cuda.synchronize()
    assert pt.cuda.memory_allocated() > 0
    pt.cuda.reset_peak_memory_stats()
    big = pt.zeros(1 << 20, device="cuda")
    assert pt.cuda.max_memory_allocated() >= big.numel() * 4
    assert "H" in pt.cuda.get_device_name() or pt.cuda.get_device_name()
    assert np.allclose(x.cpu().numpy() @ w.detach().cpu().numpy(), (x @ w).cpu().detach().numpy(),
                       rtol=1e-4, atol=1e-4)  # fmt: skip
