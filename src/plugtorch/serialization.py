"""Checkpoints: ``save`` / ``load`` as PyTorch's, in the safetensors format, never pickle.

``save(obj, f)`` takes what PyTorch scripts save: a ``state_dict``, an optimizer's or a
scheduler's state, a tensor, or nested dicts / lists / tuples of tensors and plain values
(step counters, configs). Tensors are stored as safetensors tensors (a ``str -> Tensor`` dict
keeps its keys, so any safetensors reader opens the file); the rest of the object's shape is
JSON in the header's metadata. ``load`` never unpickles and never runs code from a file: it
rebuilds only tensors, numpy arrays and plain values, and checks every byte count before
trusting it (see :mod:`plugtorch._checkpoint.reader`).

``f`` is a path, an ``os.PathLike`` or a binary file object (``io.BytesIO`` included). Paths
are written atomically (temporary file, fsync, rename) with the user's umask.

Example:
    >>> import io, plugtorch
    >>> buffer = io.BytesIO()
    >>> save({"weight": plugtorch.tensor([[1.0, 2.0]]), "step": 3}, buffer)
    >>> _ = buffer.seek(0)
    >>> state = load(buffer)
    >>> state["weight"].tolist(), state["step"]
    ([[1.0, 2.0]], 3)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

from plugtorch import dtypes
from plugtorch._checkpoint.errors import (
    CheckpointDeviceError,
    CheckpointError,
    CheckpointNotFoundError,
)
from plugtorch._checkpoint.reader import Contents, dtype_name, numpy_dtype, read_checkpoint
from plugtorch._checkpoint.structure import Decoder, Encoder
from plugtorch._checkpoint.writer import write_atomically
from plugtorch.device import Device, device
from plugtorch.nn.parameter import Parameter
from plugtorch.ops.creation import as_tensor
from plugtorch.tensor import Tensor

__all__ = [
    "CheckpointDeviceError",
    "CheckpointError",
    "CheckpointNotFoundError",
    "add_safe_globals",
    "clear_safe_globals",
    "get_safe_globals",
    "load",
    "safe_globals",
    "save",
]

STRUCTURE_KEY = "plugtorch.structure"
_FORMAT = "plugtorch"
_VERSION = 2
_INSTALL_HINT = (
    "saving checkpoints needs the safetensors package: pip install safetensors "
    "(or pip install plugtorch[checkpoint])"
)


def _safetensors_numpy() -> Any:
    try:
        import safetensors.numpy
    except ImportError as error:
        raise ImportError(_INSTALL_HINT) from error
    return safetensors.numpy


# --- save -----------------------------------------------------------------------------------


def save(
    obj: Any,
    f: Any,
    pickle_module: Any = None,
    pickle_protocol: Any = None,
    _use_new_zipfile_serialization: bool = True,
    _disable_byteorder_record: bool = False,
    *,
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Save ``obj`` to ``f`` (a path, ``os.PathLike`` or binary file object).

    ``obj`` is a tensor, a numpy array, a plain value (None, bool, int, float, str, bytes, a
    dtype) or a dict / OrderedDict / list / tuple nesting them, keys of dicts being str, int,
    float, bool or None; key order and container types come back as saved. A tensor object
    that appears twice is stored once and loads as one object; ``requires_grad`` and
    ``nn.Parameter`` are kept. A whole ``nn.Module`` or optimizer raises
    :class:`CheckpointError`: save its ``state_dict()``. ``pickle_module``,
    ``pickle_protocol`` and the underscored flags are accepted for PyTorch's signature and
    unused (nothing is pickled); ``metadata`` (``str -> str``) is stored in the header as is.

    Example:
        >>> save(model.state_dict(), "model.safetensors")  # doctest: +SKIP
    """
    encoder = Encoder()
    if isinstance(obj, Mapping) and all(isinstance(key, str) for key in obj):
        for key, value in obj.items():  # top-level tensors keep their own names
            if isinstance(value, (Tensor, np.ndarray)):
                encoder.reserve(key, value)
    root = encoder.encode(obj)
    header: dict[str, str] = {"format": _FORMAT}
    if metadata:
        header.update({str(k): str(v) for k, v in metadata.items()})
    header[STRUCTURE_KEY] = json.dumps({"version": _VERSION, "root": root}, allow_nan=False)
    payload = _safetensors_numpy().save(encoder.arrays, metadata=header)
    if hasattr(f, "write"):
        f.write(payload)
        return
    try:
        path = os.fspath(f)
    except TypeError as error:
        raise TypeError(
            f"save expects a path, an os.PathLike or a binary file object, got {type(f).__name__}"
        ) from error
    write_atomically(os.fsdecode(path), payload)


# --- load -----------------------------------------------------------------------------------


def load(
    f: Any,
    map_location: Any = None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    backend: Any = None,
    **pickle_load_args: Any,
) -> Any:
    """Load what :func:`save` wrote (or any safetensors file) from ``f``.

    ``map_location`` says where tensors go, as in PyTorch: None (each to the device it was
    saved from: ``"cpu"`` is the current backend's CPU), a device or string (``"cpu"``,
    ``"cuda:0"``, a backend name such as ``"numba"``), a dict from saved location to target
    (``{"cuda:0": "cpu"}``), or a callable ``(tensor, location) -> tensor or None`` given each
    tensor on the CPU. ``backend=`` is plugtorch's shorthand for a backend name.

    ``weights_only`` is accepted either way: nothing is unpickled, so the result is the safe
    subset (tensors, arrays, plain values) in both cases. ``mmap=True`` maps a file's tensor
    bytes instead of reading them (copy-on-write, as PyTorch). ``pickle_module`` and extra
    pickle arguments are accepted and unused.

    Raises :class:`CheckpointNotFoundError` for a missing file and :class:`CheckpointError`
    for a truncated, foreign or crafted one, naming the file and the problem.

    Example:
        >>> state = load("model.safetensors", map_location="cpu")  # doctest: +SKIP
        >>> model.load_state_dict(state)                           # doctest: +SKIP
    """
    if backend is not None and map_location is not None:
        raise ValueError("load: pass map_location or backend, not both")
    if mmap and hasattr(f, "read"):
        raise ValueError("f must be a file path in order to use the mmap argument")
    contents = read_checkpoint(f, use_mmap=bool(mmap))
    source = _source_name(f)
    place = _Placer(source, contents, backend if backend is not None else map_location)
    text = contents.metadata.get(STRUCTURE_KEY)
    if text is None:  # a plain safetensors file: its tensors by name, in file order
        return {entry.name: place.tensor(entry.name, {}) for entry in contents.entries}
    layout = _parse_structure(source, text)
    decoder = Decoder(source, place.tensor, place.array)
    if "root" in layout:
        return decoder.decode(layout["root"])
    return _decode_version_1(source, layout, decoder, place)


def _source_name(f: Any) -> str:
    if hasattr(f, "read"):
        name = getattr(f, "name", None)
        return os.fsdecode(name) if isinstance(name, (str, bytes)) else f"<{type(f).__name__}>"
    return os.fsdecode(os.fspath(f))


def _parse_structure(source: str, text: str) -> dict[str, Any]:
    try:
        layout = json.loads(text)
    except RecursionError as error:
        raise CheckpointError(f"{source}: plugtorch metadata is nested too deeply") from error
    except ValueError as error:
        raise CheckpointError(
            f"{source}: plugtorch metadata is not valid JSON ({error})"
        ) from error
    if not isinstance(layout, dict):
        raise CheckpointError(f"{source}: plugtorch metadata is not a JSON object")
    version = layout.get("version", 1)
    if "root" in layout:
        if version != _VERSION:
            raise CheckpointError(
                f"{source}: plugtorch metadata version {version!r:.20} is not one this "
                f"plugtorch reads ({_VERSION}); upgrade plugtorch"
            )
        return layout
    if isinstance(layout.get("order"), list) and isinstance(layout.get("values"), dict):
        return layout
    raise CheckpointError(f"{source}: plugtorch metadata has neither 'root' nor 'order'")


def _decode_version_1(
    source: str, layout: dict[str, Any], decoder: Decoder, place: _Placer
) -> dict[str, Any]:
    """Files from plugtorch 0.1: a str-keyed dict, tensors at the top under their keys."""
    values = {}
    for key, value in layout["values"].items():
        values[key] = decoder.decode(value, key)
    result: dict[str, Any] = {}
    for key in layout["order"]:
        if not isinstance(key, str):
            raise CheckpointError(f"{source}: corrupt plugtorch metadata: key {key!r:.40}")
        result[key] = values[key] if key in values else place.tensor(key, {})
    return result


class _Placer:
    """Makes each stored array a tensor where ``map_location`` says, once per stored name."""

    def __init__(self, source: str, contents: Contents, map_location: Any) -> None:
        self.source = source
        self.arrays = contents.arrays
        self.codes = {entry.name: entry.code for entry in contents.entries}
        self.map_location = map_location
        self.made: dict[str, Any] = {}
        self.resolved: dict[tuple[bool, str], Any] = {}
        if not (
            map_location is None
            or isinstance(map_location, (str, dict))
            or callable(map_location)
            or hasattr(map_location, "backend")
            or hasattr(map_location, "capabilities")
        ):
            raise TypeError(
                "map_location should be a string, a device, a dict or a callable, got "
                f"{type(map_location).__name__}"
            )

    def array(self, name: str) -> np.ndarray:
        if name not in self.arrays:
            raise CheckpointError(f"{self.source}: refers to array {name!r:.60}, not in the file")
        return self._checked(name).copy()

    def tensor(self, name: str, node: Mapping[str, Any]) -> Any:
        made = self.made.get(name)
        if made is not None:
            return made
        if name not in self.arrays:
            raise CheckpointError(f"{self.source}: refers to tensor {name!r:.60}, not in the file")
        array = self._checked(name)
        location = node.get("device", "cpu")
        result = self._place(array, location)
        if node.get("requires_grad") and result._dtype.is_floating_point:
            result = result.detach().requires_grad_(True)
        if node.get("parameter"):
            result = Parameter(result, requires_grad=bool(node.get("requires_grad")))
        self.made[name] = result
        return result

    def _checked(self, name: str) -> np.ndarray:
        code = self.codes[name]
        dtype = numpy_dtype(code)
        try:
            supported = dtype is not None and dtypes.from_numpy_dtype(dtype) is not None
        except TypeError:
            supported = False
        if not supported:
            raise CheckpointError(
                f"{self.source}: tensor {name!r} has dtype {dtype_name(code)}, which plugtorch "
                "does not support yet"
            )
        return self.arrays[name]

    def _place(self, array: np.ndarray, location: str) -> Any:
        target = self.map_location
        if callable(target) and not isinstance(target, (str, dict, Device)):
            on_cpu = as_tensor(array, backend=self._backend_for("cpu", saved=False))
            moved = target(on_cpu, location)
            if moved is None:
                return as_tensor(array, backend=self._backend_for(location, saved=True))
            if not isinstance(moved, Tensor):
                raise TypeError(
                    f"map_location returned {type(moved).__name__}; it must return a tensor or None"
                )
            return moved
        if isinstance(target, dict):
            target = target.get(location)
        if target is None:
            return as_tensor(array, backend=self._backend_for(location, saved=True))
        return as_tensor(array, backend=self._backend_for(target, saved=False))

    def _backend_for(self, target: Any, saved: bool) -> Any:
        """The backend for a target; ``saved`` when it is a location read from the file."""
        key = (saved, target if isinstance(target, str) else repr(target))
        found = self.resolved.get(key)
        if found is None:
            found = _saved_backend(target, self.source) if saved else _backend_of(target)
            self.resolved[key] = found
        return found


def _backend_of(target: Any) -> Any:
    if hasattr(target, "capabilities"):  # a backend object
        return target
    if isinstance(target, Device):
        return target.backend
    if not isinstance(target, str):
        raise TypeError(f"map_location target must be a str or device, got {target!r:.60}")
    return device(target).backend


def _saved_backend(location: str, source: str) -> Any:
    """Where a tensor saved at ``location`` goes without map_location; a location that this
    machine lacks (or a crafted one) raises CheckpointDeviceError with the fix."""
    try:
        return _backend_of(location)
    except (RuntimeError, ValueError, TypeError) as error:
        what = (
            "a CUDA device but no installed backend offers one here"
            if location.startswith("cuda")
            else f"device {location!r:.40}, which this machine does not have"
        )
        raise CheckpointDeviceError(
            f"{source}: a tensor was saved on {what}; load it with map_location='cpu' (or "
            "another device, or a dict such as {'cuda:0': 'cpu'})"
        ) from error


# --- safe globals (nothing to allow: nothing is unpickled) ----------------------------------

_safe_globals: list[Any] = []


def add_safe_globals(safe_globals: list[Any]) -> None:
    """Accepted for PyTorch compatibility. PyTorch uses this list to let ``weights_only``
    unpickling build extra classes; plugtorch never unpickles, so the list is only recorded
    (:func:`get_safe_globals`) and changes nothing.

    >>> add_safe_globals([dict]); get_safe_globals()
    [<class 'dict'>]
    >>> clear_safe_globals()
    """
    if not isinstance(safe_globals, list):
        raise TypeError(f"add_safe_globals expects a list, got {type(safe_globals).__name__}")
    _safe_globals.extend(safe_globals)


def get_safe_globals() -> list[Any]:
    """What :func:`add_safe_globals` recorded."""
    return list(_safe_globals)


def clear_safe_globals() -> None:
    """Forget what :func:`add_safe_globals` recorded."""
    _safe_globals.clear()


@contextmanager
def safe_globals(safe_globals: list[Any]) -> Iterator[None]:
    """Context manager form of :func:`add_safe_globals` (recorded inside the block only).

    >>> with safe_globals([dict]):
    ...     get_safe_globals()
    [<class 'dict'>]
    """
    saved = get_safe_globals()
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _safe_globals[:] = saved
