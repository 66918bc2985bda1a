"""Bad arguments for ordering, running sums, counting and sampling: ``argsort``,
``searchsorted``, ``cumsum`` and ``cumprod`` of the op database, and the functions built on
them or beside them (``sort topk kthvalue bincount histc unique unique_consecutive
multinomial``)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st

import plugtorch as pt
from plugtorch_conformance.bad_arguments import (
    HUGE,
    NON_TENSORS,
    OTHER_BACKEND,
    Args,
    array_shapes,
    case,
    floats,
    ints,
    on,
    tensor_args,
    with_bad_dim,
    with_value,
    x_of,
)

# --- a dim out of range, not a tensor, flags that are not bools --------------------------------

ALONG_A_DIM = {
    "argsort": lambda x, dim: pt.argsort(x, dim),
    "sort": lambda x, dim: pt.sort(x, dim),
    "topk": lambda x, dim: pt.topk(x, 0, dim),
    "kthvalue": lambda x, dim: pt.kthvalue(x, 1, dim),
    "cumsum": lambda x, dim: pt.cumsum(x, dim),
    "cumprod": lambda x, dim: pt.cumprod(x, dim),
    "unique": lambda x, dim: pt.unique(x, dim=dim),
    "unique_consecutive": lambda x, dim: pt.unique_consecutive(x, dim=dim),
}
_function: Callable[..., Any]  # the loops below bind functions of several signatures
for _name, _function in ALONG_A_DIM.items():
    case(
        _name,
        "a dim out of range",
        IndexError,
        with_bad_dim,
        lambda b, a, f=_function: f(x_of(b, a), a["dim"]),
    )
for _name in ("argsort", "cumsum", "cumprod"):
    case(
        _name,
        "a dim of an unsupported type",
        TypeError,
        lambda: with_value(st.one_of(st.floats(), st.text(), st.none(), st.just((0,)))),
        lambda b, a, f=ALONG_A_DIM[_name]: f(x_of(b, a), a["value"]),
    )
_TAKE_TENSORS: dict[str, Callable[..., Any]] = {
    "sort": pt.sort,
    "argsort": pt.argsort,
    "cumsum": pt.cumsum,
}
for _name, _function in _TAKE_TENSORS.items():
    case(
        _name,
        "not a tensor",
        TypeError,
        lambda: st.fixed_dictionaries({"value": NON_TENSORS}),
        lambda b, a, f=_function: f(a["value"], 0),
    )
case(
    "argsort",
    "descending that is not a bool",
    TypeError,
    lambda: with_value(st.one_of(st.text(), st.floats(), st.integers(), st.none())),
    lambda b, a: pt.argsort(x_of(b, a), descending=a["value"]),
)
case(
    "cumprod",
    "a dtype that is not a dtype",
    TypeError,
    lambda: with_value(
        st.one_of(
            st.text(min_size=1).filter(lambda s: not hasattr(pt, s)), st.floats(), st.just([1])
        )
    ),  # fmt: skip
    lambda b, a: pt.cumprod(x_of(b, a), 0, dtype=a["value"]),
)

# --- k out of range (topk, kthvalue) ----------------------------------------------------------


@st.composite
def _bad_k(draw: Any, low: int) -> Args:
    """A k outside [low, size] of the last dimension (size 1 for a 0-d tensor)."""
    shape = draw(array_shapes())
    size = shape[-1] if shape else 1
    k = draw(st.one_of(st.integers(size + 1, size + 5), st.integers(-5, low - 1), HUGE))
    return {"x": draw(floats(shape)), "k": k}


case(
    "topk",
    "k out of range",
    IndexError,
    lambda: _bad_k(0),
    lambda b, a: pt.topk(x_of(b, a), a["k"]),
)
case(
    "kthvalue",
    "k out of range",
    IndexError,
    lambda: _bad_k(1),
    lambda b, a: pt.kthvalue(x_of(b, a), a["k"]),
)
case(
    "topk",
    "k that is not an int",
    TypeError,
    lambda: with_value(st.one_of(st.floats(), st.text(), st.none(), st.booleans())),
    lambda b, a: pt.topk(x_of(b, a), a["value"]),
)

# --- searchsorted -----------------------------------------------------------------------------


@st.composite
def _mismatched_rows(draw: Any) -> Args:
    """N-D boundaries and values whose leading dimensions differ (or whose ndim differs)."""
    shape = list(draw(array_shapes(min_dims=2)))
    other = list(shape)
    if draw(st.booleans()):
        axis = draw(st.integers(0, len(shape) - 2))
        other[axis] = draw(st.integers(0, 5).filter(lambda v: v != shape[axis]))
    else:
        other = other[1:] if draw(st.booleans()) else [1] + other
    return {"x": draw(floats(tuple(shape))), "y": draw(floats(tuple(other)))}


case(
    "searchsorted",
    "leading dimensions that differ",
    ValueError,
    _mismatched_rows,
    lambda b, a: pt.searchsorted(on(b, np.sort(a["x"], -1)), on(b, a["y"])),
)
case(
    "searchsorted",
    "a 0-d sequence",
    ValueError,
    lambda: st.fixed_dictionaries({"x": floats(()), "y": floats((2,))}),
    lambda b, a: pt.searchsorted(on(b, a["x"]), on(b, a["y"])),
)
case(
    "searchsorted",
    "a scalar value with N-D boundaries",
    ValueError,
    lambda: tensor_args(min_dims=2).map(lambda a: {**a, "value": 0.5}),
    lambda b, a: pt.searchsorted(x_of(b, a), a["value"]),
)
case(
    "searchsorted",
    "an unknown side",
    ValueError,
    lambda: tensor_args(min_dims=1).map(lambda a: {**a, "side": "middle"}),
    lambda b, a: pt.searchsorted(x_of(b, a), x_of(b, a), side=a["side"]),
)
case(
    "searchsorted",
    "side and right that disagree",
    ValueError,
    lambda: tensor_args(min_dims=1),
    lambda b, a: pt.searchsorted(x_of(b, a), x_of(b, a), side="left", right=True),
)


@st.composite
def _bad_sorter(draw: Any, kind: str) -> Args:
    shape = draw(array_shapes(min_dims=1, min_side=1))
    size = shape[-1]
    if kind == "shape":
        other = list(shape)
        other[-1] = draw(st.integers(0, 5).filter(lambda v: v != size))
        sorter = np.zeros(other, dtype=np.int64)
    else:
        sorter = np.zeros(shape, dtype=np.int64)
        sorter.reshape(-1)[draw(st.integers(0, sorter.size - 1))] = draw(
            st.one_of(st.integers(size, size + 5), st.integers(-5, -1))
        )
    return {"x": draw(floats(shape)), "sorter": sorter}


case(
    "searchsorted",
    "a sorter of another shape",
    ValueError,
    lambda: _bad_sorter("shape"),
    lambda b, a: pt.searchsorted(x_of(b, a), x_of(b, a), sorter=on(b, a["sorter"])),
)
case(
    "searchsorted",
    "a sorter index out of range",
    IndexError,
    lambda: _bad_sorter("range"),
    lambda b, a: pt.searchsorted(x_of(b, a), x_of(b, a), sorter=on(b, a["sorter"])),
)
case(
    "searchsorted",
    "a floating sorter",
    TypeError,
    lambda: tensor_args(min_dims=1),
    lambda b, a: pt.searchsorted(x_of(b, a), x_of(b, a), sorter=x_of(b, a)),
)
case(
    "searchsorted",
    "values that are not a tensor or a number",
    TypeError,
    lambda: tensor_args(min_dims=1).map(lambda a: {**a, "value": "text"}),
    lambda b, a: pt.searchsorted(x_of(b, a), a["value"]),
)
case(
    "searchsorted",
    "tensors on two backends",
    RuntimeError,
    lambda: tensor_args(min_dims=1),
    lambda b, a: pt.searchsorted(x_of(b, a), on(OTHER_BACKEND, a["x"])),
)

# --- bincount, histc --------------------------------------------------------------------------


@st.composite
def _with_negative(draw: Any) -> Args:
    values = draw(ints((draw(st.integers(1, 6)),), 0, 9))
    values[draw(st.integers(0, values.size - 1))] = draw(st.integers(-(2**62), -1))
    return {"x": values}


case(
    "bincount",
    "a negative value",
    ValueError,
    _with_negative,
    lambda b, a: pt.bincount(on(b, a["x"])),
)
case(
    "bincount",
    "an input that is not 1-D",
    ValueError,
    lambda: (
        array_shapes()
        .filter(lambda s: len(s) != 1)
        .flatmap(lambda s: st.fixed_dictionaries({"x": ints(s, 0, 9)}))
    ),
    lambda b, a: pt.bincount(on(b, a["x"])),
)
case(
    "bincount",
    "a floating input",
    TypeError,
    lambda: tensor_args(),
    lambda b, a: pt.bincount(x_of(b, a)),
)
case(
    "bincount",
    "a negative minlength",
    ValueError,
    lambda: st.fixed_dictionaries({"x": ints((3,), 0, 9), "minlength": st.integers(max_value=-1)}),
    lambda b, a: pt.bincount(on(b, a["x"]), minlength=a["minlength"]),
)


@st.composite
def _other_length(draw: Any) -> Args:
    count = draw(st.integers(0, 5))
    other = draw(st.integers(0, 6).filter(lambda v: v != count))
    return {"x": draw(ints((count,), 0, 9)), "w": draw(floats((other,)))}


case(
    "bincount",
    "weights of another length",
    ValueError,
    _other_length,
    lambda b, a: pt.bincount(on(b, a["x"]), on(b, a["w"])),
)
case(
    "histc",
    "bins that are not positive",
    ValueError,
    lambda: tensor_args().flatmap(
        lambda a: st.integers(-(2**63), 0).map(lambda bins: {**a, "bins": bins})
    ),
    lambda b, a: pt.histc(x_of(b, a), bins=a["bins"]),
)
case(
    "histc",
    "min larger than max",
    ValueError,
    lambda: tensor_args().flatmap(
        lambda a: st.tuples(st.floats(-1e6, 1e6), st.floats(0.001, 1e6)).map(
            lambda bounds: {**a, "min": bounds[0] + bounds[1], "max": bounds[0]}
        )
    ),
    lambda b, a: pt.histc(x_of(b, a), min=a["min"], max=a["max"]),
)
case(
    "histc",
    "a range that is not finite",
    ValueError,
    lambda: tensor_args().map(lambda a: {**a, "max": float("inf")}),
    lambda b, a: pt.histc(x_of(b, a), min=0.0, max=a["max"]),
)
case(
    "histc",
    "an integer input",
    TypeError,
    lambda: array_shapes().flatmap(lambda s: st.fixed_dictionaries({"x": ints(s)})),
    lambda b, a: pt.histc(on(b, a["x"])),
)

# --- unique -----------------------------------------------------------------------------------


@st.composite
def _unselected_empty_dim(draw: Any) -> Args:
    shape = list(draw(array_shapes(min_dims=2, min_side=1)))
    axis, empty = draw(
        st.lists(st.integers(0, len(shape) - 1), min_size=2, max_size=2, unique=True)
    )
    shape[empty] = 0
    return {"x": np.zeros(shape), "dim": axis}


case(
    "unique",
    "an empty dimension it does not select",
    ValueError,
    _unselected_empty_dim,
    lambda b, a: pt.unique(x_of(b, a), dim=a["dim"]),
)

# --- multinomial ------------------------------------------------------------------------------


@st.composite
def _weights(draw: Any, kind: str) -> Args:
    shape = draw(array_shapes(min_dims=1, max_dims=2, min_side=1))
    weights = draw(floats(shape).map(lambda w: np.abs(np.nan_to_num(w)) + 0.5))
    if kind == "bad value":
        weights.reshape(-1)[draw(st.integers(0, weights.size - 1))] = draw(
            st.sampled_from([float("nan"), float("inf"), -float("inf"), -1.0, -1e-30])
        )
    else:  # a row of zeros
        rows = weights.reshape(-1, shape[-1])
        rows[draw(st.integers(0, rows.shape[0] - 1))] = 0.0
    return {"x": weights, "replacement": draw(st.booleans())}


case(
    "multinomial",
    "a negative, infinite or nan weight",
    ValueError,
    lambda: _weights("bad value"),
    lambda b, a: pt.multinomial(x_of(b, a), 1, a["replacement"]),
)
case(
    "multinomial",
    "a row of zero weights",
    ValueError,
    lambda: _weights("zero row"),
    lambda b, a: pt.multinomial(x_of(b, a), 1, a["replacement"]),
)
case(
    "multinomial",
    "more samples than categories without replacement",
    ValueError,
    lambda: array_shapes(min_dims=1, max_dims=2, min_side=1).map(
        lambda s: {"x": np.ones(s), "n": s[-1] + 1}
    ),
    lambda b, a: pt.multinomial(x_of(b, a), a["n"]),
)
case(
    "multinomial",
    "a number of samples that is not positive",
    ValueError,
    lambda: st.fixed_dictionaries({"x": st.just(np.ones(3)), "n": st.integers(-(2**63), 0)}),
    lambda b, a: pt.multinomial(x_of(b, a), a["n"], True),
)
case(
    "multinomial",
    "a 0-d or 3-d input",
    ValueError,
    lambda: st.sampled_from([(), (2, 2, 2), (1, 1, 3)]).map(lambda s: {"x": np.ones(s)}),
    lambda b, a: pt.multinomial(x_of(b, a), 1),
)
case(
    "multinomial",
    "an integer input",
    TypeError,
    lambda: st.fixed_dictionaries({"x": ints((4,), 1, 9)}),
    lambda b, a: pt.multinomial(on(b, a["x"]), 1),
)
