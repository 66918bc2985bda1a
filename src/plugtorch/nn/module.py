"""``Module``: the base of every layer and model, with PyTorch's semantics.

Assigning a :class:`Parameter` to an attribute registers it as a parameter, a ``Module`` as a
submodule, and a tensor to a name registered with :meth:`Module.register_buffer` as a buffer;
``parameters()``, ``state_dict()``, ``to()``, ``train()``/``eval()`` then walk the tree.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterator, NamedTuple, TypeVar

from plugtorch import dtypes
from plugtorch.autograd import grad_mode
from plugtorch.device import Device
from plugtorch.device import resolve as resolve_device
from plugtorch.nn.parameter import Buffer, Parameter
from plugtorch.ops.inplace import zero_grad_of
from plugtorch.tensor import Tensor

__all__ = ["Module", "IncompatibleKeys"]

M = TypeVar("M", bound="Module")


class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` returns: keys it did not find, and keys it ignored."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class for layers and models: subclass it, create parameters and submodules in
    ``__init__`` (after ``super().__init__()``), and write ``forward``.

    >>> import plugtorch as pt
    >>> from plugtorch import nn
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = nn.Linear(2, 1)
    ...     def forward(self, x):
    ...         return self.fc(x).sigmoid()
    >>> net = Net()
    >>> [name for name, _ in net.named_parameters()]
    ['fc.weight', 'fc.bias']
    >>> net
    Net(
      (fc): Linear(in_features=2, out_features=1, bias=True)
    )
    """

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers: set[str]
    _modules: dict[str, Module | None]

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # --- registration ------------------------------------------------------------------------
    def _check_ready(self, name: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() call; call "
                "super().__init__() first in your module's __init__"
            )
        if isinstance(name, str) and hasattr(type(self), name):
            # A method or property of that name would hide the entry on attribute lookup.
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or ``None``, a placeholder) under ``name``."""
        self._check_ready(name)
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"parameter name must be a non-empty string without '.', got {name!r}")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign {type(param).__name__} as parameter {name!r} "
                "(plugtorch.nn.Parameter or None expected)"
            )
        self._remove_name(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: state that is not learned (running statistics, say) but is saved in
        ``state_dict`` (unless ``persistent=False``) and moved by ``to()``."""
        self._check_ready(name)
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"buffer name must be a non-empty string without '.', got {name!r}")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} as buffer {name!r}")
        if isinstance(tensor, (Parameter, Buffer)):
            tensor = tensor.detach()
        self._remove_name(name, keep=self._buffers)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a submodule under ``name``."""
        self._check_ready(name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str) or "." in name or not name:
            raise KeyError(f"module name must be a non-empty string without '.', got {name!r}")
        self._remove_name(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    def _remove_name(self, name: str, keep: dict[str, Any]) -> None:
        """Free ``name`` in every table but ``keep``, where a new value replaces the old one
        in its place: reassigning ``self.weight`` keeps the parameter order (and so
        ``state_dict``'s and the optimizer's), as in PyTorch."""
        self.__dict__.pop(name, None)
        for table in (self._parameters, self._buffers, self._modules):
            if table is not keep:
                table.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            self.register_parameter(name, value)
        elif isinstance(value, Buffer):
            self.register_buffer(name, value, value.persistent)
        elif isinstance(value, Module):
            self.add_module(name, value)
        elif "_parameters" in self.__dict__ and name in self._parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} "
                    "(plugtorch.nn.Parameter or None expected)"
                )
            self._parameters[name] = None
        elif "_modules" in self.__dict__ and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r}")
            self._modules[name] = None
        elif "_buffers" in self.__dict__ and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r}")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: look in the registries.
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            entries = d.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        names = set(super().__dir__())
        names.update(self._parameters, self._buffers, self._modules)
        return sorted(names)

    # --- walking the tree --------------------------------------------------------------------
    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for this module and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = f"{prefix}.{name}" if prefix else name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(
        self, table: str, prefix: str, recurse: bool, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None:
                    continue
                if remove_duplicate:
                    if id(value) in seen:
                        continue
                    seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs; a parameter shared by two modules comes once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> Module:
        """The submodule at dotted path ``target`` (``""`` is this module)."""
        module: Module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r}")
            module = child
        return module

    def get_parameter(self, target: str) -> Parameter:
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        param = module._parameters.get(name)
        if param is None:
            raise AttributeError(f"{type(module).__name__} has no parameter {name!r}")
        return param

    def apply(self: M, fn: Callable[[Module], None]) -> M:
        """Call ``fn`` on every submodule (children first) and on this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # --- modes and gradients -----------------------------------------------------------------
    def train(self: M, mode: bool = True) -> M:
        """Set training mode (dropout active, batch norm on batch statistics) recursively."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be a bool")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self: M) -> M:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self: M, requires_grad: bool = True) -> M:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter: to ``None`` by default, as PyTorch, or to
        zeros written in place (``set_to_none=False``: each ``.grad`` keeps its memory)."""
        for param in self.parameters():
            zero_grad_of(param, set_to_none)

    # --- state -------------------------------------------------------------------------------
    def state_dict(
        self, destination: dict[str, Any] | None = None, prefix: str = "", keep_vars: bool = False
    ) -> dict[str, Any]:
        """Parameters and persistent buffers by dotted name (detached unless ``keep_vars``)."""
        if destination is None:
            destination = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into this module's parameters and buffers, in place.

        Keys must match exactly when ``strict`` (missing or unexpected keys raise); shapes must
        always match. Values are converted to each parameter's backend and dtype. Returns
        ``(missing_keys, unexpected_keys)``.
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(f"expected a mapping for state_dict, got {type(state_dict).__name__}")
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        problems: list[str] = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                problems.append(f"{key}: expected a tensor, got {type(value).__name__}")
                continue
            if tuple(value.shape) != tuple(target.shape):
                problems.append(
                    f"size mismatch for {key}: copying a param with shape {tuple(value.shape)} "
                    f"from checkpoint, the shape in current model is {tuple(target.shape)}."
                )
        if strict:
            if unexpected:
                problems.insert(0, "Unexpected key(s) in state_dict: " + _quoted(unexpected))
            if missing:
                problems.insert(0, "Missing key(s) in state_dict: " + _quoted(missing))
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(problems)
            )
        with grad_mode.set_grad_enabled(False):
            for key, target in own.items():
                if key in state_dict:
                    _copy_into(target, state_dict[key])
        return IncompatibleKeys(missing, unexpected)

    # --- moving ------------------------------------------------------------------------------
    def to(self: M, *args: Any, **kwargs: Any) -> M:
        """Move every parameter and buffer to a backend and/or convert floating ones to a
        dtype, in place (parameters keep their identity, so optimizers still hold them):
        ``model.to("numba")``, ``model.to(plugtorch.float64)``."""
        spec, dtype = _parse_to(*args, **kwargs)
        # "cpu" is decided per tensor (host tensors stay where they are); anything else once.
        per_tensor = spec == "cpu" or (isinstance(spec, Device) and spec.type == "cpu")
        backend = None if per_tensor else resolve_device(spec)
        for module in self.modules():
            for table in (module._parameters, module._buffers):
                for tensor in table.values():
                    if tensor is not None:
                        target = resolve_device(spec, tensor._backend) if per_tensor else backend
                        _move(tensor, target, dtype)
        return self

    def float(self: M) -> M:
        return self.to(dtypes.float32)

    def double(self: M) -> M:
        return self.to(dtypes.float64)

    def half(self: M) -> M:
        """Convert every floating parameter and buffer to float16, in place."""
        return self.to(dtypes.float16)

    def bfloat16(self: M) -> M:
        """Convert every floating parameter and buffer to bfloat16, in place."""
        return self.to(dtypes.bfloat16)

    def cpu(self: M) -> M:
        """Move every parameter and buffer to host memory (host tensors stay where they are)."""
        return self.to("cpu")

    def cuda(self: M, device: Any = None) -> M:
        """Move every parameter and buffer to a CUDA device (default: the current one)."""
        return self.to(device if device is not None else "cuda")

    # --- repr ------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (override in layers)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, module in self._modules.items():
            text = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {text}")
        if not lines:
            return f"{self._get_name()}()"
        if len(lines) == 1 and not self._modules:
            return f"{self._get_name()}({lines[0]})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


def _quoted(keys: list[str]) -> str:
    return ", ".join(f'"{key}"' for key in keys) + "."


def _copy_into(target: Tensor, value: Tensor) -> None:
    """Write ``value`` into ``target``'s memory (converted to its backend and dtype): the
    parameter keeps its identity and every alias of it sees the loaded values."""
    target.copy_(value.detach())


def _parse_to(
    *args: Any, dtype: Any = None, backend: Any = None, device: Any = None
) -> tuple[Any, Any]:
    """``(device or backend spec or None, dtype or None)`` from ``Module.to``'s arguments (as
    ``Tensor.to``)."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = dtype or arg._dtype
            backend = backend or arg._backend
        elif isinstance(arg, (dtypes.DType, type)) or _is_dtype_name(arg):
            dtype = arg
        else:
            backend = arg
    if backend is None:
        backend = device
    return backend, None if dtype is None else dtypes.as_dtype(dtype)


def _is_dtype_name(value: Any) -> bool:
    return isinstance(value, str) and value in {d.name for d in dtypes.ALL_DTYPES}


def _move(tensor: Tensor, backend: Any, dtype: Any) -> None:
    """``module.to(...)`` for one parameter or buffer: as PyTorch's ``param.data = ...``, the
    tensor keeps its identity (optimizers still hold it) and gets new memory when its backend
    or dtype changes."""
    value = tensor.detach()
    if backend is not None and value._backend is not backend:
        value = value.to(backend)
    if dtype is not None and tensor._dtype.is_floating_point and value._dtype is not dtype:
        value = value.to(dtype)
    if value._data is tensor._data:
        return
    tensor.data = value
    if tensor.grad is not None:
        _move(tensor.grad, backend, dtype)
