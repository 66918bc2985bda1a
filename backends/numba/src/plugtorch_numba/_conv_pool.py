"""The convolution and pooling primitives of ``NumbaBackend``: numba kernels for the data
movement (im2col/col2im, the (O, N) <-> (N, O) copy, pooling windows) and OpenBLAS for the
products, or a direct convolution in numba for stride-1 layers with few output channels
(``_conv_kernels.py``; chosen by ``use_direct``), or im2col and the GEMM one image at a time
where each image's product is small (``_conv_image_kernels.py``; ``per_image_gemm``). Kernels
and the measurements behind them: ``_nn_kernels.py``, ``_conv_kernels.py``,
``_conv_image_kernels.py`` and the README."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from plugtorch.backend.geometry import output_size_2d
from plugtorch_numba import _blas
from plugtorch_numba._buffers import BufferPool
from plugtorch_numba._threads import parallel_blocks

try:
    from plugtorch_numba import _conv_image_kernels as _ci
    from plugtorch_numba import _conv_kernels as _cd
    from plugtorch_numba import _nn_kernels as _nn
except Exception:  # noqa: BLE001 (no numba: the backend declares none of these primitives)
    _nn = _cd = _ci = None  # type: ignore[assignment]

__all__ = ["ConvPoolPrimitives", "use_direct"]

Pair = tuple[int, int]


def use_direct(
    x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: Pair, padding: Pair,
    dilation: Pair, groups: int,
) -> bool:  # fmt: skip
    """Whether conv2d and its weight gradient take the direct kernels (``_conv_kernels``)
    instead of im2col + GEMM: a stride-1 kernel larger than 1x1 (a 1x1 im2col is a plain
    copy), and (output channels per group) x (the padded width over the output width, the
    share of thrown-away columns) at most ``DIRECT_LIMIT``."""
    if stride != (1, 1) or w_shape[2] * w_shape[3] == 1:
        return False
    wp = x_shape[3] + 2 * padding[1]
    wo = wp - (w_shape[3] - 1) * dilation[1]
    return wo > 0 and w_shape[0] // groups * wp <= DIRECT_LIMIT * wo


def use_direct_grad_x(
    x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: Pair, padding: Pair,
    dilation: Pair, groups: int,
) -> bool:  # fmt: skip
    """Whether the input gradient is a direct convolution of grad_y (padded by the taps'
    reach, so its wide planes are wo + 2*(kw-1)*dw wide for x's width of outputs): stride 1
    and larger than 1x1, and (output channels per group) x (that width over x's) at most
    ``DIRECT_LIMIT_GRAD_X``."""
    if stride != (1, 1) or w_shape[2] * w_shape[3] == 1 or x_shape[3] == 0:
        return False
    reach = (w_shape[3] - 1) * dilation[1]
    wide = x_shape[3] + 2 * padding[1] + reach
    return w_shape[0] // groups * wide <= DIRECT_LIMIT_GRAD_X * x_shape[3]


def per_image_gemm(x: np.ndarray, w_shape: tuple[int, ...], out_hw: Pair, groups: int) -> Any:
    """OpenBLAS's GEMM (``_blas.gemm_function``) when conv2d and its gradients take the
    per-image kernels (``_conv_image_kernels``), else None: float32 or float64, nothing
    empty, at least ``PER_IMAGE_OUTPUTS`` outputs an image and channel, and each image's
    product of a group below OpenBLAS's threading cutoff."""
    o, cg, kh, kw = w_shape
    length = out_hw[0] * out_hw[1]
    work = (o // groups) * cg * kh * kw * length
    if x.size == 0 or work == 0 or work >= _blas.OPENBLAS_THREADED or _ci is None:
        return None
    if length < PER_IMAGE_OUTPUTS:
        return None
    return _blas.gemm_function(x.dtype)


PER_IMAGE_OUTPUTS = 64
"""Below this many outputs per image and channel the per-image products are too thin: whole
training steps, switched inside one process, per-image / batch im2col: LeNet (10x10 outputs
in its second layer) 0.87, the digits network (4x4) 1.03."""

# Crossovers measured on LeNet-like layers (see the README): the direct kernels' cost grows
# with the output channels per group and the thrown-away columns, im2col + GEMM's much less.
DIRECT_LIMIT = 19.0
DIRECT_LIMIT_GRAD_X = 16.0


class _Padded:
    """conv2d's state on the direct path: the zero-bordered input planes (``pad_planes``),
    their geometry, and whether every input value is finite."""

    __slots__ = ("finite", "geometry", "planes")

    def __init__(self, planes: np.ndarray, geometry: tuple[int, ...], finite: bool) -> None:
        self.planes, self.geometry, self.finite = planes, geometry, finite


class ConvPoolPrimitives:
    """conv2d, max_pool2d, avg_pool2d and their backward primitives (a mixin of
    ``NumbaBackend``, which provides ``pool``)."""

    pool: BufferPool

    def _im2col(
        self,
        x: np.ndarray,
        kernel: tuple[int, int],
        stride: tuple[int, int],
        padding: tuple[int, int],
        dilation: tuple[int, int],
        out_hw: tuple[int, int],
    ) -> np.ndarray:
        n, c = x.shape[:2]
        cols = self.pool.empty((c * kernel[0] * kernel[1], n * out_hw[0] * out_hw[1]), x.dtype)
        parallel_blocks(
            _nn.im2col,
            (x.reshape(-1), x.shape, kernel, stride, padding, dilation, out_hw, cols.reshape(-1)),
            n * c,
            cols.size,
        )
        return cols

    def _col2im(
        self,
        cols: np.ndarray,
        shape: tuple[int, ...],
        kernel: tuple[int, int],
        stride: tuple[int, int],
        padding: tuple[int, int],
        dilation: tuple[int, int],
        out_hw: tuple[int, int],
    ) -> np.ndarray:
        """The adjoint of :meth:`_im2col`: columns summed back into an image of ``shape``."""
        image = self.pool.empty(shape, cols.dtype)
        parallel_blocks(
            _nn.col2im,
            (cols.reshape(-1), shape, kernel, stride, padding, dilation, out_hw, image.reshape(-1)),
            shape[0] * shape[1],
            cols.size,
        )
        return image

    def _swap_leading(self, y: np.ndarray, a: int, b: int) -> np.ndarray:
        """``y`` read as (a, b, rest) returned as a C-contiguous (b, a, rest) array."""
        length = y.size // (a * b) if y.size else 0
        if a == 1 or b == 1:
            return y.reshape(b, a, length)
        out = self.pool.empty((b, a, length), y.dtype)
        parallel_blocks(
            _nn.swap_leading, (y.reshape(-1), a, b, length, out.reshape(-1)), a * b, y.size
        )
        return out

    def _pad_planes(
        self, x: np.ndarray, padding: Pair, w_shape: tuple[int, ...], dilation: Pair
    ) -> _Padded:
        """x's (N*C) planes with a zero border of ``padding`` and a tail for the taps' reach."""
        n, c, h, wd = x.shape
        kh, kw = w_shape[2:]
        hp, wp = h + 2 * padding[0], wd + 2 * padding[1]
        body = n * c * hp * wp
        planes = self.pool.empty((body + (kw - 1) * dilation[1],), x.dtype)
        planes[body:] = 0
        check = np.empty(n * c, dtype=x.dtype)
        parallel_blocks(
            _cd.pad_planes,
            (x.reshape(-1), h, wd, padding[0], padding[1], hp, wp, planes, check),
            n * c,
            body,
        )
        geometry = (c, hp, wp, kh, kw, dilation[0], dilation[1])
        return _Padded(planes, geometry, not np.isnan(check.sum()))

    def _conv_direct(
        self,
        padded: _Padded,
        n: int,
        w: np.ndarray,
        groups: int,
        crop: tuple[int, int, int, int],
    ) -> np.ndarray:
        """``_cd.conv_direct`` over padded planes: (N, O, rows, cols) of the full output."""
        o = w.shape[0]
        y = self.pool.empty((n, o, crop[2], crop[3]), w.dtype)
        tasks = n * groups * ((o // groups + 1) // 2)
        work = y.size * math.prod(w.shape[1:]) * _DIRECT_WORK
        args = (padded.planes, padded.geometry, w.reshape(-1), o, groups, crop, y.reshape(-1))
        parallel_blocks(_cd.conv_direct, args, tasks, work)
        return y

    def _direct_grad_x(
        self, grad_y: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...], padding: Pair,
        dilation: Pair, groups: int,
    ) -> np.ndarray:  # fmt: skip
        """The input gradient as a direct convolution of grad_y, padded by the taps' reach,
        with the flipped weights of each group transposed (O <-> C), cropped to x."""
        o, cg, kh, kw = w.shape
        og = o // groups
        flipped = w.reshape(groups, og, cg, kh, kw)[:, :, :, ::-1, ::-1]
        wt = np.ascontiguousarray(flipped.transpose(0, 2, 1, 3, 4)).reshape(groups * cg, og, kh, kw)
        reach = ((kh - 1) * dilation[0], (kw - 1) * dilation[1])
        padded = self._pad_planes(grad_y, reach, wt.shape, dilation)
        crop = (padding[0], padding[1], x_shape[2], x_shape[3])
        return self._conv_direct(padded, x_shape[0], wt, groups, crop)

    def _direct_grad_w(
        self, grad_y: np.ndarray, padded: _Padded, w: np.ndarray, groups: int
    ) -> np.ndarray:
        """The weight gradient from grad_y widened to the padded planes' width."""
        n, o, ho, wo = grad_y.shape
        wp = padded.geometry[2]
        wide = self.pool.empty((n * o * ho * wp,), grad_y.dtype)
        parallel_blocks(_cd.widen, (grad_y.reshape(-1), ho, wo, wp, wide), n * o, wide.size)
        grad_w = np.empty_like(w)
        cg = w.shape[1]
        tasks = groups * ((o // groups + 1) // 2) * cg
        args = (wide, padded.planes, n, padded.geometry, o, groups, ho, grad_w.reshape(-1))
        work = grad_y.size * math.prod(w.shape[1:]) * _DIRECT_WORK
        parallel_blocks(_cd.conv_weight_grad, args, tasks, work)
        return grad_w

    def conv2d(
        self,
        x: np.ndarray,
        w: np.ndarray,
        stride: tuple[int, int],
        padding: tuple[int, int],
        dilation: tuple[int, int],
        groups: int,
    ) -> Any:  # (y, cols): the protocol's (y, state)
        # im2col (numba) + one OpenBLAS GEMM per group + an (O, N) -> (N, O) copy (numba).
        # The im2col columns are the state handed to conv2d_backward (grad_w = grad_y @ cols^T),
        # which then need not build them again. On the direct path the state is the padded
        # input planes instead.
        x = np.ascontiguousarray(x)
        w = np.ascontiguousarray(w)
        n = x.shape[0]
        o, cg, kh, kw = w.shape
        out_hw = output_size_2d(x.shape[2:], w.shape[2:], stride, padding, dilation)
        if use_direct(x.shape, w.shape, stride, padding, dilation, groups):
            padded = self._pad_planes(x, padding, w.shape, dilation)
            return self._conv_direct(padded, n, w, groups, (0, 0, *out_hw)), padded
        gemm = per_image_gemm(x, w.shape, out_hw, groups)
        if gemm is not None:
            y = self.pool.empty((n, o, *out_hw), x.dtype)
            geometry = ((kh, kw), stride, padding, dilation, out_hw)
            args = (gemm, x.reshape(-1), x.shape, w.reshape(-1), o, groups, geometry, y.reshape(-1))
            parallel_blocks(_ci.conv_images, args, n, y.size * cg * kh * kw)
            return y, None  # no state: the backward builds each image's columns again
        cols = self._im2col(x, (kh, kw), stride, padding, dilation, out_hw)
        og, kk = o // groups, cg * kh * kw
        y = self.pool.empty((o, cols.shape[1]), x.dtype)
        for g in range(groups):
            _blas.matmul(
                w[g * og : (g + 1) * og].reshape(og, kk),
                cols[g * kk : (g + 1) * kk],
                y[g * og : (g + 1) * og],
            )
        return self._swap_leading(y, o, n).reshape(n, o, *out_hw), cols

    def conv2d_backward(
        self,
        grad_y: np.ndarray,
        x: np.ndarray,
        w: np.ndarray,
        stride: tuple[int, int],
        padding: tuple[int, int],
        dilation: tuple[int, int],
        groups: int,
        needs_input_grad: tuple[bool, bool] = (True, True),
        state: Any = None,
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        # Each gradient by the direct kernels where use_direct / use_direct_grad_x pick them,
        # else by im2col (_im2col_backward); state is conv2d's (padded planes or columns,
        # built again only without it); a gradient nobody needs is skipped (the network's
        # input: no grad_x at all).
        grad_y = np.ascontiguousarray(grad_y)
        x = np.ascontiguousarray(x)
        w = np.ascontiguousarray(w)
        want_x, want_w = needs_input_grad
        geometry = (x.shape, w.shape, stride, padding, dilation, groups)
        grad_x = grad_w = None
        # The direct gradients multiply zeros by thrown-away values: exact for finite values
        # only (see _conv_kernels); im2col below for a gradient a non-finite one would spoil.
        padded = state if isinstance(state, _Padded) else None
        if want_w and padded is None and state is None and use_direct(*geometry):
            padded = self._pad_planes(x, padding, w.shape, dilation)
        if want_w and padded is not None:
            grad_w = self._direct_grad_w(grad_y, padded, w, groups) if padded.finite else None
        if want_x and use_direct_grad_x(*geometry) and np.isfinite(w).all():
            grad_x = self._direct_grad_x(grad_y, w, x.shape, padding, dilation, groups)
        rest_x, rest_w = want_x and grad_x is None, want_w and grad_w is None
        cols = state if isinstance(state, np.ndarray) else None  # conv2d's im2col columns
        gemm = per_image_gemm(x, w.shape, grad_y.shape[2:], groups) if cols is None else None
        if (rest_x or rest_w) and gemm is not None:
            gx, gw = self._per_image_backward(gemm, grad_y, x, w, stride, padding, dilation,
                                              groups, (rest_x, rest_w))  # fmt: skip
            grad_x, grad_w = (gx if rest_x else grad_x), (gw if rest_w else grad_w)
        elif rest_x or rest_w:
            gx, gw = self._im2col_backward(
                grad_y, x, w, stride, padding, dilation, groups, (rest_x, rest_w), cols
            )
            grad_x, grad_w = (gx if rest_x else grad_x), (gw if rest_w else grad_w)
        return grad_x, grad_w

    def _per_image_backward(
        self, gemm: Any, grad_y: np.ndarray, x: np.ndarray, w: np.ndarray, stride: Pair,
        padding: Pair, dilation: Pair, groups: int, needs_input_grad: tuple[bool, bool],
    ) -> tuple[np.ndarray | None, np.ndarray | None]:  # fmt: skip
        """The gradients ``needs_input_grad`` asks for, image by image
        (``_conv_image_kernels.conv_images_backward``); the weight gradient's per-block sums
        are added in block order, so it does not depend on which thread ran which block."""
        n = x.shape[0]
        o, cg, kh, kw = w.shape
        want_x, want_w = needs_input_grad
        og, kk = o // groups, cg * kh * kw
        blocks = -(-n // _ci.IMAGES_PER_BLOCK)
        grad_x = self.pool.empty(x.shape, x.dtype) if want_x else np.empty(0, x.dtype)
        sums = np.empty((blocks, groups, kk, og) if want_w else 0, w.dtype)
        geometry = ((kh, kw), stride, padding, dilation, grad_y.shape[2:])
        args = (gemm, grad_y.reshape(-1), x.reshape(-1), x.shape, w.reshape(-1), o, groups,
                geometry, grad_x.reshape(-1), sums.reshape(-1), needs_input_grad)  # fmt: skip
        work = grad_y.size * kk * (want_x + want_w)
        parallel_blocks(_ci.conv_images_backward, args, blocks, work)
        if not want_w:
            return grad_x, None
        total = np.add.reduce(sums, axis=0)  # (groups, kk, og), the blocks in order
        grad_w = np.ascontiguousarray(total.transpose(0, 2, 1)).reshape(w.shape)
        return (grad_x if want_x else None), grad_w

    def _im2col_backward(
        self,
        grad_y: np.ndarray,
        x: np.ndarray,
        w: np.ndarray,
        stride: Pair,
        padding: Pair,
        dilation: Pair,
        groups: int,
        needs_input_grad: tuple[bool, bool],
        cols: np.ndarray | None,
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """grad_w = grad_y @ cols^T, grad_cols = w^T @ grad_y, grad_x = col2im(grad_cols), for
        the gradients ``needs_input_grad`` asks for; ``cols`` is conv2d's, or None."""
        n = x.shape[0]
        o, cg, kh, kw = w.shape
        out_hw = (grad_y.shape[2], grad_y.shape[3])
        og, kk = o // groups, cg * kh * kw
        gy = self._swap_leading(grad_y, n, o).reshape(o, n * out_hw[0] * out_hw[1])  # o may be 0
        want_x, want_w = needs_input_grad
        if want_w and cols is None:
            cols = self._im2col(x, (kh, kw), stride, padding, dilation, out_hw)
        grad_w = np.empty_like(w) if want_w else None
        grad_cols = self.pool.empty((groups * kk, gy.shape[1]), x.dtype) if want_x else None
        for g in range(groups):
            gy_g = gy[g * og : (g + 1) * og]
            if grad_w is not None and cols is not None:
                grad_w_g = grad_w[g * og : (g + 1) * og].reshape(og, kk)
                _blas.matmul(gy_g, cols[g * kk : (g + 1) * kk].T, grad_w_g)
            if grad_cols is not None:
                w_g = w[g * og : (g + 1) * og].reshape(og, kk)
                _blas.matmul(w_g.T, gy_g, grad_cols[g * kk : (g + 1) * kk])
        grad_x = None
        if grad_cols is not None:
            grad_x = self._col2im(grad_cols, x.shape, (kh, kw), stride, padding, dilation, out_hw)
        return grad_x, grad_w

    def max_pool2d(
        self,
        x: np.ndarray,
        kernel: tuple[int, int],
        stride: tuple[int, int],
        padding: tuple[int, int],
    ) -> tuple[np.ndarray, np.ndarray]:
        x = np.ascontiguousarray(x)
        out_hw = output_size_2d(x.shape[2:], kernel, stride, padding)
        out = np.empty((*x.shape[:2], *out_hw), dtype=x.dtype)
        argmax = np.empty((*x.shape[:2], *out_hw), dtype=np.int64)
        flat = (x.reshape(-1), out.reshape(-1), argmax.reshape(-1))
        work = out.size * kernel[0] * kernel[1] * _BRANCHY
        args: tuple[Any, ...]
        if kernel == (2, 2) and stride == (2, 2) and padding == (0, 0):
            args = (flat[0], x.shape, out_hw, *flat[1:])
            wide = x.shape[3] >= _WIDE_POOL
            pool_2x2 = _nn.max_pool2d_2x2 if wide else _nn.max_pool2d_2x2_tree
            parallel_blocks(pool_2x2, args, x.shape[0] * x.shape[1], work)
        else:
            args = (flat[0], x.shape, kernel, stride, padding, out_hw, *flat[1:])
            parallel_blocks(_nn.max_pool2d_forward, args, x.shape[0] * x.shape[1], work)
        return out, argmax

    def max_pool2d_backward(
        self, grad_y: np.ndarray, argmax: np.ndarray, input_shape: tuple[int, ...]
    ) -> np.ndarray:
        grad_y = np.ascontiguousarray(grad_y)
        argmax = np.ascontiguousarray(argmax, dtype=np.int64)
        plane = int(input_shape[2]) * int(input_shape[3])
        if argmax.shape != grad_y.shape:
            raise ValueError(
                f"max_pool2d_backward: argmax shape {argmax.shape} differs from grad_y's "
                f"{grad_y.shape}; pass the indices max_pool2d returned with this output"
            )
        if argmax.size and (argmax.max() >= plane or argmax.min() < -1):
            raise IndexError(f"max_pool2d_backward: argmax index out of range [0, {plane})")
        grad_x = np.empty(tuple(input_shape), dtype=grad_y.dtype)
        planes = grad_x.shape[0] * grad_x.shape[1]
        plane_out = grad_y.size // planes if planes else 0
        parallel_blocks(
            _nn.max_pool2d_backward,
            (grad_y.reshape(-1), argmax.reshape(-1), plane_out, plane, grad_x.reshape(-1)),
            planes,
            grad_x.size,
        )
        return grad_x

    def avg_pool2d(
        self,
        x: np.ndarray,
        kernel: tuple[int, int],
        stride: tuple[int, int],
        padding: tuple[int, int],
    ) -> np.ndarray:
        x = np.ascontiguousarray(x)
        out_hw = output_size_2d(x.shape[2:], kernel, stride, padding)
        out = np.empty((*x.shape[:2], *out_hw), dtype=x.dtype)
        parallel_blocks(
            _nn.avg_pool2d_forward,
            (x.reshape(-1), x.shape, kernel, stride, padding, out_hw, out.reshape(-1)),
            x.shape[0] * x.shape[1],
            out.size * kernel[0] * kernel[1] * _BRANCHY,
        )
        return out

    def avg_pool2d_backward(
        self,
        grad_y: np.ndarray,
        input_shape: tuple[int, ...],
        kernel: tuple[int, int],
        stride: tuple[int, int],
        padding: tuple[int, int],
    ) -> np.ndarray:
        grad_y = np.ascontiguousarray(grad_y)
        shape = tuple(int(s) for s in input_shape)
        grad_x = np.empty(shape, dtype=grad_y.dtype)
        out_hw = (grad_y.shape[2], grad_y.shape[3])
        parallel_blocks(
            _nn.avg_pool2d_backward,
            (grad_y.reshape(-1), shape, kernel, stride, padding, out_hw, grad_x.reshape(-1)),
            grad_x.shape[0] * grad_x.shape[1],
            grad_x.size,
        )
        return grad_x


# parallel_blocks decides from an element count calibrated on vectorised streaming loops; the
# pooling windows' scalar, branchy loops cost about this many times more per element.
_BRANCHY = 4
# Planes at least this wide take max_pool2d_2x2's two vectorised passes, narrower ones the
# window-at-a-time max_pool2d_2x2_tree (measured: 8 wide and up gain, 4 wide loses 1.5-2.6x).
_WIDE_POOL = 8
# ... and the direct convolution's inner loops do a multiply-add per element and tap where
# that calibration assumed a copy: this many elements per multiply-add.
_DIRECT_WORK = 1
