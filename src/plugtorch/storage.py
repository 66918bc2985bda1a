"""How tensors share memory: version counters, view records and functionalized storage.

PyTorch's observable rules, which plugtorch follows on every backend:

* A *view* (``view``, basic indexing, ``transpose``, ``expand``, ``split``, ...) shares its
  base's memory: a write through the view is seen through the base and every other view, and
  the reverse. ``.data``, ``.detach()``, ``state_dict()`` values and ``Parameter(t)`` share
  memory too, without being views for autograd.
* Every group of aliases that autograd can see shares one :class:`VersionCounter`; each
  in-place write bumps it. A backward rule whose saved tensor changed since it was saved
  raises instead of computing a wrong gradient. ``.data`` gets a counter of its own (PyTorch's
  documented difference between ``.data`` and ``.detach()``).

How the memory is shared depends on the backend (``Capabilities.mutable``):

* *Mutable* backends (numpy, numba, cupy) have strided arrays whose view primitives return
  real views; a write goes into the memory and every alias sees it for free.
* *Immutable* backends (any array-API library through the generic adapter, JAX-like
  libraries) have arrays that are values. For them the core keeps a :class:`Storage`: the
  root array and every live alias with the chain of view steps that derives it from the root.
  A write computes the new root functionally (the inverse of each view step, as PyTorch's
  functionalization pass does for XLA) and refreshes every alias's array.

This module holds the records only; the writes themselves live in ``plugtorch.ops.inplace``.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Iterator

from plugtorch.autograd import grad_mode

if TYPE_CHECKING:
    from plugtorch.tensor import Tensor

__all__ = [
    "VersionCounter",
    "ViewInfo",
    "Storage",
    "Step",
    "counter_of",
    "register_view",
    "share_memory",
    "CONSTANT_COUNTER",
]

Step = tuple[Any, dict[str, Any]]
"""One view step: ``(op, params)`` where ``op`` is a view op of ``plugtorch.ops`` (it has a
``forward`` on arrays and a ``scatter`` that writes a view's new value back into its input)."""


class VersionCounter:
    """How many in-place writes an alias group has seen (PyTorch's ``tensor._version``)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


class ViewInfo:
    """What makes a tensor a view for autograd: its root ``base`` and the steps from it.

    ``version`` is the base's version when the view's ``grad_fn`` was made: an in-place write
    on the base or on another view makes it stale, and the view's ``grad_fn`` is rebuilt from
    the base (as PyTorch regenerates the ``grad_fn`` of views). ``creator`` names the op when
    the view came from a function returning several views (``split``, ``chunk``, ``unbind``),
    whose outputs PyTorch forbids to modify in place while they require grad; ``no_grad``
    records a view made under ``no_grad()`` of a base that requires grad.
    """

    __slots__ = ("base", "chain", "version", "creator", "no_grad")

    def __init__(
        self,
        base: Tensor,
        chain: tuple[Step, ...],
        version: int,
        creator: str | None = None,
        no_grad: bool = False,
    ) -> None:
        self.base = base
        self.chain = chain
        self.version = version
        self.creator = creator
        self.no_grad = no_grad


class Storage:
    """The memory of an alias group on an immutable backend (functionalization).

    ``array`` is the root array; every alias is registered with the chain of view steps that
    derives its array from the root. Entries hold weak references, so an alias that dies
    leaves by itself.
    """

    __slots__ = ("array", "_aliases", "__weakref__")

    def __init__(self, array: Any) -> None:
        self.array = array
        self._aliases: dict[int, tuple[weakref.ref[Tensor], tuple[Step, ...]]] = {}

    def register(self, tensor: Tensor, chain: tuple[Step, ...]) -> None:
        """Make ``tensor`` an alias whose array is ``chain`` applied to the root array."""
        key = id(tensor)
        aliases = self._aliases
        storage_ref = weakref.ref(self)

        def forget(_: Any, key: int = key) -> None:
            storage = storage_ref()
            if storage is not None:
                storage._aliases.pop(key, None)

        aliases[key] = (weakref.ref(tensor, forget), chain)

    def unregister(self, tensor: Tensor) -> None:
        """``tensor`` no longer aliases this memory (``t.data = other``)."""
        self._aliases.pop(id(tensor), None)

    def chain_of(self, tensor: Tensor) -> tuple[Step, ...]:
        """The view steps from the root array to ``tensor``'s array."""
        entry = self._aliases.get(id(tensor))
        if entry is None or entry[0]() is not tensor:
            raise RuntimeError("internal error: tensor is not registered with this storage")
        return entry[1]

    def aliases(self) -> Iterator[tuple[Tensor, tuple[Step, ...]]]:
        """Every live alias with its chain."""
        for ref, chain in list(self._aliases.values()):
            tensor = ref()
            if tensor is not None:
                yield tensor, chain


CONSTANT_COUNTER = VersionCounter()
"""The counter of the core's cached scalar constants: their arrays are shared by many tensors,
so they count as aliased (nothing writes to them; a backward result holding one is copied
before it becomes a ``.grad``)."""


def counter_of(tensor: Tensor) -> VersionCounter:
    """``tensor``'s version counter, made on first use."""
    counter = tensor._counter
    if counter is None:
        counter = tensor._counter = VersionCounter()
    return counter


def share_memory(alias: Tensor, source: Tensor) -> None:
    """Make ``alias`` (whose ``_data`` is ``source``'s array) an alias on immutable backends.

    Mutable backends share memory through the array itself; nothing to record there.
    """
    if source._backend.capabilities.mutable:
        return
    storage = source._storage
    if storage is None:
        storage = source._storage = Storage(source._data)
        storage.register(source, ())
    storage.register(alias, storage.chain_of(source))
    alias._storage = storage


def register_view(base: Tensor, out: Tensor, op: Any, params: dict[str, Any]) -> None:
    """Record that ``out``, just made from ``base`` by the view op ``op``, is a view of it.

    ``out`` shares ``base``'s version counter and, on immutable backends, its storage; its
    ``ViewInfo`` names the root base (a view of a view is a view of the root, as in PyTorch).
    """
    counter = base._counter
    if counter is None:
        counter = base._counter = VersionCounter()
    out._counter = counter
    step = (op, params)
    parent = base._view
    chain: tuple[Step, ...]
    if parent is None:
        root, chain = base, (step,)
    else:
        root, chain = parent.base, parent.chain + (step,)
    out._view = ViewInfo(
        root,
        chain,
        counter.value,
        None,
        root.requires_grad and not grad_mode._state.enabled,
    )
    if not base._backend.capabilities.mutable:
        storage = base._storage
        if storage is None:
            storage = base._storage = Storage(base._data)
            storage.register(base, ())
        storage.register(out, storage.chain_of(base) + (step,))
        out._storage = storage
