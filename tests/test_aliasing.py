"""Views share memory and in-place writes reach every alias, on every installed backend.

The checks live in ``plugtorch.testing.aliasing`` so that the conformance suite runs the same
ones against any backend; here they run on each backend installed in this environment.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import plugtorch as pt
from plugtorch.testing import aliasing

VIEW_IDS = [pytest.param(c, id=c.name) for c in aliasing.VIEW_CASES]
INPLACE_IDS = [pytest.param(c, id=c.name) for c in aliasing.INPLACE_CASES]


@pytest.mark.parametrize("case", VIEW_IDS)
def test_view_shares_memory_both_ways(backend_name: str, case: aliasing.ViewCase) -> None:
    aliasing.check_view_case(backend_name, case)


@pytest.mark.parametrize("case", INPLACE_IDS)
def test_inplace_op_reaches_every_alias(backend_name: str, case: aliasing.InplaceCase) -> None:
    aliasing.check_inplace_case(backend_name, case)


def test_training_idioms_update_parameters_in_place(backend_name: str) -> None:
    aliasing.check_training_idioms(backend_name)


@pytest.mark.parametrize("name", sorted(aliasing.VERSION_CASES))
def test_version_counter_errors_where_pytorch_raises(backend_name: str, name: str) -> None:
    aliasing.check_version_case(backend_name, name)


@pytest.mark.parametrize("name", sorted(aliasing.GRAD_CASES))
def test_gradients_through_inplace_writes(backend_name: str, name: str) -> None:
    aliasing.check_grad_case(backend_name, name)


_STEPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("view"), st.integers(0, 20), st.sampled_from(sorted(aliasing.CHAIN_VIEWS))
        ),
        st.tuples(
            st.just("write"), st.integers(0, 20), st.sampled_from(sorted(aliasing.CHAIN_WRITES))
        ),
    ),
    max_size=12,
)


@given(shape=st.sampled_from([(4, 3), (3, 4, 2), (6,), (2, 1, 3)]), steps=_STEPS)
def test_random_chains_of_views_and_writes_match_numpy(shape, steps) -> None:  # type: ignore[no-untyped-def]
    for name in pt.list_backends():
        if name.available:
            aliasing.run_chain(name.name, shape, steps)


# --- PyTorch's observable details -------------------------------------------------------------


def test_is_contiguous_stride_and_offset_follow_pytorch(backend_name: str) -> None:
    x = pt.zeros(2, 3, 4, backend=backend_name)
    assert x.is_contiguous() and x.stride() == (12, 4, 1) and x.storage_offset() == 0
    t = x.transpose(0, 2)
    assert not t.is_contiguous() and t.stride() == (1, 4, 12)
    assert t.contiguous().is_contiguous() and t.contiguous() is not t
    assert x.contiguous() is x
    s = x[1, 1:]
    assert s.storage_offset() == 16 and s.stride() == (4, 1) and s.is_contiguous()
    assert x[:, :, ::2].stride() == (12, 4, 2)
    assert x.expand(5, 2, 3, 4).stride() == (0, 12, 4, 1)
    assert x.unsqueeze(1).stride(1) in (4, 12)  # size-1 dims: any stride


def test_data_ptr_and_storage_identity(backend_name: str) -> None:
    x = pt.zeros(4, 4, backend=backend_name)
    v = x.view(16)
    assert v.data_ptr() == x.data_ptr()
    assert x.untyped_storage().data_ptr() == v.untyped_storage().data_ptr()
    assert x[1].data_ptr() == x.data_ptr() + 4 * x.element_size()
    assert x.t().untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    assert x.clone().data_ptr() != x.data_ptr()
    assert x.detach().data_ptr() == x.data_ptr()


def test_view_requires_compatible_strides(backend_name: str) -> None:
    x = pt.arange(6.0, backend=backend_name).view(2, 3)
    with pytest.raises(ValueError, match="Use .reshape"):
        x.t().view(6)
    y = x.t().reshape(6)  # a copy: writes do not reach x
    y.fill_(0)
    assert x.sum().item() == 15.0
    assert x.t().contiguous().view(6).tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]


def test_reshape_of_contiguous_is_a_view(backend_name: str) -> None:
    x = pt.zeros(2, 3, backend=backend_name)
    r = x.reshape(3, 2)
    r[0, 0] = 1.0
    assert x[0, 0].item() == 1.0 and r._base is x


def test_inplace_result_must_keep_shape_and_dtype(backend_name: str) -> None:
    x = pt.zeros(3, backend=backend_name)
    with pytest.raises(
        ValueError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"
    ):
        x.add_(pt.ones(2, 3, backend=backend_name))
    i = pt.zeros(3, dtype=pt.int64, backend=backend_name)
    with pytest.raises(
        TypeError, match="result type Float can't be cast to the desired output type Long"
    ):
        i.add_(0.5)
    i.copy_(pt.tensor([1.7, -1.7, 2.2], backend=backend_name))  # copy_ casts (truncates)
    assert i.tolist() == [1, -1, 2]
    i.fill_(2.9)
    assert i.tolist() == [2, 2, 2]


def test_writes_to_expanded_tensors_are_refused(backend_name: str) -> None:
    x = pt.zeros(3, 1, backend=backend_name)
    e = x.expand(3, 4)
    with pytest.raises(RuntimeError, match="single memory location"):
        e.add_(1)
    with pytest.raises(RuntimeError, match="single memory location"):
        e[0] = 1.0
    assert x.sum().item() == 0.0


def test_copy_from_another_backend_writes_in_place(backend_name: str) -> None:
    x = pt.zeros(3, backend=backend_name)
    alias = x[1:]
    x.copy_(pt.tensor([1.0, 2.0, 3.0], backend="numpy"))
    assert alias.tolist() == [2.0, 3.0]


def test_grad_accumulates_in_place_and_is_never_shared(backend_name: str) -> None:
    x = pt.ones(3, requires_grad=True, backend=backend_name)
    y = pt.ones(3, requires_grad=True, backend=backend_name)
    (x + y).sum().backward()  # one gradient reaches two leaves
    grad = x.grad
    x.grad.mul_(5)  # clipping one leaf's .grad must not change the other's
    assert y.grad.tolist() == [1.0, 1.0, 1.0]
    (x * 2).sum().backward()
    assert x.grad is grad and x.grad.tolist() == [7.0, 7.0, 7.0]


def test_zero_size_and_zero_dim_aliases(backend_name: str) -> None:
    s = pt.tensor(3.0, backend=backend_name)
    alias = s.view(1)
    s.add_(1)
    assert alias.item() == 4.0
    r = pt.tensor(2.0, backend=backend_name) * 3  # a 0-d result, then written in place
    d = r.detach()
    r.mul_(2)
    assert d.item() == 12.0
    empty = pt.zeros(0, 3, backend=backend_name)
    empty.add_(1)
    assert empty.view(3, 0).shape == (3, 0)


def test_sgd_step_allocates_no_parameter_sized_array() -> None:
    import tracemalloc

    for backend in ("numpy", "numba"):
        if backend not in [i.name for i in pt.list_backends() if i.available]:
            continue
        param = pt.nn.Parameter(pt.zeros(1_000_000, backend=backend))
        param.grad = pt.ones(1_000_000, backend=backend)
        optimizer = pt.optim.SGD([param], lr=0.1, momentum=0.9)
        optimizer.step()  # first step makes the momentum buffer
        tracemalloc.start()
        optimizer.step()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 1_000_000, f"{backend}: an SGD step allocated {peak} bytes"
        assert np.allclose(param.detach().numpy(), -0.1 - 0.1 * 1.9)


def test_a_leaf_used_many_times_gets_the_sum_in_memory_of_its_own(backend_name: str) -> None:
    # The engine sums a leaf's later gradients straight into the .grad this pass made; that
    # .grad must still share memory with nothing (not a retained gradient, not a constant).
    x = pt.tensor([1.0, 2.0, 3.0], requires_grad=True, backend=backend_name)
    b = pt.full((3,), 4.0, backend=backend_name)
    h = x * 1
    h.retain_grad()
    out = (h + x).sum() + (b * x).sum() + (x * x).sum() + x.sum()
    out.backward()
    assert x.grad.tolist() == [9.0, 11.0, 13.0]  # 1 + 1 + 4 + 2x + 1
    assert h.grad.tolist() == [1.0, 1.0, 1.0] and b.tolist() == [4.0, 4.0, 4.0]
    grad = x.grad
    x.grad.mul_(0)
    assert h.grad.tolist() == [1.0, 1.0, 1.0]
    (x * 3).sum().backward()  # a later pass accumulates into the same tensor
    assert x.grad is grad and x.grad.tolist() == [3.0, 3.0, 3.0]


def test_a_view_of_grad_taken_during_backward_sees_the_later_gradients(backend_name: str) -> None:
    x = pt.ones(3, requires_grad=True, backend=backend_name)
    seen: list[tuple[list[float], pt.Tensor]] = []

    def hook(g: pt.Tensor) -> pt.Tensor:
        if x.grad is not None:
            seen.append((x.grad.tolist(), x.grad.view(3)))
        return g

    h = x * 2
    h.register_hook(hook)
    ((x * 3).sum() + (h * 1).sum() + (x * 5).sum() + (x * 7).sum()).backward()
    assert x.grad.tolist() == [17.0, 17.0, 17.0]
    assert seen and seen[0][0] != [17.0] * 3  # the hook ran between two accumulations
    assert seen[0][1].tolist() == [17.0, 17.0, 17.0]  # and its view saw the later ones


def test_a_grad_replaced_during_backward_receives_the_later_gradients(backend_name: str) -> None:
    x = pt.ones(3, requires_grad=True, backend=backend_name)
    replaced = pt.full((3,), 100.0, backend=backend_name)

    def hook(g: pt.Tensor) -> pt.Tensor:
        if x.grad is not None and x.grad is not replaced:
            x.grad = replaced
        return g

    h = x * 2
    h.register_hook(hook)
    ((x * 3).sum() + (h * 1).sum() + (x * 5).sum() + (x * 7).sum()).backward()
    assert x.grad is replaced
    assert 100.0 < x.grad.tolist()[0] < 117.0  # what arrived after the replacement, added to it


def test_a_leaf_used_many_times_keeps_its_layout_in_grad(backend_name: str) -> None:
    # PyTorch gives .grad the leaf's strides; summing later gradients must not change them.
    if not pt.get_backend(backend_name).capabilities.mutable:
        pytest.skip(f"{backend_name} arrays are values: their layout is the backend's own")
    x = pt.ones(3, 2, backend=backend_name).t().requires_grad_()  # strides (1, 2)
    ((x * 3).sum() + x.exp().sum() + (x * x).sum()).backward()
    assert x.grad.stride() == x.stride()
    assert x.grad.t().is_contiguous()


def test_grad_work_during_backward_sees_every_later_gradient(backend_name: str) -> None:
    # Hooks on an intermediate that register a leaf hook, save x.grad in a graph, or take
    # memory aliases of x.grad, between x's first and later gradients of one pass.
    x = pt.tensor([1.0, 2.0], requires_grad=True, backend=backend_name)
    w = pt.tensor([1.0, 1.0], requires_grad=True, backend=backend_name)
    a = x * 2
    kept: list[pt.Tensor] = []
    posted: list[list[float]] = []

    def on_a(g: pt.Tensor) -> None:
        if x.grad is None:
            return
        x.register_hook(lambda gx: gx * 10)  # reaches the gradients that arrive after it
        x.register_post_accumulate_grad_hook(lambda p: posted.append(p.grad.tolist()))
        alias = pt.zeros(2, backend=backend_name)
        alias.data = x.grad
        kept.append(alias)
        with pt.enable_grad():
            kept.append(x.grad * w)  # saves x.grad at its version now

    a.register_hook(on_a)
    ((a * 3).sum() + (x * 1).sum() + (x * x).sum()).backward()  # d/dx = 6 + 1 + 2x
    later = x.grad.tolist()
    assert later != [9.0, 11.0]  # the leaf hook scaled what came after it
    assert posted == [later]  # one post-accumulate call per later accumulation here
    assert kept[0].tolist() == later  # the .data alias shares the memory
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        kept[1].sum().backward()
