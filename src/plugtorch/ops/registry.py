"""The op registry: one declaration per differentiable op, and the dispatcher that runs it.

An :class:`Op` holds everything about one operation in one place: its name, its forward
(written in backend primitives, on backend arrays), its backward rule (written with
differentiable tensor ops, so gradients of gradients work), whether the rule needs the output,
and a docstring. Declare one with the :func:`op` decorator and attach its rule with
``@my_op.derivative``::

    @op("exp", saves_output=True)
    def exp_op(backend, x):
        "e**x elementwise."
        return backend.exp(x)

    @exp_op.derivative
    def _(ctx, grad):
        return (grad * ctx.output,)  # d/dx e**x = e**x

:func:`apply` runs an op on tensors that already agree in backend, dtype and shape (the public
functions in ``plugtorch.ops`` make them agree) and records a graph node when needed.
"""

from __future__ import annotations

from typing import Any, Callable, Concatenate, overload

from plugtorch.autograd import grad_mode
from plugtorch.autograd.graph import Node, current_node, run_backward
from plugtorch.backend.protocol import AcceleratedBackend, Backend
from plugtorch.storage import VersionCounter, register_view
from plugtorch.tensor import Tensor

__all__ = [
    "Op",
    "op",
    "apply",
    "apply_with_state",
    "primitive_of",
    "gradient_through",
    "REGISTRY",
    "PROFILE_HOOKS",
    "mixed_backend_error",
]

# A forward takes the backend first, typed with the protocol, so that a type checker checks every
# primitive call against it: the required primitives (``Backend``), or for an op declared with
# ``primitive=`` also the optional ones (``AcceleratedBackend``: ``apply`` runs that forward only
# on a backend that declares the primitive). A forward of required primitives is an
# ``AcceleratedForward`` too (it asks less of the backend).
Forward = Callable[Concatenate[Backend, ...], Any]
AcceleratedForward = Callable[Concatenate[AcceleratedBackend, ...], Any]
BackwardPrimitiveCall = Callable[[AcceleratedBackend, Node, Tensor, tuple[bool, ...]], Any]
Backward = Callable[[Node, "Tensor"], tuple["Tensor | None", ...]]

REGISTRY: dict[str, "Op"] = {}

# Empty unless plugtorch.profiler is recording: then it holds the profiler's op hook, which
# times the op and calls apply again (the hook answers None to that call so the op runs).
PROFILE_HOOKS: list[Callable[..., "Tensor | None"]] = []


class Op:
    """A differentiable operation: forward in primitives, backward rule beside it.

    ``needs`` says which input values the backward rule reads, per input: ``needs[i]`` lists the
    inputs that the gradient of input ``i`` is computed from (``mul``: ``((1,), (0,))``). Those,
    for the inputs that require grad, are the op's *saved tensors*: an in-place write to one of
    them before ``backward`` raises PyTorch's "modified by an inplace operation" error instead
    of giving a wrong gradient. ``None`` means every input (the safe default for a new op).

    A *view* op (``view=True``) returns an array sharing its input's memory; ``scatter`` is its
    inverse for writes: ``scatter(backend, input_array, new_view_array, **params)`` returns the
    input array with the view's elements replaced (used by backends whose arrays are values,
    and for the gradient of an in-place write through the view).
    """

    __slots__ = (
        "name",
        "forward",
        "backward",
        "saves_output",
        "differentiable",
        "doc",
        "needs",
        "view",
        "scatter",
        "layout",
        "primitive",
        "state",
        "fallback_forward",
        "decompose",
        "backward_primitive_name",
        "backward_primitive_call",
        "accumulate",
        "saved_by_mask",
    )

    def __init__(
        self,
        name: str,
        forward: AcceleratedForward,
        saves_output: bool,
        differentiable: bool,
        needs: tuple[tuple[int, ...], ...] | None = None,
        view: bool = False,
        primitive: str | None = None,
        state: bool = False,
    ):
        self.name = name
        self.forward = forward
        self.saves_output = saves_output
        self.differentiable = differentiable
        self.doc = (forward.__doc__ or "").strip()
        self.backward: Backward = _no_backward(name)
        self.needs = needs
        self.view = view
        self.scatter: Forward | None = None
        self.layout: Callable[..., Any] | None = None
        self.primitive = primitive
        """The optional backend primitive computing the forward (``OPTIONAL_PRIMITIVES``)."""
        self.state = state
        """Whether the primitive may return ``(output, state)`` for its backward primitive."""
        self.fallback_forward: Forward | None = None
        self.decompose: Callable[..., Tensor] | None = None
        self.backward_primitive_name: str | None = None
        self.backward_primitive_call: BackwardPrimitiveCall | None = None
        self.accumulate: Callable[[Any, Tensor, Tensor], bool] | None = None
        self.saved_by_mask: dict[int, tuple[int, ...]] = {}
        """The saved inputs' positions by which inputs require grad (bit i: input i), as
        ``needs`` gives them: filled on first use of each combination (see ``_recorded``)."""

    def fallback(self, forward: Forward) -> Forward:
        """Decorator: the forward in required primitives, for backends without the primitive
        (the op keeps its node and backward rule)."""
        self.fallback_forward = forward
        return forward

    def decomposition(self, composite: Callable[..., Tensor]) -> Callable[..., Tensor]:
        """Decorator: the op in differentiable tensor ops, ``composite(*tensors, **params)``.

        It runs instead of the op on backends without the primitive, and is the op's gradient
        (unless a backward primitive is declared and no graph of the gradient is built)."""
        self.decompose = composite
        self.backward = _gradient_of_primitive_op
        return composite

    def backward_primitive(
        self, name: str
    ) -> Callable[[BackwardPrimitiveCall], BackwardPrimitiveCall]:
        """Decorator: how to call the backend's backward primitive ``name``:
        ``call(backend, ctx, grad, needs_input_grad) -> tuple of arrays (or None)``."""

        def attach(call: BackwardPrimitiveCall) -> BackwardPrimitiveCall:
            self.backward_primitive_name = name
            self.backward_primitive_call = call
            return call

        return attach

    def derivative(self, rule: Backward) -> Backward:
        """Decorator: attach the backward rule ``rule(ctx, grad) -> tuple of input grads``."""
        self.backward = rule
        return rule

    def accumulate_rule(
        self, rule: Callable[[Any, Tensor, Tensor], bool]
    ) -> Callable[[Any, Tensor, Tensor], bool]:
        """Decorator for a one-input op whose input gradient is zero but for a part (getitem):
        ``rule(ctx, grad, into) -> bool`` adds that gradient into ``into``, a gradient the
        engine accumulates and owns, in place (True), or declines (False: the engine calls the
        backward rule and adds). Used when no graph of the gradient is built; the backward rule
        stays the definition, and must return a fresh tensor (the engine then owns it and adds
        later pieces into it)."""
        self.accumulate = rule
        return rule

    def inverse(self, scatter: Forward) -> Forward:
        """Decorator for a view op: attach ``scatter(backend, base, value, **params)``."""
        self.scatter = scatter
        return scatter

    def layout_rule(self, rule: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator for a view op: attach its stride arithmetic,
        ``rule((shape, strides, offset), **params) -> (shape, strides, offset)``."""
        self.layout = rule
        return rule

    def __repr__(self) -> str:
        return f"<plugtorch op {self.name}>"


def _no_backward(name: str) -> Backward:
    def rule(ctx: Node, grad: Tensor) -> tuple[Tensor | None, ...]:
        raise RuntimeError(f"{name!r} has no backward rule")

    return rule


@overload
def op(
    name: str,
    *,
    saves_output: bool = False,
    differentiable: bool = True,
    needs: tuple[tuple[int, ...], ...] | None = None,
    view: bool = False,
    primitive: None = None,
    state: bool = False,
) -> Callable[[Forward], Op]: ...


@overload
def op(
    name: str,
    *,
    saves_output: bool = False,
    differentiable: bool = True,
    needs: tuple[tuple[int, ...], ...] | None = None,
    view: bool = False,
    primitive: str,
    state: bool = False,
) -> Callable[[AcceleratedForward], Op]: ...


def op(
    name: str,
    *,
    saves_output: bool = False,
    differentiable: bool = True,
    needs: tuple[tuple[int, ...], ...] | None = None,
    view: bool = False,
    primitive: str | None = None,
    state: bool = False,
) -> Callable[[AcceleratedForward], Op]:
    """Declare an op from its forward ``f(backend, *arrays, **params) -> array`` (for an
    accelerated op: the call of its optional ``primitive``; the forward's backend is then typed
    ``AcceleratedBackend``, every other one ``Backend``)."""

    def register(forward: AcceleratedForward) -> Op:
        if name in REGISTRY:
            raise ValueError(f"op {name!r} is declared twice")
        declared = Op(name, forward, saves_output, differentiable, needs, view, primitive, state)
        REGISTRY[name] = declared
        return declared

    return register


def mixed_backend_error(name: str, a: Any, b: Any) -> RuntimeError:
    return RuntimeError(
        f"{name}: expected all tensors on one backend, but found tensors on {a.name!r} and "
        f"{b.name!r}. Move one explicitly, e.g. `t.to({a.name!r})`; plugtorch never copies "
        "between backends silently."
    )


def apply(
    op: Op,
    inputs: tuple[Tensor, ...],
    dtype: Any,
    /,
    _state_out: list[Any] | None = None,
    **params: Any,
) -> Tensor:
    """Run ``op`` on ``inputs`` (same backend) and record a node when gradients are needed.

    ``dtype`` is the output's plugtorch dtype (the caller applied the op's dtype rule). An
    accelerated op runs its primitive when the backend declares it, else its fallback forward
    or its decomposition (see the module docstring); :func:`apply_with_state` also returns the
    state its primitive returned.
    """
    if PROFILE_HOOKS:  # the one check profiling costs when it is off
        profiled = PROFILE_HOOKS[0](op, inputs, dtype, params)
        if profiled is not None:
            return profiled
    # The one place the optional protocol is assumed: ``op.forward`` calls ``op.primitive``
    # only when the backend declares it (tested here), else the fallback (required primitives)
    # or the decomposition runs.
    backend: AcceleratedBackend = inputs[0]._backend
    forward = op.forward
    if op.primitive is not None and op.primitive not in backend.capabilities.primitives:
        if op.decompose is not None:
            return op.decompose(*inputs, **params)
        if op.fallback_forward is None:
            raise RuntimeError(f"op {op.name!r} has neither a decomposition nor a fallback")
        forward = op.fallback_forward
    if len(inputs) == 1:
        arrays: Any = (inputs[0]._data,)
    elif len(inputs) == 2:  # most ops: no list built, no loop
        second = inputs[1]
        if second._backend is not backend:
            raise mixed_backend_error(op.name, backend, second._backend)
        arrays = (inputs[0]._data, second._data)
    else:
        for tensor in inputs:
            if tensor._backend is not backend:
                raise mixed_backend_error(op.name, backend, tensor._backend)
        arrays = [t._data for t in inputs]
    data = forward(backend, *arrays, **params) if params else forward(backend, *arrays)
    state = None
    if op.state and type(data) is tuple:
        data, state = data
        if _state_out is not None:
            _state_out.append(state)
    needs_grad = False
    nondiff = None
    if grad_mode._state.enabled:
        for tensor in inputs:
            if tensor._requires_grad:
                needs_grad = True
                break
            if tensor._nondiff is not None:
                nondiff = tensor._nondiff  # remembered so backward() can say why
    if not needs_grad:
        out = Tensor._make(data, backend, dtype)
        out._nondiff = nondiff
    elif not (op.differentiable and dtype.category == 2):  # floating outputs only
        out = Tensor._make(data, backend, dtype)
        out._nondiff = op.name
    else:
        out = Tensor._make(data, backend, dtype, requires_grad=True)
        edges, saved = _recorded(op, inputs)
        node = Node(
            op, inputs, params or None, data if op.saves_output else None, (backend, dtype),
            edges, saved,
        )  # fmt: skip
        node.state = state
        if op.saves_output:
            counter = out._counter = VersionCounter()
            node.output_version = (counter, 0)
        out._node = node
    if op.view:
        register_view(inputs[0], out, op, params)
    return out


def apply_with_state(
    op: Op, inputs: tuple[Tensor, ...], dtype: Any, /, **params: Any
) -> tuple[Tensor, Any]:
    """:func:`apply`, also returning the state the op's primitive returned (``None`` when the
    backend lacks the primitive: max pooling's ``return_indices`` then computes its argmax)."""
    box: list[Any] = []
    out = apply(op, inputs, dtype, box, **params)
    return out, (box[0] if box else None)


def primitive_of(backend: Backend, name: str) -> Callable[..., Any] | None:
    """The backend's optional primitive ``name`` when it declares it, else None (for code that
    is not an op: the optimizers' fused updates)."""
    return getattr(backend, name) if name in backend.capabilities.primitives else None


def _gradient_of_primitive_op(ctx: Node, grad: Tensor) -> tuple[Tensor | None, ...]:
    """The backward of an op computed by its primitive: the backward primitive when declared
    and no graph of the gradient is being built, else autograd through the decomposition."""
    op = ctx.op
    inputs = ctx.inputs
    assert isinstance(op, Op) and inputs is not None and op.decompose is not None
    backend: AcceleratedBackend = grad._backend  # its backward primitive: called if declared
    needs = tuple(t.requires_grad for t in inputs)
    name = op.backward_primitive_name
    call = op.backward_primitive_call
    if (
        name is not None
        and call is not None
        and name in backend.capabilities.primitives
        and not grad_mode._state.enabled
    ):
        arrays = call(backend, ctx, grad, needs)
        return tuple(
            Tensor._make(a, backend, grad._dtype) if a is not None and need else None
            for a, need in zip(arrays, needs)
        )
    return gradient_through(op.decompose, inputs, ctx.params or {}, grad)


class _Identity:
    """An identity step marking where a gradient through a decomposition stops (its input)."""

    name = "identity"

    def backward(self, node: Node, grad: Tensor) -> tuple[Tensor]:
        return (grad,)


_IDENTITY = _Identity()


def gradient_through(
    composite: Callable[..., Tensor],
    inputs: tuple[Tensor, ...],
    params: dict[str, Any],
    grad: Tensor,
) -> tuple[Tensor | None, ...]:
    """``d composite(*inputs) / d inputs`` contracted with ``grad`` (partial derivatives).

    Without a graph of the gradient (the usual backward) the decomposition runs on fresh leaves
    holding the inputs' values. With one (``create_graph``), on identity steps of the inputs
    where the inner backward stops, so the gradient stays a function of the inputs.
    """
    building = grad_mode._state.enabled
    proxies: list[Tensor] = []
    for tensor in inputs:
        if not tensor.requires_grad:
            proxy = Tensor._make(tensor._data, tensor._backend, tensor._dtype)
        elif building:
            proxy = Tensor._make(tensor._data, tensor._backend, tensor._dtype, True)
            proxy._node = Node(
                _IDENTITY,
                (tensor,),
                None,
                None,
                (tensor._backend, tensor._dtype),
                (current_node(tensor),),
            )
        else:
            proxy = Tensor._make(tensor._data, tensor._backend, tensor._dtype, True)
        proxies.append(proxy)
    with grad_mode.set_grad_enabled(True):
        out = composite(*proxies, **params)
    wanted = [p for p in proxies if p.requires_grad]
    # With a graph of the gradient, the decomposition's nodes are part of it: keep them.
    captured = run_backward(
        [out], [grad], retain_graph=building, create_graph=building, inputs=wanted,
        stop_at_inputs=True,
    )  # fmt: skip
    assert captured is not None
    return tuple(captured.get(id(p)) if p.requires_grad else None for p in proxies)


def _edges(inputs: tuple[Tensor, ...]) -> tuple[Node | None, ...]:
    """Each input's node now (a view made stale by an in-place write gets a fresh one)."""
    return tuple([t._node if t._view is None else current_node(t) for t in inputs])


def _recorded(
    op: Op, inputs: tuple[Tensor, ...]
) -> tuple[tuple[Node | None, ...], tuple[tuple[Tensor, int], ...] | None]:
    """A new node's edges (:func:`_edges`) and saved inputs: those the backward rule will read
    (``op.needs`` for the inputs that require grad), each with its version now. One call per
    recorded op, the one- and two-input cases without a loop."""
    count = len(inputs)
    if count == 2:
        a, b = inputs
        edges: tuple[Node | None, ...] = (
            a._node if a._view is None else current_node(a),
            b._node if b._view is None else current_node(b),
        )
        mask = a._requires_grad + 2 * b._requires_grad
    elif count == 1:
        a = inputs[0]
        edges = (a._node if a._view is None else current_node(a),)
        mask = 1
    else:
        edges = _edges(inputs)
        mask = 0
        for index, tensor in enumerate(inputs):
            if tensor._requires_grad:
                mask |= 1 << index
    needs = op.needs
    if needs is None:
        chosen: Any = inputs
    elif not needs:
        return edges, None
    else:
        positions = op.saved_by_mask.get(mask)
        if positions is None:
            positions = op.saved_by_mask[mask] = _saved_positions(needs, mask)
        if len(positions) == 1:
            t = inputs[positions[0]]
            return edges, ((t, 0 if t._counter is None else t._counter.value),)
        chosen = [inputs[i] for i in positions]
    return edges, tuple([(t, 0 if t._counter is None else t._counter.value) for t in chosen])


def _saved_positions(needs: tuple[tuple[int, ...], ...], mask: int) -> tuple[int, ...]:
    """The inputs that the gradients of the inputs in ``mask`` (bit i: input i) are computed
    from, in order."""
    wanted: set[int] = set()
    for index, reads in enumerate(needs):
        if mask >> index & 1:
            wanted.update(reads)
    return tuple(sorted(wanted))
