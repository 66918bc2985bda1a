"""The convolution and pooling primitives of ``NumbaBackend``: numba kernels for the data
movement (im2col/col2im, the (O, N) <-> (N, O) copy, pooling windows) and OpenBLAS for the
products. Kernels and the measurements behind them: ``_nn_kernels.py`` and the README."""

from __future__ import annotations

from typing import Any

import numpy as np

from plugtorch.backend.geometry import output_size_2d
from plugtorch_numba._buffers import BufferPool
from plugtorch_numba._threads import parallel_blocks

try:
    from plugtorch_numba import _nn_kernels as _nn
except Exception:  # noqa: BLE001 (no numba: the backend declares none of these primitives)
    _nn = None  # type: ignore[assignment]

__all__ = ["ConvPoolPrimitives"]


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
        # which then need not build them again.
        x = np.ascontiguousarray(x)
        w = np.ascontiguousarray(w)
        n = x.shape[0]
        o, cg, kh, kw = w.shape
        out_hw = output_size_2d(x.shape[2:], w.shape[2:], stride, padding, dilation)
        cols = self._im2col(x, (kh, kw), stride, padding, dilation, out_hw)
        og, kk = o // groups, cg * kh * kw
        y = self.pool.empty((o, cols.shape[1]), x.dtype)
        for g in range(groups):
            np.matmul(
                w[g * og : (g + 1) * og].reshape(og, kk),
                cols[g * kk : (g + 1) * kk],
                out=y[g * og : (g + 1) * og],
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
        # grad_w = grad_y @ cols^T, grad_cols = w^T @ grad_y, grad_x = col2im(grad_cols);
        # cols is conv2d's state (built again only without it); a gradient nobody needs is
        # skipped (the network's input: no w^T @ grad_y, no col2im).
        grad_y = np.ascontiguousarray(grad_y)
        x = np.ascontiguousarray(x)
        w = np.ascontiguousarray(w)
        n = x.shape[0]
        o, cg, kh, kw = w.shape
        out_hw = (grad_y.shape[2], grad_y.shape[3])
        og, kk = o // groups, cg * kh * kw
        gy = self._swap_leading(grad_y, n, o).reshape(o, -1)
        want_x, want_w = needs_input_grad
        cols = None
        if want_w:
            cols = state if state is not None else self._im2col(x, (kh, kw), stride, padding,
                                                                  dilation, out_hw)  # fmt: skip
        grad_w = np.empty_like(w) if want_w else None
        grad_cols = self.pool.empty((groups * kk, gy.shape[1]), x.dtype) if want_x else None
        for g in range(groups):
            gy_g = gy[g * og : (g + 1) * og]
            if grad_w is not None and cols is not None:
                grad_w_g = grad_w[g * og : (g + 1) * og].reshape(og, kk)
                np.matmul(gy_g, cols[g * kk : (g + 1) * kk].T, out=grad_w_g)
            if grad_cols is not None:
                w_g = w[g * og : (g + 1) * og].reshape(og, kk)
                np.matmul(w_g.T, gy_g, out=grad_cols[g * kk : (g + 1) * kk])
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
            parallel_blocks(_nn.max_pool2d_2x2, args, x.shape[0] * x.shape[1], work)
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
