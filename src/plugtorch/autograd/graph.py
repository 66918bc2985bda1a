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

from typing import TYPE_CHECKING, Any, Iterable, Sequence

from plugtorch.autograd import hooks as _hooks
from plugtorch.autograd.grad_mode import set_grad_enabled

if TYPE_CHECKING:
    from plugtorch.ops.registry import Op
    from plugtorch.tensor import Tensor

__all__ = ["Node", "run_backward"]


class Node:
    """One recorded operation: ``op``, its ``inputs`` and ``params`` (the backward ``ctx``)."""

    __slots__ = ("op", "inputs", "params", "saved_output", "output_meta", "retained", "__weakref__")

    def __init__(
        self,
        op: Op,
        inputs: tuple[Tensor, ...],
        params: dict[str, Any] | None,
        saved_output: Any,
        output_meta: tuple[Any, Any, Any],
    ) -> None:
        self.op = op
        self.inputs: tuple[Tensor, ...] | None = inputs
        self.params = params
        self.saved_output = saved_output
        self.output_meta = output_meta  # (backend, dtype, shape) of the output
        self.retained: list[Any] | None = None  # weakrefs of tensors that called retain_grad()

    @property
    def name(self) -> str:
        return self.op.name

    @property
    def output(self) -> Tensor:
        """The op's output as a tensor whose ``grad_fn`` is this node (for backward rules)."""
        from plugtorch.tensor import Tensor

        if self.saved_output is None:
            raise RuntimeError(
                f"the backward rule of {self.op.name!r} asked for ctx.output, but the op was "
                "declared without saves_output=True"
            )
        backend, dtype, _ = self.output_meta
        out = Tensor._make(self.saved_output, backend, dtype, requires_grad=True)
        out._node = self
        return out

    def release(self) -> None:
        """Drop what backward needs, after a backward pass without ``retain_graph``."""
        self.inputs = None
        self.saved_output = None
        self.params = None

    def __repr__(self) -> str:
        camel = "".join(part.capitalize() for part in self.op.name.split("_"))
        return f"<{camel}Backward0>"


def _topological_order(roots: Sequence[Node]) -> list[Node]:
    """Nodes reachable from ``roots``, each after every node that consumes its output."""
    order: list[Node] = []
    visited: set[int] = set()
    for root in roots:
        if id(root) in visited:
            continue
        visited.add(id(root))
        stack: list[tuple[Node, int]] = [(root, 0)]
        while stack:
            node, index = stack[-1]
            inputs = node.inputs
            if inputs is None:
                raise RuntimeError(
                    f"trying to backward through the graph a second time (through "
                    f"{node.op.name!r}); its saved values were freed after the first backward. "
                    "Pass retain_graph=True to the first backward() if you need to go twice."
                )
            while index < len(inputs):
                child = inputs[index]._node
                index += 1
                if child is not None and id(child) not in visited:
                    visited.add(id(child))
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


def run_backward(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Tensor],
    *,
    retain_graph: bool,
    create_graph: bool,
    inputs: Iterable[Tensor] | None = None,
) -> dict[int, Tensor] | None:
    """Backpropagate ``grad_outputs`` from ``outputs``.

    With ``inputs=None`` gradients accumulate into the ``.grad`` of leaf tensors (what
    ``Tensor.backward`` does). Otherwise nothing is accumulated and the gradients of the given
    tensors are returned, keyed by ``id`` of the tensor (what ``autograd.grad`` does).
    """
    captured: dict[int, Tensor] | None = None
    wanted_nodes: dict[int, int] = {}
    wanted_leaves: set[int] = set()
    if inputs is not None:
        captured = {}
        for tensor in inputs:
            if tensor._node is not None:
                wanted_nodes[id(tensor._node)] = id(tensor)
            else:
                wanted_leaves.add(id(tensor))

    node_grads: dict[int, Any] = {}
    roots: list[Node] = []
    leaf_outputs: list[tuple[Tensor, Tensor]] = []
    with set_grad_enabled(create_graph):
        for out, grad in zip(outputs, grad_outputs):
            if out._node is None:
                if captured is not None and id(out) in wanted_leaves:
                    _accumulate(captured, id(out), grad)
                elif captured is None:
                    leaf_outputs.append((out, grad))
                continue
            roots.append(out._node)
            _accumulate(node_grads, id(out._node), grad)

        order = _topological_order(roots)
        pending = None  # leaves with hooks get one accumulation, after their last consumer
        if captured is None and _hooks.any_leaf_hooks():
            pending = _hooks.PendingLeaves(order, _accumulate_leaf, create_graph)
        for out, grad in leaf_outputs:
            if pending is None:
                _accumulate_leaf(out, grad, create_graph)
            else:
                pending.add(out, grad)
        node_hooks = _hooks.node_hook_table()  # hooks of non-leaf tensors, None when there are none
        for node in order:
            grad = node_grads.pop(id(node), None)
            if grad is None:
                continue
            if node_hooks is not None and node in node_hooks:
                grad = node_hooks[node].run_grad_hooks(grad)
            if node.retained:
                for ref in node.retained:
                    tensor = ref()
                    if tensor is not None:
                        tensor.grad = grad if create_graph else grad.detach()
            if captured is not None and id(node) in wanted_nodes:
                _accumulate(captured, wanted_nodes[id(node)], grad)
            node_inputs = node.inputs
            assert node_inputs is not None
            input_grads = node.op.backward(node, grad)
            for tensor, input_grad in zip(node_inputs, input_grads):
                if input_grad is None or not tensor.requires_grad:
                    continue
                if input_grad._data.shape != tensor._data.shape:
                    raise RuntimeError(
                        f"internal error: backward of {node.op.name!r} returned a gradient of "
                        f"shape {input_grad.shape} for an input of shape {tensor.shape}"
                    )
                child = tensor._node
                if child is not None:
                    key = id(child)
                    previous = node_grads.get(key)
                    node_grads[key] = input_grad if previous is None else previous + input_grad
                elif captured is not None:
                    if id(tensor) in wanted_leaves:
                        _accumulate(captured, id(tensor), input_grad)
                elif pending is not None and pending.wants(tensor):
                    pending.add(tensor, input_grad)
                else:
                    _accumulate_leaf(tensor, input_grad, create_graph)
            if pending is not None:
                pending.node_done(node)
            if not retain_graph:
                node.release()
        if pending is not None:
            pending.finish()
    return captured


def _accumulate_leaf(tensor: Tensor, grad: Tensor, create_graph: bool) -> None:
    """Add ``grad`` to a leaf's ``.grad`` (grad mode is already ``create_graph`` here)."""
    if tensor._dtype.category != 2:  # requires_grad set by assignment on an integer tensor
        raise RuntimeError(
            f"only floating point tensors can require gradients, but a {tensor._dtype} leaf "
            "has requires_grad=True; convert it first, e.g. t = t.float().requires_grad_()"
        )
    hooks = tensor._hooks
    if hooks:
        grad = hooks.run_grad_hooks(grad)
    if not create_graph:
        # A fresh tensor object per leaf: one gradient can reach several leaves (x + y), and an
        # in-place update of one leaf's .grad (clipping, say) must not change another's.
        grad = grad.detach()
    previous = tensor.grad
    tensor.grad = grad if previous is None else previous + grad
    if hooks:
        hooks.run_post_hooks(tensor)
