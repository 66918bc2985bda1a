"""Reduction kernels over C-contiguous arrays.

Two loop orders, chosen by where the reduced axes sit in memory:

* ``sum_rows(x[M, K])``: sum each row (max and min of rows are numpy's SIMD reductions:
  numba does not vectorise a float max). Work is split into (row, chunk) pairs so that one
  long row also uses every core. A sum adds ``SUM_BLOCK`` elements at a time with reassociation
  allowed (the loop vectorises into many independent partial sums, pairwise-like for
  accuracy) and adds block sums into a float64 (or int64) total. The inner loops index a 1-D
  row slice: indexing the 2-D array there kept the loop scalar (measured 6x slower).
* ``*_cols(x[A, K, B])``: reduce the middle axis by adding whole rows into a vector of
  accumulators, as numpy does, but parallel over (A, chunk of K, block of B), eight rows per
  pass and 64 rows per float64 update (4096x4096 f32 on one core: 4 rows per pass 2.04 ms,
  8 rows 1.83 ms, 64 rows per update 1.6-1.7 ms, numpy 1.7-2.0 ms; column blocks of 4096
  beat 2048/1024/512, whose many short strided streams prefetch worse).
  Float32 sums accumulate in float64; the caller adds the chunks' partial sums.

Only ``reassoc`` is enabled, never ``nnan``/``ninf``, so nan and inf propagate as in numpy.
"""

import numpy as np
from numba import njit

from plugtorch_numba._scalar import maximum, minimum

CHUNK = 1 << 16
SUM_BLOCK = 1024
COL_BLOCK = 4096

_REASSOC = {"reassoc"}


@njit(cache=True, fastmath=_REASSOC, error_model="numpy", nogil=True)
def sum_rows(x, partial, t0, t1):  # type: ignore[no-untyped-def]
    """partial[i, c] = sum of chunk c of row i (partial: float64 or int64)."""
    m, k = x.shape
    nch = partial.shape[1]
    for t in range(t0, t1):
        i = t // nch
        c = t - i * nch
        j0 = c * CHUNK
        j1 = min(j0 + CHUNK, k)
        row = x[i, j0:j1]
        partial[i, c] = 0
        total = partial[i, c]  # a zero of the accumulator's type
        for b0 in range(0, j1 - j0, SUM_BLOCK):
            block = row[b0 : min(b0 + SUM_BLOCK, j1 - j0)]
            s = block[0]
            for j in range(1, block.shape[0]):
                s += block[j]
            total += s
        partial[i, c] = total


@njit(cache=True, error_model="numpy", nogil=True)
def sum_cols(x, partial, t0, t1):  # type: ignore[no-untyped-def]
    """partial[a, c, b] = sum over chunk c of K of x[a, k, b] (float64 or int64).

    Eight rows are added pairwise in the input type, eight such groups (64 rows) into a
    vector ``block`` of the input type, and that into the float64 accumulators: the wide
    accumulators are then read and written once per 64 input rows."""
    na, k, nb = x.shape
    nch = partial.shape[1]
    step = (k + nch - 1) // nch
    nblk = (nb + COL_BLOCK - 1) // COL_BLOCK
    block = np.empty(min(COL_BLOCK, nb), dtype=x.dtype)
    for t in range(t0, t1):
        a = t // (nch * nblk)
        rest = t - a * (nch * nblk)
        c = rest // nblk
        j0 = (rest - c * nblk) * COL_BLOCK
        j1 = min(j0 + COL_BLOCK, nb)
        width = j1 - j0
        acc = partial[a, c, j0:j1]
        acc[:] = 0
        k1 = min(c * step + step, k)
        kk = c * step
        while kk + 64 <= k1:
            for g in range(kk, kk + 64, 8):
                r0 = x[a, g, j0:j1]
                r1 = x[a, g + 1, j0:j1]
                r2 = x[a, g + 2, j0:j1]
                r3 = x[a, g + 3, j0:j1]
                r4 = x[a, g + 4, j0:j1]
                r5 = x[a, g + 5, j0:j1]
                r6 = x[a, g + 6, j0:j1]
                r7 = x[a, g + 7, j0:j1]
                if g == kk:
                    for j in range(width):
                        block[j] = ((r0[j] + r1[j]) + (r2[j] + r3[j])) + (
                            (r4[j] + r5[j]) + (r6[j] + r7[j])
                        )
                else:
                    for j in range(width):
                        block[j] += ((r0[j] + r1[j]) + (r2[j] + r3[j])) + (
                            (r4[j] + r5[j]) + (r6[j] + r7[j])
                        )
            for j in range(width):
                acc[j] += block[j]
            kk += 64
        while kk < k1:
            r0 = x[a, kk, j0:j1]
            for j in range(width):
                acc[j] += r0[j]
            kk += 1


@njit(cache=True, error_model="numpy", nogil=True)
def max_cols(x, out, t0, t1):  # type: ignore[no-untyped-def]
    na, k, nb = x.shape
    nblk = (nb + COL_BLOCK - 1) // COL_BLOCK
    for t in range(t0, t1):
        a = t // nblk
        j0 = (t - a * nblk) * COL_BLOCK
        j1 = min(j0 + COL_BLOCK, nb)
        acc = out[a, j0:j1]
        acc[:] = x[a, 0, j0:j1]
        for kk in range(1, k):
            r = x[a, kk, j0:j1]
            for j in range(j1 - j0):
                acc[j] = maximum(acc[j], r[j])


@njit(cache=True, error_model="numpy", nogil=True)
def min_cols(x, out, t0, t1):  # type: ignore[no-untyped-def]
    na, k, nb = x.shape
    nblk = (nb + COL_BLOCK - 1) // COL_BLOCK
    for t in range(t0, t1):
        a = t // nblk
        j0 = (t - a * nblk) * COL_BLOCK
        j1 = min(j0 + COL_BLOCK, nb)
        acc = out[a, j0:j1]
        acc[:] = x[a, 0, j0:j1]
        for kk in range(1, k):
            r = x[a, kk, j0:j1]
            for j in range(j1 - j0):
                acc[j] = minimum(acc[j], r[j])
