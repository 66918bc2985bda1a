"""Arithmetic and ordering of bool tensors, as PyTorch gives them, on every backend.

The array API standard orders and adds real numbers only (array-api-strict refuses ``less`` or
``max`` of bools), so the core computes these on 0 and 1 itself and never asks a backend; under
``PLUGTORCH_CHECK_CONTRACT=1`` the contract checker fails any test here that reaches a backend
with bools.
"""

from __future__ import annotations

import pytest

import plugtorch as pt

A = [False, True, True, False]
B = [False, False, True, True]


def _bools(backend: str, values: list[bool] = A) -> pt.Tensor:
    return pt.tensor(values, backend=backend)


def test_ordering_comparisons(backend_name: str) -> None:
    a, b = _bools(backend_name), _bools(backend_name, B)
    assert (a < b).tolist() == [x < y for x, y in zip(A, B)]
    assert (a <= b).tolist() == [x <= y for x, y in zip(A, B)]
    assert (a > b).tolist() == [x > y for x, y in zip(A, B)]
    assert pt.ge(a, b).tolist() == [x >= y for x, y in zip(A, B)]
    assert (a > False).tolist() == A
    assert (a == b).tolist() == [x == y for x, y in zip(A, B)]


def test_extremes_and_their_indices(backend_name: str) -> None:
    a = _bools(backend_name)
    assert a.max().item() is True and a.min().item() is False
    assert a.max().dtype is pt.bool
    assert pt.amax(a.reshape(2, 2), 1).tolist() == [True, True]
    assert pt.amin(a.reshape(2, 2), 0).tolist() == [False, False]
    assert a.argmax().item() == 1 and a.argmin().item() == 0
    values, indices = a.reshape(2, 2).max(1)
    assert values.tolist() == [True, True] and indices.tolist() == [1, 0]
    assert pt.maximum(a, _bools(backend_name, B)).tolist() == [x or y for x, y in zip(A, B)]
    assert pt.minimum(a, _bools(backend_name, B)).tolist() == [x and y for x, y in zip(A, B)]
    assert a.clamp(False, False).tolist() == [False] * 4
    assert a.clamp(True, True).tolist() == [True] * 4


def test_add_and_mul_give_bools(backend_name: str) -> None:
    a, b = _bools(backend_name), _bools(backend_name, B)
    total = a + b  # PyTorch: True + True is True (a logical or)
    assert total.dtype is pt.bool and total.tolist() == [x or y for x, y in zip(A, B)]
    product = a * b
    assert product.dtype is pt.bool and product.tolist() == [x and y for x, y in zip(A, B)]
    assert (a + True).tolist() == [True] * 4
    assert (a * 3).tolist() == [3 * x for x in A]  # an int scalar promotes to int64
    assert pt.abs(a).tolist() == A and pt.sign(a).tolist() == A


def test_what_pytorch_refuses_on_bools(backend_name: str) -> None:
    a, b = _bools(backend_name), _bools(backend_name, B)
    with pytest.raises(TypeError, match="Subtraction, the `-` operator, with two bool tensors"):
        _ = a - b
    with pytest.raises(TypeError, match="Negation, the `-` operator, on a bool tensor"):
        _ = -a
    with pytest.raises(TypeError, match="pow is not implemented for bool tensors"):
        _ = a**b
    ones = _bools(backend_name, [True] * 4)
    with pytest.raises(TypeError, match="floor_divide is not implemented for bool tensors"):
        _ = a // ones
    with pytest.raises(TypeError, match="remainder is not implemented for bool tensors"):
        _ = a % ones
