"""Devices: where a tensor lives is a backend plus one of its devices (``numpy:cpu``).

PyTorch code names devices (``"cpu"``, ``"cuda"``); plugtorch maps them onto backends:
``plugtorch.device("cpu")`` is the current backend's CPU, ``plugtorch.device("cuda")`` the first
installed backend with a CUDA device.
"""

from __future__ import annotations

__all__ = ["Device", "device"]


class Device:
    """Where a tensor lives: a backend name and one of its devices (``numpy:cpu``)."""

    __slots__ = ("backend", "type", "index")

    def __init__(self, backend: str, name: str = "cpu") -> None:
        self.backend = backend
        kind, _, index = name.partition(":")
        self.type = kind
        self.index = int(index) if index else None

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
