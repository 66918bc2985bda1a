"""``torch.nn.modules.batchnorm``'s path for the batch normalisation layers.

>>> from plugtorch.nn.modules.batchnorm import BatchNorm2d
>>> BatchNorm2d(3).num_features
3
"""

from plugtorch.nn.modules.normalization import BatchNorm1d, BatchNorm2d

__all__ = ["BatchNorm1d", "BatchNorm2d"]
