"""Bad arguments for the view ops and in-place writes (the storage model's ops)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

import plugtorch as pt
from plugtorch_conformance.bad_arguments import (
    Args,
    array_shapes,
    case,
    floats,
    on,
    tensor_args,
    with_bad_dim,
    x_of,
)


@st.composite
def _bad_view_shape(draw: Any) -> Args:
    shape = draw(array_shapes())
    size = int(np.prod(shape))
    target = (draw(st.integers(0, 50).filter(lambda v: v != size)),)
    return {"x": draw(floats(shape)), "shape": target}


case(
    "view",
    "a shape that does not fit",
    ValueError,
    _bad_view_shape,
    lambda b, a: x_of(b, a).view(a["shape"]),
)


@st.composite
def _unviewable(draw: Any) -> Args:
    rows, cols = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    return {"x": draw(floats((rows, cols)))}


case(
    "view",
    "a memory layout the shape cannot view",
    ValueError,
    _unviewable,
    lambda b, a: x_of(b, a).t().view(-1),
)
case(
    "diagonal",
    "a dim out of range",
    IndexError,
    lambda: with_bad_dim(min_dims=2),
    lambda b, a: x_of(b, a).diagonal(0, a["dim"], 0),
)
case(
    "diagonal",
    "the same dim twice",
    ValueError,
    lambda: tensor_args(min_dims=2),
    lambda b, a: x_of(b, a).diagonal(0, 1, -np.ndim(a["x"]) + 1),
)


@st.composite
def _bad_strides(draw: Any) -> Args:
    shape = draw(array_shapes(min_dims=1))
    kind = draw(st.sampled_from(["negative size", "negative stride", "lengths", "outside"]))
    size, stride = [2, 2], [1, 1]
    offset = 0
    if kind == "negative size":
        size[0] = draw(st.integers(-5, -1))
    elif kind == "negative stride":
        stride[1] = draw(st.integers(-5, -1))
    elif kind == "lengths":
        stride = [1]
    else:
        offset = int(np.prod(shape)) + draw(st.integers(0, 5))
    return {"x": draw(floats(shape)), "size": size, "stride": stride, "offset": offset}


case(
    "as_strided",
    "sizes, strides or offset outside the memory",
    ValueError,
    _bad_strides,
    lambda b, a: pt.as_strided(x_of(b, a), a["size"], a["stride"], a["offset"]),
)
case(
    "clone",
    "not a tensor",
    TypeError,
    lambda: st.sampled_from(["text", None, 3, [1.0]]).map(lambda v: {"value": v}),
    lambda b, a: pt.clone(a["value"]),
)


_INT64 = np.iinfo(np.int64)


@st.composite
def _index_out_of_range(draw: Any, int64: bool = False) -> Args:
    """An index past either end of the first dimension: any Python int, or (``int64``) one
    that an int64 index tensor can hold (a larger one cannot become an index tensor at all)."""
    shape = draw(array_shapes(min_dims=1))
    low, high = (int(_INT64.min), int(_INT64.max)) if int64 else (None, None)
    index = draw(
        st.one_of(
            st.integers(min_value=shape[0], max_value=high),
            st.integers(min_value=low, max_value=-shape[0] - 1),
        )
    )
    return {"x": draw(floats(shape)), "index": index}


def _put(b: str, a: Args) -> Any:
    x = x_of(b, a)
    x[on(b, np.array([a["index"]]))] = 1.0


def _put_basic(b: str, a: Args) -> Any:
    x = x_of(b, a)
    x[a["index"]] = 1.0


case(
    "index_put", "an index out of range", IndexError, lambda: _index_out_of_range(int64=True), _put
)
case("view_scatter", "an index out of range", IndexError, _index_out_of_range, _put_basic)


@st.composite
def _wider_value(draw: Any) -> Args:
    shape = draw(array_shapes(min_dims=1, min_side=1))
    wider = (shape[0] + draw(st.integers(1, 3)),) + tuple(shape[1:])
    return {"x": draw(floats(shape)), "value": draw(floats(wider))}


case(
    "view_scatter",
    "a value that does not broadcast to the selection",
    ValueError,
    _wider_value,
    lambda b, a: x_of(b, a).__setitem__(slice(None), on(b, a["value"])),
)
case(
    "overwritten",
    "a fill value that is not a number",
    TypeError,
    lambda: tensor_args().flatmap(
        lambda a: st.sampled_from(["text", None, b"x", [1.0, 2.0]]).map(lambda v: {**a, "value": v})
    ),
    lambda b, a: x_of(b, a).fill_(a["value"]),
)
case(
    "overwritten",
    "an in-place result of another shape",
    ValueError,
    _wider_value,
    lambda b, a: x_of(b, a).add_(on(b, a["value"])),
)
case(
    "overwritten",
    "a floating result written into an integer tensor",
    TypeError,
    lambda: st.just({}),
    lambda b, a: pt.zeros(3, dtype=pt.int64, backend=b).add_(0.5),
)
