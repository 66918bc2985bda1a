"""Kernels for the optional neural-network primitives: convolution, pooling, activations,
softmax and a fused Adam update.

Convolution is im2col + one BLAS GEMM per group: ``im2col`` writes the (C*kh*kw, N*Ho*Wo)
patch matrix in parallel over (image, channel) planes, the valid output range of each tap
is computed once (padding, stride and dilation are range arithmetic, the inner loop has no
branch), and ``col2im`` is its adjoint for the input gradient. A direct kernel (taps added
into output planes) was 3-6x slower than numpy's im2col + OpenBLAS for LeNet's layers: its
inner loops run over 8-24-wide rows, too short to vectorise well.
"""

import math

import numpy as np
from numba import njit


@njit(inline="always", cache=True)
def _valid_range(size_out, size_in, stride, offset):  # type: ignore[no-untyped-def]
    """Output indices i in [lo, hi) with 0 <= i*stride + offset < size_in."""
    lo = 0
    if offset < 0:
        lo = (-offset + stride - 1) // stride
    hi = 0
    if size_in - offset > 0:
        hi = (size_in - offset + stride - 1) // stride
    hi = min(hi, size_out)
    lo = min(lo, hi)
    return lo, hi


@njit(cache=True, error_model="numpy", nogil=True)
def im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, cols, t0, t1):  # type: ignore[no-untyped-def]
    """cols[(c*kh + ki)*kw + kj, n*L + i*wo + j] = x[n, c, i*sh + ki*dh - ph, j*sw + kj*dw - pw]
    (zero outside x), L = ho*wo: the matrix a convolution multiplies by its weights."""
    n_img, n_ch, h, wd = x.shape
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    length = ho * wo
    for t in range(t0, t1):
        n = t // n_ch
        c = t - n * n_ch
        for ki in range(kh):
            i0, i1 = _valid_range(ho, h, sh, ki * dh - ph)
            for kj in range(kw):
                j0, j1 = _valid_range(wo, wd, sw, kj * dw - pw)
                tap = (c * kh + ki) * kw + kj
                if i0 > 0 or i1 < ho or j0 > 0 or j1 < wo:
                    cols[tap, n * length : (n + 1) * length] = 0
                off = kj * dw - pw
                for i in range(i0, i1):
                    r = i * sh + ki * dh - ph
                    d0 = n * length + i * wo
                    for j in range(j0, j1):
                        cols[tap, d0 + j] = x[n, c, r, j * sw + off]


@njit(cache=True, error_model="numpy", nogil=True)
def col2im(cols, kh, kw, sh, sw, ph, pw, dh, dw, gx, t0, t1):  # type: ignore[no-untyped-def]
    """The adjoint of ``im2col``: gx[n, c] = sum over taps of the scattered rows of cols."""
    n_img, n_ch, h, wd = gx.shape
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    length = ho * wo
    for t in range(t0, t1):
        n = t // n_ch
        c = t - n * n_ch
        gx[n, c] = 0
        for ki in range(kh):
            i0, i1 = _valid_range(ho, h, sh, ki * dh - ph)
            for kj in range(kw):
                j0, j1 = _valid_range(wo, wd, sw, kj * dw - pw)
                tap = (c * kh + ki) * kw + kj
                off = kj * dw - pw
                for i in range(i0, i1):
                    r = i * sh + ki * dh - ph
                    d0 = n * length + i * wo
                    for j in range(j0, j1):
                        gx[n, c, r, j * sw + off] += cols[tap, d0 + j]


LCHUNK = 512


@njit(cache=True, fastmath={"contract"}, error_model="numpy", nogil=True)
def small_gemm(a, b, out, t0, t1):  # type: ignore[no-untyped-def]
    """out[:, chunk] = a @ b[:, chunk] for a (M, K) with M and K small and b (K, P) wide;
    tasks over chunks of LCHUNK columns.

    A convolution's GEMMs with few channels: a chunk of an output row stays in L1 while the
    K rows of b stream past it. Rows of one image are only 64-576 long in LeNet, so the
    columns of all images are chunked together (a slice per (row, image) pair cost more
    than the arithmetic)."""
    m, kk = a.shape
    ncols = b.shape[1]
    for t in range(t0, t1):
        l0 = t * LCHUNK
        l1 = min(l0 + LCHUNK, ncols)
        for i in range(m):
            acc = out[i, l0:l1]
            acc[:] = 0
            for k in range(kk):
                av = a[i, k]
                c = b[k, l0:l1]
                for j in range(l1 - l0):
                    acc[j] += av * c[j]


@njit(cache=True, fastmath={"contract", "reassoc"}, error_model="numpy", nogil=True)
def small_gemm_nt_partial(a, b, partial, t0, t1):  # type: ignore[no-untyped-def]
    """partial[t, i, k] = a[i, chunk t] . b[k, chunk t] (float64): a @ b.T summed by the
    caller over the chunks; a (M, P) and b (K, P) wide."""
    m = a.shape[0]
    kk = b.shape[0]
    ncols = a.shape[1]
    for t in range(t0, t1):
        l0 = t * LCHUNK
        l1 = min(l0 + LCHUNK, ncols)
        for i in range(m):
            ar = a[i, l0:l1]
            for k in range(kk):
                br = b[k, l0:l1]
                s = ar[0] * br[0]
                for j in range(1, l1 - l0):
                    s += ar[j] * br[j]
                partial[t, i, k] = s


@njit(cache=True, error_model="numpy", nogil=True)
def channels_first(y, out, t0, t1):  # type: ignore[no-untyped-def]
    """out[n, o, l] = y[o, n, l]: (O, N, L) GEMM output to (N, O, L), and back."""
    a, b, length = y.shape
    for t in range(t0, t1):
        i = t // b
        j = t - i * b
        out[j, i, :] = y[i, j, :]


@njit(cache=True, error_model="numpy", nogil=True)
def max_pool2d_forward(x, kh, kw, sh, sw, ph, pw, out, argmax, t0, t1):  # type: ignore[no-untyped-def]  # noqa: E501
    n_img, n_ch, h, wd = x.shape
    ho, wo = out.shape[2], out.shape[3]
    for t in range(t0, t1):
        n = t // n_ch
        c = t - n * n_ch
        for i in range(ho):
            r0 = i * sh - ph
            for j in range(wo):
                c0 = j * sw - pw
                best = -np.inf
                best_index = -1
                for a in range(max(r0, 0), min(r0 + kh, h)):
                    for b in range(max(c0, 0), min(c0 + kw, wd)):
                        v = x[n, c, a, b]
                        if best_index < 0 or v > best or (v != v and best == best):  # noqa: PLR0124
                            best = v
                            best_index = a * wd + b
                out[n, c, i, j] = best
                argmax[n, c, i, j] = best_index


@njit(cache=True, error_model="numpy", nogil=True)
def max_pool2d_backward(gy, argmax, gx, t0, t1):  # type: ignore[no-untyped-def]
    n_img, n_ch, h, wd = gx.shape
    ho, wo = gy.shape[2], gy.shape[3]
    for t in range(t0, t1):
        n = t // n_ch
        c = t - n * n_ch
        flat = gx[n, c].reshape(h * wd)
        flat[:] = 0
        for i in range(ho):
            for j in range(wo):
                k = argmax[n, c, i, j]
                if k >= 0:
                    flat[k] += gy[n, c, i, j]


@njit(cache=True, error_model="numpy", nogil=True)
def avg_pool2d_forward(x, kh, kw, sh, sw, ph, pw, out, t0, t1):  # type: ignore[no-untyped-def]
    n_img, n_ch, h, wd = x.shape
    ho, wo = out.shape[2], out.shape[3]
    scale = 1.0 / (kh * kw)
    for t in range(t0, t1):
        n = t // n_ch
        c = t - n * n_ch
        for i in range(ho):
            r0 = i * sh - ph
            for j in range(wo):
                c0 = j * sw - pw
                acc = 0.0
                for a in range(max(r0, 0), min(r0 + kh, h)):
                    for b in range(max(c0, 0), min(c0 + kw, wd)):
                        acc += x[n, c, a, b]
                out[n, c, i, j] = acc * scale


@njit(cache=True, error_model="numpy", nogil=True)
def avg_pool2d_backward(gy, kh, kw, sh, sw, ph, pw, gx, t0, t1):  # type: ignore[no-untyped-def]
    n_img, n_ch, h, wd = gx.shape
    ho, wo = gy.shape[2], gy.shape[3]
    scale = 1.0 / (kh * kw)
    for t in range(t0, t1):
        n = t // n_ch
        c = t - n * n_ch
        gx[n, c, :, :] = 0
        for i in range(ho):
            r0 = i * sh - ph
            for j in range(wo):
                c0 = j * sw - pw
                g = gy[n, c, i, j] * scale
                for a in range(max(r0, 0), min(r0 + kh, h)):
                    for b in range(max(c0, 0), min(c0 + kw, wd)):
                        gx[n, c, a, b] += g


@njit(cache=True, error_model="numpy", nogil=True)
def softmax_rows(x, out, log, t0, t1):  # type: ignore[no-untyped-def]
    """Softmax (or log-softmax) of each row of a C-contiguous 2-D array, max-subtracted."""
    m, k = x.shape
    for i in range(t0, t1):
        top = x[i, 0]
        for j in range(1, k):
            v = x[i, j]
            if v > top or v != v:  # noqa: PLR0124 (nan test)
                top = v
        if math.isinf(top):  # all -inf, or +inf present: let the arithmetic give nan like numpy
            top = top - top if top < 0 else top
        total = 0.0
        for j in range(k):
            e = np.exp(x[i, j] - top)
            out[i, j] = e
            total += e
        if log:
            lt = np.log(total)
            for j in range(k):
                out[i, j] = x[i, j] - top - lt
        else:
            inv = 1.0 / total
            for j in range(k):
                out[i, j] = out[i, j] * inv


@njit(cache=True, error_model="numpy", nogil=True)
def adam_update(
    param,
    grad,
    m,
    v,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    step,
    decoupled,
    new_param,
    new_m,
    new_v,
    t0,
    t1,
):  # type: ignore[no-untyped-def]
    """torch.optim.Adam / AdamW (decoupled) in one pass, float64 scalars."""
    bias1 = 1.0 - beta1**step
    bias2_sqrt = math.sqrt(1.0 - beta2**step)
    step_size = lr / bias1
    shrink = 1.0 - lr * weight_decay
    for i in range(t0, t1):
        p = param[i]
        g = grad[i]
        if decoupled:
            p = p * shrink
        elif weight_decay != 0.0:
            g = g + weight_decay * p
        mi = beta1 * m[i] + (1.0 - beta1) * g
        vi = beta2 * v[i] + (1.0 - beta2) * g * g
        new_m[i] = mi
        new_v[i] = vi
        new_param[i] = p - step_size * mi / (math.sqrt(vi) / bias2_sqrt + eps)
