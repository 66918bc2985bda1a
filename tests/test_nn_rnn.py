"""RNN, LSTM, GRU and their cells: outputs equal to the step formulas of PyTorch's
documentation written out in numpy for fixed weights (loaded through a PyTorch-named
state_dict whose keys and shapes are written here), every option, gradcheck in float64, on
every backend."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import plugtorch as pt
from plugtorch import nn
from plugtorch.autograd import gradcheck

RNG = np.random.default_rng(11)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# --- numpy references: one step of each cell, PyTorch's gate order ---------------------------


def np_rnn_step(x, h, w, relu=False):
    pre = x @ w["weight_ih"].T + w.get("bias_ih", 0) + h @ w["weight_hh"].T + w.get("bias_hh", 0)
    return np.maximum(pre, 0) if relu else np.tanh(pre)


def np_lstm_step(x, h, c, w):
    gates = x @ w["weight_ih"].T + w.get("bias_ih", 0) + h @ w["weight_hh"].T + w.get("bias_hh", 0)
    i, f, g, o = np.split(gates, 4, axis=-1)  # input, forget, cell, output
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    h = sigmoid(o) * np.tanh(c)
    if "weight_hr" in w:
        h = h @ w["weight_hr"].T
    return h, c


def np_gru_step(x, h, w):
    xi = x @ w["weight_ih"].T + w.get("bias_ih", 0)
    hh = h @ w["weight_hh"].T + w.get("bias_hh", 0)
    x_r, x_z, x_n = np.split(xi, 3, axis=-1)  # reset, update, new
    h_r, h_z, h_n = np.split(hh, 3, axis=-1)
    r = sigmoid(x_r + h_r)
    z = sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


def np_stack(mode, x, weights, layers, directions, h0, c0=None):
    """Sequence-first ``x (L, N, H_in)``; ``weights[(layer, direction)]`` dicts of arrays."""
    finals_h, finals_c = [], []
    inp = x
    for layer in range(layers):
        outs = []
        for d in range(directions):
            w = weights[(layer, d)]
            index = layer * directions + d
            h = h0[index]
            c = None if c0 is None else c0[index]
            steps = range(len(inp))[::-1] if d == 1 else range(len(inp))
            seq = [None] * len(inp)
            for t in steps:
                if mode == "LSTM":
                    h, c = np_lstm_step(inp[t], h, c, w)
                elif mode == "GRU":
                    h = np_gru_step(inp[t], h, w)
                else:
                    h = np_rnn_step(inp[t], h, w, relu=mode == "RNN_RELU")
                seq[t] = h
            outs.append(np.stack(seq))
            finals_h.append(h)
            finals_c.append(c)
        inp = np.concatenate(outs, axis=-1)
    return inp, np.stack(finals_h), (np.stack(finals_c) if c0 is not None else None)


def pytorch_state_dict(mode, input_size, hidden, layers, directions, bias=True, proj=0):
    """A state_dict as PyTorch names and shapes it, with random values."""
    gates = {"LSTM": 4, "GRU": 3}.get(mode, 1) * hidden
    real = proj or hidden
    state, weights = {}, {}
    for layer in range(layers):
        for d in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if d else "")
            size_in = input_size if layer == 0 else real * directions
            shapes = {"weight_ih": (gates, size_in), "weight_hh": (gates, real)}
            if bias:
                shapes.update(bias_ih=(gates,), bias_hh=(gates,))
            if proj:
                shapes["weight_hr"] = (proj, hidden)
            w = {}
            for stem, shape in shapes.items():
                w[stem] = RNG.uniform(-0.6, 0.6, shape)
                state[stem + suffix] = w[stem]
            weights[(layer, d)] = w
    return state, weights


def load(module, state, backend):
    module.load_state_dict(
        {k: pt.tensor(v, dtype=pt.float64, backend="numpy") for k, v in state.items()}
    )
    return module.to(backend)


CONFIGS = [
    ("RNN_TANH", dict(num_layers=1)),
    ("RNN_RELU", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(num_layers=2, proj_size=2, bidirectional=True)),
    ("LSTM", dict(num_layers=1, bias=False, batch_first=True)),
    ("GRU", dict(num_layers=2)),
    ("GRU", dict(num_layers=1, bidirectional=True, batch_first=True)),
]


def build(mode, **options):
    kwargs = dict(options, dtype=pt.float64)
    if mode == "LSTM":
        return nn.LSTM(3, 4, **kwargs)
    if mode == "GRU":
        return nn.GRU(3, 4, **kwargs)
    return nn.RNN(3, 4, nonlinearity="relu" if mode == "RNN_RELU" else "tanh", **kwargs)


@pytest.mark.parametrize("mode, options", CONFIGS)
def test_stack_matches_step_formulas(backend_name, mode, options):
    layers = options.get("num_layers", 1)
    directions = 2 if options.get("bidirectional") else 1
    proj = options.get("proj_size", 0)
    module = build(mode, **options)
    state, weights = pytorch_state_dict(
        mode, 3, 4, layers, directions, options.get("bias", True), proj
    )
    assert list(module.state_dict()) == list(state)  # PyTorch's names, in PyTorch's order
    load(module, state, backend_name)
    seq, batch = 5, 2
    x = RNG.standard_normal((seq, batch, 3))
    h0 = RNG.standard_normal((layers * directions, batch, proj or 4)) * 0.5
    c0 = RNG.standard_normal((layers * directions, batch, 4)) * 0.5
    want_out, want_h, want_c = np_stack(
        mode, x, weights, layers, directions, h0, c0 if mode == "LSTM" else None
    )
    given = np.swapaxes(x, 0, 1) if options.get("batch_first") else x
    inp = pt.tensor(given, dtype=pt.float64, backend=backend_name)
    h0_t = pt.tensor(h0, dtype=pt.float64, backend=backend_name)
    if mode == "LSTM":
        c0_t = pt.tensor(c0, dtype=pt.float64, backend=backend_name)
        out, (h_n, c_n) = module(inp, (h0_t, c0_t))
        np.testing.assert_allclose(c_n.detach().numpy(), want_c, rtol=1e-10, atol=1e-12)
    else:
        out, h_n = module(inp, h0_t)
    got = out.detach().numpy()
    if options.get("batch_first"):
        got = np.swapaxes(got, 0, 1)
    np.testing.assert_allclose(got, want_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h_n.detach().numpy(), want_h, rtol=1e-10, atol=1e-12)


def test_lstm_state_dict_keys_and_shapes_as_pytorch():
    lstm = nn.LSTM(10, 20, num_layers=2, bidirectional=True, proj_size=5)
    expected = {
        "weight_ih_l0": (80, 10), "weight_hh_l0": (80, 5), "bias_ih_l0": (80,),
        "bias_hh_l0": (80,), "weight_hr_l0": (5, 20),
        "weight_ih_l0_reverse": (80, 10), "weight_hh_l0_reverse": (80, 5),
        "bias_ih_l0_reverse": (80,), "bias_hh_l0_reverse": (80,), "weight_hr_l0_reverse": (5, 20),
        "weight_ih_l1": (80, 10), "weight_hh_l1": (80, 5), "bias_ih_l1": (80,),
        "bias_hh_l1": (80,), "weight_hr_l1": (5, 20),
        "weight_ih_l1_reverse": (80, 10), "weight_hh_l1_reverse": (80, 5),
        "bias_ih_l1_reverse": (80,), "bias_hh_l1_reverse": (80,), "weight_hr_l1_reverse": (5, 20),
    }  # fmt: skip
    got = {k: tuple(v.shape) for k, v in lstm.state_dict().items()}
    assert list(got) == list(expected) and got == expected
    gru = nn.GRU(6, 3, bias=False)
    assert {k: tuple(v.shape) for k, v in gru.state_dict().items()} == {
        "weight_ih_l0": (9, 6),
        "weight_hh_l0": (9, 3),
    }
    assert [len(w) for w in lstm.all_weights] == [5, 5, 5, 5]


def test_initialisation_is_uniform_in_one_over_sqrt_hidden():
    lstm = nn.LSTM(8, 16, num_layers=2)
    bound = 1 / np.sqrt(16)
    values = np.concatenate([p.detach().numpy().ravel() for p in lstm.parameters()])
    assert values.min() >= -bound and values.max() <= bound
    assert values.std() > bound / 3  # spread over the interval, not a constant
    cell = nn.GRUCell(4, 9)
    cell_values = np.concatenate([p.detach().numpy().ravel() for p in cell.parameters()])
    assert np.abs(cell_values).max() <= 1 / 3


@pytest.mark.parametrize("mode", ["RNN_TANH", "LSTM", "GRU"])
def test_unbatched_input_equals_a_batch_of_one(backend_name, mode):
    module = build(mode).to(backend_name)
    x = pt.tensor(RNG.standard_normal((4, 3)), dtype=pt.float64, backend=backend_name)
    single = module(x)
    batch = module(x.unsqueeze(1))
    if mode == "LSTM":
        (out1, (h1, c1)), (out2, (h2, c2)) = single, batch
        np.testing.assert_allclose(c1.detach().numpy(), c2.detach().numpy()[:, 0])
    else:
        (out1, h1), (out2, h2) = single, batch
    assert out1.shape == (4, 4) and h1.shape == (1, 4)
    np.testing.assert_allclose(out1.detach().numpy(), out2.detach().numpy()[:, 0])
    np.testing.assert_allclose(h1.detach().numpy(), h2.detach().numpy()[:, 0])


def test_zero_initial_state_is_the_default():
    gru = build("GRU", num_layers=2)
    x = pt.tensor(RNG.standard_normal((3, 2, 3)), dtype=pt.float64)
    out_default, h_default = gru(x)
    out_zero, h_zero = gru(x, pt.zeros(2, 2, 4, dtype=pt.float64))
    np.testing.assert_array_equal(out_default.detach().numpy(), out_zero.detach().numpy())
    np.testing.assert_array_equal(h_default.detach().numpy(), h_zero.detach().numpy())


def test_dropout_between_layers():
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = pt.randn(6, 2, 3)
    lstm.eval()
    a, b = lstm(x)[0], lstm(x)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    lstm.train()
    c = lstm(x)[0]
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(3, 4, dropout=1.5)


@pytest.mark.parametrize("mode", ["RNN_TANH", "LSTM", "GRU"])
def test_gradcheck(backend_name, mode):
    module = build(mode, num_layers=2, bidirectional=True).to(backend_name)
    x = pt.tensor(RNG.standard_normal((3, 2, 3)), dtype=pt.float64, backend=backend_name,
                  requires_grad=True)  # fmt: skip
    # The input, and a parameter of the last layer's reverse direction (the path through
    # both layers and both directions).
    bias = module.bias_hh_l1_reverse

    def run(inp, b):
        out = module(inp)
        h = out[1][0] if mode == "LSTM" else out[1]
        return out[0].sum(-1), h

    assert gradcheck(run, (x, bias))


def test_lstm_projection_gradcheck():
    lstm = nn.LSTM(2, 3, proj_size=2, dtype=pt.float64)
    x = pt.tensor(RNG.standard_normal((3, 1, 2)), dtype=pt.float64, requires_grad=True)
    assert gradcheck(lambda inp, w: lstm(inp)[1][1], (x, lstm.weight_hr_l0))


@pytest.mark.parametrize("cell_class, mode", [(nn.RNNCell, "RNN_TANH"), (nn.LSTMCell, "LSTM"),
                                              (nn.GRUCell, "GRU")])  # fmt: skip
def test_cells_match_step_formulas(backend_name, cell_class, mode):
    cell = cell_class(3, 4, dtype=pt.float64)
    gates = {"LSTM": 4, "GRU": 3}.get(mode, 1) * 4
    w = {
        "weight_ih": RNG.uniform(-0.5, 0.5, (gates, 3)),
        "weight_hh": RNG.uniform(-0.5, 0.5, (gates, 4)),
        "bias_ih": RNG.uniform(-0.5, 0.5, gates),
        "bias_hh": RNG.uniform(-0.5, 0.5, gates),
    }
    assert list(cell.state_dict()) == list(w)
    load(cell, w, backend_name)
    x, h, c = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 4)), RNG.standard_normal((2, 4))

    def t(a):
        return pt.tensor(a, dtype=pt.float64, backend=backend_name)

    if mode == "LSTM":
        got_h, got_c = cell(t(x), (t(h), t(c)))
        want_h, want_c = np_lstm_step(x, h, c, w)
        np.testing.assert_allclose(got_c.detach().numpy(), want_c, rtol=1e-12)
        one_h, _ = cell(t(x[0]), (t(h[0]), t(c[0])))  # unbatched
    else:
        got_h = cell(t(x), t(h))
        want_h = np_gru_step(x, h, w) if mode == "GRU" else np_rnn_step(x, h, w)
        one_h = cell(t(x[0]), t(h[0]))
    np.testing.assert_allclose(got_h.detach().numpy(), want_h, rtol=1e-12)
    np.testing.assert_allclose(one_h.detach().numpy(), want_h[0], rtol=1e-12)
    xg = pt.tensor(x, dtype=pt.float64, backend=backend_name, requires_grad=True)
    step = (lambda a: cell(a)[0]) if mode == "LSTM" else cell
    assert gradcheck(step, (xg,))


def test_rnn_cell_relu_and_repr():
    cell = nn.RNNCell(2, 3, bias=False, nonlinearity="relu")
    assert repr(cell) == "RNNCell(2, 3, bias=False, nonlinearity=relu)"
    out = cell(pt.randn(4, 2))
    assert (out.detach().numpy() >= 0).all()
    assert repr(nn.LSTM(3, 4, num_layers=2, batch_first=True)) == (
        "LSTM(3, 4, num_layers=2, batch_first=True)"
    )


def test_errors_are_pytorchs():
    lstm = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. "
                                           "Expected 3, got 5"):  # fmt: skip
        lstm(pt.randn(2, 1, 5))
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D"):
        lstm(pt.randn(2, 1, 1, 3))
    with pytest.raises(
        RuntimeError, match=r"Expected hidden\[0\] size \(2, 1, 4\), got \[1, 1, 4\]"
    ):
        lstm(pt.randn(2, 1, 3), (pt.zeros(1, 1, 4), pt.zeros(2, 1, 4)))
    with pytest.raises(RuntimeError, match="hx and cx should also be 3-D"):
        lstm(pt.randn(2, 1, 3), (pt.zeros(2, 4), pt.zeros(2, 4)))
    gru = nn.GRU(3, 4)
    with pytest.raises(RuntimeError, match="Expected hidden size \\(1, 2, 4\\), got \\[1, 3, 4\\]"):
        gru(pt.randn(5, 2, 3), pt.zeros(1, 3, 4))
    with pytest.raises(RuntimeError, match="hx should also be 2-D"):
        gru(pt.randn(5, 3), pt.zeros(1, 1, 4))
    with pytest.raises(ValueError, match="input must have the type plugtorch.float32"):
        gru(pt.randn(5, 2, 3, dtype=pt.float64))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, 1, "sigmoid")
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.LSTM(3, 0)
    with pytest.raises(ValueError, match="num_layers must be greater than zero"):
        nn.GRU(3, 4, num_layers=0)
    with pytest.raises(ValueError, match="LSTMCell: Expected input to be 1D or 2D, got 3D"):
        nn.LSTMCell(3, 4)(pt.randn(1, 1, 3))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden batch size 3"):
        nn.GRUCell(3, 4)(pt.randn(2, 3), pt.zeros(3, 4))


def test_rnn_positional_nonlinearity_and_flatten_parameters():
    rnn = nn.RNN(3, 4, 2, "relu", False)
    assert rnn.nonlinearity == "relu" and rnn.num_layers == 2 and rnn.bias is False
    rnn.flatten_parameters()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, h = rnn(pt.randn(5, 3))
    assert out.shape == (5, 4) and h.shape == (2, 4)


def test_lstm_trains_a_copy_task():
    pt.manual_seed(1)
    lstm = nn.LSTM(2, 8, batch_first=True)
    head = nn.Linear(8, 2)
    opt = pt.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.05)
    x = pt.tensor(RNG.standard_normal((16, 5, 2)), dtype=pt.float32)
    first = None
    for _ in range(30):
        opt.zero_grad()
        out, _ = lstm(x)
        loss = ((head(out) - x) ** 2).mean()
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < 0.3 * first
