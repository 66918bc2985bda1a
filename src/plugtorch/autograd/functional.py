"""``backward`` and ``grad``: the user-facing entry points of reverse mode."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import plugtorch  # the layers above, at call time: ones_like (docs/architecture.md, "Layers")
from plugtorch.autograd.grad_mode import set_grad_enabled
from plugtorch.autograd.graph import run_backward

if TYPE_CHECKING:
    from plugtorch.tensor import Tensor

__all__ = ["backward", "grad"]


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _why_no_grad(tensor: Tensor) -> str:
    if tensor._nondiff:
        return (
            f"it is the output of {tensor._nondiff!r}, which is not differentiable "
            f"(its result is {tensor.dtype}, and only floating point results carry gradients)"
        )
    if not tensor.dtype.is_floating_point:
        return f"it has dtype {tensor.dtype}; only floating point tensors carry gradients"
    return (
        "it does not require grad and has no grad_fn: no input of the computation had "
        "requires_grad=True, or it was computed under no_grad()"
    )


def _default_grads(
    outputs: list[Tensor], grad_outputs: list[Any]
) -> tuple[list[Tensor], list[bool]]:
    """The gradient of each output (``ones`` for a scalar output when none was given), and
    which of them were made here rather than passed by the user."""
    grads = []
    made = []
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError(f"cannot compute a gradient of this tensor: {_why_no_grad(out)}")
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for outputs with one element; this one "
                    f"has shape {out.shape}. Pass gradient= (e.g. ones_like(out)) or reduce first."
                )
            g = plugtorch.ops.ones_like(out)
            made.append(True)
        elif g.shape != out.shape:
            raise ValueError(f"gradient has shape {g.shape} but the output has shape {out.shape}")
        else:
            made.append(False)
        grads.append(g)
    return grads, made


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of every leaf they depend on.

    >>> import plugtorch as pt
    >>> x = pt.tensor(3.0, requires_grad=True)
    >>> pt.autograd.backward(x * x)
    >>> x.grad
    tensor(6.)
    """
    outputs = _as_list(tensors)
    given = [None] * len(outputs) if grad_tensors is None else _as_list(grad_tensors)
    grads, made = _default_grads(outputs, given)
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(
        outputs, grads, retain_graph=retain_graph, create_graph=create_graph, owned_grads=made
    )


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is untouched).

    With ``create_graph=True`` the results are differentiable again (gradients of gradients).

    >>> import plugtorch as pt
    >>> x = pt.tensor(2.0, requires_grad=True)
    >>> (g,) = pt.autograd.grad(x ** 3, x, create_graph=True)
    >>> g, pt.autograd.grad(g, x)[0]
    (tensor(12., grad_fn=<MulBackward0>), tensor(12.))
    """
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    for tensor in ins:
        if not tensor.requires_grad:
            raise RuntimeError(f"one of the inputs does not require grad: {_why_no_grad(tensor)}")
    given = [None] * len(outs) if grad_outputs is None else _as_list(grad_outputs)
    grads, _ = _default_grads(outs, given)
    if retain_graph is None:
        retain_graph = create_graph
    captured = run_backward(
        outs, grads, retain_graph=retain_graph, create_graph=create_graph, inputs=ins
    )
    assert captured is not None
    result = []
    for tensor in ins:
        value = captured.get(id(tensor))
        if value is not None and tensor._node is None and tensor._hooks:
            with set_grad_enabled(create_graph):  # a leaf's hooks see its captured gradient
                value = tensor._hooks.run_grad_hooks(value)
        if value is None and not allow_unused:
            raise RuntimeError(
                "one of the inputs was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        result.append(value)
    return tuple(result)
