"""``plugtorch.onnx``: imports, so scripts that mention ONNX run; exporting is not supported.

plugtorch does not trace models into ONNX graphs. ``export`` and ``dynamo_export`` raise
:class:`OnnxExporterError` (a ``RuntimeError``, as in PyTorch) naming the way that works:
save the weights with ``plugtorch.save(model.state_dict(), "model.safetensors")``, load them
into the same model written with PyTorch (``safetensors.torch.load_file``), and call
``torch.onnx.export`` there.

Example:
    >>> import plugtorch as pt
    >>> pt.onnx.is_in_onnx_export()
    False
    >>> pt.onnx.export(pt.nn.Linear(2, 1), (pt.ones(1, 2),), "model.onnx")
    Traceback (most recent call last):
    ...
    plugtorch.onnx.OnnxExporterError: plugtorch.onnx.export is not supported: ...
"""

from __future__ import annotations

from typing import Any

__all__ = ["OnnxExporterError", "dynamo_export", "export", "is_in_onnx_export"]

_ALTERNATIVE = (
    "plugtorch does not trace models into ONNX graphs. Save the weights with "
    "plugtorch.save(model.state_dict(), 'model.safetensors'), load them into the same model "
    "written with PyTorch (model.load_state_dict(safetensors.torch.load_file("
    "'model.safetensors'))) and export there with torch.onnx.export"
)


class OnnxExporterError(RuntimeError):
    """Raised by every ONNX export entry point: plugtorch cannot export to ONNX."""


def export(model: Any, args: Any = (), f: Any = None, *more: Any, **options: Any) -> Any:
    """Not supported: raises :class:`OnnxExporterError` with the way to export instead."""
    raise OnnxExporterError(f"plugtorch.onnx.export is not supported: {_ALTERNATIVE}")


def dynamo_export(model: Any, *args: Any, **options: Any) -> Any:
    """Not supported: raises :class:`OnnxExporterError` with the way to export instead."""
    raise OnnxExporterError(f"plugtorch.onnx.dynamo_export is not supported: {_ALTERNATIVE}")


def is_in_onnx_export() -> bool:
    """True while an ONNX export runs: never, in plugtorch."""
    return False
