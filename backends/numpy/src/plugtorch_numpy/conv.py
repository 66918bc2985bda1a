"""Convolution and pooling for the numpy reference backend, written with numpy.

Convolution is im2col and one GEMM per group: ``_columns`` copies, for each kernel offset, the
strided slice of the padded input that the offset reads (a few dozen whole-array copies), and
the backward passes sum the input's columns back the same way ("col2im"). Pooling reads every
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


def _columns(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out: Pair) -> np.ndarray:
    """im2col: ``(C, kh, kw, N, Ho, Wo)``, each kernel offset's strided slice of the padded
    input copied once. Channels first, so a group's rows are one contiguous block; each copy
    moves whole rows of ``Wo`` values (copying the 6-D window view instead, as ``tensordot`` on
    it does, moves runs of ``kw``: two to three times slower on LeNet's layers)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    n, c = xp.shape[:2]
    cols = np.empty((c, kh, kw, n, *out), dtype=xp.dtype)
    channels_first = xp.transpose(1, 0, 2, 3)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            cols[:, i, j] = channels_first[
                :,
                :,
                top : top + sh * (out[0] - 1) + 1 : sh,
                left : left + sw * (out[1] - 1) + 1 : sw,
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
    """Sum each kernel offset's part ``offset_part(i, j)`` (shaped ``(A, B, Ho, Wo)``) back
    onto the padded plane ``(A, B, H + 2ph, W + 2pw)`` and crop the padding."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    ho, wo = out
    grad = np.zeros(padded_shape, dtype=dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            grad[
                :, :, top : top + sh * (ho - 1) + 1 : sh, left : left + sw * (wo - 1) + 1 : sw
            ] += offset_part(i, j)
    ph, pw = padding
    return grad[:, :, ph : padded_shape[2] - ph, pw : padded_shape[3] - pw]


def conv2d(
    x: np.ndarray, w: np.ndarray, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> np.ndarray:
    """Cross-correlation ``(N, C, H, W) * (O, C/groups, kh, kw) -> (N, O, Ho, Wo)``, no bias:
    one GEMM per group, ``(O/g, C/g*kh*kw) @ (C/g*kh*kw, N*Ho*Wo)``, on the im2col columns."""
    n = x.shape[0]
    kernel = (w.shape[2], w.shape[3])
    out = output_size_2d(x.shape[2:], kernel, stride, padding, dilation)
    cols = _columns(_pad(x, padding), kernel, stride, dilation, out)
    rows = w.shape[1] * kernel[0] * kernel[1]  # (no -1 in the shapes: a size may be 0)
    y = w.reshape(groups, w.shape[0] // groups, rows) @ cols.reshape(
        groups, rows, n * out[0] * out[1]
    )
    return np.ascontiguousarray(y.reshape(w.shape[0], n, *out).transpose(1, 0, 2, 3))


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

    With ``G = grad_y`` as ``(O/g, N*Ho*Wo)`` per group and ``W`` as ``(O/g, C/g*kh*kw)``:
    ``grad_w = G @ cols.T`` and the input's columns ``W.T @ G``, summed back by col2im."""
    n, c = x.shape[:2]
    kernel = (w.shape[2], w.shape[3])
    out = grad_y.shape[2:]
    xp = _pad(x, padding)
    rows, positions = w.shape[1] * kernel[0] * kernel[1], n * out[0] * out[1]
    g = grad_y.transpose(1, 0, 2, 3).reshape(groups, w.shape[0] // groups, positions)
    w_rows = w.reshape(groups, w.shape[0] // groups, rows)
    grad_x = grad_w = None
    if needs_input_grad[1]:
        cols = _columns(xp, kernel, stride, dilation, out).reshape(groups, rows, positions)
        # as (cols @ G.T).T: the long axis (positions) is then the product's inner axis in
        # the layout BLAS reads fastest (LeNet's layers: 1.10 -> 0.77 and 0.47 -> 0.25 ms)
        grad_w = np.ascontiguousarray((cols @ g.transpose(0, 2, 1)).transpose(0, 2, 1))
        grad_w = grad_w.reshape(w.shape)
    if needs_input_grad[0] and stride == (1, 1) and dilation == (1, 1) and np.isfinite(w).all():
        summed = _grad_input_unit_stride(g, w_rows, (c, n, *xp.shape[2:]), kernel, out, padding)
        grad_x = np.ascontiguousarray(summed.transpose(1, 0, 2, 3))
    elif needs_input_grad[0]:
        cols = (w_rows.transpose(0, 2, 1) @ g).reshape(c, *kernel, n, *out)
        summed = _col2im(
            lambda i, j: cols[:, i, j],
            (c, n, *xp.shape[2:]),
            kernel, stride, padding, dilation, out, grad_y.dtype,
        )  # fmt: skip
        grad_x = np.ascontiguousarray(summed.transpose(1, 0, 2, 3))
    return grad_x, grad_w


def _grad_input_unit_stride(
    g: np.ndarray,
    w_rows: np.ndarray,
    padded_shape: tuple[int, ...],
    kernel: Pair,
    out: Pair,
    padding: Pair,
) -> np.ndarray:
    """col2im for stride and dilation 1, in long contiguous runs: ``(C, N, H, W)``.

    The gradient's rows are widened with zeros to the padded plane's width ``Wp`` before the
    GEMM, so each kernel offset's columns are ``Ho*Wp`` values that land, in one run, at flat
    offset ``i*Wp + j`` of the plane (their zero tails fall on the next row's start and add
    nothing). The generic col2im adds runs of ``Wo`` values (LeNet's second layer: runs of 8,
    2.4 ms; here 0.8 ms). The caller keeps the generic path for a weight holding inf or nan
    (0 * inf in the zero tails would spread nan)."""
    c, n, hp, wp = padded_shape
    (kh, kw), (ho, wo) = kernel, out
    groups, per_group = g.shape[:2]
    wide = np.zeros((groups, per_group, n, ho, wp), dtype=g.dtype)
    wide[..., :wo] = g.reshape(groups, per_group, n, ho, wo)
    cols = (w_rows.transpose(0, 2, 1) @ wide.reshape(groups, per_group, n * ho * wp)).reshape(
        c, kh, kw, n, ho * wp
    )
    flat = np.zeros((c, n, hp * wp + kw - 1), dtype=g.dtype)
    for i in range(kh):
        for j in range(kw):
            start = i * wp + j
            flat[:, :, start : start + ho * wp] += cols[:, i, j]
    ph, pw = padding
    plane = flat[:, :, : hp * wp].reshape(c, n, hp, wp)
    return plane[:, :, ph : hp - ph, pw : wp - pw]


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
    padded = (n, c, h + 2 * padding[0], w + 2 * padding[1])
    summed = _col2im(
        lambda i, j: share, padded, kernel, stride, padding, (1, 1), grad_y.shape[2:], share.dtype
    )
    return np.ascontiguousarray(summed)
