"""Edge cases of the backward rules that call backend primitives directly when no graph of the
gradient is built (view, reshape, permute, linear, matmul) and of ``linear``'s bias rule: a
gradient that is a view of the incoming gradient never becomes a leaf's ``.grad`` as it is
(it may be a broadcast gradient whose elements share one address, the user's gradient, or
another leaf's), zero-size features with ``create_graph``, and a 1-D input's row bias."""

from __future__ import annotations

import numpy as np
import pytest

import plugtorch as pt
import plugtorch.nn.functional as F

MOVES = {
    "view": lambda t: t.view(6),
    "reshape": lambda t: t.reshape(6),
    "permute": lambda t: t.permute(1, 0),
}


@pytest.mark.parametrize("move", sorted(MOVES))
def test_a_broadcast_gradient_through_a_view_accumulates_into_grad(
    backend_name: str, move: str
) -> None:
    # loss.sum() sends a broadcast gradient (one element, zero strides); the view's backward
    # reshapes it. PyTorch: a second backward adds into .grad, and .grad can be scaled in place.
    x = pt.zeros(2, 3, backend=backend_name, requires_grad=True)
    for _ in range(2):
        MOVES[move](x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))
    x.grad.mul_(0.5)  # as clip_grad_norm_ does
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))


@pytest.mark.parametrize("move", ["view", "permute"])
def test_leaf_grads_through_views_own_their_memory(backend_name: str, move: str) -> None:
    # add passes one gradient to both views: each leaf's .grad is its own array, and neither
    # is the caller's gradient (the engine copies a gradient that aliases anything).
    x = pt.zeros(2, 3, backend=backend_name, requires_grad=True)
    y = pt.zeros(2, 3, backend=backend_name, requires_grad=True)
    g = pt.ones(6, backend=backend_name) if move == "view" else pt.ones(3, 2, backend=backend_name)
    (MOVES[move](x) + MOVES[move](y)).backward(g)
    x.grad.add_(pt.ones(2, 3, backend=backend_name))
    np.testing.assert_array_equal(y.grad.numpy(), np.ones((2, 3)))
    y.grad.zero_()
    np.testing.assert_array_equal(g.numpy(), np.ones(g.shape))
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))


def test_momentum_training_with_penalties_through_views(backend_name: str) -> None:
    # Gradient accumulation over two micro-batches and SGD with momentum, with a penalty that
    # reaches the weights through view/permute/reshape of a summed loss: every step's update
    # equals the one computed with a graph of the gradient (the differentiable rules).
    rng = np.random.default_rng(5)
    start = [rng.standard_normal((6, 4)) * 0.3, rng.standard_normal(6) * 0.1]
    batches = [rng.standard_normal((2, 5, 4)) for _ in range(6)]

    def run(create_graph: bool) -> list[np.ndarray]:
        w, b = (pt.tensor(a, backend=backend_name, requires_grad=True) for a in start)
        opt = pt.optim.SGD([w, b], lr=0.05, momentum=0.9)
        for step in range(3):
            opt.zero_grad()
            for micro in range(2):
                x = pt.tensor(batches[2 * step + micro], backend=backend_name)
                y = F.linear(x, w, b).tanh()
                penalty = w.permute(1, 0).sum() + w.view(-1).sum() + b.reshape(2, 3).sum()
                loss = (y * y).mean() + 1e-2 * penalty
                loss.backward(create_graph=create_graph)
            with pt.no_grad():
                opt.step()
        return [t.detach().numpy() for t in (w, b)]

    for got, want in zip(run(False), run(True), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("x_shape", "w_shape"), [((3, 2, 0), (5, 0)), ((3, 2, 4), (0, 4))])
def test_linear_zero_features_with_a_graph_of_the_gradient(
    backend_name: str, x_shape: tuple[int, ...], w_shape: tuple[int, ...]
) -> None:
    # PyTorch: zero in- or out-features give zero gradients of the inputs' shapes, also with
    # create_graph (a reshape to (-1, 0) cannot infer its rows).
    x = pt.ones(x_shape, dtype=pt.float64, backend=backend_name, requires_grad=True)
    w = pt.ones(w_shape, dtype=pt.float64, backend=backend_name, requires_grad=True)
    b = pt.ones(w_shape[0], dtype=pt.float64, backend=backend_name, requires_grad=True)
    for create_graph in (False, True):
        y = F.linear(x, w, b)
        assert y.shape == (*x_shape[:-1], w_shape[0])
        grads = pt.autograd.grad((y * y).sum(), (x, w, b), create_graph=create_graph)
        for grad, leaf in zip(grads, (x, w, b), strict=True):
            assert grad.shape == leaf.shape
        np.testing.assert_array_equal(grads[0].detach().numpy(), np.zeros(x_shape))
        np.testing.assert_array_equal(grads[1].detach().numpy(), np.zeros(w_shape))
        np.testing.assert_array_equal(grads[2].detach().numpy(), 2.0 * 6 * np.ones(w_shape[0]))


def test_linear_vector_input_takes_a_row_bias(backend_name: str) -> None:
    # PyTorch: a 1-D input is one row of the product, so a (1, out) bias fits it; the result
    # stays (out,), and the bias's gradient keeps the bias's shape. A (out, 1) bias does not.
    x = pt.tensor([1.0, 2.0], backend=backend_name, requires_grad=True)
    w = pt.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], backend=backend_name)
    bias = pt.tensor([[10.0, 20.0, 30.0]], backend=backend_name, requires_grad=True)
    y = F.linear(x, w, bias)
    assert y.shape == (3,)
    np.testing.assert_allclose(y.detach().numpy(), [11.0, 22.0, 33.0])
    (y * pt.tensor([1.0, 2.0, 3.0], backend=backend_name)).sum().backward()
    np.testing.assert_allclose(bias.grad.numpy(), [[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 5.0])
    with pytest.raises(ValueError, match=r"bias of shape \(3, 1\) does not broadcast"):
        F.linear(x, w, pt.ones(3, 1, backend=backend_name))


def test_a_leaf_gets_its_gradient_in_its_own_row_major_layout(backend_name: str) -> None:
    # PyTorch's AccumulateGrad gives .grad the parameter's layout: after x.t() @ w or a
    # permute the gradient arrives column-major, and p.grad.view(-1) must still work.
    x = pt.randn(6, 4, backend=backend_name, requires_grad=True)
    w = pt.ones(6, 3, backend=backend_name)
    (x.t() @ w).sum().backward()
    assert x.grad.is_contiguous()
    np.testing.assert_array_equal(x.grad.view(-1).numpy(), np.full(24, 3.0))
    y = pt.randn(6, 4, backend=backend_name, requires_grad=True)
    g = pt.arange(24.0, backend=backend_name).reshape(4, 6)
    y.permute(1, 0).backward(g)
    assert y.grad.is_contiguous()
    np.testing.assert_array_equal(y.grad.numpy(), np.arange(24.0).reshape(4, 6).T)
    y.permute(1, 0).backward(g)  # the second adds in place, keeping the layout
    assert y.grad.is_contiguous()
    np.testing.assert_array_equal(y.grad.numpy(), 2 * np.arange(24.0).reshape(4, 6).T)
