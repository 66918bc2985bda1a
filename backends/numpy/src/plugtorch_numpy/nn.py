"""Fused nn primitives for the numpy reference backend, written with numpy: layer norm, GELU,
cross-entropy.

Each computes what the core's decomposition of the same op computes (the conformance suite
compares the two), in a few whole-array numpy calls that reuse their buffers instead of one
core op (and one fresh array) per step. Signatures and semantics are those of
``OPTIONAL_PRIMITIVES`` in :mod:`plugtorch.backend.protocol`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from plugtorch.backend.array_api import is_half

__all__ = [
    "layer_norm",
    "layer_norm_backward",
    "gelu",
    "gelu_backward",
    "cross_entropy",
    "cross_entropy_backward",
    "softmax_backward",
    "relu",
    "relu_backward",
]

Array = np.ndarray


def layer_norm(
    x: Array, weight: Array | None, bias: Array | None, eps: float
) -> tuple[Array, tuple[Array, Array]]:
    """Rows of ``x (M, N)`` to mean 0 and variance 1 (biased), times weight plus bias; also
    each row's mean and ``rstd = 1 / sqrt(var + eps)``."""
    n = x.shape[1]
    mean = np.add.reduce(x, axis=1, dtype=x.dtype) / x.dtype.type(n)
    y = x - mean[:, None]
    var = np.einsum("ij,ij->i", y, y) / x.dtype.type(n)
    rstd = np.sqrt(var + x.dtype.type(eps))
    np.divide(x.dtype.type(1), rstd, out=rstd)
    y *= rstd[:, None]
    if weight is not None:
        y *= weight
    if bias is not None:
        y += bias
    return y, (mean, rstd)


def layer_norm_backward(
    grad: Array,
    x: Array,
    weight: Array | None,
    mean: Array,
    rstd: Array,
    needs_input_grad: tuple[bool, bool, bool] = (True, True, True),
) -> tuple[Array | None, Array | None, Array | None]:
    """``xhat = (x - mean) * rstd``, ``h = grad * weight``; ``grad_x = rstd * (h - mean(h) -
    xhat * mean(h * xhat))``, ``grad_weight = sum(grad * xhat, 0)``, ``grad_bias =
    sum(grad, 0)``."""
    need_x, need_w, need_b = needs_input_grad
    xhat = x - mean[:, None]
    xhat *= rstd[:, None]
    grad_w = np.einsum("ij,ij->j", grad, xhat) if need_w and weight is not None else None
    grad_b = np.add.reduce(grad, axis=0, dtype=grad.dtype) if need_b else None
    grad_x = None
    if need_x:
        h = grad * weight if weight is not None else grad.copy()
        n = x.dtype.type(x.shape[1])
        mean_h = np.add.reduce(h, axis=1, dtype=h.dtype) / n
        mean_hx = np.einsum("ij,ij->i", h, xhat) / n
        h -= mean_h[:, None]
        xhat *= mean_hx[:, None]
        h -= xhat
        h *= rstd[:, None]
        grad_x = h
    return grad_x, grad_w, grad_b


# --- relu and its gradient ----------------------------------------------------------------
def _zeroed_where_not(x: Array, keep: Array) -> Array:
    """``x`` where ``keep``, else +0.0, through the bits: AND with all ones (-1) keeps a value,
    AND with 0 gives +0.0. ``numpy.where`` branches per element and takes about 7x longer on
    random signs (1.5 vs 0.2 ms for LeNet's 221K activations); the result is the same, nan
    and -0.0 included."""
    out = np.empty(x.shape, dtype=f"i{x.dtype.itemsize}")  # (out=: 0-d stays an array)
    np.negative(keep, dtype=out.dtype, out=out)
    return np.bitwise_and(x.view(out.dtype), out, out=out).view(x.dtype)


def relu(x: Array) -> Array:
    """``0 if x < 0 else x``: nan stays nan and -0.0 stays -0.0, as PyTorch's."""
    if x.dtype.kind in "iu":
        return np.maximum(x, 0)
    return _zeroed_where_not(x, ~(x < 0))


def relu_backward(grad: Array, y: Array) -> Array:
    """``grad`` where ``y > 0``, else 0, even where ``grad`` is nan (``y`` relu's output)."""
    return _zeroed_where_not(grad, y > 0)


# --- softmax's gradient ------------------------------------------------------------------
def softmax_backward(grad: Array, y: Array, axis: int) -> Array:
    """``y * (grad - sum(grad * y, axis))`` (``y`` softmax's output)."""
    out = grad * y
    total = np.add.reduce(out, axis=axis, keepdims=True, dtype=out.dtype)
    np.subtract(grad, total, out=out)
    out *= y
    return out


# --- GELU ---------------------------------------------------------------------------------
# The core's erf: Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), in the same order of
# operations as the core's decomposition, so float64 results agree to the last bits.
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
_ERF_P = 0.3275911
_TANH_SCALE = math.sqrt(2 / math.pi)
_CUBIC = 0.044715
_BLOCK = 1 << 16
"""Elements per block of a many-pass elementwise formula (GELU's erf): its dozen temporaries
then stay in the core's 2 MiB L2 instead of streaming through memory (GPT's 0.5M-element
activations, GELU and its gradient: 4.7 and 5.8 ms whole, 2.9 and 3.6 ms in blocks)."""


def _blocked(formula: Callable[..., Array], *arrays: Array) -> Array:
    """``formula(*arrays)`` block by block over same-shaped C-contiguous arrays (the same
    values: the formula is elementwise); whole when small or not contiguous."""
    first = arrays[0]
    if first.size <= _BLOCK or not all(
        a.shape == first.shape and a.flags.c_contiguous for a in arrays
    ):
        return formula(*arrays)
    flat = [a.reshape(-1) for a in arrays]
    out = np.empty(first.size, dtype=first.dtype)
    for start in range(0, first.size, _BLOCK):
        out[start : start + _BLOCK] = formula(*(a[start : start + _BLOCK] for a in flat))
    return out.reshape(first.shape)


def _erf_and_gaussian(x: Array) -> tuple[Array, Array]:
    """``(erf(x), exp(-x^2))`` by the core's formula (the second is erf's derivative / 1.128).

    In place on two buffers: each temporary of a GELU is a full pass over memory, and a fresh
    one costs page faults too (GPT's 0.5M-element activations: 11 -> 4 ms per call)."""
    if x.ndim == 0:  # (numpy gives scalars, not arrays, for 0-d results: no ``out=``)
        value, gaussian = _erf_and_gaussian(x.reshape(1))
        return value.reshape(()), gaussian.reshape(())
    ax = np.abs(x)
    t = ax * _ERF_P
    t += 1.0
    np.divide(1.0, t, out=t)
    poly = t * _ERF_A[4]  # (one product: t * a == a * t)
    for coefficient in reversed(_ERF_A[:4]):
        poly += coefficient
        poly *= t
    gaussian = np.multiply(ax, ax, out=ax)
    np.negative(gaussian, out=gaussian)
    np.exp(gaussian, out=gaussian)
    value = np.multiply(poly, gaussian, out=poly)
    np.subtract(1.0, value, out=value)
    # value * sign(x), and x itself where x is +-0 (erf's sign of zero); a masked
    # ``np.negative(..., where=x < 0)`` would skip the sign array but is 10x slower
    value *= np.sign(x)
    np.copyto(value, x, where=x == 0)
    return value, gaussian


def _tanh_inner(x: Array) -> Array:
    """``sqrt(2/pi) * (x + 0.044715 * x * x * x)`` (the core's order)."""
    cubic = _CUBIC * x
    cubic *= x
    cubic *= x
    cubic += x
    cubic *= _TANH_SCALE
    return cubic


def gelu(x: Array, approximate: str) -> Array:
    """``x * Phi(x)`` with Phi through the core's erf, or the tanh form (16-bit inputs in
    float32, rounded once: an elementwise primitive keeps its input's dtype)."""
    if is_half(x):
        return gelu(x.astype(np.float32), approximate).astype(x.dtype)
    return _blocked(lambda block: _gelu(block, approximate), x)


def _gelu(x: Array, approximate: str) -> Array:
    if approximate == "tanh":
        th = np.tanh(_tanh_inner(x))
        th += 1.0
        th *= 0.5 * x
        return th
    erf, _ = _erf_and_gaussian(x * (1 / math.sqrt(2.0)))
    erf += 1.0
    erf *= 0.5
    erf *= x
    return erf


def gelu_backward(grad: Array, x: Array, approximate: str) -> Array:
    """GELU's gradient (see :func:`_gelu_backward`)."""
    if is_half(x):
        wide = gelu_backward(grad.astype(np.float32), x.astype(np.float32), approximate)
        return wide.astype(x.dtype)
    if grad.dtype != x.dtype:
        return _gelu_backward(grad, x, approximate)
    return _blocked(lambda g, v: _gelu_backward(g, v, approximate), grad, x)


def _gelu_backward(grad: Array, x: Array, approximate: str) -> Array:
    """``grad * Phi(x) + grad * x * phi(x)``; tanh form: ``grad * 0.5 (1 + th) + grad * 0.5 x
    (1 - th^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)`` with ``th = tanh(sqrt(2/pi) (x + 0.044715
    x^3))``. (Two terms added last, as autograd adds them: zeros get the decomposition's sign.)"""
    if approximate == "tanh":
        th = np.tanh(_tanh_inner(x))
        slope = x * x
        slope *= 3 * _CUBIC
        slope += 1.0
        slope *= _TANH_SCALE
        slope *= 1.0 - th * th
        slope *= grad * (0.5 * x)
        th += 1.0
        th *= 0.5
        th *= grad
        th += slope
        return th
    erf, gaussian = _erf_and_gaussian(x * (1 / math.sqrt(2.0)))
    erf += 1.0
    erf *= 0.5  # Phi(x)
    erf *= grad
    gaussian *= 1 / math.sqrt(2 * math.pi)  # phi(x): exp(-(x / sqrt 2)^2) = exp(-x^2 / 2)
    gaussian *= grad * x
    erf += gaussian
    return erf


# --- cross-entropy of logits and class indices -----------------------------------------------
def cross_entropy(
    logits: Array, target: Array, ignore_index: int
) -> tuple[Array, tuple[Array, Array]]:
    """``(loss, (max, log_total))`` per row: ``loss = -(z[target] - log_total)`` with ``z =
    logits - max`` and ``log_total = log(sum(exp(z)))`` (0 where ``target == ignore_index``);
    the core's decomposition (``-log_softmax(logits)[target]``) in the same order."""
    top = np.max(logits, axis=1, keepdims=True)  # (C >= 1: the core checks)
    shifted = logits - top
    log_total = np.log(np.add.reduce(np.exp(shifted), axis=1, dtype=logits.dtype))
    ignored = target == ignore_index
    rows = np.where(ignored, 0, target)[:, None]
    loss = np.take_along_axis(shifted, rows, axis=1)[:, 0]
    loss -= log_total
    np.negative(loss, out=loss)
    loss[ignored] = 0
    return loss, (top[:, 0], log_total)


def cross_entropy_backward(
    grad: Array, logits: Array, target: Array, ignore_index: int, state: tuple[Array, Array]
) -> Array:
    """``grad * (softmax(logits) - onehot(target))`` per row, 0 in ignored rows; ``state`` is
    what :func:`cross_entropy` returned."""
    top, log_total = state
    out = logits - top[:, None]
    out -= log_total[:, None]
    np.exp(out, out=out)
    kept = target != ignore_index
    rows = np.flatnonzero(kept)
    out[rows, target[rows]] -= 1
    out *= np.where(kept, grad, 0).astype(out.dtype, copy=False)[:, None]
    return out
