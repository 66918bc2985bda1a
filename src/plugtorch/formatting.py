"""``repr`` of tensors, in PyTorch's style: ``tensor([1.0000, 2.5000], requires_grad=True)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from plugtorch import dtypes

if TYPE_CHECKING:
    from plugtorch.tensor import Tensor

__all__ = ["tensor_repr"]

_DEFAULT_SHOWN = {"bool", "int64"}


def _format_values(values: np.ndarray) -> str:
    options: dict = {"separator": ", ", "threshold": 1000, "edgeitems": 3, "max_line_width": 80}
    if values.dtype.kind == "f" and values.size:
        finite = values[np.isfinite(values)]
        integral = finite.size == 0 or bool(np.all(finite == np.round(finite)))
        big = finite.size and float(np.max(np.abs(finite))) >= 1e8
        nonzero = np.abs(finite[finite != 0])
        small = nonzero.size and float(np.min(nonzero)) < 1e-4
        if integral and not big:
            element = _integral_float
        elif big or small:
            element = _scientific
        else:
            element = _fixed
        # Like PyTorch, every element is padded to the widest one's width.
        width = max(len(element(float(v))) for v in values.reshape(-1))
        options["formatter"] = {"float_kind": lambda v: element(float(v)).rjust(width)}
    elif values.dtype.kind == "b" and values.size:
        # PyTorch pads to the widest value present: [True, True], [ True, False]
        wide = 5 if not values.all() else 4
        options["formatter"] = {"bool": lambda v: str(bool(v)).rjust(wide)}
    return np.array2string(values, prefix="tensor(", **options)


def _scientific(value: float) -> str:
    return f"{value:.4e}" if np.isfinite(value) else str(value)


def _integral_float(value: float) -> str:
    if not np.isfinite(value):
        return str(value)
    return f"{value:.0f}."


def _fixed(value: float) -> str:
    if not np.isfinite(value):
        return str(value)
    return f"{value:.4f}"


def tensor_repr(tensor: Tensor) -> str:
    values = np.asarray(tensor._backend.to_numpy(tensor._data))
    if tensor._dtype.is_floating_point and values.dtype != np.float64:
        values = values.astype(np.float64)  # float16 and bfloat16 print their exact values
    body = _format_values(values)
    extras = []
    if tensor._backend.name != "numpy":
        extras.append(f"backend={tensor._backend.name!r}")
    shown_default = dtypes.get_default_dtype().name
    if tensor.dtype.name not in _DEFAULT_SHOWN and tensor.dtype.name != shown_default:
        extras.append(f"dtype={tensor.dtype!r}")
    if values.size == 0 and tensor.ndim != 1:
        extras.append(f"size={tensor.shape}")
    if tensor._node is not None:
        extras.append(f"grad_fn={tensor._node!r}")
    elif tensor.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + ", ".join([body] + extras) + ")"
