"""The fused nn primitives of ``NumbaBackend`` (layer norm, GELU, cross-entropy, attention):
one numba kernel pass where the core's decomposition runs a chain of ops. Kernels:
``_fused_kernels.py``.

Elementwise ones run their float32 kernel (vectorised exp/tanh from ``_fastmath.py``) and give
float64 to the numpy backend's implementation: float64 is the accuracy path, where the
numpy backend reproduces the core's decomposition to the last bits."""

from __future__ import annotations

from typing import Any

import numpy as np
from plugtorch_numpy import nn as _numpy_nn

from plugtorch_numba._buffers import BufferPool
from plugtorch_numba._threads import MIN_THREADED, TASKS_PER_THREAD, num_threads, parallel_blocks

try:
    from plugtorch_numba import _fused_kernels as _fk
except Exception:  # noqa: BLE001 (no numba: the backend declares none of these primitives)
    _fk = None  # type: ignore[assignment]

__all__ = ["FusedPrimitives"]

Array = np.ndarray


def _dense(x: Array) -> Array:
    return x if x.flags.c_contiguous else np.ascontiguousarray(x)


def _or_empty(x: Array | None, dtype: np.dtype) -> Array:
    """numba kernels take arrays, not None: a missing weight or bias is an empty array."""
    return np.empty(0, dtype) if x is None else _dense(x)


def row_tasks(rows: int, size: int) -> int:
    """How many row blocks a kernel with per-task partial sums splits ``rows`` into: one
    below ``MIN_THREADED`` elements (no thread is woken), else a few per thread."""
    if size < MIN_THREADED or rows <= 1:
        return 1
    return min(rows, num_threads() * TASKS_PER_THREAD)


class FusedPrimitives:
    """layer_norm, gelu, cross_entropy, scaled_dot_product_attention, their backward
    primitives, softmax_backward and relu_backward (a mixin of ``NumbaBackend``, which
    provides ``pool`` and ``matmul``)."""

    pool: BufferPool

    def _elementwise(self, kernel: Any, inputs: tuple[Array, ...], *params: Any) -> Array:
        """``kernel(*flat inputs, *params, flat out, t0, t1)`` over BLOCK-element tasks; the
        inputs share one shape, the result has it (C order)."""
        flat = [_dense(a).reshape(-1) for a in inputs]
        out = self.pool.empty(inputs[0].shape, inputs[0].dtype)
        size = out.size
        parallel_blocks(kernel, (*flat, *params, out.reshape(-1)), -(-size // _fk.BLOCK), size)
        return out

    def gelu(self, x: Array, approximate: str) -> Array:
        if x.dtype != np.float32:
            return _numpy_nn.gelu(x, approximate)
        return self._elementwise(_fk.gelu_blocks, (x,), approximate == "tanh")

    def gelu_backward(self, grad: Array, x: Array, approximate: str) -> Array:
        if x.dtype != np.float32:
            return _numpy_nn.gelu_backward(grad, x, approximate)
        return self._elementwise(_fk.gelu_backward_blocks, (grad, x), approximate == "tanh")

    def relu_backward(self, grad: Array, y: Array) -> Array:
        if y.dtype not in (np.float32, np.float64) or grad.dtype != y.dtype:
            return _numpy_nn.relu_backward(grad, y)
        return self._elementwise(_fk.relu_backward_blocks, (grad, y))

    def softmax_backward(self, grad: Array, y: Array, axis: int) -> Array:
        if axis != y.ndim - 1 or not y.size:
            return _numpy_nn.softmax_backward(grad, y, axis)
        rows = (-1, y.shape[-1])
        g2, y2 = _dense(grad).reshape(rows), _dense(y).reshape(rows)
        out = self.pool.empty(y.shape, y.dtype)
        parallel_blocks(_fk.softmax_backward_rows, (g2, y2, out.reshape(rows)), g2.shape[0], y.size)
        return out

    def scaled_dot_product_attention(
        self, q: Array, k: Array, v: Array, scale: float, causal: bool
    ) -> tuple[Array, Array]:
        """Batched GEMMs (``matmul``: the stack split over the cores) around one kernel for the
        scaled, masked softmax, in place in the scores; the weights are the state."""
        scores = self.matmul(q, np.swapaxes(k, -1, -2))  # type: ignore[attr-defined]
        rows = scores.reshape(-1, scores.shape[-1])
        args = (rows, q.shape[1], scores.dtype.type(scale), bool(causal))
        parallel_blocks(_fk.attention_softmax_rows, args, rows.shape[0], rows.size)
        return self.matmul(scores, v), scores  # type: ignore[attr-defined]

    def scaled_dot_product_attention_backward(
        self,
        grad: Array,
        q: Array,
        k: Array,
        v: Array,
        scale: float,
        causal: bool,
        weights: Array,
        needs_input_grad: tuple[bool, bool, bool] = (True, True, True),
    ) -> tuple[Array | None, Array | None, Array | None]:
        need_q, need_k, need_v = needs_input_grad
        matmul = self.matmul  # type: ignore[attr-defined]
        grad_v = matmul(np.swapaxes(weights, -1, -2), grad) if need_v else None
        if not (need_q or need_k):
            return None, None, grad_v
        d_scores = matmul(grad, np.swapaxes(v, -1, -2))
        rows = d_scores.reshape(-1, d_scores.shape[-1])
        scale_typed = weights.dtype.type(scale)
        args = (rows, weights.reshape(rows.shape), q.shape[1], scale_typed, bool(causal))
        parallel_blocks(_fk.attention_softmax_backward_rows, args, rows.shape[0], rows.size)
        grad_q = matmul(d_scores, k) if need_q else None
        grad_k = matmul(np.swapaxes(d_scores, -1, -2), q) if need_k else None
        return grad_q, grad_k, grad_v

    def cross_entropy(
        self, logits: Array, target: Array, ignore_index: int
    ) -> tuple[Array, tuple[Array, Array]]:
        logits, target = _dense(logits), _dense(target)
        m = logits.shape[0]
        loss, top, log_total = (np.empty(m, logits.dtype) for _ in range(3))
        args = (logits, target, int(ignore_index), loss, top, log_total)
        parallel_blocks(_fk.cross_entropy_rows, args, m, logits.size)
        return loss, (top, log_total)

    def cross_entropy_backward(
        self,
        grad: Array,
        logits: Array,
        target: Array,
        ignore_index: int,
        state: tuple[Array, Array],
    ) -> Array:
        logits = _dense(logits)
        out = self.pool.empty(logits.shape, logits.dtype)
        args = (_dense(grad), logits, _dense(target), int(ignore_index), *state, out)
        parallel_blocks(_fk.cross_entropy_backward_rows, args, logits.shape[0], logits.size)
        return out

    def layer_norm(
        self, x: Array, weight: Array | None, bias: Array | None, eps: float
    ) -> tuple[Array, tuple[Array, Array]]:
        x = _dense(x)
        m = x.shape[0]
        y = self.pool.empty(x.shape, x.dtype)
        mean = np.empty(m, x.dtype)
        rstd = np.empty(m, x.dtype)
        args = (x, _or_empty(weight, x.dtype), _or_empty(bias, x.dtype), float(eps), y, mean, rstd)
        parallel_blocks(_fk.layer_norm_rows, args, m, x.size)
        return y, (mean, rstd)

    def layer_norm_backward(
        self,
        grad: Array,
        x: Array,
        weight: Array | None,
        mean: Array,
        rstd: Array,
        needs_input_grad: tuple[bool, bool, bool] = (True, True, True),
    ) -> tuple[Array | None, Array | None, Array | None]:
        need_x, need_w, need_b = needs_input_grad
        grad, x = _dense(grad), _dense(x)
        m, n = x.shape
        tasks = row_tasks(m, x.size)
        per_task = -(-m // tasks)
        tasks = -(-m // per_task)
        gx = self.pool.empty(x.shape, x.dtype) if need_x else np.empty((0, n), x.dtype)
        want_w = need_w and weight is not None
        partial_w = np.empty((tasks if want_w else 0, n), x.dtype)
        partial_b = np.empty((tasks if need_b else 0, n), x.dtype)
        args = (grad, x, _or_empty(weight, x.dtype), mean, rstd, need_x, gx, partial_w,
                partial_b, per_task)  # fmt: skip
        parallel_blocks(_fk.layer_norm_backward_rows, args, tasks, x.size)
        grad_w = _column_total(partial_w) if want_w else None
        grad_b = _column_total(partial_b) if need_b else None
        return (gx if need_x else None), grad_w, grad_b


def _column_total(partial: Array) -> Array:
    return partial[0].copy() if partial.shape[0] == 1 else partial.sum(axis=0)
