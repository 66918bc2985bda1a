"""``torch.nn.modules.flatten``'s path for :class:`~plugtorch.nn.Flatten`.

>>> import plugtorch as pt
>>> from plugtorch.nn.modules.flatten import Flatten
>>> Flatten()(pt.zeros(2, 3, 4)).shape
(2, 12)
"""

from plugtorch.nn.modules.linear import Flatten

__all__ = ["Flatten"]
