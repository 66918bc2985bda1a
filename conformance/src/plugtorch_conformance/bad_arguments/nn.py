"""Bad arguments for ``nn.functional``: ``softmax``, convolution, pooling, binary
cross-entropy, and the gradient ops autograd reaches (``*_backward``)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from plugtorch_conformance.bad_arguments import (
    HUGE,
    Args,
    F,
    array_shapes,
    case,
    floats,
    on,
    tensor_args,
    x_of,
    xy_of,
)

# --- nn.functional ---------------------------------------------------------------------------

# (softmax's "a dim out of range" is registered with the reductions', in shapes.py)
_function: Callable[..., Any]  # the loops below bind functions of several signatures
for _name, _function in (("softmax", F.softmax), ("log_softmax", F.log_softmax)):
    case(_name, "no dim", TypeError, tensor_args, lambda b, a, f=_function: f(x_of(b, a)))


@st.composite
def _bad_conv(draw: Any) -> Args:
    """One geometry argument out of range (the others valid), on a valid or empty batch."""
    n, c = draw(st.integers(0, 2)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    args: Args = {
        "x": (n, c, h, w),
        "w": (2, c, kh, kw),
        "stride": 1,
        "padding": 0,
        "dilation": 1,
        "groups": 1,
    }
    which = draw(st.sampled_from(["stride", "padding", "dilation", "groups", "kernel", "huge"]))
    pair = st.tuples
    if which == "stride":
        args["stride"] = draw(
            st.one_of(st.integers(max_value=0), pair(st.integers(1, 3), st.integers(max_value=0)))
        )
    elif which == "padding":
        args["padding"] = draw(
            st.one_of(st.integers(max_value=-1), pair(st.integers(0, 2), st.integers(max_value=-1)))
        )
    elif which == "dilation":
        args["dilation"] = draw(st.integers(max_value=0))
    elif which == "groups":
        args["groups"] = draw(st.one_of(st.integers(max_value=0), st.integers(3, 8)))
        if args["groups"] > 0:
            args["x"] = (n, c * args["groups"] + 1, h, w)
    elif which == "kernel":
        args["w"] = (2, c, h + 1 + draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    else:
        args[draw(st.sampled_from(["stride", "padding", "dilation"]))] = draw(HUGE) * draw(
            st.sampled_from([1, -1])
        )
        if args["stride"] > 0 and args["padding"] >= 0 and args["dilation"] > 0:
            args["dilation"] = 2**63  # every huge valid value made invalid by a huge dilation
    return args


def _conv_call(b: str, a: Args) -> Any:
    return F.conv2d(
        on(b, np.ones(a["x"])),
        on(b, np.ones(a["w"])),
        None,
        a["stride"],
        a["padding"],
        a["dilation"],
        a["groups"],
    )


case(
    "conv2d",
    "a stride, padding, dilation, groups or kernel out of range",
    ValueError,
    _bad_conv,
    _conv_call,
)
case(
    "conv2d",
    "a float geometry argument",
    TypeError,
    lambda: st.fixed_dictionaries({"value": st.floats()}),
    lambda b, a: F.conv2d(
        on(b, np.ones((1, 1, 3, 3))), on(b, np.ones((1, 1, 2, 2))), stride=a["value"]
    ),
)
case(
    "conv2d",
    "an integer input",
    TypeError,
    lambda: st.fixed_dictionaries({}),
    lambda b, a: F.conv2d(on(b, np.ones((1, 1, 3, 3), np.int64)), on(b, np.ones((1, 1, 2, 2)))),
)


@st.composite
def _bad_pool(draw: Any) -> Args:
    n, c = draw(st.integers(0, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    kernel, stride, padding = draw(st.integers(1, 3)), None, 0
    which = draw(
        st.sampled_from(["kernel", "stride", "padding", "large padding", "output", "huge"])
    )
    if which == "kernel":
        kernel = draw(st.integers(max_value=0))
    elif which == "stride":
        stride = draw(st.integers(max_value=0))
    elif which == "padding":
        padding = draw(st.integers(max_value=-1))
    elif which == "large padding":
        padding = kernel // 2 + draw(st.integers(1, 2**40))
    elif which == "output":
        kernel = max(h, w) + 1 + draw(st.integers(0, 3))
    else:
        kernel = draw(HUGE)
    return {"x": (n, c, h, w), "kernel": kernel, "stride": stride, "padding": padding}


for _name, _function in (("max_pool2d", F.max_pool2d), ("avg_pool2d", F.avg_pool2d)):
    case(
        _name,
        "a kernel, stride or padding out of range",
        ValueError,
        _bad_pool,
        lambda b, a, f=_function: f(on(b, np.ones(a["x"])), a["kernel"], a["stride"], a["padding"]),
    )


@st.composite
def _bad_probabilities(draw: Any) -> Args:
    shape = draw(array_shapes(min_side=1))
    values = draw(hnp.arrays(np.float64, shape, elements=st.floats(0, 1, width=32)))
    bad = draw(
        st.one_of(
            st.floats(min_value=1, exclude_min=True, width=32),
            st.floats(max_value=0, exclude_max=True, width=32),
            st.just(float("nan")),
        )
    )
    values.flat[draw(st.integers(0, values.size - 1))] = bad
    return {"x": values, "y": np.clip(np.nan_to_num(values), 0, 1)}


case(
    "binary_cross_entropy",
    "probabilities outside [0, 1] or nan",
    ValueError,
    _bad_probabilities,
    lambda b, a: F.binary_cross_entropy(*xy_of(b, a)),
)
case(
    "binary_cross_entropy",
    "a target of another shape",
    ValueError,
    lambda: st.fixed_dictionaries(
        {
            "x": floats((2, 3)).map(lambda v: np.full(v.shape, 0.5)),
            "y": array_shapes().filter(lambda s: s != (2, 3)),
        }
    ),
    lambda b, a: F.binary_cross_entropy(x_of(b, a), on(b, np.full(a["y"], 0.5))),
)
case(
    "binary_cross_entropy",
    "an unknown reduction",
    ValueError,
    lambda: st.fixed_dictionaries(
        {"value": st.text().filter(lambda v: v not in ("mean", "sum", "none"))}
    ),
    lambda b, a: F.binary_cross_entropy(on(b, [0.5]), on(b, [1.0]), reduction=a["value"]),
)
