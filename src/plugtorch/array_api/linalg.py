"""The ``linalg`` extension of the array API standard.

Functions that compose from plugtorch ops (``matmul``, ``matrix_transpose``, ``tensordot``,
``vecdot``, ``outer``, ``trace``, ``diagonal``, ``cross``, ``vector_norm``, the Frobenius and
infinity ``matrix_norm``, ``matrix_power``) are differentiable. Factorizations and solvers
(``cholesky``, ``det``, ``eigh``, ``inv``, ``qr``, ``slogdet``, ``solve``, ``svd``, ...) have no
backend primitive: they run on the host with ``numpy.linalg`` and return to the backend, without
a gradient. ``eig`` and ``eigvals`` (new in 2025.12) return complex arrays, which plugtorch does
not have, so they are absent; see docs/array-api.md.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

import plugtorch.ops as _ops
from plugtorch import dtypes
from plugtorch.array_api._helpers import (
    as_axes,
    as_axis,
    check_array,
    host_result,
    promote_pair,
    to_host,
)
from plugtorch.array_api._linear_algebra import matmul, matrix_transpose, tensordot, vecdot
from plugtorch.array_api._statistical import sum as sum_
from plugtorch.tensor import Tensor

__all__ = [
    "cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "matmul", "matrix_norm",
    "matrix_power", "matrix_rank", "matrix_transpose", "outer", "pinv", "qr", "slogdet",
    "solve", "svd", "svdvals", "tensordot", "trace", "vecdot", "vector_norm",
    "EighResult", "QRResult", "SlogdetResult", "SVDResult",
]  # fmt: skip


class EighResult(NamedTuple):
    eigenvalues: Tensor
    eigenvectors: Tensor


class QRResult(NamedTuple):
    Q: Tensor
    R: Tensor


class SlogdetResult(NamedTuple):
    sign: Tensor
    logabsdet: Tensor


class SVDResult(NamedTuple):
    U: Tensor
    S: Tensor
    Vh: Tensor


def _floating(x: Tensor, name: str) -> Tensor:
    check_array(x, name)
    if x._dtype.is_floating_point:
        return x
    return x.to(dtypes.get_default_dtype())


def _host(name: str, fn: Any, x: Tensor, *args: Any, **kwargs: Any) -> Any:
    with np.errstate(all="ignore"):
        return fn(to_host(x), *args, **kwargs)


def _back(name: str, values: Any, like: Tensor) -> Tensor:
    return host_result(
        f"linalg.{name} (host, no gradient)",
        np.asarray(values).astype(like._dtype.numpy, copy=False),
        like,
        like._dtype,
    )


def _square(x: Tensor, name: str) -> Tensor:
    x = _floating(x, name)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"linalg.{name}() needs a stack of square matrices, got {x.shape}")
    return x


# --- host factorizations and solvers ---------------------------------------------------------


def cholesky(x: Tensor, /, *, upper: bool = False) -> Tensor:
    """Cholesky factor of symmetric positive-definite matrices (host)."""
    x = _square(x, "cholesky")
    lower = _host("cholesky", np.linalg.cholesky, x)
    return _back("cholesky", np.swapaxes(lower, -1, -2) if upper else lower, x)


def det(x: Tensor, /) -> Tensor:
    """Determinant (host)."""
    x = _square(x, "det")
    return _back("det", _host("det", np.linalg.det, x), x)


def slogdet(x: Tensor, /) -> SlogdetResult:
    """Sign and log of the absolute determinant (host)."""
    x = _square(x, "slogdet")
    found = _host("slogdet", np.linalg.slogdet, x)
    return SlogdetResult(_back("slogdet", found.sign, x), _back("slogdet", found.logabsdet, x))


def eigh(x: Tensor, /) -> EighResult:
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices (host)."""
    x = _square(x, "eigh")
    found = _host("eigh", np.linalg.eigh, x)
    return EighResult(_back("eigh", found.eigenvalues, x), _back("eigh", found.eigenvectors, x))


def eigvalsh(x: Tensor, /) -> Tensor:
    """Eigenvalues (ascending) of symmetric matrices (host)."""
    x = _square(x, "eigvalsh")
    return _back("eigvalsh", _host("eigvalsh", np.linalg.eigvalsh, x), x)


def inv(x: Tensor, /) -> Tensor:
    """Matrix inverse (host)."""
    x = _square(x, "inv")
    return _back("inv", _host("inv", np.linalg.inv, x), x)


def pinv(x: Tensor, /, *, rtol: float | Tensor | None = None) -> Tensor:
    """Moore-Penrose pseudo-inverse (host); ``rtol`` defaults to ``max(M, N) * eps``."""
    x = _floating(x, "pinv")
    if rtol is None:
        rtol = max(x.shape[-2:]) * float(np.finfo(x._dtype.numpy).eps)
    tolerance = to_host(rtol) if isinstance(rtol, Tensor) else rtol
    return _back("pinv", _host("pinv", np.linalg.pinv, x, rtol=tolerance), x)


def matrix_rank(x: Tensor, /, *, rtol: float | Tensor | None = None) -> Tensor:
    """Number of singular values above ``rtol * largest`` (host)."""
    x = _floating(x, "matrix_rank")
    values = _host("matrix_rank", np.linalg.svd, x, compute_uv=False)
    if rtol is None:
        rtol = max(x.shape[-2:]) * float(np.finfo(x._dtype.numpy).eps)
    tolerance = to_host(rtol)[..., None] if isinstance(rtol, Tensor) else rtol
    largest = values.max(axis=-1, keepdims=True) if values.shape[-1] else values[..., :1]
    rank = np.count_nonzero(values > tolerance * largest, axis=-1)
    return host_result("linalg.matrix_rank", rank.astype(np.int64), x, dtypes.int64)


def qr(x: Tensor, /, *, mode: str = "reduced") -> QRResult:
    """QR factorization (host)."""
    x = _floating(x, "qr")
    if mode not in ("reduced", "complete"):
        raise ValueError(f"mode must be 'reduced' or 'complete', got {mode!r}")
    found = _host("qr", np.linalg.qr, x, mode=mode)
    return QRResult(_back("qr", found.Q, x), _back("qr", found.R, x))


def solve(x1: Tensor, x2: Tensor, /) -> Tensor:
    """The solution ``y`` of ``x1 @ y = x2`` (host); a 1-D ``x2`` is a vector."""
    a, b = promote_pair("solve", _floating(x1, "solve"), _floating(x2, "solve"))
    a = _square(a, "solve")
    host_a, host_b = to_host(a), to_host(b)
    with np.errstate(all="ignore"):
        if host_b.ndim == 1:
            found = np.linalg.solve(host_a, host_b[..., None])[..., 0]
        else:
            batch = np.broadcast_shapes(host_a.shape[:-2], host_b.shape[:-2])
            found = np.linalg.solve(
                np.broadcast_to(host_a, batch + host_a.shape[-2:]),
                np.broadcast_to(host_b, batch + host_b.shape[-2:]),
            )
    return _back("solve", found, a)


def svd(x: Tensor, /, *, full_matrices: bool = True) -> SVDResult:
    """Singular value decomposition ``x = U @ diag(S) @ Vh`` (host)."""
    x = _floating(x, "svd")
    found = _host("svd", np.linalg.svd, x, full_matrices=full_matrices)
    return SVDResult(_back("svd", found.U, x), _back("svd", found.S, x), _back("svd", found.Vh, x))


def svdvals(x: Tensor, /) -> Tensor:
    """Singular values, descending (host)."""
    x = _floating(x, "svdvals")
    return _back("svdvals", _host("svdvals", np.linalg.svd, x, compute_uv=False), x)


# --- differentiable compositions --------------------------------------------------------------


def outer(x1: Tensor, x2: Tensor, /) -> Tensor:
    """Outer product of two vectors."""
    a, b = promote_pair("outer", x1, x2)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError("linalg.outer() needs two 1-D arrays")
    return _ops.mul(_ops.reshape(a, (-1, 1)), _ops.reshape(b, (1, -1)))


def diagonal(x: Tensor, /, *, offset: int = 0) -> Tensor:
    """The ``offset`` diagonal of the last two axes (a gather)."""
    check_array(x, "diagonal")
    rows, cols = x.shape[-2], x.shape[-1]
    start_row, start_col = (0, offset) if offset >= 0 else (-offset, 0)
    length = max(0, min(rows - start_row, cols - start_col))
    flat = _ops.reshape(x, (*x.shape[:-2], rows * cols))
    positions = (np.arange(length) + start_row) * cols + np.arange(length) + start_col
    index = _ops.tensor(positions, "int64", backend=x._backend)
    return _ops.index_select(flat, flat.ndim - 1, index)


def trace(x: Tensor, /, *, offset: int = 0, dtype: Any = None) -> Tensor:
    """Sum of the ``offset`` diagonal of the last two axes."""
    return sum_(diagonal(x, offset=offset), axis=-1, dtype=dtype)


def cross(x1: Tensor, x2: Tensor, /, *, axis: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``axis`` (composite)."""
    a, b = promote_pair("cross", x1, x2)
    if axis >= 0:
        raise ValueError("linalg.cross(): axis must be negative (counted from the end)")
    a, b = _ops.broadcast_tensors(a, b)
    axis = as_axis(axis, a.ndim)
    if a.shape[axis] != 3:
        raise ValueError("linalg.cross() needs vectors of size 3 along axis")
    a0, a1, a2 = (_ops.slice_dim(a, axis, i, i + 1) for i in range(3))
    b0, b1, b2 = (_ops.slice_dim(b, axis, i, i + 1) for i in range(3))
    return _ops.cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis)


def vector_norm(
    x: Tensor,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    keepdims: bool = False,
    ord: int | float = 2,  # noqa: A002 (the standard's name)
) -> Tensor:
    """``(sum |x|**ord)**(1/ord)`` over ``axis``; ``inf``/``-inf`` give max/min of ``|x|``."""
    x = _floating(x, "vector_norm")
    return _ops.vector_norm(x, ord, as_axes(axis, x.ndim), keepdims)


def matrix_norm(
    x: Tensor,
    /,
    *,
    keepdims: bool = False,
    ord: int | float | str | None = "fro",  # noqa: A002 (the standard's name)
) -> Tensor:
    """Matrix norms of the last two axes: ``fro`` and ``±1``/``±inf`` differentiable; ``±2`` and
    ``nuc`` from singular values (host)."""
    x = _floating(x, "matrix_norm")
    axes = (x.ndim - 2, x.ndim - 1)
    if ord in ("fro", None):
        return _ops.sqrt(_ops.sum(x * x, axes, keepdims))
    if ord in (1, -1, math.inf, -math.inf):
        summed_axis, kept_axis = (
            (x.ndim - 2, x.ndim - 1) if ord in (1, -1) else (x.ndim - 1, x.ndim - 2)
        )
        sums = _ops.sum(_ops.abs(x), (summed_axis,), True)
        pick = _ops.amax if ord in (1, math.inf) else _ops.amin
        out = pick(sums, (kept_axis,), True)
        return out if keepdims else _ops.reshape(out, x.shape[:-2])
    if ord in (2, -2, "nuc"):
        values = svdvals(x)
        if ord == "nuc":
            out = _ops.sum(values, (values.ndim - 1,))
        else:
            out = (_ops.amax if ord == 2 else _ops.amin)(values, (values.ndim - 1,))
        return _ops.reshape(out, (*x.shape[:-2], 1, 1)) if keepdims else out
    raise ValueError(f"unsupported matrix norm order {ord!r}")


def matrix_power(x: Tensor, n: int, /) -> Tensor:
    """``x`` multiplied by itself ``n`` times (negative ``n``: powers of the inverse)."""
    x = (
        _square(check_array(x, "matrix_power"), "matrix_power")
        if x._dtype.is_floating_point
        else check_array(x, "matrix_power")
    )
    if n == 0:
        eye = np.broadcast_to(np.eye(x.shape[-1], dtype=x._dtype.numpy), x.shape)
        return _ops.tensor(np.ascontiguousarray(eye), x._dtype, backend=x._backend)
    base = inv(x) if n < 0 else x
    result = None
    power = base
    remaining = abs(n)
    while remaining:
        if remaining & 1:
            result = power if result is None else _ops.matmul(result, power)
        remaining >>= 1
        if remaining:
            power = _ops.matmul(power, power)
    assert result is not None
    return result
