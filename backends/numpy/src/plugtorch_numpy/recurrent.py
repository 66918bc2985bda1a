"""The LSTM layer primitives for the numpy reference backend: the recurrence and its
back-propagation through time, one GEMM and a few whole-array numpy calls per step.

Signatures and semantics are those of ``OPTIONAL_PRIMITIVES`` in
:mod:`plugtorch.backend.protocol`; gates in PyTorch's order ``[i, f, g, o]``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lstm_layer", "lstm_layer_backward", "sigmoid_into"]

Array = np.ndarray


def sigmoid_into(x: Array, out: Array) -> Array:
    """``out = 1 / (1 + exp(-x))``, stable for large ``|x|`` (the core's formula: divide by
    ``1 + exp(-|x|)`` and pick the numerator by sign)."""
    e = np.exp(-np.abs(x))
    np.divide(np.where(x >= 0, 1, e).astype(x.dtype, copy=False), 1 + e, out=out)
    return out


def lstm_layer(
    x_proj: Array, h0: Array, c0: Array, w_hh: Array
) -> tuple[Array, tuple[Array, Array]]:
    """``(y, (gates, cells))``: ``y[t] = h_t`` for ``t < L`` and ``y[L] = c_L``; ``gates`` holds
    every step's activated ``[i, f, g, o]`` and ``cells`` every ``c_t``, for the backward."""
    length, batch, four_h = x_proj.shape
    hidden = four_h // 4
    y = np.empty((length + 1, batch, hidden), x_proj.dtype)
    gates = np.empty_like(x_proj)
    cells = np.empty((length, batch, hidden), x_proj.dtype)
    h, c = h0, c0
    for t in range(length):
        act = gates[t]
        np.matmul(h, w_hh.T, out=act)
        act += x_proj[t]
        sigmoid_into(act[:, : 2 * hidden], act[:, : 2 * hidden])  # i, f
        np.tanh(act[:, 2 * hidden : 3 * hidden], out=act[:, 2 * hidden : 3 * hidden])  # g
        sigmoid_into(act[:, 3 * hidden :], act[:, 3 * hidden :])  # o
        i, f, g, o = (act[:, k * hidden : (k + 1) * hidden] for k in range(4))
        c = np.multiply(f, c, out=cells[t])
        c += i * g
        h = np.multiply(o, np.tanh(c), out=y[t])
    y[length] = c
    return y, (gates, cells)


def lstm_layer_backward(
    grad_y: Array,
    x_proj: Array,
    h0: Array,
    c0: Array,
    w_hh: Array,
    y: Array,
    state: tuple[Array, Array],
    needs_input_grad: tuple[bool, bool, bool, bool] = (True, True, True, True),
) -> tuple[Array | None, Array | None, Array | None, Array | None]:
    """Back-propagation through time: ``(grad_x_proj, grad_h0, grad_c0, grad_w_hh)``."""
    gates, cells = state
    length, batch, four_h = x_proj.shape
    hidden = four_h // 4
    grad_gates = np.empty_like(x_proj)
    dh_next = np.zeros((batch, hidden), x_proj.dtype)
    dc = grad_y[length].copy()  # the gradient of the last cell state
    for t in range(length - 1, -1, -1):
        act = gates[t]
        i, f, g, o = (act[:, k * hidden : (k + 1) * hidden] for k in range(4))
        tanh_c = np.tanh(cells[t])
        dh = grad_y[t] + dh_next
        dc += dh * o * (1 - tanh_c * tanh_c)
        c_prev = cells[t - 1] if t else c0
        out = grad_gates[t]
        np.multiply(dc * g, i * (1 - i), out=out[:, :hidden])  # d i (pre-activation)
        np.multiply(dc * c_prev, f * (1 - f), out=out[:, hidden : 2 * hidden])  # d f
        np.multiply(dc * i, 1 - g * g, out=out[:, 2 * hidden : 3 * hidden])  # d g
        np.multiply(dh * tanh_c, o * (1 - o), out=out[:, 3 * hidden :])  # d o
        dc *= f  # the gradient of c_{t-1}
        dh_next = out @ w_hh
    grad_w = None
    if needs_input_grad[3]:
        h_prev = np.concatenate([h0[None], y[: length - 1]]).reshape(-1, hidden)
        grad_w = grad_gates.reshape(-1, four_h).T @ h_prev
    return grad_gates, dh_next, dc, grad_w
