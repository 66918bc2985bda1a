"""Every registered op: forward against numpy, gradients against central differences.

Shapes come from Hypothesis (0-d, size-1 and broadcast shapes included); values from a seeded
numpy generator in each op's smooth domain.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import plugtorch as pt
from op_db import OPS, OpInfo, sample_values

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


@st.composite
def op_inputs(draw: st.DrawFn, info: OpInfo) -> list[np.ndarray]:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    min_dims = info.extra.get("min_dims", 0)
    if info.shapes == "fixed":
        shapes = list(info.extra["shapes"])
    elif info.shapes == "matmul":
        n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
        batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
        left_batch = batch if draw(st.booleans()) else batch[1:]
        kind = draw(st.sampled_from(["matrix", "vector_left", "vector_right"]))
        left = (k,) if kind == "vector_left" else left_batch + (n, k)
        right = (k,) if kind == "vector_right" else batch + (k, m)
        shapes = [left, right]
    elif info.arity == 1 or info.shapes == "same":
        shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=4))
        shapes = [shape] * info.arity
    else:
        result = draw(
            hnp.mutually_broadcastable_shapes(
                num_shapes=info.arity, min_dims=min_dims, max_dims=3, min_side=1, max_side=4
            )
        )
        shapes = list(result.input_shapes)
    values = [sample_values(rng, s, info.domain) for s in shapes]
    if "first_scale" in info.extra:
        values[0] = values[0] * info.extra["first_scale"]
    return values


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
