"""plugtorch.array_api: namespace discovery, inspection, autograd through array-API code,
DLPack, and Hypothesis's array-API strategies over the namespace."""

from __future__ import annotations

import math

import array_api_compat
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.array_api import make_strategies_namespace

import plugtorch as pt
import plugtorch.array_api as xp
from plugtorch.autograd.gradcheck import gradcheck

xps = make_strategies_namespace(xp)


def test_namespace_is_found_for_a_tensor_on_every_backend(backend_name):
    t = pt.ones(3, backend=backend_name)
    assert t.__array_namespace__() is xp
    assert array_api_compat.array_namespace(t) is xp
    assert array_api_compat.is_array_api_obj(t)
    assert xp.__array_api_version__ == "2025.12"


def test_unknown_api_version_is_refused():
    with pytest.raises(ValueError, match="unsupported array API version"):
        pt.ones(1).__array_namespace__(api_version="2019.01")
    assert pt.ones(1).__array_namespace__(api_version="2023.12") is xp


def test_inspection_reports_the_selected_backend(backend_name):
    info = xp.__array_namespace_info__()
    with pt.use_backend(backend_name):
        backend = pt.get_backend()
        assert info.default_device().backend == backend_name
        assert info.default_device() in info.devices()
        standard = set(backend.capabilities.dtypes) - set(pt.dtypes.LOW_PRECISION)
        assert set(info.dtypes().values()) == standard  # no 16-bit floats in the standard
        assert set(info.dtypes(kind="real floating")) == {"float32", "float64"}
        assert info.default_dtypes()["real floating"] is pt.get_default_dtype()
        x = xp.zeros(2)
    assert x.backend.name == backend_name
    assert x.device == info.devices()[0] or x.device.backend == backend_name


def test_device_picks_the_backend_and_to_device_moves(backend_name):
    other = pt.ones(2, backend=backend_name)
    x = xp.arange(3, device=other.device)
    assert x.backend is other.backend
    assert x.to_device(x.device) is x
    moved = pt.ones(2, backend="numpy").to_device(other.device)
    assert moved.backend is other.backend


def test_standard_names_and_promotion_differ_from_pytorch_where_the_standard_says():
    x = xp.asarray([[1.0, 2.0], [3.0, 4.0]], dtype=xp.float32)
    assert xp.sum(x, axis=0, keepdims=True).shape == (1, 2)
    assert xp.permute_dims(x, (1, 0)).tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert xp.concat([x, x], axis=None).shape == (8,)
    # a 0-d float64 widens a float32 array in the standard (PyTorch keeps float32)
    assert xp.add(x, xp.asarray(1.0, dtype=xp.float64)).dtype is xp.float64
    assert (x + pt.tensor(1.0, dtype=pt.float64)).dtype is pt.float32
    # uint sums accumulate in uint64, signed in int64
    assert xp.sum(xp.asarray([1, 2], dtype=xp.uint8)).dtype is xp.uint64


def test_a_loss_written_with_array_api_functions_is_differentiable():
    rng = np.random.default_rng(0)
    features = pt.tensor(rng.normal(size=(5, 3)), dtype=pt.float64)
    targets = pt.tensor(rng.normal(size=(5,)), dtype=pt.float64)

    def loss(weights):
        predictions = xp.tanh(xp.matmul(features, weights))
        residual = xp.subtract(predictions, targets)
        smooth = xp.mean(xp.logaddexp(residual, xp.zeros_like(residual)))
        return xp.sum(xp.square(residual), axis=0) + smooth + xp.max(xp.sort(weights))

    weights = pt.tensor(rng.normal(size=(3,)), dtype=pt.float64, requires_grad=True)
    assert gradcheck(loss, (weights,))
    value = loss(weights)
    value.backward()
    assert weights.grad is not None and weights.grad.shape == (3,)


@pytest.mark.parametrize(
    "function",
    [
        xp.atan,
        xp.asinh,
        xp.tan,
        xp.sinh,
        xp.cosh,
        xp.trunc,
        lambda x: xp.log2(x * x + 1),
        lambda x: xp.atan2(x, xp.ones_like(x) * 0.7),
        lambda x: xp.hypot(x, xp.ones_like(x)),
        lambda x: xp.cumulative_sum(x),
        lambda x: xp.cumulative_prod(x),
        lambda x: xp.take(x, xp.asarray([2, -1, 0])),
        lambda x: xp.tile(x, (2, 1)),
        lambda x: xp.diff(x, n=2),
        lambda x: xp.linalg.vector_norm(x, ord=3),
    ],
)
def test_gradients_of_composed_and_host_functions(function):
    x = pt.tensor([0.3, -0.4, 0.9, 0.2], dtype=pt.float64, requires_grad=True)
    assert gradcheck(function, (x,))


def test_host_fallbacks_return_to_the_backend(backend_name):
    x = xp.asarray([3.0, 1.0, float("nan"), 1.0], device=pt.ones(1, backend=backend_name).device)
    assert xp.sort(x).backend is x.backend
    values = xp.unique_values(x)
    assert values.backend is x.backend and values.shape == (3,)
    assert xp.argsort(xp.asarray([3, 1, 2, 1]), descending=True).tolist() == [0, 2, 1, 3]
    assert xp.searchsorted(xp.asarray([1.0, 2.0, 3.0]), 2.5).item() == 2


def test_dlpack_and_numpy_interchange(backend_name):
    t = pt.arange(4, backend=backend_name)
    assert np.from_dlpack(t).tolist() == [0, 1, 2, 3]
    assert t.__dlpack_device__()[0] == 1  # kDLCPU
    back = xp.from_dlpack(np.arange(3.0), device=t.device)
    assert back.backend is t.backend and back.dtype is xp.float64
    assert np.asarray(t).tolist() == [0, 1, 2, 3]


def test_constants_and_dtype_functions():
    assert xp.pi == math.pi and math.isnan(xp.nan) and xp.newaxis is None
    assert xp.isdtype(xp.uint16, "unsigned integer")
    assert xp.result_type(xp.int8, xp.uint8) is xp.int16
    assert not xp.can_cast(xp.float64, xp.float32)
    assert xp.finfo(xp.float32).eps == np.finfo(np.float32).eps
    assert xp.iinfo(xp.uint64).max == 2**64 - 1
    with pytest.raises(TypeError):
        xp.result_type(xp.uint64, xp.int64)


# --- Hypothesis's array-API strategies drive the namespace ---------------------------------


@given(xps.arrays(dtype=xps.real_dtypes(), shape=xps.array_shapes(min_dims=1, max_side=6)))
def test_sort_matches_numpy(x):
    expected = np.sort(np.asarray(x), axis=-1, kind="stable")
    np.testing.assert_array_equal(np.asarray(xp.sort(x)), expected)


@given(
    xps.arrays(
        dtype=xps.floating_dtypes(),
        shape=xps.array_shapes(max_dims=3, max_side=5),
        elements={"allow_nan": False, "allow_infinity": False, "min_value": -1e3, "max_value": 1e3},
    ),
    st.booleans(),
)
def test_statistics_match_numpy(x, keepdims):
    host = np.asarray(x)
    axis = tuple(range(0, x.ndim, 2))
    got = xp.sum(x, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(np.asarray(got), host.sum(axis=axis, keepdims=keepdims), rtol=1e-4)
    assert got.dtype is x.dtype


@given(
    xps.arrays(dtype=xps.integer_dtypes() | xps.unsigned_integer_dtypes(), shape=xps.array_shapes())
)
def test_unique_counts_match_numpy(x):
    values, counts = xp.unique_counts(x)
    expected = np.unique_counts(np.asarray(x))
    np.testing.assert_array_equal(np.asarray(values), expected.values)
    np.testing.assert_array_equal(np.asarray(counts), expected.counts)
