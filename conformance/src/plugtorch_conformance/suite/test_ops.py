"""Area "ops": every registered op through the core on the backend under test.

Forward values are compared with the numpy reference backend (float64), gradients with the
reference's gradients and, where the backend holds float64, with central differences
(``gradcheck``). The sample inputs come from ``plugtorch.testing.op_db``, one entry per op.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import plugtorch as pt
from plugtorch import dtypes
from plugtorch.ops import REGISTRY
from plugtorch.testing.op_db import BY_NAME, OPS, OpInfo, op_inputs
from plugtorch_conformance.plugin import target
from plugtorch_conformance.support import assert_close
from plugtorch_conformance.tolerances import tolerance

REFERENCE = "numpy"


def _dtype() -> dtypes.DType:
    declared = target().backend.capabilities.dtypes
    return dtypes.float64 if dtypes.float64 in declared else dtypes.float32


def _run(
    info: OpInfo,
    values: list[np.ndarray],
    backend: Any,
    dtype: dtypes.DType,
    with_grads: bool = True,
) -> tuple:
    nondiff = info.extra.get("nondiff_args", ())
    differentiable = info.differentiable and with_grads
    tensors = [
        pt.tensor(
            v, dtype=dtype, backend=backend, requires_grad=differentiable and i not in nondiff
        )
        for i, v in enumerate(values)
    ]
    out = info.call(*tensors)
    grads: tuple = ()
    if differentiable and out.requires_grad:
        wanted = [t for t in tensors if t.requires_grad]
        cotangent = pt.tensor(
            np.linspace(0.5, 1.5, max(out.numel(), 1))[: out.numel()].reshape(out.shape),
            dtype=dtype,
            backend=backend,
        )
        grads = pt.autograd.grad(out, wanted, cotangent, allow_unused=True)
    host_grads = tuple(None if g is None else g.detach().to(REFERENCE).numpy() for g in grads)
    return out.detach().to(REFERENCE).numpy(), host_grads


@pytest.mark.parametrize("name", [pytest.param(i.name, id=i.name) for i in OPS])
def test_op_forward_and_gradients_match_reference(name: str) -> None:
    info = BY_NAME[name]
    backend = target().backend
    dtype = _dtype()

    @given(op_inputs(info))
    def check(values: list[np.ndarray]) -> None:
        values = [v.astype(dtype.numpy).astype(np.float64) for v in values]
        got, got_grads = _run(info, values, backend, dtype)
        expected, expected_grads = _run(info, values, pt.get_backend(REFERENCE), dtypes.float64)
        out_dtype = dtypes.from_numpy_dtype(got.dtype)
        kind = "gradient" if dtype is dtypes.float32 else "transcendental"
        tol = (
            tolerance(out_dtype, kind)
            if out_dtype.is_floating_point
            else tolerance(out_dtype, "exact")
        )
        scale = _magnitudes(info, values, expected)
        assert_close(got, expected.astype(got.dtype), out_dtype, tol, f"{name} forward", scale)
        for index, (g, e) in enumerate(zip(got_grads, expected_grads)):
            if g is None or e is None:
                assert g is None and e is None, f"{name}: gradient #{index} missing on one side"
                continue
            assert_close(
                g,
                e.astype(g.dtype),
                dtype,
                tolerance(dtype, "gradient"),
                f"{name} gradient #{index}",
            )

    check()


@pytest.mark.parametrize("name", [pytest.param(i.name, id=i.name) for i in OPS])
def test_op_edge_values_match_reference_and_pytorch(name: str) -> None:
    """nan, +-inf, +-0.0, extremes and size-0 dims: forward values and gradients as the
    reference's, and the reference's forward values as PyTorch's documented results (the op
    database's ``ref``, numpy written with PyTorch's semantics)."""
    info = BY_NAME[name]
    backend = target().backend
    dtype = _dtype()
    reference = pt.get_backend(REFERENCE)
    signed_zeros = info.extra.get("signed_zeros", True)

    @given(op_inputs(info, edges=True))
    def check(values: list[np.ndarray]) -> None:
        with np.errstate(all="ignore"):
            values = [v.astype(dtype.numpy).astype(np.float64) for v in values]
            got, got_grads = _run(info, values, backend, dtype)
            expected, expected_grads = _run(info, values, reference, dtypes.float64)
            documented = _documented(info, values)
        out_dtype = dtypes.from_numpy_dtype(got.dtype)
        exact = not out_dtype.is_floating_point
        kind = "gradient" if dtype is dtypes.float32 else "transcendental"
        tol = tolerance(out_dtype, "exact" if exact else kind)
        what = f"{name} forward at edge values"
        scale = _magnitudes(info, values, expected)
        assert_close(got, expected.astype(got.dtype), out_dtype, tol, what, scale,
                     signed_zeros=signed_zeros)  # fmt: skip
        for index, (g, e) in enumerate(zip(got_grads, expected_grads)):
            if g is None or e is None:
                assert g is None and e is None, f"{name}: gradient #{index} missing on one side"
                continue
            what = f"{name} gradient #{index} at edge values"
            assert_close(g, e.astype(g.dtype), dtype, tolerance(dtype, "gradient"), what,
                         signed_zeros=False)  # fmt: skip
        if documented is not None:
            kind = "exact" if exact else "transcendental"
            ref_dtype = dtypes.from_numpy_dtype(expected.dtype)
            doc_tol = tolerance(ref_dtype, kind)
            if info.extra.get("atol"):
                doc_tol = doc_tol._replace(atol=info.extra["atol"])
            assert_close(expected, documented.astype(expected.dtype), ref_dtype, doc_tol,
                         f"{name}: the reference against PyTorch's documented result", scale,
                         signed_zeros=signed_zeros)  # fmt: skip

    check()


def _magnitudes(info: OpInfo, values: list[np.ndarray], expected: np.ndarray) -> Any:
    """For sums of products (conv2d, matmul, sum, ...), which may nearly cancel: the same op
    on the inputs' magnitudes, so the error allowed is relative to it (as for reductions). An
    op whose terms are not the op on magnitudes gives its own numpy bound as ``magnitudes``."""
    bound = info.extra.get("magnitudes")
    if not bound:
        return None
    if callable(bound):
        if any(v.size == 0 for v in values):  # nothing to compare (numpy's max refuses size 0)
            return None
        with np.errstate(all="ignore"):
            return np.fmax(np.abs(bound(*values)), np.abs(expected))  # (a nan bound: none)
    with np.errstate(all="ignore"):
        scale, _ = _run(info, [np.abs(v) for v in values], pt.get_backend(REFERENCE),
                        dtypes.float64, with_grads=False)  # fmt: skip
        return np.maximum(np.abs(scale), np.abs(expected))


def _documented(info: OpInfo, values: list[np.ndarray]) -> np.ndarray | None:
    """PyTorch's result from the op database's numpy ``ref`` (None where numpy itself cannot
    take the input: its reductions refuse size-0 arrays that PyTorch accepts)."""
    if info.ref is None:
        return None
    try:
        return np.asarray(info.ref(*values))
    except (ValueError, IndexError):
        if any(v.size == 0 for v in values):
            return None
        raise


@pytest.mark.parametrize("name", [pytest.param(i.name, id=i.name) for i in OPS if i.differentiable])
def test_op_gradcheck(name: str) -> None:
    info = BY_NAME[name]
    backend = target().backend
    if dtypes.float64 not in backend.capabilities.dtypes:
        pytest.skip("the backend does not declare float64; gradcheck needs it")
    nondiff = info.extra.get("nondiff_args", ())

    @given(op_inputs(info))
    def check(values: list[np.ndarray]) -> None:
        tensors = [
            pt.tensor(v, dtype=pt.float64, backend=backend, requires_grad=i not in nondiff)
            for i, v in enumerate(values)
        ]
        assert pt.autograd.gradcheck(info.call, tensors, **info.extra.get("gradcheck", {}))

    check()


def test_every_registered_op_has_a_sample() -> None:
    missing = sorted(set(REGISTRY) - set(BY_NAME))
    assert not missing, f"registered ops without an entry in plugtorch.testing.op_db: {missing}"


# --- the array API namespace on the backend, driven by Hypothesis's array-API strategies -------

ARRAY_API_FUNCTIONS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "abs": (lambda xp, x: xp.abs(x), np.abs),
    "negative": (lambda xp, x: xp.negative(x), np.negative),
    "sum": (lambda xp, x: xp.sum(x, axis=None), lambda a: np.sum(a, dtype=a.dtype)),
    "max": (lambda xp, x: xp.max(x), np.max),
    "flip": (lambda xp, x: xp.flip(x), np.flip),
    # plugtorch sorts stably (as the standard's default), so -0.0 and 0.0 keep their order
    "sort": (lambda xp, x: xp.sort(x, axis=-1), lambda a: np.sort(a, axis=-1, kind="stable")),
    "square": (lambda xp, x: xp.square(x), np.square),
}


@pytest.mark.parametrize("function", sorted(ARRAY_API_FUNCTIONS))
def test_array_api_namespace_with_hypothesis_strategies(function: str) -> None:
    """Arrays drawn by ``hypothesis.extra.array_api`` over ``plugtorch.array_api``, on the
    backend under test, give numpy's results."""
    from hypothesis import assume
    from hypothesis.extra.array_api import make_strategies_namespace

    import plugtorch.array_api as xp

    backend = target().backend
    xps = make_strategies_namespace(xp)
    apply_xp, apply_np = ARRAY_API_FUNCTIONS[function]
    declared = [
        d for d in (pt.float32, pt.float64, pt.int32, pt.int64) if d in backend.capabilities.dtypes
    ]

    @given(
        st.sampled_from(declared).flatmap(
            lambda dtype: xps.arrays(
                dtype=dtype,
                shape=xps.array_shapes(min_dims=1, max_side=6),
                elements={
                    "allow_nan": False,
                    "allow_infinity": False,
                    "min_value": -1000,
                    "max_value": 1000,
                },
            )
        )
    )
    def check(array: Any) -> None:
        assume(function != "max" or array.numel() > 0)
        on_backend = array.to(backend.name) if array.backend is not backend else array
        host_values = array.to("numpy").numpy()
        got = apply_xp(xp, on_backend).to("numpy").numpy()
        with np.errstate(all="ignore"):
            expected = np.asarray(apply_np(host_values))
        dtype = dtypes.from_numpy_dtype(got.dtype)
        kind = "reduction" if function == "sum" else "exact"
        scale = np.sum(np.abs(host_values)).astype(np.float64) if kind == "reduction" else None
        if function == "square" and dtype.is_floating_point:
            kind = "arithmetic"
        assert_close(
            got,
            expected.astype(got.dtype),
            dtype,
            tolerance(dtype, kind),
            f"array_api {function}",
            scale,
        )

    if pt.float32 in declared:
        # Always one float32 case that a half-precision accumulator gets wrong (float16 sums
        # [0.1, 0.2, 0.3] to 0.60009766): whether the generated cases contain one depends on
        # the constants Hypothesis collects from the source tree, which change with every
        # commit.
        check = example(pt.tensor([0.1, 0.2, 0.3], dtype=pt.float32))(check)
    with pt.use_backend(backend.name):
        check()


HALF = (dtypes.float16, dtypes.bfloat16)


def _half_params() -> list[Any]:
    declared = target().backend.capabilities.dtypes
    return [
        pytest.param(info.name, dtype, id=f"{info.name}-{dtype.name}")
        for dtype in HALF
        if dtype in declared
        for info in OPS
    ]


@pytest.mark.parametrize("name, dtype", _half_params())
def test_op_in_half_precision(name: str, dtype: dtypes.DType) -> None:
    """Each declared 16-bit float: every op keeps the dtype (float32 results become the 16-bit
    type, others stay) and its values and gradients are the float32 op's on the same 16-bit
    inputs, within a few 16-bit ulp (PyTorch computes 16-bit ops in float32 and rounds)."""
    info = BY_NAME[name]
    backend = target().backend
    reference = pt.get_backend(REFERENCE)
    eps = pt.finfo(dtype).eps

    # a quarter of the profile's cases: the float32 tests cover the shapes, these the dtype
    @settings(max_examples=max(2, settings().max_examples // 4))
    @given(op_inputs(info))
    def check(values: list[np.ndarray]) -> None:
        values = [v.astype(dtype.numpy).astype(np.float64) for v in values]
        with np.errstate(all="ignore"):
            got, got_grads = _run(info, values, backend, dtype)
            wide, wide_grads = _run(info, values, reference, dtypes.float32)
        expected_dtype = dtype if wide.dtype == np.float32 else dtypes.from_numpy_dtype(wide.dtype)
        assert dtypes.from_numpy_dtype(got.dtype) is expected_dtype, f"{name}: {got.dtype}"
        _assert_near(got, wide, 8 * eps, f"{name} forward in {dtype.name}")
        for index, (g, e) in enumerate(zip(got_grads, wide_grads)):
            if g is None or e is None:
                assert g is None and e is None, f"{name}: gradient #{index} missing on one side"
                continue
            assert dtypes.from_numpy_dtype(g.dtype) is dtype, f"{name} gradient #{index}"
            _assert_near(g, e, 16 * eps, f"{name} gradient #{index} in {dtype.name}")

    check()


def _assert_near(got: np.ndarray, expected: np.ndarray, rtol: float, what: str) -> None:
    """|got - expected| <= rtol * max(|expected|, 1), nan where expected is nan, equal infs."""
    g, e = got.astype(np.float64), expected.astype(np.float64)
    assert g.shape == e.shape, f"{what}: shape {g.shape}, expected {e.shape}"
    with np.errstate(all="ignore"):
        same = (g == e) | (np.isnan(g) & np.isnan(e))
        close = np.abs(g - e) <= rtol * np.maximum(np.abs(e), 1.0)
    bad = ~(same | close)
    if bad.any():
        index = tuple(int(i[0]) for i in np.nonzero(bad))
        raise AssertionError(f"{what}: {g[index]!r} at {index}, expected {e[index]!r}")
