"""The contract checker (plugtorch_conformance.contract) catches each kind of broken promise,
and lets correct calls through on every installed backend."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from plugtorch_conformance.contract import CheckedBackend, ContractViolation

import plugtorch as pt
from plugtorch import dtypes

BACKENDS = [info.name for info in pt.list_backends() if info.available]
f32, f64, i64, b8 = dtypes.float32, dtypes.float64, dtypes.int64, dtypes.bool_


@pytest.fixture(params=BACKENDS)
def checked(request: pytest.FixtureRequest) -> CheckedBackend:
    return CheckedBackend(pt.get_backend(request.param))


def _array(c: CheckedBackend, values: Any, dtype: dtypes.DType) -> Any:
    return c.asarray(np.asarray(values, dtype=dtype.numpy), dtype)


def _violates(c: CheckedBackend, text: str, name: str, *args: Any, **kwargs: Any) -> None:
    before = len(c.violations)
    with pytest.raises(ContractViolation, match=text):
        getattr(c, name)(*args, **kwargs)
    assert len(c.violations) == before + 1  # recorded too, in case the caller swallows it


def test_correct_calls_pass_on_every_backend(checked: CheckedBackend) -> None:
    c = checked
    x = _array(c, [[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], f32)
    y = _array(c, [[0.5, 0.5, 0.5], [2.0, 2.0, 2.0]], f32)
    assert c.host(c.add(x, y)).shape == (2, 3)
    assert c.dtype_of(c.less(x, y)) is b8
    assert c.host(c.sum(x, (0, 1), False)).shape == ()
    assert c.host(c.max(x, (1,), True)).shape == (2, 1)
    assert c.dtype_of(c.argmax(x, 1, False)) is i64
    assert c.host(c.reshape(x, (3, 2))).shape == (3, 2)
    assert c.host(c.permute_dims(x, (1, 0))).shape == (3, 2)
    assert c.host(c.broadcast_to(x, (4, 2, 3))).shape == (4, 2, 3)
    assert c.host(c.concat([x, y], 0)).shape == (4, 3)
    assert c.host(c.getitem(x, (1, slice(None, 2), None))).shape == (2, 1)
    assert c.host(c.take(x, _array(c, [2, 0, 2], i64), 1)).shape == (2, 3)
    mask = c.greater(x, y)
    fives = c.full((int(c.host(mask).sum()),), 5.0, f32)
    assert c.host(c.setitem(x, (mask,), fives)).shape == (2, 3)
    index = _array(c, [[0, 0, 1]], i64)
    assert c.host(c.scatter_add(x, index, _array(c, [[1.0, 1.0, 1.0]], f32), 0)).shape == (2, 3)
    assert c.host(c.matmul(x, c.permute_dims(y, (1, 0)))).shape == (2, 2)
    assert c.violations == []


def test_elementwise_inputs_must_agree_in_shape_and_dtype() -> None:
    c = CheckedBackend(pt.get_backend("numpy"))
    x = _array(c, [1.0, 2.0], f32)
    _violates(c, "shapes", "add", x, _array(c, [[1.0, 2.0]], f32))
    _violates(c, "dtypes", "multiply", x, _array(c, [1.0, 2.0], f64))
    _violates(c, "shape differs", "where", _array(c, [True], b8), x, x)


def test_dtypes_outside_the_array_api_domain_are_refused() -> None:
    c = CheckedBackend(pt.get_backend("numpy"))
    flags = _array(c, [True, False], b8)
    _violates(c, "less: called on bool arrays", "less", flags, flags)
    _violates(c, "called on bool", "sum", flags, (0,), False)
    _violates(c, "called on int64", "exp", _array(c, [1, 2], i64))
    _violates(c, "called on int64", "divide", _array(c, [1], i64), _array(c, [2], i64))


def test_axes_must_be_normalised() -> None:
    c = CheckedBackend(pt.get_backend("numpy"))
    x = _array(c, [[1.0, 2.0]], f32)
    _violates(c, "axis", "sum", x, (-1,), False)
    _violates(c, "axis", "sum", x, (0, 0), False)
    _violates(c, "axis", "argmax", x, 2, False)
    _violates(c, "axis", "concat", [x, x], -1)
    _violates(c, "permutation", "permute_dims", x, (1, 1))


def test_indices_must_be_int64_and_in_range() -> None:
    c = CheckedBackend(pt.get_backend("numpy"))
    x = _array(c, [1.0, 2.0, 3.0], f32)
    _violates(c, r"span \[-1, 0\]", "take", x, _array(c, [-1, 0], i64), 0)
    _violates(c, r"span \[0, 3\]", "take", x, _array(c, [0, 3], i64), 0)
    _violates(c, "not int64", "take", x, _array(c, [0], dtypes.int32), 0)
    _violates(c, "index -1", "getitem", x, (-1,))
    _violates(c, "slice bound 9", "getitem", x, (slice(0, 9),))


def test_results_must_have_the_promised_shape_dtype_and_type() -> None:
    class Sloppy(type(pt.get_backend("numpy"))):  # type: ignore[misc]
        def sum(self, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
            return np.sum(x, axis=axis, keepdims=keepdims)  # int8 sums to int64; 0-d: a scalar

        def argmax(self, x: Any, axis: int, keepdims: bool) -> Any:
            return np.argmax(x, axis=axis, keepdims=keepdims).astype(np.int32)

    c = CheckedBackend(Sloppy(name="sloppy"))
    _violates(c, "scalar", "sum", _array(c, [1.0, 2.0], f32), (0,), False)
    _violates(c, "dtype int64, expected int8", "sum", _array(c, [[1]], dtypes.int8), (0,), False)
    _violates(c, "expected int64", "argmax", _array(c, [[1, 2]], dtypes.int8), 1, False)


def test_mutating_an_input_is_caught() -> None:
    class Mutating(type(pt.get_backend("numpy"))):  # type: ignore[misc]
        def exp(self, x: Any) -> Any:
            np.exp(x, out=x)  # in place: the caller's array changes
            return x.copy()

    c = CheckedBackend(Mutating(name="mutating"))
    _violates(c, "argument 0 was changed", "exp", _array(c, [0.0, 1.0], f64))


def test_in_place_primitives_may_write_their_destination_only() -> None:
    c = CheckedBackend(pt.get_backend("numpy"))
    x, y = _array(c, [1.0, 2.0], f64), _array(c, [3.0, 4.0], f64)
    c.binary_inplace("add", x, y)
    c.add_scaled_inplace(x, y, 0.5)
    c.setitem_inplace(x, (slice(1, None),), c.getitem(x, (slice(None, 1),)))  # overlapping
    assert c.host(x).tolist() == [5.5, 5.5] and c.violations == []
    _violates(c, "not a binary primitive", "binary_inplace", "exp", x, y)


def test_optional_primitives_only_when_declared_and_nothing_outside_the_protocol() -> None:
    strict = pt.get_backend("strict") if "strict" in BACKENDS else None
    if strict is None:
        pytest.skip("the strict example backend is not installed")
    numpy = type(pt.get_backend("numpy"))(name="undeclared")
    numpy.capabilities = dataclasses.replace(numpy.capabilities, primitives=frozenset())
    quiet = CheckedBackend(numpy)  # has conv2d, does not declare it
    x = _array(quiet, [[[[1.0]]]], f32)
    assert callable(quiet.conv2d)  # looking a primitive up is no call
    with pytest.raises(ContractViolation, match="does not declare it"):
        quiet.conv2d(x, x, (1, 1), (0, 0), (1, 1), 1)
    c = CheckedBackend(strict)
    x = _array(c, [[[[1.0]]]], f32)
    with pytest.raises(ContractViolation, match="outside the backend protocol"):
        c.native_dtype(f32)
    with pytest.raises(ContractViolation, match="outside the backend protocol"):
        _ = c.xp
    numpy.capabilities = dataclasses.replace(numpy.capabilities, mutable=False)
    values = CheckedBackend(numpy)  # has the mutable tier, declares arrays immutable
    y = _array(values, [1.0], f32)
    with pytest.raises(ContractViolation, match="mutable=False"):
        values.setitem_inplace(y, (0,), y[0])
    assert not hasattr(c, "cuda_runtime")  # a probe for an extra the backend lacks
    assert c.name == "strict" and c.capabilities is strict.capabilities


def test_the_core_runs_on_a_checked_backend() -> None:
    c = CheckedBackend(pt.get_backend("numpy"))
    x = pt.tensor([[1.0, -2.0], [3.0, 4.0]], backend=c, requires_grad=True)
    loss = (pt.nn.functional.softmax(x * 2, dim=-1) * x).sum()
    loss.backward()
    assert x.grad is not None and x.grad.shape == (2, 2)
    assert c.violations == []
