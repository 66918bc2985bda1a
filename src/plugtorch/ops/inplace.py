"""In-place writes with PyTorch's semantics, on every backend.

Every in-place operation (``x.add_(y)``, ``x[k] = v``, ``p.data.uniform_()``, ``out += y``,
``copy_``, ``fill_``, ...) ends here. A write

1. is checked as PyTorch checks it: the result must keep the target's shape, an arithmetic
   result must be castable to its dtype, autograd forbids writing to a leaf that requires grad
   (or a view of one), to a view made under ``no_grad()`` of such a base, and to outputs of ops
   returning several views; a tensor whose elements overlap (``expand``) cannot be written;
2. goes into the memory: on mutable backends straight into the array (every alias sees it);
   on immutable backends into a new root array computed through the view's inverse steps,
   after which every alias's array is refreshed (``plugtorch.storage``);
3. bumps the alias group's version counter, so a backward rule that saved an overwritten value
   raises PyTorch's "modified by an inplace operation" error;
4. when autograd records it, gives the target a new ``grad_fn``: the op's own node, or, for a
   write through a view, a ``view_scatter`` node on the root base (PyTorch's ``CopySlices``)
   from which the view's ``grad_fn`` is replayed.
"""

from __future__ import annotations

import numbers
from typing import Any

from plugtorch import dtypes
from plugtorch.autograd import grad_mode
from plugtorch.autograd.graph import Node, current_node
from plugtorch.backend.protocol import Backend
from plugtorch.ops._prepare import (
    astype,
    broadcast_shapes,
    expand_to,
    scalar_dtype,
    scalar_tensor,
)
from plugtorch.ops.creation import zeros_like
from plugtorch.ops.registry import apply, mixed_backend_error, op
from plugtorch.ops.views import layout, replay, scatter_through, view_scatter_op
from plugtorch.storage import counter_of
from plugtorch.tensor import Tensor

__all__ = [
    "assign",
    "write",
    "update",
    "can_cast",
    "check_writable",
    "check_autograd",
    "zero_grad_of",
    "bump_version",
    "check_number",
]

_SCALARS = (bool, int, float)
_PYTORCH_NAMES = {
    "bool": "Bool",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "uint8": "Byte",
    "uint16": "UInt16",
    "uint32": "UInt32",
    "uint64": "UInt64",
    "float16": "Half",
    "bfloat16": "BFloat16",
    "float32": "Float",
    "float64": "Double",
}


def can_cast(source: dtypes.DType, target: dtypes.DType) -> bool:
    """PyTorch's ``can_cast`` for in-place results: never floating to integral, never a number
    to bool (a narrower dtype of the same kind is fine: float64 into float32)."""
    return source.category <= target.category


def _pytorch_name(dtype: dtypes.DType) -> str:
    return _PYTORCH_NAMES.get(dtype.name, dtype.name)


def check_number(value: Any, name: str) -> bool | int | float:
    """A Python number to write, or the TypeError PyTorch's users expect."""
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, numbers.Real):  # numpy scalars
        return value.item() if hasattr(value, "item") else float(value)
    raise TypeError(
        f"{name}: the value must be a Python number or a tensor, got {type(value).__name__}"
    )


# --- the raw write --------------------------------------------------------------------------


def check_writable(target: Tensor) -> None:
    """Refuse a write to a tensor whose elements share memory (an expanded view)."""
    backend = target._backend
    if 0 in target.shape:
        return
    if backend.capabilities.mutable:
        strides = backend.strides(target._data)
    else:
        _, strides, _ = layout(target)
    if any(stride == 0 and size > 1 for stride, size in zip(strides, target.shape)):
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation."
        )


def bump_version(*tensors: Tensor) -> None:
    """Record an in-place write a fused primitive made into these tensors' memory."""
    for tensor in tensors:
        counter_of(tensor).value += 1


def write(target: Tensor, value: Any, key: tuple[Any, ...] = ()) -> None:
    """Store the backend array ``value`` (target's dtype, broadcast to the selection) at ``key``
    of ``target``, reaching every alias; bump the version counter. No autograd here."""
    check_writable(target)
    backend = target._backend
    if backend.capabilities.mutable:
        backend.setitem_inplace(target._data, key, value)
    else:
        if key == () and tuple(value.shape) == tuple(target.shape):
            new = value
        else:
            new = backend.setitem(target._data, key, value)
        _write_functional(target, new)
    counter_of(target).value += 1


def _write_functional(target: Tensor, new: Any) -> None:
    """Immutable backends: make ``new`` the target's array and refresh every alias."""
    storage = target._storage
    if storage is None:
        target._data = new
        return
    backend = target._backend
    chain = storage.chain_of(target)
    root = scatter_through(backend, storage.array, chain, new) if chain else new
    storage.array = root
    for alias, alias_chain in storage.aliases():
        array = root
        for step_op, params in alias_chain:
            array = step_op.forward(backend, array, **params)
        alias._data = array


# --- autograd around a write ------------------------------------------------------------------


def check_autograd(target: Tensor) -> None:
    view = target._view
    if view is None:
        if target._node is None and target.requires_grad:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation. "
                "Wrap the update in `with plugtorch.no_grad():` (as optimizers do) or work on "
                "a copy (t.clone())."
            )
        return
    base = view.base
    if base._node is None and base.requires_grad:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place "
            "operation. Wrap the update in `with plugtorch.no_grad():` or work on a copy."
        )
    if view.no_grad:
        raise RuntimeError(
            "A view was created in no_grad mode and is being modified inplace with grad mode "
            "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. "
            "You can clarify your code by moving both the view and the inplace either both "
            "inside the no_grad block (if you don't want the inplace to be tracked) or both "
            "outside (if you want the inplace to be tracked)."
        )
    if view.creator is not None and target.requires_grad:
        raise RuntimeError(
            f"Output 0 of {view.creator} is a view and is being modified inplace. This view is "
            "the output of a function that returns multiple views. Such functions do not allow "
            "the output views to be modified inplace. You should replace the inplace operation "
            "by an out-of-place one."
        )


def _protect_saved(node: Node, target: Tensor) -> None:
    """The op being written into ``target`` saved ``target`` itself (``x.mul_(w)`` needs the old
    ``x`` for ``w``'s gradient): give it a copy of the old values, as PyTorch does."""
    saved = node.saved
    if not saved or not any(tensor is target for tensor, _ in saved):
        return
    backend = target._backend
    snapshot = Tensor._make(
        backend.astype(target._data, target._dtype), backend, target._dtype, target.requires_grad
    )
    snapshot._node = current_node(target)
    node.saved = tuple((snapshot, 0) if t is target else (t, v) for t, v in saved)
    if node.inputs is not None:
        node.inputs = tuple(snapshot if t is target else t for t in node.inputs)


def _tie_output(node: Node | None, target: Tensor) -> None:
    """A rule that reads its output (``exp_``, ``relu_``) now reads the target's memory, and
    a later write to the target makes it raise, as in PyTorch."""
    if node is None or node.output_version is None:
        return
    counter = counter_of(target)
    node.saved_output = target._data
    node.output_version = (counter, counter.value)


@op("overwritten", needs=())
def overwritten_op(b: Backend, old: Any, new: Any) -> Any:
    """``new``, recorded as replacing ``old`` (``y.zero_()`` on a ``y`` that requires grad).
    Gradient: none reaches ``old`` (its values were overwritten), ``grad`` reaches ``new``."""
    return new


@overwritten_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    return zeros_like(g), g


def _rebase(target: Tensor, fitted: Tensor) -> None:
    """Give ``target`` the ``grad_fn`` of the write just made (autograd is recording)."""
    view = target._view
    if view is None:
        if not fitted.requires_grad:
            fitted = apply(overwritten_op, (_snapshot(target), fitted), target._dtype)
        target._node = fitted._node
        target._requires_grad = True
        return
    root = view.base
    backend = root._backend
    old_root = _snapshot(root)
    node = Node(
        view_scatter_op,
        (old_root, fitted),
        {"chain": view.chain},
        None,
        (backend, root._dtype),
        (old_root._node, fitted._node),
        None,
    )
    root._node = node
    root._requires_grad = True
    fresh = replay(root, view.chain)
    target._node = fresh._node
    target._requires_grad = True
    view.version = counter_of(root).value


def _snapshot(tensor: Tensor) -> Tensor:
    """A tensor with ``tensor``'s array and its autograd state now (edges are taken at once)."""
    snap = Tensor._make(tensor._data, tensor._backend, tensor._dtype, tensor.requires_grad)
    snap._node = current_node(tensor)
    snap._counter = tensor._counter
    return snap


# --- the entry points -------------------------------------------------------------------------


def assign(target: Tensor, value: Tensor, *, same_kind: bool = False) -> Tensor:
    """Write ``value`` (broadcast to ``target``'s shape, cast to its dtype) into ``target``.

    ``same_kind`` applies PyTorch's rule for the results of in-place arithmetic
    (``int_tensor.add_(0.5)`` raises); ``copy_``, ``fill_`` and ``x[k] = v`` cast freely.
    """
    if not isinstance(value, Tensor):
        raise TypeError(f"expected a Tensor to write, got {type(value).__name__}")
    if value._backend is not target._backend:
        raise mixed_backend_error("in-place write", target._backend, value._backend)
    shape = target.shape
    if value.shape != shape:
        result = broadcast_shapes(value.shape, shape)
        if result != shape:
            raise ValueError(
                f"output with shape {list(shape)} doesn't match the broadcast shape {list(result)}"
            )
    if same_kind and not can_cast(value._dtype, target._dtype):
        raise TypeError(
            f"result type {_pytorch_name(value._dtype)} can't be cast to the desired output "
            f"type {_pytorch_name(target._dtype)}"
        )
    recording = grad_mode._state.enabled and (target.requires_grad or value.requires_grad)
    if recording:
        check_autograd(target)
        if value._node is not None:
            _protect_saved(value._node, target)
    op_node = value._node
    fitted = expand_to(astype(value, target._dtype), shape)
    write(target, fitted._data)
    if recording:
        _rebase(target, fitted)
        if fitted._node is op_node:
            _tie_output(op_node, target)
    return target


_INPLACE_FAST = frozenset({"add", "subtract", "multiply", "divide"})


def update(target: Tensor, name: str, other: Any, alpha: Any = 1) -> Tensor | None:
    """The no-autograd fast path of ``add_``/``sub_``/``mul_``/``div_`` on a mutable backend:
    compute straight into the target's memory, without a temporary of its size.

    Returns ``None`` when the fast path does not apply (autograd records, the backend's arrays
    are values, the operand needs promotion or another backend); the caller then takes the
    general path through :func:`assign`.
    """
    backend = target._backend
    if not backend.capabilities.mutable:
        return None
    dtype = target._dtype
    if grad_mode._state.enabled and (
        target.requires_grad or (isinstance(other, Tensor) and other.requires_grad)
    ):
        return None
    if name == "divide" and dtype.category != 2:
        return None
    if isinstance(other, Tensor):
        if other._backend is not backend or other._dtype is not dtype or other.ndim > target.ndim:
            return None
        if other.shape != target.shape:
            if broadcast_shapes(other.shape, target.shape) != target.shape:
                return None
            operand = backend.broadcast_to(other._data, target.shape)
        else:
            operand = other._data
        check_writable(target)
        if alpha != 1:
            if name not in ("add", "subtract") or dtype.category != 2:
                return None
            scale = alpha if name == "add" else -alpha
            backend.add_scaled_inplace(target._data, operand, scale)
        else:
            backend.binary_inplace(name, target._data, operand)
    elif type(other) in _SCALARS:
        if alpha != 1:
            return None
        if scalar_dtype(target, other) is not dtype:
            return None
        check_writable(target)
        constant = scalar_tensor(other, backend, dtype, target.shape)
        backend.binary_inplace(name, target._data, constant._data)
    else:
        return None
    counter_of(target).value += 1
    return target


def zero_grad_of(param: Tensor, set_to_none: bool) -> None:
    """PyTorch's gradient reset for one parameter (``Module.zero_grad`` and
    ``Optimizer.zero_grad``): ``.grad = None``, or zeros written into the existing ``.grad``."""
    grad = param.grad
    if grad is None:
        return
    if set_to_none:
        param.grad = None
        return
    if grad.grad_fn is not None:
        grad.detach_()
    else:
        grad.requires_grad_(False)
    grad.zero_()
