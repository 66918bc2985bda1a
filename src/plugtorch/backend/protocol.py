"""The backend protocol: the strict primitives every backend provides.

A backend is any object with the attributes and methods of :class:`Backend` (no subclassing).
The core calls only these. They are *strict*:

* elementwise binary primitives receive arrays of the **same shape and dtype** (the core has
  already called ``broadcast_to`` and ``astype``); ``where`` receives a bool condition and two
  same-dtype arrays, all three of one shape;
* no primitive mutates its inputs (only the in-place primitives of the mutable tier below write,
  and only into their first argument);
* dtypes are plugtorch :class:`~plugtorch.dtypes.DType` values; the backend maps them; a
  primitive only sees the dtypes the array API standard defines it for (no ``exp`` of integers,
  no ordering comparison, ``max`` or arithmetic of bools: the core casts first);
* ``axis`` arguments are always a tuple of non-negative ints (reductions) or one non-negative int,
  already validated by the core; index arrays passed to ``take``/``take_along_axis``/
  ``scatter_add`` are ``int64`` arrays already checked to be in range and non-negative.

Names follow the Python array API standard. ``OPTIONAL_PRIMITIVES`` lists accelerated
primitives a backend may declare in ``capabilities``; the core has a decomposition into required
primitives for each, so a minimal backend still runs everything.

Memory (protocol 1.1). PyTorch programs rely on views that share memory and on in-place
updates reaching every alias. A backend says how its arrays behave in ``Capabilities.mutable``:

* ``mutable=False`` (the default, and every 1.0 backend): arrays are values. Results may or may
  not share memory with inputs; nothing is ever written in place. The core keeps PyTorch's
  semantics itself by *functionalization*: a write through a view computes a new root array
  through the view's inverse steps and refreshes every alias (``plugtorch.storage``).
* ``mutable=True``: arrays are mutable strided memory (numpy, numba, cupy). Then the view
  primitives return views sharing their input's memory — ``reshape`` when a view is possible
  (it takes the array API's ``copy`` keyword: ``copy=False`` returns a view or raises
  ``ValueError``, ``copy=True`` always copies), ``permute_dims``, ``broadcast_to``, ``getitem``
  with basic keys and ``as_strided`` — *every other primitive returns new memory* (``flip``
  and ``astype`` included), and the primitives of ``MUTABLE_PRIMITIVES`` are provided, so an
  optimizer step updates a parameter where it lies, without a copy.

Dtypes. ``Capabilities.dtypes`` lists the dtypes a backend holds; the core refuses any other
before a primitive sees it (``require_dtype``). The 16-bit floats ``float16`` and ``bfloat16``
are optional. Where PyTorch accumulates them in float32 (sums, means, products, matmul,
convolution, pooling, softmax, norms) the core computes in float32 and rounds the result once,
so those primitives receive float32; elementwise primitives, comparisons, ``where``,
``max``/``min``/``argmax``/``argmin``, movement, indexing and ``astype`` receive 16-bit arrays
and return the same dtype (each element computed as at least float32 and rounded once, as
numpy's and ml_dtypes' loops do).

Types. :class:`Backend` types the required primitives, :class:`AcceleratedBackend` adds the
optional ones (a backend provides those it declares; the core's op forwards are typed with it
only where ``ops.registry`` runs them after checking the declaration) and
:class:`MutableBackend` the mutable tier (narrow to it with :func:`is_mutable`). The core's op
forwards take their backend typed with these, so mypy checks every primitive call it makes.

Versioning: ``API_VERSION = (major, minor)``. A backend built for another *major* version is
refused when loaded; a newer *minor* only adds optional parts: 1.1 added the mutable tier, and
a 1.0 backend keeps working unchanged (as an immutable one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence, TypeGuard, runtime_checkable

from plugtorch.dtypes import DType

__all__ = [
    "API_VERSION",
    "AcceleratedBackend",
    "Array",
    "Backend",
    "MutableBackend",
    "Capabilities",
    "REQUIRED_PRIMITIVES",
    "PRIMITIVE_GROUPS",
    "OPTIONAL_PRIMITIVES",
    "CREATION_PRIMITIVES",
    "UNARY_PRIMITIVES",
    "BINARY_PRIMITIVES",
    "COMPARISON_PRIMITIVES",
    "SELECTION_PRIMITIVES",
    "REDUCTION_PRIMITIVES",
    "ARG_REDUCTION_PRIMITIVES",
    "MOVEMENT_PRIMITIVES",
    "INDEXING_PRIMITIVES",
    "LINALG_PRIMITIVES",
    "MUTABLE_PRIMITIVES",
    "is_mutable",
    "require_dtype",
]

API_VERSION: tuple[int, int] = (1, 1)

Array = Any  # a backend's own array type
Shape = tuple[int, ...]

# The required primitives, in groups of one signature each (the conformance suite has one test
# area per group, and derives its tables from these).

# Transfer and creation: asarray(obj, dtype), to_numpy(x), astype(x, dtype),
# full(shape, value, dtype), arange(start, stop, step, dtype).
CREATION_PRIMITIVES: tuple[str, ...] = ("asarray", "to_numpy", "astype", "full", "arange")
# Elementwise, one input, same dtype out (floating functions only see floating inputs).
UNARY_PRIMITIVES: tuple[str, ...] = (
    "negative",
    "abs",
    "sign",
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "sin",
    "cos",
    "tanh",
    "floor",
    "ceil",
    "round",
    "logical_not",
    "bitwise_invert",
)
# Elementwise, two same-shape same-dtype inputs, same dtype out.
BINARY_PRIMITIVES: tuple[str, ...] = (
    "add",
    "subtract",
    "multiply",
    "divide",
    "floor_divide",
    "remainder",
    "pow",
    "maximum",
    "minimum",
    "logical_and",
    "logical_or",
    "logical_xor",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
)
# Elementwise, two same-shape same-dtype inputs, bool out.
COMPARISON_PRIMITIVES: tuple[str, ...] = (
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
)
# where(condition: bool array, x, y) -> array; all three of one shape, x and y of one dtype.
SELECTION_PRIMITIVES: tuple[str, ...] = ("where",)
# f(x, axis: tuple[int, ...], keepdims: bool) -> array
REDUCTION_PRIMITIVES: tuple[str, ...] = ("sum", "prod", "max", "min", "all", "any")
# f(x, axis: int, keepdims: bool) -> int64 array
ARG_REDUCTION_PRIMITIVES: tuple[str, ...] = ("argmax", "argmin")
# Shape and layout changes, slicing and writes through basic keys (new arrays, except the
# views of a mutable backend).
MOVEMENT_PRIMITIVES: tuple[str, ...] = (
    "reshape",
    "permute_dims",
    "broadcast_to",
    "concat",
    "getitem",
    "setitem",
    "flip",
)
# Integer-array indexing along one axis: the index arrays are int64, in range.
INDEXING_PRIMITIVES: tuple[str, ...] = ("take", "take_along_axis", "index_add", "scatter_add")
# matmul(x, y): equal batch shapes, ndim >= 2.
LINALG_PRIMITIVES: tuple[str, ...] = ("matmul",)

PRIMITIVE_GROUPS: dict[str, tuple[str, ...]] = {
    "creation": CREATION_PRIMITIVES,
    "unary": UNARY_PRIMITIVES,
    "binary": BINARY_PRIMITIVES,
    "comparison": COMPARISON_PRIMITIVES,
    "selection": SELECTION_PRIMITIVES,
    "reduction": REDUCTION_PRIMITIVES,
    "arg_reduction": ARG_REDUCTION_PRIMITIVES,
    "movement": MOVEMENT_PRIMITIVES,
    "indexing": INDEXING_PRIMITIVES,
    "linalg": LINALG_PRIMITIVES,
}

REQUIRED_PRIMITIVES: tuple[str, ...] = tuple(
    name for group in PRIMITIVE_GROUPS.values() for name in group
)

# What a backend with ``Capabilities(mutable=True)`` provides on top of the required primitives
# (and ``reshape(x, shape, copy=None)`` with the array API's ``copy`` keyword).
MUTABLE_PRIMITIVES: tuple[str, ...] = (
    "setitem_inplace",
    "binary_inplace",
    "add_scaled_inplace",
    "strides",
    "data_ptr",
    "storage_info",
    "as_strided",
)

# Accelerated primitives a backend may declare in ``capabilities.primitives``; the core
# decomposes each into required primitives when a backend does not declare it.
OPTIONAL_PRIMITIVES: dict[str, str] = {
    "sigmoid": "sigmoid(x) -> array; logistic function, stable for large |x|",
    "relu": "relu(x) -> array; max(x, 0)",
    "softmax": "softmax(x, axis: int) -> array; stable (max-subtracted)",
    "log_softmax": "log_softmax(x, axis: int) -> array; stable (max-subtracted)",
    "softmax_backward": (
        "softmax_backward(grad, y, axis: int) -> y * (grad - sum(grad * y, axis))  (y: what "
        "softmax returned)"
    ),
    "scaled_dot_product_attention": (
        "scaled_dot_product_attention(q[...,L,E], k[...,S,E], v[...,S,Ev], scale: float, "
        "causal: bool) -> (out[...,L,Ev], state)  (softmax(q @ k^T * scale) @ v; the leading "
        "dimensions (zero or more) equal; any strides (e.g. heads viewed out of a (B, L, H, E) "
        "projection as (B, H, L, E)); causal: query i sees keys j <= i; L, S >= 1; out in any "
        "layout (e.g. q's); state: what the backward needs, e.g. the weights)"
    ),
    "scaled_dot_product_attention_backward": (
        "scaled_dot_product_attention_backward(grad_out, q, k, v, scale, causal, state, "
        "needs_input_grad: 3 bools) -> (grad_q, grad_k, grad_v)  (shaped as q, k, v, any "
        "layout; grad_out any strides; None where not asked)"
    ),
    "conv2d": (
        "conv2d(x[N,C,H,W], w[O,C/g,kh,kw], stride: (int,int), padding: (int,int), "
        "dilation: (int,int), groups: int) -> y[N,O,Ho,Wo]  (no bias), or (y, state) to hand "
        "conv2d_backward what it saved (e.g. the im2col columns)"
    ),
    "conv2d_backward": (
        "conv2d_backward(grad_y, x, w, stride, padding, dilation, groups, needs_input_grad=(True, "
        "True), state=None) -> (grad_x or None, grad_w or None)  (protocol 1.1: a gradient "
        "needs_input_grad does not ask for may be None; state is what conv2d returned besides "
        "y, if it returned a tuple; 1.0 backends get the first seven arguments only)"
    ),
    "max_pool2d": (
        "max_pool2d(x[N,C,H,W], kernel: (int,int), stride: (int,int), padding: (int,int)) "
        "-> (y, argmax_flat_index int64)  (index into each H*W plane; the first maximum wins "
        "ties, and nan counts as the maximum, as in PyTorch)"
    ),
    "max_pool2d_backward": ("max_pool2d_backward(grad_y, argmax, input_shape) -> grad_x"),
    "avg_pool2d": ("avg_pool2d(x, kernel, stride, padding) -> y  (count_include_pad=True)"),
    "avg_pool2d_backward": "avg_pool2d_backward(grad_y, input_shape, kernel, stride, padding)",
    "relu_backward": "relu_backward(grad, y) -> grad where y > 0, else 0 (y: what relu returned)",
    "silu": "silu(x) -> array; x * sigmoid(x) in one pass",
    "gelu": (
        "gelu(x, approximate: 'none' | 'tanh') -> array; x * Phi(x) with the core's erf "
        "(Abramowitz & Stegun 7.1.26), or 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))"
    ),
    "gelu_backward": "gelu_backward(grad, x, approximate) -> grad * gelu'(x)",
    "cross_entropy": (
        "cross_entropy(logits[M,C], target[M] int64, ignore_index: int) -> (loss[M], state)  "
        "(loss = -(row[target] - logsumexp(row)), 0 where target == ignore_index; every other "
        "target is in [0, C), checked by the core; C >= 1; state: what the backward needs, "
        "e.g. each row's max and log-sum-exp)"
    ),
    "cross_entropy_backward": (
        "cross_entropy_backward(grad_loss[M], logits, target, ignore_index, state) -> "
        "grad_logits = grad * (softmax(row) - onehot(target)), 0 in ignored rows"
    ),
    "lstm_layer": (
        "lstm_layer(x_proj[L,N,4H], h0[N,H], c0[N,H], w_hh[4H,H]) -> (y[L+1,N,H], state)  "
        "(L >= 1; gates_t = x_proj[t] + h_{t-1} @ w_hh^T in the order i, f, g, o; c_t = "
        "sigmoid(f) c_{t-1} + sigmoid(i) tanh(g); h_t = sigmoid(o) tanh(c_t); y[t] = h_(t+1) "
        "for t < L and y[L] = the last c; state: what the backward needs)"
    ),
    "lstm_layer_backward": (
        "lstm_layer_backward(grad_y, x_proj, h0, c0, w_hh, y, state, needs_input_grad: 4 "
        "bools) -> (grad_x_proj, grad_h0, grad_c0, grad_w_hh)  (None where not asked)"
    ),
    "layer_norm": (
        "layer_norm(x[M,N], weight[N] or None, bias[N] or None, eps: float) -> (y[M,N], "
        "(mean[M], rstd[M]))  (biased variance; rstd = 1/sqrt(var + eps))"
    ),
    "layer_norm_backward": (
        "layer_norm_backward(grad_y[M,N], x, weight or None, mean, rstd, needs_input_grad: "
        "(bool, bool, bool)) -> (grad_x, grad_weight, grad_bias)  (None where not asked or "
        "where weight/bias is None; mean and rstd are what layer_norm returned)"
    ),
    "adam_step": (
        "adam_step(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, "
        "step, decoupled: bool) -> (param, exp_avg, exp_avg_sq)  (new arrays: inputs are never "
        "mutated)"
    ),
    "adam_step_inplace": (
        "adam_step_inplace(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, "
        "weight_decay, step, decoupled: bool) -> None  (mutable backends: adam_step written "
        "into param, exp_avg and exp_avg_sq)"
    ),
    "sgd_step": (
        "sgd_step(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, "
        "nesterov: bool, maximize: bool, first_step: bool) -> (param, momentum_buffer)  "
        "(torch.optim.SGD with momentum != 0; on the first step the buffer becomes the "
        "gradient and its input values are not read; new arrays: inputs are never mutated)"
    ),
    "sgd_step_inplace": (
        "sgd_step_inplace(param, grad, momentum_buffer, lr, momentum, dampening, "
        "weight_decay, nesterov: bool, maximize: bool, first_step: bool) -> None  (mutable "
        "backends: sgd_step written into param and momentum_buffer)"
    ),
    "argsort": (
        "argsort(x, axis: int, descending: bool) -> int64 indices that sort x along axis; "
        "stable (ties keep their order), nan sorts as the largest value, -0.0 equals 0.0; "
        "x is numeric (the core sorts bools as uint8)"
    ),
    "cumulative_sum": "cumulative_sum(x, axis: int) -> running sum along axis, in x's dtype",
    "cumulative_prod": "cumulative_prod(x, axis: int) -> running product along axis, x's dtype",
}


@dataclass(frozen=True)
class Capabilities:
    """What a backend declares about itself; the conformance suite checks each claim."""

    dtypes: tuple[DType, ...]
    """Dtypes the backend can hold and compute in."""
    devices: tuple[str, ...] = ("cpu",)
    """Device names, e.g. ``("cpu",)`` or ``("cuda:0", "cuda:1")``."""
    primitives: frozenset[str] = field(default_factory=frozenset)
    """Optional accelerated primitives (keys of ``OPTIONAL_PRIMITIVES``) this backend provides."""
    host_memory: bool = True
    """True when arrays live in host memory and ``to_numpy`` is free (may share memory)."""
    dlpack: bool = False
    """True when arrays implement ``__dlpack__`` (zero-copy transfer between backends)."""
    mutable: bool = False
    """True when arrays are mutable strided memory: views share memory and the primitives of
    ``MUTABLE_PRIMITIVES`` write in place (protocol 1.1; see the module docstring)."""


@runtime_checkable
class Backend(Protocol):
    """What the core needs from a backend. See the module docstring for the rules."""

    name: str
    api_version: tuple[int, int]
    capabilities: Capabilities

    def is_available(self) -> tuple[bool, str]:
        """``(True, "")`` when usable here, else ``(False, reason a user can act on)``."""
        ...

    # --- transfer and creation ---------------------------------------------------------
    def asarray(self, obj: Any, dtype: DType) -> Array:
        """A new backend array from a Python scalar, nested list or numpy array (copied)."""
        ...

    def to_numpy(self, x: Array) -> Any:
        """The array's values as a numpy ndarray (may share memory on host backends)."""
        ...

    def astype(self, x: Array, dtype: DType) -> Array:
        """Convert to ``dtype`` (C-like casts: float to int truncates toward zero)."""
        ...

    def full(self, shape: Shape, value: bool | int | float, dtype: DType) -> Array: ...

    def arange(self, start: float, stop: float, step: float, dtype: DType) -> Array: ...

    # --- elementwise (see UNARY/BINARY/COMPARISON_PRIMITIVES) -----------------------------
    def negative(self, x: Array) -> Array: ...
    def abs(self, x: Array) -> Array: ...
    def sign(self, x: Array) -> Array: ...
    def exp(self, x: Array) -> Array: ...
    def log(self, x: Array) -> Array: ...
    def log1p(self, x: Array) -> Array: ...
    def expm1(self, x: Array) -> Array: ...
    def sqrt(self, x: Array) -> Array: ...
    def sin(self, x: Array) -> Array: ...
    def cos(self, x: Array) -> Array: ...
    def tanh(self, x: Array) -> Array: ...
    def floor(self, x: Array) -> Array: ...
    def ceil(self, x: Array) -> Array: ...
    def round(self, x: Array) -> Array: ...
    def logical_not(self, x: Array) -> Array: ...
    def bitwise_invert(self, x: Array) -> Array: ...
    def add(self, x: Array, y: Array) -> Array: ...
    def subtract(self, x: Array, y: Array) -> Array: ...
    def multiply(self, x: Array, y: Array) -> Array: ...
    def divide(self, x: Array, y: Array) -> Array: ...
    def floor_divide(self, x: Array, y: Array) -> Array: ...
    def remainder(self, x: Array, y: Array) -> Array: ...
    def pow(self, x: Array, y: Array) -> Array: ...
    def maximum(self, x: Array, y: Array) -> Array: ...
    def minimum(self, x: Array, y: Array) -> Array: ...
    def logical_and(self, x: Array, y: Array) -> Array: ...
    def logical_or(self, x: Array, y: Array) -> Array: ...
    def logical_xor(self, x: Array, y: Array) -> Array: ...
    def bitwise_and(self, x: Array, y: Array) -> Array: ...
    def bitwise_or(self, x: Array, y: Array) -> Array: ...
    def bitwise_xor(self, x: Array, y: Array) -> Array: ...
    def equal(self, x: Array, y: Array) -> Array: ...
    def not_equal(self, x: Array, y: Array) -> Array: ...
    def less(self, x: Array, y: Array) -> Array: ...
    def less_equal(self, x: Array, y: Array) -> Array: ...
    def greater(self, x: Array, y: Array) -> Array: ...
    def greater_equal(self, x: Array, y: Array) -> Array: ...
    def where(self, condition: Array, x: Array, y: Array) -> Array: ...

    # --- reductions: axis is a tuple of non-negative ints (may be empty: identity) ------
    def sum(self, x: Array, axis: tuple[int, ...], keepdims: bool) -> Array: ...
    def prod(self, x: Array, axis: tuple[int, ...], keepdims: bool) -> Array: ...
    def max(self, x: Array, axis: tuple[int, ...], keepdims: bool) -> Array: ...
    def min(self, x: Array, axis: tuple[int, ...], keepdims: bool) -> Array: ...
    def all(self, x: Array, axis: tuple[int, ...], keepdims: bool) -> Array: ...
    def any(self, x: Array, axis: tuple[int, ...], keepdims: bool) -> Array: ...
    def argmax(self, x: Array, axis: int, keepdims: bool) -> Array:
        """int64 index of the first maximum along ``axis`` (a nan counts as the maximum, as in
        numpy)."""
        ...

    def argmin(self, x: Array, axis: int, keepdims: bool) -> Array: ...

    # --- movement and indexing -------------------------------------------------------------
    def reshape(self, x: Array, shape: Shape) -> Array: ...
    def permute_dims(self, x: Array, axes: tuple[int, ...]) -> Array: ...
    def broadcast_to(self, x: Array, shape: Shape) -> Array: ...
    def concat(self, arrays: Sequence[Array], axis: int) -> Array: ...
    def getitem(self, x: Array, key: tuple[int | slice | None, ...]) -> Array:
        """Basic indexing only: ints (in range, non-negative), slices (bounds within
        ``[-size, size]``), ``None``; no Ellipsis (the core expands it)."""
        ...

    def setitem(self, x: Array, key: tuple[Any, ...], value: Array) -> Array:
        """A copy of ``x`` with ``x[key] = value``; key as for getitem, or one bool mask array
        of x's shape, or int64 index arrays; value already broadcast to the selection."""
        ...

    def flip(self, x: Array, axis: tuple[int, ...]) -> Array: ...
    def take(self, x: Array, indices: Array, axis: int) -> Array:
        """``indices`` is a 1-D int64 array of in-range non-negative indices."""
        ...

    def take_along_axis(self, x: Array, indices: Array, axis: int) -> Array: ...
    def index_add(self, x: Array, indices: Array, values: Array, axis: int) -> Array:
        """A copy of ``x`` where ``out[..., indices[i], ...] += values[..., i, ...]`` along axis
        (torch.index_add; ``indices`` is 1-D, duplicates accumulate)."""
        ...

    def scatter_add(self, x: Array, indices: Array, values: Array, axis: int) -> Array:
        """A copy of ``x`` where ``out[..., indices[i,j,k], ...] += values[i,j,k]`` along axis
        (torch.scatter_add semantics; ``indices`` and ``values`` have the same shape, duplicates
        accumulate)."""
        ...

    # --- linear algebra ----------------------------------------------------------------
    def matmul(self, x: Array, y: Array) -> Array:
        """(…, n, k) @ (…, k, m) with *equal* batch shapes (the core broadcasts), ndim >= 2."""
        ...


class MutableBackend(Backend, Protocol):
    """What a backend with ``capabilities.mutable`` adds (protocol 1.1): ``MUTABLE_PRIMITIVES``
    and ``reshape``'s ``copy`` keyword. The core calls these only after testing
    ``capabilities.mutable`` (:func:`is_mutable` says so to a type checker)."""

    def reshape(self, x: Array, shape: Shape, copy: bool | None = None) -> Array:
        """As the array API: ``copy=False`` gives a view or raises ``ValueError``; ``copy=True``
        always gives new memory; ``None`` a view when possible."""
        ...

    def setitem_inplace(self, x: Array, key: tuple[Any, ...], value: Array) -> None:
        """``x[key] = value`` in x's memory; key as for ``setitem`` (basic ints/slices/None, a bool
        mask of x's shape, or one int64 index array per dimension), value of x's dtype and
        already broadcast to the selection."""
        ...

    def binary_inplace(self, name: str, x: Array, y: Array) -> None:
        """``x[...] = name(x, y)`` computed into x's memory (``name`` in BINARY_PRIMITIVES); y
        has x's shape and dtype and may be a broadcast view or overlap x."""
        ...

    def add_scaled_inplace(self, x: Array, y: Array, alpha: float) -> None:
        """``x += alpha * y`` (floating dtypes) with no temporary the size of x."""
        ...

    def strides(self, x: Array) -> tuple[int, ...]:
        """Steps between neighbours along each dimension, in elements."""
        ...

    def data_ptr(self, x: Array) -> int:
        """The address of x's first element."""
        ...

    def storage_info(self, x: Array) -> tuple[int, int]:
        """``(address, nbytes)`` of the allocation x's memory belongs to."""
        ...

    def as_strided(
        self, x: Array, shape: Shape, strides: tuple[int, ...], storage_offset: int
    ) -> Array:
        """A view of the allocation x belongs to (strides and offset in elements, the offset
        from the allocation's start; the core has checked the bounds)."""
        ...


Pair = tuple[int, int]


class AcceleratedBackend(Backend, Protocol):
    """The optional primitives (``OPTIONAL_PRIMITIVES``), typed.

    A backend provides the ones it lists in ``capabilities.primitives``, no others. The core
    calls one only when it is declared: an op declared with ``primitive=`` (``ops.registry``)
    runs its forward, typed with this protocol, only on a backend that declares the primitive,
    and its backward primitive likewise; code that is not an op asks ``primitive_of``. Arrays
    (``Array``) are the backend's own; the descriptions of ``OPTIONAL_PRIMITIVES`` give the
    shapes and what each returns.
    """

    # --- activations and their gradients ------------------------------------------------
    def sigmoid(self, x: Array) -> Array: ...
    def relu(self, x: Array) -> Array: ...
    def relu_backward(self, grad: Array, y: Array) -> Array: ...
    def silu(self, x: Array) -> Array: ...
    def gelu(self, x: Array, approximate: str) -> Array:
        """``approximate`` is ``"none"`` or ``"tanh"``."""
        ...

    def gelu_backward(self, grad: Array, x: Array, approximate: str) -> Array: ...
    def softmax(self, x: Array, axis: int) -> Array: ...
    def log_softmax(self, x: Array, axis: int) -> Array: ...
    def softmax_backward(self, grad: Array, y: Array, axis: int) -> Array: ...

    # --- fused layers: each returns ``(output, state)`` for its backward ---------------------
    def layer_norm(
        self, x: Array, weight: Array | None, bias: Array | None, eps: float
    ) -> tuple[Array, tuple[Array, Array]]:
        """``(y, (mean, rstd))`` of ``x[M, N]`` normalised over its rows."""
        ...

    def layer_norm_backward(
        self,
        grad: Array,
        x: Array,
        weight: Array | None,
        mean: Array,
        rstd: Array,
        needs_input_grad: tuple[bool, bool, bool] = (True, True, True),
    ) -> tuple[Array | None, Array | None, Array | None]: ...

    def cross_entropy(self, logits: Array, target: Array, ignore_index: int) -> tuple[Array, Any]:
        """``(loss[M], state)`` of ``logits[M, C]`` and int64 ``target[M]``."""
        ...

    def cross_entropy_backward(
        self, grad: Array, logits: Array, target: Array, ignore_index: int, state: Any
    ) -> Array: ...

    def lstm_layer(self, x_proj: Array, h0: Array, c0: Array, w_hh: Array) -> tuple[Array, Any]:
        """``(y[L+1, N, H], state)``: every step's h, then the last c."""
        ...

    def lstm_layer_backward(
        self,
        grad_y: Array,
        x_proj: Array,
        h0: Array,
        c0: Array,
        w_hh: Array,
        y: Array,
        state: Any,
        needs_input_grad: tuple[bool, bool, bool, bool] = (True, True, True, True),
    ) -> tuple[Array | None, Array | None, Array | None, Array | None]: ...

    def scaled_dot_product_attention(
        self, q: Array, k: Array, v: Array, scale: float, causal: bool
    ) -> tuple[Array, Any]: ...

    def scaled_dot_product_attention_backward(
        self,
        grad: Array,
        q: Array,
        k: Array,
        v: Array,
        scale: float,
        causal: bool,
        state: Any,
        needs_input_grad: tuple[bool, bool, bool] = (True, True, True),
    ) -> tuple[Array | None, Array | None, Array | None]: ...

    # --- convolution and pooling (geometry checked by the core) -----------------------------
    def conv2d(
        self, x: Array, w: Array, stride: Pair, padding: Pair, dilation: Pair, groups: int
    ) -> Any:
        """``y[N, O, Ho, Wo]`` (no bias), or ``(y, state)`` for ``conv2d_backward``."""
        ...

    def conv2d_backward(
        self,
        grad_y: Array,
        x: Array,
        w: Array,
        stride: Pair,
        padding: Pair,
        dilation: Pair,
        groups: int,
        needs_input_grad: tuple[bool, bool] = (True, True),
        state: Any = None,
    ) -> tuple[Array | None, Array | None]:
        """``(grad_x, grad_w)``; 1.0 backends get the first seven arguments only."""
        ...

    def max_pool2d(
        self, x: Array, kernel: Pair, stride: Pair, padding: Pair
    ) -> tuple[Array, Array]:
        """``(y, argmax)``: argmax is the int64 flat index of each winner in its H*W plane."""
        ...

    def max_pool2d_backward(self, grad_y: Array, argmax: Array, input_shape: Shape) -> Array: ...
    def avg_pool2d(self, x: Array, kernel: Pair, stride: Pair, padding: Pair) -> Array: ...
    def avg_pool2d_backward(
        self, grad_y: Array, input_shape: Shape, kernel: Pair, stride: Pair, padding: Pair
    ) -> Array: ...

    # --- optimizers ------------------------------------------------------------------------
    def adam_step(
        self,
        param: Array,
        grad: Array,
        exp_avg: Array,
        exp_avg_sq: Array,
        lr: float,
        beta1: float,
        beta2: float,
        eps: float,
        weight_decay: float,
        step: int,
        decoupled: bool,
    ) -> tuple[Array, Array, Array]: ...

    def adam_step_inplace(
        self,
        param: Array,
        grad: Array,
        exp_avg: Array,
        exp_avg_sq: Array,
        lr: float,
        beta1: float,
        beta2: float,
        eps: float,
        weight_decay: float,
        step: int,
        decoupled: bool,
    ) -> None: ...

    def sgd_step(
        self,
        param: Array,
        grad: Array,
        momentum_buffer: Array,
        lr: float,
        momentum: float,
        dampening: float,
        weight_decay: float,
        nesterov: bool,
        maximize: bool,
        first_step: bool,
    ) -> tuple[Array, Array]: ...

    def sgd_step_inplace(
        self,
        param: Array,
        grad: Array,
        momentum_buffer: Array,
        lr: float,
        momentum: float,
        dampening: float,
        weight_decay: float,
        nesterov: bool,
        maximize: bool,
        first_step: bool,
    ) -> None: ...

    # --- sorting and scans -----------------------------------------------------------------
    def argsort(self, x: Array, axis: int, descending: bool) -> Array: ...
    def cumulative_sum(self, x: Array, axis: int) -> Array: ...
    def cumulative_prod(self, x: Array, axis: int) -> Array: ...


def is_mutable(backend: Backend) -> TypeGuard[MutableBackend]:
    """``backend.capabilities.mutable``, telling a type checker the mutable tier is there."""
    return backend.capabilities.mutable


def require_dtype(backend: Any, dtype: DType) -> None:
    """Raise a TypeError naming the backend and the dtype unless ``backend`` holds ``dtype``."""
    held = backend.capabilities.dtypes
    if dtype in held:
        return
    names = ", ".join(d.name for d in held)
    hosts = "a backend that holds it (t.to('numpy'))" if dtype.bits == 16 else "another backend"
    raise TypeError(
        f"backend {backend.name!r} does not hold {dtype.name} (it holds {names}); compute in a "
        f"dtype it holds (e.g. t.float()) or move the tensor to {hosts}"
    )
