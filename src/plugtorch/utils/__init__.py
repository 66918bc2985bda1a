"""PyTorch's ``torch.utils`` paths: :mod:`plugtorch.utils.data`."""

from plugtorch.utils import data

__all__ = ["data"]
