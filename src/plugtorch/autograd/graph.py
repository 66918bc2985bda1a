"""The autograd graph and the backward pass.

Every differentiable operation on tensors that require grad records one :class:`Node`: the op
(whose ``backward`` rule turns the output's gradient into the inputs' gradients), the input
tensors (the graph's edges), the op's parameters and, when the rule needs it, the output's
array. A node never holds its output tensor (that would be a reference cycle); the rule gets
``ctx.output``, a fresh tensor over the saved array that points back to the node, so gradients
of gradients still see the output as a function of the inputs.

``backward`` walks the graph once in a deterministic, iterative topological order, so a chain
of 100,000 ops needs no recursion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Protocol, Sequence

import plugtorch  # the layers above, at call time: Tensor, view replay (docs/architecture.md)
from plugtorch.autograd import hooks as _hooks
from plugtorch.autograd.grad_mode import set_grad_enabled

if TYPE_CHECKING:
    from plugtorch.storage import VersionCounter
    from plugtorch.tensor import Tensor

__all__ = ["Node", "NodeOp", "run_backward", "current_node"]


class NodeOp(Protocol):
    """What a node needs of the operation it records: a name (``MulBackward0`` is made from
    it) and the backward rule, ``backward(node, grad) -> one gradient (or None) per input``.

    Registered ops (``plugtorch.ops.Op``) are node ops; so are a custom ``Function`` (through
    its adapter), the move between backends, and the identity step where a gradient through
    a decomposition stops.
    """

    @property
    def name(self) -> str: ...

    def backward(self, node: Node, grad: Tensor, /) -> tuple[Tensor | None, ...]: ...


class Node:
    """One recorded operation: ``op``, its ``inputs`` and ``params`` (the backward ``ctx``).

    ``edges`` are the inputs' own nodes *when this node was recorded* (``None`` for leaves and
    constants): an in-place op may later give an input tensor a new ``grad_fn``, and this node
    must still send its gradient to the old one. ``saved`` lists the inputs the backward rule
    reads with their version then, and ``output_version`` the output's counter and version,
    so that a rule never computes with values an in-place op has changed since.
    """

    __slots__ = (
        "op",
        "inputs",
        "edges",
        "params",
        "saved_output",
        "output_meta",
        "retained",
        "saved",
        "output_version",
        "state",
        "__weakref__",
    )

    def __init__(
        self,
        op: NodeOp,
        inputs: tuple[Tensor, ...],
        params: dict[str, Any] | None,
        saved_output: Any,
        output_meta: tuple[Any, Any],
        edges: tuple[Node | None, ...],
        saved: tuple[tuple[Tensor, int], ...] | None = None,
    ) -> None:
        self.op = op
        self.inputs: tuple[Tensor, ...] | None = inputs
        self.edges = edges
        self.params = params
        self.saved_output = saved_output
        self.output_meta = output_meta  # (backend, dtype) of the output
        self.retained: list[Any] | None = None  # weakrefs of tensors that called retain_grad()
        self.saved = saved
        self.output_version: tuple[VersionCounter, int] | None = None
        self.state: Any = None  # what an accelerated primitive returned for its backward

    @property
    def name(self) -> str:
        return self.op.name

    @property
    def output(self) -> Tensor:
        """The op's output as a tensor whose ``grad_fn`` is this node (for backward rules)."""
        if self.saved_output is None:
            raise RuntimeError(
                f"the backward rule of {self.op.name!r} asked for ctx.output, but the op was "
                "declared without saves_output=True"
            )
        backend, dtype = self.output_meta
        out = plugtorch.Tensor._make(self.saved_output, backend, dtype, requires_grad=True)
        out._node = self
        return out

    @property
    def next_functions(self) -> tuple[tuple[Node | None, int], ...]:
        """The nodes this one sends gradients to, as PyTorch's ``grad_fn.next_functions``."""
        return tuple((edge, 0) for edge in self.edges)

    def check_saved_versions(self) -> None:
        """Raise PyTorch's error when a value this node saved was modified in place since."""
        if self.saved:
            for tensor, version in self.saved:
                current = 0 if tensor._counter is None else tensor._counter.value
                if current != version:
                    raise _modified_error(tensor, tensor._node, 0, current, version)
        if self.output_version is not None:
            counter, version = self.output_version
            if counter.value != version:
                backend, dtype = self.output_meta
                raise _modified_error(
                    _Described(dtype, _shape_of(self.saved_output)), self, 0, counter.value, version
                )

    def release(self) -> None:
        """Drop what backward needs, after a backward pass without ``retain_graph``."""
        self.inputs = None
        self.saved_output = None
        self.params = None
        self.saved = None
        self.state = None

    def name_as_pytorch(self) -> str:
        """The class name PyTorch would give this node: ``MulBackward0``."""
        camel = "".join(part.capitalize() for part in self.op.name.split("_"))
        return f"{camel}Backward0"

    def __repr__(self) -> str:
        return f"<{self.name_as_pytorch()}>"


class _Described:
    """Dtype and shape of a saved output, for the error message."""

    __slots__ = ("dtype", "shape")

    def __init__(self, dtype: Any, shape: tuple[int, ...]) -> None:
        self.dtype = dtype
        self.shape = shape


def _shape_of(array: Any) -> tuple[int, ...]:
    return tuple(getattr(array, "shape", ()))


def _modified_error(
    tensor: Any, node: Node | None, index: int, current: int, expected: int
) -> RuntimeError:
    name = "".join(part.capitalize() for part in tensor.dtype.name.split("_"))
    described = f"[plugtorch.{name}Tensor {list(tensor.shape)}]"
    origin = f", which is output {index} of {node.name_as_pytorch()}" if node else ""
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: {described}{origin}, is at version {current}; expected version "
        f"{expected} instead. Hint: the variable was changed in place after it was used; "
        "clone() it before the in-place operation, or use the out-of-place form (x = x + 1 "
        "instead of x += 1)."
    )


def current_node(tensor: Tensor) -> Node | None:
    """``tensor``'s ``grad_fn``, rebuilt first when it is a view made stale by an in-place write.

    An in-place write through one alias changes what every view of the same base computes;
    PyTorch then regenerates a view's ``grad_fn`` from its base on next use, and so do we (the
    view steps are replayed from the base's current node).
    """
    view = tensor._view
    if view is None:
        return tensor._node
    base = view.base
    current = base._counter.value  # type: ignore[union-attr]  # views share a counter
    if view.version == current:
        return tensor._node
    view.version = current
    if view.no_grad or not base.requires_grad:
        return tensor._node
    with set_grad_enabled(True):  # the rare path: only after an in-place write
        fresh = plugtorch.ops.views.replay(base, view.chain)
    tensor._node = fresh._node
    tensor._requires_grad = True
    return tensor._node


def _topological_order(roots: Sequence[Node], stop: Iterable[int] = ()) -> list[Node]:
    """Nodes reachable from ``roots``, each after every node that consumes its output; the
    nodes whose ids are in ``stop`` are included but not looked through."""
    order: list[Node] = []
    visited: set[int] = set()
    seen = visited.add
    stops = set(stop)
    for root in roots:
        if id(root) in visited:
            continue
        seen(id(root))
        stack: list[tuple[Node, int]] = [(root, 0)]
        while stack:
            node, index = stack[-1]
            edges = node.edges
            if node.inputs is None:
                raise RuntimeError(
                    f"trying to backward through the graph a second time (through "
                    f"{node.op.name!r}); its saved values were freed after the first backward. "
                    "Pass retain_graph=True to the first backward() if you need to go twice."
                )
            if stops and id(node) in stops:
                edges = ()
            count = len(edges)
            while index < count:
                child = edges[index]
                index += 1
                if child is not None:
                    key = id(child)
                    if key not in visited:
                        seen(key)
                        stack[-1] = (node, index)
                        stack.append((child, 0))
                        break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def _accumulate(store: dict[int, Any], key: int, grad: Any) -> None:
    previous = store.get(key)
    store[key] = grad if previous is None else previous + grad


def _retain(retained: list[Any], grad: Tensor, create_graph: bool) -> None:
    """``.grad`` of the non-leaf tensors that called ``retain_grad()``: a copy of the first
    gradient (it must not share storage with what flows on, or with a leaf's ``.grad``), the
    sum of it and later ones, as for leaves (PyTorch accumulates retained gradients too)."""
    for ref in retained:
        tensor = ref()
        if tensor is None:
            continue
        new = grad if create_graph else grad.detach()
        if tensor.grad is None:
            tensor.grad = new.clone()
        elif create_graph:
            tensor.grad = tensor.grad + new
        else:
            tensor.grad = (tensor.grad + new).detach()


def run_backward(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Tensor],
    *,
    retain_graph: bool,
    create_graph: bool,
    inputs: Iterable[Tensor] | None = None,
    owned_grads: Sequence[bool] | None = None,
    stop_at_inputs: bool = False,
) -> dict[int, Tensor] | None:
    """Backpropagate ``grad_outputs`` from ``outputs``.

    With ``inputs=None`` gradients accumulate into the ``.grad`` of leaf tensors (what
    ``Tensor.backward`` does). Otherwise nothing is accumulated and the gradients of the given
    tensors are returned, keyed by ``id`` of the tensor (what ``autograd.grad`` does).
    ``owned_grads`` says which ``grad_outputs`` the caller made itself (a leaf may keep those
    as ``.grad`` without a copy); the others belong to the user. ``stop_at_inputs`` gives the
    partial derivatives with respect to ``inputs``: the walk does not go through them.
    """
    captured: dict[int, Tensor] | None = None
    wanted_nodes: dict[int, int] = {}
    wanted_leaves: set[int] = set()
    if inputs is not None:
        captured = {}
        for tensor in inputs:
            node = current_node(tensor)
            if node is not None:
                wanted_nodes[id(node)] = id(tensor)
            else:
                wanted_leaves.add(id(tensor))

    node_grads: dict[int, Any] = {}
    roots: list[Node] = []
    leaf_outputs: list[tuple[Tensor, Tensor, bool]] = []
    with set_grad_enabled(create_graph):
        for out, grad, owned in zip(outputs, grad_outputs, owned_grads or _never(outputs)):
            node = current_node(out)
            if node is None:
                if captured is not None and id(out) in wanted_leaves:
                    _accumulate(captured, id(out), grad)
                elif captured is None:
                    leaf_outputs.append((out, grad, owned))
                continue
            roots.append(node)
            _accumulate(node_grads, id(node), grad)

        order = _topological_order(roots, wanted_nodes if stop_at_inputs else ())
        pending = None  # leaves with hooks get one accumulation, after their last consumer
        if captured is None and _hooks.any_leaf_hooks():
            pending = _hooks.PendingLeaves(order, _accumulate_leaf, create_graph)
        for out, grad, owned in leaf_outputs:
            if pending is None:
                _accumulate_leaf(out, grad, create_graph, owned)
            else:
                pending.add(out, grad)
        node_hooks = _hooks.node_hook_table()  # hooks of non-leaf tensors, None when there are none
        # Nodes whose accumulated gradient the engine made itself (a sum, or a fresh gradient
        # of an op with an accumulate rule): nothing else holds it, so an op with an accumulate
        # rule may add into it in place. Not when the gradient gets a graph of its own.
        in_place = not create_graph
        engine_made: set[int] = set()
        # Leaves whose .grad this pass created: later gradients of the same leaf are summed
        # into it directly (PyTorch's input buffer), not through add_'s checks.
        fresh: dict[int, _FreshGrad] | None = {} if in_place else None
        for node in order:
            grad = node_grads.pop(id(node), None)
            if grad is None:
                continue
            if engine_made:
                engine_made.discard(id(node))
            if node_hooks is not None and node in node_hooks:
                grad = node_hooks[node].run_grad_hooks(grad)
            if node.retained:
                _retain(node.retained, grad, create_graph)
            if captured is not None and id(node) in wanted_nodes:
                _accumulate(captured, wanted_nodes[id(node)], grad)
                if stop_at_inputs:
                    continue  # a partial derivative: nothing flows through the inputs
            node_inputs = node.inputs
            assert node_inputs is not None
            if node.saved or node.output_version is not None:
                node.check_saved_versions()
            accumulate = getattr(node.op, "accumulate", None) if in_place else None
            input_grads: tuple[Tensor | None, ...] = ()
            if accumulate is None or not _added_in_place(
                node, node_inputs[0], accumulate, grad, node_grads, engine_made
            ):
                input_grads = node.op.backward(node, grad)
            for tensor, child, input_grad in zip(node_inputs, node.edges, input_grads):
                if input_grad is None or not tensor._requires_grad:
                    continue
                if input_grad._data.shape != tensor._data.shape:
                    raise RuntimeError(
                        f"internal error: backward of {node.op.name!r} returned a gradient of "
                        f"shape {input_grad.shape} for an input of shape {tensor.shape}"
                    )
                if child is not None:
                    key = id(child)
                    previous = node_grads.get(key)
                    if previous is not None:
                        node_grads[key] = previous + input_grad
                        if in_place:
                            engine_made.add(key)
                    else:
                        node_grads[key] = input_grad
                        if accumulate is not None:
                            engine_made.add(key)  # its backward built a fresh gradient
                elif tensor._node is not None:
                    continue  # recorded when it did not require grad; it has a grad_fn since
                elif captured is not None:
                    if id(tensor) in wanted_leaves:
                        _accumulate(captured, id(tensor), input_grad)
                elif pending is not None and pending.wants(tensor):
                    pending.add(tensor, input_grad)
                else:
                    first = False  # the pass's first gradient of a leaf without .grad or hooks
                    if fresh is not None:
                        entry = fresh.get(id(tensor))
                        if entry is not None and entry.add(tensor, input_grad):
                            continue
                        first = entry is None and tensor.grad is None and tensor._hooks is None
                    owned = _owned(input_grad, grad, input_grads, node_inputs)
                    _accumulate_leaf(tensor, input_grad, create_graph, owned)
                    if first:
                        fresh[id(tensor)] = _FreshGrad(tensor.grad)  # type: ignore[index]
            if pending is not None:
                pending.node_done(node)
            if not retain_graph:
                node.release()
        if pending is not None:
            pending.finish()
    return captured


class _FreshGrad:
    """A leaf's ``.grad`` made by the running backward pass, which later gradients of the same
    leaf are added to in place (PyTorch sums them in its input buffer first). The first of
    those goes through ``add_`` (its checks: a writable array, no self-overlap; the version
    counter); on a mutable backend the next ones are added into the same array by the backend
    with the counter bumped, without ``add_``'s per-call work. Anything a hook may have done to
    the gradient or the leaf meanwhile (replaced, required grad, made a view, hooked the leaf),
    or another backend, dtype or shape, takes the general path."""

    __slots__ = ("grad", "checked")

    def __init__(self, grad: Tensor | None) -> None:
        self.grad = grad
        self.checked = False

    def add(self, leaf: Tensor, more: Tensor) -> bool:
        """Add ``more`` into the leaf's gradient; False (nothing done) for the general path."""
        grad = self.grad
        if (
            grad is None
            or leaf.grad is not grad
            or leaf._hooks is not None
            or grad._requires_grad
            or grad._view is not None
            or grad._backend is not more._backend
            or grad._dtype is not more._dtype
            or grad._data.shape != more._data.shape
        ):
            return False
        if not self.checked:
            grad.add_(more)
            self.checked = bool(grad._backend.capabilities.mutable)
            return True
        grad._backend.binary_inplace("add", grad._data, more._data)
        counter = grad._counter
        if counter is not None:
            counter.value += 1
        return True


def _added_in_place(
    node: Node,
    tensor: Tensor,
    accumulate: Any,
    grad: Tensor,
    node_grads: dict[int, Any],
    engine_made: set[int],
) -> bool:
    """Whether ``node``'s op added the gradient of its input ``tensor`` into the gradient
    already accumulated for that input's node, in place (``accumulate``, its
    ``Op.accumulate_rule``; getitem's). Only into a gradient the engine owns, of the same
    backend and dtype."""
    child = node.edges[0]
    if child is None or id(child) not in engine_made or not tensor._requires_grad:
        return False
    into = node_grads.get(id(child))
    if into is None or into._backend is not grad._backend or into._dtype != grad._dtype:
        return False
    return bool(accumulate(node, grad, into))


def _never(outputs: Sequence[Any]) -> list[bool]:
    return [False] * len(outputs)


def _owned(
    candidate: Tensor, grad: Tensor, siblings: Sequence[Any], inputs: Sequence[Tensor]
) -> bool:
    """Whether a backward rule's result owns its memory, so a leaf may keep it as ``.grad``.

    A rule may pass its incoming gradient through (``add``), return one tensor for several
    inputs, return a view of another tensor (``reshape``) or a cached constant. Anything that
    was ever aliased has a version counter; only results that were not are known to be exclusive.
    """
    if candidate is grad or candidate._counter is not None or candidate._view is not None:
        return False
    count = 0
    for other in siblings:
        if other is candidate:
            count += 1
    if count != 1:
        return False
    for tensor in inputs:
        if tensor is candidate:
            return False
    return True


def _copy_for(leaf: Tensor, grad: Tensor) -> Tensor:
    """A copy of ``grad`` to become ``leaf.grad``: row-major when the leaf is and ``grad`` is not
    (PyTorch's AccumulateGrad gives a gradient the parameter's layout, so ``p.grad.view(-1)``
    works after ``x.t() @ w`` or ``x.permute(...)``), else in ``grad``'s own layout."""
    if not grad.is_contiguous() and leaf.is_contiguous():
        return grad.contiguous()
    return grad.clone()


def _accumulate_leaf(tensor: Tensor, grad: Tensor, create_graph: bool, owned: bool = False) -> None:
    """Add ``grad`` to a leaf's ``.grad`` (grad mode is already ``create_graph`` here).

    As PyTorch's ``AccumulateGrad``: a first gradient becomes ``.grad`` (copied unless nothing
    else references its memory, so an in-place update of one leaf's ``.grad`` — clipping, say —
    never reaches another tensor); later ones are added in place, so ``.grad`` keeps its identity
    across accumulation steps. With ``create_graph`` the sum is recorded instead. The leaf's
    hooks (``register_hook``) see the gradient first; its post-accumulate hooks run after.
    """
    if tensor._dtype.category != 2:  # requires_grad set by assignment on an integer tensor
        raise RuntimeError(
            f"only floating point tensors can require gradients, but a {tensor._dtype} leaf "
            "has requires_grad=True; convert it first, e.g. t = t.float().requires_grad_()"
        )
    hooks = tensor._hooks
    if hooks:
        grad = hooks.run_grad_hooks(grad)
        owned = False  # a hook may return any tensor
    previous = tensor.grad
    if create_graph:
        tensor.grad = grad if previous is None else previous + grad
    elif previous is None:
        tensor.grad = grad if owned and grad._node is None else _copy_for(tensor, grad.detach())
    elif previous.requires_grad:
        tensor.grad = previous.detach() + grad
    else:
        previous.add_(grad)
    if hooks:
        hooks.run_post_hooks(tensor)
