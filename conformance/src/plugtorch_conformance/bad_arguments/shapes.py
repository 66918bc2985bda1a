"""Bad arguments for reductions, ``matmul``/``linear``, movement (``reshape permute cat
flip``) and indexing (``getitem take gather scatter_add index_add``; index ranges, float indices
and dims of ``scatter`` and ``scatter_reduce``)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st

import plugtorch as pt
from plugtorch_conformance.bad_arguments import (
    NON_TENSORS,
    OTHER_BACKEND,
    Args,
    F,
    array_shapes,
    bad_dim,
    case,
    floats,
    ints,
    on,
    tensor_args,
    with_bad_dim,
    with_twice_named_dim,
    with_value,
    x_of,
    xy_of,
)

# --- reductions ------------------------------------------------------------------------------

REDUCTIONS = {"sum": pt.sum, "prod": pt.prod, "amax": pt.amax, "amin": pt.amin}
ALONG_A_DIM = {**REDUCTIONS, "softmax": F.softmax, "log_softmax": F.log_softmax}
# The loops below bind functions of several signatures, and several exception types.
_function: Callable[..., Any]
_error: type[Exception]
for _name, _function in ALONG_A_DIM.items():
    case(
        _name,
        "a dim out of range",
        IndexError,
        with_bad_dim,
        lambda b, a, f=_function: f(x_of(b, a), a["dim"]),
    )
for _name, _function in REDUCTIONS.items():
    case(
        _name,
        "a dim named twice",
        ValueError,
        with_twice_named_dim,
        lambda b, a, f=_function: f(x_of(b, a), a["dim"]),
    )
    case(
        _name,
        "a dim of an unsupported type",
        TypeError,
        lambda: with_value(st.one_of(st.floats(), st.text(), st.just(None).map(lambda _: 1j))),
        lambda b, a, f=_function: f(x_of(b, a), a["value"]),
    )


@st.composite
def _empty_dim(draw: Any) -> Args:
    shape = list(draw(array_shapes(min_dims=1)))
    axis = draw(st.integers(0, len(shape) - 1))
    shape[axis] = 0
    return {"x": np.zeros(shape), "dim": axis}


for _name in ("amax", "amin"):
    case(
        _name,
        "an empty dimension",
        IndexError,
        _empty_dim,
        lambda b, a, f=REDUCTIONS[_name]: f(x_of(b, a), a["dim"]),
    )

# --- linear algebra --------------------------------------------------------------------------


@st.composite
def _bad_matmul(draw: Any) -> Args:
    kind = draw(st.sampled_from(["inner", "scalar", "batch"]))
    n, k, m = (draw(st.integers(0, 4)) for _ in range(3))
    left: tuple[int, ...]
    right: tuple[int, ...]
    if kind == "inner":
        other = draw(st.integers(0, 5).filter(lambda v: v != k))
        left, right = (n, k), (other, m)
    elif kind == "scalar":
        left, right = (), draw(array_shapes(min_dims=1))
    else:
        left, right = (2, n, k), (3, k, m)
    if kind == "scalar" and draw(st.booleans()):
        left, right = right, left
    return {"x": draw(floats(left)), "y": draw(floats(right))}


case(
    "matmul",
    "shapes that do not multiply",
    ValueError,
    _bad_matmul,
    lambda b, a: pt.matmul(*xy_of(b, a)),
)
case(
    "linear",
    "in-features that differ",
    ValueError,
    lambda: st.fixed_dictionaries({"x": floats((2, 3)), "y": floats((4, 2))}),
    lambda b, a: F.linear(*xy_of(b, a)),
)
case(
    "linear",
    "a bias that does not fit",
    ValueError,
    lambda: st.fixed_dictionaries(
        {
            "x": floats((2, 3)),
            "y": floats((4, 3)),
            "bias": st.sampled_from([(5,), (4, 4), (0,), (3,)]),
        }
    ),
    lambda b, a: F.linear(*xy_of(b, a), on(b, np.zeros(a["bias"]))),
)
case(
    "linear",
    "not tensors",
    TypeError,
    lambda: st.fixed_dictionaries({"value": NON_TENSORS}),
    lambda b, a: F.linear(a["value"], a["value"]),
)

# --- movement --------------------------------------------------------------------------------


@st.composite
def _bad_reshape(draw: Any) -> Args:
    shape = draw(array_shapes())
    size = int(np.prod(shape))
    kind = draw(st.sampled_from(["count", "two unknowns", "negative"]))
    if kind == "count":
        target: tuple[int, ...] = (draw(st.integers(0, 50).filter(lambda v: v != size)),)
    elif kind == "two unknowns":
        target = (-1, -1) + tuple(draw(array_shapes(max_dims=1, min_side=1)))
    else:
        target = (draw(st.integers(-(2**63), -2)), size)
    return {"x": draw(floats(shape)), "shape": target}


case(
    "reshape",
    "a shape that does not fit",
    ValueError,
    _bad_reshape,
    lambda b, a: x_of(b, a).reshape(a["shape"]),
)


@st.composite
def _bad_permutation(draw: Any) -> Args:
    shape = draw(array_shapes(min_dims=1))
    dims = draw(st.lists(st.integers(-len(shape), len(shape) - 1), max_size=len(shape) + 1))
    normal = sorted(d % len(shape) for d in dims)
    if normal == list(range(len(shape))):  # accidentally valid: repeat a dim
        dims = dims + dims[:1]
    return {"x": draw(floats(shape)), "dims": tuple(dims)}


case(
    "permute",
    "dims that are not a permutation",
    ValueError,
    _bad_permutation,
    lambda b, a: x_of(b, a).permute(*a["dims"]),
)
case(
    "permute",
    "a dim out of range",
    IndexError,
    lambda: with_bad_dim(min_dims=1).map(
        lambda a: {**a, "dims": (a["dim"],) + tuple(range(1, np.ndim(a["x"])))}
    ),
    lambda b, a: x_of(b, a).permute(*a["dims"]),
)


@st.composite
def _cat_sizes(draw: Any) -> Args:
    """Two tensors whose sizes differ in a dimension other than the one they join along."""
    shape = list(draw(array_shapes(min_dims=2)))
    dim, other = draw(st.lists(st.integers(0, len(shape) - 1), min_size=2, max_size=2, unique=True))
    second = list(shape)
    second[other] = draw(st.integers(0, 5).filter(lambda v: v != shape[other]))
    return {"x": draw(floats(tuple(shape))), "y": draw(floats(tuple(second))), "dim": dim}


case(
    "cat",
    "sizes that differ off the joined dim",
    ValueError,
    _cat_sizes,
    lambda b, a: pt.cat(list(xy_of(b, a)), a["dim"]),
)
case(
    "cat",
    "a dim out of range",
    IndexError,
    lambda: with_bad_dim(min_dims=1),
    lambda b, a: pt.cat([x_of(b, a), x_of(b, a)], a["dim"]),
)
case("cat", "no tensors", ValueError, lambda: st.fixed_dictionaries({}), lambda b, a: pt.cat([]))
case(
    "cat",
    "0-d tensors",
    ValueError,
    lambda: st.fixed_dictionaries({"x": floats(())}),
    lambda b, a: pt.cat([x_of(b, a), x_of(b, a)]),
)
case(
    "cat",
    "tensors on two backends",
    RuntimeError,
    lambda: tensor_args(min_dims=1),
    lambda b, a: pt.cat([x_of(b, a), on(OTHER_BACKEND, a["x"])]),
)
case(
    "flip",
    "a dim out of range",
    IndexError,
    with_bad_dim,
    lambda b, a: pt.flip(x_of(b, a), (a["dim"],)),
)
case(
    "flip",
    "a dim named twice",
    ValueError,
    with_twice_named_dim,
    lambda b, a: pt.flip(x_of(b, a), a["dim"]),
)

# --- indexing --------------------------------------------------------------------------------


@st.composite
def _bad_key(draw: Any, kind: str) -> Args:
    shape = draw(array_shapes(min_dims=1))
    axis = draw(st.integers(0, len(shape) - 1))
    lead: tuple[Any, ...] = (slice(None),) * axis
    if kind == "index":
        size = shape[axis]
        index = draw(st.one_of(st.integers(min_value=size), st.integers(max_value=-size - 1)))
        key: Any = lead + (index,)
    elif kind == "step":
        key = lead + (slice(draw(st.integers(-3, 3)), None, 0),)
    elif kind == "too many":
        key = (slice(None),) * len(shape) + (0,)
    elif kind == "float":
        key = lead + (draw(st.floats()),)
    else:
        wrong = draw(st.integers(0, 6).filter(lambda v: v != shape[axis]))
        key = lead + (np.ones(wrong, dtype=bool),)
    return {"x": draw(floats(shape)), "key": key}


def _getitem_call(b: str, a: Args) -> Any:
    key = tuple(on(b, k) if isinstance(k, np.ndarray) else k for k in a["key"])
    return x_of(b, a)[key]


for _kind, _what, _error in (
    ("index", "an integer index out of range", IndexError),
    ("step", "a zero slice step", ValueError),
    ("too many", "more indices than dimensions", IndexError),
    ("float", "a float index", IndexError),
    ("mask", "a bool mask of the wrong length", IndexError),
):
    case("getitem", _what, _error, lambda kind=_kind: _bad_key(kind), _getitem_call)
for _name, _function, _out in (
    ("getitem_backward", lambda x: x[..., ::2], (2, 2)),
    ("tanh_backward", pt.tanh, (2, 4)),
    ("sigmoid_backward", pt.sigmoid, (2, 4)),
    ("relu_backward", pt.relu, (2, 4)),
    ("softmax_backward", lambda x: pt.nn.functional.softmax(x, -1), (2, 4)),
):

    def _gradient(b: str, a: Args, f: Any = _function) -> Any:
        x = x_of(b, a).requires_grad_()
        return pt.autograd.grad(f(x), x, on(b, np.ones(a["grad"])))

    case(
        _name,
        "a gradient of the wrong shape",
        ValueError,
        lambda out=_out: st.fixed_dictionaries(
            {"x": floats((2, 4)), "grad": array_shapes().filter(lambda s: s != out)}
        ),
        _gradient,
    )


@st.composite
def _bad_index(draw: Any, kind: str, same_ndim: bool = False) -> Args:
    shape = draw(array_shapes(min_dims=1, min_side=1))
    dim = draw(st.integers(0, len(shape) - 1))
    index_shape = shape if same_ndim else (draw(st.integers(1, 3)),)
    index = draw(ints(index_shape, 0, shape[dim] - 1))
    if kind == "out of range":
        bad = draw(
            st.one_of(st.integers(shape[dim], 2**62), st.integers(-(2**62), -shape[dim] - 1))
        )
        index.flat[draw(st.integers(0, index.size - 1))] = bad
    elif kind == "float":
        index = index.astype(np.float64)
    else:
        dim = draw(bad_dim(len(shape)))
    return {"x": draw(floats(shape)), "dim": dim, "index": index}


INDEXING: dict[str, tuple[Callable[..., Any], bool]] = {
    "take": (lambda x, d, i: pt.index_select(x, d, i), False),
    "gather": (lambda x, d, i: pt.gather(x, d, i), True),
    "scatter_add": (lambda x, d, i: pt.scatter_add(x, d, i, x), True),
    "index_add": (lambda x, d, i: pt.index_add(x, d, i, x), False),
    "scatter": (lambda x, d, i: pt.scatter(x, d, i, x), True),
    "scatter_reduce": (lambda x, d, i: pt.scatter_reduce(x, d, i, x, "amax"), True),
}
for _name, (_function, _same) in INDEXING.items():
    for _kind, _what, _error in (
        ("out of range", "an index out of range", IndexError),
        ("float", "a float index", TypeError),
        ("dim", "a dim out of range", IndexError),
    ):
        case(
            _name,
            _what,
            _error,
            lambda kind=_kind, same=_same: _bad_index(kind, same),
            lambda b, a, f=_function: f(x_of(b, a), a["dim"], on(b, a["index"])),
        )
case(
    "take",
    "an index with two dimensions",
    ValueError,
    lambda: st.fixed_dictionaries({"x": floats((3,)), "index": ints((2, 2), 0, 2)}),
    lambda b, a: pt.index_select(x_of(b, a), 0, on(b, a["index"])),
)
for _name, _function in (
    ("gather", lambda x, i: pt.gather(x, 0, i)),
    ("scatter_add", lambda x, i: pt.scatter_add(x, 0, i, x)),
):
    case(
        _name,
        "an index whose dimensions differ from the input's",
        ValueError,
        lambda: st.fixed_dictionaries({"x": floats((3, 2)), "index": ints((3,), 0, 1)}),
        lambda b, a, f=_function: f(x_of(b, a), on(b, a["index"])),
    )
case(
    "index_add",
    "a source that does not fit",
    ValueError,
    lambda: st.fixed_dictionaries(
        {"x": floats((3, 2)), "y": array_shapes().filter(lambda s: s != (2, 2))}
    ),
    lambda b, a: pt.index_add(x_of(b, a), 0, on(b, [0, 2]), on(b, np.ones(a["y"]))),
)
