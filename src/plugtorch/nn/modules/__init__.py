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
from plugtorch.nn.modules.activation_more import ELU, LeakyReLU, Softplus
from plugtorch.nn.modules.attention import MultiheadAttention
from plugtorch.nn.modules.container import ModuleDict, ModuleList, Sequential
from plugtorch.nn.modules.conv import Conv1d, Conv2d
from plugtorch.nn.modules.distance import CosineSimilarity, PairwiseDistance
from plugtorch.nn.modules.flatten import Unflatten
from plugtorch.nn.modules.linear import (
    Embedding,
    Flatten,
    Identity,
    Linear,
    NonDynamicallyQuantizableLinear,
)
from plugtorch.nn.modules.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
    TripletMarginLoss,
)
from plugtorch.nn.modules.normalization import BatchNorm1d, BatchNorm2d, Dropout, LayerNorm
from plugtorch.nn.modules.parameter_containers import ParameterDict, ParameterList
from plugtorch.nn.modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from plugtorch.nn.modules.rnn import GRU, LSTM, RNN, RNNBase
from plugtorch.nn.modules.rnn_cells import GRUCell, LSTMCell, RNNCell, RNNCellBase
from plugtorch.nn.modules.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "CosineSimilarity",
    "CrossEntropyLoss",
    "Dropout",
    "ELU",
    "Embedding",
    "Flatten",
    "GELU",
    "GRU",
    "GRUCell",
    "HuberLoss",
    "Identity",
    "KLDivLoss",
    "L1Loss",
    "LeakyReLU",
    "LSTM",
    "LSTMCell",
    "LayerNorm",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MarginRankingLoss",
    "MaxPool2d",
    "ModuleDict",
    "ModuleList",
    "MultiheadAttention",
    "NLLLoss",
    "NonDynamicallyQuantizableLinear",
    "PairwiseDistance",
    "ParameterDict",
    "ParameterList",
    "RNN",
    "RNNBase",
    "RNNCell",
    "RNNCellBase",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softplus",
    "Tanh",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "TripletMarginLoss",
    "Unflatten",
]
