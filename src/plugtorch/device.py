"""Devices: where a tensor lives is a backend plus one of its devices (``numpy:cpu``).

PyTorch code names devices (``"cpu"``, ``"cuda"``, ``"cuda:1"``); plugtorch maps them onto
backends:

* ``"cpu"`` is host memory: a tensor already on a host backend (numpy, numba, ...) stays where
  it is; a new tensor goes to the selected backend if that one is a host backend, else numpy;
* ``"cuda"`` is the current CUDA device (``plugtorch.cuda.current_device()``) and ``"cuda:N"``
  GPU N, both on the installed CUDA backend (``plugtorch-cupy``); without a working one they
  raise an error that says why and what to install;
* any other name is a backend name (``"numba"``).

``set_default_device`` makes a device's backend the one new tensors use;
``with plugtorch.device(...):`` does so inside a block. Which backend serves a CUDA device is
decided here too (``plugtorch.cuda`` builds on it).
"""

from __future__ import annotations

from typing import Any

from plugtorch.backend import registry

__all__ = ["Device", "device", "resolve", "get_default_device", "set_default_device"]


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
        context = registry.use_backend(self.backend)
        context.__enter__()
        self._contexts.append(context)
        return self

    def __exit__(self, *exc: object) -> None:
        self._contexts.pop().__exit__(*exc)


# --- CUDA devices: the backend that offers them --------------------------------------------


CUDA_INSTALL_HINT = (
    "plugtorch reaches NVIDIA GPUs through the cupy backend: install it with "
    "`pip install 'plugtorch-cupy[cuda12]'` on a machine with an NVIDIA GPU and driver; "
    "`plugtorch.cuda.is_available()` says whether it works here and `plugtorch backends` why not"
)


class CudaUnavailableError(registry.BackendError):
    """A CUDA device was asked for where no backend offers one (PyTorch: "Torch not compiled
    with CUDA enabled" / "Found no NVIDIA driver"). The message names the reason."""


def find_cuda_backend() -> tuple[Any, str]:
    """``(the first working CUDA backend, "")`` or ``(None, why there is none)``."""
    reasons = []
    for info in registry.list_backends():
        if info.available and any(d.startswith("cuda") for d in info.devices):
            backend = registry.get_backend(info.name)
            if getattr(backend, "cuda_runtime", None) is not None:
                return backend, ""
        elif not info.available and (info.name == "cupy" or "cuda" in info.reason.lower()):
            reasons.append(f"backend {info.name!r}: {info.reason}")
    if not reasons:
        reasons.append("no CUDA backend is installed (plugtorch-cupy)")
    return None, "; ".join(reasons)


def cuda_unavailable(what: str, why: str) -> CudaUnavailableError:
    """The error for ``what`` needing CUDA where there is none, saying ``why``."""
    return CudaUnavailableError(
        f"{what}: CUDA is not available here, no backend offers a usable CUDA device ({why}). "
        f"{CUDA_INSTALL_HINT}"
    )


def cuda_runtime(what: str) -> Any:
    """The CUDA backend's ``cuda_runtime``, or the error saying why there is none."""
    backend, why = find_cuda_backend()
    if backend is None:
        raise cuda_unavailable(what, why)
    return backend.cuda_runtime


def checked_cuda_index(runtime: Any, index: int | None, what: str) -> int:
    """``index`` checked against the CUDA devices there are (None: the current device)."""
    if index is None:
        return int(runtime.current_device())
    count = runtime.device_count()
    if not 0 <= index < count:
        raise RuntimeError(
            f"{what}: invalid device ordinal {index}: this machine has {count} CUDA "
            f"device(s), cuda:0 to cuda:{count - 1}"
        )
    return index


def backend_for_device(index: int | None = None) -> Any:
    """The backend whose arrays live on CUDA device ``index`` (None: the current device);
    raises :class:`CudaUnavailableError` without CUDA. On machines with several GPUs each
    device other than 0 is its own backend (``cupy:1``), registered under that name."""
    runtime = cuda_runtime(f"device cuda:{index}" if index is not None else "device 'cuda'")
    position = checked_cuda_index(runtime, index, "device")
    backend = runtime.backend_for(position)
    try:
        known = registry.get_backend(backend.name)
    except registry.BackendError:
        known = None
    if known is not backend:
        registry.register_backend(backend.name, backend)
    return backend


def _cuda_index(spec: str, index: int | None) -> int | None:
    """The N of ``"cuda:N"`` (or the separate ``index``), None for plain ``"cuda"``."""
    _, _, text = spec.partition(":")
    if text and index is not None:
        raise ValueError(f"device({spec!r}, {index}): the index is given twice")
    if text:
        if not text.isdigit():
            raise ValueError(f"invalid device string {spec!r}: expected 'cuda' or 'cuda:N'")
        return int(text)
    return index


def device(spec: str | int | Device, index: int | None = None) -> Device:
    """A :class:`Device` from ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``("cuda", 1)``, an int (a
    CUDA device index, as in PyTorch) or a backend name.

    ``"cuda"`` names the current CUDA device and needs a working CUDA backend; without one the
    error says why (no CuPy, no driver, no GPU) and what to install.

    >>> import plugtorch as pt
    >>> pt.device("cpu")
    device(backend='numpy', type='cpu')
    >>> pt.device("cuda" if pt.cuda.is_available() else "cpu").type in ("cuda", "cpu")
    True
    """
    if isinstance(spec, Device):
        return spec
    if isinstance(spec, int) and not isinstance(spec, bool):
        spec, index = "cuda", int(spec)
    if not isinstance(spec, str):
        raise TypeError(f"device() takes a string, an int or a Device, not {type(spec).__name__}")
    kind = spec.split(":")[0]
    if kind == "cuda":
        position = _cuda_index(spec, index)
        backend = backend_for_device(position)
        return Device(backend.name, backend.capabilities.devices[0])
    if index is not None:
        raise ValueError(f"device({spec!r}, {index}): only 'cuda' devices take an index")
    if kind == "cpu":
        return Device(_host_backend(None).name, "cpu")
    backend = registry.get_backend(spec)
    return Device(backend.name, backend.capabilities.devices[0])


def _host_backend(current: Any) -> Any:
    """The backend ``"cpu"`` means next to ``current`` (None: for a new tensor)."""
    if current is not None and current.capabilities.host_memory:
        return current
    chosen = registry.get_backend()
    return chosen if chosen.capabilities.host_memory else registry.get_backend("numpy")


def resolve(spec: Any, current: Any = None) -> Any:
    """The backend a device or backend spec names, for a tensor now on ``current``.

    ``spec`` is a backend object, a :class:`Device`, ``"cpu"``, ``"cuda"``, ``"cuda:N"``, an int
    (CUDA device N) or a backend name. ``"cpu"`` keeps a tensor on its host backend.
    """
    if spec is None or hasattr(spec, "capabilities"):
        return spec
    if isinstance(spec, int) and not isinstance(spec, bool):
        return backend_for_device(spec)
    if isinstance(spec, Device):
        if spec.type == "cuda":
            return backend_for_device(spec.index)
        if spec.type == "cpu" and current is not None and current.capabilities.host_memory:
            return current
        return registry.get_backend(spec.backend)
    if not isinstance(spec, str):
        raise TypeError(f"expected a device or backend name, got {type(spec).__name__}")
    kind = spec.split(":")[0]
    if kind == "cuda":
        return backend_for_device(_cuda_index(spec, None))
    if kind == "cpu":
        if spec != "cpu":
            raise ValueError(f"invalid device {spec!r}: the host is just 'cpu'")
        return _host_backend(current)
    return registry.get_backend(spec)


def get_default_device() -> Device:
    """The device new tensors are made on: the current backend's first device.

    >>> import plugtorch as pt
    >>> pt.get_default_device()
    device(backend='numpy', type='cpu')
    """
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
    if spec is None:
        registry.set_backend(None)
        return
    registry.set_backend(device(spec).backend)
