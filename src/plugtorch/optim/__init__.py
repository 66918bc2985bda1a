"""``plugtorch.optim``: optimizers and learning-rate schedules, as ``torch.optim``.

>>> import plugtorch as pt
>>> from plugtorch import nn, optim
>>> model = nn.Linear(2, 1)
>>> opt = optim.SGD(model.parameters(), lr=0.1)
>>> model(pt.ones(4, 2)).sum().backward()
>>> _ = opt.step(); opt.zero_grad()
"""

from plugtorch.optim import lr_scheduler
from plugtorch.optim.adam import Adam, AdamW
from plugtorch.optim.optimizer import Optimizer
from plugtorch.optim.sgd import SGD

__all__ = ["Adam", "AdamW", "Optimizer", "SGD", "lr_scheduler"]
