"""conv2d's forward one image at a time: each image's im2col columns (``_nn_kernels.im2col``)
go into one OpenBLAS GEMM per group while they are still in the core's cache, called from
the kernel (``_blas.gemm_function``), and the (O, Ho*Wo) result is already the image's
output (no (O, N) -> (N, O) copy).

Against im2col of the whole batch and then one GEMM (``_conv_pool``): LeNet's second layer
(6 -> 16 channels, 5x5, 14x14 inputs, batch 64) writes a 3.8 MB column matrix that no cache
holds; inside a training step the batch im2col took 550 us and the 16x150x6400 GEMM that
streams it back 430-510 us (plus a 40 us copy), where the per-image forward took 640-680 us
in all. The columns are still written to the batch's matrix, which the backward reads (its
GEMMs over the whole batch run on OpenBLAS's threads: a per-image backward was slower, a
16x100 @ (150x100)^T product alone 16 us against 7 us forward).

Only for products below OpenBLAS's own threading cutoff (``_blas.OPENBLAS_THREADED``
multiply-adds a group and image): OpenBLAS then multiplies on the calling thread, so the
images spread over this backend's threads (``_threads``) like any other kernel's tasks.
Flat arrays and addresses throughout (see ``_nn_kernels``).
"""

import numpy as np
from numba import njit

from plugtorch_numba._blas import CBLAS_NO_TRANS, CBLAS_ROW_MAJOR, CBLAS_TRANS
from plugtorch_numba._nn_kernels import col2im, im2col

__all__ = ["IMAGES_PER_BLOCK", "conv_images", "conv_images_backward"]

IMAGES_PER_BLOCK = 8

_ROW, _N, _T = CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS


@njit(inline="always")
def _sizes(shape, o_ch, groups, geometry, like):  # type: ignore[no-untyped-def]
    """What both kernels derive from the geometry: outputs per channel, output channels and
    columns per group, values per image, one image's shape, and the image's column scratch
    (of ``like``'s dtype)."""
    n_ch, h, wd = shape[1], shape[2], shape[3]
    kh, kw = geometry[0]
    out_hw = geometry[4]
    length = out_hw[0] * out_hw[1]
    cols = np.empty(n_ch * kh * kw * length, dtype=like.dtype)
    kk = n_ch // groups * kh * kw
    return length, o_ch // groups, kk, n_ch * h * wd, (1, n_ch, h, wd), cols


@njit(cache=True, error_model="numpy", nogil=True)
def conv_images(gemm, x, shape, w, o_ch, groups, geometry, y, t0, t1):  # type: ignore[no-untyped-def]
    """y[n] = W_g @ im2col(x[n])_g for every group g, images n in [t0, t1): ``x`` flat
    (N, C, H, W) with ``shape``, ``w`` flat (O, C/groups, kh, kw), ``y`` flat (N, O, Ho, Wo),
    geometry = (kernel, stride, padding, dilation, out_hw) as ``im2col`` takes them."""
    n_ch = shape[1]
    kernel, stride, padding, dilation, out_hw = geometry
    length, og, kk, chw, one_image, cols = _sizes(shape, o_ch, groups, geometry, y)
    size = y.itemsize
    one, zero = y.dtype.type(1), y.dtype.type(0)
    w_at, cols_at, y_at = w.ctypes.data, cols.ctypes.data, y.ctypes.data
    for n in range(t0, t1):
        image = x[n * chw : (n + 1) * chw]
        im2col(image, one_image, kernel, stride, padding, dilation, out_hw, cols, 0, n_ch)
        for g in range(groups):
            gemm(
                _ROW, _N, _N, og, length, kk, one,
                w_at + g * og * kk * size, kk,
                cols_at + g * kk * length * size, length,
                zero, y_at + (n * o_ch + g * og) * length * size, length,
            )  # fmt: skip


@njit(cache=True, error_model="numpy", nogil=True)
def conv_images_backward(gemm, gy, x, shape, w, o_ch, groups, geometry, gx, sums, wants, b0, b1):  # type: ignore[no-untyped-def]  # noqa: E501
    """For the image blocks [b0, b1) of ``IMAGES_PER_BLOCK`` images, wants = (want_x,
    want_w): gx[n] = col2im(W_g^T @ gy[n]_g) when ``want_x``; when ``want_w``, sums[b, g] =
    the sum over the block's images of im2col(x[n])_g @ gy[n]_g^T, the transposed weight
    gradient of group g, flat (C/groups*kh*kw, O/groups). Flat arrays and geometry as in
    ``conv_images``; ``gy`` flat (N, O, Ho, Wo)."""
    n_img, n_ch = shape[0], shape[1]
    kernel, stride, padding, dilation, out_hw = geometry
    want_x, want_w = wants
    length, og, kk, chw, one_image, cols = _sizes(shape, o_ch, groups, geometry, gy)
    size = gy.itemsize
    one, zero = gy.dtype.type(1), gy.dtype.type(0)
    w_at, cols_at, gy_at = w.ctypes.data, cols.ctypes.data, gy.ctypes.data
    sums_at = sums.ctypes.data
    for b in range(b0, b1):
        first = IMAGES_PER_BLOCK * b
        for n in range(first, min(first + IMAGES_PER_BLOCK, n_img)):
            grad_at = gy_at + n * o_ch * length * size
            if want_w:
                image = x[n * chw : (n + 1) * chw]
                im2col(image, one_image, kernel, stride, padding, dilation, out_hw, cols, 0, n_ch)
                beta = zero if n == first else one
                for g in range(groups):
                    gemm(
                        _ROW, _N, _T, kk, og, length, one,
                        cols_at + g * kk * length * size, length,
                        grad_at + g * og * length * size, length,
                        beta, sums_at + (b * groups + g) * kk * og * size, og,
                    )  # fmt: skip
            if want_x:
                for g in range(groups):
                    gemm(
                        _ROW, _T, _N, kk, length, og, one,
                        w_at + g * og * kk * size, kk,
                        grad_at + g * og * length * size, length,
                        zero, cols_at + g * kk * length * size, length,
                    )  # fmt: skip
                image_grad = gx[n * chw : (n + 1) * chw]
                col2im(
                    cols, one_image, kernel, stride, padding, dilation, out_hw, image_grad, 0, n_ch
                )
