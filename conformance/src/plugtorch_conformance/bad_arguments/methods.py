"""Bad arguments for the tensor methods and functions of issue #11: ``scatter``,
``scatter_reduce``, ``lerp`` (op database entries) and the composites ``repeat``,
``repeat_interleave``, ``einsum``, ``addmm``/``baddbmm``, ``nan_to_num`` and ``isclose``."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

import plugtorch as pt
from plugtorch_conformance.bad_arguments import (
    OTHER_BACKEND,
    Args,
    array_shapes,
    case,
    floats,
    ints,
    mismatched_shapes,
    on,
    x_of,
    xy_of,
)

# --- scatter and scatter_reduce ------------------------------------------------------------


@st.composite
def _scatter_args(draw: Any, kind: str) -> Args:
    """A (shape, dim, index) that is valid except for ``kind`` (indices out of range, float
    indices and bad dims are the cases of ``shapes.INDEXING``)."""
    shape = draw(array_shapes(min_dims=1, min_side=1))
    dim = draw(st.integers(0, len(shape) - 1))
    index = draw(ints(shape, 0, shape[dim] - 1))
    if kind == "ndim":
        index = index.reshape(-1)[:1].reshape((1,) * (len(shape) + 1))
    elif kind == "too large":
        index = np.zeros(tuple(s + 1 for s in shape), dtype=np.int64)
    return {"x": draw(floats(shape)), "dim": dim, "index": index}


SCATTERS = {
    "scatter": lambda x, d, i, s: pt.scatter(x, d, i, s),
    "scatter_reduce": lambda x, d, i, s: pt.scatter_reduce(x, d, i, s, "amax"),
}
for _name, _function in SCATTERS.items():
    for _kind, _what, _error, _src in (
        ("ndim", "an index with another number of dimensions", ValueError, None),
        ("too large", "an index larger than input and src", ValueError, None),
        ("valid", "src of another dtype", TypeError, pt.int64),
        ("valid", "src on another backend", RuntimeError, OTHER_BACKEND),
    ):
        case(
            _name,
            _what,
            _error,
            lambda kind=_kind: _scatter_args(kind),
            lambda b, a, f=_function, src=_src: f(
                x_of(b, a), a["dim"], on(b, a["index"]), _source(b, a, src)
            ),
        )


def _source(backend: str, args: Args, kind: Any) -> pt.Tensor:
    """``src`` for a scatter case: x itself, x's index as int64, or x on another backend."""
    if kind is pt.int64:
        return on(backend, args["index"], pt.int64)
    if kind == OTHER_BACKEND:
        return on(OTHER_BACKEND, args["x"])
    return x_of(backend, args)


case(
    "scatter",
    "a reduction that is not add or multiply",
    ValueError,
    lambda: st.sampled_from(["sum", "mean", "amax", "", "ADD"]).map(lambda r: {"reduce": r}),
    lambda b, a: pt.zeros(2, backend=b).scatter(0, on(b, [0]), 1.0, reduce=a["reduce"]),
)
case(
    "scatter",
    "neither src nor value",
    TypeError,
    lambda: _scatter_args("valid"),
    lambda b, a: pt.scatter(x_of(b, a), a["dim"], on(b, a["index"])),
)
case(
    "scatter_reduce",
    "an unknown reduction",
    ValueError,
    lambda: st.sampled_from(["max", "min", "add", "multiply", ""]).map(lambda r: {"reduce": r}),
    lambda b, a: pt.zeros(2, backend=b).scatter_reduce(
        0, on(b, [0]), pt.ones(1, backend=b), a["reduce"]
    ),
)

# --- lerp ------------------------------------------------------------------------------------

case(
    "lerp",
    "shapes that do not broadcast",
    ValueError,
    mismatched_shapes,
    lambda b, a: pt.lerp(*xy_of(b, a), 0.5),
)
case(
    "lerp",
    "an end of another dtype",
    TypeError,
    lambda: array_shapes().flatmap(lambda s: st.fixed_dictionaries({"x": floats(s)})),
    lambda b, a: pt.lerp(x_of(b, a), on(b, np.zeros(np.shape(a["x"])), pt.int64), 0.5),
)
case(
    "lerp",
    "a weight that is not a number",
    TypeError,
    lambda: st.fixed_dictionaries(
        {"x": floats((2,)), "weight": st.sampled_from(["half", None, [0.5], 1j])}
    ),
    lambda b, a: pt.lerp(x_of(b, a), x_of(b, a), a["weight"]),
)
case(
    "lerp",
    "tensors on two backends",
    RuntimeError,
    lambda: array_shapes().flatmap(lambda s: st.fixed_dictionaries({"x": floats(s)})),
    lambda b, a: pt.lerp(x_of(b, a), on(OTHER_BACKEND, a["x"]), 0.5),
)

# --- repeats ---------------------------------------------------------------------------------


@st.composite
def _counts(draw: Any, kind: str) -> Args:
    shape = draw(array_shapes(min_dims=1, max_dims=2, min_side=1))
    if kind == "negative":
        counts = draw(ints((shape[0],), 0, 3))
        counts[draw(st.integers(0, shape[0] - 1))] = draw(st.integers(-(2**40), -1))
    else:
        size = draw(st.integers(2, 5).filter(lambda n: n != shape[0]))
        counts = draw(ints((size,), 0, 3))
    return {"x": draw(floats(shape)), "counts": counts}


case(
    "repeat_interleave",
    "a negative count",
    ValueError,
    lambda: _counts("negative"),
    lambda b, a: x_of(b, a).repeat_interleave(on(b, a["counts"]), dim=0),
)
case(
    "repeat_interleave",
    "one count per slice, of the wrong number",
    ValueError,
    lambda: _counts("size"),
    lambda b, a: x_of(b, a).repeat_interleave(on(b, a["counts"]), dim=0),
)
case(
    "repeat",
    "fewer counts than dimensions",
    ValueError,
    lambda: array_shapes(min_dims=2).flatmap(lambda s: st.fixed_dictionaries({"x": floats(s)})),
    lambda b, a: x_of(b, a).repeat(2),
)
case(
    "repeat",
    "a negative count",
    ValueError,
    lambda: st.fixed_dictionaries({"x": floats((2,)), "count": st.integers(-(2**62), -1)}),
    lambda b, a: x_of(b, a).repeat(a["count"]),
)

# --- einsum, fused products ----------------------------------------------------------------

BAD_EQUATIONS = [
    ("ij,jk->ik", [(2, 3)]),
    ("i->i", [(2,), (2,)]),
    ("ij->ij", [(2,)]),
    ("i1->i", [(2, 2)]),
    ("i->j", [(2,)]),
    ("i->ii", [(2,)]),
    ("ii->i", [(2, 3)]),
    ("i,i->i", [(2,), (3,)]),
    ("i.->i", [(2, 2)]),
]
case(
    "einsum",
    "an equation that does not fit the operands",
    ValueError,
    lambda: st.sampled_from(BAD_EQUATIONS).map(lambda e: {"equation": e[0], "shapes": e[1]}),
    lambda b, a: pt.einsum(a["equation"], *(pt.ones(*s, backend=b) for s in a["shapes"])),
)


@st.composite
def _unaligned(draw: Any) -> Args:
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    other = draw(st.integers(1, 5).filter(lambda v: v != k))
    return {"x": draw(floats((n, m))), "y": draw(floats((n, k))), "z": draw(floats((other, m)))}


case(
    "addmm",
    "matrices that do not multiply",
    ValueError,
    _unaligned,
    lambda b, a: pt.addmm(x_of(b, a), on(b, a["y"]), on(b, a["z"])),
)
case(
    "addmm",
    "a float beta for integer tensors",
    TypeError,
    lambda: st.fixed_dictionaries({"beta": st.floats(allow_nan=False, width=32)}),
    lambda b, a: pt.addmm(*(pt.ones(2, 2, dtype=pt.int64, backend=b),) * 3, beta=a["beta"]),
)
case(
    "baddbmm",
    "batches that are not 3-D",
    ValueError,
    lambda: array_shapes().filter(lambda s: len(s) != 3).map(lambda s: {"shape": s}),
    lambda b, a: pt.baddbmm(
        pt.ones(1, backend=b), pt.ones(*a["shape"], backend=b), pt.ones(2, 2, 2, backend=b)
    ),  # fmt: skip
)

# --- nan_to_num, isclose -------------------------------------------------------------------

case(
    "nan_to_num",
    "a replacement that is not a number",
    TypeError,
    lambda: st.fixed_dictionaries({"x": floats((3,)), "value": st.sampled_from(["0", [1], 1j])}),
    lambda b, a: pt.nan_to_num(x_of(b, a), posinf=a["value"]),
)
case(
    "isclose",
    "tensors of two dtypes",
    TypeError,
    lambda: st.fixed_dictionaries({"x": floats((3,))}),
    lambda b, a: pt.isclose(x_of(b, a), on(b, [1, 2, 3], pt.int64)),
)
case(
    "isclose",
    "a negative or nan tolerance",
    ValueError,
    lambda: st.fixed_dictionaries(
        {"x": floats((3,)), "tol": st.one_of(st.floats(max_value=-1e-300), st.just(float("nan")))}
    ),
    lambda b, a: pt.isclose(x_of(b, a), x_of(b, a), rtol=a["tol"]),
)
