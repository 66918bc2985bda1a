"""Fused optimizer updates for the numpy reference backend: ``sgd_step`` and
``sgd_step_inplace``, torch.optim.SGD with momentum.

The update is the core's decomposition (``plugtorch.optim.SGD``) written as whole-array numpy
operations and the backend's in-place primitives in the same order, each rounded to the
parameter's dtype as the core's ops round it, so results agree with the decomposition to the
last bit in every float dtype; what it saves is the core's dispatch of five to seven tensor
ops per parameter. Signatures and semantics are those of ``OPTIONAL_PRIMITIVES`` in
:mod:`plugtorch.backend.protocol` (these take the backend as their first argument: they are
its methods).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["sgd_step", "sgd_step_inplace"]

Array = np.ndarray


def sgd_step_inplace(
    backend: Any,
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

    The buffer and the parameter are updated with the backend's own in-place primitives, as
    the decomposition's ``mul_`` and ``add_`` do, so no temporary of their size is made.

    >>> from plugtorch_numpy import NumpyBackend
    >>> p, b = np.array([1.0, 2.0]), np.zeros(2)
    >>> g = np.array([1.0, -1.0])
    >>> sgd_step_inplace(NumpyBackend(), p, g, b, 0.5, 0.9, 0.0, 0.0, False, False, True)
    >>> p.tolist(), b.tolist()
    ([0.5, 2.5], [1.0, -1.0])
    """
    dtype = param.dtype
    g = np.negative(grad) if maximize else grad
    if weight_decay:
        g = g + param * np.asarray(weight_decay, dtype)
    if first_step:
        momentum_buffer[...] = g
    else:
        backend.binary_inplace("multiply", momentum_buffer, np.asarray(momentum, dtype))
        keep = 1 - dampening
        if keep == 1:
            backend.binary_inplace("add", momentum_buffer, g)
        else:
            backend.add_scaled_inplace(momentum_buffer, g, keep)
    if nesterov:
        direction = g + momentum_buffer * np.asarray(momentum, dtype)
    else:
        direction = momentum_buffer
    backend.add_scaled_inplace(param, direction, -lr)


def sgd_step(
    backend: Any,
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

    >>> from plugtorch_numpy import NumpyBackend
    >>> p, b = np.array([1.0]), np.array([1.0])
    >>> sgd_step(NumpyBackend(), p, np.array([2.0]), b, 0.5, 0.5, 0.0, 0.0, False, False, False)
    (array([-0.25]), array([2.5]))
    >>> p, b
    (array([1.]), array([1.]))
    """
    new_param = param.copy()
    new_buffer = momentum_buffer.copy()
    sgd_step_inplace(
        backend, new_param, grad, new_buffer, lr, momentum, dampening, weight_decay, nesterov,
        maximize, first_step,
    )  # fmt: skip
    return new_param, new_buffer
