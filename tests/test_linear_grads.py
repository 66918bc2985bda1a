"""``linear`` over any leading dimensions and any bias PyTorch accepts, and the backward rules
that call backend primitives directly when no graph of the gradient is built (linear, matmul,
view, reshape, permute): the same gradients as the differentiable rules (``create_graph``), and
second derivatives still through the differentiable rules."""

from __future__ import annotations

import numpy as np
import pytest

import plugtorch as pt
import plugtorch.nn.functional as F
from plugtorch.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(7)


def _leaf(shape: tuple[int, ...], backend: str, dtype: object = pt.float64) -> pt.Tensor:
    return pt.tensor(RNG.standard_normal(shape), dtype=dtype, backend=backend, requires_grad=True)


def _grads(loss_of, leaves: list[pt.Tensor], create_graph: bool) -> list[np.ndarray]:
    grads = pt.autograd.grad(loss_of(*leaves), leaves, create_graph=create_graph)
    return [g.detach().numpy() for g in grads]


@pytest.mark.parametrize("lead", [(), (5,), (2, 5), (2, 3, 5)])
@pytest.mark.parametrize("bias_shape", [None, (4,), (1,), ()])
def test_linear_matches_its_decomposition_with_and_without_a_graph(
    backend_name: str, lead: tuple[int, ...], bias_shape: tuple[int, ...] | None
) -> None:
    x, w = _leaf((*lead, 3), backend_name), _leaf((4, 3), backend_name)
    leaves = [x, w] + ([] if bias_shape is None else [_leaf(bias_shape, backend_name)])
    weights = pt.tensor(RNG.standard_normal((*lead, 4)), dtype=pt.float64, backend=backend_name)

    def fused(*t: pt.Tensor) -> pt.Tensor:
        return (F.linear(*t) * weights).sum()

    def composed(*t: pt.Tensor) -> pt.Tensor:
        y = t[0] @ t[1].mT
        return ((y if len(t) == 2 else y + t[2]) * weights).sum()

    expected = _grads(composed, leaves, create_graph=False)
    for create_graph in (False, True):
        for got, want in zip(_grads(fused, leaves, create_graph), expected, strict=True):
            assert got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert F.linear(*leaves).shape == (*lead, 4)


def test_linear_bias_broadcasting_to_the_rows_as_pytorch(backend_name: str) -> None:
    # PyTorch's addmm takes any bias that broadcasts to the (rows, out) result.
    x, w = _leaf((3, 2), backend_name), _leaf((4, 2), backend_name)
    bias = _leaf((3, 4), backend_name)
    y = F.linear(x, w, bias)
    np.testing.assert_allclose(
        y.detach().numpy(), x.detach().numpy() @ w.detach().numpy().T + bias.detach().numpy()
    )
    y.sum().backward()
    np.testing.assert_array_equal(bias.grad.numpy(), np.ones((3, 4)))
    assert gradcheck(F.linear, (x, w, bias))


@pytest.mark.parametrize("bias_shape", [(2,), (4, 4), (2, 3, 4)])
def test_linear_rejects_a_bias_that_does_not_broadcast(bias_shape: tuple[int, ...]) -> None:
    x, w = pt.ones(3, 2), pt.ones(4, 2)
    with pytest.raises(ValueError, match=r"bias of shape .* does not broadcast to the result"):
        F.linear(x, w, pt.ones(*bias_shape))
    with pytest.raises(TypeError, match="tensor bias"):
        F.linear(x, w, [1.0, 2.0, 3.0, 4.0])  # type: ignore[arg-type]


def test_linear_second_derivatives(backend_name: str) -> None:
    x, w = _leaf((2, 3, 3), backend_name), _leaf((2, 3), backend_name)
    bias = _leaf((2,), backend_name)
    assert gradcheck(F.linear, (x, w, bias))
    assert gradgradcheck(lambda *t: F.linear(*t).tanh(), (x, w, bias))


def test_linear_float32_on_leading_dims_keeps_its_dtype(backend_name: str) -> None:
    x, w = _leaf((2, 5, 3), backend_name, pt.float32), _leaf((4, 3), backend_name, pt.float32)
    bias = _leaf((4,), backend_name, pt.float32)
    F.linear(x, w, bias).sum().backward()
    assert x.grad.dtype == w.grad.dtype == bias.grad.dtype == pt.float32
    assert x.grad.shape == x.shape and bias.grad.shape == (4,)


def test_matmul_and_movement_gradients_with_and_without_a_graph(backend_name: str) -> None:
    a, b = _leaf((2, 3, 4, 5), backend_name), _leaf((2, 3, 5, 6), backend_name)

    def loss(a: pt.Tensor, b: pt.Tensor) -> pt.Tensor:
        y = (a @ b).permute(0, 2, 1, 3).reshape(2, 4, 18)  # a copy: permuted, then reshaped
        z = y.view(8, 18).mT @ y.view(8, 18)
        return (z * z.detach().cos()).sum()

    without = _grads(loss, [a, b], create_graph=False)
    with_graph = _grads(loss, [a, b], create_graph=True)
    for got, want in zip(without, with_graph, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert gradgradcheck(lambda a, b: (a @ b).permute(0, 2, 1, 3).reshape(2, 4, 18), (a, b))


def test_linear_and_matmul_backward_run_no_ops_without_a_graph() -> None:
    # The dispatch saving is the point: the backward of a linear layer on 3-D inputs calls
    # primitives only (profiled op events would show reshape/permute/matmul ops otherwise).
    from plugtorch.profiler import profile

    x, w, bias = _leaf((2, 5, 3), "numpy"), _leaf((4, 3), "numpy"), _leaf((4,), "numpy")
    a = _leaf((2, 4, 4), "numpy")
    loss = (F.linear(x, w, bias) @ a).sum()
    with profile() as prof:
        loss.backward()
    rules = [e for e in prof.events() if e.name in ("LinearBackward0", "MatmulBackward0")]
    assert sorted(e.name for e in rules) == ["LinearBackward0", "MatmulBackward0"]
    for rule in rules:
        children = {c.name for c in rule.cpu_children}
        assert "numpy::matmul" in children
        assert not [n for n in children if n.startswith("plugtorch::")], children
