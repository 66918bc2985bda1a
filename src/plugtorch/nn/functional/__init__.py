"""``plugtorch.nn.functional``: the stateless form of every layer, loss and activation.

>>> import plugtorch as pt
>>> import plugtorch.nn.functional as F
>>> F.cross_entropy(pt.tensor([[2.0, 0.0]]), pt.tensor([0])).item() < 0.2
True
"""

from plugtorch.nn.functional.activation import (
    erf,
    gelu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    tanh,
)
from plugtorch.nn.functional.activation_more import elu, erfc, leaky_relu, softplus
from plugtorch.nn.functional.attention import (
    multi_head_attention_forward,
    scaled_dot_product_attention,
)
from plugtorch.nn.functional.conv import (
    adaptive_avg_pool2d,
    avg_pool2d,
    conv1d,
    conv2d,
    fold,
    max_pool2d,
    unfold,
)
from plugtorch.nn.functional.distance import (
    cosine_similarity,
    margin_ranking_loss,
    pairwise_distance,
    triplet_margin_loss,
)
from plugtorch.nn.functional.layers import (
    batch_norm,
    dropout,
    embedding,
    flatten,
    layer_norm,
    linear,
)
from plugtorch.nn.functional.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from plugtorch.nn.functional.pointwise_loss import huber_loss, kl_div, smooth_l1_loss
from plugtorch.nn.functional.vectors import normalize, one_hot
from plugtorch.ops.shape import pad

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "cosine_similarity",
    "cross_entropy",
    "dropout",
    "embedding",
    "elu",
    "erf",
    "erfc",
    "flatten",
    "fold",
    "gelu",
    "huber_loss",
    "kl_div",
    "leaky_relu",
    "l1_loss",
    "layer_norm",
    "linear",
    "log_softmax",
    "margin_ranking_loss",
    "max_pool2d",
    "mse_loss",
    "multi_head_attention_forward",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "pairwise_distance",
    "relu",
    "scaled_dot_product_attention",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
    "triplet_margin_loss",
    "unfold",
]
