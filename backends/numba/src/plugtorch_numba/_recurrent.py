"""The LSTM layer primitives of ``NumbaBackend``: per time step one GEMM (``h_{t-1} W_hh^T``,
written into the step's gate buffer; MKL when installed, else OpenBLAS, see ``_mkl.py``) and
one fused cell kernel (``_fused_kernels.lstm_cell_rows``); backward per step one cell kernel
and one GEMM, and one GEMM for ``W_hh``'s gradient over all steps."""

from __future__ import annotations

import numpy as np

from plugtorch_numba._mkl import Mkl, matmul_into
from plugtorch_numba._threads import parallel_blocks

try:
    from plugtorch_numba import _fused_kernels as _fk
except Exception:  # noqa: BLE001 (no numba: the backend declares none of these primitives)
    _fk = None  # type: ignore[assignment]

__all__ = ["RecurrentPrimitives"]

Array = np.ndarray


class RecurrentPrimitives:
    """lstm_layer and lstm_layer_backward (a mixin of ``NumbaBackend``)."""

    mkl: Mkl | None

    def lstm_layer(
        self, x_proj: Array, h0: Array, c0: Array, w_hh: Array
    ) -> tuple[Array, tuple[Array, Array]]:
        x_proj = np.ascontiguousarray(x_proj)
        length, batch, four_h = x_proj.shape
        hidden = four_h // 4
        y = np.empty((length + 1, batch, hidden), x_proj.dtype)
        gates = np.empty_like(x_proj)
        cells = np.empty((length, batch, hidden), x_proj.dtype)
        w_t = w_hh.T
        h, c = np.ascontiguousarray(h0), np.ascontiguousarray(c0)
        for t in range(length):
            matmul_into(self.mkl, h, w_t, gates[t])
            args = (x_proj[t], gates[t], c, cells[t], y[t])
            parallel_blocks(_fk.lstm_cell_rows, args, batch, batch * four_h)
            h, c = y[t], cells[t]
        y[length] = c
        return y, (gates, cells)

    def lstm_layer_backward(
        self,
        grad_y: Array,
        x_proj: Array,
        h0: Array,
        c0: Array,
        w_hh: Array,
        y: Array,
        state: tuple[Array, Array],
        needs_input_grad: tuple[bool, bool, bool, bool] = (True, True, True, True),
    ) -> tuple[Array | None, Array | None, Array | None, Array | None]:
        gates, cells = state
        grad_y = np.ascontiguousarray(grad_y)
        length, batch, four_h = gates.shape
        hidden = four_h // 4
        grad_gates = np.empty_like(gates)
        dh_next = np.zeros((batch, hidden), gates.dtype)
        dc = grad_y[length].copy()
        c0 = np.ascontiguousarray(c0)
        w = np.ascontiguousarray(w_hh)
        for t in range(length - 1, -1, -1):
            c_prev = cells[t - 1] if t else c0
            args = (grad_y[t], dh_next, dc, gates[t], cells[t], c_prev, grad_gates[t])
            parallel_blocks(_fk.lstm_cell_backward_rows, args, batch, batch * four_h)
            matmul_into(self.mkl, grad_gates[t], w, dh_next)
        grad_w = None
        if needs_input_grad[3]:
            h_prev = np.concatenate([h0[None], y[: length - 1]]).reshape(-1, hidden)
            grad_w = np.empty((four_h, hidden), gates.dtype)
            matmul_into(self.mkl, grad_gates.reshape(-1, four_h).T, h_prev, grad_w)
        return grad_gates, dh_next, dc, grad_w
