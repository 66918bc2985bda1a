"""``plugtorch.nn.parallel``: ``DistributedDataParallel``, as ``torch.nn.parallel`` names it.

>>> from plugtorch.nn.parallel import DistributedDataParallel
>>> from plugtorch.nn.parallel.distributed import DistributedDataParallel as DDP
>>> DDP is DistributedDataParallel
True
"""

from plugtorch.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
