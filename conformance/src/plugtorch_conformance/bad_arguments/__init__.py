"""Invalid arguments for every op in the op database, and the exception each must raise.

A :class:`BadCase` names an op of :mod:`plugtorch.testing.op_db`, what is wrong with the
arguments, the documented exception type (see ``docs/errors.md``: ``TypeError`` for a wrong type
or dtype, ``ValueError`` for a wrong value, shape or size, ``IndexError`` for a dim or index out
of range, ``ZeroDivisionError`` for integer division by zero, ``RuntimeError`` for tensors on two
backends), a Hypothesis strategy drawing the arguments as plain data (shapes, ints, numpy arrays:
they travel to a worker process, see :mod:`plugtorch_conformance.isolation`), and the call that
builds the tensors on the backend under test and calls the public function. The case passes
when the call raises the documented type; returning, raising another type, crashing or hanging
the process are failures that name the op and the arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import plugtorch as pt
from plugtorch.backend import ArrayAPIBackend

__all__ = ["BadCase", "CASES", "BY_KEY", "OTHER_BACKEND", "case"]

F = pt.nn.functional
OTHER_BACKEND = "conformance-other"  # a second backend, for "tensors on two backends"
pt.register_backend(OTHER_BACKEND, ArrayAPIBackend(np, name=OTHER_BACKEND))

Args = dict[str, Any]


@dataclass(frozen=True)
class BadCase:
    op: str  # the op database entry it covers
    what: str  # what is wrong with the arguments
    error: type[BaseException]  # the documented exception type (a subclass passes too)
    arguments: Callable[[], st.SearchStrategy[Args]]
    call: Callable[[str, Args], Any]  # (backend name, arguments) -> must raise

    @property
    def key(self) -> str:
        return f"{self.op}: {self.what}"


# --- argument strategies (plain data) -------------------------------------------------------


def array_shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 0) -> st.SearchStrategy:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=4)


def floats(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    # nan, +-inf, +-0.0 and float32's extremes included: bad arguments must be refused
    # whatever the values
    return hnp.arrays(np.float64, shape, elements=st.floats(width=32))


def ints(shape: tuple[int, ...], low: int = -9, high: int = 9) -> st.SearchStrategy:
    return hnp.arrays(np.int64, shape, elements=st.integers(low, high))


NON_TENSORS = st.sampled_from(["text", None, b"bytes", 1j, [1, "a"], {"a": 1}, (2, 3)])
WRONG_SCALARS = st.sampled_from(["text", None, b"bytes", 1j, [1.0, 2.0], {"a": 1}])
HUGE = st.sampled_from([2**31, 2**62, 2**63, 2**64, 10**30])


def bad_dim(ndim: int) -> st.SearchStrategy[int]:
    bound = max(ndim, 1)
    return st.one_of(
        st.integers(min_value=bound, max_value=bound + 3),
        st.integers(min_value=-bound - 3, max_value=-bound - 1),
        HUGE,
        HUGE.map(lambda v: -v),
    )


@st.composite
def tensor_args(draw: Any, min_dims: int = 0, min_side: int = 0) -> Args:
    shape = draw(array_shapes(min_dims=min_dims, min_side=min_side))
    return {"x": draw(floats(shape))}


@st.composite
def with_bad_dim(draw: Any, min_dims: int = 0) -> Args:
    shape = draw(array_shapes(min_dims=min_dims))
    return {"x": draw(floats(shape)), "dim": draw(bad_dim(len(shape)))}


@st.composite
def with_twice_named_dim(draw: Any) -> Args:
    shape = draw(array_shapes(min_dims=1))
    dim = draw(st.integers(0, len(shape) - 1))
    return {"x": draw(floats(shape)), "dim": (dim, dim - len(shape))}


@st.composite
def mismatched_shapes(draw: Any) -> Args:
    """Two shapes that do not broadcast: one dimension has sizes a != b, neither of them 1."""
    shape = list(draw(array_shapes(min_dims=1)))
    axis = draw(st.integers(0, len(shape) - 1))
    a, b = draw(st.lists(st.sampled_from([0, 2, 3, 4]), min_size=2, max_size=2, unique=True))
    first, second = list(shape), list(shape)
    first[axis], second[axis] = a, b
    lead = tuple(draw(array_shapes(max_dims=1, min_side=1)))
    return {"x": draw(floats(tuple(first))), "y": draw(floats(lead + tuple(second)))}


@st.composite
def with_value(draw: Any, values: st.SearchStrategy) -> Args:
    shape = draw(array_shapes())
    return {"x": draw(floats(shape)), "value": draw(values)}


# --- building tensors in the worker ---------------------------------------------------------


def float_dtype(backend: str) -> Any:
    declared = pt.get_backend(backend).capabilities.dtypes
    return pt.float64 if pt.float64 in declared else pt.float32


def on(backend: str, values: Any, dtype: Any = None) -> pt.Tensor:
    array = np.asarray(values)
    if dtype is None:
        dtype = float_dtype(backend) if array.dtype.kind == "f" else None
    if dtype is not None and dtype.is_floating_point:
        array = array.astype(dtype.numpy)  # float32 backends: values already representable
    return pt.tensor(array, dtype=dtype, backend=backend)


def x_of(backend: str, args: Args) -> pt.Tensor:
    return on(backend, args["x"])


def xy_of(backend: str, args: Args) -> tuple[pt.Tensor, pt.Tensor]:
    return on(backend, args["x"]), on(backend, args["y"])


CASES: list[BadCase] = []


def case(op: str, what: str, error: type[BaseException], arguments: Any, call: Any) -> None:
    CASES.append(BadCase(op, what, error, arguments, call))


# The cases, by family; each module appends to CASES when imported.
from plugtorch_conformance.bad_arguments import (  # noqa: E402
    elementwise,
    methods,
    nn,
    shapes,
    sorting,
    views,
)

BY_KEY = {c.key: c for c in CASES}
del elementwise, methods, nn, shapes, sorting, views
