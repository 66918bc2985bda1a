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
