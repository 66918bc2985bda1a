"""``plugtorch.optim.lr_scheduler``: learning-rate schedules, as ``torch.optim.lr_scheduler``
(call ``scheduler.step()`` after ``optimizer.step()``, once per epoch, or per batch for
``OneCycleLR``).

>>> import plugtorch as pt
>>> opt = pt.optim.SGD([pt.zeros(1, requires_grad=True)], lr=1.0)
>>> sched = StepLR(opt, step_size=1, gamma=0.5)
>>> opt.step(); sched.step(); sched.get_last_lr()
[0.5]
"""

from plugtorch.optim.lr_scheduler.base import LRScheduler
from plugtorch.optim.lr_scheduler.composite import ChainedScheduler, SequentialLR
from plugtorch.optim.lr_scheduler.cosine import (
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    OneCycleLR,
)
from plugtorch.optim.lr_scheduler.multiplicative import (
    ConstantLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from plugtorch.optim.lr_scheduler.plateau import ReduceLROnPlateau

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]
