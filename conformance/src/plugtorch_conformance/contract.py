"""A backend wrapper that checks every call the core makes against the backend protocol.

The protocol (:mod:`plugtorch.backend.protocol`, ``docs/backend-authoring.md``) promises
backends strict inputs: the core broadcasts and promotes, normalises axes and checks indices
*before* a primitive sees them, and never asks a primitive for what the array API standard
leaves undefined. :class:`CheckedBackend` wraps any backend and asserts those promises on every
call, so that a leak in the core (a call a strict backend could refuse or answer differently)
fails the test that made it, on the reference backend, instead of surfacing later as a special
case in some third-party backend::

    >>> import plugtorch as pt
    >>> from plugtorch import dtypes
    >>> from plugtorch_conformance.contract import CheckedBackend, ContractViolation
    >>> checked = CheckedBackend(pt.get_backend("numpy"))
    >>> x = checked.full((2, 3), 1.0, dtypes.float32)
    >>> checked.sum(x, (1,), False).shape
    (2,)
    >>> try:
    ...     checked.sum(x, (-1,), False)
    ... except ContractViolation as error:
    ...     print(error)
    numpy.sum: axis (-1,) is not a tuple of unique non-negative ints below 2

What is checked, per call:

* every array argument and result has a dtype the backend declares (and ``dtype`` arguments
  too); dtype arguments of creation primitives come back as asked;
* elementwise inputs have one shape and one dtype, and that dtype is in the primitive's domain
  as the array API standard defines it (:data:`DOMAINS`: no ``exp`` of integers, no ordering
  comparison of bools, no ``sum`` of bools);
* axes are non-negative, in range and unique; shapes non-negative; index arrays ``int64`` and
  in range; a basic ``getitem`` key holds only in-range ints, clamped slices and ``None``;
* results have the shape and dtype the protocol says (``sum`` keeps the dtype, comparisons give
  ``bool``, ``argmax`` gives ``int64``, ...), and are arrays (never numpy scalars); on a
  mutable host backend only the view primitives return memory shared with an argument;
* no primitive changes an input, except the in-place primitives of the mutable tier, which
  write into their destination only;
* optional primitives are called only when declared in ``capabilities.primitives``, and no
  attribute outside the protocol is used (``cuda_runtime`` aside).

The core's own test suite runs on the numpy backend wrapped by this class when
``PLUGTORCH_CHECK_CONTRACT=1`` (``tests/conftest.py``; ``make test`` does so).
"""

from __future__ import annotations

import threading
import zlib
from typing import Any, Callable, Sequence

import numpy as np

from plugtorch import dtypes
from plugtorch.backend.protocol import MUTABLE_PRIMITIVES, OPTIONAL_PRIMITIVES, REQUIRED_PRIMITIVES
from plugtorch.dtypes import LOW_PRECISION, DType
from plugtorch_conformance._contract_fused import RULES
from plugtorch_conformance._contract_rules import is_array, is_int
from plugtorch_conformance.support import MUTABLE_VIEW_PRIMITIVES

__all__ = ["CheckedBackend", "ContractViolation", "DOMAINS"]


class ContractViolation(AssertionError):
    """The core called a backend in a way the protocol does not allow."""


def _kinds(*categories: str) -> frozenset[str]:
    return frozenset(categories)


# Dtype categories: "b" bool, "i" signed, "u" unsigned, "f" floating (DType.kind).
ANY = _kinds("b", "i", "u", "f")
NUMERIC = _kinds("i", "u", "f")
FLOATING = _kinds("f")
BOOLEAN = _kinds("b")
INTEGRAL_OR_BOOL = _kinds("b", "i", "u")

DOMAINS: dict[str, frozenset[str]] = {
    # The array API standard's input dtypes for each function (real dtypes only).
    "negative": NUMERIC,
    "abs": NUMERIC,
    "sign": NUMERIC,
    "exp": FLOATING,
    "log": FLOATING,
    "log1p": FLOATING,
    "expm1": FLOATING,
    "sqrt": FLOATING,
    "sin": FLOATING,
    "cos": FLOATING,
    "tanh": FLOATING,
    "floor": NUMERIC,
    "ceil": NUMERIC,
    "round": NUMERIC,
    "logical_not": BOOLEAN,
    "bitwise_invert": INTEGRAL_OR_BOOL,
    "add": NUMERIC,
    "subtract": NUMERIC,
    "multiply": NUMERIC,
    "divide": FLOATING,  # integer division gives floats: the protocol keeps the dtype
    "floor_divide": NUMERIC,
    "remainder": NUMERIC,
    "pow": NUMERIC,
    "maximum": NUMERIC,
    "minimum": NUMERIC,
    "logical_and": BOOLEAN,
    "logical_or": BOOLEAN,
    "logical_xor": BOOLEAN,
    "bitwise_and": INTEGRAL_OR_BOOL,
    "bitwise_or": INTEGRAL_OR_BOOL,
    "bitwise_xor": INTEGRAL_OR_BOOL,
    "equal": ANY,
    "not_equal": ANY,
    "less": NUMERIC,
    "less_equal": NUMERIC,
    "greater": NUMERIC,
    "greater_equal": NUMERIC,
    "sum": NUMERIC,
    "prod": NUMERIC,
    "max": NUMERIC,
    "min": NUMERIC,
    "all": ANY,
    "any": ANY,
    "argmax": NUMERIC,
    "argmin": NUMERIC,
    "matmul": NUMERIC,
    "sigmoid": FLOATING,
    "relu": NUMERIC,
    "silu": FLOATING,
    "softmax": FLOATING,
    "log_softmax": FLOATING,
    "add_scaled_inplace": FLOATING,
    "argsort": NUMERIC,
    "cumulative_sum": NUMERIC,
    "cumulative_prod": NUMERIC,
}
"""Which dtype kinds each primitive may be called with (``DType.kind`` letters)."""

ACCUMULATING = frozenset(
    {"sum", "prod", "matmul", "cumulative_sum", "cumulative_prod", "conv2d", "conv2d_backward"}
    | {"avg_pool2d", "avg_pool2d_backward", "softmax", "log_softmax", "softmax_backward"}
    | {"layer_norm", "layer_norm_backward", "cross_entropy", "cross_entropy_backward"}
    | {"scaled_dot_product_attention", "scaled_dot_product_attention_backward"}
    | {"lstm_layer", "lstm_layer_backward"}
)
"""Primitives that never see float16/bfloat16: the core accumulates those in float32."""

_KIND_NAMES = {"b": "bool", "i": "signed integer", "u": "unsigned integer", "f": "floating"}

# The in-place primitives and the positions of the arguments each writes into.
_WRITES: dict[str, tuple[int, ...]] = {
    "setitem_inplace": (0,),
    "binary_inplace": (1,),
    "add_scaled_inplace": (0,),
    "adam_step_inplace": (0, 2, 3),
    "sgd_step_inplace": (0, 2),
}
# Attributes a backend may have beyond the protocol that the core may use.
_EXTRAS = frozenset({"cuda_runtime"})
_PLAIN_ATTRIBUTES = frozenset({"name", "api_version", "capabilities", "is_available"})


class CheckedBackend:
    """``backend``, with every primitive call checked against the protocol.

    Arrays pass through unchanged (results are the wrapped backend's own), so the wrapper can
    stand in for the backend anywhere: register it under the backend's name with
    ``plugtorch.register_backend(name, CheckedBackend(backend))``. A violation raises
    :class:`ContractViolation` and is also appended to :attr:`violations` (so one the core
    catches is still seen).
    """

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.name = backend.name
        self.api_version = backend.api_version
        self.capabilities = backend.capabilities
        self.violations: list[str] = []
        self._cache: dict[str, Callable[..., Any]] = {}
        self._local = threading.local()
        self._declared = frozenset(self.capabilities.dtypes)
        self._mutable = bool(getattr(self.capabilities, "mutable", False))
        self._fresh_memory = self._mutable and bool(self.capabilities.host_memory)

    def __repr__(self) -> str:
        return f"<contract-checked {self._backend!r}>"

    def is_available(self) -> tuple[bool, str]:
        return self._backend.is_available()  # type: ignore[no-any-return]

    @property
    def wrapped(self) -> Any:
        """The backend being checked."""
        return self._backend

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)  # (private and dunder names: the wrapper's own, or none)
        checked = self._cache.get(name)
        if checked is not None:
            return checked
        attribute = getattr(self._backend, name)  # a probe (getattr(b, name, None)) is fine
        if callable(attribute):
            # Refused only when called: the core may look a primitive up without calling it.
            checked = self._checked(name, attribute, self._refusal(name))
            self._cache[name] = checked
            return checked
        if name not in _EXTRAS:
            self._fail(name, "attribute outside the backend protocol read by the core")
        return attribute

    def _refusal(self, name: str) -> str | None:
        """Why calling ``name`` breaks the protocol, or None."""
        if name in OPTIONAL_PRIMITIVES:
            if name not in self.capabilities.primitives:
                return (
                    "optional primitive called although the backend does not declare it in "
                    "capabilities.primitives"
                )
        elif name in MUTABLE_PRIMITIVES:
            if not self._mutable:
                return "mutable-tier primitive called on a backend with mutable=False"
        elif name not in _KNOWN and name not in _EXTRAS:
            return "method outside the backend protocol called by the core"
        return None

    # --- the checking call ---------------------------------------------------------------
    def _checked(
        self, name: str, function: Callable[..., Any], refusal: str | None
    ) -> Callable[..., Any]:
        rule = RULES.get(name)
        writes = _WRITES.get(name)

        def primitive(*args: Any, **kwargs: Any) -> Any:
            self._local.seen = {}  # what this call learns about each array, forgotten after it
            try:
                return checked_call(*args, **kwargs)
            finally:
                self._local.seen = {}

        def checked_call(*args: Any, **kwargs: Any) -> Any:
            if refusal is not None:
                self._fail(name, refusal)
            arrays = _arrays_with_positions(args)
            for _, array in arrays:
                self._check_dtype(name, array)
                if name in ACCUMULATING and self.dtype_of(array) in LOW_PRECISION:
                    self._fail(
                        name,
                        f"called on {self.dtype_of(array).name} arrays; 16-bit floats "
                        "accumulate in float32 (the core must cast first: ops/_precision.py)",
                    )
            check_result = None if rule is None else rule(self, name, args, kwargs)
            snapshots = self._snapshots(name, arrays, writes)
            result = function(*args, **kwargs)
            self._compare(name, snapshots)
            if check_result is not None:
                check_result(result)
            fresh = self._fresh_memory and name not in MUTABLE_VIEW_PRIMITIVES
            for out in result if isinstance(result, (tuple, list)) else (result,):
                if is_array(out):
                    self._check_result_array(name, out)
                    if fresh:
                        self._check_not_aliased(name, out, arrays)
            return result

        primitive.__name__ = name
        primitive.__wrapped__ = function  # type: ignore[attr-defined]
        return primitive

    def _snapshots(
        self, name: str, arrays: list[tuple[int, Any]], writes: tuple[int, ...] | None
    ) -> list[tuple[int, Any, Any]]:
        """Each input that must not change, with a copy of its bytes."""
        if name.endswith("_inplace") and writes is None:
            return []  # an in-place primitive unknown here: which arguments it writes is unknown
        written = [self.host(a) for position, a in arrays if writes and position in writes]
        kept = []
        for position, array in arrays:
            if writes and position in writes:
                continue
            held = self.host(array)
            if any(np.may_share_memory(held, w) for w in written):
                continue  # the source of an in-place write may overlap its destination
            kept.append((position, array, _fingerprint(held)))
        return kept

    def _compare(self, name: str, snapshots: list[tuple[int, Any, Any]]) -> None:
        for position, array, before in snapshots:
            # read again (on a device backend the host copy taken before the call is stale)
            if _fingerprint(np.asarray(self._backend.to_numpy(array))) != before:
                self._fail(name, f"argument {position} was changed: primitives never mutate")

    # --- helpers the rules use -----------------------------------------------------------
    def _facts(self, array: Any) -> tuple[Any, np.ndarray, tuple[int, ...], DType | None]:
        """``(array, host values, shape, dtype)``, learnt once per array and call (the entry
        keeps the array alive, so its id is not reused while the entry lives)."""
        seen = getattr(self._local, "seen", None)
        if seen is None:
            seen = self._local.seen = {}
        facts = seen.get(id(array))
        if facts is None or facts[0] is not array:
            held = np.asarray(self._backend.to_numpy(array))
            try:
                dtype: DType | None = dtypes.from_numpy_dtype(held.dtype)
            except (TypeError, KeyError, ValueError):
                dtype = None
            facts = (array, held, tuple(int(n) for n in array.shape), dtype)
            seen[id(array)] = facts
        return facts

    def host(self, array: Any) -> np.ndarray:
        return self._facts(array)[1]

    def dtype_of(self, array: Any) -> DType:
        dtype = self._facts(array)[3]
        if dtype is None:
            self._fail("?", f"an array of an unknown dtype ({self.host(array).dtype})")
        return dtype  # type: ignore[return-value]

    def _fail(self, name: str, message: str) -> None:
        text = f"{self.name}.{name}: {message}"
        self.violations.append(text)
        raise ContractViolation(text)

    def _check_dtype(self, name: str, array: Any) -> None:
        dtype = self._facts(array)[3]
        if dtype is None:
            self._fail(name, f"an array of an unknown dtype ({self.host(array).dtype})")
        elif dtype not in self._declared:
            self._fail(name, f"an array of undeclared dtype {dtype.name}")

    def _check_not_aliased(self, name: str, out: Any, arrays: list[tuple[int, Any]]) -> None:
        held = self.host(out)
        for position, array in arrays:
            if held.size and np.may_share_memory(held, self.host(array)):
                self._fail(
                    name,
                    f"the result shares memory with argument {position}: on a mutable backend "
                    "only the view primitives may return views",
                )

    def _check_result_array(self, name: str, out: Any) -> None:
        if isinstance(out, np.generic):
            self._fail(name, f"returned a numpy scalar ({type(out).__name__}), not an array")
        self._check_dtype(name, out)

    def require(self, condition: bool, name: str, message: str) -> None:
        if not condition:
            self._fail(name, message)

    def meta(self, array: Any) -> tuple[tuple[int, ...], DType]:
        return self._facts(array)[2], self.dtype_of(array)

    def in_domain(self, name: str, dtype: DType, domain: frozenset[str] | None = None) -> None:
        allowed = DOMAINS.get(name) if domain is None else domain
        if allowed is not None and dtype.kind not in allowed:
            kinds = ", ".join(_KIND_NAMES[k] for k in sorted(allowed))
            self._fail(
                name,
                f"called on {dtype.name} arrays; the array API defines it for {kinds} only "
                "(the core must cast first)",
            )

    def check_dtype_argument(self, name: str, dtype: Any) -> None:
        if not isinstance(dtype, DType):
            self._fail(name, f"dtype argument {dtype!r} is not a plugtorch DType")
        elif dtype not in self._declared:
            self._fail(name, f"dtype argument {dtype.name} is not declared by the backend")

    def check_shape(self, name: str, shape: Any, what: str = "shape") -> tuple[int, ...]:
        ok = isinstance(shape, tuple) and all(is_int(n) and n >= 0 for n in shape)
        self.require(ok, name, f"{what} {shape!r} is not a tuple of non-negative ints")
        return tuple(int(n) for n in shape)

    def check_axis(self, name: str, axis: Any, ndim: int) -> int:
        ok = is_int(axis) and 0 <= axis < max(ndim, 1)
        self.require(ok, name, f"axis {axis!r} is not a non-negative int below ndim {ndim}")
        return int(axis)

    def check_axes(self, name: str, axes: Any, ndim: int) -> tuple[int, ...]:
        ok = (
            isinstance(axes, tuple)
            and all(is_int(a) and 0 <= a < ndim for a in axes)
            and len(set(axes)) == len(axes)
        )
        self.require(
            ok, name, f"axis {axes!r} is not a tuple of unique non-negative ints below {ndim}"
        )
        return tuple(int(a) for a in axes)

    def check_indices(self, name: str, indices: Any, size: int, what: str = "indices") -> None:
        dtype = self.dtype_of(indices)
        self.require(dtype is dtypes.int64, name, f"{what} are {dtype.name}, not int64")
        held = self.host(indices)
        if held.size:
            low, high = int(held.min()), int(held.max())
            self.require(
                low >= 0 and high < size,
                name,
                f"{what} span [{low}, {high}], outside [0, {size}) (the core checks the range "
                "and wraps negative indices)",
            )

    def same(self, name: str, arrays: Sequence[Any], what: str = "inputs") -> tuple[Any, DType]:
        """The common (shape, dtype) of ``arrays``; fails unless they agree."""
        metas = [self.meta(a) for a in arrays]
        shapes = {m[0] for m in metas}
        kinds = {m[1] for m in metas}
        self.require(
            len(shapes) == 1,
            name,
            f"{what} have shapes {[m[0] for m in metas]}; the core broadcasts them first",
        )
        self.require(
            len(kinds) == 1,
            name,
            f"{what} have dtypes {[m[1].name for m in metas]}; the core promotes them first",
        )
        return metas[0]

    def result_is(
        self, name: str, result: Any, shape: tuple[int, ...], dtype: DType, what: str = "result"
    ) -> None:
        self.require(is_array(result), name, f"{what} {type(result).__name__} is not an array")
        got_shape, got_dtype = self.meta(result)
        self.require(
            got_shape == tuple(shape), name, f"{what} has shape {got_shape}, expected {shape}"
        )
        self.require(
            got_dtype is dtype, name, f"{what} has dtype {got_dtype.name}, expected {dtype.name}"
        )


def _fingerprint(held: np.ndarray) -> tuple[str, tuple[int, ...], int]:
    """dtype, shape and a CRC of the bytes (no copy of a contiguous array: tests that count
    allocations run through the checker too)."""
    if not held.flags.c_contiguous:  # a broadcast scalar: its one element, not a full copy
        held = held[tuple(slice(0, 1) if step == 0 else slice(None) for step in held.strides)]
    data = held if held.flags.c_contiguous else np.ascontiguousarray(held)
    # through uint8: a memoryview cannot hold ml_dtypes' bfloat16 (numpy dtype char 'E')
    return held.dtype.str, held.shape, zlib.crc32(data.reshape(-1).view(np.uint8).data)


def _arrays_with_positions(args: tuple[Any, ...]) -> list[tuple[int, Any]]:
    """Every array among the arguments (also inside lists and tuples: concat, setitem keys)."""
    found: list[tuple[int, Any]] = []
    for position, arg in enumerate(args):
        if isinstance(arg, (list, tuple)):
            found.extend((position, a) for a in arg if is_array(a))
        elif is_array(arg):
            found.append((position, arg))
    return found


_KNOWN = frozenset(REQUIRED_PRIMITIVES) | frozenset(MUTABLE_PRIMITIVES) | frozenset(RULES)
