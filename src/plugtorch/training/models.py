"""The models the ``plugtorch train`` command trains."""

from __future__ import annotations

from plugtorch import nn
from plugtorch.ops.creation import tensor
from plugtorch.tensor import Tensor

__all__ = ["DigitsNet", "Network"]


class DigitsNet(nn.Module):
    """A small convolutional network for 8x8 digit images: two conv + pool blocks, then two
    linear layers. ``(N, 1, 8, 8) -> (N, 10)`` logits.

    Inputs are first standardised with the buffers ``input_mean`` and ``input_std`` (the
    training set's pixel statistics, set by the trainer and saved in the checkpoint).

    >>> import plugtorch as pt
    >>> DigitsNet()(pt.zeros(2, 1, 8, 8)).shape
    (2, 10)
    """

    def __init__(self, channels: tuple[int, int] = (16, 32), hidden: int = 64) -> None:
        super().__init__()
        first, second = channels
        self.register_buffer("input_mean", tensor(0.0))
        self.register_buffer("input_std", tensor(1.0))
        self.features = nn.Sequential(
            nn.Conv2d(1, first, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8x8 -> 4x4
            nn.Conv2d(first, second, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 4x4 -> 2x2
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(second * 2 * 2, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 10),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = (x - self.input_mean) / self.input_std
        return self.classifier(self.features(x))


class Network(nn.Module):
    """The seed network of the MiniTorch course, as written there (only the import differs):
    three linear layers, ReLU between them, a sigmoid at the end. ``(N, 2) -> (N, 1)``.

    >>> import plugtorch as pt
    >>> Network(4).forward(pt.zeros(3, 2)).shape
    (3, 1)
    """

    def __init__(self, hidden_layers: int) -> None:
        super().__init__()
        self.layer1 = nn.Linear(2, hidden_layers)
        self.layer2 = nn.Linear(hidden_layers, hidden_layers)
        self.layer3 = nn.Linear(hidden_layers, 1)

    def forward(self, x: Tensor) -> Tensor:
        middle = self.layer1.forward(x).relu()
        end = self.layer2.forward(middle).relu()
        return self.layer3.forward(end).sigmoid()
