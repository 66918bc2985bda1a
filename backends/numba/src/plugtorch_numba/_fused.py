"""The fused nn primitives of ``NumbaBackend`` (layer norm, GELU, cross-entropy, attention):
one numba kernel pass where the core's decomposition runs a chain of ops. Kernels:
``_fused_kernels.py``.

Elementwise ones run their float32 kernel (vectorised exp/tanh from ``_fastmath.py``) and give
float64 to the numpy backend's implementation: float64 is the accuracy path, where the
numpy backend reproduces the core's decomposition to the last bits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from plugtorch_numpy import nn as _numpy_nn

from plugtorch_numba import _blas
from plugtorch_numba._buffers import BufferPool
from plugtorch_numba._threads import (
    MIN_THREADED,
    TASKS_PER_THREAD,
    num_threads,
    parallel_blocks,
    run_chunks,
)

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
    min_parallel_size: int

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
        """Batched GEMMs (numpy's BLAS on the strided operands as they are: no copy of q, k
        or v) around one kernel for the scaled, masked softmax, in place in the scores; the
        stack is split over the cores along its longest leading axis. The output lies in
        memory in q's order (``_laid_out_like``); the weights are the state."""
        length, source = q.shape[-2], k.shape[-2]
        axis = _block_axis(q.shape)
        weights, rows = _front_blocks(self.pool, (*q.shape[:-1], source), q.dtype, axis)
        out = _laid_out_like(self.pool, q, v.shape[-1])
        scale_typed = q.dtype.type(scale)

        def blocks(a: int, b: int) -> None:
            at = _block(axis, a, b)
            np.matmul(q[at], np.swapaxes(k[at], -1, -2), out=weights[at])
            block = rows(a, b)
            _fk.attention_softmax_rows(block, length, scale_typed, bool(causal), 0, len(block))
            np.matmul(weights[at], v[at], out=out[at])

        _over_blocks(blocks, q.shape, axis, self._split_attention(weights, q, v))
        return out, weights

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
        """dV = P^T dO, dS = P * (dO V^T - rowsum(...)) * scale (one kernel, in place),
        dQ = dS K, dK = dS^T Q, block by block as the forward; each gradient lies in memory in
        its input's order."""
        need_q, need_k, need_v = needs_input_grad
        length = q.shape[-2]
        axis = _block_axis(q.shape)
        grad_q, grad_k, grad_v = (
            _laid_out_like(self.pool, x, x.shape[-1]) if need else None
            for x, need in ((q, need_q), (k, need_k), (v, need_v))
        )
        scale_typed = q.dtype.type(scale)
        d_scores, d_rows = _front_blocks(self.pool, weights.shape, q.dtype, axis)
        p_rows = _rows_of(weights, axis)

        def blocks(a: int, b: int) -> None:
            at = _block(axis, a, b)
            p, g = weights[at], grad[at]
            if grad_v is not None:
                np.matmul(np.swapaxes(p, -1, -2), g, out=grad_v[at])
            if grad_q is None and grad_k is None:
                return
            ds = d_scores[at]
            np.matmul(g, np.swapaxes(v[at], -1, -2), out=ds)
            block, p_block = d_rows(a, b), p_rows(a, b)
            _fk.attention_softmax_backward_rows(
                block, p_block, length, scale_typed, bool(causal), 0, len(block)
            )
            if grad_q is not None:
                np.matmul(ds, k[at], out=grad_q[at])
            if grad_k is not None:
                np.matmul(np.swapaxes(ds, -1, -2), q[at], out=grad_k[at])

        _over_blocks(blocks, q.shape, axis, self._split_attention(weights, q, v))
        return grad_q, grad_k, grad_v

    def _split_attention(self, weights: Array, q: Array, v: Array) -> bool:
        """Whether the heads are worth splitting over the threads: as ``matmul`` splits a
        stack, from 64 x ``min_parallel_size`` multiply-adds."""
        work = weights.size * (q.shape[-1] + v.shape[-1])
        return work >= max(self.min_parallel_size, 1) * 64

    def cross_entropy(
        self, logits: Array, target: Array, ignore_index: int
    ) -> tuple[Array, tuple[Array, Array]]:
        logits, target = _dense(logits), _dense(target)
        m = logits.shape[0]
        loss, log_total = np.empty(m, logits.dtype), np.empty(m, logits.dtype)
        # Each row's maximum by numpy's SIMD reduction (nan wins): numba does not vectorise a
        # max (LLVM wants no-nans for that), which took 4x the kernel's exp and sum.
        top = np.max(logits, axis=1, initial=-np.inf)
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


# --- attention on strided operands ------------------------------------------------------------
Rows = Callable[[int, int], Array]


def _block_axis(shape: tuple[int, ...]) -> int | None:
    """The leading axis of an attention operand ``(..., L, E)`` that the work is split along
    (the longest), None without leading axes."""
    lead = shape[:-2]
    return max(range(len(lead)), key=lambda a: lead[a]) if lead else None


def _block(axis: int | None, a: int, b: int) -> tuple[Any, ...]:
    """The index of entries [a, b) along the block axis (everything without one)."""
    return (Ellipsis,) if axis is None else (*(slice(None),) * axis, slice(a, b))


def _rows_of(x: Array, axis: int | None) -> Rows:
    """``rows(a, b)``: blocks [a, b) of ``x`` (``(..., L, S)``, the block axis outermost in
    memory, as ``_front_blocks`` lays it out) as C-contiguous rows ``(n, S)``, views."""
    front = x if axis is None else np.moveaxis(x, axis, 0)
    if not front.flags.c_contiguous:
        raise ValueError("attention weights not laid out as the forward primitive left them")
    if axis is None:
        return lambda a, b: front.reshape(-1, x.shape[-1])
    return lambda a, b: front[a:b].reshape(-1, x.shape[-1])


def _front_blocks(
    pool: BufferPool, shape: tuple[int, ...], dtype: Any, axis: int | None
) -> tuple[Array, Rows]:
    """An empty ``shape`` array whose block axis is outermost in memory (so each block is one
    contiguous run of rows for the row kernels), and its ``rows`` function."""
    if axis is None:
        x = pool.empty(shape, dtype)
    else:
        x = np.moveaxis(
            pool.empty((shape[axis], *shape[:axis], *shape[axis + 1 :]), dtype), 0, axis
        )
    return x, _rows_of(x, axis)


def _laid_out_like(pool: BufferPool, x: Array, last: int) -> Array:
    """An empty ``(*x.shape[:-1], last)`` array whose axes lie in memory in x's order (the
    largest stride outermost, the last axis innermost): for heads viewed out of a (B, L, H, E)
    projection as (B, H, L, E), a (B, L, H, last) buffer seen as (B, H, L, last), which the
    model's ``transpose(1, 2).reshape(B, L, H * last)`` then reads without a copy (PyTorch's
    CPU attention lays its output out so too)."""
    lead = x.ndim - 1
    order = sorted(range(lead), key=lambda a: -abs(x.strides[a]))
    buffer = pool.empty((*(x.shape[a] for a in order), last), x.dtype)
    return buffer.transpose((*np.argsort(order).tolist(), lead))


def _over_blocks(
    blocks: Callable[[int, int], None], shape: tuple[int, ...], axis: int | None, split: bool
) -> None:
    """``blocks(a, b)`` over the block axis, shared by the threads (BLAS held to one thread
    in each) where ``split``, else in one call."""
    n = 1 if axis is None else shape[axis]
    if not split or n < 2 or num_threads() == 1:
        blocks(0, n)
        return
    with _blas.single_threaded():
        run_chunks(blocks, n, align=1, min_size=2)
