"""Where float16 and bfloat16 compute: in float32, rounded once, where PyTorch does.

PyTorch keeps 16-bit floats for storage but accumulates in float32: a half ``sum``, ``mean``,
``prod``, ``matmul``, ``linear``, convolution, pooling, ``softmax``, ``var``/``std``,
``logsumexp`` or norm computes in float32 and rounds its result once (summing 4096 float16
ones gives 4096, not the 2048 where a float16 accumulator stalls). :func:`apply_in_float32`
(for an op's ``apply`` call) and :func:`computes_in_float32` (for a composite's public
function) do that, so the primitives of those ops always see float32. Elementwise ops need
nothing: the backend computes each element in float32 and rounds it once.

Gradients flow back through the casts, so a float16 input gets a float16 gradient.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, TypeVar

from plugtorch import dtypes
from plugtorch.ops._prepare import astype
from plugtorch.ops.registry import Op, apply
from plugtorch.tensor import Tensor

__all__ = ["apply_in_float32", "computes_in_float32"]

Function = TypeVar("Function", bound=Callable[..., Any])
_LOW = dtypes.LOW_PRECISION
_FLOAT32 = dtypes.float32


def apply_in_float32(op: Op, inputs: tuple[Tensor, ...], dtype: Any, /, **params: Any) -> Tensor:
    """``apply(op, inputs, dtype)``, computed in float32 when ``dtype`` is float16 or
    bfloat16 and rounded once (gradients flow back through the casts)."""
    if dtype not in _LOW:
        return apply(op, inputs, dtype, **params)
    wide = tuple(astype(t, _FLOAT32) if t._dtype is dtype else t for t in inputs)
    if params.get("dtype") is dtype:
        params["dtype"] = _FLOAT32
    return astype(apply(op, wide, _FLOAT32, **params), dtype)


def _positions(function: Callable[..., Any], names: tuple[str, ...]) -> list[tuple[int, str]]:
    parameters = list(inspect.signature(function).parameters)
    return [(parameters.index(name), name) for name in names]


def _narrow(result: Any, dtype: dtypes.DType) -> Any:
    if isinstance(result, Tensor):
        return astype(result, dtype) if result._dtype is _FLOAT32 else result
    if isinstance(result, tuple):
        narrowed = [_narrow(item, dtype) for item in result]
        return type(result)(*narrowed) if hasattr(result, "_fields") else tuple(narrowed)
    return result


def computes_in_float32(*names: str) -> Callable[[Function], Function]:
    """Mark a composite that PyTorch computes in float32 for 16-bit inputs. When the first of
    the arguments ``names`` (the input) is float16 or bfloat16 and the other floating tensors
    among them have its dtype or float32 (PyTorch's mixed-dtype norms take float32 weights),
    they are cast to float32, the function runs, and its float32 results are rounded once to
    the input's dtype. An explicit ``dtype`` argument turns it off (the caller chose)."""

    def decorate(function: Function) -> Function:
        positions = _positions(function, names)
        parameters = list(inspect.signature(function).parameters)
        dtype_at = parameters.index("dtype") if "dtype" in parameters else None

        def argument(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str) -> Any:
            return args[index] if index < len(args) else kwargs.get(name)

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            first = argument(args, kwargs, *positions[0])
            if not isinstance(first, Tensor) or first._dtype not in _LOW:
                return function(*args, **kwargs)
            low = first._dtype
            for index, name in positions[1:]:
                value = argument(args, kwargs, index, name)
                if isinstance(value, Tensor) and value._dtype not in (low, _FLOAT32):
                    return function(*args, **kwargs)
            if dtype_at is not None and argument(args, kwargs, dtype_at, "dtype") is not None:
                return function(*args, **kwargs)
            args_list = list(args)
            for index, name in positions:
                if index < len(args_list):
                    if isinstance(args_list[index], Tensor):
                        args_list[index] = astype(args_list[index], _FLOAT32)
                elif isinstance(kwargs.get(name), Tensor):
                    kwargs[name] = astype(kwargs[name], _FLOAT32)
            return _narrow(function(*args_list, **kwargs), low)

        return run  # type: ignore[return-value]

    return decorate
