"""Fused optimizer updates for the numpy reference backend: ``sgd_step`` and
``sgd_step_inplace``, torch.optim.SGD with momentum.

The update is the core's decomposition (``plugtorch.optim.SGD``) written as whole-array numpy
operations in the same order, each rounded to the parameter's dtype as the core's ops round
it, so float32 and float64 results agree with the decomposition to the last bit. float16 and
bfloat16 are computed in float32 and rounded once. Signatures and semantics are those of
``OPTIONAL_PRIMITIVES`` in :mod:`plugtorch.backend.protocol`.
"""

from __future__ import annotations

import numpy as np

from plugtorch.backend.array_api import is_half

__all__ = ["sgd_step", "sgd_step_inplace"]

Array = np.ndarray


def sgd_step_inplace(
    param: Array,
    grad: Array,
    momentum_buffer: Array,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
    first_step: bool,
) -> None:
    """One SGD-with-momentum step written into ``param`` and ``momentum_buffer``::

        g = -grad if maximize else grad
        g = g + weight_decay * param                  (when weight_decay != 0)
        buf = g                                       (first step)
        buf = momentum * buf + (1 - dampening) * g    (later steps)
        param = param - lr * (g + momentum * buf if nesterov else buf)

    >>> p, b = np.array([1.0, 2.0]), np.zeros(2)
    >>> sgd_step_inplace(p, np.array([1.0, -1.0]), b, 0.5, 0.9, 0.0, 0.0, False, False, True)
    >>> p.tolist(), b.tolist()
    ([0.5, 2.5], [1.0, -1.0])
    """
    if is_half(param):
        wide = [a.astype(np.float32) for a in (param, grad, momentum_buffer)]
        sgd_step_inplace(*wide, lr, momentum, dampening, weight_decay, nesterov, maximize,
                         first_step)  # fmt: skip
        param[...] = wide[0].astype(param.dtype)
        momentum_buffer[...] = wide[2].astype(param.dtype)
        return
    kind = param.dtype.type
    g = np.negative(grad) if maximize else grad
    if weight_decay:
        g = g + param * kind(weight_decay)
    if first_step:
        momentum_buffer[...] = g
    else:
        momentum_buffer *= kind(momentum)
        keep = 1 - dampening
        momentum_buffer += g if keep == 1 else kind(keep) * g
    direction = g + momentum_buffer * kind(momentum) if nesterov else momentum_buffer
    param += kind(-lr) * direction


def sgd_step(
    param: Array,
    grad: Array,
    momentum_buffer: Array,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
    first_step: bool,
) -> tuple[Array, Array]:
    """:func:`sgd_step_inplace` into new arrays: ``(param, momentum_buffer)``; the inputs are
    not changed.

    >>> p, b = np.array([1.0]), np.array([1.0])
    >>> sgd_step(p, np.array([2.0]), b, 0.5, 0.5, 0.0, 0.0, False, False, False)
    (array([-0.25]), array([2.5]))
    >>> p, b
    (array([1.]), array([1.]))
    """
    new_param = param.copy()
    new_buffer = momentum_buffer.copy()
    sgd_step_inplace(
        new_param, grad, new_buffer, lr, momentum, dampening, weight_decay, nesterov, maximize,
        first_step,
    )  # fmt: skip
    return new_param, new_buffer
