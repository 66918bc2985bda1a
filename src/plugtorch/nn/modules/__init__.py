"""The layer classes of ``plugtorch.nn``, one small module per family."""

from plugtorch.nn.modules.activation import (
    GELU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
)
from plugtorch.nn.modules.container import ModuleDict, ModuleList, Sequential
from plugtorch.nn.modules.conv import Conv1d, Conv2d
from plugtorch.nn.modules.linear import Embedding, Flatten, Identity, Linear
from plugtorch.nn.modules.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from plugtorch.nn.modules.normalization import BatchNorm1d, BatchNorm2d, Dropout, LayerNorm
from plugtorch.nn.modules.parameter_containers import ParameterDict, ParameterList
from plugtorch.nn.modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "GELU",
    "Identity",
    "L1Loss",
    "LayerNorm",
    "LogSoftmax",
    "Linear",
    "MSELoss",
    "MaxPool2d",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "ParameterDict",
    "ParameterList",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
]
