"""Convolution and pooling: ``conv1d conv2d max_pool2d avg_pool2d adaptive_avg_pool2d unfold``.

A backend that declares the ``conv2d`` / ``max_pool2d`` / ``avg_pool2d`` primitives (and their
``*_backward``) computes them; otherwise the core decomposes each into required primitives:

* **unfold** (im2col) is ONE ``take`` along the flattened spatial axis. The input's planes are
  flattened to ``H*W`` values plus one fill value (0 for convolution and average pooling,
  ``-inf`` for max pooling) that every padded position points at, so padding costs no
  separate op. The index array is computed once per geometry on the host and cached. Its
  gradient is one ``index_add``.
* **convolution** is unfold followed by one (batched, grouped) ``matmul``.
* **max pooling** takes the window ``argmax`` (no gradient needed) and then gathers the winners:
  ``y = gather(x, argmax)``, whose gradient is a ``scatter_add`` of ``grad`` to the winners,
  exactly what the ``max_pool2d_backward`` primitive does.
* **average pooling** is unfold followed by a mean over the window.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from plugtorch import dtypes
from plugtorch.autograd import grad_mode
from plugtorch.nn.functional._registry import declares, nn_op
from plugtorch.ops._prepare import astype
from plugtorch.ops.creation import full, tensor, zeros
from plugtorch.ops.indexing import _take_checked, index_add, scatter_add, slice_dim
from plugtorch.ops.registry import apply
from plugtorch.ops.shape import cat, reshape
from plugtorch.tensor import Tensor

__all__ = [
    "conv1d",
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "unfold",
    "fold",
]

Pair = tuple[int, int]


def _pair(value: int | Sequence[int], name: str) -> Pair:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value), int(value))
    pair = tuple(int(v) for v in value)  # type: ignore[union-attr]
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return pair  # type: ignore[return-value]


def _out_size(
    size: Sequence[int], kernel: Sequence[int], stride: Pair, padding: Pair, dilation: Pair
) -> Pair:
    out = tuple(
        (size[d] + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1) // stride[d] + 1
        for d in range(2)
    )
    if out[0] < 1 or out[1] < 1:
        raise ValueError(
            f"input of spatial size {size} is too small for kernel {kernel} with padding "
            f"{padding} and dilation {dilation} (output would be {out})"
        )
    return out  # type: ignore[return-value]


# --- the unfold index: one int64 array per geometry ---------------------------------------

_INDEX_CACHE: dict[tuple[Any, ...], Tensor] = {}
_INDEX_CACHE_LIMIT = 64


def _unfold_index(
    backend: Any, size: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair
) -> tuple[Tensor, Pair]:
    """Flat positions ``(kh*kw*Ho*Wo,)`` into a plane of ``H*W`` values plus one fill value.

    Entry ``(i, j, oh, ow)`` is the input position under kernel offset ``(i, j)`` of output
    ``(oh, ow)``, or ``H*W`` (the fill value) where that position is padding.
    """
    out = _out_size(size, kernel, stride, padding, dilation)
    key = (id(backend), size, kernel, stride, padding, dilation)
    cached = _INDEX_CACHE.get(key)
    if cached is None:
        (h, w), (kh, kw) = size, kernel
        rows = (
            np.arange(kh).reshape(kh, 1, 1, 1) * dilation[0]
            + np.arange(out[0]).reshape(1, 1, -1, 1) * stride[0]
            - padding[0]
        )
        cols = (
            np.arange(kw).reshape(1, kw, 1, 1) * dilation[1]
            + np.arange(out[1]).reshape(1, 1, 1, -1) * stride[1]
            - padding[1]
        )
        inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
        index = np.where(inside, rows * w + cols, h * w).astype(np.int64).reshape(-1)
        cached = tensor(index, dtype=dtypes.int64, backend=backend)
        if len(_INDEX_CACHE) >= _INDEX_CACHE_LIMIT:
            _INDEX_CACHE.clear()
        _INDEX_CACHE[key] = cached
    return cached, out


def unfold(
    input: Tensor,
    kernel_size: int | Sequence[int],
    dilation: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    stride: int | Sequence[int] = 1,
    *,
    fill: float = 0.0,
) -> Tensor:
    """Sliding windows (im2col): ``(N, C, H, W) -> (N, C * kh * kw, L)``, as ``F.unfold``.

    One ``take`` along the flattened spatial axis; gradient one ``index_add``.

    >>> import plugtorch as pt
    >>> unfold(pt.arange(9.0).reshape(1, 1, 3, 3), 2).shape
    (1, 4, 4)
    """
    kernel = _pair(kernel_size, "kernel_size")
    n, c, h, w = input.shape
    index, out = _unfold_index(
        input._backend,
        (h, w),
        kernel,
        _pair(stride, "stride"),
        _pair(padding, "padding"),
        _pair(dilation, "dilation"),
    )
    flat = reshape(input, (n, c, h * w))
    filler = full((n, c, 1), fill, dtype=input._dtype, backend=input._backend)
    flat = cat([flat, filler], 2)
    cols = _take_checked(flat, index, 2)  # (N, C, kh*kw*Ho*Wo)
    return reshape(cols, (n, c * kernel[0] * kernel[1], out[0] * out[1]))


def fold(
    input: Tensor,
    output_size: int | Sequence[int],
    kernel_size: int | Sequence[int],
    dilation: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    stride: int | Sequence[int] = 1,
) -> Tensor:
    """Sum sliding windows back into an image (col2im), the adjoint of :func:`unfold`.

    ``(N, C * kh * kw, L) -> (N, C, H, W)``; one ``index_add``.

    >>> import plugtorch as pt
    >>> x = pt.ones(1, 1, 3, 3)
    >>> fold(unfold(x, 2), 3, 2)[0, 0]
    tensor([[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]])
    """
    kernel = _pair(kernel_size, "kernel_size")
    h, w = _pair(output_size, "output_size")
    n = input.shape[0]
    c = input.shape[1] // (kernel[0] * kernel[1])
    index, _ = _unfold_index(
        input._backend,
        (h, w),
        kernel,
        _pair(stride, "stride"),
        _pair(padding, "padding"),
        _pair(dilation, "dilation"),
    )
    cols = reshape(input, (n, c, index.shape[0]))
    base = zeros((n, c, h * w + 1), dtype=input._dtype, backend=input._backend)
    summed = index_add(base, 2, index, cols, _checked=True)
    return reshape(slice_dim(summed, 2, 0, h * w), (n, c, h, w))


# --- convolution -------------------------------------------------------------------------


def _conv2d_decomposed(
    x: Tensor, weight: Tensor, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Tensor:
    n = x.shape[0]
    o, cg, kh, kw = weight.shape
    cols = unfold(x, (kh, kw), dilation, padding, stride)  # (N, C*kh*kw, L)
    length = cols.shape[2]
    cols = reshape(cols, (n, groups, cg * kh * kw, length))
    kernel = reshape(weight, (groups, o // groups, cg * kh * kw))
    y = kernel @ cols  # (N, G, O/G, L)
    ho, wo = _out_size(x.shape[2:], (kh, kw), stride, padding, dilation)
    return reshape(y, (n, o, ho, wo))


@nn_op("conv2d")
def conv2d_op(
    b: Any, x: Any, w: Any, *, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Any:
    """Cross-correlation by the backend's conv2d primitive.

    Gradient: the conv2d_backward primitive, or the decomposition's (fold of w^T @ grad, and
    grad @ unfold(x)^T) when building a graph of the gradient (create_graph).
    """
    return b.conv2d(x, w, stride, padding, dilation, groups)


@conv2d_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    x, w = ctx.inputs
    p = ctx.params
    b = g._backend
    if declares(b, "conv2d_backward") and not grad_mode.is_grad_enabled():
        gx, gw = b.conv2d_backward(
            g._data, x._data, w._data, p["stride"], p["padding"], p["dilation"], p["groups"]
        )
        return (
            Tensor._make(gx, b, g._dtype) if x.requires_grad else None,
            Tensor._make(gw, b, g._dtype) if w.requires_grad else None,
        )
    # Differentiable form (gradients of gradients): the decomposition's gradient.
    n, groups = x.shape[0], p["groups"]
    o, cg, kh, kw = w.shape
    grad = reshape(g, (n, groups, o // groups, g.shape[2] * g.shape[3]))
    grad_x = grad_w = None
    if w.requires_grad:
        cols = unfold(x, (kh, kw), p["dilation"], p["padding"], p["stride"])
        cols = reshape(cols, (n, groups, cg * kh * kw, cols.shape[2]))
        grad_w = reshape((grad @ cols.mT).sum(0), w.shape)
    if x.requires_grad:
        kernel = reshape(w, (groups, o // groups, cg * kh * kw))
        grad_cols = kernel.mT @ grad  # (N, G, C/G*kh*kw, L)
        grad_cols = reshape(grad_cols, (n, groups * cg * kh * kw, grad_cols.shape[3]))
        grad_x = fold(grad_cols, x.shape[2:], (kh, kw), p["dilation"], p["padding"], p["stride"])
    return grad_x, grad_w


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation ``(N, C, H, W) * (O, C/groups, kh, kw) (+ bias) -> (N, O, Ho, Wo)``.

    ``Ho = (H + 2 * padding - dilation * (kh - 1) - 1) // stride + 1``. ``padding="same"``
    keeps the size (stride 1). Uses the backend's ``conv2d`` primitive when it declares one,
    else unfold (one ``take``) and one ``matmul``.

    >>> import plugtorch as pt
    >>> conv2d(pt.ones(1, 1, 3, 3), pt.ones(1, 1, 2, 2))
    tensor([[[[4., 4.],
              [4., 4.]]]])
    """
    if input.ndim != 4 or weight.ndim != 4:
        raise ValueError(
            f"conv2d expects input (N, C, H, W) and weight (O, C/groups, kh, kw), got "
            f"{input.shape} and {weight.shape}"
        )
    dilation_pair = _pair(dilation, "dilation")
    if isinstance(padding, str):
        padding = _same_padding(padding, weight.shape[2:], dilation_pair, stride)
    stride_pair, padding_pair = _pair(stride, "stride"), _pair(padding, "padding")
    if input.shape[1] != weight.shape[1] * groups or weight.shape[0] % groups:
        raise ValueError(
            f"conv2d: input has {input.shape[1]} channels but weight {weight.shape} with "
            f"groups={groups} expects {weight.shape[1] * groups} (and out channels divisible "
            "by groups)"
        )
    dtype = dtypes.promote_types(input._dtype, weight._dtype)
    x, w = astype(input, dtype), astype(weight, dtype)
    if declares(x._backend, "conv2d"):
        _out_size(x.shape[2:], w.shape[2:], stride_pair, padding_pair, dilation_pair)
        y = apply(
            conv2d_op,
            (x, w),
            dtype,
            stride=stride_pair,
            padding=padding_pair,
            dilation=dilation_pair,
            groups=groups,
        )
    else:
        y = _conv2d_decomposed(x, w, stride_pair, padding_pair, dilation_pair, groups)
    if bias is not None:
        y = y + reshape(bias, (1, -1, 1, 1))
    return y


def _same_padding(mode: str, kernel: Sequence[int], dilation: Pair, stride: Any) -> Pair:
    if mode == "valid":
        return (0, 0)
    if mode != "same":
        raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', got {mode!r}")
    if _pair(stride, "stride") != (1, 1):
        raise ValueError("padding='same' needs stride 1")
    total = [dilation[d] * (kernel[d] - 1) for d in range(2)]
    if any(t % 2 for t in total):
        raise ValueError("padding='same' with an even kernel span is not supported")
    return (total[0] // 2, total[1] // 2)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation ``(N, C, L) * (O, C/groups, k) -> (N, O, Lo)``: ``conv2d`` on
    ``(N, C, 1, L)``.

    >>> import plugtorch as pt
    >>> conv1d(pt.ones(1, 1, 4), pt.ones(1, 1, 2))
    tensor([[[2., 2., 2.]]])
    """
    if input.ndim != 3 or weight.ndim != 3:
        raise ValueError(
            f"conv1d expects input (N, C, L) and weight (O, C/groups, k), got "
            f"{input.shape} and {weight.shape}"
        )
    one = lambda v: (0, v) if isinstance(v, int) else v  # noqa: E731
    if isinstance(padding, str):
        pad: Any = _same_padding(padding, (1, weight.shape[2]), (1, dilation), stride)
    else:
        pad = one(padding)
    n, c, length = input.shape
    y = conv2d(
        reshape(input, (n, c, 1, length)),
        reshape(weight, weight.shape[:2] + (1, weight.shape[2])),
        bias,
        (1, stride),
        pad,
        (1, dilation),
        groups,
    )
    return reshape(y, y.shape[:2] + (y.shape[3],))


# --- pooling -----------------------------------------------------------------------------


def _pool_args(
    input: Tensor, kernel_size: Any, stride: Any, padding: Any, name: str
) -> tuple[Pair, Pair, Pair, Pair]:
    if input.ndim != 4:
        raise ValueError(f"{name} expects a 4-D input (N, C, H, W), got shape {input.shape}")
    kernel = _pair(kernel_size, "kernel_size")
    stride_pair = kernel if stride is None or stride == () else _pair(stride, "stride")
    padding_pair = _pair(padding, "padding")
    if padding_pair[0] > kernel[0] // 2 or padding_pair[1] > kernel[1] // 2:
        raise ValueError(f"{name}: padding {padding_pair} must be at most half the kernel {kernel}")
    out = _out_size(input.shape[2:], kernel, stride_pair, padding_pair, (1, 1))
    return kernel, stride_pair, padding_pair, out


def _argmax_decomposed(x: Tensor, kernel: Pair, stride: Pair, padding: Pair) -> Any:
    """Flat ``H*W`` index of each window's first maximum, in required primitives."""
    b = x._backend
    n, c, h, w = x.shape
    index, out = _unfold_index(b, (h, w), kernel, stride, padding, (1, 1))
    lowest = float("-inf") if x._dtype.is_floating_point else int(np.iinfo(x._dtype.numpy).min)
    flat = b.concat([b.reshape(x._data, (n, c, h * w)), b.full((n, c, 1), lowest, x._dtype)], 2)
    area, length = kernel[0] * kernel[1], out[0] * out[1]
    windows = b.reshape(b.take(flat, index._data, 2), (n, c, area, length))
    winner = b.argmax(windows, 2, True)  # (N, C, 1, L): which window position won
    positions = b.broadcast_to(b.reshape(index._data, (1, 1, area, length)), (n, c, area, length))
    return b.reshape(b.take_along_axis(positions, winner, 2), (n, c, out[0], out[1]))


@nn_op("max_pool2d")
def max_pool2d_op(b: Any, x: Any, argmax: Any, *, out: Pair, values: Any = None) -> Any:
    """Window maxima, gathered from x at the winners' flat indices ``argmax`` (or ``values``,
    the maxima a backend's max_pool2d primitive already returned with ``argmax``).

    Gradient: grad summed into the winners (the max_pool2d_backward primitive, or scatter_add).
    """
    if values is not None:
        return values
    n, c, h, w = x.shape
    flat_x = b.reshape(x, (n, c, h * w))
    flat_i = b.reshape(argmax, (n, c, out[0] * out[1]))
    return b.reshape(b.take_along_axis(flat_x, flat_i, 2), (n, c, out[0], out[1]))


@max_pool2d_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor, None]:
    x, argmax = ctx.inputs
    b = g._backend
    if declares(b, "max_pool2d_backward") and not grad_mode.is_grad_enabled():
        grad = b.max_pool2d_backward(g._data, argmax._data, x.shape)
        return Tensor._make(grad, b, g._dtype), None
    n, c, h, w = x.shape
    base = zeros((n, c, h * w), dtype=g._dtype, backend=b)
    flat_i = reshape(argmax, (n, c, -1))
    summed = scatter_add(base, 2, flat_i, reshape(g, (n, c, -1)), _checked=True)
    return reshape(summed, x.shape), None


def max_pool2d(
    input: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Maximum over ``kernel_size`` windows (stride defaults to the kernel size).

    The first maximum of a window takes its gradient; nan counts as the maximum. With
    ``return_indices`` also the flat ``H*W`` index of each maximum (as PyTorch).

    >>> import plugtorch as pt
    >>> max_pool2d(pt.arange(16.0).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    if dilation != 1 or ceil_mode:
        raise NotImplementedError("max_pool2d: dilation and ceil_mode are not supported")
    kernel, stride_pair, padding_pair, out = _pool_args(
        input, kernel_size, stride, padding, "max_pool2d"
    )
    b = input._backend
    values = None
    if declares(b, "max_pool2d"):
        values, argmax_data = b.max_pool2d(input._data, kernel, stride_pair, padding_pair)
    else:
        argmax_data = _argmax_decomposed(input, kernel, stride_pair, padding_pair)
    argmax = Tensor._make(argmax_data, b, dtypes.int64)
    y = apply(max_pool2d_op, (input, argmax), input._dtype, out=out, values=values)
    return (y, argmax) if return_indices else y


@nn_op("avg_pool2d")
def avg_pool2d_op(b: Any, x: Any, *, kernel: Pair, stride: Pair, padding: Pair) -> Any:
    """Window means by the backend's avg_pool2d primitive (padding counts as zeros).

    Gradient: avg_pool2d_backward (linear, so its own gradient is avg_pool2d again).
    """
    return b.avg_pool2d(x, kernel, stride, padding)


@avg_pool2d_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    p = ctx.params
    x = ctx.inputs[0]
    return (apply(avg_pool2d_backward_op, (g,), g._dtype, input_shape=x.shape, **p),)


@nn_op("avg_pool2d_backward")
def avg_pool2d_backward_op(
    b: Any, g: Any, *, input_shape: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair
) -> Any:
    """avg_pool2d's gradient: each output's gradient shared by its window. Gradient: avg_pool2d.

    Only reached on backends that declare avg_pool2d and avg_pool2d_backward.
    """
    return b.avg_pool2d_backward(g, input_shape, kernel, stride, padding)


@avg_pool2d_backward_op.derivative
def _(ctx: Any, gg: Tensor) -> tuple[Tensor]:
    p = {k: v for k, v in ctx.params.items() if k != "input_shape"}
    if declares(gg._backend, "avg_pool2d"):
        return (apply(avg_pool2d_op, (gg,), gg._dtype, **p),)
    return (_avg_pool2d_decomposed(gg, p["kernel"], p["stride"], p["padding"]),)


def _avg_pool2d_decomposed(x: Tensor, kernel: Pair, stride: Pair, padding: Pair) -> Tensor:
    n, c = x.shape[:2]
    cols = unfold(x, kernel, 1, padding, stride)  # (N, C*kk, L)
    cols = reshape(cols, (n, c, kernel[0] * kernel[1], cols.shape[2]))
    out = _out_size(x.shape[2:], kernel, stride, padding, (1, 1))
    return reshape(cols.mean(2), (n, c, out[0], out[1]))


def avg_pool2d(
    input: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over ``kernel_size`` windows (stride defaults to the kernel size); padding counts
    as zeros.

    >>> import plugtorch as pt
    >>> avg_pool2d(pt.arange(16.0).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 2.5000,  4.5000],
              [10.5000, 12.5000]]]])
    """
    if ceil_mode or not count_include_pad:
        raise NotImplementedError(
            "avg_pool2d: only ceil_mode=False and count_include_pad=True are supported"
        )
    kernel, stride_pair, padding_pair, _ = _pool_args(
        input, kernel_size, stride, padding, "avg_pool2d"
    )
    if not input._dtype.is_floating_point:
        raise TypeError(f"avg_pool2d needs a floating input, got {input._dtype}")
    if declares(input._backend, "avg_pool2d") and declares(input._backend, "avg_pool2d_backward"):
        return apply(
            avg_pool2d_op,
            (input,),
            input._dtype,
            kernel=kernel,
            stride=stride_pair,
            padding=padding_pair,
        )
    return _avg_pool2d_decomposed(input, kernel, stride_pair, padding_pair)


def _adaptive_matrix(size: int, out: int, backend: Any, dtype: dtypes.DType) -> Tensor:
    """``(out, size)``: row ``i`` averages bins ``i*size//out`` up to ``ceil((i+1)*size/out)``."""
    matrix = np.zeros((out, size))
    for i in range(out):
        start, stop = (i * size) // out, -((-(i + 1) * size) // out)
        matrix[i, start:stop] = 1.0 / (stop - start)
    return tensor(matrix, dtype=dtype, backend=backend)


def adaptive_avg_pool2d(input: Tensor, output_size: int | Sequence[int | None]) -> Tensor:
    """Average pooling to a fixed ``output_size`` whatever the input size (PyTorch's bins).

    Divisible sizes use :func:`avg_pool2d`; others two small matmuls with averaging matrices.

    >>> import plugtorch as pt
    >>> adaptive_avg_pool2d(pt.arange(16.0).reshape(1, 1, 4, 4), 1)
    tensor([[[[7.5000]]]])
    """
    if input.ndim != 4:
        raise ValueError(f"adaptive_avg_pool2d expects (N, C, H, W), got {input.shape}")
    h, w = input.shape[2:]
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    oh = h if output_size[0] is None else int(output_size[0])
    ow = w if output_size[1] is None else int(output_size[1])
    if h % oh == 0 and w % ow == 0:
        if (oh, ow) == (h, w):
            return input
        return avg_pool2d(input, (h // oh, w // ow))
    rows = _adaptive_matrix(h, oh, input._backend, input._dtype)
    cols = _adaptive_matrix(w, ow, input._backend, input._dtype)
    return rows @ input @ cols.mT
