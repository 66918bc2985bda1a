"""MNIST's IDX file format: reading (plain or gzip) with strict validation, and writing.

An IDX file is a 4-byte magic number ``00 00 TT NN`` (``TT`` the element type, ``NN`` the number
of dimensions), ``NN`` big-endian uint32 sizes, then the elements, big-endian, row-major.

Example:
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x.idx")
    >>> write_idx(path, np.arange(6, dtype=np.uint8).reshape(2, 3))
    >>> read_idx(path).tolist()
    [[0, 1, 2], [3, 4, 5]]
"""

from __future__ import annotations

import gzip
import os
import zlib
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["IDX_DTYPES", "IDXFormatError", "read_idx", "write_idx"]

# type code -> big-endian numpy dtype
IDX_DTYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


class IDXFormatError(ValueError):
    """A file that is not a valid IDX file (foreign, truncated or with trailing bytes)."""


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        raw = handle.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as error:
        raise IDXFormatError(
            f"{path}: gzip data is truncated or corrupt ({error}); download the file again"
        ) from error


def read_idx(path: str | os.PathLike[str]) -> npt.NDArray[Any]:
    """Read an IDX file (gzip-compressed or not) into a numpy array in native byte order.

    Compression is detected from the content, not the file name. Raises
    :class:`FileNotFoundError` for a missing file and :class:`IDXFormatError`, naming the file and
    the problem, for a foreign file, an unknown type code, or a size that does not match the
    header (truncated download, trailing bytes).

    Example:
        >>> images = read_idx("train-images-idx3-ubyte.gz")  # doctest: +SKIP
        >>> images.shape, images.dtype  # doctest: +SKIP
        ((60000, 28, 28), dtype('uint8'))
    """
    name = os.fspath(path)
    raw = _read_bytes(name)
    if len(raw) < 4:
        raise IDXFormatError(f"{name}: {len(raw)} bytes is too short for an IDX header (4 bytes)")
    if raw[0] != 0 or raw[1] != 0:
        raise IDXFormatError(
            f"{name}: not an IDX file (magic number starts with {raw[:4].hex()}, "
            "an IDX file starts with 0000)"
        )
    code, ndim = raw[2], raw[3]
    dtype = IDX_DTYPES.get(code)
    if dtype is None:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise IDXFormatError(f"{name}: unknown IDX type code 0x{code:02X} (known: {known})")
    header_end = 4 + 4 * ndim
    if len(raw) < header_end:
        raise IDXFormatError(
            f"{name}: truncated header: {ndim} dimensions need {header_end} bytes, "
            f"file has {len(raw)}"
        )
    shape = tuple(int(size) for size in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header_end
    if actual < expected:
        raise IDXFormatError(
            f"{name}: truncated: header says shape {shape} of {dtype.newbyteorder('=')} "
            f"({expected} data bytes) but only {actual} follow; download the file again"
        )
    if actual > expected:
        raise IDXFormatError(
            f"{name}: {actual - expected} unexpected bytes after the data of shape {shape}; "
            "this is not a well-formed IDX file"
        )
    data = np.frombuffer(raw, dtype, count=expected // dtype.itemsize, offset=header_end)
    return data.reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike[str], array: npt.ArrayLike, compress: bool = False) -> None:
    """Write ``array`` as an IDX file (gzip-compressed if ``compress``).

    The dtype must be one IDX supports: uint8, int8, int16, int32, float32 or float64.

    Example:
        >>> write_idx("labels-idx1-ubyte.gz", np.array([3, 1], np.uint8), compress=True)
        ... # doctest: +SKIP
    """
    values = np.asarray(array)
    code = _CODES.get(values.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(
            f"IDX cannot store dtype {values.dtype}; use uint8, int8, int16, "
            "int32, float32 or float64"
        )
    if values.ndim > 255:
        raise ValueError(f"IDX stores at most 255 dimensions, got {values.ndim}")
    header = bytes([0, 0, code, values.ndim]) + np.asarray(values.shape, ">u4").tobytes()
    payload = header + values.astype(IDX_DTYPES[code]).tobytes()
    if compress:
        payload = gzip.compress(payload, mtime=0)
    with open(path, "wb") as handle:
        handle.write(payload)
