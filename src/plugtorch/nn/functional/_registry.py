"""Declaring the ops of ``plugtorch.nn.functional``.

An nn op is declared exactly like a core op (forward on backend arrays, backward rule in
differentiable tensor ops, beside it) and lands in the one registry, ``plugtorch.ops.REGISTRY``,
so the op database (``plugtorch/testing/op_db.py``) and the conformance suite see it like
every other op.
``NN_OPS`` lists the subset declared here.
"""

from __future__ import annotations

from typing import Any, Callable

from plugtorch.ops.registry import Op, op

__all__ = ["NN_OPS", "nn_op", "declares"]

NN_OPS: dict[str, Op] = {}


def nn_op(
    name: str,
    *,
    saves_output: bool = False,
    needs: tuple[tuple[int, ...], ...] | None = None,
) -> Callable[[Callable[..., Any]], Op]:
    """Declare an nn op from its forward ``f(backend, *arrays, **params) -> array``
    (``saves_output`` and ``needs`` as for :func:`plugtorch.ops.op`)."""

    def register(forward: Callable[..., Any]) -> Op:
        declared = op(name, saves_output=saves_output, needs=needs)(forward)
        NN_OPS[name] = declared
        return declared

    return register


def declares(backend: Any, primitive: str) -> bool:
    """True when ``backend`` declares the optional ``primitive`` (it must then be used)."""
    return primitive in backend.capabilities.primitives
