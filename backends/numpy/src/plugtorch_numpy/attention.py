"""Scaled dot-product attention for the numpy reference backend: two batched GEMMs and a
softmax forward, four GEMMs and one pass over the weights backward (the weights are the
state the forward hands its backward). q, k, v are ``(..., L, E)``, ``(..., S, E)``,
``(..., S, Ev)`` with equal leading dimensions, in any layout (``numpy.matmul`` reads strided
operands as they are).

Signatures and semantics are those of ``OPTIONAL_PRIMITIVES`` in
:mod:`plugtorch.backend.protocol`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["scaled_dot_product_attention", "scaled_dot_product_attention_backward"]

Array = np.ndarray


def _future(length: int, source: int) -> Array:
    """The (L, S) positions a causal query may not see: key j > query i."""
    return np.arange(source)[None, :] > np.arange(length)[:, None]


def scaled_dot_product_attention(
    q: Array, k: Array, v: Array, scale: float, causal: bool
) -> tuple[Array, Array]:
    """``(softmax(q @ k^T * scale) @ v, weights)``, in the core's order of operations."""
    scores = np.matmul(q, np.swapaxes(k, -1, -2))
    scores *= scores.dtype.type(scale)
    if causal:
        scores[..., _future(q.shape[-2], k.shape[-2])] = -np.inf
    scores -= np.max(scores, axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= np.add.reduce(scores, axis=-1, keepdims=True, dtype=scores.dtype)
    return np.matmul(scores, v), scores


def scaled_dot_product_attention_backward(
    grad: Array,
    q: Array,
    k: Array,
    v: Array,
    scale: float,
    causal: bool,
    weights: Array,
    needs_input_grad: tuple[bool, bool, bool] = (True, True, True),
) -> tuple[Array | None, Array | None, Array | None]:
    """With P the weights: ``dV = P^T dO``, ``dS = P * (dP - rowsum(dP * P)) * scale`` with
    ``dP = dO V^T``, ``dQ = dS K``, ``dK = dS^T Q``."""
    need_q, need_k, need_v = needs_input_grad
    grad_v = np.matmul(np.swapaxes(weights, -1, -2), grad) if need_v else None
    if not (need_q or need_k):
        return None, None, grad_v
    d_scores = np.matmul(grad, np.swapaxes(v, -1, -2))
    total = np.add.reduce(d_scores * weights, axis=-1, keepdims=True, dtype=d_scores.dtype)
    d_scores -= total
    d_scores *= weights
    if causal:  # the core's masked_fill passes no gradient to the hidden keys, nan or not
        d_scores[..., _future(q.shape[-2], k.shape[-2])] = 0
    d_scores *= d_scores.dtype.type(scale)
    grad_q = np.matmul(d_scores, k) if need_q else None
    grad_k = np.matmul(np.swapaxes(d_scores, -1, -2), q) if need_k else None
    return grad_q, grad_k, grad_v
