"""The protocol's promises, one rule per primitive, for :mod:`plugtorch_conformance.contract`.

A rule ``rule(c, name, args, kwargs)`` checks a call's arguments before the backend runs it
(``c`` is the :class:`~plugtorch_conformance.contract.CheckedBackend`, whose helpers fail with
the primitive's name) and returns the check of its result, ``check(result)``, or ``None``.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from plugtorch import dtypes
from plugtorch.backend.protocol import (
    BINARY_PRIMITIVES,
    COMPARISON_PRIMITIVES,
    REDUCTION_PRIMITIVES,
    UNARY_PRIMITIVES,
)
from plugtorch.dtypes import DType

__all__ = ["RULES", "is_array", "is_int"]

ResultCheck = Callable[[Any], None]
Rule = Callable[[Any, str, tuple[Any, ...], dict[str, Any]], "ResultCheck | None"]


def is_array(value: Any) -> bool:
    """A backend array (anything with a shape and a dtype that is not a plugtorch dtype)."""
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, DType)


def is_int(value: Any) -> bool:
    """A Python or numpy integer, not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _pair(c: Any, name: str, value: Any, what: str, low: int) -> tuple[int, int]:
    ok = isinstance(value, tuple) and len(value) == 2 and all(is_int(v) and v >= low for v in value)
    c.require(ok, name, f"{what} {value!r} is not a pair of ints >= {low}")
    return int(value[0]), int(value[1])


def _result_like(c: Any, name: str, shape: tuple[int, ...], dtype: DType) -> ResultCheck:
    return lambda result: c.result_is(name, result, shape, dtype)


# --- elementwise -------------------------------------------------------------------------
def unary(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    shape, dtype = c.meta(args[0])
    c.in_domain(name, dtype)
    return _result_like(c, name, shape, dtype)


def binary(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    shape, dtype = c.same(name, args[:2])
    c.in_domain(name, dtype)
    out = dtypes.bool_ if name in COMPARISON_PRIMITIVES else dtype
    return _result_like(c, name, shape, out)


def where(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    condition, x, y = args
    c.require(c.dtype_of(condition) is dtypes.bool_, name, "condition is not a bool array")
    shape, dtype = c.same(name, (x, y), "x and y")
    c.require(
        c.meta(condition)[0] == shape, name, "condition's shape differs from x's: broadcast first"
    )
    return _result_like(c, name, shape, dtype)


# --- reductions --------------------------------------------------------------------------
def _reduced(shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> tuple[int, ...]:
    if keepdims:
        return tuple(1 if d in axes else n for d, n in enumerate(shape))
    return tuple(n for d, n in enumerate(shape) if d not in axes)


def reduction(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, axis, keepdims = args
    shape, dtype = c.meta(x)
    c.in_domain(name, dtype)
    axes = c.check_axes(name, axis, len(shape))
    c.require(isinstance(keepdims, bool), name, f"keepdims {keepdims!r} is not a bool")
    if name in ("max", "min"):
        c.require(
            all(shape[a] > 0 for a in axes) and (axes or not shape or 0 not in shape),
            name,
            f"reduces an empty dimension of shape {shape} (no identity: the core raises)",
        )
    out = dtypes.bool_ if name in ("all", "any") else dtype
    return _result_like(c, name, _reduced(shape, axes, keepdims), out)


def arg_reduction(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, axis, keepdims = args
    shape, dtype = c.meta(x)
    c.in_domain(name, dtype)
    c.require(len(shape) >= 1, name, "called on a 0-d array (the core reshapes it first)")
    a = c.check_axis(name, axis, len(shape))
    c.require(shape[a] > 0, name, f"reduces the empty axis {a} of shape {shape}")
    return _result_like(c, name, _reduced(shape, (a,), keepdims), dtypes.int64)


# --- transfer and creation ---------------------------------------------------------------
def asarray(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    obj, dtype = args
    c.check_dtype_argument(name, dtype)
    shape = tuple(np.shape(obj)) if not is_array(obj) else tuple(obj.shape)
    return _result_like(c, name, shape, dtype)


def astype(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, dtype = args
    c.check_dtype_argument(name, dtype)
    return _result_like(c, name, c.meta(x)[0], dtype)


def full(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    shape, value, dtype = args
    c.check_shape(name, shape)
    c.check_dtype_argument(name, dtype)
    c.require(
        isinstance(value, (bool, int, float)),
        name,
        f"fill value {value!r} is a {type(value).__name__}, not a Python bool, int or float",
    )
    return _result_like(c, name, tuple(shape), dtype)


def arange(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    start, stop, step, dtype = args
    c.check_dtype_argument(name, dtype)
    c.require(step != 0, name, "step is zero (the core raises)")
    count = max(0, math.ceil((stop - start) / step))
    return _result_like(c, name, (count,), dtype)


# --- movement ----------------------------------------------------------------------------
def reshape(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, shape = args[:2]
    old, dtype = c.meta(x)
    new = c.check_shape(name, shape, "new shape (no -1: the core infers it)")
    c.require(
        math.prod(new) == math.prod(old), name, f"shape {new} does not hold the {old} elements"
    )
    if "copy" in kwargs or len(args) > 2:
        c.require(c._mutable, name, "reshape(copy=...) on a backend with mutable=False")
    return _result_like(c, name, new, dtype)


def permute_dims(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, axes = args
    shape, dtype = c.meta(x)
    ok = isinstance(axes, tuple) and sorted(axes) == list(range(len(shape)))
    c.require(ok, name, f"axes {axes!r} are not a permutation of range({len(shape)})")
    return _result_like(c, name, tuple(shape[a] for a in axes), dtype)


def broadcast_to(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, target = args
    shape, dtype = c.meta(x)
    target = c.check_shape(name, target)
    tail = target[len(target) - len(shape) :] if shape else ()
    ok = len(target) >= len(shape) and all(s in (1, t) for s, t in zip(shape, tail))
    c.require(ok, name, f"shape {shape} does not broadcast to {target} (the core checks)")
    return _result_like(c, name, target, dtype)


def concat(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    arrays, axis = args
    c.require(len(arrays) > 0, name, "no arrays to concatenate")
    metas = [c.meta(a) for a in arrays]
    ndim = len(metas[0][0])
    c.require(ndim >= 1, name, "concatenates 0-d arrays")
    a = c.check_axis(name, axis, ndim)
    c.require(len({m[1] for m in metas}) == 1, name, "arrays of several dtypes: promote first")
    rest = {m[0][:a] + m[0][a + 1 :] for m in metas}
    ok = len(rest) == 1 and all(len(m[0]) == ndim for m in metas)
    c.require(ok, name, f"shapes {[m[0] for m in metas]} differ off axis {a}")
    shape = list(metas[0][0])
    shape[a] = sum(m[0][a] for m in metas)
    return _result_like(c, name, tuple(shape), metas[0][1])


def flip(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, axis = args
    shape, dtype = c.meta(x)
    c.check_axes(name, axis, len(shape))
    return _result_like(c, name, shape, dtype)


# --- indexing ----------------------------------------------------------------------------
def _basic_key(c: Any, name: str, key: Any, shape: tuple[int, ...]) -> None:
    c.require(isinstance(key, tuple), name, f"key {key!r} is not a tuple")
    dim = 0
    for k in key:
        if k is None:
            continue
        c.require(dim < len(shape), name, f"key {key!r} indexes more dims than shape {shape}")
        size = shape[dim]
        if isinstance(k, slice):
            for bound in (k.start, k.stop):
                c.require(
                    bound is None or (is_int(bound) and -size <= bound <= size),
                    name,
                    f"slice bound {bound!r} outside [-{size}, {size}] (the core clamps it)",
                )
            c.require(k.step is None or (is_int(k.step) and k.step != 0), name, "slice step")
        else:
            c.require(
                is_int(k) and 0 <= k < size,
                name,
                f"index {k!r} is not an int in [0, {size}) (the core wraps and checks it)",
            )
        dim += 1


def _selection_shape(c: Any, name: str, x: Any, key: tuple[Any, ...]) -> tuple[int, ...]:
    """The shape ``x[key]`` has; checks the key as the protocol describes it."""
    shape, _ = c.meta(x)
    basic = all(k is None or isinstance(k, (int, slice, np.integer)) for k in key)
    if basic:
        _basic_key(c, name, key, shape)
        host_key: tuple[Any, ...] = key
    else:
        arrays = [k for k in key if is_array(k)]
        c.require(
            len(arrays) == len(key),
            name,
            "an advanced key mixes index arrays with ints or slices (the protocol takes one bool "
            "mask, or int64 index arrays)",
        )
        first = c.dtype_of(arrays[0])
        if first is dtypes.bool_:
            c.require(
                len(arrays) == 1 and c.meta(arrays[0])[0] == shape,
                name,
                f"a bool mask key must be one array of x's shape {shape}",
            )
        else:
            c.require(len(arrays) <= len(shape), name, "more index arrays than dimensions")
            for dim, index in enumerate(arrays):
                c.check_indices(name, index, shape[dim], f"index array {dim}")
        host_key = tuple(c.host(k) for k in key)
    dummy = np.broadcast_to(np.zeros((), dtype=np.uint8), shape)
    return tuple(dummy[host_key].shape)


def getitem(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, key = args
    c.require(
        isinstance(key, tuple) and all(k is None or isinstance(k, (int, slice)) for k in key),
        name,
        f"key {key!r} is not basic (ints, slices, None; no Ellipsis, no arrays)",
    )
    _, dtype = c.meta(x)
    return _result_like(c, name, _selection_shape(c, name, x, key), dtype)


def setitem(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, key, value = args
    shape, dtype = c.meta(x)
    selected = _selection_shape(c, name, x, key)
    value_shape, value_dtype = c.meta(value)
    c.require(value_dtype is dtype, name, f"value is {value_dtype.name}, x is {dtype.name}")
    c.require(
        value_shape == selected,
        name,
        f"value has shape {value_shape}, the selection {selected} (the core broadcasts)",
    )
    if name == "setitem_inplace":
        return lambda result: c.require(result is None, name, "returned a value")
    return _result_like(c, name, shape, dtype)


def _indexed(
    c: Any, name: str, x: Any, indices: Any, axis: Any
) -> tuple[tuple[int, ...], DType, int, tuple[int, ...]]:
    """Checks an axis and the int64 in-range indices along it: x's shape and dtype, the axis
    and the indices' shape."""
    shape, dtype = c.meta(x)
    a = c.check_axis(name, axis, len(shape))
    index_shape, _ = c.meta(indices)
    c.check_indices(name, indices, shape[a] if shape else 1)
    return shape, dtype, a, index_shape


def take(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, indices, axis = args
    shape, dtype, a, index_shape = _indexed(c, name, x, indices, axis)
    c.require(len(index_shape) == 1, name, f"indices have shape {index_shape}, not 1-D")
    out = shape[:a] + index_shape + shape[a + 1 :]
    return _result_like(c, name, out, dtype)


def take_along_axis(
    c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> ResultCheck:
    x, indices, axis = args
    shape, dtype, a, index_shape = _indexed(c, name, x, indices, axis)
    c.require(len(index_shape) == len(shape), name, "indices and x differ in ndim")
    others = [(i, s) for d, (i, s) in enumerate(zip(index_shape, shape)) if d != a]
    c.require(
        all(i == s for i, s in others),
        name,
        f"indices {index_shape} and x {shape} differ off the axis (the core expands them)",
    )
    return _result_like(c, name, index_shape, dtype)


def index_add(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, indices, values, axis = args
    shape, dtype, a, index_shape = _indexed(c, name, x, indices, axis)
    c.require(len(index_shape) == 1, name, "indices are not 1-D")
    expected = shape[:a] + index_shape + shape[a + 1 :]
    c.require(c.meta(values) == (expected, dtype), name, f"values are not {expected} {dtype}")
    return _result_like(c, name, shape, dtype)


def scatter_add(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, indices, values, axis = args
    shape, dtype, a, index_shape = _indexed(c, name, x, indices, axis)
    c.require(
        c.meta(values) == (index_shape, dtype),
        name,
        f"values are {c.meta(values)}, expected the indices' shape {index_shape} and {dtype}",
    )
    c.require(
        len(index_shape) == len(shape)
        and all(i <= s for d, (i, s) in enumerate(zip(index_shape, shape)) if d != a),
        name,
        f"indices {index_shape} do not fit x {shape} off the axis",
    )
    return _result_like(c, name, shape, dtype)


def matmul(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    (xs, dtype), (ys, ydtype) = c.meta(args[0]), c.meta(args[1])
    c.require(dtype is ydtype, name, f"dtypes {dtype.name} and {ydtype.name}: promote first")
    c.in_domain(name, dtype)
    ok = len(xs) >= 2 and len(xs) == len(ys) and xs[:-2] == ys[:-2] and xs[-1] == ys[-2]
    c.require(ok, name, f"shapes {xs} @ {ys}: need equal batch shapes, ndim >= 2")
    return _result_like(c, name, xs[:-1] + ys[-1:], dtype)


# --- the mutable tier --------------------------------------------------------------------
def binary_inplace(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    operation, x, y = args
    c.require(operation in BINARY_PRIMITIVES, name, f"{operation!r} is not a binary primitive")
    _, dtype = c.same(name, (x, y), "x and y")
    c.in_domain(operation, dtype)
    return lambda result: c.require(result is None, name, "returned a value")


def add_scaled_inplace(
    c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> ResultCheck:
    x, y, alpha = args
    _, dtype = c.same(name, (x, y), "x and y")
    c.in_domain(name, dtype)
    c.require(
        isinstance(alpha, (int, float)) and not isinstance(alpha, bool), name, "alpha not a number"
    )
    return lambda result: c.require(result is None, name, "returned a value")


def as_strided(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, shape, strides, offset = args
    shape = c.check_shape(name, shape)
    ok = isinstance(strides, tuple) and len(strides) == len(shape) and all(map(is_int, strides))
    c.require(ok, name, f"strides {strides!r} are not one int per dimension")
    c.require(is_int(offset) and offset >= 0, name, f"storage offset {offset!r} is negative")
    _, dtype = c.meta(x)
    if math.prod(shape):
        _, nbytes = c._backend.storage_info(x)
        last = offset + sum((n - 1) * s for n, s in zip(shape, strides) if s > 0)
        first = offset + sum((n - 1) * s for n, s in zip(shape, strides) if s < 0)
        c.require(
            first >= 0 and last < nbytes // dtype.itemsize,
            name,
            f"elements [{first}, {last}] outside the allocation (the core checks the bounds)",
        )
    return _result_like(c, name, shape, dtype)


def no_check(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    return None


# --- optional primitives -----------------------------------------------------------------
def softmax(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, axis = args
    shape, dtype = c.meta(x)
    c.in_domain(name, dtype)
    c.check_axis(name, axis, len(shape))
    return _result_like(c, name, shape, dtype)


def argsort(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, axis, descending = args
    shape, dtype = c.meta(x)
    c.in_domain(name, dtype)
    c.check_axis(name, axis, len(shape))
    c.require(isinstance(descending, bool), name, f"descending {descending!r} is not a bool")
    return _result_like(c, name, shape, dtypes.int64)


def cumulative(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, axis = args
    shape, dtype = c.meta(x)
    c.in_domain(name, dtype)
    c.check_axis(name, axis, len(shape))
    return _result_like(c, name, shape, dtype)


def _out_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _image(
    c: Any, name: str, x: Any, what: str, domain: frozenset[str] = frozenset("f")
) -> tuple[tuple[int, ...], DType]:
    shape, dtype = c.meta(x)
    c.require(len(shape) == 4, name, f"{what} has shape {shape}, not (N, C, H, W)")
    c.in_domain(name, dtype, domain)
    return shape, dtype


def _conv_geometry(c: Any, name: str, args: tuple[Any, ...]) -> tuple[tuple[int, ...], DType]:
    """Checks conv2d's ``(x, w, stride, padding, dilation, groups)``; the output's shape."""
    x, w, stride, padding, dilation, groups = args
    (n, channels, h, wd), dtype = _image(c, name, x, "x")
    (o, cg, kh, kw), wdtype = _image(c, name, w, "weight")
    c.require(wdtype is dtype, name, "x and weight differ in dtype")
    sh, sw = _pair(c, name, stride, "stride", 1)
    ph, pw = _pair(c, name, padding, "padding", 0)
    dh, dw = _pair(c, name, dilation, "dilation", 1)
    c.require(is_int(groups) and groups >= 1, name, f"groups {groups!r} is not an int >= 1")
    c.require(
        channels == cg * groups and o % groups == 0,
        name,
        f"x's {channels} channels and weight {(o, cg, kh, kw)} do not fit {groups} groups",
    )
    out = (n, o, _out_size(h, kh, sh, ph, dh), _out_size(wd, kw, sw, pw, dw))
    c.require(min(out[2:]) >= 1, name, f"empty output {out} (the core raises)")
    return out, dtype


def conv2d(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    out, dtype = _conv_geometry(c, name, args[:6])

    def check(result: Any) -> None:  # y, or (y, state)
        c.result_is(name, result[0] if isinstance(result, tuple) else result, out, dtype)

    return check


def conv2d_backward(
    c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> ResultCheck:
    grad, x, w = args[:3]
    out, dtype = _conv_geometry(c, name, args[1:7])
    c.require(c.meta(grad) == (out, dtype), name, f"grad_y is not the output's {out} {dtype}")
    needs = kwargs.get("needs_input_grad", (True, True))

    def check(result: Any) -> None:
        c.require(isinstance(result, tuple) and len(result) == 2, name, "not (grad_x, grad_w)")
        for gradient, source, need, what in zip(result, (x, w), needs, ("grad_x", "grad_w")):
            c.require(gradient is not None or not need, name, f"{what} is None but was asked for")
            if gradient is not None:
                c.result_is(name, gradient, c.meta(source)[0], dtype, what)

    return check


def _pool_geometry(
    c: Any, name: str, shape: tuple[int, ...], kernel: Any, stride: Any, padding: Any
) -> tuple[int, ...]:
    kh, kw = _pair(c, name, kernel, "kernel", 1)
    sh, sw = _pair(c, name, stride, "stride", 1)
    ph, pw = _pair(c, name, padding, "padding", 0)
    c.require(ph <= kh // 2 and pw <= kw // 2, name, "padding is more than half the kernel (core)")
    out = shape[:2] + (_out_size(shape[2], kh, sh, ph, 1), _out_size(shape[3], kw, sw, pw, 1))
    c.require(min(out[2:]) >= 1, name, f"empty output {out} (the core raises)")
    return out


def max_pool2d(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, kernel, stride, padding = args
    shape, dtype = _image(c, name, x, "x", frozenset("iuf"))
    out = _pool_geometry(c, name, shape, kernel, stride, padding)

    def check(result: Any) -> None:
        c.require(isinstance(result, tuple) and len(result) == 2, name, "not (y, argmax)")
        c.result_is(name, result[0], out, dtype, "y")
        c.result_is(name, result[1], out, dtypes.int64, "argmax")

    return check


def max_pool2d_backward(
    c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> ResultCheck:
    grad, argmax, input_shape = args
    shape, dtype = _image(c, name, grad, "grad_y")
    input_shape = c.check_shape(name, input_shape, "input_shape")
    c.require(len(input_shape) == 4 and input_shape[:2] == shape[:2], name, "input_shape mismatch")
    c.require(c.meta(argmax)[0] == shape, name, "argmax's shape differs from grad_y's")
    c.check_indices(name, argmax, input_shape[2] * input_shape[3], "argmax")
    return _result_like(c, name, input_shape, dtype)


def avg_pool2d(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    x, kernel, stride, padding = args
    shape, dtype = _image(c, name, x, "x")
    return _result_like(c, name, _pool_geometry(c, name, shape, kernel, stride, padding), dtype)


def avg_pool2d_backward(
    c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> ResultCheck:
    grad, input_shape, kernel, stride, padding = args
    shape, dtype = _image(c, name, grad, "grad_y")
    input_shape = c.check_shape(name, input_shape, "input_shape")
    c.require(len(input_shape) == 4, name, f"input_shape {input_shape} is not 4-D")
    out = _pool_geometry(c, name, input_shape, kernel, stride, padding)
    c.require(shape == out, name, f"grad_y has shape {shape}, the pooled output {out}")
    return _result_like(c, name, input_shape, dtype)


def adam_step(c: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResultCheck:
    shape, dtype = c.same(name, args[:4], "param, grad, exp_avg, exp_avg_sq")
    c.in_domain(name, dtype, frozenset("f"))
    scalars = args[4:]
    c.require(
        len(scalars) == 7 and not any(is_array(s) for s in scalars),
        name,
        "expects seven Python scalars after the arrays",
    )
    if name == "adam_step_inplace":
        return lambda result: c.require(result is None, name, "returned a value")

    def check(result: Any) -> None:
        c.require(isinstance(result, tuple) and len(result) == 3, name, "not three arrays")
        for array in result:
            c.result_is(name, array, shape, dtype)

    return check


RULES: dict[str, Rule] = {
    **{name: unary for name in UNARY_PRIMITIVES},
    **{name: binary for name in BINARY_PRIMITIVES + COMPARISON_PRIMITIVES},
    **{name: reduction for name in REDUCTION_PRIMITIVES},
    "where": where,
    "argmax": arg_reduction,
    "argmin": arg_reduction,
    "asarray": asarray,
    "to_numpy": no_check,
    "astype": astype,
    "full": full,
    "arange": arange,
    "reshape": reshape,
    "permute_dims": permute_dims,
    "broadcast_to": broadcast_to,
    "concat": concat,
    "flip": flip,
    "getitem": getitem,
    "setitem": setitem,
    "take": take,
    "take_along_axis": take_along_axis,
    "index_add": index_add,
    "scatter_add": scatter_add,
    "matmul": matmul,
    "setitem_inplace": setitem,
    "binary_inplace": binary_inplace,
    "add_scaled_inplace": add_scaled_inplace,
    "strides": no_check,
    "data_ptr": no_check,
    "storage_info": no_check,
    "as_strided": as_strided,
    "sigmoid": unary,
    "relu": unary,
    "silu": unary,
    "softmax": softmax,
    "log_softmax": softmax,
    "conv2d": conv2d,
    "conv2d_backward": conv2d_backward,
    "max_pool2d": max_pool2d,
    "max_pool2d_backward": max_pool2d_backward,
    "avg_pool2d": avg_pool2d,
    "avg_pool2d_backward": avg_pool2d_backward,
    "adam_step": adam_step,
    "adam_step_inplace": adam_step,
    "argsort": argsort,
    "cumulative_sum": cumulative,
    "cumulative_prod": cumulative,
}
