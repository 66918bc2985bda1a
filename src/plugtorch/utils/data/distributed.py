"""``torch.utils.data.distributed``'s path for :class:`DistributedSampler`, which lives in
:mod:`plugtorch.distributed` (each rank's share of a dataset, ``set_epoch`` to reshuffle).

>>> from plugtorch.utils.data.distributed import DistributedSampler
>>> list(DistributedSampler(range(6), num_replicas=2, rank=1, shuffle=False))
[1, 3, 5]
"""

from plugtorch.distributed.sampler import DistributedSampler

__all__ = ["DistributedSampler"]
