"""``plugtorch.accelerator``: the device-agnostic way PyTorch scripts find a GPU.

PyTorch code written for any accelerator starts with
``device = torch.accelerator.current_accelerator() or torch.device("cpu")``. In plugtorch the
accelerator is the installed backend that offers a CUDA device (``plugtorch-cupy`` on a
machine with an NVIDIA GPU); without one these functions answer as a CPU-only PyTorch does:
``is_available()`` is False, ``device_count()`` is 0, ``current_accelerator()`` is None, and
the functions that need a device raise ``RuntimeError``.

Example:
    >>> import plugtorch as pt
    >>> device = pt.accelerator.current_accelerator() or pt.device("cpu")
    >>> pt.zeros(2, device=device).shape
    (2,)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from plugtorch import cuda
from plugtorch.device import Device

__all__ = [
    "current_accelerator",
    "current_device_idx",
    "current_device_index",
    "current_stream",
    "device_count",
    "device_index",
    "is_available",
    "set_device_idx",
    "set_device_index",
    "set_stream",
    "synchronize",
]

_NO_ACCELERATOR = "Cannot access accelerator device when none is available."


def device_count() -> int:
    """Number of accelerator devices (0 without an accelerator backend)."""
    return cuda.device_count()


def is_available() -> bool:
    """True when an installed, working backend offers an accelerator device."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> Device | None:
    """The accelerator as a device of type ``"cuda"`` (index None), or None without one.

    ``check_available`` is accepted as in PyTorch; plugtorch always checks at run time, so the
    answer is the same either way.
    """
    name = cuda.backend_name()
    if name is None:
        return None
    return Device(name, "cuda")


def _require() -> str:
    name = cuda.backend_name()
    if name is None:
        raise RuntimeError(_NO_ACCELERATOR)
    return name


def _index(device: Any) -> int:
    if isinstance(device, Device):
        if device.type != "cuda":
            raise ValueError(f"{device} is not an accelerator device (expected type 'cuda')")
        return device.index or 0
    if isinstance(device, str):
        kind, _, index = device.partition(":")
        if kind != "cuda":
            raise ValueError(f"{device!r} is not an accelerator device (expected 'cuda[:N]')")
        return int(index) if index else 0
    if isinstance(device, bool) or not isinstance(device, int):
        raise TypeError(f"device must be a Device, str or int, got {type(device).__name__}")
    return device


_current_index = 0


def current_device_index() -> int:
    """The index of the accelerator device in use (raises without an accelerator)."""
    _require()
    current = getattr(cuda, "current_device", None)
    return int(current()) if callable(current) else _current_index


def set_device_index(device: Any, /) -> None:
    """Make ``device`` (an index, ``"cuda:N"`` or a device) the accelerator device in use."""
    global _current_index
    _require()
    index = _index(device)
    count = device_count()
    if not 0 <= index < count:
        raise RuntimeError(f"invalid device index {index}: this machine has {count} device(s)")
    select = getattr(cuda, "set_device", None)
    if callable(select):
        select(index)
    _current_index = index


def current_device_idx() -> int:
    """Deprecated PyTorch spelling of :func:`current_device_index`."""
    return current_device_index()


def set_device_idx(device: Any, /) -> None:
    """Deprecated PyTorch spelling of :func:`set_device_index`."""
    set_device_index(device)


@contextmanager
def device_index(device: Any, /) -> Iterator[None]:
    """Use accelerator ``device`` inside the ``with`` block (None: leave it as it is)."""
    if device is None:
        yield
        return
    previous = current_device_index()
    set_device_index(device)
    try:
        yield
    finally:
        set_device_index(previous)


def synchronize(device: Any = None, /) -> None:
    """Wait until every queued operation on the accelerator has finished."""
    _require()
    wait = getattr(cuda, "synchronize", None)
    if callable(wait):
        wait() if device is None else wait(device)


def current_stream(device: Any = None, /) -> Any:
    """The accelerator's current stream, where its backend exposes streams."""
    _require()
    stream = getattr(cuda, "current_stream", None)
    if not callable(stream):
        raise RuntimeError(f"backend {cuda.backend_name()!r} does not expose streams")
    return stream() if device is None else stream(device)


def set_stream(stream: Any) -> None:
    """Make ``stream`` the accelerator's current stream, where its backend exposes streams."""
    _require()
    select = getattr(cuda, "set_stream", None)
    if not callable(select):
        raise RuntimeError(f"backend {cuda.backend_name()!r} does not expose streams")
    select(stream)
