"""Area "accelerated": each optional primitive a backend declares against the core's
decomposition of the same op, on the same backend (forward values and gradients).

The decomposition runs on a view of the backend that declares no optional primitive, so the
core takes its own path; both paths see the same arrays.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import plugtorch as pt
from plugtorch import dtypes
from plugtorch.backend.protocol import OPTIONAL_PRIMITIVES
from plugtorch.ops import REGISTRY
from plugtorch.testing.op_db import BY_NAME
from plugtorch_conformance.plugin import target
from plugtorch_conformance.support import assert_close
from plugtorch_conformance.tolerances import tolerance

F = pt.nn.functional


class Undeclared:
    """The backend under test with its optional primitives hidden from the core."""

    def __init__(
        self, backend: Any, keep: frozenset[str] = frozenset(), name: str | None = None
    ) -> None:
        self._backend = backend
        self.name = name or f"{backend.name}-decomposed"
        self.capabilities = replace(backend.capabilities, primitives=keep)

    def __getattr__(self, name: str) -> Any:
        if name in OPTIONAL_PRIMITIVES and name not in self.capabilities.primitives:
            raise AssertionError(f"the core called undeclared optional primitive {name!r}")
        return getattr(self._backend, name)


def _images(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal(shape)


Case = tuple[Callable[..., Any], list[tuple[int, ...]]]


def _heads_attention(qkv: pt.Tensor) -> pt.Tensor:
    """Causal attention as GPT models run it: two heads of width 4 viewed out of one
    ``(B, L, 3 * 8)`` projection as strided ``(B, H, L, E)`` operands, the output transposed back
    to ``(B, L, 8)``."""
    batch, length, _ = qkv.shape
    q, k, v = (t.reshape(batch, length, 2, 4).transpose(1, 2) for t in qkv.split(8, dim=2))
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    return y.transpose(1, 2).reshape(batch, length, 8)


# Harder geometries than the op database's samples, for the structured ops.
GEOMETRIES: dict[str, Case] = {
    "conv2d": (lambda x, w: F.conv2d(x, w, stride=2, padding=1), [(2, 3, 9, 9), (4, 3, 3, 3)]),
    "conv2d_backward": (
        lambda x, w: F.conv2d(x, w, padding=2, dilation=2),
        [(2, 2, 8, 8), (3, 2, 3, 3)],
    ),
    "max_pool2d": (lambda x: F.max_pool2d(x, 3, stride=2, padding=1), [(2, 3, 9, 9)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, stride=2, padding=1), [(2, 3, 9, 9)]),
    # argsort's sample gives indices; sorted values are gathered with them and differentiable
    "argsort": (lambda x: pt.cat([pt.sort(x).values, pt.sort(x, 0, True).values], 0), [(4, 9)]),
    # the op database samples the exact form; the backward case takes the tanh form
    "gelu_backward": (lambda x: F.gelu(x, approximate="tanh"), [(3, 1025)]),
    # the op database samples (B, L, E) operands; the backward case takes strided heads
    "scaled_dot_product_attention_backward": (_heads_attention, [(2, 5, 24)]),
}


def _derived_cases() -> dict[str, Case]:
    """primitive -> (function of tensors, input shapes), from the op declarations: every op
    with an optional primitive (and backward primitive) is reached through its op-database
    sample; elementwise ones on a size that crosses kernel blocks."""
    cases: dict[str, Case] = {}
    for declared in REGISTRY.values():
        if declared.primitive is None:
            continue
        info = BY_NAME[declared.name]
        shapes = info.extra.get("shapes") or [(3, 1025)] * info.arity
        for name in (declared.primitive, declared.backward_primitive_name):
            if name is not None:
                cases[name] = GEOMETRIES.get(name, (info.call, list(shapes)))
    return cases


# primitive -> (function of tensors, input shapes); gradients are checked for every input.
CASES: dict[str, Case] = _derived_cases()


def _adam_case(backend: Any, rng: np.random.Generator, dtype: dtypes.DType) -> list[np.ndarray]:
    param = pt.tensor(
        rng.standard_normal((5, 1025)), dtype=dtype, backend=backend, requires_grad=True
    )
    optimizer = pt.optim.AdamW([param], lr=1e-2, weight_decay=0.1)
    for step in range(3):
        param.grad = pt.tensor(
            rng.standard_normal((5, 1025)) * (step + 1), dtype=dtype, backend=backend
        )
        optimizer.step()
    return [param.detach().to("numpy").numpy()]


# SGD's options: plain momentum, dampening with L2 decay and maximize, Nesterov with decay.
SGD_OPTIONS: tuple[dict[str, Any], ...] = (
    dict(momentum=0.9),
    dict(momentum=0.8, dampening=0.3, weight_decay=0.05, maximize=True),
    dict(momentum=0.7, nesterov=True, weight_decay=0.1),
)


def _sgd_case(backend: Any, rng: np.random.Generator, dtype: dtypes.DType) -> list[np.ndarray]:
    results = []
    for options in SGD_OPTIONS:
        param = pt.tensor(
            rng.standard_normal((5, 1025)), dtype=dtype, backend=backend, requires_grad=True
        )
        optimizer = pt.optim.SGD([param], lr=1e-2, **options)
        for step in range(3):
            param.grad = pt.tensor(
                rng.standard_normal((5, 1025)) * (step + 1), dtype=dtype, backend=backend
            )
            optimizer.step()
        results.append(param.detach().to("numpy").numpy())
    return results


# Optimizer updates: checked by running the optimizer, with only the primitive under test.
OPTIMIZER_CASES = {
    "adam_step": _adam_case,
    "adam_step_inplace": _adam_case,
    "sgd_step": _sgd_case,
    "sgd_step_inplace": _sgd_case,
}
OPTIMIZER_STEPS = frozenset(OPTIMIZER_CASES)


def _run(backend: Any, primitive: str, values: list[np.ndarray], dtype: dtypes.DType) -> list:
    if primitive in OPTIMIZER_STEPS:
        rng = np.random.default_rng(int(values[0].sum() * 1000) % 2**32)
        return OPTIMIZER_CASES[primitive](backend, rng, dtype)
    function, _ = CASES[primitive]
    tensors = [pt.tensor(v, dtype=dtype, backend=backend, requires_grad=True) for v in values]
    out = function(*tensors)
    cotangent = pt.tensor(
        np.linspace(-1, 1, out.numel()).reshape(out.shape), dtype=dtype, backend=backend
    )
    grads = pt.autograd.grad(out, tensors, cotangent)
    values = [out.detach().to("numpy").numpy()]
    for g in grads:
        assert g is not None
        values.append(g.to("numpy").numpy())
    return values


NONLINEAR = frozenset({"sigmoid", "silu", "softmax", "log_softmax", "gelu", "gelu_backward"})


def _declared() -> list[Any]:
    caps = target().backend.capabilities
    floats = [d for d in (dtypes.float32, dtypes.float64) if d in caps.dtypes]
    return [pytest.param(p, d, id=f"{p}-{d.name}") for p in sorted(caps.primitives) for d in floats]


@pytest.mark.parametrize("primitive, dtype", _declared())
def test_declared_primitive_matches_decomposition(primitive: str, dtype: dtypes.DType) -> None:
    backend = target().backend
    if primitive not in CASES and primitive not in OPTIMIZER_STEPS:
        pytest.fail(f"declared optional primitive {primitive!r} has no conformance case")
    shapes = CASES[primitive][1] if primitive in CASES else [(1,)]
    decomposed = Undeclared(backend)
    pt.register_backend(decomposed.name, decomposed)
    # the backend as declared, but with one optimizer update at a time (both would be taken)
    keep = backend.capabilities.primitives - (OPTIMIZER_STEPS - {primitive})
    alone = Undeclared(backend, keep=keep, name=f"{backend.name}-{primitive}")
    pt.register_backend(alone.name, alone)

    # Large magnitudes too where stability is the point: the decompositions are stable
    # (max-subtracted softmax, exp(-|x|) sigmoid), so an accelerated primitive must be as well.
    # (Linear ops such as conv2d are homogeneous: scaling them only scales rounding error.)
    scales = [1.0, 1.0, 30.0, 1000.0] if primitive in NONLINEAR else [1.0]

    @given(st.integers(0, 2**32 - 1), st.sampled_from(scales))
    def check(seed: int, scale: float) -> None:
        rng = np.random.default_rng(seed)
        values = [_images(rng, s) * scale for s in shapes]
        fast = _run(alone, primitive, values, dtype)
        slow = _run(decomposed, primitive, values, dtype)
        for index, (a, b) in enumerate(zip(fast, slow)):
            assert_close(
                a,
                b.astype(a.dtype),
                dtype,
                tolerance(dtype, "gradient"),
                f"{primitive} output #{index} vs decomposition",
            )

    check()


def test_no_undeclared_primitive_is_called() -> None:
    """Every op in the op database runs on a view that raises on undeclared primitives."""
    from plugtorch.testing.op_db import OPS

    backend = target().backend
    guarded = Undeclared(backend, keep=backend.capabilities.primitives)
    name = f"{backend.name}-guarded"
    guarded.name = name
    pt.register_backend(name, guarded)
    rng = np.random.default_rng(0)
    dtype = dtypes.float64 if dtypes.float64 in backend.capabilities.dtypes else dtypes.float32
    for info in OPS:
        from plugtorch.testing.op_db import sample_values

        if info.shapes == "fixed":
            shapes = info.extra["shapes"]
        elif info.shapes == "matmul":
            shapes = [(2, 3), (3, 2)]
        else:
            shapes = [(2, 3)] * info.arity
        tensors = [
            pt.tensor(
                sample_values(rng, s, info.domain),
                dtype=dtype,
                backend=guarded,
                requires_grad=info.differentiable,
            )
            for s in shapes
        ]
        out = info.call(*tensors)
        if out.requires_grad:
            out.sum().backward()
    for step_backend in (guarded,):
        param = pt.zeros(3, backend=step_backend, dtype=dtype, requires_grad=True)
        param.grad = pt.ones(3, backend=step_backend, dtype=dtype)
        pt.optim.Adam([param]).step()
        pt.optim.SGD([param], lr=0.1, momentum=0.9).step()


def test_every_optional_primitive_has_a_case() -> None:
    missing = sorted(set(OPTIONAL_PRIMITIVES) - set(CASES) - OPTIMIZER_STEPS)
    assert not missing, f"optional primitives the suite cannot check: {missing}"
