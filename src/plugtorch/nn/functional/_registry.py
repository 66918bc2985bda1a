"""Declaring the ops of ``plugtorch.nn.functional``: the same :class:`~plugtorch.ops.Op` as the
core, in a registry of their own.

An nn op is declared exactly like a core op (forward on backend arrays, backward rule in
differentiable tensor ops, beside it); only the table differs: ``NN_OPS`` rather than
``plugtorch.ops.REGISTRY``. The core registry is the contract the core's op database and the
array-API namespace are checked against; nn ops (convolution, pooling, softmax, ...) are
checked by the nn tests (``tests/test_nn_registry.py`` gradchecks every entry of ``NN_OPS``).
"""

from __future__ import annotations

from typing import Any, Callable

from plugtorch.ops.registry import Op

__all__ = ["NN_OPS", "nn_op", "declares"]

NN_OPS: dict[str, Op] = {}


def nn_op(name: str, *, saves_output: bool = False) -> Callable[[Callable[..., Any]], Op]:
    """Declare an nn op from its forward ``f(backend, *arrays, **params) -> array``."""

    def register(forward: Callable[..., Any]) -> Op:
        if name in NN_OPS:
            raise ValueError(f"nn op {name!r} is declared twice")
        declared = Op(name, forward, saves_output, True)
        NN_OPS[name] = declared
        return declared

    return register


def declares(backend: Any, primitive: str) -> bool:
    """True when ``backend`` declares the optional ``primitive`` (it must then be used)."""
    return primitive in backend.capabilities.primitives
