"""Direct convolution kernels (stride 1) for few channels, where im2col + GEMM spends its time
building columns: LeNet's first layer (1 input channel, 6 outputs) multiplies a 25 x 50176
column matrix by a 6 x 25 weight matrix, 4.7x the image's size written and read again for
a product too thin for BLAS to run fast.

The kernels work on "wide" planes: every input plane is copied once into a zero-bordered
plane of width ``wp`` (``pad_planes``), and output (i, j) of a tap (ki, kj) then reads
``xp[(i + ki*dh)*wp + j + kj*dw]``: for all outputs of a plane at once that is one contiguous
run ``xp[off + k]``, ``k < ho*wp``, where the wp - wo columns past each output row are
computed and thrown away. One long loop per tap vectorises well; the loops over 24- or
10-wide rows that a plain direct convolution runs do not (a row-wise kernel was 3-6x slower
than im2col). Dilation is in the tap offsets, padding in the border, groups in the channel
ranges; strides other than 1 are left to im2col. The planes carry a tail of (kw-1)*dw zeros
so the last plane's thrown-away columns stay inside the array.

Every output (forward, input gradient) is a sum over exactly the taps inside its window, as
in im2col. The weight gradient multiplies the thrown-away columns by zeros (``widen``), which
is exact only for finite inputs: ``pad_planes`` reports a non-finite value per plane so that
the caller can take im2col instead. Float32 accumulates in float32, as the GEMM path does.
Flat arrays and unsigned indices throughout, for the reasons given in ``_nn_kernels``.
"""

import numpy as np
from numba import njit
from numba import uint64 as u64

__all__ = ["conv_direct", "conv_weight_grad", "pad_planes", "widen"]


@njit(cache=True, error_model="numpy", nogil=True, fastmath={"reassoc"})
def pad_planes(x, h, wd, ph, pw, hp, wp, out, check, t0, t1):  # type: ignore[no-untyped-def]
    """out[t*hp*wp + (r + ph)*wp + pw + j] = x[t*h*wd + r*wd + j], zero elsewhere in each
    (hp, wp) plane t; check[t] = the sum of v - v over the plane: nan iff it holds an inf or
    a nan. ``x`` and ``out`` are flat; tasks are planes."""
    plane = u64(hp * wp)
    for t in range(t0, t1):
        d0 = u64(t) * plane
        for k in range(plane):
            out[d0 + k] = 0
        s0 = u64(t * h * wd)
        bad = out.dtype.type(0)
        for r in range(h):
            d = d0 + u64((r + ph) * wp + pw)
            s = s0 + u64(r * wd)
            for j in range(u64(wd)):
                v = x[s + j]
                out[d + j] = v
                bad += v - v
        check[t] = bad


@njit(inline="always")
def _tap_offsets(kh, kw, dh, dw, wp):  # type: ignore[no-untyped-def]
    offsets = np.empty(kh * kw, dtype=np.uint64)
    for ki in range(kh):
        for kj in range(kw):
            offsets[ki * kw + kj] = u64(ki * dh * wp + kj * dw)
    return offsets


@njit(cache=True, error_model="numpy", nogil=True, fastmath={"contract"})
def conv_direct(xp, geometry, w, o_ch, groups, crop, y, t0, t1):  # type: ignore[no-untyped-def]
    """y[n, o, i, j] = sum over c in o's group and taps (ki, kj) of
    w[o, c, ki, kj] * xp[n, c, row0 + i + ki*dh, col0 + j + kj*dw], for the padded planes
    ``xp`` of ``pad_planes``: geometry = (C, hp, wp, kh, kw, dh, dw), crop = (row0, col0,
    rows, cols) the part of the full (hp - (kh-1)*dh, wp - (kw-1)*dw) output written to ``y``
    (flat (N, O, rows, cols)). Tasks are (image, pair of output channels of one group): the
    pair shares every load of the input (an odd group's last pair computes its channel
    twice and stores it once). Taps go five (then four, then one) to a pass over the
    accumulators."""
    n_ch, hp, wp, kh, kw, dh, dw = geometry
    row0, col0, rows, cols = crop
    cg = n_ch // groups
    og = o_ch // groups
    pairs = (og + 1) // 2
    ntap = kh * kw
    length = u64(rows * wp)
    plane = u64(hp * wp)
    offsets = _tap_offsets(kh, kw, dh, dw, wp)
    acc0 = np.empty(rows * wp, dtype=y.dtype)
    acc1 = np.empty(rows * wp, dtype=y.dtype)
    for t in range(t0, t1):
        n = t // (groups * pairs)
        rest = t - n * groups * pairs
        g = rest // pairs
        o0 = g * og + 2 * (rest - g * pairs)
        o1 = o0 + 1 if o0 + 1 < (g + 1) * og else o0
        for k in range(length):
            acc0[k] = 0
            acc1[k] = 0
        for cc in range(cg):
            xb = u64(n * n_ch + g * cg + cc) * plane + u64(row0 * wp)
            wa = (o0 * cg + cc) * ntap
            wb = (o1 * cg + cc) * ntap
            q = 0
            while q + 5 <= ntap:
                a0, a1 = xb + offsets[q], xb + offsets[q + 1]
                a2, a3, a4 = xb + offsets[q + 2], xb + offsets[q + 3], xb + offsets[q + 4]
                u0, u1, u2, u3 = w[wa + q], w[wa + q + 1], w[wa + q + 2], w[wa + q + 3]
                v0, v1, v2, v3 = w[wb + q], w[wb + q + 1], w[wb + q + 2], w[wb + q + 3]
                u4, v4 = w[wa + q + 4], w[wb + q + 4]
                for k in range(length):
                    x0, x1, x2, x3 = xp[a0 + k], xp[a1 + k], xp[a2 + k], xp[a3 + k]
                    x4 = xp[a4 + k]
                    acc0[k] += u0 * x0 + u1 * x1 + u2 * x2 + u3 * x3 + u4 * x4
                    acc1[k] += v0 * x0 + v1 * x1 + v2 * x2 + v3 * x3 + v4 * x4
                q += 5
            while q + 4 <= ntap:
                a0, a1 = xb + offsets[q], xb + offsets[q + 1]
                a2, a3 = xb + offsets[q + 2], xb + offsets[q + 3]
                u0, u1, u2, u3 = w[wa + q], w[wa + q + 1], w[wa + q + 2], w[wa + q + 3]
                v0, v1, v2, v3 = w[wb + q], w[wb + q + 1], w[wb + q + 2], w[wb + q + 3]
                for k in range(length):
                    x0, x1, x2, x3 = xp[a0 + k], xp[a1 + k], xp[a2 + k], xp[a3 + k]
                    acc0[k] += u0 * x0 + u1 * x1 + u2 * x2 + u3 * x3
                    acc1[k] += v0 * x0 + v1 * x1 + v2 * x2 + v3 * x3
                q += 4
            while q < ntap:
                a0 = xb + offsets[q]
                u0, v0 = w[wa + q], w[wb + q]
                for k in range(length):
                    x0 = xp[a0 + k]
                    acc0[k] += u0 * x0
                    acc1[k] += v0 * x0
                q += 1
        for o, acc in ((o0, acc0), (o1, acc1)):
            d = u64((n * o_ch + o) * rows * cols)
            for i in range(rows):
                s = u64(i * wp + col0)
                e = d + u64(i * cols)
                for j in range(u64(cols)):
                    y[e + j] = acc[s + j]


@njit(cache=True, error_model="numpy", nogil=True)
def widen(gy, ho, wo, wp, out, t0, t1):  # type: ignore[no-untyped-def]
    """out[t, i, j] = gy[t, i, j] for j < wo, 0 for wo <= j < wp: flat (planes, ho, wo)
    ``gy`` as wide planes of width wp; tasks are planes."""
    for t in range(t0, t1):
        d0 = u64(t * ho * wp)
        s0 = u64(t * ho * wo)
        for i in range(ho):
            d = d0 + u64(i * wp)
            s = s0 + u64(i * wo)
            for j in range(u64(wo)):
                out[d + j] = gy[s + j]
            for j in range(u64(wo), u64(wp)):
                out[d + j] = 0


@njit(cache=True, error_model="numpy", nogil=True, fastmath={"contract", "reassoc"})
def conv_weight_grad(gw, xp, n_img, geometry, o_ch, groups, ho, grad_w, t0, t1):  # type: ignore[no-untyped-def]  # noqa: E501
    """grad_w[o, cc, ki, kj] = sum over images n of the dot product of the wide gradient
    plane gw[n, o] (``widen``: zeros past each row) with xp[n, c] shifted by the tap, for
    xp and geometry as in ``conv_direct`` (c = o's group's first channel + cc). Tasks are
    (pair of output channels of one group, cc): the pair shares the input's loads, four
    taps per pass; each task writes its own weights, so tasks never collide."""
    n_ch, hp, wp, kh, kw, dh, dw = geometry
    cg = n_ch // groups
    og = o_ch // groups
    pairs = (og + 1) // 2
    ntap = kh * kw
    length = u64(ho * wp)
    plane = u64(hp * wp)
    offsets = _tap_offsets(kh, kw, dh, dw, wp)
    sums0 = np.empty(ntap, dtype=grad_w.dtype)
    sums1 = np.empty(ntap, dtype=grad_w.dtype)
    zero = grad_w.dtype.type(0)
    for t in range(t0, t1):
        pair = t // cg
        cc = t - pair * cg
        g = pair // pairs
        o0 = g * og + 2 * (pair - g * pairs)
        o1 = o0 + 1 if o0 + 1 < (g + 1) * og else o0
        c = g * cg + cc
        sums0[:] = 0
        sums1[:] = 0
        for n in range(n_img):
            ga = u64(n * o_ch + o0) * length
            gb = u64(n * o_ch + o1) * length
            xb = u64(n * n_ch + c) * plane
            q = 0
            while q + 4 <= ntap:
                a0, a1 = xb + offsets[q], xb + offsets[q + 1]
                a2, a3 = xb + offsets[q + 2], xb + offsets[q + 3]
                s0, s1, s2, s3 = zero, zero, zero, zero
                r0, r1, r2, r3 = zero, zero, zero, zero
                for k in range(length):
                    x0, x1, x2, x3 = xp[a0 + k], xp[a1 + k], xp[a2 + k], xp[a3 + k]
                    f, h = gw[ga + k], gw[gb + k]
                    s0 += f * x0
                    s1 += f * x1
                    s2 += f * x2
                    s3 += f * x3
                    r0 += h * x0
                    r1 += h * x1
                    r2 += h * x2
                    r3 += h * x3
                sums0[q] += s0
                sums0[q + 1] += s1
                sums0[q + 2] += s2
                sums0[q + 3] += s3
                sums1[q] += r0
                sums1[q + 1] += r1
                sums1[q + 2] += r2
                sums1[q + 3] += r3
                q += 4
            while q < ntap:
                a0 = xb + offsets[q]
                s0, r0 = zero, zero
                for k in range(length):
                    x0 = xp[a0 + k]
                    s0 += gw[ga + k] * x0
                    r0 += gw[gb + k] * x0
                sums0[q] += s0
                sums1[q] += r0
                q += 1
        for q in range(ntap):
            grad_w[(o0 * cg + cc) * ntap + q] = sums0[q]
            grad_w[(o1 * cg + cc) * ntap + q] = sums1[q]
