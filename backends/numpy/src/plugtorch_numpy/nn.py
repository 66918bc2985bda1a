"""Fused nn primitives for the numpy reference backend, written with numpy: layer norm.

Each computes what the core's decomposition of the same op computes (the conformance suite
compares the two), in a few whole-array numpy calls that reuse their buffers instead of one
core op (and one fresh array) per step. Signatures and semantics are those of
``OPTIONAL_PRIMITIVES`` in :mod:`plugtorch.backend.protocol`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["layer_norm", "layer_norm_backward"]

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
