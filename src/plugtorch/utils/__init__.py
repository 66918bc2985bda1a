"""PyTorch-compatible module paths: ``plugtorch.utils.data`` is :mod:`plugtorch.data`."""

from plugtorch.utils import data

__all__ = ["data"]
