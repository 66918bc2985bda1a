"""Bad arguments for the elementwise ops: functions of one and of two tensors, division,
``pow``, ``where``, ``clamp``, ``astype`` and ``expand``."""

from __future__ import annotations

from typing import Any, Callable

from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import plugtorch as pt
from plugtorch_conformance.bad_arguments import (
    NON_TENSORS,
    OTHER_BACKEND,
    WRONG_SCALARS,
    Args,
    F,
    array_shapes,
    case,
    floats,
    ints,
    mismatched_shapes,
    on,
    tensor_args,
    with_value,
    x_of,
    xy_of,
)

# --- elementwise functions of one tensor -----------------------------------------------------

UNARY: dict[str, Callable[..., Any]] = {
    "neg": pt.neg,
    "abs": pt.abs,
    "sign": pt.sign,
    "floor": pt.floor,
    "ceil": pt.ceil,
    "round": pt.round,
    "exp": pt.exp,
    "log": pt.log,
    "log1p": pt.log1p,
    "expm1": pt.expm1,
    "sqrt": pt.sqrt,
    "sin": pt.sin,
    "cos": pt.cos,
    "tanh": pt.tanh,
    "sigmoid": pt.sigmoid,
    "relu": pt.relu,
    "logical_not": pt.logical_not,
    "bitwise_not": pt.bitwise_not,
    "erf": F.erf,
    "gelu": F.gelu,
    "silu": F.silu,
    "erfc": pt.erfc,
    "leaky_relu": F.leaky_relu,
    "elu": F.elu,
    "softplus": F.softplus,
}
for _name, _function in UNARY.items():
    case(
        _name,
        "not a Tensor",
        TypeError,
        lambda: st.fixed_dictionaries(
            {"value": st.one_of(NON_TENSORS, st.floats(), st.integers())}
        ),
        lambda b, a, f=_function: f(a["value"]),
    )
for _name in ("neg", "relu"):
    case(
        _name,
        "a bool tensor",
        TypeError,
        lambda: st.fixed_dictionaries({"x": array_shapes().flatmap(lambda s: hnp.arrays(bool, s))}),
        lambda b, a, f=UNARY[_name]: f(on(b, a["x"], pt.bool)),
    )
case(
    "bitwise_not",
    "a floating tensor",
    TypeError,
    tensor_args,
    lambda b, a: pt.bitwise_not(x_of(b, a)),
)
case(
    "gelu",
    "an unknown approximation",
    ValueError,
    lambda: with_value(st.text().filter(lambda v: v not in ("none", "tanh"))),
    lambda b, a: F.gelu(x_of(b, a), approximate=a["value"]),
)

for _name, _argument in (
    ("leaky_relu", "negative_slope"),
    ("elu", "alpha"),
    ("softplus", "beta"),
    ("softplus", "threshold"),
):
    case(
        _name,
        f"a {_argument} that is not a number",
        TypeError,
        lambda: with_value(WRONG_SCALARS),
        lambda b, a, f=UNARY[_name], k=_argument: f(x_of(b, a), **{k: a["value"]}),
    )

# --- elementwise functions of two tensors ----------------------------------------------------

BINARY: dict[str, Callable[..., Any]] = {
    "add": pt.add,
    "sub": pt.sub,
    "mul": pt.mul,
    "div": pt.div,
    "remainder": pt.remainder,
    "pow": pt.pow,
    "maximum": pt.maximum,
    "minimum": pt.minimum,
    "floor_divide": pt.floor_divide,
    "eq": pt.eq,
    "ne": pt.ne,
    "lt": pt.lt,
    "le": pt.le,
    "gt": pt.gt,
    "ge": pt.ge,
    "logical_and": pt.logical_and,
    "logical_or": pt.logical_or,
    "logical_xor": pt.logical_xor,
    "bitwise_and": pt.bitwise_and,
    "bitwise_or": pt.bitwise_or,
    "bitwise_xor": pt.bitwise_xor,
}
for _name, _function in BINARY.items():
    bitwise = _name.startswith("bitwise")

    def _pair(b: str, a: Args, bitwise: bool = bitwise) -> tuple[pt.Tensor, pt.Tensor]:
        x, y = xy_of(b, a)
        return (x > 0, y > 0) if bitwise else (x, y)

    case(
        _name,
        "shapes that do not broadcast",
        ValueError,
        mismatched_shapes,
        lambda b, a, f=_function, pair=_pair: f(*pair(b, a)),
    )
    case(
        _name,
        "an operand of an unsupported type",
        TypeError,
        lambda: with_value(WRONG_SCALARS),
        lambda b, a, f=_function, bitwise=bitwise: f(
            x_of(b, a) > 0 if bitwise else x_of(b, a), a["value"]
        ),
    )
    case(
        _name,
        "tensors on two backends",
        RuntimeError,
        lambda: array_shapes().flatmap(lambda s: st.fixed_dictionaries({"x": floats(s)})),
        lambda b, a, f=_function: f(x_of(b, a), on(OTHER_BACKEND, a["x"])),
    )
for _name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
    case(
        _name,
        "floating operands",
        TypeError,
        tensor_args,
        lambda b, a, f=BINARY[_name]: f(x_of(b, a), x_of(b, a)),
    )


@st.composite
def _zero_divisor(draw: Any) -> Args:
    shape = draw(array_shapes(min_dims=1, min_side=1))
    divisor = draw(ints(shape))
    divisor.flat[draw(st.integers(0, divisor.size - 1))] = 0
    scalar = draw(st.booleans())
    return {"x": draw(ints(shape, -(2**40), 2**40)), "y": 0 if scalar else divisor}


for _name, _function in (
    ("floor_divide", pt.floor_divide),
    ("remainder", pt.remainder),
    ("div", lambda x, y: pt.div(x, y, rounding_mode="trunc")),
):
    case(
        _name,
        "an integer divisor with zeros",
        ZeroDivisionError,
        _zero_divisor,
        lambda b, a, f=_function: f(
            on(b, a["x"]), a["y"] if isinstance(a["y"], int) else on(b, a["y"])
        ),
    )
case(
    "div",
    "an unknown rounding mode",
    ValueError,
    lambda: with_value(st.text().filter(lambda v: v not in ("floor", "trunc"))),
    lambda b, a: pt.div(x_of(b, a), 2.0, rounding_mode=a["value"]),
)
case(
    "pow",
    "an integer base to a negative integer power",
    ValueError,
    lambda: st.fixed_dictionaries(
        {"x": array_shapes().flatmap(ints), "value": st.integers(max_value=-1)}
    ),
    lambda b, a: pt.pow(on(b, a["x"]), a["value"]),
)
case(
    "where",
    "a condition that is not bool",
    TypeError,
    tensor_args,
    lambda b, a: pt.where(x_of(b, a), x_of(b, a), 0.0),
)
case(
    "where",
    "shapes that do not broadcast",
    ValueError,
    mismatched_shapes,
    lambda b, a: pt.where(xy_of(b, a)[0] > 0, *xy_of(b, a)),
)
case("clamp", "no bound", ValueError, tensor_args, lambda b, a: pt.clamp(x_of(b, a)))
case(
    "clamp",
    "a bound of an unsupported type",
    TypeError,
    lambda: with_value(WRONG_SCALARS.filter(lambda v: v is not None)),
    lambda b, a: pt.clamp(x_of(b, a), a["value"]),
)
case(
    "astype",
    "an unknown dtype",
    TypeError,
    lambda: with_value(st.one_of(st.text(min_size=1), st.integers(), st.floats())),
    lambda b, a: x_of(b, a).to(dtype=a["value"]),
)


@st.composite
def _bad_expand(draw: Any) -> Args:
    shape = draw(array_shapes(min_dims=1, min_side=2))
    kind = draw(st.sampled_from(["mismatch", "negative", "fewer"]))
    target = list(shape)
    if kind == "mismatch":
        axis = draw(st.integers(0, len(shape) - 1))
        target[axis] = draw(st.integers(0, 6).filter(lambda v: v not in (1, shape[axis])))
    elif kind == "negative":
        target[draw(st.integers(0, len(shape) - 1))] = draw(st.integers(-(2**63), -2))
    else:
        target = target[1:]
    return {"x": draw(floats(shape)), "shape": tuple(target)}


case(
    "expand",
    "a shape it cannot expand to",
    ValueError,
    _bad_expand,
    lambda b, a: x_of(b, a).expand(a["shape"]),
)
