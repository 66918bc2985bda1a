"""Scalar functions with numpy's exact semantics, inlined into the elementwise kernels.

Each one reproduces the C code of the numpy ufunc loop it replaces, so results are bitwise
equal (checked by the tests), including nan propagation, signed zeros and integer division by
zero (numpy returns 0 there and warns; we return 0 silently). Float floor_divide and
remainder stay with numpy: its float32 loops round in float32 at every step, which numba's
literal-promotion rules make awkward to reproduce bit for bit, and they are not hot.
"""

from __future__ import annotations

from numba import njit

__all__ = [
    "int_floor_divide",
    "int_remainder",
    "maximum",
    "minimum",
]


@njit(inline="always", cache=True)
def maximum(a, b):  # type: ignore[no-untyped-def]
    # numpy: ``(in1 > in2 || isnan(in1)) ? in1 : in2``; nan in either wins, ties take in2.
    return a if (a > b or a != a) else b  # noqa: PLR0124 (nan test)


@njit(inline="always", cache=True)
def minimum(a, b):  # type: ignore[no-untyped-def]
    return a if (a < b or a != a) else b  # noqa: PLR0124 (nan test)


@njit(inline="always", cache=True, error_model="numpy")
def int_floor_divide(a, b):  # type: ignore[no-untyped-def]
    # numpy: 0 for b == 0; a // -1 is -a (wraps for the minimum value instead of trapping).
    if b == 0:
        return a - a
    if b == -1:
        return -a
    q = a // b  # numba's integer // rounds toward -inf like Python and numpy
    return q


@njit(inline="always", cache=True, error_model="numpy")
def int_remainder(a, b):  # type: ignore[no-untyped-def]
    if b == 0 or b == -1:
        return a - a
    return a % b  # sign of the divisor, like Python and numpy
