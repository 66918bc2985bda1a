"""Moving tensors between backends (differentiable: the gradient moves back)."""

from __future__ import annotations

from typing import Any

import numpy as np

from plugtorch.autograd import grad_mode
from plugtorch.autograd.graph import Node, current_node
from plugtorch.backend import registry
from plugtorch.backend.protocol import Backend, require_dtype
from plugtorch.ops.registry import apply, op
from plugtorch.tensor import Tensor

__all__ = ["to_backend", "clone"]


class _MoveOp:
    """Graph record of a move: its backward moves the gradient to the source backend."""

    name = "to_backend"

    def backward(self, node: Node, grad: Tensor) -> tuple[Tensor]:
        assert node.inputs is not None
        return (to_backend(grad, node.inputs[0]._backend),)


_MOVE = _MoveOp()


def _transfer(data: Any, source: Any, target: Any, dtype: Any) -> Any:
    host = np.asarray(source.to_numpy(data))
    return target.asarray(host, dtype)


def to_backend(x: Tensor, backend: Any) -> Tensor:
    """``x`` on another backend (a copy through the host; a no-op on the same backend).

    >>> import plugtorch as pt
    >>> pt.ones(2).to("numpy").backend.name
    'numpy'
    """
    target = registry.get_backend(backend)
    if target is x._backend:
        return x
    if x._dtype not in target.capabilities.dtypes:
        require_dtype(target, x._dtype)
    data = _transfer(x._data, x._backend, target, x._dtype)
    if x.requires_grad and grad_mode.is_grad_enabled():
        out = Tensor._make(data, target, x._dtype, requires_grad=True)
        out._node = Node(
            _MOVE,
            (x,),
            None,
            None,
            (target, x._dtype),
            (current_node(x),),
        )
        return out
    return Tensor._make(data, target, x._dtype)


@op("clone", needs=())
def clone_op(b: Backend, x: Any, *, dtype: Any) -> Any:
    """A copy with its own memory (``astype`` always returns a new array). Gradient: grad."""
    return b.astype(x, dtype)


@clone_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (g,)


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy of ``input`` with its own memory, bit for bit (-0.0 and nan payloads kept).
    Differentiable: the gradient passes through.

    >>> import plugtorch as pt
    >>> x = pt.tensor([-0.0, 1.0])
    >>> y = pt.clone(x)
    >>> _ = y.add_(1)
    >>> x
    tensor([-0.,  1.])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"clone(): expected a Tensor, got {type(input).__name__}")
    return apply(clone_op, (input,), input._dtype, dtype=input._dtype)
