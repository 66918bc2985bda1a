"""Convolution and pooling for the numpy reference backend, written with numpy.

The forward passes read every window through one strided view
(``numpy.lib.stride_tricks.sliding_window_view``, no copy) and contract it with ``tensordot``
(which makes the im2col copy once and hands it to BLAS). The backward passes that scatter into
the input ("col2im") loop over the kernel offsets, a few dozen at most, adding one strided slice
each time: every step is a vectorised numpy add over the whole batch.

Signatures and semantics are those of ``OPTIONAL_PRIMITIVES`` in
:mod:`plugtorch.backend.protocol`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from plugtorch.backend.geometry import output_size_2d

__all__ = [
    "conv2d",
    "conv2d_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
]

Pair = tuple[int, int]


def _pad(x: np.ndarray, padding: Pair, value: float | int = 0) -> np.ndarray:
    ph, pw = padding
    if not (ph or pw):
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _windows(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out: Pair) -> np.ndarray:
    """A view ``(N, C, Ho, Wo, kh, kw)`` of the padded input's windows (no copy)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    view = sliding_window_view(xp, span, axis=(2, 3))
    return view[:, :, : sh * (out[0] - 1) + 1 : sh, : sw * (out[1] - 1) + 1 : sw, ::dh, ::dw]


def _col2im(
    cols: np.ndarray,
    padded_shape: tuple[int, ...],
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
) -> np.ndarray:
    """Sum ``cols`` ``(N, C, kh, kw, Ho, Wo)`` back onto the input ``(N, C, H, W)``."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    ho, wo = cols.shape[-2:]
    grad = np.zeros(padded_shape, dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            grad[
                :, :, top : top + sh * (ho - 1) + 1 : sh, left : left + sw * (wo - 1) + 1 : sw
            ] += cols[:, :, i, j]
    ph, pw = padding
    return grad[:, :, ph : padded_shape[2] - ph, pw : padded_shape[3] - pw]


def conv2d(
    x: np.ndarray, w: np.ndarray, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> np.ndarray:
    """Cross-correlation ``(N, C, H, W) * (O, C/groups, kh, kw) -> (N, O, Ho, Wo)``, no bias."""
    kernel = (w.shape[2], w.shape[3])
    out = output_size_2d(x.shape[2:], kernel, stride, padding, dilation)
    windows = _windows(_pad(x, padding), kernel, stride, dilation, out)
    if groups == 1:
        y = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3]))  # (N, Ho, Wo, O)
    else:
        cg, og = x.shape[1] // groups, w.shape[0] // groups
        y = np.concatenate(
            [
                np.tensordot(
                    windows[:, g * cg : (g + 1) * cg],
                    w[g * og : (g + 1) * og],
                    ([1, 4, 5], [1, 2, 3]),
                )
                for g in range(groups)
            ],
            axis=-1,
        )
    return np.ascontiguousarray(y.transpose(0, 3, 1, 2))


def conv2d_backward(
    grad_y: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: int,
    needs_input_grad: tuple[bool, bool] = (True, True),
    state: Any = None,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(grad_x, grad_w)`` of :func:`conv2d`; ``None`` for the ones ``needs_input_grad`` says
    nobody needs (a network's input: skipping it saves the col2im pass)."""
    kernel = (w.shape[2], w.shape[3])
    out = grad_y.shape[2:]
    xp = _pad(x, padding)
    cg, og = x.shape[1] // groups, w.shape[0] // groups
    grad_x = grad_w = None
    if needs_input_grad[1]:
        windows = _windows(xp, kernel, stride, dilation, out)  # (N, C, Ho, Wo, kh, kw)
        grad_w = np.empty_like(w)
        for g in range(groups):
            grad_w[g * og : (g + 1) * og] = np.tensordot(
                grad_y[:, g * og : (g + 1) * og],
                windows[:, g * cg : (g + 1) * cg],
                axes=([0, 2, 3], [0, 2, 3]),
            )
    if needs_input_grad[0]:
        cols = np.empty((x.shape[0], x.shape[1], *kernel, *out), dtype=grad_y.dtype)
        for g in range(groups):
            gy = grad_y[:, g * og : (g + 1) * og]
            # (C/g, kh, kw, N, Ho, Wo) -> (N, C/g, kh, kw, Ho, Wo)
            part = np.tensordot(w[g * og : (g + 1) * og], gy, axes=([0], [1]))
            cols[:, g * cg : (g + 1) * cg] = part.transpose(3, 0, 1, 2, 4, 5)
        grad_x = np.ascontiguousarray(_col2im(cols, xp.shape, kernel, stride, padding, dilation))
    return grad_x, grad_w


def _lowest(dtype: np.dtype) -> float | int:
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def max_pool2d(
    x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair
) -> tuple[np.ndarray, np.ndarray]:
    """Window maxima and, for each, the flat index of the winner in its ``H*W`` plane.

    The first maximum wins ties, and nan counts as the maximum (``numpy.argmax`` does both).
    Arguments are checked by the core (kernel, stride >= 1; 0 <= padding <= kernel // 2).
    """
    n, c, h, w = x.shape
    out = output_size_2d((h, w), kernel, stride, padding, (1, 1))
    windows = _windows(_pad(x, padding, _lowest(x.dtype)), kernel, stride, (1, 1), out)
    flat = windows.reshape(n, c, out[0], out[1], kernel[0] * kernel[1])
    winner = np.argmax(flat, axis=-1)
    values = np.take_along_axis(flat, winner[..., None], axis=-1)[..., 0]
    top = np.arange(out[0]).reshape(-1, 1) * stride[0] - padding[0]
    left = np.arange(out[1]) * stride[1] - padding[1]
    rows, cols = top + winner // kernel[1], left + winner % kernel[1]
    # A window whose inside is all the lowest value may win at a padded position: PyTorch
    # then reports the window's first inside position (padding <= kernel // 2, so one exists).
    padded = (rows < 0) | (rows >= h) | (cols < 0) | (cols >= w)
    rows = np.where(padded, np.maximum(top, 0), rows)
    cols = np.where(padded, np.maximum(left, 0), cols)
    return values, (rows * w + cols).astype(np.int64)


def max_pool2d_backward(
    grad_y: np.ndarray, argmax: np.ndarray, input_shape: tuple[int, ...]
) -> np.ndarray:
    """``grad_y`` summed into the winners' positions (one ``bincount`` over all planes)."""
    n, c, h, w = input_shape
    planes = np.arange(n * c, dtype=np.int64).reshape(n, c, 1, 1) * (h * w)
    summed = np.bincount(
        (argmax + planes).reshape(-1), weights=grad_y.reshape(-1), minlength=n * c * h * w
    )
    return summed.astype(grad_y.dtype, copy=False).reshape(input_shape)


def avg_pool2d(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
    """Window means, padding counted as zeros (``count_include_pad=True``)."""
    out = output_size_2d(x.shape[2:], kernel, stride, padding, (1, 1))
    windows = _windows(_pad(x, padding), kernel, stride, (1, 1), out)
    total = windows.sum(axis=(-2, -1))
    return (total / (kernel[0] * kernel[1])).astype(x.dtype, copy=False)


def avg_pool2d_backward(
    grad_y: np.ndarray, input_shape: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair
) -> np.ndarray:
    """Each output's gradient shared equally by its window."""
    n, c, h, w = input_shape
    share = grad_y / np.asarray(kernel[0] * kernel[1], dtype=grad_y.dtype)
    cols = np.broadcast_to(share[:, :, None, None], (n, c, *kernel, *grad_y.shape[2:]))
    padded = (n, c, h + 2 * padding[0], w + 2 * padding[1])
    return np.ascontiguousarray(_col2im(cols, padded, kernel, stride, padding, (1, 1)))
