"""Gradients of composite public functions (built from registered ops) vs finite differences."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import plugtorch as pt

COMPOSITES: dict[str, Callable[[Any], Any]] = {
    "mean": lambda x: x.mean(),
    "mean_dim": lambda x: x.mean(dim=-1, keepdim=True),
    "var": lambda x: x.var(dim=0) if x.shape[0] > 1 else x.var(dim=0, correction=0),
    "std": lambda x: (x * x + 1).std(),
    "logsumexp": lambda x: pt.logsumexp(x, dim=-1),
    "pad": lambda x: pt.pad(x, (1, 2)),
    "roll": lambda x: pt.roll(x, 1, -1),
    "stack": lambda x: pt.stack([x, x * 2], dim=0),
    "split": lambda x: pt.split(x, 1, dim=-1)[0],
    "outer": lambda x: pt.outer(x.reshape(-1), x.reshape(-1)),
    "dot": lambda x: pt.dot(x.reshape(-1), x.reshape(-1)),
    "squeeze_unsqueeze": lambda x: x.unsqueeze(0).squeeze(0),
    "flatten_unflatten": lambda x: x.flatten().unflatten(0, x.shape),
    "movedim": lambda x: pt.movedim(x, 0, -1),
    "rsqrt": lambda x: pt.rsqrt(x * x + 1),
    "reciprocal": lambda x: pt.reciprocal(x * x + 1),
    "square": lambda x: pt.square(x),
    "masked_fill": lambda x: pt.masked_fill(x, x > 0, 0.5),
    "index_select": lambda x: pt.index_select(x, -1, pt.tensor([0, 0])),
    "tril": lambda x: pt.tril(x.reshape(x.shape[0], -1)),
    "triu": lambda x: pt.triu(x.reshape(x.shape[0], -1), 1),
    "max_dim": lambda x: x.max(dim=-1).values,
    "min_dim": lambda x: x.min(dim=0, keepdim=True).values,
    "max_all": lambda x: x.max(),
    "prod_with_zero": lambda x: pt.cat([x.reshape(-1), pt.zeros(1, dtype=x.dtype)]).prod(),
    "clamp_min_only": lambda x: x.clamp(min=0.3),
    "where_scalar": lambda x: pt.where(x > 0, x, 0.0),
    "div_trunc_free": lambda x: x / 3,
    "chunk": lambda x: x.chunk(2, dim=-1)[-1],
    "to_backend": lambda x: x.to("numpy") * 2,
    "expand_as": lambda x: x.expand_as(pt.zeros((2,) + x.shape)),
    "getitem_advanced": lambda x: x[..., [0, 0]],
    "take": lambda x: pt.take(x, pt.tensor([0, 0])),
}

SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_composite_gradcheck(name: str) -> None:
    function = COMPOSITES[name]

    @given(SHAPES, st.integers(0, 2**32 - 1))
    def check(shape: tuple[int, ...], seed: int) -> None:
        rng = np.random.default_rng(seed)
        values = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.3, 2.0, size=shape)
        x = pt.tensor(values, dtype=pt.float64, requires_grad=True)
        assert pt.autograd.gradcheck(function, (x,))

    check()
