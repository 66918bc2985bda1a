"""``gradcheck``: compare autograd's gradients with central finite differences in float64."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

import plugtorch  # the layers above, at call time: Tensor (docs/architecture.md, "Layers")
from plugtorch import dtypes
from plugtorch.autograd.functional import grad as autograd_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(AssertionError):
    """Analytical and numerical gradients disagree; the message shows where and by how much."""


def _as_tuple(x: Any) -> tuple[Any, ...]:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _numerical(
    func: Callable[..., Any], inputs: Sequence[Any], eps: float
) -> list[np.ndarray | None]:
    """d(sum of outputs weighted by fixed random cotangents)/d(input), by central differences."""
    results: list[np.ndarray | None] = []
    if True:  # functions may themselves call autograd (gradgradcheck), so grad stays enabled
        for tensor in inputs:
            if not (isinstance(tensor, plugtorch.Tensor) and tensor.requires_grad):
                results.append(None)
                continue
            original = tensor._data
            host = np.array(tensor._backend.to_numpy(original), dtype=np.float64, copy=True)
            grad = np.zeros_like(host)
            flat = host.reshape(-1)
            for i in range(flat.size):
                saved = flat[i]
                values = []
                for delta in (eps, -eps):
                    flat[i] = saved + delta
                    tensor._data = tensor._backend.asarray(host, tensor.dtype)
                    values.append(_weighted_sum(func(*inputs)))
                flat[i] = saved
                grad.reshape(-1)[i] = (values[0] - values[1]) / (2 * eps)
            tensor._data = original
            results.append(grad)
    return results


_COTANGENT_SEED = 1234


def _cotangents(outputs: tuple[Any, ...]) -> list[np.ndarray]:
    rng = np.random.default_rng(_COTANGENT_SEED)
    return [rng.uniform(0.5, 1.5, size=o.shape) for o in outputs]


def _weighted_sum(outputs: Any) -> float:
    outs = _as_tuple(outputs)
    total = 0.0
    for out, weight in zip(outs, _cotangents(outs)):
        total += float(np.sum(np.asarray(out.detach().numpy(), dtype=np.float64) * weight))
    return total


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against central differences.

    Inputs that require grad should be float64 (a warning-free, precise check). Returns True,
    or raises :class:`GradcheckError` naming the input, the worst element and both values.

    >>> import plugtorch as pt
    >>> x = pt.randn(3, dtype=pt.float64, requires_grad=True)
    >>> pt.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    inputs = _as_tuple(inputs)
    differentiable = [t for t in inputs if isinstance(t, plugtorch.Tensor) and t.requires_grad]
    if not differentiable:
        raise ValueError("gradcheck: no input requires grad")
    for t in differentiable:
        if t.dtype is not dtypes.float64:
            raise ValueError(
                f"gradcheck: inputs should be float64 for precise finite differences, got {t.dtype}"
            )
    outputs = _as_tuple(func(*inputs))
    weights = [
        plugtorch.Tensor._make(o._backend.asarray(w, o.dtype), o._backend, o.dtype)
        for o, w in zip(outputs, _cotangents(outputs))
    ]
    pairs = [(o, w) for o, w in zip(outputs, weights) if o.requires_grad]
    if pairs:
        analytical = autograd_grad(
            [o for o, _ in pairs], differentiable, [w for _, w in pairs], allow_unused=True
        )
    else:
        analytical = tuple(None for _ in differentiable)
    numerical = [n for n in _numerical(func, inputs, eps) if n is not None]
    for index, (a, n) in enumerate(zip(analytical, numerical)):
        a_host = np.zeros_like(n) if a is None else np.asarray(a.detach().numpy(), np.float64)
        if a_host.shape != n.shape:
            raise GradcheckError(f"input {index}: gradient shape {a_host.shape} != {n.shape}")
        bad = ~np.isclose(a_host, n, rtol=rtol, atol=atol, equal_nan=True)
        if bad.any():
            where = np.unravel_index(int(np.argmax(bad)), n.shape) if n.ndim else ()
            message = (
                f"gradcheck failed for input {index} (shape {n.shape}) at index {where}: "
                f"analytical {a_host[where]!r} vs numerical {n[where]!r} "
                f"({int(bad.sum())} of {n.size} elements differ; atol={atol}, rtol={rtol})"
            )
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def gradgradcheck(func: Callable[..., Any], inputs: Any, **kwargs: Any) -> bool:
    """Check second derivatives: gradcheck of the (create_graph) gradient of ``func``.

    >>> import plugtorch as pt
    >>> x = pt.randn(3, dtype=pt.float64, requires_grad=True)
    >>> pt.autograd.gradgradcheck(lambda t: (t ** 3).sum(), (x,))
    True
    """
    inputs = _as_tuple(inputs)

    def first_derivative(*args: Any) -> Any:
        out = _as_tuple(func(*args))
        total = out[0].sum()
        for o in out[1:]:
            total = total + o.sum()
        targets = [a for a in args if getattr(a, "requires_grad", False)]
        grads = autograd_grad(total, targets, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, inputs, **kwargs)
