"""Area "aliasing": PyTorch's memory semantics through the core, and the mutable tier.

Through the public API, on the backend under test: every view op shares memory both ways,
every in-place op reaches every alias, the training idioms of PyTorch code update parameters
where they lie, the version counter raises exactly where PyTorch does, gradients through
in-place writes match central differences, and random chains of views and writes give what the
same chain gives on numpy arrays (``plugtorch.testing.aliasing`` holds the cases).

A backend that declares ``Capabilities(mutable=True)`` also gets its mutable tier checked
primitive by primitive: view primitives really share memory, results are arrays that can be
written (never scalars), and the in-place primitives compute what numpy computes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugtorch import dtypes
from plugtorch.backend.protocol import BINARY_PRIMITIVES, MUTABLE_PRIMITIVES
from plugtorch.testing import aliasing
from plugtorch_conformance._state import record_case
from plugtorch_conformance.plugin import target
from plugtorch_conformance.support import host


def _name() -> str:
    return target().name


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in aliasing.VIEW_CASES])
def test_view_shares_memory(case: aliasing.ViewCase) -> None:
    aliasing.check_view_case(_name(), case)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in aliasing.INPLACE_CASES])
def test_inplace_reaches_aliases(case: aliasing.InplaceCase) -> None:
    aliasing.check_inplace_case(_name(), case)


def test_training_idioms() -> None:
    aliasing.check_training_idioms(_name())


@pytest.mark.parametrize("name", sorted(aliasing.VERSION_CASES))
def test_version_counter(name: str) -> None:
    aliasing.check_version_case(_name(), name)


@pytest.mark.parametrize("name", sorted(aliasing.GRAD_CASES))
def test_gradient_through_inplace(name: str) -> None:
    if dtypes.float64 not in target().backend.capabilities.dtypes:
        pytest.skip("gradcheck needs float64")
    aliasing.check_grad_case(_name(), name)


_STEP = st.one_of(
    st.tuples(st.just("view"), st.integers(0, 30), st.sampled_from(sorted(aliasing.CHAIN_VIEWS))),
    st.tuples(st.just("write"), st.integers(0, 30), st.sampled_from(sorted(aliasing.CHAIN_WRITES))),
)


@given(
    shape=st.sampled_from([(4, 3), (3, 4, 2), (6,), (2, 1, 3), (5, 5), ()]),
    steps=st.lists(_STEP, max_size=16),
)
def test_random_chains_match_numpy(shape: tuple[int, ...], steps: list[Any]) -> None:
    record_case()
    aliasing.run_chain(_name(), shape, steps)


# --- the mutable tier, primitive by primitive --------------------------------------------------


def _mutable_backend() -> Any:
    backend = target().backend
    if not backend.capabilities.mutable:
        pytest.skip("the backend's arrays are values (Capabilities.mutable is False)")
    return backend


def test_mutable_tier_is_complete() -> None:
    backend = _mutable_backend()
    missing = [p for p in MUTABLE_PRIMITIVES if not callable(getattr(backend, p, None))]
    assert not missing, f"mutable=True but missing: {missing}"


def _arange(backend: Any, shape: tuple[int, ...], dtype: dtypes.DType = dtypes.float64) -> Any:
    dtype = dtype if dtype in backend.capabilities.dtypes else dtypes.float32
    values = np.arange(int(np.prod(shape)), dtype=dtype.numpy).reshape(shape)
    return backend.asarray(values, dtype), values.copy()


def _views(backend: Any, base: Any) -> list[tuple[str, Any, Any]]:
    """(name, backend view, the same numpy view of the model) for every view primitive."""
    return [
        ("reshape", backend.reshape(base, (6, 4), copy=False), lambda a: a.reshape(6, 4)),
        ("permute_dims", backend.permute_dims(base, (1, 0)), lambda a: a.T),
        ("getitem", backend.getitem(base, (slice(1, 3), 2)), lambda a: a[1:3, 2]),
        ("getitem_int", backend.getitem(base, (1, 2)), lambda a: a[1, 2, ...]),
        (
            "as_strided",
            backend.as_strided(base, (2, 3), (8, 1), 2),
            lambda a: np.lib.stride_tricks.as_strided(
                a.reshape(-1)[2:], (2, 3), (8 * a.itemsize, a.itemsize)
            ),
        ),
    ]


def test_view_primitives_share_memory() -> None:
    backend = _mutable_backend()
    base, model = _arange(backend, (4, 6))
    for name, view, make in _views(backend, base):
        backend.setitem_inplace(base, (), backend.asarray(model * 2 + 1, _dtype_of(backend)))
        expected = np.asarray(make(model * 2 + 1))
        got = host(backend, view)
        assert np.array_equal(got, expected), f"{name}: a write to the base is not seen"
    wide = backend.broadcast_to(backend.getitem(base, (0,)), (3, 6))
    assert np.array_equal(host(backend, wide), np.broadcast_to(model[0] * 2 + 1, (3, 6)))


def _dtype_of(backend: Any) -> dtypes.DType:
    return dtypes.float64 if dtypes.float64 in backend.capabilities.dtypes else dtypes.float32


def test_reshape_copy_keyword() -> None:
    backend = _mutable_backend()
    base, _ = _arange(backend, (4, 6))
    transposed = backend.permute_dims(base, (1, 0))
    with pytest.raises(ValueError):
        backend.reshape(transposed, (24,), copy=False)
    copied = backend.reshape(base, (24,), copy=True)
    backend.setitem_inplace(copied, (0,), backend.asarray(-5.0, _dtype_of(backend)))
    assert host(backend, base)[0, 0] == 0.0, "reshape(copy=True) shared memory"


def test_setitem_inplace_key_forms() -> None:
    backend = _mutable_backend()
    dtype = _dtype_of(backend)
    base, model = _arange(backend, (4, 3))
    view = backend.getitem(base, (slice(None), 1))
    backend.setitem_inplace(view, (slice(1, 3),), backend.asarray([7.0, 8.0], dtype))
    model[1:3, 1] = [7.0, 8.0]
    mask = model > 6
    backend.setitem_inplace(
        base,
        (backend.asarray(mask, dtypes.bool_),),
        backend.asarray(np.full(mask.sum(), -1.0), dtype),
    )
    model[mask] = -1.0
    rows, cols = np.array([0, 3]), np.array([2, 0])
    index = (backend.asarray(rows, dtypes.int64), backend.asarray(cols, dtypes.int64))
    backend.setitem_inplace(base, index, backend.asarray([5.0, 6.0], dtype))
    model[rows, cols] = [5.0, 6.0]
    assert np.array_equal(host(backend, base), model)


@pytest.mark.parametrize("name", BINARY_PRIMITIVES)
def test_binary_inplace_matches_the_primitive(name: str) -> None:
    backend = _mutable_backend()
    if name.startswith(("logical", "bitwise")):
        dtype = dtypes.bool_ if name.startswith("logical") else dtypes.int64
    elif name in ("floor_divide", "remainder"):
        dtype = dtypes.int64
    else:
        dtype = _dtype_of(backend)
    if dtype not in backend.capabilities.dtypes:
        pytest.skip(f"{dtype} not supported")
    rng = np.random.default_rng(3)
    left: np.ndarray
    right: np.ndarray
    if dtype is dtypes.bool_:
        left, right = rng.random((5, 7)) < 0.5, rng.random((5, 7)) < 0.5
    elif dtype is dtypes.int64:
        left, right = rng.integers(-9, 9, (5, 7)), rng.integers(1, 5, (5, 7))
    else:
        left, right = rng.uniform(0.5, 2.0, (5, 7)), rng.uniform(0.5, 2.0, (5, 7))
    x = backend.asarray(left, dtype)
    y = backend.asarray(right, dtype)
    expected = host(backend, getattr(backend, name)(x, y))
    alias = backend.getitem(x, (slice(None),))
    backend.binary_inplace(name, x, y)
    assert np.array_equal(host(backend, x), expected), f"{name} in place differs"
    assert np.array_equal(host(backend, alias), expected), f"{name} did not write in place"
    row = backend.broadcast_to(backend.getitem(backend.asarray(right, dtype), (0,)), (5, 7))
    z = backend.asarray(left, dtype)
    expected = host(backend, getattr(backend, name)(z, row))
    backend.binary_inplace(name, z, row)
    assert np.array_equal(host(backend, z), expected), f"{name} with a broadcast operand"


@pytest.mark.parametrize("size", [0, 7, 70_001])
def test_add_scaled_inplace(size: int) -> None:
    backend = _mutable_backend()
    dtype = _dtype_of(backend)
    rng = np.random.default_rng(size)
    left, right = rng.standard_normal(size), rng.standard_normal(size)
    x, y = backend.asarray(left, dtype), backend.asarray(right, dtype)
    backend.add_scaled_inplace(x, y, -0.25)
    assert np.allclose(host(backend, x), left - 0.25 * right, rtol=1e-6, atol=1e-6)


def test_strides_pointers_and_storage() -> None:
    backend = _mutable_backend()
    base, _ = _arange(backend, (4, 6))
    itemsize = _dtype_of(backend).itemsize
    assert tuple(backend.strides(base)) == (6, 1)
    assert tuple(backend.strides(backend.permute_dims(base, (1, 0)))) == (1, 6)
    row = backend.getitem(base, (2, slice(1, None, 2)))
    assert tuple(backend.strides(row)) == (2,)
    assert backend.data_ptr(row) - backend.data_ptr(base) == (2 * 6 + 1) * itemsize
    assert backend.storage_info(row) == backend.storage_info(base)
    start, nbytes = backend.storage_info(base)
    assert start == backend.data_ptr(base) and nbytes == 24 * itemsize
    fresh = backend.add(base, base)
    assert backend.storage_info(fresh)[0] != start


def test_zero_dim_results_are_writable_arrays() -> None:
    backend = _mutable_backend()
    dtype = _dtype_of(backend)
    x = backend.asarray(2.0, dtype)
    results = {
        "add": backend.add(x, x),
        "exp": backend.exp(x),
        "sum": backend.sum(backend.asarray([1.0, 2.0], dtype), (0,), False),
        "max": backend.max(backend.asarray([1.0, 2.0], dtype), (0,), False),
        "getitem": backend.getitem(backend.asarray([1.0, 2.0], dtype), (1,)),
        "where": backend.where(backend.asarray(True, dtypes.bool_), x, x),
    }
    for name, result in results.items():
        backend.setitem_inplace(result, (), backend.asarray(9.0, dtype))
        assert host(backend, result) == 9.0, f"{name}'s 0-d result is not a writable array"
