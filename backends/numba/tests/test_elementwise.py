"""Elementwise kernels against numpy, bit for bit, on every layout the planner handles."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import layouts

BINARY_ALL = ["add", "subtract", "multiply", "maximum", "minimum"]
COMPARISONS = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]
FLOAT_SHAPES = [(1, 1023), (32, 32), (1, 1025), (7, 10007)]  # 1023, 1024, 1025, > 65537


def _float_data(shape: tuple[int, int], dtype: type, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    flat = x.reshape(-1)
    specials = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-30, -1e30], dtype=dtype)
    flat[: specials.size] = specials
    flat[-specials.size :] = specials[::-1]
    flat[specials.size : 3 * specials.size] = rng.choice(specials, 2 * specials.size)
    return x


def _int_data(shape: tuple[int, int], dtype: type, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    flat = x.reshape(-1)
    flat[:6] = np.array([0, 1, -1, info.min, info.max, 2], dtype=np.int64).astype(dtype)
    flat[6:12] = rng.integers(-3, 4, size=6).astype(dtype)
    return x


def assert_same(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    if want.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", FLOAT_SHAPES)
def test_float_binary(nb, dtype, shape):
    x = _float_data(shape, dtype, 1)
    y = _float_data(shape, dtype, 2)
    ys = layouts(y, np.random.default_rng(0))
    xs = layouts(x, np.random.default_rng(0))
    with np.errstate(all="ignore"):
        for name in [*BINARY_ALL, "divide", *COMPARISONS]:
            for layout in ys:
                a, b = xs[layout if layout != "broadcast" else "contiguous"], ys[layout]
                assert_same(getattr(nb, name)(a, b), getattr(np, name)(a, b))
                assert_same(getattr(nb, name)(b, a), getattr(np, name)(b, a))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_unary(nb, dtype):
    x = _float_data((7, 10007), dtype, 3)
    with np.errstate(all="ignore"):
        for a in layouts(x, np.random.default_rng(0)).values():
            for name in ["negative", "abs", "sqrt", "floor", "ceil"]:
                assert_same(getattr(nb, name)(a), getattr(np, name)(a))
            for name in ["exp", "log", "log1p", "expm1", "sin", "cos", "tanh"]:
                assert_same(getattr(nb, name)(a), getattr(np, name)(a))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32, np.int64])
def test_integer_ops(nb, dtype):
    x = _int_data((3, 30011), dtype, 4)
    y = _int_data((3, 30011), dtype, 5)
    cases = (
        [(x, y)]
        if dtype != np.int64
        else [
            (layouts(x, None)[k], layouts(y, None)[k])
            for k in ("contiguous", "transposed", "broadcast")
        ]
    )
    with np.errstate(all="ignore"):
        for a, b in cases:
            for name in [
                *BINARY_ALL,
                "floor_divide",
                "remainder",
                "bitwise_and",
                "bitwise_or",
                "bitwise_xor",
                "less",
                "equal",
            ]:
                assert_same(getattr(nb, name)(a, b), getattr(np, name)(a, b))
            for name in ["negative", "abs"]:
                assert_same(getattr(nb, name)(a), getattr(np, name)(a))


def test_integer_division_edges(nb):
    info = np.iinfo(np.int64)
    a = np.array([7, -7, 7, -7, 5, info.min, info.min, 0, 3], dtype=np.int64)
    b = np.array([2, 2, -2, -2, 0, -1, 1, 0, -1], dtype=np.int64)
    with np.errstate(all="ignore"):
        assert_same(nb.floor_divide(a, b), np.floor_divide(a, b))
        assert_same(nb.remainder(a, b), np.remainder(a, b))


def test_bool_ops(nb):
    rng = np.random.default_rng(6)
    x = rng.random((5, 20011)) < 0.5
    y = rng.random((5, 20011)) < 0.5
    for name in ["bitwise_and", "bitwise_or", "bitwise_xor", "equal", "not_equal", "less"]:
        assert_same(getattr(nb, name)(x, y), getattr(np, name)(x, y))
        assert_same(getattr(nb, name)(x.T, y.T), getattr(np, name)(x.T, y.T))


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_where(nb, dtype):
    rng = np.random.default_rng(7)
    cond = rng.random((9, 8191)) < 0.3
    x = (rng.standard_normal((9, 8191)) * 9).astype(dtype)
    y = (rng.standard_normal((9, 8191)) * 9).astype(dtype)
    for layout in ("contiguous", "transposed", "broadcast"):
        c, a = layouts(cond, None)[layout], layouts(x, None)[layout]
        assert_same(nb.where(c, a, y), np.where(c, a, y))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_where_with_a_scalar_operand(nb, dtype):
    # masked_fill and its gradient: one operand a broadcast scalar, taken by value (its own
    # kernel), on either side, beside a dense or broadcast condition and non-finite values.
    rng = np.random.default_rng(8)
    other = (rng.standard_normal((6, 5, 33)) * 9).astype(dtype)
    if dtype in (np.float32, np.float64):
        other[0, 0, :3] = [np.nan, np.inf, -0.0]
    dense = rng.random(other.shape) < 0.4
    conditions = {
        "dense": dense,
        "broadcast": np.broadcast_to(rng.random(33) < 0.5, other.shape),
        "transposed": np.ascontiguousarray(dense.transpose(2, 1, 0)).transpose(2, 1, 0),
    }
    value = np.broadcast_to(np.array(-np.inf if dtype in (np.float32, np.float64) else 3, dtype),
                            other.shape)  # fmt: skip
    for cond in conditions.values():
        assert_same(nb.where(cond, value, other), np.where(cond, value, other))
        assert_same(nb.where(cond, other, value), np.where(cond, other, value))
        assert_same(nb.where(cond, value, value), np.where(cond, value, value))
        assert_same(
            nb.where(cond, value, other.T.T[:, ::-1]), np.where(cond, value, other[:, ::-1])
        )


def test_broadcast_first_operand_does_not_choose_the_memory_order(nb):
    # masked_fill's where(mask, value, scores): a causal mask broadcast over (batch, heads)
    # comes first; the result must be laid out as the scores are (C order), not batch-innermost
    rng = np.random.default_rng(9)
    scores = rng.standard_normal((4, 3, 16, 16)).astype(np.float32)
    mask = np.broadcast_to(np.triu(np.ones((16, 16), bool), 1), scores.shape)
    fill = np.broadcast_to(np.float32(-np.inf), scores.shape)
    got = nb.where(mask, fill, scores)
    assert_same(got, np.where(mask, fill, scores))
    assert got.flags.c_contiguous
    bias = np.broadcast_to(rng.standard_normal(16).astype(np.float32), scores.shape)
    total = nb.add(bias, scores)
    assert_same(total, np.add(bias, scores))
    assert total.flags.c_contiguous


def test_three_dimensional_layouts(nb):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((6, 70, 90)).astype(np.float32)
    y = rng.standard_normal((6, 70, 90)).astype(np.float32)
    cases = [
        (x.transpose(2, 0, 1), y.transpose(2, 0, 1)),  # dense, permuted
        (x.transpose(1, 0, 2), y.transpose(1, 0, 2)),
        (x, np.broadcast_to(y[:, :1, :], x.shape)),  # middle broadcast: numpy fallback
        (x[:, ::2, ::3], y[:, ::2, ::3]),
        (np.zeros((0, 5), np.float32), np.zeros((0, 5), np.float32)),
        (np.float32(3.0) * np.ones((), np.float32), np.ones((), np.float32)),
    ]
    for a, b in cases:
        got = nb.add(a, b)
        assert_same(got, np.add(a, b))
        assert_same(nb.multiply(a, b), np.multiply(a, b))


def test_small_inputs_take_numpy_path():
    from plugtorch_numba import NumbaBackend

    backend = NumbaBackend()
    x = np.arange(10, dtype=np.float32)
    assert_same(backend.add(x, x), x + x)
    assert backend.capabilities.primitives


def _any_float_data(shape: tuple[int, ...], dtype: type, seed: int) -> np.ndarray:
    """``_float_data``'s values (specials first) in any shape, empty or smaller than them."""
    size = int(np.prod(shape))
    return _float_data((1, max(size, 21)), dtype, seed)[0, :size].reshape(shape).copy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1023), (32, 32), (7, 10007), (0, 5), (5, 0)])
def test_relu_kernel_and_its_fallback_layouts(nb, dtype, shape):
    # The select kernel (C order) and numpy's maximum (other orders) both keep -0.0 and nan,
    # as PyTorch's x < 0 ? 0 : x; the fallback keeps x's memory order.
    x = _any_float_data(shape, dtype, 3)
    want = np.where(x < 0, dtype(0), x)
    assert_same(nb.relu(x), want)
    fortran = nb.relu(np.asfortranarray(x))
    assert_same(fortran, want)
    assert fortran.flags.f_contiguous
    assert_same(nb.relu(x[:, ::2]), want[:, ::2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (3, 1), (128, 512), (1100, 600), (0, 4), (4, 0)])
def test_bias_row_added_in_place(nb, dtype, shape):
    # x += a broadcast row (linear's bias): the row kernel for a contiguous row, bit for bit
    # numpy's add; a row that is part of x itself goes to numpy (which copies it first).
    x = _any_float_data(shape, dtype, 4)
    row = _any_float_data((shape[1],), dtype, 5)
    with np.errstate(invalid="ignore"):  # inf + -inf among the specials
        want = x + row
        nb.binary_inplace("add", x, np.broadcast_to(row, shape))
        assert_same(x, want)
        if x.size:
            want = x + x[0]
            nb.binary_inplace("add", x, np.broadcast_to(x[0], shape))
            assert_same(x, want)
    frozen = np.ones((2, 3), dtype)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        nb.binary_inplace("add", frozen, np.broadcast_to(np.ones(3, dtype), (2, 3)))
