"""Tolerances, in one table, by dtype and kind of computation.

``exact`` for integers and bools; floating results are compared with numpy in float64 (then
rounded to the backend's dtype) using ``rtol``/``atol``. ``transcendental`` allows a few ulp
(libm and SIMD implementations differ); ``reduction`` is relative to the sum of magnitudes, so
cancellation does not make a correct sum look wrong.
"""

from __future__ import annotations

from typing import NamedTuple

from plugtorch import dtypes

__all__ = ["Tolerance", "TOLERANCES", "tolerance"]


class Tolerance(NamedTuple):
    rtol: float
    atol: float


TOLERANCES: dict[str, dict[str, Tolerance]] = {
    # 16-bit floats are computed in float32 and rounded once, the reference in float64 and
    # rounded once: the two may differ by one 16-bit ulp (2**-10 and 2**-7 relative; the atol is
    # the smallest subnormal). Accumulations run in float32, so they are as exact as that.
    "float16": {
        "exact": Tolerance(0.0, 0.0),
        "arithmetic": Tolerance(2.0**-10, 2.0**-24),
        "transcendental": Tolerance(2.0**-9, 2.0**-24),
        "reduction": Tolerance(2.0**-10, 0.0),
        "matmul": Tolerance(2.0**-9, 2.0**-14),
        "gradient": Tolerance(2.0**-6, 2.0**-10),
    },
    "bfloat16": {
        "exact": Tolerance(0.0, 0.0),
        "arithmetic": Tolerance(2.0**-7, 2.0**-133),
        "transcendental": Tolerance(2.0**-6, 2.0**-133),
        "reduction": Tolerance(2.0**-7, 0.0),
        "matmul": Tolerance(2.0**-6, 2.0**-126),
        "gradient": Tolerance(2.0**-3, 2.0**-7),
    },
    "float32": {
        "exact": Tolerance(0.0, 0.0),
        "arithmetic": Tolerance(1.2e-7, 0.0),  # correctly rounded ops: within one ulp
        "transcendental": Tolerance(4e-6, 1e-37),  # a few ulp
        "reduction": Tolerance(2e-6, 0.0),  # times sum(|x|)
        "matmul": Tolerance(2e-5, 1e-6),
        "gradient": Tolerance(1e-4, 1e-5),
    },
    "float64": {
        "exact": Tolerance(0.0, 0.0),
        "arithmetic": Tolerance(2.3e-16, 0.0),
        "transcendental": Tolerance(1e-13, 1e-300),
        "reduction": Tolerance(1e-13, 0.0),
        "matmul": Tolerance(1e-12, 1e-12),
        "gradient": Tolerance(1e-9, 1e-10),
    },
}


def tolerance(dtype: dtypes.DType, kind: str) -> Tolerance:
    """The tolerance for results of ``dtype`` from a computation of ``kind``."""
    if not dtype.is_floating_point:
        return Tolerance(0.0, 0.0)
    return TOLERANCES[dtype.name][kind]
