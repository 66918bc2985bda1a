"""Convolution and pooling for the numpy reference backend, written with numpy.

Convolution is im2col and one GEMM per group, on planes laid out batch-innermost, ``(C, H, W,
N)``: ``_columns`` copies, for each kernel offset, the strided slice of the padded input that the
offset reads (a few dozen whole-array copies, each in runs of ``Wo*N`` values), and the backward
passes sum the input's columns back the same way ("col2im"). With the batch innermost the runs
are N times longer than in ``(N, C, H, W)`` order, where LeNet's layers copied and added runs
of 8 to 24 values and numpy's per-run cost dominated (LeNet's layers, backward: 1.48 -> 1.14
and 2.95 -> 1.61 ms; forward 1.22 -> 1.31 and 0.89 -> 0.64 ms). Pooling reads every
window through one strided view (``numpy.lib.stride_tricks.sliding_window_view``, no copy) and
reduces it one kernel offset at a time: every step is a vectorised numpy operation over the
whole batch.

Signatures and semantics are those of ``OPTIONAL_PRIMITIVES`` in
:mod:`plugtorch.backend.protocol`.
"""

from __future__ import annotations

from collections.abc import Callable
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


def _batch_inner(x: np.ndarray, padding: Pair) -> np.ndarray:
    """``(N, C, H, W)`` padded and laid out as ``(C, H + 2ph, W + 2pw, N)`` (one copy)."""
    n, c, h, w = x.shape
    ph, pw = padding
    planes = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype) if ph or pw else None
    if planes is None:
        return np.ascontiguousarray(x.transpose(1, 2, 3, 0))
    planes[:, ph : ph + h, pw : pw + w] = x.transpose(1, 2, 3, 0)
    return planes


def _columns(xt: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out: Pair) -> np.ndarray:
    """im2col of batch-innermost planes ``(C, Hp, Wp, N)``: ``(C, kh, kw, Ho, Wo, N)``, each
    kernel offset's strided slice copied once. Channels first, so a group's rows are one
    contiguous block; each copy moves runs of ``Wo*N`` values (``N`` for a column stride > 1)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    c, n = xt.shape[0], xt.shape[3]
    cols = np.empty((c, kh, kw, *out, n), dtype=xt.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            cols[:, i, j] = xt[
                :, top : top + sh * (out[0] - 1) + 1 : sh, left : left + sw * (out[1] - 1) + 1 : sw
            ]
    return cols


def _col2im(
    offset_part: Callable[[int, int], np.ndarray],
    padded_shape: tuple[int, ...],
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    out: Pair,
    dtype: np.dtype,
) -> np.ndarray:
    """Sum each kernel offset's part ``offset_part(i, j)`` (shaped ``(A, Ho, Wo, B)``) back
    onto the padded planes ``(A, H + 2ph, W + 2pw, B)`` and crop the padding: the spatial axes
    in the middle, so convolution's batch-innermost planes (``B = N``) add runs of ``Wo*N``
    values, and pooling's ``(N*C, H, W, 1)`` planes runs of ``Wo``."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    ho, wo = out
    planes = np.zeros(padded_shape, dtype=dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            planes[:, top : top + sh * (ho - 1) + 1 : sh, left : left + sw * (wo - 1) + 1 : sw] += (
                offset_part(i, j)
            )
    ph, pw = padding
    return planes[:, ph : padded_shape[1] - ph, pw : padded_shape[2] - pw]


def conv2d(
    x: np.ndarray, w: np.ndarray, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> np.ndarray:
    """Cross-correlation ``(N, C, H, W) * (O, C/groups, kh, kw) -> (N, O, Ho, Wo)``, no bias:
    one GEMM per group, ``(O/g, C/g*kh*kw) @ (C/g*kh*kw, Ho*Wo*N)``, on the im2col columns."""
    n = x.shape[0]
    kernel = (w.shape[2], w.shape[3])
    out = output_size_2d(x.shape[2:], kernel, stride, padding, dilation)
    cols = _columns(_batch_inner(x, padding), kernel, stride, dilation, out)
    rows = w.shape[1] * kernel[0] * kernel[1]  # (no -1 in the shapes: a size may be 0)
    y = w.reshape(groups, w.shape[0] // groups, rows) @ cols.reshape(
        groups, rows, out[0] * out[1] * n
    )
    return np.ascontiguousarray(y.reshape(w.shape[0], *out, n).transpose(3, 0, 1, 2))


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
    nobody needs (a network's input: skipping it saves the col2im pass).

    With ``G = grad_y`` as ``(O/g, Ho*Wo*N)`` per group and ``W`` as ``(O/g, C/g*kh*kw)``:
    ``grad_w = (cols @ G.T).T`` and the input's columns ``W.T @ G``, summed back by col2im."""
    n, c, h, w_ = x.shape
    kernel = (w.shape[2], w.shape[3])
    out = grad_y.shape[2:]
    rows, positions = w.shape[1] * kernel[0] * kernel[1], out[0] * out[1] * n
    g = np.ascontiguousarray(grad_y.transpose(1, 2, 3, 0)).reshape(
        groups, w.shape[0] // groups, positions
    )
    grad_x = grad_w = None
    if needs_input_grad[1]:
        cols = _columns(_batch_inner(x, padding), kernel, stride, dilation, out)
        cols = cols.reshape(groups, rows, positions)
        # as (cols @ G.T).T: the long axis (positions) is the product's inner axis in the
        # layout BLAS reads fastest
        grad_w = np.ascontiguousarray((cols @ g.transpose(0, 2, 1)).transpose(0, 2, 1))
        grad_w = grad_w.reshape(w.shape)
    if needs_input_grad[0]:
        w_rows = w.reshape(groups, w.shape[0] // groups, rows)
        cols = (w_rows.transpose(0, 2, 1) @ g).reshape(c, *kernel, *out, n)
        padded = (c, h + 2 * padding[0], w_ + 2 * padding[1], n)
        summed = _col2im(
            lambda i, j: cols[:, i, j], padded, kernel, stride, padding, dilation, out, g.dtype
        )
        grad_x = np.ascontiguousarray(summed.transpose(3, 0, 1, 2))
    return grad_x, grad_w


def _lowest(dtype: np.dtype) -> float | int:
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def max_pool2d(
    x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair
) -> tuple[np.ndarray, np.ndarray]:
    """Window maxima and, for each, the flat index of the winner in its ``H*W`` plane.

    The first maximum wins ties, and the first nan counts as the maximum (as ``numpy.argmax``
    would; one running comparison per kernel offset over the whole batch is several times
    faster than ``argmax`` over windows of a few values). Arguments are checked by the core
    (kernel, stride >= 1; 0 <= padding <= kernel // 2).
    """
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    out = output_size_2d((h, w), kernel, stride, padding, (1, 1))
    xp = _pad(x, padding, _lowest(x.dtype))
    windows = _windows(xp, kernel, stride, (1, 1), out)
    # The maxima so far and the offsets that won. Branch-free passes only (``np.where`` or a
    # masked copy with an unpredictable mask is 30x slower than a comparison), each over a
    # contiguous copy of the offset's values (a strided pass costs as much as the copy). The
    # winner's value is taken bit for bit (a blend of the two bit patterns: ``np.maximum``
    # would leave the sign of a tie between -0.0 and 0.0 to the platform).
    running = windows[..., 0, 0].copy()
    bits = running.view(np.dtype(f"i{running.itemsize}"))
    winner = np.zeros(running.shape, dtype=np.int32)
    # The nan rule costs three more passes per offset: only when the input holds a nan (its
    # max is nan then: one reduction).
    nan_aware = x.dtype.kind not in "biu" and x.size > 0 and bool(np.isnan(np.max(x)))
    for offset in range(1, kh * kw):
        candidate = np.ascontiguousarray(windows[..., offset // kw, offset % kw])
        better = candidate > running  # strictly: the first maximum keeps winning ties
        if nan_aware:
            better |= np.isnan(candidate) & ~np.isnan(running)
        take = better.astype(bits.dtype)
        np.negative(take, out=take)  # all bits set where the candidate wins
        blend = np.bitwise_xor(bits, candidate.view(bits.dtype))
        blend &= take
        bits ^= blend
        # offsets only grow, so the last offset that was better is the largest such
        np.maximum(winner, take.astype(np.int32, copy=False) & np.int32(offset), out=winner)
    values = running
    # the winners' positions in the unpadded plane
    top = np.arange(out[0]).reshape(-1, 1) * sh
    left = np.arange(out[1]) * sw
    row_of, col_of = np.divmod(np.arange(kh * kw), kw)  # each offset's place in its window
    if not (ph or pw):
        return values, (top * w + left) + np.take(row_of * w + col_of, winner)
    rows, cols = top - ph + np.take(row_of, winner), left - pw + np.take(col_of, winner)
    # A window whose inside is all the lowest value may win at a padded position: PyTorch
    # then reports the window's first inside position (padding <= kernel // 2: one exists).
    outside = (rows < 0) | (rows >= h) | (cols < 0) | (cols >= w)
    rows = np.where(outside, np.maximum(top - ph, 0), rows)
    cols = np.where(outside, np.maximum(left - pw, 0), cols)
    return values, rows * w + cols


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
    part = share.reshape(n * c, *grad_y.shape[2:], 1)
    padded = (n * c, h + 2 * padding[0], w + 2 * padding[1], 1)
    summed = _col2im(
        lambda i, j: part, padded, kernel, stride, padding, (1, 1), grad_y.shape[2:], share.dtype
    )
    return np.ascontiguousarray(summed.reshape(input_shape))
