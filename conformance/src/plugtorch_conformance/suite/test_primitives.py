"""Area "primitives": every required protocol primitive against numpy, computed in float64.

The primitives come from the protocol's groups (``PRIMITIVE_GROUPS``): one test per group, its
cases parametrized over the group's names, each with its numpy reference in a table here.

Shapes come from Hypothesis (0-d, empty, size 1 and sizes that cross kernel block sizes),
inputs arrive in every layout (contiguous, transposed, strided, broadcast), floating inputs are
salted with special values, and every call is checked for mutation and aliasing.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from plugtorch import dtypes
from plugtorch.backend.protocol import (
    ARG_REDUCTION_PRIMITIVES,
    BINARY_PRIMITIVES,
    COMPARISON_PRIMITIVES,
    PRIMITIVE_GROUPS,
    REDUCTION_PRIMITIVES,
    UNARY_PRIMITIVES,
)
from plugtorch_conformance.contract import DOMAINS
from plugtorch_conformance.plugin import target
from plugtorch_conformance.support import (
    LAYOUTS,
    assert_close,
    call,
    expected_values,
    host,
    make_values,
    shapes,
    to_backend,
)
from plugtorch_conformance.tolerances import tolerance

# The 16-bit floats are optional; a backend that declares one gets every elementwise,
# comparison, selection, movement and max/min primitive checked in it. sum and prod never see
# them: the core accumulates 16-bit floats in float32 (protocol.py).
HALF = (dtypes.float16, dtypes.bfloat16)
WIDE = (dtypes.float32, dtypes.float64)
FLOAT = HALF + WIDE
SIGNED = (dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64)
UNSIGNED = (dtypes.uint8, dtypes.uint16, dtypes.uint32, dtypes.uint64)
INTEGER = SIGNED + UNSIGNED
NUMERIC = INTEGER + FLOAT
BOOL = (dtypes.bool_,)
ALL = BOOL + NUMERIC

seeds = st.integers(0, 2**32 - 1)
layouts = st.sampled_from(LAYOUTS)


def _backend() -> Any:
    return target().backend


def _params(group: tuple[str, ...], table: dict[str, tuple]) -> list[Any]:
    """(primitive, dtype) pairs of a protocol group, for the dtypes the backend declares; ids
    like ``exp-float32``. A primitive missing from ``table`` fails the table test below."""
    backend = _backend()
    cases = []
    for name in group:
        for dtype in table[name][1] if name in table else ():
            if dtype in backend.capabilities.dtypes:
                cases.append(pytest.param(name, dtype, id=f"{name}-{dtype.name}"))
    return cases


def _reference(
    function: Callable[..., Any], dtype: dtypes.DType, *values: np.ndarray, native: bool = False
) -> Any:
    """numpy's result, computed in float64 for floating dtypes, then rounded to ``dtype``.

    ``native`` computes in ``dtype`` itself: for functions defined exactly in that arithmetic
    (floor division, rounding, comparisons), where float64 would answer another question.
    """
    with np.errstate(all="ignore"):
        if dtype.is_floating_point and not native:
            result = function(*(v.astype(np.float64) for v in values))
            return np.asarray(result).astype(dtype.numpy)
        return np.asarray(function(*values))


# name: (numpy reference, dtypes, domain, tolerance kind, specials?)
UNARY: dict[str, tuple] = {
    "negative": (np.negative, SIGNED + FLOAT, "real", "exact", True),
    "abs": (np.abs, NUMERIC, "real", "exact", True),
    "sign": (np.sign, NUMERIC, "real", "exact", True),
    "exp": (np.exp, FLOAT, "real", "transcendental", True),
    "log": (np.log, FLOAT, "positive", "transcendental", True),
    "log1p": (np.log1p, FLOAT, "positive", "transcendental", True),
    "expm1": (np.expm1, FLOAT, "real", "transcendental", True),
    "sqrt": (np.sqrt, FLOAT, "positive", "arithmetic", True),
    "sin": (np.sin, FLOAT, "real", "transcendental", False),
    "cos": (np.cos, FLOAT, "real", "transcendental", False),
    "tanh": (np.tanh, FLOAT, "real", "transcendental", True),
    "floor": (np.floor, FLOAT, "real", "exact", True),
    "ceil": (np.ceil, FLOAT, "real", "exact", True),
    "round": (np.round, FLOAT, "real", "exact", True),
    "logical_not": (np.logical_not, BOOL, "real", "exact", False),
    "bitwise_invert": (np.invert, INTEGER + BOOL, "real", "exact", False),
}


@pytest.mark.parametrize("name, dtype", _params(UNARY_PRIMITIVES, UNARY))
def test_unary(name: str, dtype: dtypes.DType) -> None:
    function, _, domain, kind, specials = UNARY[name]
    backend = _backend()

    @given(shapes(), seeds, layouts)
    def check(shape: tuple[int, ...], seed: int, layout: str) -> None:
        rng = np.random.default_rng(seed)
        values = make_values(rng, shape, dtype, domain, specials)
        x = to_backend(backend, values, dtype, layout)
        got = host(backend, call(backend, name, x))
        expected = _reference(
            function, dtype, expected_values(values, layout), native=kind == "exact"
        )
        assert_close(
            got,
            expected,
            dtype,
            tolerance(dtype, kind),
            f"{name}({layout} {shape})",
            signed_zeros=name != "sign",
        )  # sign(-0.0) may be either zero

    check()


BINARY: dict[str, tuple] = {
    "add": (np.add, NUMERIC, "real", "arithmetic", True),
    "subtract": (np.subtract, NUMERIC, "real", "arithmetic", True),
    "multiply": (np.multiply, NUMERIC, "real", "arithmetic", True),
    "divide": (np.divide, FLOAT, "real", "arithmetic", True),
    "floor_divide": (np.floor_divide, NUMERIC, "nonzero", "exact", True),
    "remainder": (np.remainder, NUMERIC, "nonzero", "arithmetic", False),
    "pow": (np.power, FLOAT, "positive", "transcendental", False),
    "maximum": (np.maximum, NUMERIC, "real", "exact", True),
    "minimum": (np.minimum, NUMERIC, "real", "exact", True),
    "logical_and": (np.logical_and, BOOL, "real", "exact", False),
    "logical_or": (np.logical_or, BOOL, "real", "exact", False),
    "logical_xor": (np.logical_xor, BOOL, "real", "exact", False),
    "bitwise_and": (np.bitwise_and, INTEGER + BOOL, "real", "exact", False),
    "bitwise_or": (np.bitwise_or, INTEGER + BOOL, "real", "exact", False),
    "bitwise_xor": (np.bitwise_xor, INTEGER + BOOL, "real", "exact", False),
    "equal": (np.equal, ALL, "real", "exact", True),
    "not_equal": (np.not_equal, ALL, "real", "exact", True),
    # the array API orders real numbers only: the core never asks to order bools
    "less": (np.less, NUMERIC, "real", "exact", True),
    "less_equal": (np.less_equal, NUMERIC, "real", "exact", True),
    "greater": (np.greater, NUMERIC, "real", "exact", True),
    "greater_equal": (np.greater_equal, NUMERIC, "real", "exact", True),
}
COMPARISONS = set(COMPARISON_PRIMITIVES)


@pytest.mark.parametrize("name, dtype", _params(BINARY_PRIMITIVES + COMPARISON_PRIMITIVES, BINARY))
def test_binary(name: str, dtype: dtypes.DType) -> None:
    function, _, domain, kind, specials = BINARY[name]
    backend = _backend()
    out_dtype = dtypes.bool_ if name in COMPARISONS else dtype

    @given(shapes(), seeds, layouts, layouts)
    def check(shape: tuple[int, ...], seed: int, layout_x: str, layout_y: str) -> None:
        rng = np.random.default_rng(seed)
        x_values = make_values(
            rng, shape, dtype, "real" if domain == "nonzero" else domain, specials
        )
        y_values = make_values(rng, shape, dtype, domain, specials and dtype.is_floating_point)
        if name == "pow" and dtype.is_floating_point:
            y_values = make_values(rng, shape, dtype, "small")
        x = to_backend(backend, x_values, dtype, layout_x)
        y = to_backend(backend, y_values, dtype, layout_y)
        got = host(backend, call(backend, name, x, y))
        expected = _reference(
            function,
            dtype,
            expected_values(x_values, layout_x),
            expected_values(y_values, layout_y),
            native=kind == "exact" or name == "remainder",
        )
        if out_dtype is dtypes.bool_:
            expected = expected.astype(bool)
        assert_close(
            got,
            expected,
            out_dtype,
            tolerance(out_dtype, kind),
            f"{name}({shape})",
            signed_zeros=name not in ("maximum", "minimum"),
        )  # IEEE leaves it open

    check()


REDUCTIONS: dict[str, tuple] = {
    "sum": (np.sum, INTEGER + WIDE, "real", "reduction", True),
    "prod": (np.prod, INTEGER + WIDE, "unit", "reduction", False),
    "max": (np.max, NUMERIC, "real", "exact", True),
    "min": (np.min, NUMERIC, "real", "exact", True),
    "all": (np.all, BOOL, "real", "exact", False),
    "any": (np.any, BOOL, "real", "exact", False),
}


@st.composite
def reduction_case(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...], bool]:
    shape = draw(shapes())
    axes = tuple(sorted(draw(st.sets(st.integers(0, max(len(shape) - 1, 0)), max_size=len(shape)))))
    if not shape:
        axes = ()
    return shape, axes, draw(st.booleans())


@pytest.mark.parametrize("name, dtype", _params(REDUCTION_PRIMITIVES, REDUCTIONS))
def test_reduction(name: str, dtype: dtypes.DType) -> None:
    function, _, domain, kind, specials = REDUCTIONS[name]
    backend = _backend()

    @given(reduction_case(), seeds, layouts)
    def check(case: tuple, seed: int, layout: str) -> None:
        shape, axes, keepdims = case
        if name in ("max", "min"):
            assume(all(shape[a] > 0 for a in axes) and (axes or 0 not in shape or not shape))
        rng = np.random.default_rng(seed)
        values = make_values(rng, shape, dtype, domain, specials)
        if name == "sum" and dtype.is_floating_point:
            # Whether a partial sum of huge values overflows depends on the order of evaluation,
            # which is the backend's to choose: keep nan and ±inf, drop the huge finite values.
            huge = np.isfinite(values) & (np.abs(values) > float(np.finfo(dtype.numpy).max) / 1e6)
            values = np.where(huge, np.ones((), dtype.numpy), values)
        x = to_backend(backend, values, dtype, layout)
        got = host(backend, call(backend, name, x, axes, keepdims))
        held = expected_values(values, layout)
        with np.errstate(all="ignore"):
            if dtype.is_floating_point:
                expected = function(held.astype(np.float64), axis=axes, keepdims=keepdims)
                expected = np.asarray(expected).astype(dtype.numpy)
                scale = None
                if kind == "reduction":
                    magnitude = np.abs(held.astype(np.float64))
                    scale = np.asarray(np.sum(magnitude, axis=axes, keepdims=keepdims))
                    if name == "prod":
                        scale = np.abs(expected.astype(np.float64)) * max(held.size, 1)
            else:
                expected = np.asarray(function(held, axis=axes, keepdims=keepdims))
                if name in ("sum", "prod"):
                    expected = expected.astype(dtype.numpy)
                scale = None
        # The sign of a zero sum or extreme depends on the order of evaluation: not checked.
        assert_close(
            got,
            expected,
            dtype,
            tolerance(dtype, kind),
            f"{name}{axes}({shape})",
            scale,
            signed_zeros=False,
        )

    check()


@pytest.mark.parametrize("name", ARG_REDUCTION_PRIMITIVES)
@pytest.mark.parametrize("dtype", [pytest.param(d, id=d.name) for d in NUMERIC])
def test_arg_reduction(name: str, dtype: dtypes.DType) -> None:
    backend = _backend()
    if dtype not in backend.capabilities.dtypes:
        pytest.skip(f"backend does not declare {dtype.name}")
    function = getattr(np, name)

    @given(shapes(min_dims=1, allow_empty=False), seeds, layouts, st.data())
    def check(shape: tuple[int, ...], seed: int, layout: str, data: st.DataObject) -> None:
        axis = data.draw(st.integers(0, len(shape) - 1))
        keepdims = data.draw(st.booleans())
        values = make_values(np.random.default_rng(seed), shape, dtype, "real", True)
        x = to_backend(backend, values, dtype, layout)
        got = host(backend, call(backend, name, x, axis, keepdims))
        expected = function(expected_values(values, layout), axis=axis, keepdims=keepdims)
        assert_close(
            got,
            np.asarray(expected).astype(np.int64),
            dtypes.int64,
            tolerance(dtypes.int64, "exact"),
            f"{name}(axis={axis})",
        )

    check()


def _dtype_params(candidates: tuple = ALL) -> list[Any]:
    backend = _backend()
    return [pytest.param(d, id=d.name) for d in candidates if d in backend.capabilities.dtypes]


@pytest.mark.parametrize("dtype", _dtype_params())
def test_asarray_to_numpy_full_roundtrip(dtype: dtypes.DType) -> None:
    backend = _backend()

    @given(shapes(), seeds)
    def check(shape: tuple[int, ...], seed: int) -> None:
        values = make_values(
            np.random.default_rng(seed), shape, dtype, "real", dtype.is_floating_point
        )
        got = host(backend, call(backend, "asarray", values, dtype))
        assert_close(got, values, dtype, tolerance(dtype, "exact"), "asarray")
        value = values.reshape(-1)[0].item() if values.size else 1
        full = host(backend, call(backend, "full", shape, value, dtype))
        assert_close(
            full, np.full(shape, value, dtype=dtype.numpy), dtype, tolerance(dtype, "exact"), "full"
        )

    check()


@pytest.mark.parametrize("dtype", _dtype_params(NUMERIC))
def test_arange(dtype: dtypes.DType) -> None:
    backend = _backend()

    @given(st.integers(-20, 20), st.integers(-20, 40), st.sampled_from([1, 2, 3, -1, -2]))
    def check(start: int, stop: int, step: int) -> None:
        expected = np.arange(start, stop, step, dtype=np.int64)
        if not dtype.is_floating_point and expected.size:
            info = np.iinfo(dtype.numpy)
            assume(expected.min() >= info.min and expected.max() <= info.max)
        expected = expected.astype(dtype.numpy)
        got = host(backend, call(backend, "arange", start, stop, step, dtype))
        assert_close(got, expected, dtype, tolerance(dtype, "exact"), "arange")

    check()


@pytest.mark.parametrize("source", _dtype_params())
@pytest.mark.parametrize("dest", _dtype_params())
def test_astype(source: dtypes.DType, dest: dtypes.DType) -> None:
    backend = _backend()

    @given(shapes(), seeds, layouts)
    def check(shape: tuple[int, ...], seed: int, layout: str) -> None:
        rng = np.random.default_rng(seed)
        # Values every type holds exactly, so the cast is defined (no nan/inf to integers).
        values = make_values(rng, shape, source, "small" if not source.is_bool else "real")
        if not dest.is_floating_point and not dest.is_bool and source.is_floating_point:
            values = np.trunc(values)
        if dest in UNSIGNED and not source.is_bool:
            values = np.abs(values)
        x = to_backend(backend, values, source, layout)
        got = host(backend, call(backend, "astype", x, dest))
        expected = expected_values(values, layout).astype(dest.numpy)
        assert_close(got, expected, dest, tolerance(dest, "exact"), f"astype {source}->{dest}")

    check()


@pytest.mark.parametrize("dtype", _dtype_params())
def test_where(dtype: dtypes.DType) -> None:
    backend = _backend()

    @given(shapes(), seeds, layouts)
    def check(shape: tuple[int, ...], seed: int, layout: str) -> None:
        rng = np.random.default_rng(seed)
        condition = make_values(rng, shape, dtypes.bool_)
        x_values = make_values(rng, shape, dtype, "real", dtype.is_floating_point)
        y_values = make_values(rng, shape, dtype)
        c = to_backend(backend, condition, dtypes.bool_, layout)
        x = to_backend(backend, x_values, dtype, layout)
        y = backend.asarray(y_values, dtype)
        got = host(backend, call(backend, "where", c, x, y))
        expected = np.where(
            expected_values(condition, layout), expected_values(x_values, layout), y_values
        )
        assert_close(got, expected, dtype, tolerance(dtype, "exact"), "where")

    check()


@st.composite
def movement_case(draw: st.DrawFn) -> tuple[tuple[int, ...], int]:
    return draw(shapes(min_dims=1)), draw(seeds)


@pytest.mark.parametrize(
    "dtype",
    _dtype_params(
        HALF
        + (dtypes.float32, dtypes.float64, dtypes.int64, dtypes.int32, dtypes.uint8)
        + (dtypes.bool_,)
    ),
)
def test_movement(dtype: dtypes.DType) -> None:
    """reshape, permute_dims, broadcast_to, concat, flip, getitem, setitem on random shapes."""
    backend = _backend()
    exact = tolerance(dtype, "exact")

    @given(movement_case(), layouts, st.data())
    def check(case: tuple, layout: str, data: st.DataObject) -> None:
        shape, seed = case
        rng = np.random.default_rng(seed)
        values = make_values(rng, shape, dtype, "real", dtype.is_floating_point)
        x = to_backend(backend, values, dtype, layout)
        held = expected_values(values, layout)
        # reshape to the reversed shape and back
        reshaped = call(backend, "reshape", x, tuple(reversed(shape)))
        assert_close(
            host(backend, reshaped), held.reshape(tuple(reversed(shape))), dtype, exact, "reshape"
        )
        order = tuple(data.draw(st.permutations(range(len(shape)))))
        assert_close(
            host(backend, call(backend, "permute_dims", x, order)),
            held.transpose(order),
            dtype,
            exact,
            f"permute_dims{order}",
        )
        target_shape = (2,) + shape
        assert_close(
            host(backend, call(backend, "broadcast_to", x, target_shape)),
            np.broadcast_to(held, target_shape),
            dtype,
            exact,
            "broadcast_to",
        )
        axis = data.draw(st.integers(0, len(shape) - 1))
        assert_close(
            host(backend, call(backend, "concat", [x, x], axis)),
            np.concatenate([held, held], axis),
            dtype,
            exact,
            f"concat axis {axis}",
        )
        flip_axes = tuple(sorted(data.draw(st.sets(st.integers(0, len(shape) - 1), min_size=1))))
        assert_close(
            host(backend, call(backend, "flip", x, flip_axes)),
            np.flip(held, flip_axes),
            dtype,
            exact,
            f"flip{flip_axes}",
        )
        key = tuple(
            data.draw(
                st.one_of(
                    st.builds(  # the core clamps bounds into [-size, size] before calling
                        slice,
                        st.one_of(st.none(), st.integers(-size, size)),
                        st.one_of(st.none(), st.integers(-size, size)),
                        st.sampled_from([None, 1, 2, 3, -1, -2]),
                    ),
                    st.integers(0, size - 1) if size else st.just(slice(None)),
                )
            )
            for size in shape
        )
        assert_close(
            host(backend, call(backend, "getitem", x, key)),
            held[key],
            dtype,
            exact,
            f"getitem {key}",
        )
        selected = held[key]
        value = backend.asarray(np.ones(selected.shape, dtype=dtype.numpy), dtype)
        expected = held.copy()
        expected[key] = 1
        assert_close(
            host(backend, call(backend, "setitem", x, key, value)),
            expected,
            dtype,
            exact,
            f"setitem {key}",
        )

    check()


@pytest.mark.parametrize("dtype", _dtype_params((dtypes.float32, dtypes.float64, dtypes.int64)))
def test_take_and_scatter(dtype: dtypes.DType) -> None:
    """take, take_along_axis, index_add, scatter_add with duplicate indices."""
    backend = _backend()
    exact = tolerance(dtype, "exact")
    sums = tolerance(dtype, "reduction")

    @given(shapes(min_dims=1, allow_empty=False), seeds, layouts, st.data())
    def check(shape: tuple[int, ...], seed: int, layout: str, data: st.DataObject) -> None:
        rng = np.random.default_rng(seed)
        axis = data.draw(st.integers(0, len(shape) - 1))
        values = make_values(rng, shape, dtype, "small")
        x = to_backend(backend, values, dtype, layout)
        held = expected_values(values, layout)
        count = data.draw(st.integers(0, 7))
        index = rng.integers(0, shape[axis], size=count).astype(np.int64)
        i = backend.asarray(index, dtypes.int64)
        assert_close(
            host(backend, call(backend, "take", x, i, axis)),
            np.take(held, index, axis),
            dtype,
            exact,
            "take",
        )
        along_shape = shape[:axis] + (count,) + shape[axis + 1 :]
        along = rng.integers(0, shape[axis], size=along_shape).astype(np.int64)
        a = backend.asarray(along, dtypes.int64)
        assert_close(
            host(backend, call(backend, "take_along_axis", x, a, axis)),
            np.take_along_axis(held, along, axis),
            dtype,
            exact,
            "take_along_axis",
        )
        src_values = make_values(rng, along_shape, dtype, "small")
        src = backend.asarray(src_values, dtype)
        expected = held.copy()
        along_axis: tuple[Any, ...] = (slice(None),) * axis + (index,)
        np.add.at(expected, along_axis, src_values)
        scale = np.abs(expected).astype(np.float64) + 8 * np.max(np.abs(src_values), initial=0)
        assert_close(
            host(backend, call(backend, "index_add", x, i, src, axis)),
            expected,
            dtype,
            sums,
            "index_add",
            scale,
        )
        expected = held.copy()
        grids: list[Any] = list(np.indices(along.shape, sparse=True))
        grids[axis] = along
        np.add.at(expected, tuple(grids), src_values)
        assert_close(
            host(backend, call(backend, "scatter_add", x, a, src, axis)),
            expected,
            dtype,
            sums,
            "scatter_add",
            scale,
        )

    check()


@pytest.mark.parametrize(
    "dtype", _dtype_params((dtypes.float32, dtypes.float64, dtypes.int64, dtypes.int32))
)
def test_matmul(dtype: dtypes.DType) -> None:
    backend = _backend()

    @given(
        st.integers(1, 9),
        st.integers(0, 9),
        st.integers(1, 9),
        st.sampled_from([(), (1,), (3,), (2, 2)]),
        seeds,
        st.sampled_from(["contiguous", "transposed"]),
    )
    def check(n: int, k: int, m: int, batch: tuple, seed: int, layout: str) -> None:
        rng = np.random.default_rng(seed)
        a_values = make_values(rng, batch + (n, k), dtype, "small")
        b_values = make_values(rng, batch + (k, m), dtype, "small")
        a = to_backend(backend, a_values, dtype, layout)
        b = to_backend(backend, b_values, dtype, layout)
        got = host(backend, call(backend, "matmul", a, b))
        expected = _reference(np.matmul, dtype, a_values, b_values)
        scale = _reference(np.matmul, dtypes.float64, np.abs(a_values), np.abs(b_values))
        assert_close(got, expected, dtype, tolerance(dtype, "matmul"), "matmul", scale)

    check()


def test_matmul_large_blocks() -> None:
    """Sizes that cross blocking boundaries of GEMM kernels, float32."""
    backend = _backend()
    if dtypes.float32 not in backend.capabilities.dtypes:
        pytest.skip("float32 not declared")
    rng = np.random.default_rng(0)
    for n, k, m in [(65, 129, 33), (128, 64, 256), (3, 1025, 5)]:
        a_values = rng.standard_normal((n, k)).astype(np.float32)
        b_values = rng.standard_normal((k, m)).astype(np.float32)
        got = host(
            backend,
            call(
                backend,
                "matmul",
                backend.asarray(a_values, dtypes.float32),
                backend.asarray(b_values, dtypes.float32),
            ),
        )
        expected = (a_values.astype(np.float64) @ b_values.astype(np.float64)).astype(np.float32)
        scale = np.abs(a_values).astype(np.float64) @ np.abs(b_values).astype(np.float64)
        assert_close(
            got,
            expected,
            dtypes.float32,
            tolerance(dtypes.float32, "matmul"),
            f"matmul {n}x{k}x{m}",
            scale,
        )


# Each group of the protocol's required primitives and the tests that cover it.
AREAS = {
    "creation": (test_asarray_to_numpy_full_roundtrip, test_arange, test_astype),
    "unary": (test_unary,),
    "binary": (test_binary,),
    "comparison": (test_binary,),
    "selection": (test_where,),
    "reduction": (test_reduction,),
    "arg_reduction": (test_arg_reduction,),
    "movement": (test_movement,),
    "indexing": (test_take_and_scatter,),
    "linalg": (test_matmul, test_matmul_large_blocks),
}


def test_every_group_of_required_primitives_has_a_test_area() -> None:
    missing = sorted(set(PRIMITIVE_GROUPS) - set(AREAS))
    assert not missing, f"groups of required primitives without a conformance test: {missing}"


@pytest.mark.parametrize(
    "group, table",
    [
        ("unary", UNARY),
        ("binary", {n: s for n, s in BINARY.items() if n not in COMPARISONS}),
        ("comparison", {n: s for n, s in BINARY.items() if n in COMPARISONS}),
        ("reduction", REDUCTIONS),
    ],
)
def test_reference_tables_follow_the_protocol_groups(group: str, table: dict[str, tuple]) -> None:
    names = PRIMITIVE_GROUPS[group]
    missing, unknown = sorted(set(names) - set(table)), sorted(set(table) - set(names))
    assert not missing and not unknown, (
        f"the {group} table needs a numpy reference for {missing} and names primitives "
        f"outside the protocol's {group} group: {unknown}"
    )


def test_tables_test_only_dtypes_the_core_may_send() -> None:
    """The dtypes tested here lie inside what the core may call each primitive with (the
    contract checker's DOMAINS, from the array API standard)."""
    outside = [
        f"{name}({dtype.name})"
        for table in (UNARY, BINARY, REDUCTIONS)
        for name, spec in table.items()
        for dtype in spec[1]
        if dtype.kind not in DOMAINS[name]
    ]
    assert not outside, f"tested on dtypes the core never sends: {outside}"
