"""Kernels of the fused nn primitives: layer norm, GELU, cross-entropy and the LSTM cell
(forward and backward).

Each kernel makes one or two passes over its rows where the core's decomposition runs five to
fifteen ops (each a pass over memory and a fresh array). Kernels are serial over a task range
``[t0, t1)`` (``_threads.parallel_blocks`` spreads tasks over the cores); arrays are
C-contiguous 2-D; sums run in the input's dtype with reassociation allowed (``fastmath``:
they vectorise), in another order than numpy's pairwise sums: results agree with the numpy
backend to rounding, not bitwise.

Column sums (the gradients of a layer's weight and bias) are split by *row blocks*: task
``t`` adds its rows into ``partial[t]`` and the caller sums the few partial rows, so no two
threads write the same memory.
"""

import math

import numpy as np
from numba import njit

from plugtorch_numba import _fastmath as _fm

# Reassociation lets sums vectorise; no "nnan"/"ninf"/"nsz": nan, inf and -0.0 stay as they are.
_FAST = {"arcp", "contract", "reassoc"}


@njit(cache=True, error_model="numpy", nogil=True, fastmath=_FAST)
def layer_norm_rows(x, weight, bias, eps, y, mean, rstd, t0, t1):  # type: ignore[no-untyped-def]
    """y[i] = (x[i] - mean_i) * rstd_i * weight + bias for rows i in [t0, t1); ``weight`` and
    ``bias`` of size 0 mean none. mean and rstd (1/sqrt(biased var + eps)) are stored."""
    n = x.shape[1]
    inv_n = x.dtype.type(1.0) / x.dtype.type(n)
    has_w = weight.size > 0
    has_b = bias.size > 0
    for i in range(t0, t1):
        row = x[i]
        total = x.dtype.type(0.0)
        for j in range(n):
            total += row[j]
        mu = total * inv_n
        squares = x.dtype.type(0.0)
        for j in range(n):
            d = row[j] - mu
            squares += d * d
        r = x.dtype.type(1.0 / math.sqrt(squares * inv_n + eps))
        mean[i] = mu
        rstd[i] = r
        out = y[i]
        if has_w and has_b:
            for j in range(n):
                out[j] = (row[j] - mu) * r * weight[j] + bias[j]
        elif has_w:
            for j in range(n):
                out[j] = (row[j] - mu) * r * weight[j]
        elif has_b:
            for j in range(n):
                out[j] = (row[j] - mu) * r + bias[j]
        else:
            for j in range(n):
                out[j] = (row[j] - mu) * r


@njit(cache=True, error_model="numpy", nogil=True, fastmath=_FAST)
def layer_norm_backward_rows(  # type: ignore[no-untyped-def]
    grad, x, weight, mean, rstd, need_x, gx, partial_w, partial_b, rows_per_task, t0, t1
):
    """For tasks t in [t0, t1) (rows [t * rows_per_task, ...)): grad_x rows (when ``need_x``)
    and this task's column sums of grad * xhat and grad into partial_w[t], partial_b[t]
    (``partial_w``/``partial_b`` with 0 rows: not wanted)."""
    m, n = x.shape
    inv_n = x.dtype.type(1.0) / x.dtype.type(n)
    has_w = weight.size > 0
    want_w = partial_w.shape[0] > 0
    want_b = partial_b.shape[0] > 0
    for t in range(t0, t1):
        if want_w:
            partial_w[t, :] = 0
        if want_b:
            partial_b[t, :] = 0
        for i in range(t * rows_per_task, min((t + 1) * rows_per_task, m)):
            g = grad[i]
            row = x[i]
            mu = mean[i]
            r = rstd[i]
            if want_w:
                pw = partial_w[t]
                for j in range(n):
                    pw[j] += g[j] * ((row[j] - mu) * r)
            if want_b:
                pb = partial_b[t]
                for j in range(n):
                    pb[j] += g[j]
            if not need_x:
                continue
            sum_h = x.dtype.type(0.0)
            sum_hx = x.dtype.type(0.0)
            if has_w:
                for j in range(n):
                    h = g[j] * weight[j]
                    sum_h += h
                    sum_hx += h * ((row[j] - mu) * r)
            else:
                for j in range(n):
                    sum_h += g[j]
                    sum_hx += g[j] * ((row[j] - mu) * r)
            mean_h = sum_h * inv_n
            mean_hx = sum_hx * inv_n
            out = gx[i]
            if has_w:
                for j in range(n):
                    xhat = (row[j] - mu) * r
                    out[j] = r * (g[j] * weight[j] - mean_h - xhat * mean_hx)
            else:
                for j in range(n):
                    xhat = (row[j] - mu) * r
                    out[j] = r * (g[j] - mean_h - xhat * mean_hx)


# --- GELU (float32; float64 takes the numpy backend's path) ---------------------------------
BLOCK = 16384  # elements per task of the elementwise kernels
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
_A0, _A1, _A2, _A3, _A4 = (np.float32(a) for a in _ERF_A)
_P = np.float32(0.3275911)
_HALF, _ONE, _ZERO = np.float32(0.5), np.float32(1.0), np.float32(0.0)
_RSQRT2 = np.float32(1 / math.sqrt(2.0))
_RSQRT_2PI = np.float32(1 / math.sqrt(2 * math.pi))
_TANH_SCALE = np.float32(math.sqrt(2 / math.pi))
_CUBIC = np.float32(0.044715)


@njit(inline="always")
def _erf_and_gaussian(s):  # type: ignore[no-untyped-def]
    """(erf(s), exp(-s^2)) by the core's formula (Abramowitz & Stegun 7.1.26)."""
    a = abs(s)
    t = _ONE / (_ONE + _P * a)
    poly = ((((_A4 * t + _A3) * t + _A2) * t + _A1) * t + _A0) * t
    gaussian = _fm.exp(-(a * a))
    value = _ONE - poly * gaussian
    value = _fm.select(s > _ZERO, value, -value)
    return _fm.select((s == _ZERO) | (s != s), s, value), gaussian  # noqa: PLR0124


@njit(cache=True, error_model="numpy", nogil=True, fastmath=_FAST)
def gelu_blocks(x, tanh_form, out, t0, t1):  # type: ignore[no-untyped-def]
    """out = gelu(x) over flat float32 arrays, elements [t0 * BLOCK, t1 * BLOCK)."""
    # (slices, so the loop index starts at 0 and is known non-negative: with a signed start
    # numba wraps negative indices, which kept LLVM from vectorising: 2x slower)
    src, dst = x[t0 * BLOCK : t1 * BLOCK], out[t0 * BLOCK : t1 * BLOCK]
    if tanh_form:
        for i in range(src.size):
            v = src[i]
            th = _fm.tanh(_TANH_SCALE * (v + _CUBIC * v * v * v))
            dst[i] = _HALF * v * (_ONE + th)
    else:
        for i in range(src.size):
            v = src[i]
            erf, _ = _erf_and_gaussian(v * _RSQRT2)
            dst[i] = v * (_HALF * (_ONE + erf))


@njit(cache=True, error_model="numpy", nogil=True, fastmath=_FAST)
def gelu_backward_blocks(grad, x, tanh_form, out, t0, t1):  # type: ignore[no-untyped-def]
    """out = grad * gelu'(x) over flat float32 arrays, elements [t0 * BLOCK, t1 * BLOCK)."""
    lo, hi = t0 * BLOCK, t1 * BLOCK
    gs, src, dst = grad[lo:hi], x[lo:hi], out[lo:hi]
    if tanh_form:
        for i in range(src.size):
            v = src[i]
            th = _fm.tanh(_TANH_SCALE * (v + _CUBIC * v * v * v))
            slope = _TANH_SCALE * (_ONE + np.float32(3.0) * _CUBIC * v * v)
            g = gs[i]
            dst[i] = g * (_HALF * (_ONE + th)) + g * (_HALF * v) * ((_ONE - th * th) * slope)
    else:
        for i in range(src.size):
            v = src[i]
            erf, gaussian = _erf_and_gaussian(v * _RSQRT2)
            g = gs[i]
            dst[i] = g * (_HALF * (_ONE + erf)) + g * v * (gaussian * _RSQRT_2PI)


# --- cross-entropy of logits and class indices -----------------------------------------------
@njit(cache=True, error_model="numpy", nogil=True, fastmath=_FAST)
def cross_entropy_rows(x, target, ignore_index, loss, top, log_total, t0, t1):  # type: ignore[no-untyped-def]  # noqa: E501
    """For rows [t0, t1), given top[i] = max(x[i]) (nan if the row holds one):
    log_total[i] = log(sum(exp(x[i] - top[i]))) and loss[i] = -((x[i, target[i]] - top[i]) -
    log_total[i]) (0 where target[i] is ignore_index), the order of the core's
    -log_softmax(x)[target]."""
    k = x.shape[1]
    zero = x.dtype.type(0.0)
    for i in range(t0, t1):
        row = x[i]
        most = top[i]
        total = zero
        for j in range(k):
            total += _fm.exp(row[j] - most)
        log_sum = x.dtype.type(math.log(total))
        t = target[i]
        loss[i] = zero if t == ignore_index else -((row[t] - most) - log_sum)
        log_total[i] = log_sum


@njit(cache=True, error_model="numpy", nogil=True, fastmath=_FAST)
def cross_entropy_backward_rows(grad, x, target, ignore_index, top, log_total, out, t0, t1):  # type: ignore[no-untyped-def]  # noqa: E501
    """out[i] = grad[i] * (exp(x[i] - top[i] - log_total[i]) - onehot(target[i])), with grad 0
    in ignored rows."""
    k = x.shape[1]
    for i in range(t0, t1):
        t = target[i]
        g = x.dtype.type(0.0) if t == ignore_index else grad[i]
        row = x[i]
        most = top[i]
        log_sum = log_total[i]
        dst = out[i]
        for j in range(k):
            dst[j] = g * _fm.exp((row[j] - most) - log_sum)
        if t != ignore_index:
            dst[t] -= g


# --- the LSTM cell (one time step of lstm_layer and its backward) -----------------------------
@njit(cache=True, error_model="numpy", nogil=True, fastmath=_FAST)
def lstm_cell_rows(x_proj, gates, c_prev, c_out, h_out, t0, t1):  # type: ignore[no-untyped-def]
    """For rows [t0, t1): gates (N, 4H) holds h_{t-1} W_hh^T on entry and the activated
    [i, f, g, o] (with x_proj added) on exit; c_out = f c_prev + i g, h_out = o tanh(c_out)."""
    hidden = c_prev.shape[1]
    for n in range(t0, t1):
        pre = gates[n]
        x = x_proj[n]
        for j in range(hidden):
            i = _fm.sigmoid(pre[j] + x[j])
            f = _fm.sigmoid(pre[hidden + j] + x[hidden + j])
            g = _fm.tanh(pre[2 * hidden + j] + x[2 * hidden + j])
            o = _fm.sigmoid(pre[3 * hidden + j] + x[3 * hidden + j])
            pre[j] = i
            pre[hidden + j] = f
            pre[2 * hidden + j] = g
            pre[3 * hidden + j] = o
            c = f * c_prev[n, j] + i * g
            c_out[n, j] = c
            h_out[n, j] = o * _fm.tanh(c)


@njit(cache=True, error_model="numpy", nogil=True, fastmath=_FAST)
def lstm_cell_backward_rows(grad_h, dh_next, dc, gates, c, c_prev, grad_gates, t0, t1):  # type: ignore[no-untyped-def]  # noqa: E501
    """One step back: dh = grad_h + dh_next; dc (the gradient of c_t on entry) gains
    dh o (1 - tanh(c)^2); grad_gates (N, 4H) = the gradients of the pre-activations; on exit
    dc holds the gradient of c_{t-1} (dc * f)."""
    hidden = c.shape[1]
    one = c.dtype.type(1.0)
    for n in range(t0, t1):
        act = gates[n]
        out = grad_gates[n]
        for j in range(hidden):
            i = act[j]
            f = act[hidden + j]
            g = act[2 * hidden + j]
            o = act[3 * hidden + j]
            tanh_c = _fm.tanh(c[n, j])
            dh = grad_h[n, j] + dh_next[n, j]
            d_cell = dc[n, j] + dh * o * (one - tanh_c * tanh_c)
            out[j] = d_cell * g * (i * (one - i))
            out[hidden + j] = d_cell * c_prev[n, j] * (f * (one - f))
            out[2 * hidden + j] = d_cell * i * (one - g * g)
            out[3 * hidden + j] = dh * tanh_c * (o * (one - o))
            dc[n, j] = d_cell * f


# --- softmax's gradient -------------------------------------------------------------------
@njit(cache=True, error_model="numpy", nogil=True, fastmath=_FAST)
def softmax_backward_rows(grad, y, out, t0, t1):  # type: ignore[no-untyped-def]
    """out[i] = y[i] * (grad[i] - sum(grad[i] * y[i])) for rows [t0, t1) of 2-D arrays."""
    k = y.shape[1]
    for i in range(t0, t1):
        g = grad[i]
        s = y[i]
        dot = y.dtype.type(0.0)
        for j in range(k):
            dot += g[j] * s[j]
        dst = out[i]
        for j in range(k):
            dst[j] = s[j] * (g[j] - dot)


# --- attention: the scaled, causally masked softmax of the scores, and its gradient ----------
@njit(cache=True, error_model="numpy", nogil=True, fastmath=_FAST)
def attention_softmax_rows(scores, length, scale, causal, t0, t1):  # type: ignore[no-untyped-def]
    """In place, rows [t0, t1) of scores (B * L, S): softmax(row * scale) with the keys a
    causal query may not see (key j > query i, i = row % L) at -inf, as the core's
    masked_fill before its softmax (so a nan or -inf row gives what the core's gives). The
    hidden keys are not computed: their weight is 0 * (1 / total), which is nan exactly where
    the core's exp(-inf - max) / total is (a nan or +inf among the seen keys)."""
    source = scores.shape[1]
    zero = scores.dtype.type(0.0)
    hidden = scores.dtype.type(-np.inf)
    for r in range(t0, t1):
        row = scores[r]
        seen = min(r % length + 1, source) if causal else source
        top = hidden
        for j in range(seen):
            v = row[j] * scale
            top = _fm.select((v > top) | (v != v), v, top)  # noqa: PLR0124 (nan wins)
        total = zero
        for j in range(seen):
            e = _fm.exp(row[j] * scale - top)
            row[j] = e
            total += e
        inv = scores.dtype.type(1.0) / total
        for j in range(seen):
            row[j] = row[j] * inv
        for j in range(seen, source):
            row[j] = zero * inv


@njit(cache=True, error_model="numpy", nogil=True, fastmath=_FAST)
def attention_softmax_backward_rows(d_scores, weights, length, scale, causal, t0, t1):  # type: ignore[no-untyped-def]  # noqa: E501
    """In place, rows [t0, t1): d_scores = weights * (d_scores - sum(d_scores * weights)) *
    scale (the gradient of the scaled scores from that of the weights), exactly 0 where a
    causal query may not see the key (the core's masked_fill passes no gradient there)."""
    source = weights.shape[1]
    zero = weights.dtype.type(0.0)
    for r in range(t0, t1):
        d = d_scores[r]
        p = weights[r]
        seen = min(r % length + 1, source) if causal else source
        dot = zero
        for j in range(source):
            dot += d[j] * p[j]
        for j in range(source):
            d[j] = _fm.select(j < seen, (d[j] - dot) * p[j] * scale, zero)


# --- a bias row added into a product's rows -------------------------------------------------
@njit(cache=True, error_model="numpy", nogil=True)
def add_rows_inplace(x, row, t0, t1):  # type: ignore[no-untyped-def]
    """x[r, :] += row for the rows [t0, t1) of a C-contiguous 2-D ``x`` (``row`` shares none
    of its memory: the loop vectorises, where the generated 2-D kernel writing into its own
    input cannot)."""
    n = row.size
    for r in range(t0, t1):
        xr = x[r]
        for j in range(n):
            xr[j] += row[j]


# --- relu and its gradient ------------------------------------------------------------------
@njit(cache=True, error_model="numpy", nogil=True)
def relu_blocks(x, out, t0, t1):  # type: ignore[no-untyped-def]
    """out = 0 where x < 0, else x (so relu(-0.0) is -0.0 and relu(nan) is nan, as PyTorch's),
    over flat arrays, elements [t0 * BLOCK, t1 * BLOCK)."""
    zero = out.dtype.type(0.0)
    lo, hi = t0 * BLOCK, t1 * BLOCK
    src, dst = x[lo:hi], out[lo:hi]
    for i in range(src.size):
        dst[i] = _fm.select(src[i] < zero, zero, src[i])


@njit(cache=True, error_model="numpy", nogil=True)
def relu_backward_blocks(grad, y, out, t0, t1):  # type: ignore[no-untyped-def]
    """out = grad where y > 0, else 0, over flat arrays, elements [t0 * BLOCK, t1 * BLOCK)."""
    zero = out.dtype.type(0.0)
    lo, hi = t0 * BLOCK, t1 * BLOCK
    gs, ys, dst = grad[lo:hi], y[lo:hi], out[lo:hi]
    for i in range(ys.size):
        dst[i] = _fm.select(ys[i] > zero, gs[i], zero)


# --- sigmoid and silu (float32; float64 takes numpy's SIMD exp) -----------------------------
@njit(cache=True, error_model="numpy", nogil=True, fastmath=_FAST)
def sigmoid_blocks(x, out, t0, t1):  # type: ignore[no-untyped-def]
    """out = 1 / (1 + exp(-x)), stable for large |x|, elements [t0 * BLOCK, t1 * BLOCK)."""
    src, dst = x[t0 * BLOCK : t1 * BLOCK], out[t0 * BLOCK : t1 * BLOCK]
    for i in range(src.size):
        dst[i] = _fm.sigmoid(src[i])


@njit(cache=True, error_model="numpy", nogil=True, fastmath=_FAST)
def silu_blocks(x, out, t0, t1):  # type: ignore[no-untyped-def]
    """out = x * sigmoid(x), elements [t0 * BLOCK, t1 * BLOCK)."""
    src, dst = x[t0 * BLOCK : t1 * BLOCK], out[t0 * BLOCK : t1 * BLOCK]
    for i in range(src.size):
        v = src[i]
        dst[i] = v * _fm.sigmoid(v)
