"""Kernels for the optional neural-network primitives: convolution, pooling, activations,
softmax and a fused Adam update.

Convolution is im2col + one BLAS GEMM per group: ``im2col`` writes the (C*kh*kw, N*Ho*Wo)
patch matrix in parallel over (image, channel) planes, the valid output range of each tap
is computed once (padding, stride and dilation are range arithmetic, the inner loop has no
branch), and ``col2im`` is its adjoint for the input gradient. A direct kernel (taps added
into output planes) was 3-6x slower than numpy's im2col + OpenBLAS for LeNet's layers: its
inner loops run over 8-24-wide rows, too short to vectorise well (``_conv_kernels``' direct
kernels run over whole wide planes instead, and win where the layer has few output
channels). Numba GEMMs lost to OpenBLAS too, even at 32x144x64 (35 against 94 GFLOP/s), so
the products stay in BLAS.

Every kernel here takes flat (C-order) arrays and computes indices itself: slicing a numba
array costs tens of nanoseconds, which made the first version of im2col 6x slower on the
digits network's 4x4 planes than this one. The indices are unsigned (``u64``): a signed
index makes numba wrap negative values around (``i < 0 ? i + n : i``) on every access, which
kept LLVM from vectorising and cost 2.3-2.6x on every im2col shape of LeNet and the digits
network (and 10x on a plain copy loop).
"""

import math

import numpy as np
from numba import njit
from numba import uint64 as u64

from plugtorch_numba import _fastmath as _fm


@njit(cache=True, error_model="numpy", nogil=True)
def _window_offsets(ho, wo, sh, sw, wp):  # type: ignore[no-untyped-def]
    """offsets[i*wo + j] = i*sh*wp + j*sw: where output (i, j) of a tap reads a padded plane
    of width wp. One gather loop of ho*wo per tap, instead of ho loops of wo (4 elements
    in the digits network, where the per-row loop set-up cost more than the copy)."""
    offsets = np.empty(ho * wo, dtype=np.uint64)
    for i in range(ho):
        for j in range(wo):
            offsets[i * wo + j] = i * sh * wp + j * sw
    return offsets


@njit(inline="always")
def _pad_plane(x, src, h, wd, ph, pw, padded):  # type: ignore[no-untyped-def]
    """padded[(r + ph)*wp + pw + j] = x[src + r*wd + j]; the border is left as it is."""
    wp = wd + 2 * pw
    for r in range(h):
        d = u64((r + ph) * wp + pw)
        s = src + u64(r * wd)
        for j in range(u64(wd)):
            padded[d + j] = x[s + j]


_ROW_LOOP = 8
"""Output rows at least this wide (column stride 1) are copied row by row, contiguous and
vectorised; narrower ones through the offset table (see ``_window_offsets``)."""


@njit(cache=True, error_model="numpy", nogil=True)
def im2col(x, shape, kernel, stride, padding, dilation, out_hw, cols, t0, t1):  # type: ignore[no-untyped-def]  # noqa: E501
    """cols[(c*kh + ki)*kw + kj, n*L + i*wo + j] = x[n, c, i*sh + ki*dh - ph, j*sw + kj*dw - pw]
    (zero outside x), L = ho*wo: the matrix a convolution multiplies by its weights.

    ``x`` and ``cols`` are flat (C order); ``shape`` is x's (N, C, H, W); tasks are (n, c)
    planes. Each plane is first copied into a zero-bordered scratch plane, so the copy loops
    have no padding branches (short rows: the digits network's planes are 4 wide)."""
    n_img, n_ch, h, wd = shape
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    ho, wo = out_hw
    length = ho * wo
    ncols = n_img * length
    wp = wd + 2 * pw
    padded = np.zeros((h + 2 * ph) * wp, dtype=cols.dtype)
    offsets = _window_offsets(ho, wo, sh, sw, wp)
    rows = sw == 1 and wo >= _ROW_LOOP
    for t in range(t0, t1):
        n = t // n_ch
        c = t - n * n_ch
        _pad_plane(x, u64(t * h * wd), h, wd, ph, pw, padded)
        for ki in range(kh):
            for kj in range(kw):
                dst = u64(((c * kh + ki) * kw + kj) * ncols + n * length)
                base = u64(ki * dh * wp + kj * dw)
                if rows:
                    for i in range(ho):
                        s = base + u64(i * sh * wp)
                        d = dst + u64(i * wo)
                        for j in range(u64(wo)):
                            cols[d + j] = padded[s + j]
                    continue
                for k in range(u64(length)):
                    cols[dst + k] = padded[base + offsets[k]]


@njit(cache=True, error_model="numpy", nogil=True)
def col2im(cols, shape, kernel, stride, padding, dilation, out_hw, gx, t0, t1):  # type: ignore[no-untyped-def]  # noqa: E501
    """The adjoint of ``im2col`` (same flat arguments): gx[n, c] = the sum over taps of the
    scattered rows of cols, accumulated in a zero-bordered scratch plane. With a column
    stride of 1 and rows of at least ``_ROW_LOOP`` outputs, each tap adds row by row
    (contiguous, vectorised): 1.8x faster than the offset table's scatter on LeNet's second
    layer (10-wide rows), slower on the digits network's 4-wide ones."""
    n_img, n_ch, h, wd = shape
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    ho, wo = out_hw
    length = ho * wo
    ncols = n_img * length
    wp = wd + 2 * pw
    padded = np.empty((h + 2 * ph) * wp, dtype=gx.dtype)
    offsets = _window_offsets(ho, wo, sh, sw, wp)
    rows = sw == 1 and wo >= _ROW_LOOP
    for t in range(t0, t1):
        n = t // n_ch
        c = t - n * n_ch
        padded[:] = 0
        for ki in range(kh):
            for kj in range(kw):
                src = u64(((c * kh + ki) * kw + kj) * ncols + n * length)
                base = u64(ki * dh * wp + kj * dw)
                if rows:
                    for i in range(ho):
                        d = base + u64(i * sh * wp)
                        s = src + u64(i * wo)
                        for j in range(u64(wo)):
                            padded[d + j] += cols[s + j]
                    continue
                for k in range(u64(length)):
                    padded[base + offsets[k]] += cols[src + k]
        dst = u64(t * h * wd)
        for r in range(h):
            s = u64((r + ph) * wp + pw)
            d = dst + u64(r * wd)
            for j in range(u64(wd)):
                gx[d + j] = padded[s + j]


@njit(cache=True, error_model="numpy", nogil=True)
def swap_leading(y, a, b, length, out, t0, t1):  # type: ignore[no-untyped-def]
    """out[j, i, :] = y[i, j, :] for flat (a, b, length) ``y`` and (b, a, length) ``out``:
    a GEMM's (O, N*L) result to (N, O, L) images, and back."""
    for t in range(t0, t1):
        i = t // b
        j = t - i * b
        s = u64(t * length)
        d = u64((j * a + i) * length)
        for k in range(u64(length)):
            out[d + k] = y[s + k]


@njit(inline="always")
def _better(v, best):  # type: ignore[no-untyped-def]
    # nan wins, the first maximum is kept. Bitwise, not ``or``/``and``: the callers turn it
    # into selects, no branches. With branches a pooling layer ran 4x slower on fresh data
    # (97 us against 25 us when the same input repeated and the predictor had learnt it).
    return (v > best) | ((v != v) & (best == best))  # noqa: PLR0124


@njit(cache=True, error_model="numpy", nogil=True)
def max_pool2d_forward(x, shape, kernel, stride, padding, out_hw, out, argmax, t0, t1):  # type: ignore[no-untyped-def]  # noqa: E501
    """Flat (C order) ``x``, ``out`` and ``argmax`` (index within the input plane, -1 for an
    empty window); tasks are (n, c) planes. nan wins, the first maximum is kept."""
    n_img, n_ch, h, wd = shape
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    ho, wo = out_hw
    for t in range(t0, t1):
        src = t * h * wd
        dst = t * ho * wo
        for i in range(ho):
            r0 = i * sh - ph
            ra = max(r0, 0)
            rb = min(r0 + kh, h)
            for j in range(wo):
                c0 = j * sw - pw
                ca = max(c0, 0)
                cb = min(c0 + kw, wd)
                o = dst + i * wo + j
                if ra >= rb or ca >= cb:
                    out[o] = -np.inf
                    argmax[o] = -1
                    continue
                best_index = ra * wd + ca
                best = x[src + best_index]
                for a in range(ra, rb):
                    for b in range(ca, cb):
                        v = x[src + a * wd + b]
                        c = _better(v, best)
                        best = v if c else best
                        best_index = a * wd + b if c else best_index
                out[o] = best
                argmax[o] = best_index


@njit(cache=True, error_model="numpy", nogil=True)
def max_pool2d_2x2(x, shape, out_hw, out, argmax, t0, t1):  # type: ignore[no-untyped-def]
    """``max_pool2d_forward`` for the common 2x2 window, stride 2, no padding, in two passes
    per output row: the better of each pair of input rows over the whole row (contiguous
    loads: it vectorises), then the better of each pair of columns of that, where a tie
    (or two nans) goes to the smaller input index, so the first maximum in row-major order
    wins as in the generic kernel. 1.4-2.5x faster than one pass over the four values of
    each window with stride-2 loads (0.19-0.33 against 0.47-0.54 ms on LeNet's first
    layer, 64x6x28x28, one thread, loaded machine)."""
    h, wd = shape[2], shape[3]
    ho, wo = out_hw
    row = u64(wd)
    best = np.empty(wd, dtype=x.dtype)
    at = np.empty(wd, dtype=np.int64)
    for t in range(t0, t1):
        src = u64(t * h * wd)
        dst = u64(t * ho * wo)
        for i in range(ho):
            base = u64(2 * i * wd)  # (all unsigned: a signed/unsigned mix is a float in numba)
            for k in range(row):
                a = x[src + base + k]
                c = x[src + base + row + k]
                below = _better(c, a)
                best[k] = c if below else a
                at[k] = base + row + k if below else base + k
            o0 = dst + u64(i * wo)
            for j in range(u64(wo)):
                a, b = best[2 * j], best[2 * j + 1]
                ia, ib = at[2 * j], at[2 * j + 1]
                same = (a == b) | ((a != a) & (b != b))  # noqa: PLR0124 (two nans)
                right = _better(b, a) | (same & (ib < ia))
                out[o0 + j] = b if right else a
                argmax[o0 + j] = ib if right else ia


@njit(cache=True, error_model="numpy", nogil=True)
def max_pool2d_2x2_tree(x, shape, out_hw, out, argmax, t0, t1):  # type: ignore[no-untyped-def]
    """``max_pool2d_2x2`` for planes under 8 wide (the digits network's second layer), one window
    at a time, unrolled: the generic window loops cost 3x more per output on small planes,
    and the two passes of ``max_pool2d_2x2`` 1.5-2.6x more on 4-wide ones (36-68 against
    24-26 us, 32x32x4x4)."""
    h, wd = shape[2], shape[3]
    ho, wo = out_hw
    for t in range(t0, t1):
        src = t * h * wd
        dst = t * ho * wo
        for i in range(ho):
            r0 = src + 2 * i * wd
            r1 = r0 + wd
            o0 = dst + i * wo
            for j in range(wo):
                # a pairwise tree (top pair, bottom pair, then the two winners) keeps the
                # first maximum and the first nan, with a shorter dependency chain than a
                # running maximum (33 against 50 us on the digits network's first layer)
                a = x[r0 + 2 * j]
                b = x[r0 + 2 * j + 1]
                c = x[r1 + 2 * j]
                d = x[r1 + 2 * j + 1]
                take_b = _better(b, a)
                top = b if take_b else a
                top_at = 1 if take_b else 0
                take_d = _better(d, c)
                bottom = d if take_d else c
                bottom_at = wd + 1 if take_d else wd
                take_bottom = _better(bottom, top)
                out[o0 + j] = bottom if take_bottom else top
                argmax[o0 + j] = 2 * i * wd + 2 * j + (bottom_at if take_bottom else top_at)


@njit(cache=True, error_model="numpy", nogil=True)
def max_pool2d_backward(gy, argmax, plane_out, plane_in, gx, t0, t1):  # type: ignore[no-untyped-def]  # noqa: E501
    """gx (flat) = grad_y scattered to the argmax positions; indices already validated."""
    for t in range(t0, t1):
        base = u64(t * plane_in)
        for k in range(u64(plane_in)):
            gx[base + k] = 0
        src = u64(t * plane_out)
        for k in range(u64(plane_out)):
            m = argmax[src + k]
            if m >= 0:
                gx[base + u64(m)] += gy[src + k]


@njit(cache=True, error_model="numpy", nogil=True)
def avg_pool2d_forward(x, shape, kernel, stride, padding, out_hw, out, t0, t1):  # type: ignore[no-untyped-def]  # noqa: E501
    """Flat arguments as in ``max_pool2d_forward``; padding counts in the divisor."""
    n_img, n_ch, h, wd = shape
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    ho, wo = out_hw
    scale = 1.0 / (kh * kw)
    for t in range(t0, t1):
        src = t * h * wd
        dst = t * ho * wo
        for i in range(ho):
            r0 = i * sh - ph
            for j in range(wo):
                c0 = j * sw - pw
                acc = 0.0
                for a in range(max(r0, 0), min(r0 + kh, h)):
                    for b in range(max(c0, 0), min(c0 + kw, wd)):
                        acc += x[src + a * wd + b]
                out[dst + i * wo + j] = acc * scale


@njit(cache=True, error_model="numpy", nogil=True)
def avg_pool2d_backward(gy, shape, kernel, stride, padding, out_hw, gx, t0, t1):  # type: ignore[no-untyped-def]  # noqa: E501
    """The adjoint of ``avg_pool2d_forward``; ``shape`` is the input's."""
    n_img, n_ch, h, wd = shape
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    ho, wo = out_hw
    scale = 1.0 / (kh * kw)
    for t in range(t0, t1):
        base = t * h * wd
        for k in range(h * wd):
            gx[base + k] = 0
        src = t * ho * wo
        for i in range(ho):
            r0 = i * sh - ph
            for j in range(wo):
                c0 = j * sw - pw
                g = gy[src + i * wo + j] * scale
                for a in range(max(r0, 0), min(r0 + kh, h)):
                    for b in range(max(c0, 0), min(c0 + kw, wd)):
                        gx[base + a * wd + b] += g


@njit(cache=True, error_model="numpy", nogil=True, fastmath={"arcp", "contract", "reassoc"})
def softmax_rows(x, maxima, out, log, t0, t1):  # type: ignore[no-untyped-def]
    """Softmax (or log-softmax) of each row of a C-contiguous 2-D array, max-subtracted.
    exp is ``_fastmath.exp`` (vectorised for float32); the sum may be reassociated. The rows'
    maxima (nan where a row holds one) come in ``maxima``, or, when it is empty, are found
    here: numba does not vectorise a max, so the caller has numpy find those of long rows."""
    m, k = x.shape
    for i in range(t0, t1):
        row = x[i]
        if maxima.size:
            top = maxima[i]
        else:
            top = row[0]
            for j in range(1, k):
                v = row[j]
                top = _fm.select((v > top) | (v != v), v, top)  # noqa: PLR0124 (nan wins)
        if math.isinf(top):  # all -inf, or +inf present: let the arithmetic give nan like numpy
            top = top - top if top < 0 else top
        total = x.dtype.type(0.0)
        dst = out[i]
        for j in range(k):
            e = _fm.exp(row[j] - top)
            dst[j] = e
            total += e
        if log:
            lt = np.log(total)
            for j in range(k):
                dst[j] = row[j] - top - lt
        else:
            inv = x.dtype.type(1.0) / total
            for j in range(k):
                dst[j] = dst[j] * inv


@njit(cache=True, error_model="numpy", nogil=True, fastmath={"contract"})
def adam_update(param, grad, m, v, lr, beta1, beta2, eps, weight_decay, step, decoupled, t0, t1):  # type: ignore[no-untyped-def]
    """torch.optim.Adam / AdamW (decoupled) in one pass, written into ``param``, ``m`` and
    ``v`` (the arrays the kernel writes are the ones it reads: no aliasing for LLVM to guard
    against, as in ``sgd_update``). The per-step scalars are computed in float64, the update
    in the parameter's dtype (as the core's tensor ops do it: float32 math vectorises twice as
    wide, and float32 sqrt and division are several times faster). Unsigned indices (see the
    top of this module)."""
    kind = param.dtype.type
    bias1 = 1.0 - beta1**step
    step_size = kind(lr / bias1)
    bias2_sqrt = kind(math.sqrt(1.0 - beta2**step))
    shrink = kind(1.0 - lr * weight_decay)
    decay = kind(weight_decay)
    b1, b2 = kind(beta1), kind(beta2)
    c1, c2 = kind(1.0 - beta1), kind(1.0 - beta2)
    epsilon = kind(eps)
    if decoupled:
        for i in range(u64(t0), u64(t1)):
            g = grad[i]
            mi = b1 * m[i] + c1 * g
            vi = b2 * v[i] + c2 * g * g
            m[i] = mi
            v[i] = vi
            param[i] = param[i] * shrink - step_size * mi / (math.sqrt(vi) / bias2_sqrt + epsilon)
    elif weight_decay != 0.0:
        for i in range(u64(t0), u64(t1)):
            p = param[i]
            g = grad[i] + decay * p
            mi = b1 * m[i] + c1 * g
            vi = b2 * v[i] + c2 * g * g
            m[i] = mi
            v[i] = vi
            param[i] = p - step_size * mi / (math.sqrt(vi) / bias2_sqrt + epsilon)
    else:
        for i in range(u64(t0), u64(t1)):
            p = param[i]
            g = grad[i]
            mi = b1 * m[i] + c1 * g
            vi = b2 * v[i] + c2 * g * g
            m[i] = mi
            v[i] = vi
            param[i] = p - step_size * mi / (math.sqrt(vi) / bias2_sqrt + epsilon)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _sgd_element(p, grad, buf, neg_lr, mom, keep, decay, sign, use_decay, nesterov, first):
    """One element of the SGD update: (new buffer, new parameter)."""
    g = grad * sign  # -g and g * -1 are the same number
    if use_decay:
        g = g + p * decay
    b = g if first else buf * mom + keep * g
    return b, p + neg_lr * (g + b * mom if nesterov else b)


@njit(cache=True, error_model="numpy", nogil=True)
def sgd_update(
    param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, maximize, first_step, t0, t1
):  # type: ignore[no-untyped-def]
    """torch.optim.SGD with momentum in one pass, written into ``param`` and ``buf`` (the
    arrays the kernel writes are the ones it reads: no aliasing for LLVM to guard against,
    which made a version with separate outputs 1.7x slower). Every operation rounds to the
    parameter's dtype in the order of the core's decomposition (no fused multiply-add: no
    ``fastmath``), so results agree with it to the last bit. Unsigned indices (see the top of
    this module). The options are loop-invariant tests: a loop of its own for plain momentum
    was 5 % faster, not worth the second loop."""
    kind = param.dtype.type
    neg_lr, mom = kind(-lr), kind(momentum)
    keep, decay = kind(1.0 - dampening), kind(weight_decay)
    sign = kind(-1.0) if maximize else kind(1.0)
    use_decay = weight_decay != 0.0
    for i in range(u64(t0), u64(t1)):
        b, p = _sgd_element(
            param[i], grad[i], buf[i], neg_lr, mom, keep, decay, sign, use_decay, nesterov,
            first_step,
        )  # fmt: skip
        buf[i] = b
        param[i] = p
