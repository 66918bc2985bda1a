"""Multi-layer recurrent networks: ``RNN`` (tanh or ReLU), ``LSTM`` (with ``proj_size``) and
``GRU``, as ``torch.nn``: ``num_layers``, ``bias``, ``batch_first``, ``dropout`` between layers,
``bidirectional``, initial states, unbatched inputs, and PyTorch's parameter names
(``weight_ih_l0``, ``weight_hh_l0_reverse``, ``bias_ih_l1``, ``weight_hr_l0``...) and
initialisation, so a PyTorch ``state_dict`` loads by name and shape.

The recurrence loops over time with the step functions of
:mod:`plugtorch.nn.modules.rnn_cells`, the sequence held as a list of per-step tensors so that
backward stays linear in the sequence length.
Gradients come from the composing ops (packed sequences are not supported yet).
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from plugtorch.nn import functional as F
from plugtorch.nn import init
from plugtorch.nn.functional.recurrent import lstm_layer, unbind_steps
from plugtorch.nn.module import Module
from plugtorch.nn.modules.linear import _factory
from plugtorch.nn.modules.rnn_cells import (
    GRUCell,
    LSTMCell,
    RNNCell,
    RNNCellBase,
    gru_step,
    lstm_step,
    rnn_step,
)
from plugtorch.nn.parameter import Parameter
from plugtorch.ops.creation import empty, zeros
from plugtorch.ops.shape import cat, stack
from plugtorch.tensor import Tensor

# The cells live in rnn_cells.py; they are re-exported so that PyTorch's module path
# (``torch.nn.modules.rnn.LSTMCell``) works here too.
__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters per layer and direction, checks, the loop."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
        *,
        backend: Any = None,
    ) -> None:
        super().__init__()
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1  # type: ignore[operator]
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an "
                "element being zeroed"
            )
        if dropout > 0 and num_layers == 1:  # type: ignore[operator]
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                UserWarning,
                stacklevel=3,
            )
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)  # type: ignore[arg-type]
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        factory = _factory(dtype, backend, device)
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes: list[tuple[str, tuple[int, ...]]] = [
                    ("weight_ih", (gate_size, layer_input)),
                    ("weight_hh", (gate_size, real_hidden)),
                ]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for stem, shape in shapes:
                    self.register_parameter(stem + suffix, Parameter(empty(*shape, **factory)))
                    names.append(stem + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))`` (PyTorch's)."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def flatten_parameters(self) -> None:
        """Kept for PyTorch code that calls it (cuDNN weight packing); nothing to do here."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction, in PyTorch's order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights(self) -> list[Parameter]:
        return [getattr(self, name) for name in self._flat_weights_names]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text

    # --- checks ------------------------------------------------------------------------------
    def _check_input(self, input: Tensor) -> None:
        weight_dtype = self.weight_ih_l0.dtype
        if input.dtype is not weight_dtype:
            raise ValueError(f"input must have the type {weight_dtype}, got type {input.dtype}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                f"{input.shape[-1]}"
            )

    def _hidden_shape(self, batch: int, size: int) -> tuple[int, int, int]:
        return (self.num_layers * (2 if self.bidirectional else 1), batch, size)

    @staticmethod
    def _check_hidden(hx: Tensor, expected: tuple[int, ...], label: str) -> None:
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"Expected {label} size {expected}, got {list(hx.shape)}")

    def _prepare(self, input: Tensor, name: str) -> tuple[Tensor, bool]:
        """``(L, N, H_in)`` view of ``input`` and whether it was batched."""
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D instead")
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        self._check_input(input)
        return input, batched

    def _finish(self, output: Tensor, batched: bool) -> Tensor:
        if not batched:
            return output.squeeze(1)
        return output.transpose(0, 1) if self.batch_first else output

    # --- the recurrence ----------------------------------------------------------------------
    def _run(
        self, sequence: Tensor, h0: Tensor, c0: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """All layers and directions over ``sequence (L, N, H_in)``; returns the last layer's
        outputs ``(L, N, D * H_out)`` and the final states ``(num_layers * D, N, H)``.

        Between layers the sequence stays a list of per-step tensors: slicing one stacked
        tensor at every step would cost a full-size gradient per slice in backward (O(L**2)).
        """
        if self.mode == "LSTM" and self.proj_size == 0 and sequence.shape[0] > 0:
            return self._run_lstm(sequence, h0, c0)  # type: ignore[arg-type]
        directions = 2 if self.bidirectional else 1
        finals_h: list[Tensor] = []
        finals_c: list[Tensor] = []
        steps = unbind_steps(sequence)
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                names = self._all_weights[index]
                out, h, c = self._direction(
                    steps,
                    [getattr(self, n) for n in names],
                    h0[index],
                    None if c0 is None else c0[index],
                    reverse=direction == 1,
                )
                outputs.append(out)
                finals_h.append(h)
                if c is not None:
                    finals_c.append(c)
            steps = outputs[0] if directions == 1 else [cat(pair, -1) for pair in zip(*outputs)]
            if self.dropout and self.training and layer < self.num_layers - 1:
                steps = [F.dropout(x, self.dropout, training=True) for x in steps]
        h_n = stack(finals_h)
        c_n = stack(finals_c) if finals_c else None
        return stack(steps), h_n, c_n

    def _run_lstm(self, sequence: Tensor, h0: Tensor, c0: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``_run`` for an LSTM without projections, on whole sequences: per layer and
        direction one ``linear`` projects every step's input (with ``b_ih + b_hh``) and one
        ``lstm_layer`` op runs the recurrence (see ``plugtorch.nn.functional.recurrent``)."""
        directions = 2 if self.bidirectional else 1
        length = sequence.shape[0]
        finals_h: list[Tensor] = []
        finals_c: list[Tensor] = []
        x = sequence
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                w_ih, w_hh, *biases = (getattr(self, n) for n in self._all_weights[index])
                bias = biases[0] + biases[1] if biases else None
                source = x.flip(0) if direction == 1 else x
                y = lstm_layer(F.linear(source, w_ih, bias), h0[index], c0[index], w_hh)
                out = y[:length]
                outputs.append(out.flip(0) if direction == 1 else out)
                finals_h.append(y[length - 1])
                finals_c.append(y[length])
            x = outputs[0] if directions == 1 else cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        return x, stack(finals_h), stack(finals_c)

    def _direction(
        self,
        steps: list[Tensor],
        weights: list[Parameter],
        h: Tensor,
        c: Tensor | None,
        reverse: bool,
    ) -> tuple[list[Tensor], Tensor, Tensor | None]:
        w_ih, w_hh = weights[0], weights[1]
        b_ih, b_hh = (weights[2], weights[3]) if self.bias else (None, None)
        w_hr = weights[-1] if self.proj_size > 0 else None
        order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
        outputs: list[Tensor] = []
        for t in order:
            x_t = F.linear(steps[t], w_ih, b_ih)
            if self.mode == "LSTM":
                h, c = lstm_step(x_t, h, c, w_hh, b_hh, w_hr)  # type: ignore[arg-type]
            elif self.mode == "GRU":
                h = gru_step(x_t, h, w_hh, b_hh)
            else:
                h = rnn_step(x_t, h, w_hh, b_hh, self.mode == "RNN_RELU")
            outputs.append(h)
        if reverse:
            outputs.reverse()
        return outputs, h, c

    def _zeros(self, sequence: Tensor, size: int) -> Tensor:
        shape = self._hidden_shape(sequence.shape[1], size)
        return zeros(*shape, dtype=sequence.dtype, backend=sequence.backend)

    def _state(self, hx: Tensor | None, sequence: Tensor, batched: bool, size: int) -> Tensor:
        if hx is None:
            return self._zeros(sequence, size)
        if batched and hx.ndim != 3:
            raise RuntimeError(
                f"For batched 3-D input, hx should also be 3-D but got {hx.ndim}-D tensor"
            )
        if not batched:
            if hx.ndim != 2:
                raise RuntimeError(
                    f"For unbatched 2-D input, hx should also be 2-D but got {hx.ndim}-D tensor"
                )
            hx = hx.unsqueeze(1)
        self._check_hidden(hx, self._hidden_shape(sequence.shape[1], size), "hidden")
        return hx


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ReLU) per
    layer. Returns ``(output, h_n)``: ``output (L, N, D * H)`` (``(N, L, D * H)`` with
    ``batch_first``), ``h_n (num_layers * D, N, H)``.

    Signature as PyTorch: ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh',
    bias=True, batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)``.

    >>> import plugtorch as pt
    >>> rnn = RNN(3, 4, num_layers=2, batch_first=True)
    >>> out, h = rnn(pt.randn(5, 7, 3))
    >>> out.shape, h.shape
    ((5, 7, 4), (2, 5, 4))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        self.nonlinearity = nonlinearity
        super().__init__(mode, *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        sequence, batched = self._prepare(input, "RNN")
        h0 = self._state(hx, sequence, batched, self.hidden_size)
        output, h_n, _ = self._run(sequence, h0, None)
        return self._finish(output, batched), (h_n if batched else h_n.squeeze(1))


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's gates ``[i, f, g, o]``; with ``proj_size > 0`` the
    hidden state is projected by ``weight_hr_l{k}`` (LSTMP). Returns
    ``(output, (h_n, c_n))``.

    >>> import plugtorch as pt
    >>> lstm = LSTM(3, 8, proj_size=4, bidirectional=True)
    >>> out, (h, c) = lstm(pt.randn(6, 2, 3))
    >>> out.shape, h.shape, c.shape
    ((6, 2, 8), (2, 2, 4), (2, 2, 8))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
        *,
        backend: Any = None,
    ) -> None:
        super().__init__(
            "LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, proj_size, device, dtype, backend=backend,
        )  # fmt: skip

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        sequence, batched = self._prepare(input, "LSTM")
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        if hx is None:
            h0 = self._zeros(sequence, real_hidden)
            c0 = self._zeros(sequence, self.hidden_size)
        else:
            h0, c0 = hx
            dims = (h0.ndim, c0.ndim)
            wanted = 3 if batched else 2
            if dims != (wanted, wanted):
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(
                    f"For {kind} input, hx and cx should also be {wanted}-D but got "
                    f"({dims[0]}-D, {dims[1]}-D) tensors"
                )
            if not batched:
                h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
            batch = sequence.shape[1]
            self._check_hidden(h0, self._hidden_shape(batch, real_hidden), "hidden[0]")
            self._check_hidden(c0, self._hidden_shape(batch, self.hidden_size), "hidden[1]")
        output, h_n, c_n = self._run(sequence, h0, c0)
        assert c_n is not None
        if not batched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return self._finish(output, batched), (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's gates ``[r, z, n]``:
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) n + z h``. Returns
    ``(output, h_n)``.

    >>> import plugtorch as pt
    >>> gru = GRU(3, 4)
    >>> out, h = gru(pt.randn(6, 3))                    # unbatched (L, H_in)
    >>> out.shape, h.shape
    ((6, 4), (1, 4))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        sequence, batched = self._prepare(input, "GRU")
        h0 = self._state(hx, sequence, batched, self.hidden_size)
        output, h_n, _ = self._run(sequence, h0, None)
        return self._finish(output, batched), (h_n if batched else h_n.squeeze(1))
