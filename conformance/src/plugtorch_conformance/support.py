"""What the suite's tests share: inputs in every layout, safe primitive calls, comparisons.

* :func:`make_values` draws host values for a dtype and domain, optionally salted with special
  values (nan, ±inf, -0.0, huge and tiny magnitudes);
* :func:`to_backend` puts them on the backend *in a layout*: contiguous, transposed (a
  ``permute_dims`` view), strided (a stepped ``getitem`` view) or broadcast (zero strides);
* :func:`call` runs one primitive and checks the protocol's safety rules on the way: inputs are
  not mutated, and on host backends the result shares no memory with an input unless the
  primitive is a view;
* :func:`assert_close` compares with the numpy reference under the tolerance table.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from plugtorch import dtypes
from plugtorch_conformance.tolerances import Tolerance

__all__ = [
    "LAYOUTS",
    "VIEW_PRIMITIVES",
    "MUTABLE_VIEW_PRIMITIVES",
    "LARGE_SHAPES",
    "shapes",
    "make_values",
    "to_backend",
    "host",
    "call",
    "assert_close",
    "declared",
]

LAYOUTS = ("contiguous", "transposed", "strided", "broadcast")
# Primitives whose result may share memory with an input (views in the array API standard).
VIEW_PRIMITIVES = frozenset(
    {"reshape", "permute_dims", "broadcast_to", "getitem", "flip", "to_numpy"}
)
# On a mutable backend (protocol 1.1) only these may: everything else, flip included, must
# return new memory, or an in-place write to a result would reach the input.
MUTABLE_VIEW_PRIMITIVES = frozenset(
    {"reshape", "permute_dims", "broadcast_to", "getitem", "as_strided", "to_numpy"}
)
# Sizes that cross typical kernel block sizes.
LARGE_SHAPES = [(1023,), (1024,), (1025,), (65537,), (33, 31), (2, 1025)]


def shapes(min_dims: int = 0, max_dims: int = 3, allow_empty: bool = True) -> st.SearchStrategy:
    """Small shapes (0-d, empty and size-1 included) and, sometimes, large ones."""
    small = hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=0 if allow_empty else 1, max_side=5
    )
    large = st.sampled_from([s for s in LARGE_SHAPES if min_dims <= len(s) <= max_dims])
    return st.one_of(small, small, small, large)


def declared(backend: Any, candidates: Sequence[dtypes.DType]) -> list[dtypes.DType]:
    """The dtypes of ``candidates`` that ``backend`` declares."""
    return [d for d in candidates if d in backend.capabilities.dtypes]


def finfo(dtype: dtypes.DType) -> Any:
    """numpy's ``finfo`` for ``dtype`` (``ml_dtypes.finfo`` for bfloat16, which numpy's
    ``finfo`` does not know)."""
    if dtype is dtypes.bfloat16:
        import ml_dtypes

        return ml_dtypes.finfo(dtype.numpy)
    return np.finfo(dtype.numpy)


def _specials(dtype: dtypes.DType) -> np.ndarray:
    info = finfo(dtype)
    return np.array(
        [
            np.nan,
            np.inf,
            -np.inf,
            -0.0,
            0.0,
            float(info.max) / 2,
            float(info.tiny),
            -float(info.tiny),
            float(info.smallest_subnormal),
            1e-7,
            -1e7,
        ],
        dtype=dtype.numpy,
    )


def make_values(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    dtype: dtypes.DType,
    domain: str = "real",
    specials: bool = False,
) -> np.ndarray:
    """Host values of ``dtype``: domain ``real``, ``positive``, ``nonzero``, ``small`` (|x| <= 3,
    for powers and products) or ``unit`` (near 1, for long products)."""
    values: np.ndarray
    if dtype.is_bool:
        return rng.random(shape) < 0.5
    if dtype.is_integer:
        info = np.iinfo(dtype.numpy)
        if domain == "small":
            low, high = max(info.min, -3), 4
        elif domain == "unit":
            low, high = (-1, 2) if info.min < 0 else (0, 2)
        else:
            low, high = max(info.min, -100), min(info.max, 100) + 1
        values = rng.integers(low, high, size=shape, dtype=np.int64)
        if domain == "positive":
            values = np.abs(values) + 1
        if domain in ("nonzero", "positive"):
            values = np.where(values == 0, 1, values)
        return values.astype(dtype.numpy)
    if domain == "positive":
        values = rng.uniform(0.1, 10.0, size=shape)
    elif domain == "unit":
        values = rng.uniform(0.99, 1.01, size=shape)
    elif domain == "small":
        values = rng.uniform(-3.0, 3.0, size=shape)
    elif domain == "nonzero":
        values = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 10.0, size=shape)
    else:
        values = rng.standard_normal(shape) * rng.choice([0.1, 1.0, 10.0], size=shape)
    values = values.astype(dtype.numpy)
    if specials and values.size:
        pool = _specials(dtype)
        if domain == "positive":
            pool = pool[~np.isnan(pool)]
            pool = pool[pool > 0]
        mask = rng.random(shape) < 0.2
        values = np.where(mask, rng.choice(pool, size=shape), values).astype(dtype.numpy)
    return values


def to_backend(backend: Any, values: np.ndarray, dtype: dtypes.DType, layout: str) -> Any:
    """``values`` on ``backend`` in ``layout`` (views made with the backend's own primitives)."""
    if layout == "contiguous" or values.ndim == 0:
        return backend.asarray(values, dtype)
    if layout == "transposed":
        order = tuple(reversed(range(values.ndim)))
        stored = backend.asarray(np.ascontiguousarray(values.transpose(order)), dtype)
        return backend.permute_dims(stored, order)
    if layout == "strided":
        padded = np.zeros(values.shape[:-1] + (values.shape[-1] * 2,), dtype=values.dtype)
        padded[..., ::2] = values
        stored = backend.asarray(padded, dtype)
        key = (slice(None),) * (values.ndim - 1) + (slice(None, None, 2),)
        return backend.getitem(stored, key)
    if layout == "broadcast":
        if values.size == 0:
            return backend.asarray(values, dtype)
        row = values[(0,) * (values.ndim - 1)]
        stored = backend.asarray(np.ascontiguousarray(row), dtype)
        return backend.broadcast_to(stored, values.shape)
    raise ValueError(f"unknown layout {layout!r}")


def expected_values(values: np.ndarray, layout: str) -> np.ndarray:
    """The host values a layout actually holds (broadcast repeats the first row)."""
    if layout == "broadcast" and values.ndim > 0 and values.size:
        return np.broadcast_to(values[(0,) * (values.ndim - 1)], values.shape).copy()
    return values


def host(backend: Any, array: Any) -> np.ndarray:
    """A private host copy of a backend array."""
    return np.array(backend.to_numpy(array), copy=True)


def _arrays_in(args: Sequence[Any]) -> list[Any]:
    found: list[Any] = []
    for arg in args:
        if isinstance(arg, (list, tuple)):
            found.extend(a for a in arg if hasattr(a, "shape") and hasattr(a, "dtype"))
        elif hasattr(arg, "shape") and hasattr(arg, "dtype"):
            found.append(arg)
    return found


def call(backend: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """``backend.<name>(*args)``, checking that inputs are unchanged and not aliased."""
    inputs = _arrays_in(args)
    before = [host(backend, a) for a in inputs]
    result = getattr(backend, name)(*args, **kwargs)
    for index, (array, snapshot) in enumerate(zip(inputs, before)):
        after = host(backend, array)
        floating = after.dtype.kind == "f" or after.dtype.name == "bfloat16"  # ml_dtypes: "V"
        if not np.array_equal(after, snapshot, equal_nan=floating):
            raise AssertionError(f"{name} mutated its input #{index}: primitives must not")
    views = MUTABLE_VIEW_PRIMITIVES if backend.capabilities.mutable else VIEW_PRIMITIVES
    if backend.capabilities.host_memory and name not in views:
        outputs = result if isinstance(result, tuple) else (result,)
        for out in outputs:
            out_host = backend.to_numpy(out)
            for index, array in enumerate(inputs):
                if out_host.size and np.shares_memory(out_host, backend.to_numpy(array)):
                    raise AssertionError(
                        f"{name} returned an array that shares memory with input #{index}; "
                        "only view primitives may"
                    )
    return result


def assert_close(
    got: np.ndarray,
    expected: np.ndarray,
    dtype: dtypes.DType,
    tol: Tolerance,
    what: str,
    scale: np.ndarray | None = None,
    *,
    signed_zeros: bool = True,
) -> None:
    """``got`` (from the backend) against ``expected`` (numpy reference rounded to dtype).

    Zeros must carry numpy's sign unless ``signed_zeros`` is False (for results where IEEE 754
    leaves the sign open, such as ``maximum(-0.0, 0.0)``)."""
    got = np.asarray(got)
    expected = np.asarray(expected)
    if got.shape != expected.shape:
        raise AssertionError(f"{what}: shape {got.shape}, expected {expected.shape}")
    if got.dtype != dtype.numpy:
        raise AssertionError(f"{what}: numpy dtype {got.dtype}, expected {dtype.numpy}")
    if not dtype.is_floating_point or tol.rtol == 0.0 and tol.atol == 0.0:
        if dtype.is_floating_point:
            same = (got == expected) | (np.isnan(got) & np.isnan(expected))
        else:
            same = got == expected
        if not np.all(same):
            bad = np.argwhere(~np.asarray(same))[:5].tolist()
            raise AssertionError(
                f"{what}: values differ at {bad}: got {got[~same][:5]}, "
                f"expected {expected[~same][:5]}"
            )
        if dtype.is_floating_point and signed_zeros:
            zeros = (expected == 0) & (got == 0)
            if np.any(np.signbit(got[zeros]) != np.signbit(expected[zeros])):
                raise AssertionError(f"{what}: the sign of zero differs from numpy's")
        return
    g, e = got.astype(np.float64), expected.astype(np.float64)
    both_nan = np.isnan(g) & np.isnan(e)
    same_inf = np.isinf(e) & (g == e)
    allowed = tol.atol + tol.rtol * (np.abs(e) if scale is None else scale)
    with np.errstate(invalid="ignore"):
        close = both_nan | same_inf | (np.abs(g - e) <= allowed)
    if not np.all(close):
        bad = ~close
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} values differ beyond rtol={tol.rtol} "
            f"atol={tol.atol}: got {g[bad][:5]}, expected {e[bad][:5]}"
        )
    zeros = (e == 0) & (g == 0)
    if signed_zeros and np.any(np.signbit(g[zeros]) != np.signbit(e[zeros])):
        raise AssertionError(f"{what}: the sign of zero differs from numpy's (-0.0 vs 0.0)")
