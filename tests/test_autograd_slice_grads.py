"""Gradients of slices (split, chunk, unbind, basic indexing) added in place into the
gradient the engine accumulates for the sliced tensor (``Op.accumulate_rule``): the same
values as the dense rule, and nothing the user holds is written."""

from __future__ import annotations

import numpy as np
import pytest

import plugtorch as pt

# every installed backend: numpy and numba add in place, strict (values, not memory) declines
BACKENDS = [info.name for info in pt.list_backends() if info.available]


def _pieces_loss(y: pt.Tensor) -> pt.Tensor:
    a, b, c = y.split(3, dim=1)
    first, second = y.chunk(2, dim=0)
    rows = y.unbind(0)
    return (
        (a * 2).sum()
        + (b**2).sum()
        + c[1:, ::2].sum()
        + y[0].sum()
        + (first * second).sum()
        + rows[-1].sum() * 3
        + y[..., -1].sum()
    )


def _grads(backend: str, dtype: pt.dtype, slices_in_place: bool) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    x = pt.tensor(rng.standard_normal((4, 6)), dtype=dtype, backend=backend, requires_grad=True)
    w = pt.tensor(rng.standard_normal((6, 9)), dtype=dtype, backend=backend, requires_grad=True)
    y = x @ w
    y.retain_grad()
    op = pt.ops.indexing.getitem_op
    saved = op.accumulate
    if not slices_in_place:
        op.accumulate = None
    try:
        _pieces_loss(y).backward()
    finally:
        op.accumulate = saved
    assert x.grad is not None and w.grad is not None and y.grad is not None
    return x.grad.numpy(), w.grad.numpy(), y.grad.numpy()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [pt.float32, pt.float64])
def test_in_place_slice_gradients_equal_the_dense_rule(backend, dtype):
    fast = _grads(backend, dtype, slices_in_place=True)
    dense = _grads(backend, dtype, slices_in_place=False)
    for got, want in zip(fast, dense):
        np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == pt.float32 else 1e-12)


def test_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    xv, wv = rng.standard_normal((4, 6)), rng.standard_normal((6, 9))
    x = pt.tensor(xv, requires_grad=True)
    w = pt.tensor(wv, requires_grad=True)
    _pieces_loss(x @ w).backward()
    xt = torch.tensor(xv, requires_grad=True)
    wt = torch.tensor(wv, requires_grad=True)
    _pieces_loss(xt @ wt).backward()  # the same tensor methods in PyTorch
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy(), rtol=1e-12)


def test_a_users_gradient_is_never_written():
    # y's gradient starts as the user's tensor (a root), so the slices' gradient is added to a
    # new tensor, not into the user's.
    x = pt.ones(3, 4, requires_grad=True)
    y = x * 2
    user = pt.ones(3, 4)
    pt.autograd.backward([y, y[1:].sum(), y[:, 0].sum()], [user, pt.tensor(1.0), pt.tensor(1.0)])
    np.testing.assert_array_equal(user.numpy(), np.ones((3, 4)))
    want = np.full((3, 4), 2.0)
    want[1:] += 2
    want[:, 0] += 2
    np.testing.assert_array_equal(x.grad.numpy(), want)


def test_a_piece_used_twice_and_a_gradient_hook_see_the_whole_sum():
    x = pt.arange(6.0, requires_grad=True)
    y = x * 1
    seen = []
    y.register_hook(lambda g: seen.append(g.clone()))
    a, b = y.split(3)
    (a * a).sum().add(a.sum()).add((b * 3).sum()).backward()
    want = np.concatenate([2 * np.arange(3.0) + 1, np.full(3, 3.0)])
    np.testing.assert_array_equal(x.grad.numpy(), want)
    np.testing.assert_array_equal(seen[0].numpy(), want)


def test_autograd_grad_and_create_graph_keep_their_meaning():
    x = pt.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x**2
    a, b = y.split(2)
    loss = (a * 3).sum() + (b * b).sum()
    (gy,) = pt.autograd.grad(loss, y, retain_graph=True)
    np.testing.assert_array_equal(gy.numpy(), [3.0, 3.0, 18.0, 32.0])
    (gx,) = pt.autograd.grad(loss, x, create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), [6.0, 12.0, 4 * 27.0, 4 * 64.0])
    gx.sum().backward()  # second derivative: 6 for the a part, 12 x^2 for the b part
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0, 108.0, 192.0])


def test_a_leaf_split_directly_and_new_axes():
    x = pt.arange(8.0, requires_grad=True)
    a, b = x.split(4)
    (a.sum() * 2 + b[None, 1:].sum() + x[None].sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3, 3, 3, 1, 2, 2, 2])


def test_profile_names_the_in_place_rule_as_the_backward_rule():
    x = pt.ones(4, 6, requires_grad=True)
    y = x * 2
    with pt.profiler.profile() as prof:
        sum(piece.sum() for piece in y.split(2, dim=1)).backward()
    names = [e.name for e in prof.events()]
    assert names.count("GetitemBackward0") == 3
    # the first piece's gradient is built dense, the other two are added into it in place
    assert names.count("plugtorch::getitem_backward") == 1
    assert names.count("numpy::binary_inplace") == 2
    np.testing.assert_array_equal(x.grad.numpy(), np.full((4, 6), 2.0))
