"""Checkpoints: ``save`` / ``load`` in the safetensors format (never pickle), written atomically.

A state dict is a ``str -> Tensor`` mapping (``module.state_dict()``); each tensor is stored
under its own key, so any safetensors reader can open the file. Anything else in the dict
(numbers, strings, lists, nested dicts such as an optimizer's state) goes into the header's
metadata as JSON, with any tensors inside it stored under dotted keys (``state.0.momentum``).

Example:
    >>> import os, tempfile, plugtorch
    >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
    >>> save({"weight": plugtorch.tensor([[1.0, 2.0]]), "step": 3}, path)
    >>> state = load(path)
    >>> state["weight"].tolist(), state["step"]
    ([[1.0, 2.0]], 3)
"""

from __future__ import annotations

import json
import math
import os
import struct
import tempfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from plugtorch import dtypes
from plugtorch.ops.creation import as_tensor
from plugtorch.tensor import Tensor

__all__ = ["CheckpointError", "CheckpointNotFoundError", "load", "save"]

_STRUCTURE_KEY = "plugtorch.structure"
_FORMAT = "plugtorch"
_MAX_HEADER = 100_000_000  # the limit safetensors itself enforces
_ITEMSIZE = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "I64": 8,
    "U64": 8,
    "F64": 8,
}
_INSTALL_HINT = (
    "checkpoints need the safetensors package: pip install safetensors "
    "(or pip install plugtorch[checkpoint])"
)


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read (missing, truncated, foreign) or a state dict that
    cannot be saved; the message names the file and the problem."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint file does not exist (also a FileNotFoundError)."""


def _safetensors_numpy() -> Any:
    try:
        import safetensors.numpy
    except ImportError as error:
        raise ImportError(_INSTALL_HINT) from error
    return safetensors.numpy


# --- encoding the non-tensor structure ------------------------------------------------------


def _is_tensor(value: Any) -> bool:
    return isinstance(value, (Tensor, np.ndarray))


def _encode(value: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """JSON for ``value``; tensors inside it are moved to ``arrays`` and left as references."""
    if _is_tensor(value):
        name = path
        suffix = 1
        while name in arrays:  # a dotted path can collide with a real key
            suffix += 1
            name = f"{path}#{suffix}"
        arrays[name] = _to_numpy(value, name)
        return {"__tensor__": name}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return _encode(value.item(), path, arrays)
    if isinstance(value, Mapping):
        items = [[key, _encode(item, f"{path}.{key}", arrays)] for key, item in value.items()]
        for key, _ in items:
            if not (key is None or isinstance(key, (str, int, float, bool))):
                raise CheckpointError(
                    f"cannot save key {key!r} at {path!r}: keys must be "
                    "str, int, float, bool or None"
                )
        return {"__dict__": items}
    if isinstance(value, (list, tuple)):
        encoded = [_encode(item, f"{path}.{i}", arrays) for i, item in enumerate(value)]
        return encoded if isinstance(value, list) else {"__tuple__": encoded}
    raise CheckpointError(
        f"cannot save {type(value).__name__} at {path!r}: a checkpoint holds tensors, numbers, "
        "strings, None, and lists/tuples/dicts of them"
    )


def _decode(value: Any, tensors: Mapping[str, Any]) -> Any:
    if isinstance(value, list):
        return [_decode(item, tensors) for item in value]
    if not isinstance(value, dict):
        return value
    if "__tensor__" in value:
        return tensors[value["__tensor__"]]
    if "__float__" in value:
        return float(value["__float__"])
    if "__tuple__" in value:
        return tuple(_decode(item, tensors) for item in value["__tuple__"])
    return {key: _decode(item, tensors) for key, item in value["__dict__"]}


def _to_numpy(value: Any, name: str) -> np.ndarray:
    array = value.numpy() if isinstance(value, Tensor) else value
    try:
        dtypes.from_numpy_dtype(array.dtype.newbyteorder("="))
    except TypeError as error:
        raise CheckpointError(f"cannot save {name!r}: {error}") from error
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("="))
    # not np.ascontiguousarray: it turns a 0-d array into a 1-d one
    return array if array.flags.c_contiguous else array.copy(order="C")


# --- save -----------------------------------------------------------------------------------


def save(
    state_dict: Mapping[str, Any],
    path: str | os.PathLike[str],
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write ``state_dict`` to ``path`` as a safetensors file, atomically.

    The file is written to a temporary file in the same folder, flushed to disk, then renamed
    over ``path``: a crash leaves either the old file or the new one, never half of one.
    ``metadata`` (``str -> str``) is stored in the header as is.

    Example:
        >>> save(model.state_dict(), "model.safetensors")  # doctest: +SKIP
    """
    if not isinstance(state_dict, Mapping):
        raise CheckpointError(
            f"save expects a mapping str -> Tensor, got {type(state_dict).__name__}"
        )
    arrays: dict[str, np.ndarray] = {}
    extras: dict[str, Any] = {}
    for key, value in state_dict.items():
        if not isinstance(key, str):
            raise CheckpointError(f"state_dict keys must be str, got {key!r}")
        if _is_tensor(value):
            arrays[key] = _to_numpy(value, key)
    for key, value in state_dict.items():
        if not _is_tensor(value):
            extras[key] = value
    header: dict[str, str] = {"format": _FORMAT}
    if metadata:
        header.update({str(k): str(v) for k, v in metadata.items()})
    if extras:
        order = list(state_dict)  # keep the caller's key order on load
        encoded = {key: _encode(value, key, arrays) for key, value in extras.items()}
        header[_STRUCTURE_KEY] = json.dumps({"order": order, "values": encoded})
    payload = _safetensors_numpy().save(arrays, metadata=header)
    _write_atomically(os.fspath(path), payload)


def _write_atomically(path: str, payload: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable; not possible on every platform
        directory = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory)
    except OSError:
        pass
    finally:
        os.close(directory)


# --- load -----------------------------------------------------------------------------------


def _read_header(path: str, raw: bytes) -> dict[str, Any]:
    """Validate the safetensors layout ourselves, so truncation is reported as such."""
    if len(raw) < 8:
        raise CheckpointError(
            f"{path}: {len(raw)} bytes is too short to be a safetensors "
            "checkpoint (truncated or not a checkpoint)"
        )
    (header_size,) = struct.unpack("<Q", raw[:8])
    if len(raw) > 8 and raw[8:9] != b"{":
        raise CheckpointError(
            f"{path}: not a safetensors checkpoint (no JSON header after the length field; "
            f"the file starts with {raw[:12].hex()})"
        )
    if header_size > _MAX_HEADER:
        raise CheckpointError(
            f"{path}: not a safetensors checkpoint (header length "
            f"{header_size} is implausible; the file is of another format)"
        )
    if 8 + header_size > len(raw):
        raise CheckpointError(
            f"{path}: truncated: the header needs {header_size} bytes but the "
            f"file has only {len(raw) - 8} after the length field"
        )
    try:
        header = json.loads(raw[8 : 8 + header_size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(
            f"{path}: not a safetensors checkpoint (header is not JSON: {error})"
        ) from error
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: not a safetensors checkpoint (header is not an object)")
    data_size = len(raw) - 8 - header_size
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
            count = math.prod(int(s) for s in shape)
        except (KeyError, TypeError, ValueError) as error:
            raise CheckpointError(f"{path}: malformed header entry for tensor {name!r}") from error
        if dtype not in _ITEMSIZE:
            raise CheckpointError(f"{path}: tensor {name!r} has unknown dtype {dtype!r}")
        if end - begin != count * _ITEMSIZE[dtype] or begin < 0:
            raise CheckpointError(
                f"{path}: tensor {name!r}: offsets [{begin}, {end}] do not "
                f"match its shape {shape} of {dtype}"
            )
        if end > data_size:
            raise CheckpointError(
                f"{path}: truncated: tensor {name!r} ends at byte {end} of the "
                f"data but the file holds only {data_size} data bytes"
            )
    return header


def load(path: str | os.PathLike[str], backend: Any = None) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save` (or any safetensors file) into Tensors.

    Tensors are created on ``backend`` (a name or backend object; default: the current default
    backend). Raises :class:`CheckpointNotFoundError` for a missing file and
    :class:`CheckpointError` for a truncated or foreign one, naming the file.

    Example:
        >>> state = load("model.safetensors", backend="numpy")  # doctest: +SKIP
        >>> model.load_state_dict(state)                        # doctest: +SKIP
    """
    name = os.fspath(path)
    safetensors_numpy = _safetensors_numpy()
    try:
        with open(name, "rb") as stream:
            raw = stream.read()
    except FileNotFoundError as error:
        raise CheckpointNotFoundError(f"{name}: checkpoint file not found") from error
    except IsADirectoryError as error:
        raise CheckpointError(f"{name}: is a folder, not a checkpoint file") from error
    header = _read_header(name, raw)
    try:
        arrays = safetensors_numpy.load(raw)
    except Exception as error:  # the library's SafetensorError is not exported portably
        raise CheckpointError(f"{name}: not a valid safetensors checkpoint ({error})") from error
    tensors: dict[str, Any] = {}
    for key, array in arrays.items():
        try:
            tensors[key] = as_tensor(array, backend=backend)
        except TypeError as error:
            raise CheckpointError(
                f"{name}: tensor {key!r} has dtype {array.dtype}, which "
                f"plugtorch does not support ({error})"
            ) from error
    metadata = header.get("__metadata__") or {}
    structure = metadata.get(_STRUCTURE_KEY)
    if structure is None:
        return tensors
    try:
        layout = json.loads(structure)
        values = {key: _decode(value, tensors) for key, value in layout["values"].items()}
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{name}: corrupt plugtorch metadata ({error})") from error
    return {key: values[key] if key in values else tensors[key] for key in layout["order"]}
