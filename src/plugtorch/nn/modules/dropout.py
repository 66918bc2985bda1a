"""``torch.nn.modules.dropout``'s path for :class:`~plugtorch.nn.Dropout`.

>>> from plugtorch.nn.modules.dropout import Dropout
>>> Dropout(0.5).p
0.5
"""

from plugtorch.nn.modules.normalization import Dropout

__all__ = ["Dropout"]
