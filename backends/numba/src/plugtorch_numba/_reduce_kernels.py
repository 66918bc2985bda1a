"""Reduction kernels over C-contiguous arrays.

Two loop orders, chosen by where the reduced axes sit in memory:

* ``*_rows(x[M, K])``: reduce each row. Work is split into (row, chunk) pairs so that one long
  row also uses every core; each chunk is summed in blocks of ``SUM_BLOCK`` with reassociation
  allowed (the loop vectorises into many independent partial sums, which is also pairwise-like
  for accuracy), block sums go into a float64 total, chunk totals are combined by the caller.
* ``*_cols(x[A, K, B])``: reduce the middle axis by accumulating whole rows into a vector of
  ``COL_BLOCK`` outputs, parallel over (A, column block). No reassociation is needed: the
  lanes are independent. Float32 sums accumulate in float64.

Only ``reassoc`` is enabled, never ``nnan``/``ninf``, so nan and inf propagate as in numpy.
"""

import numpy as np
from numba import njit, prange

from plugtorch_numba._scalar import maximum, minimum

CHUNK = 1 << 16
SUM_BLOCK = 1024
COL_BLOCK = 512

_REASSOC = {"reassoc"}


@njit(parallel=True, cache=True, fastmath=_REASSOC, error_model="numpy", nogil=True)
def sum_rows(x, partial):  # type: ignore[no-untyped-def]
    """partial[i, c] += sum of chunk c of row i (partial: zeros, float64 or int64)."""
    m, k = x.shape
    nch = partial.shape[1]
    for t in prange(m * nch):
        i = t // nch
        c = t - i * nch
        j0 = c * CHUNK
        j1 = min(j0 + CHUNK, k)
        total = partial[i, c]  # the caller passes zeros
        for b0 in range(j0, j1, SUM_BLOCK):
            b1 = min(b0 + SUM_BLOCK, j1)
            s = x[i, b0]
            for j in range(b0 + 1, b1):
                s += x[i, j]
            total += s
        partial[i, c] = total


@njit(parallel=True, cache=True, fastmath=_REASSOC, error_model="numpy", nogil=True)
def max_rows(x, partial):  # type: ignore[no-untyped-def]
    m, k = x.shape
    nch = partial.shape[1]
    for t in prange(m * nch):
        i = t // nch
        c = t - i * nch
        j0 = c * CHUNK
        j1 = min(j0 + CHUNK, k)
        best = x[i, j0]
        nan_seen = False
        for j in range(j0, j1):
            v = x[i, j]
            nan_seen |= v != v  # noqa: PLR0124 (nan test)
            best = v if v > best else best  # noqa: FURB136 (same as numpy, vectorises)
        partial[i, c] = np.nan if nan_seen else best


@njit(parallel=True, cache=True, fastmath=_REASSOC, error_model="numpy", nogil=True)
def min_rows(x, partial):  # type: ignore[no-untyped-def]
    m, k = x.shape
    nch = partial.shape[1]
    for t in prange(m * nch):
        i = t // nch
        c = t - i * nch
        j0 = c * CHUNK
        j1 = min(j0 + CHUNK, k)
        best = x[i, j0]
        nan_seen = False
        for j in range(j0, j1):
            v = x[i, j]
            nan_seen |= v != v  # noqa: PLR0124 (nan test)
            best = v if v < best else best  # noqa: FURB136 (same as numpy, vectorises)
        partial[i, c] = np.nan if nan_seen else best


@njit(parallel=True, cache=True, error_model="numpy", nogil=True)
def sum_cols(x, out):  # type: ignore[no-untyped-def]
    """out[a, b] = sum over k of x[a, k, b] (out float64 or int64)."""
    na, k, nb = x.shape
    nblk = (nb + COL_BLOCK - 1) // COL_BLOCK
    for t in prange(na * nblk):
        a = t // nblk
        j0 = (t - a * nblk) * COL_BLOCK
        j1 = min(j0 + COL_BLOCK, nb)
        acc = np.zeros(j1 - j0, dtype=out.dtype)
        for kk in range(k):
            for j in range(j0, j1):
                acc[j - j0] += x[a, kk, j]
        for j in range(j0, j1):
            out[a, j] = acc[j - j0]


@njit(parallel=True, cache=True, error_model="numpy", nogil=True)
def max_cols(x, out):  # type: ignore[no-untyped-def]
    na, k, nb = x.shape
    nblk = (nb + COL_BLOCK - 1) // COL_BLOCK
    for t in prange(na * nblk):
        a = t // nblk
        j0 = (t - a * nblk) * COL_BLOCK
        j1 = min(j0 + COL_BLOCK, nb)
        for j in range(j0, j1):
            out[a, j] = x[a, 0, j]
        for kk in range(1, k):
            for j in range(j0, j1):
                out[a, j] = maximum(out[a, j], x[a, kk, j])


@njit(parallel=True, cache=True, error_model="numpy", nogil=True)
def min_cols(x, out):  # type: ignore[no-untyped-def]
    na, k, nb = x.shape
    nblk = (nb + COL_BLOCK - 1) // COL_BLOCK
    for t in prange(na * nblk):
        a = t // nblk
        j0 = (t - a * nblk) * COL_BLOCK
        j1 = min(j0 + COL_BLOCK, nb)
        for j in range(j0, j1):
            out[a, j] = x[a, 0, j]
        for kk in range(1, k):
            for j in range(j0, j1):
                out[a, j] = minimum(out[a, j], x[a, kk, j])
