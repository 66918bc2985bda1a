"""``plugtorch.backends.cuda``: the CUDA matmul switches, with PyTorch's defaults and links.

``matmul.allow_tf32`` and :func:`plugtorch.set_float32_matmul_precision` are one setting seen
two ways, as in PyTorch: ``allow_tf32 = True`` sets the precision to ``"high"``, ``False`` to
``"highest"``, and ``set_float32_matmul_precision("high")`` makes ``allow_tf32`` True. The
reduced-precision-reduction flags are recorded for a GPU backend to consult.

>>> import plugtorch as pt
>>> pt.backends.cuda.matmul.allow_tf32
False
>>> pt.backends.cuda.matmul.allow_tf32 = True
>>> pt.get_float32_matmul_precision()
'high'
>>> pt.backends.cuda.matmul.allow_tf32 = False
"""

from __future__ import annotations

from plugtorch import _settings, cuda

__all__ = ["cuBLASModule", "is_built", "matmul"]


class cuBLASModule:
    """The ``matmul`` object: ``allow_tf32``, ``allow_fp16_reduced_precision_reduction``,
    ``allow_bf16_reduced_precision_reduction``; any other name raises ``AttributeError``."""

    __slots__ = ("_fp16_reduction", "_bf16_reduction")

    def __init__(self) -> None:
        self._fp16_reduction = True
        self._bf16_reduction = True

    @property
    def allow_tf32(self) -> bool:
        return _settings.get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value: bool) -> None:
        _settings.set_float32_matmul_precision("high" if value else "highest")

    @property
    def allow_fp16_reduced_precision_reduction(self) -> bool:
        return self._fp16_reduction

    @allow_fp16_reduced_precision_reduction.setter
    def allow_fp16_reduced_precision_reduction(self, value: bool) -> None:
        self._fp16_reduction = bool(value)

    @property
    def allow_bf16_reduced_precision_reduction(self) -> bool:
        return self._bf16_reduction

    @allow_bf16_reduced_precision_reduction.setter
    def allow_bf16_reduced_precision_reduction(self, value: bool) -> None:
        self._bf16_reduction = bool(value)

    def __repr__(self) -> str:
        return f"<plugtorch.backends.cuda.matmul allow_tf32={self.allow_tf32}>"


matmul = cuBLASModule()


def is_built() -> bool:
    """Whether plugtorch can use CUDA here: an installed backend offers a CUDA device."""
    return cuda.is_available()
