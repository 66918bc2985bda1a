"""Integers never give silent results (issue #14): integer division by zero raises
ZeroDivisionError, Python values out of a typed constructor's range raise, sizes must be ints,
and integer tensors cannot collect gradients. Before: ``tensor([5]) // 0`` was 0,
``tensor([300], dtype=uint8)`` wrapped to 44, ``full((2,), nan, dtype=int64)`` gave INT_MIN and
``ones(2.5)`` made two elements."""

from __future__ import annotations

import math

import numpy as np
import pytest

import plugtorch as pt
import plugtorch.array_api as xp

BACKENDS = [info.name for info in pt.list_backends() if info.available]


@pytest.mark.parametrize("path", BACKENDS)
def test_integer_division_by_zero_raises(path: str) -> None:
    a = pt.tensor([5, 3], backend=path)
    zero_somewhere = pt.tensor([1, 0], backend=path)
    for attempt in (
        lambda: a // 0,
        lambda: a % 0,
        lambda: a // zero_somewhere,
        lambda: a % zero_somewhere,
        lambda: 7 // zero_somewhere,
        lambda: pt.div(a, 0, rounding_mode="trunc"),
        lambda: pt.div(a, zero_somewhere, rounding_mode="floor"),
        lambda: pt.tensor([True], backend=path) // pt.tensor([False], backend=path),
    ):
        with pytest.raises(ZeroDivisionError, match="integer division by zero"):
            attempt()
    assert (a // pt.tensor([2, 3], backend=path)).tolist() == [2, 1]
    assert (a.float() // 0).tolist() == [math.inf, math.inf]  # floats: IEEE results
    assert math.isnan((a % 0.0).tolist()[0])  # promotes to float: nan, as PyTorch
    empty = pt.tensor([], dtype=pt.int64, backend=path)
    assert (empty // empty).shape == (0,)


@pytest.mark.parametrize("path", BACKENDS)
def test_trunc_division_of_integers_is_exact(path: str) -> None:
    a = pt.tensor([7, -7, 7, -7, 2**62 + 1], backend=path)
    b = pt.tensor([2, 2, -2, -2, 1], backend=path)
    assert pt.div(a, b, rounding_mode="trunc").tolist() == [3, -3, -3, 3, 2**62 + 1]
    assert pt.div(a, b, rounding_mode="floor").tolist() == [3, -4, -4, 3, 2**62 + 1]


@pytest.mark.parametrize("path", BACKENDS)
def test_typed_constructors_refuse_values_out_of_range(path: str) -> None:
    cases = [
        ([300], pt.uint8, "300"),
        ([-300], pt.uint8, "-300"),
        ([128], pt.int8, "128"),
        ([math.nan], pt.int64, "nan"),
        (math.inf, pt.int32, "inf"),
        ([1e300], pt.float32, "1e\\+300"),
    ]
    for data, dtype, shown in cases:
        with pytest.raises(ValueError, match=f"value {shown} cannot be converted to type"):
            pt.tensor(data, dtype=dtype, backend=path)
    with pytest.raises(ValueError, match="cannot be converted to type int64"):
        pt.full((2,), math.nan, dtype=pt.int64, backend=path)
    with pytest.raises(ValueError, match="cannot be converted to type uint8"):
        pt.full((2,), 256, dtype=pt.uint8, backend=path)
    # What PyTorch accepts: truncation in range, -1 wrapping into uint8, inf and nan as floats,
    # any number as bool, and numpy arrays (converted with numpy's cast).
    assert pt.tensor([1.5, -2.7], dtype=pt.int8, backend=path).tolist() == [1, -2]
    assert pt.tensor([-1], dtype=pt.uint8, backend=path).tolist() == [255]
    assert pt.tensor([math.inf], dtype=pt.float32, backend=path).tolist() == [math.inf]
    assert pt.tensor([2, 0], dtype=pt.bool, backend=path).tolist() == [True, False]
    assert pt.tensor(np.array([300]), dtype=pt.uint8, backend=path).tolist() == [44]


@pytest.mark.parametrize("path", BACKENDS)
def test_sizes_must_be_non_negative_ints(path: str) -> None:
    for make in (pt.ones, pt.zeros, pt.rand, pt.randn, pt.empty):
        with pytest.raises(TypeError, match="must be a tuple of ints.*float at pos 0"):
            make(2.5, backend=path)
        with pytest.raises(ValueError, match="negative dimension"):
            make(2, -1, backend=path)
    assert pt.zeros(np.int64(2), 3, backend=path).shape == (2, 3)
    with pytest.raises(TypeError, match="must be a Python number"):
        pt.full((2,), "7", backend=path)
    with pytest.raises(ValueError, match="negative dimension"):
        pt.eye(-1, backend=path)
    with pytest.raises(ValueError, match="negative dimension"):
        pt.randperm(-1, backend=path)
    with pytest.raises(ValueError, match="number of steps must be non-negative"):
        pt.linspace(0, 1, -1, backend=path)


@pytest.mark.parametrize("path", BACKENDS)
def test_arange_checks_its_range(path: str) -> None:
    with pytest.raises(ValueError, match="inconsistent with step sign"):
        pt.arange(5, 0, backend=path)
    with pytest.raises(ValueError, match="unsupported range"):
        pt.arange(0, math.nan, backend=path)
    with pytest.raises(ValueError, match="unsupported range"):
        pt.arange(0, math.inf, backend=path)
    with pytest.raises(ValueError, match="step must be nonzero"):
        pt.arange(0, 5, 0, backend=path)
    assert pt.arange(5, 5, backend=path).shape == (0,)
    assert pt.arange(5, 0, -2, backend=path).tolist() == [5, 3, 1]
    with pt.use_backend(path):  # the array API standard asks for an empty result instead
        assert xp.arange(5, 0).shape == (0,)


@pytest.mark.parametrize("path", BACKENDS)
def test_integer_leaves_cannot_collect_gradients(path: str) -> None:
    x = pt.tensor([1, 2], backend=path)
    with pytest.raises(RuntimeError, match="only floating point tensors can require gradients"):
        x.requires_grad_()
    with pytest.raises(RuntimeError, match="only floating point tensors can require gradients"):
        x.requires_grad = True  # the attribute is checked as requires_grad_() is
    assert not x.requires_grad
    with pytest.raises(RuntimeError, match="only floating point tensors can require gradients"):
        pt.tensor([1, 2], backend=path, requires_grad=True)
    assert x.grad is None


@pytest.mark.parametrize("path", BACKENDS)
def test_requires_grad_of_results_cannot_change(path: str) -> None:
    leaf = pt.ones(2, backend=path, requires_grad=True)
    y = leaf * 2
    y.requires_grad = True  # already true: nothing changes, as PyTorch
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad_(False)
    leaf.requires_grad = False
    assert not leaf.requires_grad and (leaf * 2).grad_fn is None
