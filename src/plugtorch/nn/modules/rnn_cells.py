"""Recurrent cells: ``RNNCell``, ``LSTMCell``, ``GRUCell`` (one time step), and the step
functions that the multi-layer ``RNN``/``LSTM``/``GRU`` share with them.

Gate order and parameter names are PyTorch's: LSTM rows are ``[input, forget, cell, output]``,
GRU rows ``[reset, update, new]``; ``weight_ih (gates * hidden, input)``, ``weight_hh (gates *
hidden, hidden)``, ``bias_ih``, ``bias_hh``; every parameter starts as ``U(-k, k)`` with
``k = 1 / sqrt(hidden_size)``.
"""

from __future__ import annotations

import math
from typing import Any

from plugtorch.nn import functional as F
from plugtorch.nn import init
from plugtorch.nn.functional.recurrent import lstm_layer
from plugtorch.nn.module import Module
from plugtorch.nn.modules.linear import _factory
from plugtorch.nn.parameter import Parameter
from plugtorch.ops.creation import empty, zeros
from plugtorch.tensor import Tensor

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell", "rnn_step", "lstm_step", "gru_step"]


def rnn_step(projected: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, relu: bool) -> Tensor:
    """``h' = act(projected + h W_hh^T + b_hh)``, ``projected = x W_ih^T + b_ih``."""
    pre = projected + F.linear(h, w_hh, b_hh)
    return pre.relu() if relu else pre.tanh()


def lstm_step(
    projected: Tensor,
    h: Tensor,
    c: Tensor,
    w_hh: Tensor,
    b_hh: Tensor | None,
    w_hr: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """One LSTM step: ``i, f, g, o = chunks of projected + h W_hh^T + b_hh``;
    ``c' = sigmoid(f) c + sigmoid(i) tanh(g)``; ``h' = sigmoid(o) tanh(c')`` (times ``W_hr^T``
    with projections)."""
    gates = projected + F.linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, -1)
    c_next = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h_next = o.sigmoid() * c_next.tanh()
    if w_hr is not None:
        h_next = F.linear(h_next, w_hr)
    return h_next, c_next


def gru_step(projected: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    """One GRU step: ``r = sigmoid(x_r + h_r)``, ``z = sigmoid(x_z + h_z)``,
    ``n = tanh(x_n + r * h_n)``, ``h' = (1 - z) n + z h``, where ``x_* = x W_i*^T + b_i*`` and
    ``h_* = h W_h*^T + b_h*`` (the reset gate multiplies ``h_n`` including its bias)."""
    hidden = F.linear(h, w_hh, b_hh)
    x_r, x_z, x_n = projected.chunk(3, -1)
    h_r, h_z, h_n = hidden.chunk(3, -1)
    r = (x_r + h_r).sigmoid()
    z = (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return n + z * (h - n)


class RNNCellBase(Module):
    """What the cells share (PyTorch's ``RNNCellBase``): ``weight_ih (num_chunks * hidden,
    input)``, ``weight_hh (num_chunks * hidden, hidden)``, ``bias_ih``, ``bias_hh``, their
    initialisation, and the checks of inputs and states."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device: Any = None,
        dtype: Any = None,
        *,
        backend: Any = None,
    ) -> None:
        super().__init__()
        factory = _factory(dtype, backend, device)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        rows = num_chunks * hidden_size
        self.weight_ih = Parameter(empty(rows, input_size, **factory))
        self.weight_hh = Parameter(empty(rows, hidden_size, **factory))
        if bias:
            self.bias_ih = Parameter(empty(rows, **factory))
            self.bias_hh = Parameter(empty(rows, **factory))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))`` (PyTorch's)."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def _batched(self, input: Tensor, name: str) -> tuple[Tensor, bool]:
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.shape[-1]} expected "
                f"{self.input_size}"
            )
        return (input, True) if input.ndim == 2 else (input.unsqueeze(0), False)

    def _state(self, input: Tensor, hx: Tensor | None, batched: bool, label: str) -> Tensor:
        if hx is None:
            return zeros(input.shape[0], self.hidden_size, dtype=input.dtype, backend=input.backend)
        hx = hx if batched else hx.unsqueeze(0)
        if hx.shape[0] != input.shape[0]:
            raise RuntimeError(
                f"Input batch size {input.shape[0]} doesn't match hidden{label} batch size "
                f"{hx.shape[0]}"
            )
        if hx.shape[1] != self.hidden_size:
            raise RuntimeError(
                f"hidden{label} has inconsistent hidden_size: got {hx.shape[1]}, expected "
                f"{self.hidden_size}"
            )
        return hx

    def _project(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight_ih, self.bias_ih)


class RNNCell(RNNCellBase):
    """Elman cell: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or ReLU).

    >>> import plugtorch as pt
    >>> cell = RNNCell(3, 4)
    >>> cell(pt.randn(2, 3)).shape, cell(pt.randn(3)).shape
    ((2, 4), (4,))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
        *,
        backend: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype, backend=backend)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if hx is not None and hx.ndim not in (1, 2):
            raise ValueError(f"RNNCell: Expected hidden to be 1D or 2D, got {hx.ndim}D instead")
        input, batched = self._batched(input, "RNNCell")
        h = self._state(input, hx, batched, "")
        out = rnn_step(
            self._project(input), h, self.weight_hh, self.bias_hh, self.nonlinearity == "relu"
        )
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """LSTM cell; returns ``(h', c')``. Gates ``[i, f, g, o]`` in PyTorch's order.

    >>> import plugtorch as pt
    >>> h, c = LSTMCell(3, 4)(pt.randn(2, 3))
    >>> h.shape, c.shape
    ((2, 4), (2, 4))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        backend: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype, backend=backend)

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        if hx is not None:
            for index, value in enumerate(hx):
                if value.ndim not in (1, 2):
                    raise ValueError(
                        f"LSTMCell: Expected hx[{index}] to be 1D or 2D, got {value.ndim}D instead"
                    )
        input, batched = self._batched(input, "LSTMCell")
        h = self._state(input, None if hx is None else hx[0], batched, "[0]")
        c = self._state(input, None if hx is None else hx[1], batched, "[1]")
        bias = None if self.bias_ih is None else self.bias_ih + self.bias_hh
        projected = F.linear(input, self.weight_ih, bias)
        y = lstm_layer(projected.unsqueeze(0), h, c, self.weight_hh)  # one step
        h, c = y[0], y[1]
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """GRU cell. Gates ``[r, z, n]`` in PyTorch's order.

    >>> import plugtorch as pt
    >>> GRUCell(3, 4)(pt.randn(2, 3), pt.zeros(2, 4)).shape
    (2, 4)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        backend: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype, backend=backend)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if hx is not None and hx.ndim not in (1, 2):
            raise ValueError(f"GRUCell: Expected hidden to be 1D or 2D, got {hx.ndim}D instead")
        input, batched = self._batched(input, "GRUCell")
        h = self._state(input, hx, batched, "")
        out = gru_step(self._project(input), h, self.weight_hh, self.bias_hh)
        return out if batched else out.squeeze(0)
