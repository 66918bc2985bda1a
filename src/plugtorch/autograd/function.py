"""``Function``: write your own differentiable operation with a forward and a backward.

>>> import plugtorch as pt
>>> class Cube(pt.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x * x * x
...     @staticmethod
...     def backward(ctx, grad):
...         (x,) = ctx.saved_tensors
...         return grad * 3 * x * x
>>> x = pt.tensor(2.0, requires_grad=True)
>>> Cube.apply(x).backward()
>>> x.grad
tensor(12.)
"""

from __future__ import annotations

from typing import Any

import plugtorch  # the layers above, at call time: Tensor (docs/architecture.md, "Layers")
from plugtorch.autograd.grad_mode import is_grad_enabled, no_grad
from plugtorch.autograd.graph import Node, current_node

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """What ``forward`` passes to ``backward``: saved tensors and any attributes you set."""

    def __init__(self) -> None:
        self.saved_tensors: tuple[Any, ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()

    def save_for_backward(self, *tensors: Any) -> None:
        self.saved_tensors = tensors


class _FunctionOp:
    """Adapts a Function subclass to the op interface the graph engine calls."""

    __slots__ = ("name", "function", "ctx")

    def __init__(self, function: type[Function], ctx: FunctionCtx) -> None:
        self.name = function.__name__
        self.function = function
        self.ctx = ctx

    def backward(self, node: Node, grad: Any) -> tuple[Any, ...]:
        params = node.params
        assert params is not None
        grads = self.function.backward(self.ctx, grad)
        if not isinstance(grads, tuple):
            grads = (grads,)
        tensor_positions = params["positions"]
        if len(grads) != params["n_args"]:
            raise RuntimeError(
                f"{self.name}.backward returned {len(grads)} gradients, but forward took "
                f"{params['n_args']} arguments (return None for non-tensor ones)"
            )
        return tuple(grads[i] for i in tensor_positions)


class Function:
    """Base class for custom ops: define static ``forward(ctx, *args)`` and
    ``backward(ctx, *grads)``, then call ``MyFunction.apply(*args)``."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        raise NotImplementedError("subclasses of Function define a static forward(ctx, ...)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("subclasses of Function define a static backward(ctx, grad)")

    @classmethod
    def apply(cls, *args: Any) -> Any:
        Tensor = plugtorch.Tensor
        ctx = FunctionCtx()
        positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
        tensors = tuple(args[i] for i in positions)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with no_grad():
            output = cls.forward(ctx, *args)
        if not isinstance(output, Tensor):
            raise TypeError(f"{cls.__name__}.forward must return a Tensor")
        if is_grad_enabled() and any(t.requires_grad for t in tensors):
            if not output.dtype.is_floating_point:
                return output
            result = Tensor._make(output._data, output._backend, output._dtype, requires_grad=True)
            params = {"positions": tuple(range(len(positions))), "n_args": len(args)}
            op = _FunctionOp(cls, ctx)
            # backward returns one grad per forward argument; keep those of tensor arguments.
            params["positions"] = positions
            result._node = Node(
                op,
                tensors,
                params,
                None,
                (output._backend, output._dtype),
                tuple(current_node(t) for t in tensors),
                tuple((t, t._version) for t in ctx.saved_tensors if isinstance(t, Tensor)),
            )
            return result
        return output
