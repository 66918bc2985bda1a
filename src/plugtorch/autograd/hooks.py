"""Tensor backward hooks: ``register_hook`` and ``register_post_accumulate_grad_hook``.

PyTorch's semantics:

* ``t.register_hook(hook)``: ``hook(grad) -> Tensor | None`` runs every time the gradient with
  respect to ``t`` is computed, with the *total* gradient of that backward pass (all
  contributions summed). A returned tensor replaces the gradient for the hooks after it, for
  ``.grad`` and for the rest of backward. Hooks run in registration order; on a non-leaf tensor
  they run before ``retain_grad()`` stores ``.grad``.
* ``t.register_post_accumulate_grad_hook(hook)`` (leaves only): ``hook(t) -> None`` runs once
  per backward, right after ``t.grad`` has been updated. DistributedDataParallel starts a
  bucket's all-reduce from here, while the rest of backward is still running.

Both return a :class:`RemovableHandle`; ``handle.remove()`` takes the hook out. Hooks run in the
grad mode of the backward pass: ``no_grad`` unless ``create_graph=True``.

A leaf's hooks fire once per backward, after the last node that feeds it: :class:`PendingLeaves`
sums the contributions to every leaf that has hooks and hands the total on when the backward
pass leaves that leaf's last consumer (the other leaves accumulate as before).

>>> import plugtorch as pt
>>> v = pt.tensor([0.0, 0.0, 0.0], requires_grad=True)
>>> h = v.register_hook(lambda grad: grad * 2)  # double the gradient
>>> v.backward(pt.tensor([1.0, 2.0, 3.0]))
>>> v.grad
tensor([2., 4., 6.])
>>> h.remove()
"""

from __future__ import annotations

import itertools
import weakref
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from plugtorch.autograd.graph import Node
    from plugtorch.tensor import Tensor

__all__ = ["PendingLeaves", "RemovableHandle", "TensorHooks", "any_leaf_hooks", "node_hook_table"]

GradHook = Callable[["Tensor"], "Tensor | None"]
PostAccumulateHook = Callable[["Tensor"], None]

_ids = itertools.count()
# How many hooks are registered on leaf tensors and not removed: zero keeps backward on its
# hook-free path (no pass over the graph to find each leaf's last consumer).
_hooked_leaves = 0
# Hooks of non-leaf tensors live with the graph node that computes the tensor, as in PyTorch.
_node_hooks: weakref.WeakKeyDictionary[Node, TensorHooks] = weakref.WeakKeyDictionary()


class RemovableHandle:
    """What ``register_*hook`` returns: ``remove()`` takes the hook out (idempotent)."""

    __slots__ = ("_table", "_leaf", "id")

    def __init__(self, table: dict[int, Any], *, leaf: bool) -> None:
        self._table: dict[int, Any] | None = table
        self._leaf = leaf
        self.id = next(_ids)

    def remove(self) -> None:
        global _hooked_leaves
        if self._table is not None and self._table.pop(self.id, None) is not None and self._leaf:
            _hooked_leaves -= 1
        self._table = None

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class TensorHooks:
    """The hooks of one tensor (a leaf) or one graph node (a non-leaf), in registration order."""

    __slots__ = ("grad_hooks", "post_hooks")

    def __init__(self) -> None:
        self.grad_hooks: dict[int, GradHook] = {}
        self.post_hooks: dict[int, PostAccumulateHook] = {}

    def __bool__(self) -> bool:
        return bool(self.grad_hooks) or bool(self.post_hooks)

    def run_grad_hooks(self, grad: Tensor) -> Tensor:
        """Pass ``grad`` through every gradient hook; a returned tensor replaces it."""
        for hook in tuple(self.grad_hooks.values()):
            result = hook(grad)
            if result is None:
                continue
            if result.shape != grad.shape:
                raise RuntimeError(
                    f"hook {_name(hook)} has changed the size of the gradient: it returned "
                    f"shape {result.shape} for a gradient of shape {grad.shape}"
                )
            grad = result
        return grad

    def run_post_hooks(self, tensor: Tensor) -> None:
        for hook in tuple(self.post_hooks.values()):
            if hook(tensor) is not None:
                raise RuntimeError(
                    f"post accumulate grad hook {_name(hook)} returned a value; it must return "
                    "None (change the tensor or its .grad in place instead)"
                )


def _name(hook: Callable[..., Any]) -> str:
    return repr(getattr(hook, "__name__", hook))


def register_hook(tensor: Tensor, hook: GradHook) -> RemovableHandle:
    """``Tensor.register_hook``: on the leaf itself, or on the node that computes a non-leaf."""
    global _hooked_leaves
    if not tensor.requires_grad:
        raise RuntimeError(
            "cannot register a hook on a tensor that doesn't require gradient; call "
            "requires_grad_() on the leaf first"
        )
    _check_callable(hook)
    node = tensor._node
    if node is None:
        if tensor._hooks is None:
            tensor._hooks = TensorHooks()
        hooks = tensor._hooks
        _hooked_leaves += 1
    else:
        hooks = _node_hooks.get(node) or _node_hooks.setdefault(node, TensorHooks())
    handle = RemovableHandle(hooks.grad_hooks, leaf=node is None)
    hooks.grad_hooks[handle.id] = hook
    return handle


def register_post_accumulate_grad_hook(tensor: Tensor, hook: PostAccumulateHook) -> RemovableHandle:
    """``Tensor.register_post_accumulate_grad_hook`` (leaf tensors only)."""
    global _hooked_leaves
    if not tensor.requires_grad:
        raise RuntimeError(
            "cannot register a hook on a tensor that doesn't require gradient; call "
            "requires_grad_() on the leaf first"
        )
    if tensor._node is not None:
        raise RuntimeError(
            "post accumulate grad hooks cannot be registered on non-leaf tensors "
            f"(this one has grad_fn={tensor._node!r}); use register_hook to see its gradient"
        )
    _check_callable(hook)
    if tensor._hooks is None:
        tensor._hooks = TensorHooks()
    _hooked_leaves += 1
    handle = RemovableHandle(tensor._hooks.post_hooks, leaf=True)
    tensor._hooks.post_hooks[handle.id] = hook
    return handle


def _check_callable(hook: Any) -> None:
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")


def any_leaf_hooks() -> bool:
    return _hooked_leaves > 0


def node_hook_table() -> weakref.WeakKeyDictionary[Node, TensorHooks] | None:
    """Hooks of non-leaf tensors keyed by the node that computes them; None when there are none."""
    return _node_hooks if _node_hooks else None


class PendingLeaves:
    """Sums the gradients of hooked leaves until the backward pass is past their last consumer.

    ``order`` is the backward pass's node order. A leaf with hooks whose gradient arrives from
    several nodes gets one accumulation (and one call of each hook) with the sum, right after
    the last of those nodes has run, as PyTorch's ``AccumulateGrad`` node does.
    """

    __slots__ = ("_accumulate", "_create_graph", "_grads", "_flush_after", "_leaves")

    def __init__(
        self,
        order: list[Node],
        accumulate: Callable[[Tensor, Tensor, bool], None],
        create_graph: bool,
    ) -> None:
        last: dict[int, Node] = {}
        self._leaves: dict[int, Tensor] = {}
        for node in order:
            for tensor in node.inputs or ():
                if tensor._node is None and tensor._hooks and tensor.requires_grad:
                    last[id(tensor)] = node
                    self._leaves[id(tensor)] = tensor
        self._flush_after: dict[int, list[int]] = {}
        for key, node in last.items():
            self._flush_after.setdefault(id(node), []).append(key)
        self._grads: dict[int, Tensor] = {}
        self._accumulate = accumulate
        self._create_graph = create_graph

    def wants(self, tensor: Tensor) -> bool:
        return id(tensor) in self._leaves

    def add(self, tensor: Tensor, grad: Tensor) -> None:
        key = id(tensor)
        self._leaves[key] = tensor
        previous = self._grads.get(key)
        self._grads[key] = grad if previous is None else previous + grad

    def node_done(self, node: Node) -> None:
        """Accumulate every leaf whose last consumer was ``node``."""
        for key in self._flush_after.pop(id(node), ()):
            self._flush(key)

    def finish(self) -> None:
        """Accumulate what is left (leaves whose last consumer received no gradient)."""
        for key in list(self._grads):
            self._flush(key)

    def _flush(self, key: int) -> None:
        grad = self._grads.pop(key, None)
        if grad is not None:
            self._accumulate(self._leaves[key], grad, self._create_graph)
