"""``plugtorch.optim``: optimizers and learning-rate schedules, as ``torch.optim``.

>>> import plugtorch as pt
>>> from plugtorch import nn, optim
>>> model = nn.Linear(2, 1)
>>> opt = optim.SGD(model.parameters(), lr=0.1)
>>> model(pt.ones(4, 2)).sum().backward()
>>> _ = opt.step(); opt.zero_grad()
"""

from plugtorch.optim import lr_scheduler
from plugtorch.optim.adadelta import Adadelta
from plugtorch.optim.adagrad import Adagrad
from plugtorch.optim.adam import Adam, AdamW
from plugtorch.optim.adamax import Adamax
from plugtorch.optim.nadam import NAdam
from plugtorch.optim.optimizer import Optimizer
from plugtorch.optim.radam import RAdam
from plugtorch.optim.rmsprop import RMSprop
from plugtorch.optim.sgd import SGD

__all__ = [
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "SGD",
    "lr_scheduler",
]
