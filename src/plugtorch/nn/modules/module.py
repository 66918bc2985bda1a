"""``torch.nn.modules.module``'s path: :class:`~plugtorch.nn.Module` lives in
:mod:`plugtorch.nn.module`.

>>> from plugtorch.nn.modules.module import Module
>>> Module.__name__
'Module'
"""

from plugtorch.nn.module import Module

__all__ = ["Module"]
