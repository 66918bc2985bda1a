"""Host side of the neural-network kernels: argument checks done, arrays made contiguous,
output allocated, launch. Each function mirrors one optional primitive of the protocol (or,
for ``cross_entropy``, ``layer_norm`` and ``matmul_tiled``, a kernel the core does not call
yet: see the README) and takes float32 or float64 CuPy arrays."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from plugtorch.backend.geometry import output_size
from plugtorch_cupy._kernels import BLOCK, KernelCache

__all__ = [
    "TILE_M",
    "TILE_N",
    "conv2d",
    "conv2d_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "softmax",
    "cross_entropy",
    "layer_norm",
    "layer_norm_backward",
    "adam_step",
    "matmul_tiled",
]

TILE_M = 128
TILE_N = 128
"""The output tile of one block of ``matmul_tiled`` (``#define``s in kernels/matmul.cu)."""

Pair = tuple[int, int]


def _rows(cupy: Any, x: Any, axis: int) -> tuple[Any, tuple[int, ...] | None]:
    """``x`` as C-contiguous rows over ``axis`` (moved last), and the permutation to undo."""
    if axis == x.ndim - 1:
        return cupy.ascontiguousarray(x), None
    order = tuple(d for d in range(x.ndim) if d != axis) + (axis,)
    inverse = tuple(int(i) for i in np.argsort(order))
    return cupy.ascontiguousarray(cupy.transpose(x, order)), inverse


def conv2d(
    cupy: Any, k: KernelCache, x: Any, w: Any, stride: Pair, padding: Pair, dilation: Pair,
    groups: int,
) -> Any:  # fmt: skip
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho = output_size(h, kh, stride[0], padding[0], dilation[0])
    wo = output_size(wd, kw, stride[1], padding[1], dilation[1])
    dims = k.ints((n, c, h, wd, o, kh, kw, ho, wo, *stride, *padding, *dilation, groups))
    y = cupy.empty((n, o, ho, wo), dtype=x.dtype)
    name = f"conv2d_forward_{x.dtype.name}"
    kernel = k.function("conv_pool.cu", name)
    k.launch(kernel, y.size, (cupy.ascontiguousarray(x), cupy.ascontiguousarray(w), y, dims))
    return y


def conv2d_backward(
    cupy: Any, k: KernelCache, grad_y: Any, x: Any, w: Any, stride: Pair, padding: Pair,
    dilation: Pair, groups: int,
) -> tuple[Any, Any]:  # fmt: skip
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = grad_y.shape[2:]
    dims = k.ints((n, c, h, wd, o, kh, kw, ho, wo, *stride, *padding, *dilation, groups))
    gy = cupy.ascontiguousarray(grad_y)
    xc, wc = cupy.ascontiguousarray(x), cupy.ascontiguousarray(w)
    dtype = x.dtype.name
    grad_x = cupy.empty(x.shape, dtype=x.dtype)
    kernel = k.function("conv_pool.cu", f"conv2d_backward_input_{dtype}")
    k.launch(kernel, grad_x.size, (gy, wc, grad_x, dims))
    grad_w = cupy.empty(w.shape, dtype=w.dtype)
    kernel = k.function("conv_pool.cu", f"conv2d_backward_weight_{dtype}")
    blocks = max(1, min(grad_w.size, k.sm_count() * 32))
    kernel((blocks,), (BLOCK,), (gy, xc, grad_w, dims))
    return grad_x, grad_w


def _pool_dims(k: KernelCache, x_shape: tuple[int, ...], y_hw: Pair, kernel: Pair,
               stride: Pair, padding: Pair) -> Any:  # fmt: skip
    n, c, h, w = x_shape
    return k.ints((n * c, h, w, *y_hw, *kernel, *stride, *padding))


def _pool_out(x_shape: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair) -> Pair:
    h, w = x_shape[2:]
    return (
        output_size(h, kernel[0], stride[0], padding[0], 1),
        output_size(w, kernel[1], stride[1], padding[1], 1),
    )


def max_pool2d(
    cupy: Any, k: KernelCache, x: Any, kernel: Pair, stride: Pair, padding: Pair
) -> tuple[Any, Any]:
    ho, wo = _pool_out(x.shape, kernel, stride, padding)
    y = cupy.empty((*x.shape[:2], ho, wo), dtype=x.dtype)
    argmax = cupy.empty(y.shape, dtype=cupy.int64)
    dims = _pool_dims(k, x.shape, (ho, wo), kernel, stride, padding)
    function = k.function("conv_pool.cu", f"max_pool2d_forward_{x.dtype.name}")
    k.launch(function, y.size, (cupy.ascontiguousarray(x), y, argmax, dims))
    return y, argmax


def max_pool2d_backward(
    cupy: Any, k: KernelCache, grad_y: Any, argmax: Any, input_shape: tuple[int, ...]
) -> Any:
    """Scatter ``grad_y`` to the inputs ``argmax`` chose (the window is not needed)."""
    grad_x = cupy.zeros(input_shape, dtype=grad_y.dtype)
    dims = _pool_dims(k, input_shape, grad_y.shape[2:], (1, 1), (1, 1), (0, 0))
    function = k.function("conv_pool.cu", f"max_pool2d_backward_{grad_y.dtype.name}")
    args = (cupy.ascontiguousarray(grad_y), cupy.ascontiguousarray(argmax), grad_x, dims)
    k.launch(function, grad_y.size, args)
    return grad_x


def avg_pool2d(cupy: Any, k: KernelCache, x: Any, kernel: Pair, stride: Pair,
               padding: Pair) -> Any:  # fmt: skip
    ho, wo = _pool_out(x.shape, kernel, stride, padding)
    y = cupy.empty((*x.shape[:2], ho, wo), dtype=x.dtype)
    dims = _pool_dims(k, x.shape, (ho, wo), kernel, stride, padding)
    function = k.function("conv_pool.cu", f"avg_pool2d_forward_{x.dtype.name}")
    k.launch(function, y.size, (cupy.ascontiguousarray(x), y, dims))
    return y


def avg_pool2d_backward(
    cupy: Any, k: KernelCache, grad_y: Any, input_shape: tuple[int, ...], kernel: Pair,
    stride: Pair, padding: Pair,
) -> Any:  # fmt: skip
    grad_x = cupy.empty(input_shape, dtype=grad_y.dtype)
    dims = _pool_dims(k, input_shape, grad_y.shape[2:], kernel, stride, padding)
    function = k.function("conv_pool.cu", f"avg_pool2d_backward_{grad_y.dtype.name}")
    k.launch(function, grad_x.size, (cupy.ascontiguousarray(grad_y), grad_x, dims))
    return grad_x


def _row_blocks(k: KernelCache, rows: int) -> int:
    return max(1, min(rows, k.sm_count() * 32))


def softmax(cupy: Any, k: KernelCache, x: Any, axis: int, log: bool) -> Any:
    """softmax (or log_softmax) over ``axis``: one block per row of the moved-last axis."""
    data, inverse = _rows(cupy, x, axis)
    length = data.shape[-1] if data.ndim else 1
    rows = data.size // length if length else 0
    out = cupy.empty(data.shape, dtype=x.dtype)
    if rows and length:
        name = f"{'log_softmax' if log else 'softmax'}_{x.dtype.name}"
        function = k.function("softmax.cu", name)
        args = (data, out, np.int64(rows), np.int32(length))
        function((_row_blocks(k, rows),), (BLOCK,), args)
    return out if inverse is None else cupy.ascontiguousarray(cupy.transpose(out, inverse))


def cross_entropy(cupy: Any, k: KernelCache, logits: Any, target: Any) -> tuple[Any, Any]:
    """Per-row loss ``logsumexp(x) - x[target]`` and its gradient ``softmax(x) - onehot`` of
    ``logits[rows, classes]`` and int64 ``target[rows]`` in one pass (targets outside the
    class range, like PyTorch's ignore_index -100, give loss 0 and gradient 0)."""
    data = cupy.ascontiguousarray(logits)
    rows, classes = data.shape
    loss = cupy.empty((rows,), dtype=data.dtype)
    grad = cupy.empty(data.shape, dtype=data.dtype)
    if rows and classes:
        function = k.function("softmax.cu", f"cross_entropy_{data.dtype.name}")
        labels = cupy.ascontiguousarray(target, dtype=cupy.int64)
        args = (data, labels, loss, grad, np.int64(rows), np.int32(classes))
        function((_row_blocks(k, rows),), (BLOCK,), args)
    return loss, grad


def layer_norm(
    cupy: Any, k: KernelCache, x: Any, weight: Any | None, bias: Any | None, eps: float
) -> tuple[Any, Any, Any]:
    """``(y, mean, rstd)`` of layer norm over the last axis (weight, bias: last-axis length)."""
    data = cupy.ascontiguousarray(x)
    length = data.shape[-1]
    rows = data.size // length
    y = cupy.empty(data.shape, dtype=data.dtype)
    mean = cupy.empty(data.shape[:-1], dtype=data.dtype)
    rstd = cupy.empty(data.shape[:-1], dtype=data.dtype)
    scalar = data.dtype.type(eps)
    # An absent weight or bias is flagged off; the kernel never reads the stand-in array.
    w = data if weight is None else cupy.ascontiguousarray(weight)
    b = data if bias is None else cupy.ascontiguousarray(bias)
    flags = (np.int32(weight is not None), np.int32(bias is not None))
    function = k.function("layer_norm.cu", f"layer_norm_forward_{data.dtype.name}")
    args = (data, w, b, y, mean, rstd, np.int64(rows), np.int32(length), scalar, *flags)
    function((_row_blocks(k, rows),), (BLOCK,), args)
    return y, mean, rstd


def layer_norm_backward(
    cupy: Any, k: KernelCache, grad_y: Any, x: Any, weight: Any | None, mean: Any, rstd: Any
) -> tuple[Any, Any, Any]:
    """``(grad_x, grad_weight, grad_bias)`` from layer_norm's saved ``mean`` and ``rstd``."""
    gy, data = cupy.ascontiguousarray(grad_y), cupy.ascontiguousarray(x)
    length = data.shape[-1]
    rows = data.size // length
    dtype = data.dtype.name
    grad_x = cupy.empty(data.shape, dtype=data.dtype)
    w = data if weight is None else cupy.ascontiguousarray(weight)
    function = k.function("layer_norm.cu", f"layer_norm_backward_input_{dtype}")
    has_weight = np.int32(weight is not None)
    args: tuple[Any, ...] = (gy, data, w, mean, rstd, grad_x, np.int64(rows), np.int32(length))
    args += (has_weight,)
    function((_row_blocks(k, rows),), (BLOCK,), args)
    grad_w = cupy.empty((length,), dtype=data.dtype)
    grad_b = cupy.empty((length,), dtype=data.dtype)
    function = k.function("layer_norm.cu", f"layer_norm_backward_params_{dtype}")
    args = (gy, data, mean, rstd, grad_w, grad_b, np.int64(rows), np.int32(length))
    function((-(-length // BLOCK),), (BLOCK,), args)
    return grad_x, grad_w, grad_b


def adam_step(
    cupy: Any, k: KernelCache, param: Any, grad: Any, exp_avg: Any, exp_avg_sq: Any,
    lr: float, beta1: float, beta2: float, eps: float, weight_decay: float, step: int,
    decoupled: bool,
) -> tuple[Any, Any, Any]:  # fmt: skip
    arrays = [cupy.ascontiguousarray(a) for a in (param, grad, exp_avg, exp_avg_sq)]
    new = [cupy.empty(param.shape, dtype=param.dtype) for _ in range(3)]
    scalars = (
        np.float64(beta1),
        np.float64(beta2),
        np.float64(eps),
        np.float64(weight_decay),
        np.float64(lr / (1.0 - beta1**step)),
        np.float64(1.0 / math.sqrt(1.0 - beta2**step)),
        np.float64(1.0 - lr * weight_decay),
        np.int32(bool(decoupled)),
    )
    function = k.function("adam.cu", f"adam_step_{param.dtype.name}")
    k.launch(function, param.size, (*arrays, *new, np.int64(param.size), *scalars))
    return new[0], new[1], new[2]


def matmul_tiled(cupy: Any, k: KernelCache, x: Any, y: Any) -> Any:
    """``x @ y`` with the tiled shared-memory kernel; equal batch shapes, ndim >= 2."""
    *batch, m, inner = x.shape
    n = y.shape[-1]
    count = math.prod(batch)
    out = cupy.empty((*batch, m, n), dtype=x.dtype)
    if out.size == 0:
        return out
    if inner == 0:
        out.fill(0)
        return out
    a, b = cupy.ascontiguousarray(x), cupy.ascontiguousarray(y)
    function = k.function("matmul.cu", f"matmul_tiled_{x.dtype.name}")
    grid = (-(-n // TILE_N), -(-m // TILE_M), count)
    function(grid, (BLOCK,), (a, b, out, np.int32(m), np.int32(n), np.int32(inner)))
    return out
