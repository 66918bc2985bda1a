"""Autograd semantics: accumulation, graphs, higher order, custom functions, errors."""

from __future__ import annotations

import numpy as np
import pytest

import plugtorch as pt


def test_grad_accumulates_on_leaves() -> None:
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])


def test_shared_subexpression_gets_both_paths() -> None:
    x = pt.tensor(2.0, requires_grad=True)
    y = x * x
    (y + y * 3).backward()
    assert x.grad.item() == pytest.approx(16.0)


def test_broadcast_gradient_sums_back() -> None:
    b = pt.zeros(3, requires_grad=True)
    x = pt.ones(4, 3)
    (x + b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [4, 4, 4])


def test_second_backward_without_retain_graph_explains() -> None:
    x = pt.tensor(1.0, requires_grad=True)
    y = x.exp() * 2
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward() -> None:
    x = pt.tensor(1.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(4.0)


def test_gradients_of_gradients() -> None:
    x = pt.tensor(3.0, requires_grad=True)
    (dx,) = pt.autograd.grad(x**3, x, create_graph=True)
    (ddx,) = pt.autograd.grad(dx, x, create_graph=True)
    (dddx,) = pt.autograd.grad(ddx, x)
    assert (dx.item(), ddx.item(), dddx.item()) == pytest.approx((27.0, 18.0, 6.0))


def test_backward_create_graph_makes_grad_differentiable() -> None:
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    (x**2).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_autograd_grad_does_not_touch_dot_grad() -> None:
    x = pt.tensor(2.0, requires_grad=True)
    (g,) = pt.autograd.grad(x * x, x)
    assert g.item() == 4.0 and x.grad is None


def test_grad_with_unused_input() -> None:
    x = pt.tensor(1.0, requires_grad=True)
    y = pt.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        pt.autograd.grad(x * 2, [x, y])
    assert pt.autograd.grad(x * 2, [x, y], allow_unused=True)[1] is None


def test_no_grad_and_enable_grad() -> None:
    w = pt.ones(2, requires_grad=True)
    with pt.no_grad():
        y = w * 2
        with pt.enable_grad():
            z = w * 2
    assert not y.requires_grad and z.requires_grad

    @pt.no_grad()
    def inference(t: pt.Tensor) -> pt.Tensor:
        return t * 2

    assert not inference(w).requires_grad


def test_detach_and_requires_grad_() -> None:
    x = pt.ones(2, requires_grad=True)
    assert not (x * 2).detach().requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        pt.tensor([1, 2]).requires_grad_()


def test_retain_grad_on_intermediate() -> None:
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [4.0, 8.0])


def test_retained_grad_accumulates_over_backward_calls_and_owns_its_storage() -> None:
    # PyTorch adds a retained non-leaf gradient up over backward calls, as for leaves.
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    y.retain_grad()  # a second call does not count the gradient twice
    z = (y**2).sum()
    z.backward(retain_graph=True)
    np.testing.assert_allclose(y.grad.numpy(), [6.0, 12.0])
    z.backward()
    np.testing.assert_allclose(y.grad.numpy(), [12.0, 24.0])
    np.testing.assert_allclose(x.grad.numpy(), [36.0, 72.0])
    # The retained gradient is a copy: zeroing it leaves the leaf's alone.
    a = pt.tensor([1.0, 2.0], requires_grad=True)
    b = a + 0
    b.retain_grad()
    b.sum().backward()
    b.grad.zero_()
    np.testing.assert_allclose(a.grad.numpy(), [1.0, 1.0])


def test_long_chain_has_no_recursion_limit() -> None:
    x = pt.ones(16, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.ones(16))


def test_nondifferentiable_ops_say_so() -> None:
    x = pt.tensor([1.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="'gt'.*not differentiable"):
        (x > 2).sum().to(pt.float32).backward()
    with pytest.raises(RuntimeError, match="argmax|not differentiable|int64"):
        x.argmax().backward()


def test_backward_needs_scalar_or_gradient() -> None:
    x = pt.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="one element"):
        (x * 2).backward()
    (x * 2).backward(pt.ones(3))
    np.testing.assert_allclose(x.grad.numpy(), [2, 2, 2])


def test_custom_function() -> None:
    class Cube(pt.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x * x * x * scale

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x * ctx.scale, None

    x = pt.tensor([1.0, 2.0], dtype=pt.float64, requires_grad=True)
    Cube.apply(x, 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 24.0])
    assert pt.autograd.gradcheck(lambda t: Cube.apply(t, 2.0), (x,))


def test_inplace_on_leaf_requiring_grad_is_refused() -> None:
    w = pt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w += 1
    with pt.no_grad():
        w -= 1
    assert w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.numpy() if not w.requires_grad else w.detach().numpy(), [0, 0])


def test_gradcheck_reports_a_wrong_gradient() -> None:
    class Wrong(pt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, grad):
            return grad  # should be 2x * grad

    x = pt.tensor([1.5, 2.5], dtype=pt.float64, requires_grad=True)
    with pytest.raises(pt.autograd.GradcheckError, match="analytical"):
        pt.autograd.gradcheck(Wrong.apply, (x,))


def test_leaf_grads_are_distinct_objects() -> None:
    a = pt.ones(2, requires_grad=True)
    b = pt.ones(2, requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad.mul_(10.0)
    assert b.grad.tolist() == [1.0, 1.0]
