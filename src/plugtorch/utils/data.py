"""``torch.utils.data`` spelled for plugtorch: re-exports :mod:`plugtorch.data`.

>>> from plugtorch.utils.data import DataLoader, TensorDataset
"""

from plugtorch.data import *  # noqa: F401,F403
from plugtorch.data import __all__  # noqa: F401


def __getattr__(name: str) -> object:  # DistributedSampler loads plugtorch.distributed on use
    if name == "DistributedSampler":
        from plugtorch.distributed.sampler import DistributedSampler

        return DistributedSampler
    raise AttributeError(f"module 'plugtorch.utils.data' has no attribute {name!r}")
