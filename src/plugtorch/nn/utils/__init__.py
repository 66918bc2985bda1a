"""``plugtorch.nn.utils``: gradient clipping and parameter/vector conversion, as
``torch.nn.utils``.

>>> import plugtorch as pt
>>> from plugtorch import nn
>>> model = nn.Linear(2, 1)
>>> model(pt.ones(1, 2)).sum().backward()
>>> float(nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)) > 0
True
"""

from plugtorch.nn.utils.clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from plugtorch.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "vector_to_parameters",
]
