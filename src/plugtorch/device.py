"""Devices: where a tensor lives is a backend plus one of its devices (``numpy:cpu``).

PyTorch code names devices (``"cpu"``, ``"cuda"``); plugtorch maps them onto backends:
``plugtorch.device("cpu")`` is the current backend's CPU, ``plugtorch.device("cuda")`` the first
installed backend with a CUDA device. ``set_default_device`` makes a device's backend the one
new tensors use; ``with plugtorch.device(...):`` does so inside a block.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Device", "device", "get_default_device", "set_default_device"]


class Device:
    """Where a tensor lives: a backend name and one of its devices (``numpy:cpu``)."""

    __slots__ = ("backend", "type", "index", "_contexts")

    def __init__(self, backend: str, name: str = "cpu") -> None:
        self.backend = backend
        kind, _, index = name.partition(":")
        self.type = kind
        self.index = int(index) if index else None
        self._contexts: list[Any] = []

    def __repr__(self) -> str:
        return f"device(backend={self.backend!r}, type={str(self)!r})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return other in (str(self), self.backend, f"{self.backend}:{self}")
        return isinstance(other, Device) and (self.backend, str(self)) == (
            other.backend,
            str(other),
        )

    def __hash__(self) -> int:
        return hash((self.backend, str(self)))

    def __enter__(self) -> Device:
        """Inside ``with device:``, new tensors are made on this device's backend."""
        from plugtorch.backend import registry

        context = registry.use_backend(self.backend)
        context.__enter__()
        self._contexts.append(context)
        return self

    def __exit__(self, *exc: object) -> None:
        self._contexts.pop().__exit__(*exc)


def device(spec: str | Device) -> Device:
    """A :class:`Device` from ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or a backend name.

    >>> import plugtorch as pt
    >>> pt.device("cpu")
    device(backend='numpy', type='cpu')
    """
    from plugtorch.backend import registry

    if isinstance(spec, Device):
        return spec
    kind = spec.split(":")[0]
    if kind == "cuda":
        from plugtorch import cuda

        name = cuda.backend_name()
        if name is None:
            raise RuntimeError(
                "no installed backend offers a CUDA device here; `plugtorch backends` says why "
                "(install plugtorch-cupy on a machine with an NVIDIA GPU)"
            )
        return Device(name, spec if ":" in spec else "cuda:0")
    if kind == "cpu":
        backend = registry.get_backend()
        if not backend.capabilities.host_memory:
            backend = registry.get_backend("numpy")
        return Device(backend.name, "cpu")
    backend = registry.get_backend(spec)
    return Device(backend.name, backend.capabilities.devices[0])


def get_default_device() -> Device:
    """The device new tensors are made on: the current backend's first device.

    >>> import plugtorch as pt
    >>> pt.get_default_device()
    device(backend='numpy', type='cpu')
    """
    from plugtorch.backend import registry

    backend = registry.get_backend()
    return Device(backend.name, backend.capabilities.devices[0])


def set_default_device(spec: str | Device | None) -> None:
    """Make new tensors go to ``spec`` (``"cpu"``, ``"cuda"``, a backend name or a Device)
    unless a factory names its own; ``None`` returns to the starting choice.

    ``"cuda"`` picks the installed CUDA backend (an error without one); ``"cpu"`` keeps the
    current backend where it is a host backend, else picks ``numpy``. This sets the
    process-wide backend (:func:`plugtorch.set_backend`).

    >>> import plugtorch as pt
    >>> pt.set_default_device("cpu")
    >>> pt.zeros(1).device.type
    'cpu'
    >>> pt.set_default_device(None)
    """
    from plugtorch.backend import registry

    if spec is None:
        registry.set_backend(None)
        return
    registry.set_backend(device(spec).backend)
