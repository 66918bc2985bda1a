"""Bad arguments for ``nn.functional``: ``softmax``, convolution, pooling, binary
cross-entropy, the fused layers (layer norm, cross-entropy, attention, the LSTM layer), and the
gradient ops autograd reaches (``*_backward``)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from hypothesis import assume
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


# --- fused layers: layer_norm, cross_entropy, attention, the LSTM layer ------------------------


@st.composite
def _layer_norm_misfit(draw: Any) -> Args:
    """An input and a normalized_shape it does not end in (or an affine weight of another
    shape than normalized_shape)."""
    shape = draw(array_shapes(min_dims=1, min_side=1))
    normalized = tuple(shape[-draw(st.integers(1, len(shape))) :])
    which = draw(st.sampled_from(["shape", "weight"]))
    weight = normalized
    if which == "shape":
        normalized = normalized[:-1] + (normalized[-1] + draw(st.integers(1, 3)),)
        weight = normalized
    else:
        weight = draw(array_shapes(min_dims=1, min_side=1).filter(lambda s: s != normalized))
    return {"x": draw(floats(shape)), "normalized": normalized, "weight": weight}


case(
    "layer_norm",
    "a normalized_shape or weight that does not fit the input",
    ValueError,
    _layer_norm_misfit,
    lambda b, a: F.layer_norm(x_of(b, a), a["normalized"], on(b, np.ones(a["weight"]))),
)


@st.composite
def _bad_targets(draw: Any, kind: str) -> Args:
    rows, classes = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    target = draw(hnp.arrays(np.int64, (rows,), elements=st.integers(0, classes - 1)))
    if kind == "range":  # a class index outside [0, C) that is not ignore_index
        bad = draw(st.one_of(st.integers(classes, 2**62), st.integers(-(2**62), -101)))
        target[draw(st.integers(0, rows - 1))] = bad
    else:  # a target batch of another size
        target = np.zeros(draw(st.integers(0, 5).filter(lambda n: n != rows)), np.int64)
    return {"x": draw(floats((rows, classes))), "target": target}


case(
    "cross_entropy",
    "a class index out of range",
    IndexError,
    lambda: _bad_targets("range"),
    lambda b, a: F.cross_entropy(x_of(b, a), on(b, a["target"])),
)
case(
    "cross_entropy",
    "a target of another batch size",
    ValueError,
    lambda: _bad_targets("shape"),
    lambda b, a: F.cross_entropy(x_of(b, a), on(b, a["target"])),
)


@st.composite
def _attention_misfit(draw: Any) -> Args:
    """Query and key of different widths, or key and value of different lengths."""
    batch, length, source, width = (draw(st.integers(1, 3)) for _ in range(4))
    q, k, v = (batch, length, width), (batch, source, width), (batch, source, width)
    if draw(st.booleans()):
        k = (batch, source, width + draw(st.integers(1, 3)))
    else:
        v = (batch, source + draw(st.integers(1, 3)), width)
    return {"q": draw(floats(q)), "k": draw(floats(k)), "v": draw(floats(v))}


case(
    "scaled_dot_product_attention",
    "query, key and value that do not fit (PyTorch's RuntimeError, kept)",
    RuntimeError,
    _attention_misfit,
    lambda b, a: F.scaled_dot_product_attention(on(b, a["q"]), on(b, a["k"]), on(b, a["v"])),
)


@st.composite
def _lstm_misfit(draw: Any) -> Args:
    """The LSTM layer's operands with one shape off: x_proj not (L, N, 4H), or a state or
    W_hh of another shape."""
    length, batch, hidden = (
        draw(st.integers(1, 3)),
        draw(st.integers(1, 3)),
        draw(st.integers(1, 3)),
    )
    shapes = {"x": (length, batch, 4 * hidden), "h": (batch, hidden), "c": (batch, hidden),
              "w": (4 * hidden, hidden)}  # fmt: skip
    which = draw(st.sampled_from(sorted(shapes)))
    old = shapes[which]
    shapes[which] = draw(
        array_shapes(min_dims=len(old), max_dims=len(old)).filter(lambda s: s != old)
    )
    # another shape can still fit as a whole (x of (L, 3, 4) with states of (3, 1) is batch 3,
    # hidden 1): only sets that fit no (L, N, H) are misfits
    x, h, c, w = shapes["x"], shapes["h"], shapes["c"], shapes["w"]
    assume(not (h == c and x[1:] == (h[0], 4 * h[1]) and w == (4 * h[1], h[1])))
    return {name: draw(floats(shape)) for name, shape in shapes.items()}


def _lstm_call(b: str, a: Args) -> Any:
    from plugtorch.nn.functional.recurrent import lstm_layer

    return lstm_layer(on(b, a["x"]), on(b, a["h"]), on(b, a["c"]), on(b, a["w"]))


case("lstm_layer", "operands whose shapes do not fit", ValueError, _lstm_misfit, _lstm_call)
