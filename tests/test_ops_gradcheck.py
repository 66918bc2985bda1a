"""Every registered op: forward against numpy, gradients against central differences.

Shapes come from Hypothesis (0-d, size-1 and broadcast shapes included); values from a seeded
numpy generator in each op's smooth domain.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import plugtorch as pt
from plugtorch.testing.op_db import OPS, OpInfo, op_inputs


def _tensors(values: list[np.ndarray], requires_grad: bool) -> list[pt.Tensor]:
    return [pt.tensor(v, dtype=pt.float64, requires_grad=requires_grad) for v in values]


@pytest.mark.parametrize("info", OPS, ids=[info.name for info in OPS])
def test_forward_matches_numpy(info: OpInfo) -> None:
    @given(op_inputs(info))
    def check(values: list[np.ndarray]) -> None:
        result = info.call(*_tensors(values, False))
        expected = np.asarray(info.ref(*values))
        got = result.detach().numpy()
        assert got.shape == expected.shape
        if expected.dtype == np.float32:
            np.testing.assert_allclose(got, expected, rtol=1e-6)
        else:
            atol = info.extra.get("atol", 1e-12)
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=atol)

    check()


DIFFERENTIABLE = [info for info in OPS if info.differentiable]


@pytest.mark.parametrize("info", DIFFERENTIABLE, ids=[info.name for info in DIFFERENTIABLE])
def test_gradcheck(info: OpInfo) -> None:
    nondiff = info.extra.get("nondiff_args", ())

    @given(op_inputs(info))
    def check(values: list[np.ndarray]) -> None:
        tensors = [
            pt.tensor(v, dtype=pt.float64, requires_grad=i not in nondiff)
            for i, v in enumerate(values)
        ]
        assert pt.autograd.gradcheck(info.call, tensors, **info.extra.get("gradcheck", {}))

    check()


SECOND_ORDER = [
    "exp",
    "log",
    "sin",
    "tanh",
    "sigmoid",
    "mul",
    "div",
    "pow",
    "matmul",
    "sum",
    "amax",
    "reshape",
    "getitem",
    "getitem_backward",
    "take",
    "gather",
    "cat",
]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_gradgradcheck(name: str) -> None:
    info = next(i for i in OPS if i.name == name)

    @given(op_inputs(info))
    def check(values: list[np.ndarray]) -> None:
        assert pt.autograd.gradgradcheck(info.call, _tensors(values, True))

    check()
