"""``torch.nn.modules.sparse``'s path for :class:`~plugtorch.nn.Embedding`.

>>> from plugtorch.nn.modules.sparse import Embedding
>>> Embedding(10, 3).weight.shape
(10, 3)
"""

from plugtorch.nn.modules.linear import Embedding

__all__ = ["Embedding"]
