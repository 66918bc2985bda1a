"""Training helpers behind ``plugtorch train`` / ``plugtorch evaluate``: the models, the loop,
the report, the checkpoint and the plot."""

from plugtorch.training.loop import History, accuracy, evaluate, plot_history, train_epoch
from plugtorch.training.models import DigitsNet, Network

__all__ = ["DigitsNet", "History", "Network", "accuracy", "evaluate", "plot_history", "train_epoch"]
