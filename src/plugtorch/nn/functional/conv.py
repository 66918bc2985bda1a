"""Convolution and pooling: ``conv1d conv2d max_pool2d avg_pool2d adaptive_avg_pool2d unfold``.

Each of ``conv2d``, ``max_pool2d`` and ``avg_pool2d`` is one accelerated op (see
``plugtorch.ops.registry``): the backend's primitive when it declares one (and its ``*_backward``
primitive for the gradient), otherwise the op's decomposition into differentiable ops, which is
also the gradient wherever no backward primitive runs:

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
from plugtorch.backend.geometry import output_size_2d
from plugtorch.backend.protocol import AcceleratedBackend
from plugtorch.nn.functional._geometry import (
    Pair,
    conv2d_geometry,
    int_pair,
    int_single,
    pool2d_geometry,
    window_geometry,
)
from plugtorch.nn.functional.layers import add_into_result
from plugtorch.ops._autocast import LOWER, autocast_op
from plugtorch.ops._precision import computes_in_float32
from plugtorch.ops._prepare import astype
from plugtorch.ops.creation import full, tensor, zeros
from plugtorch.ops.indexing import _take_checked, gather_op, index_add, slice_dim
from plugtorch.ops.linalg import unmarked_matmul
from plugtorch.ops.registry import apply, apply_with_state, op
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


# --- the unfold index: one int64 array per geometry ---------------------------------------

_INDEX_CACHE: dict[tuple[Any, ...], Tensor] = {}
_INDEX_CACHE_LIMIT = 64


def _window_rows_cols(
    size: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair
) -> tuple[np.ndarray, np.ndarray, Pair]:
    """Row and column ``(kh, kw, Ho, Wo)`` of every window position (may lie in the padding)."""
    out = output_size_2d(size, kernel, stride, padding, dilation)
    (kh, kw) = kernel
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
    return np.broadcast_to(rows, (kh, kw) + out), np.broadcast_to(cols, (kh, kw) + out), out


def _unfold_index(
    backend: Any,
    size: Pair,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    padding_to: str = "fill",
) -> tuple[Tensor, Pair]:
    """Flat positions ``(kh*kw*Ho*Wo,)`` into a plane of ``H*W`` values plus one fill value.

    Entry ``(i, j, oh, ow)`` is the input position under kernel offset ``(i, j)`` of output
    ``(oh, ow)``. Where that position is padding it is ``H*W`` (the fill value) when
    ``padding_to="fill"``, or the window's first position inside the input when
    ``padding_to="first_inside"`` (what max pooling reports for a window whose inside is all
    ``-inf``, as PyTorch; pooling padding is at most half the kernel, so one always exists).
    """
    key = (id(backend), size, kernel, stride, padding, dilation, padding_to)
    cached = _INDEX_CACHE.get(key)
    if cached is not None:
        return cached, output_size_2d(size, kernel, stride, padding, dilation)
    rows, cols, out = _window_rows_cols(size, kernel, stride, padding, dilation)
    h, w = size
    inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    if padding_to == "fill":
        outside: Any = h * w
    else:
        outside = np.clip(rows[:1, :1], 0, h - 1) * w + np.clip(cols[:1, :1], 0, w - 1)
    index = np.where(inside, rows * w + cols, outside).astype(np.int64).reshape(-1)
    cached = tensor(index, dtype=dtypes.int64, backend=backend)
    if len(_INDEX_CACHE) >= _INDEX_CACHE_LIMIT:
        _INDEX_CACHE.clear()
    _INDEX_CACHE[key] = cached
    return cached, out


def _unfold(
    input: Tensor, kernel: Pair, dilation: Pair, padding: Pair, stride: Pair, fill: float = 0.0
) -> Tensor:
    """:func:`unfold` on checked arguments (pairs)."""
    n, c, h, w = input.shape
    index, out = _unfold_index(input._backend, (h, w), kernel, stride, padding, dilation)
    flat = reshape(input, (n, c, h * w))
    filler = full((n, c, 1), fill, dtype=input._dtype, backend=input._backend)
    flat = cat([flat, filler], 2)
    cols = _take_checked(flat, index, 2)  # (N, C, kh*kw*Ho*Wo)
    return reshape(cols, (n, c * kernel[0] * kernel[1], out[0] * out[1]))


def _window_args(
    function: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any
) -> tuple[Pair, Pair, Pair, Pair]:
    return (
        int_pair(kernel_size, "kernel_size", function),
        int_pair(dilation, "dilation", function),
        int_pair(padding, "padding", function),
        int_pair(stride, "stride", function),
    )


def unfold(
    input: Tensor,
    kernel_size: int | Sequence[int],
    dilation: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    stride: int | Sequence[int] = 1,
) -> Tensor:
    """Sliding windows (im2col): ``(N, C, H, W) -> (N, C * kh * kw, L)``, as ``F.unfold``.

    One ``take`` along the flattened spatial axis; gradient one ``index_add``.

    >>> import plugtorch as pt
    >>> unfold(pt.arange(9.0).reshape(1, 1, 3, 3), 2).shape
    (1, 4, 4)
    """
    kernel, dilation_pair, padding_pair, stride_pair = _window_args(
        "unfold", kernel_size, dilation, padding, stride
    )
    if input.ndim != 4:
        raise ValueError(
            f"unfold: expected a 4-D (N, C, H, W) input, but got input of shape {input.shape}"
        )
    window_geometry("unfold", input.shape[2:], kernel, stride_pair, padding_pair, dilation_pair)
    return _unfold(input, kernel, dilation_pair, padding_pair, stride_pair)


def _fold(
    input: Tensor, size: Pair, kernel: Pair, dilation: Pair, padding: Pair, stride: Pair
) -> Tensor:
    """:func:`fold` on checked arguments (pairs)."""
    h, w = size
    n = input.shape[0]
    c = input.shape[1] // (kernel[0] * kernel[1])
    index, _ = _unfold_index(input._backend, size, kernel, stride, padding, dilation)
    cols = reshape(input, (n, c, index.shape[0]))
    base = zeros((n, c, h * w + 1), dtype=input._dtype, backend=input._backend)
    summed = index_add(base, 2, index, cols, _checked=True)
    return reshape(slice_dim(summed, 2, 0, h * w), (n, c, h, w))


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
    kernel, dilation_pair, padding_pair, stride_pair = _window_args(
        "fold", kernel_size, dilation, padding, stride
    )
    size = int_pair(output_size, "output_size", "fold")
    if size[0] < 1 or size[1] < 1:
        raise ValueError(f"fold: output_size should be positive, but got {size}")
    blocks = window_geometry("fold", size, kernel, stride_pair, padding_pair, dilation_pair)
    if input.ndim != 3:
        raise ValueError(
            f"fold: expected a 3-D (N, C * kh * kw, L) input, but got input of shape {input.shape}"
        )
    area = kernel[0] * kernel[1]
    if input.shape[1] % area:
        raise ValueError(
            "fold: expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={input.shape[1]} and kernel_size={kernel}"
        )
    if input.shape[2] != blocks[0] * blocks[1]:
        raise ValueError(
            f"fold: given output_size={size}, kernel_size={kernel}, dilation={dilation_pair}, "
            f"padding={padding_pair}, stride={stride_pair}, expected size of input's dimension "
            f"2 to match the calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
            f"{blocks[0] * blocks[1]}, but got input.size(2)={input.shape[2]}"
        )
    return _fold(input, size, kernel, dilation_pair, padding_pair, stride_pair)


# --- convolution -------------------------------------------------------------------------


@op("conv2d", needs=((0, 1), (0, 1), ()), primitive="conv2d", state=True)
def conv2d_op(
    b: AcceleratedBackend,
    x: Any,
    w: Any,
    *bias: Any,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: int,
) -> Any:
    """Cross-correlation by the backend's conv2d primitive, plus the bias (when given) per
    output channel: added in place into the primitive's fresh result on a mutable backend (one
    op, no temporary of the output's size, as PyTorch's convolution with its bias).

    Gradient: the conv2d_backward primitive, else the decomposition's (fold of w^T @ grad for
    x, grad @ unfold(x)^T for w), which also gives gradients of gradients; the bias's is the
    sum of grad over (N, Ho, Wo).
    """
    result = b.conv2d(x, w, stride, padding, dilation, groups)
    if not bias:
        return result
    y, state = result if type(result) is tuple else (result, None)
    shaped = b.broadcast_to(b.reshape(bias[0], (1, bias[0].shape[0], 1, 1)), y.shape)
    y = add_into_result(b, y, shaped)
    return y if state is None else (y, state)


@conv2d_op.decomposition
def _(
    x: Tensor,
    weight: Tensor,
    *bias: Tensor,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: int,
) -> Tensor:
    # unfold (one take) and one batched, grouped matmul
    n, _, h, w = x.shape
    o, cg, kh, kw = weight.shape
    out = output_size_2d((h, w), (kh, kw), stride, padding, dilation)
    cols = _unfold(x, (kh, kw), dilation, padding, stride)  # (N, C*kh*kw, L)
    cols = reshape(cols, (n, groups, cg * kh * kw, cols.shape[2]))
    kernel = reshape(weight, (groups, o // groups, cg * kh * kw))
    y = reshape(kernel @ cols, (n, o, out[0], out[1]))  # (N, G, O/G, L) -> (N, O, Ho, Wo)
    return y + reshape(bias[0], (1, o, 1, 1)) if bias else y


@conv2d_op.backward_primitive("conv2d_backward")
def _(b: AcceleratedBackend, ctx: Any, g: Tensor, needs: tuple[bool, ...]) -> Any:
    x, w = ctx.inputs[0], ctx.inputs[1]
    p = ctx.params
    geometry = (p["stride"], p["padding"], p["dilation"], p["groups"])
    if tuple(b.api_version) < (1, 1):  # protocol 1.0: both gradients, no state
        grads = tuple(b.conv2d_backward(g._data, x._data, w._data, *geometry))
    else:
        grads = tuple(
            b.conv2d_backward(
                *(g._data, x._data, w._data, *geometry),
                needs_input_grad=(needs[0], needs[1]),
                state=ctx.state,
            )
        )
    if len(needs) == 3:
        grads += (b.sum(g._data, (0, 2, 3), False) if needs[2] else None,)
    return grads


@autocast_op(cpu=LOWER, cuda=LOWER)
@computes_in_float32("input", "weight", "bias")
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
    _check_tensors("conv2d", input=input, weight=weight)
    unbatched = input.ndim == 3
    if unbatched:
        input = reshape(input, (1,) + input.shape)
    stride_pair = int_pair(stride, "stride", "conv2d")
    dilation_pair = int_pair(dilation, "dilation", "conv2d")
    if not isinstance(padding, str):
        padding_pair = int_pair(padding, "padding", "conv2d")
    elif weight.ndim == 4:
        padding_pair = _same_padding(padding, weight.shape[2:], dilation_pair, stride_pair)
    else:
        padding_pair = (0, 0)  # the geometry check below names the bad weight
    out = conv2d_geometry(
        input.shape, weight.shape, stride_pair, padding_pair, dilation_pair, groups
    )
    if bias is not None:
        _check_tensors("conv2d", bias=bias)
        if bias.shape != (weight.shape[0],):
            raise ValueError(
                f"conv2d: given weight of size {list(weight.shape)}, expected bias to be "
                f"1-dimensional with {weight.shape[0]} elements, but got bias of size "
                f"{list(bias.shape)} instead"
            )
    del out  # (checked: at least one output element per spatial dimension)
    dtype = dtypes.promote_types(input._dtype, weight._dtype)
    inputs: tuple[Tensor, ...] = (astype(input, dtype), astype(weight, dtype))
    if bias is not None:
        inputs += (astype(bias, dtype),)
    y = apply(
        conv2d_op,
        inputs,
        dtype,
        stride=stride_pair,
        padding=padding_pair,
        dilation=dilation_pair,
        groups=groups,
    )
    return reshape(y, y.shape[1:]) if unbatched else y


def _check_tensors(function: str, **tensors: Any) -> None:
    """Tensors of a floating dtype, as convolution and pooling need."""
    for name, value in tensors.items():
        if not isinstance(value, Tensor):
            raise TypeError(
                f"{function}(): argument '{name}' must be a Tensor, got {type(value).__name__}"
            )
        if not value._dtype.is_floating_point:
            raise TypeError(
                f"{function}(): argument '{name}' must have a floating point dtype, got "
                f"{value._dtype}; convert it first, e.g. t.float()"
            )


def _same_padding(mode: str, kernel: Sequence[int], dilation: Pair, stride: Pair) -> Pair:
    if mode == "valid":
        return (0, 0)
    if mode != "same":
        raise ValueError(
            f"conv2d: invalid padding string {mode!r}, should be one of {{'valid', 'same'}}"
        )
    if stride != (1, 1):
        raise ValueError("conv2d: padding='same' is not supported for strided convolutions")
    total = [dilation[d] * (kernel[d] - 1) for d in range(2)]
    if any(t % 2 for t in total):
        raise ValueError("padding='same' with an even kernel span is not supported")
    return (total[0] // 2, total[1] // 2)


@autocast_op(cpu=LOWER, cuda=LOWER)
@computes_in_float32("input", "weight", "bias")
def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation ``(N, C, L) * (O, C/groups, k) -> (N, O, Lo)``: ``conv2d`` on
    ``(N, C, 1, L)``.

    >>> import plugtorch as pt
    >>> conv1d(pt.ones(1, 1, 4), pt.ones(1, 1, 2))
    tensor([[[2., 2., 2.]]])
    """
    _check_tensors("conv1d", input=input, weight=weight)
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise ValueError(
            "conv1d: expected a 2D (unbatched) or 3D (batched) input and a 3D weight "
            f"(out_channels, in_channels/groups, k), but got input of size {list(input.shape)} "
            f"and weight of size {list(weight.shape)}"
        )
    stride_int = int_single(stride, "stride", "conv1d")
    dilation_int = int_single(dilation, "dilation", "conv1d")
    if isinstance(padding, str):
        pad: Any = padding
    else:
        pad = (0, int_single(padding, "padding", "conv1d"))
    y = conv2d(
        reshape(input, input.shape[:-1] + (1, input.shape[-1])),
        reshape(weight, weight.shape[:2] + (1, weight.shape[2])),
        bias,
        (1, stride_int),
        pad,
        (1, dilation_int),
        groups,
    )
    return reshape(y, y.shape[:-2] + (y.shape[-1],))


# --- pooling -----------------------------------------------------------------------------


def _pool_args(
    input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any, name: str
) -> tuple[Tensor, bool, Pair, Pair, Pair, Pair]:
    """``(input as 4-D, was it unbatched, kernel, stride, padding, output size)``, checked."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be a Tensor, got {type(input).__name__}")
    if input._dtype is dtypes.bool_:
        raise TypeError(f"{name}(): bool input is not supported; convert it first, e.g. t.float()")
    kernel = int_pair(kernel_size, "kernel_size", name)
    no_stride = stride is None or (isinstance(stride, Sequence) and len(stride) == 0)
    stride_pair = kernel if no_stride else int_pair(stride, "stride", name)
    padding_pair = int_pair(padding, "padding", name)
    dilation_pair = int_pair(dilation, "dilation", name)
    unbatched = input.ndim == 3
    if unbatched:
        input = reshape(input, (1,) + input.shape)
    out = pool2d_geometry(name, input.shape, kernel, stride_pair, padding_pair, dilation_pair)
    if dilation_pair != (1, 1):
        raise NotImplementedError(f"{name}: dilation other than 1 is not supported")
    return input, unbatched, kernel, stride_pair, padding_pair, out


def _argmax_decomposed(x: Tensor, kernel: Pair, stride: Pair, padding: Pair) -> Any:
    """Flat ``H*W`` index of each window's first maximum, in required primitives."""
    b = x._backend
    n, c, h, w = x.shape
    index, out = _unfold_index(b, (h, w), kernel, stride, padding, (1, 1))
    # A window whose inside is all -inf may "win" at a padded position: report the window's
    # first inside position instead (PyTorch's index for such a window; the value is -inf).
    inside, _ = _unfold_index(b, (h, w), kernel, stride, padding, (1, 1), "first_inside")
    lowest = float("-inf") if x._dtype.is_floating_point else int(np.iinfo(x._dtype.numpy).min)
    flat = b.concat([b.reshape(x._data, (n, c, h * w)), b.full((n, c, 1), lowest, x._dtype)], 2)
    area, length = kernel[0] * kernel[1], out[0] * out[1]
    windows = b.reshape(b.take(flat, index._data, 2), (n, c, area, length))
    winner = b.argmax(windows, 2, True)  # (N, C, 1, L): which window position won
    positions = b.broadcast_to(b.reshape(inside._data, (1, 1, area, length)), (n, c, area, length))
    return b.reshape(b.take_along_axis(positions, winner, 2), (n, c, out[0], out[1]))


@op("max_pool2d", needs=((0,),), primitive="max_pool2d", state=True)
def max_pool2d_op(
    b: AcceleratedBackend, x: Any, *, kernel: Pair, stride: Pair, padding: Pair
) -> Any:
    """Window maxima by the backend's max_pool2d primitive, which also returns each window's
    argmax (the state its backward reads; ``return_indices`` returns it).

    Gradient: grad summed into the winners (max_pool2d_backward, else the decomposition's
    scatter_add); the first maximum of a window wins, nan counts as the maximum.
    """
    return b.max_pool2d(x, kernel, stride, padding)


@max_pool2d_op.decomposition
def _(x: Tensor, *, kernel: Pair, stride: Pair, padding: Pair) -> Tensor:
    # the winners' flat indices (no gradient), then one differentiable gather of them
    argmax = Tensor._make(_argmax_decomposed(x, kernel, stride, padding), x._backend, dtypes.int64)
    return _gather_winners(x, argmax)


def _gather_winners(x: Tensor, argmax: Tensor) -> Tensor:
    n, c = x.shape[:2]
    flat = reshape(x, (n, c, -1))
    index = reshape(argmax, (n, c, -1))  # in range by construction: no check needed
    return reshape(apply(gather_op, (flat, index), x._dtype, axis=2), argmax.shape)


@max_pool2d_op.backward_primitive("max_pool2d_backward")
def _(b: AcceleratedBackend, ctx: Any, g: Tensor, needs: tuple[bool, ...]) -> Any:
    return (b.max_pool2d_backward(g._data, ctx.state, ctx.inputs[0].shape),)


@computes_in_float32("input")
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
    input, unbatched, kernel, stride_pair, padding_pair, out = _pool_args(
        input, kernel_size, stride, padding, dilation, "max_pool2d"
    )
    if ceil_mode:
        raise NotImplementedError("max_pool2d: ceil_mode=True is not supported")
    del out  # (checked)
    b = input._backend
    geometry: dict[str, Any] = {"kernel": kernel, "stride": stride_pair, "padding": padding_pair}
    if not return_indices:
        y = apply(max_pool2d_op, (input,), input._dtype, **geometry)
        return reshape(y, y.shape[1:]) if unbatched else y
    y, argmax_data = apply_with_state(max_pool2d_op, (input,), input._dtype, **geometry)
    if argmax_data is None:  # the decomposition ran: the winners again, for the indices
        argmax_data = _argmax_decomposed(input, kernel, stride_pair, padding_pair)
    argmax = Tensor._make(argmax_data, b, dtypes.int64)
    if unbatched:
        y, argmax = reshape(y, y.shape[1:]), reshape(argmax, argmax.shape[1:])
    return y, argmax


@op("avg_pool2d", needs=((0,),), primitive="avg_pool2d")
def avg_pool2d_op(
    b: AcceleratedBackend, x: Any, *, kernel: Pair, stride: Pair, padding: Pair
) -> Any:
    """Window means by the backend's avg_pool2d primitive (padding counts as zeros).

    Gradient: avg_pool2d_backward (each output's gradient shared by its window), else the
    decomposition's (unfold's: one index_add).
    """
    return b.avg_pool2d(x, kernel, stride, padding)


@avg_pool2d_op.decomposition
def _(x: Tensor, *, kernel: Pair, stride: Pair, padding: Pair) -> Tensor:
    n, c = x.shape[:2]
    cols = _unfold(x, kernel, (1, 1), padding, stride)  # (N, C*kk, L)
    cols = reshape(cols, (n, c, kernel[0] * kernel[1], cols.shape[2]))
    out = output_size_2d(x.shape[2:], kernel, stride, padding, (1, 1))
    return reshape(cols.mean(2), (n, c, out[0], out[1]))


@avg_pool2d_op.backward_primitive("avg_pool2d_backward")
def _(b: AcceleratedBackend, ctx: Any, g: Tensor, needs: tuple[bool, ...]) -> Any:
    p = ctx.params
    shape = ctx.inputs[0].shape
    return (b.avg_pool2d_backward(g._data, shape, p["kernel"], p["stride"], p["padding"]),)


@computes_in_float32("input")
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
    input, unbatched, kernel, stride_pair, padding_pair, _ = _pool_args(
        input, kernel_size, stride, padding, 1, "avg_pool2d"
    )
    if not input._dtype.is_floating_point:
        raise TypeError(f"avg_pool2d(): input must have a floating point dtype, got {input._dtype}")
    if ceil_mode or not count_include_pad:
        raise NotImplementedError(
            "avg_pool2d: only ceil_mode=False and count_include_pad=True are supported"
        )
    y = apply(
        avg_pool2d_op,
        (input,),
        input._dtype,
        kernel=kernel,
        stride=stride_pair,
        padding=padding_pair,
    )
    return reshape(y, y.shape[1:]) if unbatched else y


def _adaptive_matrix(size: int, out: int, backend: Any, dtype: dtypes.DType) -> Tensor:
    """``(out, size)``: row ``i`` averages bins ``i*size//out`` up to ``ceil((i+1)*size/out)``."""
    matrix = np.zeros((out, size))
    for i in range(out):
        start, stop = (i * size) // out, -((-(i + 1) * size) // out)
        matrix[i, start:stop] = 1.0 / (stop - start)
    return tensor(matrix, dtype=dtype, backend=backend)


@computes_in_float32("input")
def adaptive_avg_pool2d(input: Tensor, output_size: int | Sequence[int | None]) -> Tensor:
    """Average pooling to a fixed ``output_size`` whatever the input size (PyTorch's bins).

    Divisible sizes use :func:`avg_pool2d`; others two small matmuls with averaging matrices.

    >>> import plugtorch as pt
    >>> adaptive_avg_pool2d(pt.arange(16.0).reshape(1, 1, 4, 4), 1)
    tensor([[[[7.5000]]]])
    """
    if not isinstance(input, Tensor):
        raise TypeError(
            f"adaptive_avg_pool2d(): argument 'input' must be a Tensor, got {type(input).__name__}"
        )
    if input.ndim not in (3, 4) or 0 in input.shape[-3:]:
        raise ValueError(
            "adaptive_avg_pool2d: expected a 3D or 4D input with non-zero sizes for the "
            f"non-batch dimensions, but got input of size {list(input.shape)}"
        )
    if not input._dtype.is_floating_point:
        raise TypeError(
            f"adaptive_avg_pool2d(): input must have a floating point dtype, got {input._dtype}"
        )
    h, w = input.shape[-2:]
    if output_size is None or isinstance(output_size, (int, np.integer)):
        output_size = (output_size, output_size)  # type: ignore[assignment]
    sizes = tuple(output_size)  # type: ignore[arg-type]
    if len(sizes) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be 2 ints, got {output_size!r}")
    oh = h if sizes[0] is None else int_single(sizes[0], "output_size", "adaptive_avg_pool2d")
    ow = w if sizes[1] is None else int_single(sizes[1], "output_size", "adaptive_avg_pool2d")
    if oh < 0 or ow < 0:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be non-negative, got {(oh, ow)}")
    if oh and ow and h % oh == 0 and w % ow == 0:
        if (oh, ow) == (h, w):
            return input
        return avg_pool2d(input, (h // oh, w // ow))
    rows = _adaptive_matrix(h, oh, input._backend, input._dtype)
    cols = _adaptive_matrix(w, ow, input._backend, input._dtype)
    # not `@`: autocast leaves adaptive_avg_pool2d (a native op in PyTorch) in its input dtype
    return unmarked_matmul(unmarked_matmul(rows, input), cols.mT)
