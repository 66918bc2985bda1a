"""Tensor.register_hook and Tensor.register_post_accumulate_grad_hook, with PyTorch's semantics
written as expectations: a leaf's hooks fire once per backward with the summed gradient, gradient
hooks run before accumulation and post-accumulate hooks after it, in registration order, a
returned tensor replaces the gradient, non-leaf hooks run before retain_grad stores .grad, and
handle.remove() takes a hook out."""

from __future__ import annotations

import numpy as np
import pytest

import plugtorch as pt


def test_leaf_hook_sees_summed_gradient_once_and_replaces_it():
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    seen = []

    def double(grad):
        seen.append(grad.numpy().copy())
        return grad * 2

    x.register_hook(double)
    y = (x * 3.0).sum() + (x * x).sum()  # two contributions: 3 and 2x
    y.backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [5.0, 7.0])
    np.testing.assert_allclose(x.grad.numpy(), [10.0, 14.0])


def test_order_grad_hooks_then_accumulate_then_post_hooks():
    x = pt.tensor([1.0, 1.0], requires_grad=True)
    x.grad = pt.tensor([100.0, 100.0])
    events = []
    x.register_hook(lambda g: events.append(("first", g.numpy().tolist())) or g + 1)
    x.register_hook(lambda g: events.append(("second", g.numpy().tolist())))
    x.register_post_accumulate_grad_hook(lambda t: events.append(("post", t.grad.numpy().tolist())))
    (x * 2.0).sum().backward()
    assert events == [
        ("first", [2.0, 2.0]),
        ("second", [3.0, 3.0]),  # sees the first hook's replacement
        ("post", [103.0, 103.0]),  # after .grad += 3
    ]


def test_post_accumulate_hook_fires_once_per_backward_after_last_consumer():
    w = pt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = pt.tensor([0.5], requires_grad=True)
    grads_when_called = []
    w.register_post_accumulate_grad_hook(lambda t: grads_when_called.append(t.grad.numpy().copy()))
    h = (w * w).sum() * b.sum() + (w * 4.0).sum()
    h.backward()
    assert len(grads_when_called) == 1
    # d/dw = 2 w b + 4 = [5, 6, 7]: the hook saw the total, not a partial sum
    np.testing.assert_allclose(grads_when_called[0], [5.0, 6.0, 7.0])
    h2 = (w * 4.0).sum()
    h2.backward()
    assert len(grads_when_called) == 2
    np.testing.assert_allclose(grads_when_called[1], [9.0, 10.0, 11.0])


def test_post_accumulate_hook_runs_without_grad_and_can_update_in_place():
    v = pt.tensor([0.0, 0.0, 0.0], requires_grad=True)
    modes = []

    def sgd(p):
        modes.append(pt.is_grad_enabled())
        p.sub_(p.grad * 0.01)

    v.register_post_accumulate_grad_hook(sgd)
    v.backward(pt.tensor([1.0, 2.0, 3.0]))
    assert modes == [False]
    np.testing.assert_allclose(v.detach().numpy(), [-0.01, -0.02, -0.03], rtol=1e-6)


def test_hooked_leaf_that_is_itself_an_output_and_used_inside_the_graph():
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append(g.numpy().copy()))
    pt.autograd.backward([x, (x * 3.0).sum()], [pt.tensor([1.0, 1.0]), None])
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0], [4.0, 4.0])
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


def test_nonleaf_hook_changes_gradient_flowing_on_and_runs_before_retain_grad():
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    (y * y).sum().backward()
    np.testing.assert_allclose(seen[0], [4.0, 8.0])  # 2y
    np.testing.assert_allclose(y.grad.numpy(), [40.0, 80.0])  # retain_grad sees the hook's value
    np.testing.assert_allclose(x.grad.numpy(), [80.0, 160.0])


def test_remove_takes_the_hook_out_and_is_idempotent():
    x = pt.tensor([1.0], requires_grad=True)
    calls = []
    handle = x.register_hook(lambda g: calls.append(1))
    post = x.register_post_accumulate_grad_hook(lambda t: calls.append(2))
    (x * 1.0).sum().backward()
    assert calls == [1, 2]
    handle.remove()
    handle.remove()
    post.remove()
    (x * 1.0).sum().backward()
    assert calls == [1, 2]
    np.testing.assert_allclose(x.grad.numpy(), [2.0])
    y = x * 1.0
    with y.register_hook(lambda g: calls.append(3)):
        pass
    y.sum().backward()
    assert calls == [1, 2]


def test_autograd_grad_applies_leaf_hooks_but_not_post_accumulate_hooks():
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    x.register_hook(lambda g: g * 2)
    x.register_post_accumulate_grad_hook(lambda t: calls.append(1))
    (g,) = pt.autograd.grad((x * x).sum(), x)
    np.testing.assert_allclose(g.numpy(), [4.0, 8.0])
    assert calls == [] and x.grad is None


def test_registration_errors():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        pt.tensor([1.0]).register_hook(lambda g: g)
    x = pt.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2.0).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(TypeError, match="callable"):
        x.register_hook(3)
    x.register_hook(lambda g: pt.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="changed the size"):
        (x * 2.0).sum().backward()


def test_post_hook_returning_a_value_is_an_error():
    x = pt.tensor([1.0], requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda t: t)
    with pytest.raises(RuntimeError, match="must return None"):
        (x * 2.0).sum().backward()


def test_hooks_in_a_training_model_fire_once_per_parameter_in_reverse_layer_order():
    pt.manual_seed(0)
    model = pt.nn.Sequential(pt.nn.Linear(3, 4), pt.nn.Tanh(), pt.nn.Linear(4, 2))
    names = dict(model.named_parameters())
    fired = []
    for name, p in names.items():
        p.register_post_accumulate_grad_hook(lambda t, name=name: fired.append(name))
    model(pt.randn(5, 3)).sum().backward()
    assert sorted(fired) == sorted(names)
    assert fired.index("2.weight") < fired.index("0.weight")
