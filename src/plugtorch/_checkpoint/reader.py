"""Reading a safetensors file without trusting it: every size is bounded before it is used.

The layout is ``[8-byte little-endian header length][JSON header][tensor bytes]``. The reader
takes the 8 bytes, bounds the header length (100 MB, the limit safetensors itself enforces)
and, for a regular file, checks it against the file size; reads and parses the header (depth,
number and type errors become :class:`CheckpointError`); checks every tensor entry (known
dtype, non-negative integer shape, offsets matching the shape, entries covering the data
without overlaps or holes, as the format requires); bounds the declared data by the file size
(or, for a stream, the machine's memory); only then reads or memory-maps the data. So
``/dev/zero``, a truncated file or a header claiming terabytes fails at once with a message
naming the file, and nothing in a file is ever executed.
"""

from __future__ import annotations

import io
import json
import mmap
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from plugtorch._checkpoint.errors import CheckpointError, CheckpointNotFoundError

__all__ = [
    "MAX_HEADER",
    "Contents",
    "TensorEntry",
    "dtype_name",
    "numpy_dtype",
    "read_checkpoint",
]

MAX_HEADER = 100_000_000
MAX_DIMS = 64  # numpy's limit
_CHUNK = 1 << 24
_ITEMSIZE = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8,
}  # fmt: skip
_NUMPY_NAMES = {
    "BOOL": "bool", "U8": "uint8", "I8": "int8", "I16": "int16", "U16": "uint16",
    "F16": "float16", "I32": "int32", "U32": "uint32", "F32": "float32", "I64": "int64",
    "U64": "uint64", "F64": "float64",
    "BF16": "bfloat16", "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2",
}  # fmt: skip
_FOREIGN = (
    (b"PK\x03\x04", "a PyTorch checkpoint (torch.save's zip of pickles)"),
    (b"\x80", "a Python pickle"),
    (b"\x89HDF", "an HDF5 file"),
    (b"\x93NUMPY", "a numpy .npy file"),
)
_CONVERT_HINT = (
    "; plugtorch never unpickles. Convert it once where PyTorch is installed: "
    "safetensors.torch.save_file(torch.load(path), 'model.safetensors') for a state_dict of "
    "tensors, then load that"
)


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of the header, checked: dtype code, shape, byte range in the data."""

    name: str
    code: str
    shape: tuple[int, ...]
    begin: int
    end: int


@dataclass
class Contents:
    """A checked file: its string metadata, its tensor entries in file order, the arrays."""

    metadata: dict[str, str]
    entries: list[TensorEntry]
    arrays: dict[str, np.ndarray]


def numpy_dtype(code: str) -> np.dtype | None:
    """The numpy dtype of a safetensors dtype code, None where numpy (and ml_dtypes) has none."""
    name = _NUMPY_NAMES[code]
    try:
        return np.dtype(name)
    except TypeError:
        pass
    try:  # bfloat16 and float8 live in ml_dtypes, where it is installed
        import ml_dtypes
    except ImportError:
        return None
    found = getattr(ml_dtypes, name, None)
    return None if found is None else np.dtype(found)


def dtype_name(code: str) -> str:
    """The usual name of a safetensors dtype code (``F16`` -> ``float16``)."""
    return _NUMPY_NAMES.get(code, code)


# --- sources: paths, devices, streams -------------------------------------------------------


@dataclass
class _Source:
    name: str
    stream: IO[bytes]
    size: int | None  # bytes left to read, when knowable without reading
    regular_file: bool


@contextmanager
def _open(f: Any) -> Iterator[_Source]:
    if hasattr(f, "read"):
        if isinstance(f, io.TextIOBase):
            raise TypeError(f"{_stream_name(f)}: open the checkpoint in binary mode ('rb')")
        yield _Source(_stream_name(f), f, _stream_size(f), False)
        return
    try:
        name = os.fspath(f)
    except TypeError as error:
        raise TypeError(
            f"load expects a path, an os.PathLike or a binary file object, got {type(f).__name__}"
        ) from error
    shown = os.fsdecode(name)
    try:
        stream = open(name, "rb", buffering=0)  # noqa: SIM115 (closed below)
    except FileNotFoundError as error:
        raise CheckpointNotFoundError(f"{shown}: checkpoint file not found") from error
    except IsADirectoryError as error:
        raise CheckpointError(f"{shown}: is a folder, not a checkpoint file") from error
    try:
        info = os.fstat(stream.fileno())
        if stat.S_ISDIR(info.st_mode):
            raise CheckpointError(f"{shown}: is a folder, not a checkpoint file")
        regular = stat.S_ISREG(info.st_mode)
        yield _Source(shown, stream, info.st_size if regular else None, regular)
    finally:
        stream.close()


def _stream_name(f: Any) -> str:
    name = getattr(f, "name", None)
    return os.fsdecode(name) if isinstance(name, (str, bytes)) else f"<{type(f).__name__}>"


def _stream_size(f: Any) -> int | None:
    try:
        if not f.seekable():
            return None
        here = f.tell()
        end = f.seek(0, io.SEEK_END)
        f.seek(here)
    except (AttributeError, OSError, ValueError):
        return None
    return max(0, int(end) - int(here))


def _read(source: _Source, count: int) -> bytes:
    """Up to ``count`` bytes (fewer only at the end of the stream), read in bounded chunks."""
    chunks: list[bytes] = []
    left = count
    while left > 0:
        chunk = source.stream.read(min(left, _CHUNK))
        if isinstance(chunk, str):
            raise TypeError(f"{source.name}: open the checkpoint in binary mode ('rb')")
        if not chunk:
            break
        chunks.append(bytes(chunk))
        left -= len(chunk)
    return b"".join(chunks)


# --- header -----------------------------------------------------------------------------------


def _not_safetensors(name: str, start: bytes, why: str) -> CheckpointError:
    for magic, kind in _FOREIGN:
        if start.startswith(magic):
            return CheckpointError(
                f"{name}: not a safetensors checkpoint: this is {kind}{_CONVERT_HINT}"
            )
    return CheckpointError(f"{name}: not a safetensors checkpoint ({why})")


def _parse_json(name: str, raw: bytes, what: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError as error:
        raise CheckpointError(f"{name}: {what} is nested too deeply to be a checkpoint") from error
    except (UnicodeDecodeError, ValueError) as error:  # JSONDecodeError is a ValueError
        raise CheckpointError(f"{name}: {what} is not valid JSON ({error})") from error


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _entry(name: str, key: str, raw: Any) -> TensorEntry:
    def bad(problem: str) -> CheckpointError:
        return CheckpointError(f"{name}: malformed header entry for tensor {key!r}: {problem}")

    if not isinstance(raw, dict):
        raise bad("not a JSON object")
    missing = [field for field in ("dtype", "shape", "data_offsets") if field not in raw]
    if missing:
        raise bad(f"missing {', '.join(missing)}")
    code, shape, offsets = raw["dtype"], raw["shape"], raw["data_offsets"]
    if not isinstance(code, str) or code not in _ITEMSIZE:
        raise CheckpointError(f"{name}: tensor {key!r} has unknown dtype {code!r:.40}")
    if not (isinstance(shape, list) and all(_integer(s) and s >= 0 for s in shape)):
        raise bad("shape must be a list of non-negative integers")
    if len(shape) > MAX_DIMS:
        raise bad(f"{len(shape)} dimensions (at most {MAX_DIMS})")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_integer, offsets))):
        raise bad("data_offsets must be two integers")
    begin, end = offsets
    count = 1
    for size in shape:
        count *= size
    if begin < 0 or end - begin != count * _ITEMSIZE[code]:
        raise CheckpointError(
            f"{name}: tensor {key!r}: offsets [{begin}, {end}] do not match its shape "
            f"{shape} of {code}"
        )
    return TensorEntry(key, code, tuple(shape), begin, end)


def _check_layout(name: str, entries: list[TensorEntry]) -> int:
    """The data size the entries cover; raises when they overlap or leave holes."""
    position = 0
    for entry in sorted(entries, key=lambda e: (e.begin, e.end)):
        if entry.begin < position:
            raise CheckpointError(f"{name}: tensor {entry.name!r} overlaps another tensor's bytes")
        if entry.begin > position:
            raise CheckpointError(
                f"{name}: the tensor data has a hole at bytes [{position}, {entry.begin}) "
                "(the format requires every byte to belong to a tensor)"
            )
        position = entry.end
    return position


def _parse_header(name: str, raw: bytes) -> tuple[dict[str, str], list[TensorEntry], int]:
    header = _parse_json(name, raw, "the header")
    if not isinstance(header, dict):
        raise CheckpointError(f"{name}: not a safetensors checkpoint (header is not an object)")
    metadata = header.pop("__metadata__", None)
    if metadata is None:  # absent, or null: the format allows both
        metadata = {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise CheckpointError(f"{name}: the header's __metadata__ must map strings to strings")
    entries = [_entry(name, key, value) for key, value in header.items()]
    return metadata, entries, _check_layout(name, entries)


def _memory_limit() -> int:
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return 1 << 40


# --- the whole file ---------------------------------------------------------------------------


def read_checkpoint(f: Any, use_mmap: bool = False) -> Contents:
    """Check and read the safetensors file ``f`` (a path, os.PathLike or binary stream).

    Arrays are copies, except with ``use_mmap`` on a regular file: then they are views of a
    private (copy-on-write) memory map of it.
    """
    with _open(f) as source:
        name = source.name
        head = _read(source, 8)
        if len(head) < 8:
            raise CheckpointError(
                f"{name}: {len(head)} bytes is too short to be a safetensors checkpoint "
                "(truncated or not a checkpoint)"
            )
        header_size = int.from_bytes(head, "little")
        available = None if source.size is None else source.size - 8
        if header_size == 0:
            raise _not_safetensors(name, head, "the header length is 0")
        if header_size > MAX_HEADER:
            raise _not_safetensors(
                name, head, f"header length {header_size} is implausible; another format"
            )
        if available is not None and header_size > available:
            raise CheckpointError(
                f"{name}: truncated: the header needs {header_size} bytes but the file has "
                f"only {available} after the length field"
            )
        raw = _read(source, header_size)
        if len(raw) < header_size:
            raise CheckpointError(
                f"{name}: truncated: the header needs {header_size} bytes but the file has "
                f"only {len(raw)} after the length field"
            )
        if not raw.lstrip(b" ").startswith(b"{"):
            raise _not_safetensors(name, head + raw[:8], "no JSON header after the length field")
        metadata, entries, total = _parse_header(name, raw)
        data_size = None if available is None else available - header_size
        _check_size(name, total, data_size)
        if use_mmap and source.regular_file and total > 0:
            arrays = _map_arrays(source, 8 + header_size, entries)
        else:
            arrays = _read_arrays(source, entries, total)
    return Contents(metadata, entries, arrays)


def _check_size(name: str, total: int, data_size: int | None) -> None:
    if data_size is None:
        limit = _memory_limit()
        if total > limit:
            raise CheckpointError(
                f"{name}: the header declares {total} bytes of tensor data, more than this "
                f"machine's {limit} bytes of memory (a crafted or corrupt file)"
            )
        return
    if total > data_size:
        raise CheckpointError(
            f"{name}: truncated: the tensors need {total} data bytes but the file holds "
            f"only {data_size}"
        )
    if total < data_size:
        raise CheckpointError(
            f"{name}: {data_size - total} unexpected bytes after the tensor data (a corrupt "
            "file, or two files joined)"
        )


def _layout(entry: TensorEntry) -> tuple[np.dtype, tuple[int, ...]]:
    dtype = numpy_dtype(entry.code)
    if dtype is None:  # kept as raw bytes; the caller reports the unsupported dtype
        return np.dtype(np.uint8), (entry.end - entry.begin,)
    return dtype.newbyteorder("<"), entry.shape


def _read_arrays(source: _Source, entries: list[TensorEntry], total: int) -> dict[str, np.ndarray]:
    """Each tensor read straight into its own array, in file order (one copy, no map: a file
    truncated while it is read gives an error, never a bus error)."""
    arrays: dict[str, np.ndarray] = {}
    done = 0
    for entry in sorted(entries, key=lambda e: e.begin):
        dtype, shape = _layout(entry)
        array = np.empty(shape, dtype)
        done += _fill(source, array.reshape(-1).view(np.uint8))
        if done < entry.end:
            raise CheckpointError(
                f"{source.name}: truncated: the tensors need {total} data bytes but the file "
                f"holds only {done}"
            )
        arrays[entry.name] = array
    return {entry.name: arrays[entry.name] for entry in entries}


def _fill(source: _Source, target: np.ndarray) -> int:
    """Read into ``target`` (bytes) until it is full or the stream ends; the count read."""
    view = target.data  # a memoryview of the (contiguous, 1-d uint8) target
    filled = 0
    readinto = getattr(source.stream, "readinto", None)
    while filled < len(view):
        if readinto is not None:
            count = readinto(view[filled : filled + _CHUNK])
        else:
            chunk = source.stream.read(min(len(view) - filled, _CHUNK))
            if isinstance(chunk, str):
                raise TypeError(f"{source.name}: open the checkpoint in binary mode ('rb')")
            count = len(chunk)
            view[filled : filled + count] = chunk
        if not count:
            break
        filled += count
    return filled


def _map_arrays(source: _Source, offset: int, entries: list[TensorEntry]) -> dict[str, np.ndarray]:
    """Views of a private copy-on-write map of the file (``load(..., mmap=True)``)."""
    mapped = mmap.mmap(source.stream.fileno(), 0, access=mmap.ACCESS_COPY)
    arrays = {}
    for entry in entries:
        dtype, shape = _layout(entry)
        count = (entry.end - entry.begin) // dtype.itemsize
        flat = np.frombuffer(mapped, dtype, count, offset + entry.begin)
        arrays[entry.name] = flat.reshape(shape)
    return arrays  # the views keep the map alive
