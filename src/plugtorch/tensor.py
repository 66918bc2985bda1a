"""``Tensor``: an array on some backend, plus what autograd needs.

A tensor holds a backend array (``_data``), the backend, its plugtorch dtype, and for autograd
``requires_grad``, ``grad`` and the graph node that made it (``grad_fn``). Its methods are thin
forwards to the functions in :mod:`plugtorch.ops`, where every op is declared once.

The ops build tensors, so they import this module; this module does not import them. Its
methods reach them at call time through the package root, ``plugtorch.ops.<name>``: the root
package is always loaded before any of its modules, so the reference exists from the start and
resolves once the ops are loaded (docs/architecture.md, "Layers").
"""

from __future__ import annotations

import builtins
import math
import weakref
from typing import TYPE_CHECKING, Any, Callable, Iterator, TypeVar

import numpy as np

import plugtorch  # the layers above, at call time: plugtorch.ops (see the module docstring)
from plugtorch import dtypes
from plugtorch._array_api_methods import ArrayAPIMethods
from plugtorch._math_methods import MathMethods
from plugtorch._sorting_methods import SortingMethods
from plugtorch._surface_methods import SurfaceMethods
from plugtorch._tensor_methods import TensorMethods
from plugtorch.autograd import grad_mode
from plugtorch.autograd import hooks as _tensor_hooks
from plugtorch.autograd.functional import backward as autograd_backward
from plugtorch.autograd.graph import current_node
from plugtorch.device import Device
from plugtorch.device import resolve as resolve_device
from plugtorch.formatting import tensor_repr
from plugtorch.storage import VersionCounter, counter_of, share_memory

if TYPE_CHECKING:
    from plugtorch.autograd.graph import Node
    from plugtorch.autograd.hooks import RemovableHandle, TensorHooks
    from plugtorch.storage import Storage, ViewInfo

__all__ = ["Tensor", "Device"]

_T = TypeVar("_T", bound="Tensor")


class _Size(int):
    """The element count that is also callable: ``t.size() == t.shape``, ``t.size(0)``."""

    shape: tuple[int, ...]

    def __new__(cls, count: int, shape: tuple[int, ...]) -> _Size:
        self = super().__new__(cls, count)
        self.shape = shape
        return self

    def __call__(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.shape[dim]


class Tensor(MathMethods, TensorMethods, SortingMethods, ArrayAPIMethods, SurfaceMethods):
    """A multi-dimensional array with autograd, PyTorch-style.

    >>> import plugtorch as pt
    >>> x = pt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
    """

    __slots__ = (
        "_data",
        "_backend",
        "_dtype",
        "_requires_grad",
        "grad",
        "_node",
        "_nondiff",
        "_hooks",
        "_counter",
        "_view",
        "_storage",
        "__weakref__",
    )
    _data: Any
    _backend: Any
    _dtype: dtypes.DType
    _requires_grad: builtins.bool
    grad: Tensor | None
    _node: Node | None
    _nondiff: str | None
    _hooks: TensorHooks | None  # backward hooks of a leaf (autograd/hooks.py)
    _counter: VersionCounter | None
    """Shared by every alias autograd can see; ``None`` until the tensor is aliased or written."""
    _view: ViewInfo | None
    """Set when this tensor is a view: its root base and the view steps from it."""
    _storage: Storage | None
    """Set on immutable backends once the tensor has aliases (see ``plugtorch.storage``)."""
    __array_priority__ = 1000  # numpy defers to our reflected operators

    # Every way to build a tensor ends in _make, the one place that sets every slot:
    # Tensor(data) and the subclasses' constructors (Parameter, Buffer) work in __new__.
    def __new__(cls: type[_T], data: Any = None, *, dtype: Any = None, backend: Any = None) -> _T:
        made = plugtorch.ops.creation.tensor(
            [] if data is None else data, dtype=dtype or dtypes.get_default_dtype(), backend=backend
        )
        return cls._make(made._data, made._backend, made._dtype)

    @classmethod
    def _alias(cls: type[_T], source: Tensor) -> _T:
        """A new tensor aliasing ``source`` (``Parameter(t)``, ``Buffer(t)``): the same memory
        and version counter, no autograd history."""
        self = cls._make(source._data, source._backend, source._dtype)
        self._counter = counter_of(source)
        share_memory(self, source)
        return self

    @classmethod
    def _make(
        cls: type[_T],
        data: Any,
        backend: Any,
        dtype: dtypes.DType,
        requires_grad: builtins.bool = False,
    ) -> _T:
        """Wrap a backend array (no copy, no checks): the constructor ops use."""
        self = object.__new__(cls)
        self._data = data
        self._backend = backend
        self._dtype = dtype
        self._requires_grad = requires_grad
        self.grad = None
        self._node = None
        self._nondiff = None
        self._hooks = None
        self._counter = None
        self._view = None
        self._storage = None
        return self

    # --- metadata ----------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape  # the array API makes this a tuple of ints

    @property
    def size(self) -> _Size:
        """Both spellings at once: ``t.size()`` / ``t.size(dim)`` as in PyTorch (the shape, or one
        dimension), and ``t.size`` as the number of elements, as the array API standard says."""
        return _Size(self.numel(), self._data.shape)

    @property
    def ndim(self) -> builtins.int:
        return len(self._data.shape)

    def dim(self) -> builtins.int:
        return self.ndim

    def numel(self) -> builtins.int:
        return math.prod(self.shape)

    def __len__(self) -> builtins.int:
        if not self.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    @property
    def dtype(self) -> dtypes.DType:
        return self._dtype

    @property
    def backend(self) -> Any:
        return self._backend

    @property
    def device(self) -> Device:
        return Device(self._backend.name, self._backend.capabilities.devices[0])

    @property
    def is_leaf(self) -> builtins.bool:
        return current_node(self) is None

    @property
    def grad_fn(self) -> Any:
        return current_node(self)

    # --- memory: views, aliases, versions (see plugtorch.storage) -------------------------
    @property
    def _base(self) -> Tensor | None:
        """The tensor this one is a view of (the root of a chain of views), else None."""
        view = self._view
        return None if view is None else view.base

    def _is_view(self) -> builtins.bool:
        """Whether this tensor is a view of another (shares its memory, for autograd too)."""
        return self._view is not None

    @property
    def _version(self) -> builtins.int:
        """How many in-place writes this tensor's alias group has seen."""
        counter = self._counter
        return 0 if counter is None else counter.value

    def is_contiguous(self) -> builtins.bool:
        """Whether the elements are laid out row-major in memory (size-1 dims aside).

        >>> import plugtorch as pt
        >>> x = pt.zeros(2, 3)
        >>> x.is_contiguous(), x.T.is_contiguous()
        (True, False)
        """
        shape, strides, _ = plugtorch.ops.views.layout(self)
        return plugtorch.ops.views.is_contiguous_layout(shape, strides)

    def stride(self, dim: builtins.int | None = None) -> Any:
        """Steps in memory (in elements) between neighbours along each dimension.

        >>> import plugtorch as pt
        >>> pt.zeros(2, 3).stride(), pt.zeros(2, 3).T.stride(0)
        ((3, 1), 1)
        """
        _, strides, _ = plugtorch.ops.views.layout(self)
        if dim is None:
            return strides
        return strides[plugtorch.ops._prepare.normalize_dim(dim, self.ndim)]

    def storage_offset(self) -> builtins.int:
        """Where this tensor's first element sits in its memory, in elements."""
        return plugtorch.ops.views.layout(self)[2]

    def data_ptr(self) -> builtins.int:
        """The address of the first element: equal for tensors that start at the same place
        of the same memory (``a.data_ptr() == b.data_ptr()``)."""
        return plugtorch.ops.views.data_ptr(self)

    def untyped_storage(self) -> plugtorch.ops.views.UntypedStorage:
        """The memory this tensor lives in: equal ``data_ptr()`` for every alias."""
        return plugtorch.ops.views.untyped_storage(self)

    def element_size(self) -> builtins.int:
        """Bytes per element."""
        return self._dtype.itemsize

    @property
    def itemsize(self) -> builtins.int:
        return self._dtype.itemsize

    @property
    def nbytes(self) -> builtins.int:
        return self.numel() * self._dtype.itemsize

    def is_floating_point(self) -> builtins.bool:
        return self._dtype.is_floating_point

    # --- conversion ----------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The values as a numpy array (shares memory on host backends, like PyTorch)."""
        if self.requires_grad and grad_mode.is_grad_enabled():
            raise RuntimeError(
                "can't call numpy() on a tensor that requires grad; use t.detach().numpy()"
            )
        return np.asarray(self._backend.to_numpy(self._data))

    def __array__(self, dtype: Any = None, copy: builtins.bool | None = None) -> np.ndarray:
        if not self._backend.capabilities.host_memory:
            raise TypeError(
                f"tensor on backend {self._backend.name!r} lives in device memory; "
                "call .numpy() (or .to('numpy')) to copy it to the host explicitly"
            )
        arr = np.asarray(self._backend.to_numpy(self._data))
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr.copy() if copy else arr

    def item(self) -> builtins.bool | builtins.int | builtins.float:
        """The value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise ValueError(
                f"item() needs a tensor with exactly one element, this one has shape {self.shape}"
            )
        return self._backend.to_numpy(self._data).reshape(()).item()

    def tolist(self) -> Any:
        return np.asarray(self._backend.to_numpy(self._data)).tolist()

    def __bool__(self) -> builtins.bool:
        if self.numel() != 1:
            what = "no values" if self.numel() == 0 else "more than one value"
            raise RuntimeError(
                f"Boolean value of Tensor with {what} is ambiguous (shape {self.shape}); "
                "reduce it first, e.g. with .any() or .all()"
            )
        return bool(self.item())

    def __contains__(self, element: Any) -> builtins.bool:
        """``element in t``: whether any element of ``t`` equals ``element`` (a number or a
        tensor broadcast against ``t``), as PyTorch."""
        if not isinstance(element, (Tensor, builtins.int, builtins.float, builtins.bool)):
            raise RuntimeError(
                "Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                f"{type(element).__name__}"
            )
        return builtins.bool((self == element).any().item())

    def __int__(self) -> builtins.int:
        return int(self.item())

    def __float__(self) -> builtins.float:
        return float(self.item())

    def __index__(self) -> builtins.int:
        if self._dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __hash__(self) -> builtins.int:
        return id(self)

    def __iter__(self) -> Iterator[Tensor]:
        if not self.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __repr__(self) -> str:
        return tensor_repr(self)

    # --- autograd --------------------------------------------------------------------------
    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: builtins.bool | None = None,
        create_graph: builtins.bool = False,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``. See ``autograd.backward``."""
        autograd_backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph)

    def detach(self) -> Tensor:
        """The same memory, cut off from the graph: writes through either are seen by both,
        and autograd still notices them (the version counter is shared)."""
        out = Tensor._make(self._data, self._backend, self._dtype)
        out._counter = counter_of(self)
        share_memory(out, self)
        return out

    def detach_(self) -> Tensor:
        """Cut this tensor off from the graph, in place (not for views)."""
        if self._view is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the Optimizer."
                "zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self._node = None
        self._requires_grad = False
        return self

    @property
    def requires_grad(self) -> builtins.bool:
        """Whether autograd records operations on this tensor (settable on leaves, as
        ``requires_grad_``)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, requires_grad: builtins.bool) -> None:
        self.requires_grad_(requires_grad)

    def requires_grad_(self, requires_grad: builtins.bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf tensor; returns self.

        Only floating point tensors can require gradients, and only a leaf's flag can change
        (a result's comes from its inputs), as in PyTorch.
        """
        if not isinstance(requires_grad, builtins.bool):
            requires_grad = builtins.bool(requires_grad)
        if requires_grad and not self._dtype.is_floating_point:
            raise RuntimeError(
                f"only floating point tensors can require gradients, this one is {self._dtype}; "
                "convert it first, e.g. t.float().requires_grad_()"
            )
        if requires_grad != self._requires_grad and self._node is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; to use a computed "
                "tensor without its history, use t.detach()"
            )
        self._requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after ``backward``."""
        if self._node is None:
            if not self.requires_grad:
                raise RuntimeError("can't retain_grad on a tensor that doesn't require grad")
            return
        if self._node.retained is None:
            self._node.retained = []
        if not any(ref() is self for ref in self._node.retained):
            self._node.retained.append(weakref.ref(self))

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` whenever this tensor's gradient is computed (see autograd/hooks)."""
        return _tensor_hooks.register_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        """Call ``hook(self)`` after backward has accumulated ``self.grad`` (leaves only)."""
        return _tensor_hooks.register_post_accumulate_grad_hook(self, hook)

    @property
    def data(self) -> Tensor:
        """The same memory without autograd history. Writes through it reach this tensor, and
        autograd does *not* see them (unlike ``detach()``: PyTorch's documented difference).

        >>> import plugtorch as pt
        >>> w = pt.ones(2, requires_grad=True)
        >>> _ = w.data.mul_(3)
        >>> w
        tensor([3., 3.], requires_grad=True)
        """
        out = Tensor._make(self._data, self._backend, self._dtype)
        out._counter = VersionCounter()
        share_memory(out, self)
        return out

    @data.setter
    def data(self, value: Tensor) -> None:
        """Make this tensor use ``value``'s memory (and shape, dtype, backend) from now on."""
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be set to a Tensor, got {type(value).__name__}")
        if self._storage is not None:
            self._storage.unregister(self)
            self._storage = None
        self._data = value._data
        self._backend = value._backend
        self._dtype = value._dtype
        self._view = None
        share_memory(self, value)

    def _assign(self, value: Tensor, *, same_kind: builtins.bool = True) -> Tensor:
        """Write ``value`` into this tensor's memory (every ``op_`` method ends here).

        ``same_kind`` refuses results that would need an unsafe cast (``int.add_(0.5)``), as
        PyTorch does for in-place arithmetic; copies and fills pass False.
        """
        return plugtorch.ops.inplace.assign(self, value, same_kind=same_kind)

    def _update(self, name: str, op: Any, other: Any, alpha: Any = 1) -> Tensor:
        """In-place ``self = op(self, other)``: straight into memory when nothing records it."""
        if plugtorch.ops.inplace.update(self, name, other, alpha) is not None:
            return self
        if alpha != 1:
            return plugtorch.ops.inplace.assign(self, op(self, other, alpha=alpha), same_kind=True)
        return plugtorch.ops.inplace.assign(self, op(self, other), same_kind=True)

    # --- conversion between dtypes and backends ------------------------------------------------
    def to(
        self,
        *args: Any,
        dtype: Any = None,
        backend: Any = None,
        device: Any = None,
        non_blocking: builtins.bool = False,
        copy: builtins.bool = False,
        memory_format: Any = None,
    ) -> Tensor:
        """Convert dtype and/or backend: ``t.to(pt.float64)``, ``t.to("numba")``, ``t.to(other)``.

        Differentiable: gradients flow back across dtypes (floating) and backends.
        ``non_blocking`` and ``memory_format`` are accepted as PyTorch's (also positionally:
        ``t.to(device, dtype, non_blocking, copy)``); copies between backends complete before
        ``to`` returns, and results are in the backend's own memory order.
        """
        flags = [arg for arg in args if isinstance(arg, builtins.bool)]
        if len(flags) > 2:
            raise TypeError(f"to(): too many bool arguments {flags} (non_blocking, copy)")
        if len(flags) == 2:
            copy = copy or flags[1]
        for arg in args:
            if isinstance(arg, builtins.bool):
                continue  # non_blocking, copy: positional, as PyTorch takes them
            if isinstance(arg, Tensor):
                dtype = dtype or arg._dtype
                backend = backend or arg._backend
            elif isinstance(arg, (dtypes.DType, type)) or (
                isinstance(arg, str) and arg in {d.name for d in dtypes.ALL_DTYPES}
            ):
                dtype = arg
            elif isinstance(arg, (str, Device, builtins.int)) or hasattr(arg, "capabilities"):
                backend = arg  # an int is a CUDA device index, as in PyTorch
            else:
                raise TypeError(f"to(): don't know what to do with {arg!r}")
        if device is not None and backend is None:
            backend = device
        result = self
        # "cpu", "cuda", "cuda:1", a Device or a backend name -> a backend ("cpu" keeps a tensor
        # on its host backend; "cuda" without a working CUDA backend raises, saying why).
        backend = resolve_device(backend, self._backend)
        if backend is not None:
            result = plugtorch.ops.to_backend(result, backend)
        if dtype is not None:
            result = plugtorch.ops.astype(result, dtypes.as_dtype(dtype))
        if copy and result is self:
            result = plugtorch.ops.clone(self)
        return result

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        """This tensor as float16 (a copy unless it already is; differentiable)."""
        return self.to(dtypes.float16)

    def bfloat16(self) -> Tensor:
        """This tensor as bfloat16 (a copy unless it already is; differentiable)."""
        return self.to(dtypes.bfloat16)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    def type(self, dtype: Any = None) -> Any:
        return f"plugtorch.{self._dtype.name}" if dtype is None else self.to(dtypes.as_dtype(dtype))

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other._dtype)

    def clone(self) -> Tensor:
        return plugtorch.ops.clone(self)

    def __deepcopy__(self, memo: dict[builtins.int, Any]) -> Tensor:
        """A copy with its own array, same type (a ``Parameter`` stays one), ``requires_grad``
        and a copied ``.grad``; only for leaf tensors, as in PyTorch (``copy.deepcopy(model)``
        relies on it)."""
        if self._node is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment; detach() the tensor first"
            )
        copied = memo.get(id(self))
        if copied is None:
            with grad_mode.no_grad():
                data = plugtorch.ops.clone(self.detach())._data
            copied = type(self)._make(data, self._backend, self._dtype, self.requires_grad)
            memo[id(self)] = copied
            if self.grad is not None:
                copied.grad = self.grad.__deepcopy__(memo)
        return copied

    def cpu(self) -> Tensor:
        """This tensor in host memory (itself when it is already there)."""
        return self.to("cpu")

    def cuda(self, device: Any = None, non_blocking: builtins.bool = False) -> Tensor:
        """This tensor on a CUDA device (default: the current one); an error that says why
        where plugtorch has no working CUDA backend."""
        return self.to(device if device is not None else "cuda")

    @property
    def is_cuda(self) -> builtins.bool:
        return any(d.startswith("cuda") for d in self._backend.capabilities.devices)

    # --- arithmetic operators ------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return plugtorch.ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return plugtorch.ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return plugtorch.ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return plugtorch.ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return plugtorch.ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return plugtorch.ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return plugtorch.ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return plugtorch.ops.div(other, self)

    def __floordiv__(self, other: Any) -> Tensor:
        return plugtorch.ops.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return plugtorch.ops.floor_divide(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return plugtorch.ops.remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return plugtorch.ops.remainder(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return plugtorch.ops.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return plugtorch.ops.pow(other, self)

    def __matmul__(self, other: Tensor) -> Tensor:
        return plugtorch.ops.matmul(self, other)

    def __rmatmul__(self, other: Tensor) -> Tensor:
        return plugtorch.ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return plugtorch.ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return plugtorch.ops.abs(self)

    def __invert__(self) -> Tensor:
        return plugtorch.ops.bitwise_not(self)

    def __and__(self, other: Any) -> Tensor:
        return plugtorch.ops.bitwise_and(self, other)

    def __rand__(self, other: Any) -> Tensor:
        return plugtorch.ops.bitwise_and(other, self)

    def __or__(self, other: Any) -> Tensor:
        return plugtorch.ops.bitwise_or(self, other)

    def __ror__(self, other: Any) -> Tensor:
        return plugtorch.ops.bitwise_or(other, self)

    def __xor__(self, other: Any) -> Tensor:
        return plugtorch.ops.bitwise_xor(self, other)

    def __rxor__(self, other: Any) -> Tensor:
        return plugtorch.ops.bitwise_xor(other, self)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return plugtorch.ops.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return plugtorch.ops.ne(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return plugtorch.ops.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        return plugtorch.ops.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return plugtorch.ops.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return plugtorch.ops.ge(self, other)

    def __getitem__(self, key: Any) -> Tensor:
        return plugtorch.ops.getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        plugtorch.ops.setitem(self, key, value)

    # --- in-place updates (replace the array; for optimizers and initialisers) ----------------
    def __iadd__(self, other: Any) -> Tensor:
        return self._update("add", plugtorch.ops.add, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._update("subtract", plugtorch.ops.sub, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._update("multiply", plugtorch.ops.mul, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._update("divide", plugtorch.ops.div, other)

    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """In place: ``self += alpha * other`` (every alias sees it)."""
        return self._update("add", plugtorch.ops.add, other, alpha)

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """In place: ``self -= alpha * other``."""
        return self._update("subtract", plugtorch.ops.sub, other, alpha)

    def mul_(self, other: Any) -> Tensor:
        """In place: ``self *= other``."""
        return self._update("multiply", plugtorch.ops.mul, other)

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """In place: ``self /= other`` (``rounding_mode`` as in :meth:`div`)."""
        if rounding_mode is not None:
            return self._assign(plugtorch.ops.div(self, other, rounding_mode=rounding_mode))
        return self._update("divide", plugtorch.ops.div, other)

    def pow_(self, other: Any) -> Tensor:
        return self._assign(plugtorch.ops.pow(self, other))

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return self._assign(plugtorch.ops.clamp(self, min, max))

    clip_ = clamp_

    def addcmul_(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        """In place: ``self += value * tensor1 * tensor2``."""
        return self._update("add", plugtorch.ops.add, tensor1 * tensor2, value)

    def addcdiv_(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        """In place: ``self += value * tensor1 / tensor2``."""
        return self._update("add", plugtorch.ops.add, tensor1 / tensor2, value)

    def lerp_(self, end: Tensor, weight: Any) -> Tensor:
        """In place :func:`plugtorch.lerp`: ``self += weight * (end - self)``."""
        small = type(weight) is builtins.float and abs(weight) < 0.5
        if small and isinstance(end, Tensor) and end._dtype is self._dtype:
            # PyTorch's formula for small weights, without a temporary when nothing records
            return self._update("add", plugtorch.ops.add, (end - self) * weight)
        return self._assign(plugtorch.ops.lerp(self, end, weight))

    def neg_(self) -> Tensor:
        return self._assign(plugtorch.ops.neg(self))

    def abs_(self) -> Tensor:
        return self._assign(plugtorch.ops.abs(self))

    def exp_(self) -> Tensor:
        return self._assign(plugtorch.ops.exp(self))

    def log_(self) -> Tensor:
        return self._assign(plugtorch.ops.log(self))

    def sqrt_(self) -> Tensor:
        return self._assign(plugtorch.ops.sqrt(self))

    def tanh_(self) -> Tensor:
        return self._assign(plugtorch.ops.tanh(self))

    def sigmoid_(self) -> Tensor:
        return self._assign(plugtorch.ops.sigmoid(self))

    def relu_(self) -> Tensor:
        return self._assign(plugtorch.ops.relu(self))

    def floor_(self) -> Tensor:
        return self._assign(plugtorch.ops.floor(self))

    def ceil_(self) -> Tensor:
        return self._assign(plugtorch.ops.ceil(self))

    def round_(self) -> Tensor:
        return self._assign(plugtorch.ops.round(self))

    def zero_(self) -> Tensor:
        """In place: every element becomes 0."""
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        """In place: every element becomes ``value`` (a number or a 0-d tensor)."""
        if isinstance(value, Tensor):
            if value.ndim:
                raise ValueError(
                    f"fill_ only supports 0-dimension value tensor but got tensor with "
                    f"{value.ndim} dimensions."
                )
            return self._assign(value, same_kind=False)
        value = plugtorch.ops.inplace.check_number(value, "fill_")
        if not (grad_mode.is_grad_enabled() and self.requires_grad):
            prepare = plugtorch.ops._prepare
            constant = prepare.scalar_tensor(value, self._backend, self._dtype, self.shape)
            plugtorch.ops.inplace.write(self, constant._data)
            return self
        filled = plugtorch.ops.full(self.shape, value, dtype=self._dtype, backend=self._backend)
        return self._assign(filled, same_kind=False)

    def copy_(self, src: Tensor, non_blocking: builtins.bool = False) -> Tensor:
        """In place: ``src``'s values (broadcast, cast, moved from another backend) become
        this tensor's. Differentiable with respect to ``src``."""
        if not isinstance(src, Tensor):
            raise TypeError(f"copy_(): src must be a Tensor, got {type(src).__name__}")
        if src._backend is not self._backend:
            src = plugtorch.ops.to_backend(src, self._backend)
        return self._assign(src, same_kind=False)

    def uniform_(self, a: builtins.float = 0.0, b: builtins.float = 1.0) -> Tensor:
        """In place: values drawn uniformly from ``[a, b)``."""
        sample = plugtorch.ops.rand(self.shape, dtype=self._dtype, backend=self._backend)
        return self._assign(sample * (b - a) + a, same_kind=False)

    def normal_(self, mean: builtins.float = 0.0, std: builtins.float = 1.0) -> Tensor:
        """In place: values drawn from a normal distribution."""
        sample = plugtorch.ops.randn(self.shape, dtype=self._dtype, backend=self._backend)
        return self._assign(sample * std + mean, same_kind=False)

    def masked_fill_(self, mask: Tensor, value: Any) -> Tensor:
        return self._assign(plugtorch.ops.masked_fill(self, mask, value), same_kind=False)
