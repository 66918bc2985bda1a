"""A whole LSTM layer's recurrence as one accelerated op (what ``nn.LSTM`` runs per layer and
direction, and ``nn.LSTMCell`` with one step).

The input projection ``x W_ih^T + b_ih + b_hh`` of every time step is one ``linear`` before the
op (one large GEMM instead of one per step); the op runs the recurrence
``gates_t = x_proj[t] + h_{t-1} W_hh^T``, ``c_t = sigmoid(f) c_{t-1} + sigmoid(i) tanh(g)``,
``h_t = sigmoid(o) tanh(c_t)`` (PyTorch's gate order ``[i, f, g, o]``) and returns every
``h_t`` and the last cell state in one tensor ``y (L + 1, N, H)``: ``y[:L]`` is the output
sequence, ``y[L - 1]`` the last hidden state, ``y[L]`` the last cell state.

On a backend with the ``lstm_layer`` primitive this is one call forward and one
``lstm_layer_backward`` call (back-propagation through time, a fused cell kernel and one GEMM
per step, one GEMM for ``W_hh``'s gradient) where the decomposition runs about twenty ops per
step each way.
"""

from __future__ import annotations

from typing import Any

from plugtorch.backend.protocol import AcceleratedBackend
from plugtorch.ops._precision import apply_in_float32
from plugtorch.ops.registry import op
from plugtorch.ops.shape import stack
from plugtorch.tensor import Tensor

__all__ = ["lstm_layer", "unbind_steps"]


@op("lstm_layer", saves_output=True, primitive="lstm_layer", state=True)
def lstm_layer_op(b: AcceleratedBackend, x_proj: Any, h0: Any, c0: Any, w_hh: Any) -> Any:
    """The LSTM recurrence over x_proj (L, N, 4H) from h0, c0 (N, H) with W_hh (4H, H), by the
    backend's lstm_layer primitive: y (L + 1, N, H) = every h_t, then the last c.

    Gradient: the lstm_layer_backward primitive (back-propagation through time), else the
    decomposition's (the step loop in differentiable ops).
    """
    return b.lstm_layer(x_proj, h0, c0, w_hh)


def unbind_steps(sequence: Tensor) -> list[Tensor]:
    """``[sequence[0], sequence[1], ...]`` through a binary tree of slices.

    A slice's backward builds a gradient of its parent's full size, so slicing every step
    straight from the sequence costs O(L**2) in backward; halving recursively costs
    O(L log L). (An ``unbind`` op whose backward is one ``stack`` would make it O(L).)
    """
    length = sequence.shape[0]
    if length <= 2:
        return [sequence[t] for t in range(length)]
    middle = length // 2
    return unbind_steps(sequence[:middle]) + unbind_steps(sequence[middle:])


@lstm_layer_op.decomposition
def _(x_proj: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor) -> Tensor:
    h, c = h0, c0
    outputs = []
    for x_t in unbind_steps(x_proj):
        gates = x_t + h @ w_hh.mT
        i, f, g, o = gates.chunk(4, -1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        outputs.append(h)
    return stack(outputs + [c])


@lstm_layer_op.backward_primitive("lstm_layer_backward")
def _(b: AcceleratedBackend, ctx: Any, g: Tensor, needs: tuple[bool, ...]) -> tuple[Any, ...]:
    x_proj, h0, c0, w_hh = (t._data for t in ctx.inputs)
    y = ctx.saved_output
    need_x, need_h0, need_c0, need_w = needs
    wanted = (need_x, need_h0, need_c0, need_w)
    return b.lstm_layer_backward(g._data, x_proj, h0, c0, w_hh, y, ctx.state, wanted)


def lstm_layer(x_proj: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor) -> Tensor:
    """The LSTM recurrence of one layer and direction as one op (internal: ``nn.LSTM`` and
    ``nn.LSTMCell`` call it): ``x_proj (L, N, 4H)`` is ``x W_ih^T + b_ih + b_hh`` of every
    step, ``h0``, ``c0`` are ``(N, H)``, ``w_hh`` is ``(4H, H)``. Returns ``y (L + 1, N, H)``:
    ``h_1 .. h_L`` and then ``c_L``.

    >>> import plugtorch as pt
    >>> lstm_layer(pt.zeros(2, 1, 4), pt.zeros(1, 1), pt.zeros(1, 1), pt.zeros(4, 1)).shape
    (3, 1, 1)
    """
    length, batch, gates = x_proj.shape
    hidden = w_hh.shape[1]
    if length < 1 or gates != 4 * hidden or w_hh.shape[0] != gates:
        raise ValueError(
            f"lstm_layer: x_proj {x_proj.shape} and w_hh {w_hh.shape} do not fit (expected "
            f"(L >= 1, N, 4H) and (4H, H))"
        )
    for name, state in (("h0", h0), ("c0", c0)):
        if state.shape != (batch, hidden):
            raise ValueError(f"lstm_layer: {name} {state.shape}, expected {(batch, hidden)}")
    return apply_in_float32(lstm_layer_op, (x_proj, h0, c0, w_hh), x_proj._dtype)
