"""``torch.utils.data`` spelled for plugtorch: re-exports :mod:`plugtorch.data`.

>>> from plugtorch.utils.data import DataLoader, TensorDataset
"""

from plugtorch.data import *  # noqa: F401,F403
from plugtorch.data import __all__  # noqa: F401
from plugtorch.distributed.sampler import DistributedSampler  # noqa: F401,E402
