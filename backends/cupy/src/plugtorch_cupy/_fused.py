"""Fused elementwise chains: one CUDA kernel for a whole expression such as ``x*y + sin(x)``.

A chain is a tuple of steps in static single assignment form: each step is
``(primitive, operand, ...)`` where an operand indexes the inputs (``0 .. n_inputs-1``) or an
earlier step's result (``n_inputs + k``); the last step is the result. ``x*y + sin(x)`` over
inputs ``(x, y)`` is::

    (("multiply", 0, 1), ("sin", 0), ("add", 2, 3))

:func:`render` turns a chain into CUDA C from ``kernels/fused_elementwise.cu``;
:func:`evaluate` computes the same chain with numpy (or any namespace with the primitives'
names), which is how the tests check a chain's meaning without a GPU. The strided kernel
reads input ``k`` at offset ``sum(coord[d] * strides[k][d])`` of the row-major coordinate of
the output index, :func:`strided_offsets` is that arithmetic in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from string import Template
from typing import Any

__all__ = [
    "UNARY",
    "BINARY",
    "Chain",
    "check_chain",
    "render",
    "evaluate",
    "strided_offsets",
]

Chain = tuple[tuple[Any, ...], ...]

# primitive -> C expression over a (and b); float32 and float64 pick the C function by suffix.
UNARY: dict[str, tuple[str, str]] = {
    "negative": ("(-{a})", "(-{a})"),
    "abs": ("fabsf({a})", "fabs({a})"),
    "exp": ("expf({a})", "exp({a})"),
    "log": ("logf({a})", "log({a})"),
    "log1p": ("log1pf({a})", "log1p({a})"),
    "expm1": ("expm1f({a})", "expm1({a})"),
    "sqrt": ("sqrtf({a})", "sqrt({a})"),
    "sin": ("sinf({a})", "sin({a})"),
    "cos": ("cosf({a})", "cos({a})"),
    "tanh": ("tanhf({a})", "tanh({a})"),
    "floor": ("floorf({a})", "floor({a})"),
    "ceil": ("ceilf({a})", "ceil({a})"),
    "sigmoid": ("pt_sigmoid({a})", "pt_sigmoid({a})"),
    "relu": ("pt_relu({a})", "pt_relu({a})"),
    "silu": ("({a} * pt_sigmoid({a}))", "({a} * pt_sigmoid({a}))"),
}
BINARY: dict[str, tuple[str, str]] = {
    "add": ("({a} + {b})", "({a} + {b})"),
    "subtract": ("({a} - {b})", "({a} - {b})"),
    "multiply": ("({a} * {b})", "({a} * {b})"),
    "divide": ("({a} / {b})", "({a} / {b})"),
    "maximum": ("pt_maximum({a}, {b})", "pt_maximum({a}, {b})"),
    "minimum": ("pt_minimum({a}, {b})", "pt_minimum({a}, {b})"),
    "pow": ("powf({a}, {b})", "pow({a}, {b})"),
}
_C_TYPES = {"float32": "float", "float64": "double"}
TEMPLATE = Path(__file__).with_name("kernels") / "fused_elementwise.cu"


def check_chain(chain: Chain, n_inputs: int) -> None:
    """Raise ValueError unless every step names a known primitive with valid operands."""
    if not chain:
        raise ValueError("a fused chain needs at least one step")
    for k, (name, *operands) in enumerate(chain):
        arity = 1 if name in UNARY else 2 if name in BINARY else None
        if arity is None:
            known = ", ".join(sorted({*UNARY, *BINARY}))
            raise ValueError(f"step {k}: {name!r} cannot be fused; known primitives: {known}")
        if len(operands) != arity:
            raise ValueError(f"step {k}: {name} takes {arity} operand(s), got {len(operands)}")
        for operand in operands:
            if not (isinstance(operand, int) and 0 <= operand < n_inputs + k):
                raise ValueError(
                    f"step {k}: operand {operand!r} must index one of the {n_inputs} inputs or "
                    f"an earlier step (0 .. {n_inputs + k - 1})"
                )


def _value_name(index: int, n_inputs: int) -> str:
    return f"v{index}" if index < n_inputs else f"t{index - n_inputs}"


def render(chain: Chain, n_inputs: int, dtype_name: str) -> str:
    """The CUDA C source (without the common prelude) of ``chain`` for ``dtype_name``."""
    check_chain(chain, n_inputs)
    column = 0 if dtype_name == "float32" else 1
    body = []
    for k, (name, *operands) in enumerate(chain):
        pattern = (UNARY.get(name) or BINARY[name])[column]
        names = [_value_name(i, n_inputs) for i in operands]
        expression = pattern.format(a=names[0], b=names[-1])
        body.append(f"const T t{k} = {expression};")
    loop = " ".join(f"off{k} += c * meta[{k + 1} * ndim + d];" for k in range(n_inputs))
    strided = [
        "i64 rest = i;",
        " ".join(f"i64 off{k} = 0;" for k in range(n_inputs)),
        "for (int d = ndim - 1; d >= 0; --d) {",
        f"    const i64 c = rest % meta[d]; rest /= meta[d]; {loop}",
        "}",
    ]
    strided += [f"const T v{k} = in{k}[off{k}];" for k in range(n_inputs)]
    return Template(TEMPLATE.read_text()).substitute(
        T=_C_TYPES[dtype_name],
        PARAMS=", ".join(f"const T* __restrict__ in{k}" for k in range(n_inputs)),
        LOADS_CONTIGUOUS=" ".join(f"const T v{k} = in{k}[i];" for k in range(n_inputs)),
        LOADS_STRIDED="\n        ".join(strided),
        BODY="\n        ".join(body),
        RESULT=f"t{len(chain) - 1}",
    )


def evaluate(chain: Chain, inputs: Sequence[Any], xp: Any) -> Any:
    """The chain computed step by step with ``xp``'s functions (the reference meaning)."""
    check_chain(chain, len(inputs))
    values = list(inputs)
    for name, *operands in chain:
        args = [values[i] for i in operands]
        if name == "sigmoid":
            values.append(1 / (1 + xp.exp(-args[0])))
        elif name == "relu":
            keep = xp.logical_or(args[0] > 0, xp.isnan(args[0]))
            values.append(xp.where(keep, args[0], xp.zeros_like(args[0])))
        elif name == "silu":
            values.append(args[0] / (1 + xp.exp(-args[0])))
        else:
            values.append(getattr(xp, name)(*args))
    return values[-1]


def strided_offsets(
    index: int, shape: Sequence[int], strides: Sequence[Sequence[int]]
) -> list[int]:
    """The element offset of output ``index`` in each input, as ``fused_strided`` computes it
    (row-major coordinates; ``strides[k]`` is input k's strides in elements)."""
    rest = index
    offsets = [0] * len(strides)
    for d in range(len(shape) - 1, -1, -1):
        coordinate = rest % shape[d]
        rest //= shape[d]
        for k, input_strides in enumerate(strides):
            offsets[k] += coordinate * input_strides[d]
    return offsets
