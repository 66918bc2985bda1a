"""``autocast``: run PyTorch's listed ops in a lower-precision dtype inside a region.

Inside ``with plugtorch.autocast("cpu"):`` (or ``plugtorch.amp.autocast``), the ops of PyTorch's
CPU "Autocast Op Reference" cast their floating inputs before running: matrix products,
``linear``, convolutions and ``scaled_dot_product_attention`` to the autocast dtype (bfloat16
by default on CPU, float16 where asked); the losses and ``prod`` to float32; ``cat`` and
``stack`` to the widest input type. Every other op runs in the dtype of its inputs. The marks
sit on the ops themselves (``plugtorch/ops/_autocast.py``, per device type: CUDA's lists differ);
this module switches the per-thread state they read.
"""

from __future__ import annotations

import functools
import warnings
from types import TracebackType
from typing import Any, Callable, TypeVar

from plugtorch import cuda, dtypes
from plugtorch.ops._autocast import DEVICE_TYPES, STATE
from plugtorch.ops._autocast import device_type as device_of
from plugtorch.tensor import Tensor

__all__ = [
    "autocast",
    "custom_fwd",
    "custom_bwd",
    "is_autocast_available",
    "is_autocast_enabled",
    "set_autocast_enabled",
    "get_autocast_dtype",
    "set_autocast_dtype",
    "is_autocast_cache_enabled",
    "set_autocast_cache_enabled",
    "clear_autocast_cache",
]

Function = TypeVar("Function", bound=Callable[..., Any])

_CPU_DTYPES = (dtypes.bfloat16, dtypes.float16)


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast knows ``device_type`` (``"cpu"`` and ``"cuda"`` here).

    >>> is_autocast_available("cpu"), is_autocast_available("mps")
    (True, False)
    """
    return device_type in DEVICE_TYPES


def _check_device_type(device_type: Any) -> str:
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if device_type not in DEVICE_TYPES:
        raise RuntimeError(
            f"User specified an unsupported autocast device_type '{device_type}' "
            f"(plugtorch's autocast knows {', '.join(DEVICE_TYPES)})"
        )
    return device_type


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether autocast is on for ``device_type`` in this thread (without an argument it asks
    about CUDA, as PyTorch's does).

    >>> import plugtorch as pt
    >>> with pt.autocast("cpu"):
    ...     is_autocast_enabled("cpu")
    True
    """
    return _check_device_type(device_type) in STATE.active


def set_autocast_enabled(device_type: str, enabled: bool) -> None:
    """Turn autocast on or off for ``device_type`` in this thread (the context manager is the
    usual way: it restores the previous state on exit)."""
    device_type = _check_device_type(device_type)
    if enabled:
        STATE.active[device_type] = STATE.fast_dtypes[device_type]
    else:
        STATE.active.pop(device_type, None)


def get_autocast_dtype(device_type: str) -> dtypes.DType:
    """The dtype autocast uses on ``device_type`` in this thread: bfloat16 on CPU and float16
    on CUDA unless set (an ``autocast(..., dtype=...)`` region sets it while open).

    >>> import plugtorch as pt
    >>> get_autocast_dtype("cpu")
    plugtorch.bfloat16
    >>> with pt.autocast("cpu", dtype=pt.float16):
    ...     get_autocast_dtype("cpu")
    plugtorch.float16
    """
    return STATE.fast_dtypes[_check_device_type(device_type)]


def set_autocast_dtype(device_type: str, dtype: Any) -> None:
    """Set the dtype autocast uses on ``device_type`` in this thread."""
    device_type = _check_device_type(device_type)
    dtype = dtypes.as_dtype(dtype)
    STATE.fast_dtypes[device_type] = dtype
    if device_type in STATE.active:
        STATE.active[device_type] = dtype


def is_autocast_cache_enabled() -> bool:
    """Whether casts of weights are cached inside autocast regions (default True)."""
    return STATE.cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    """Turn the cache of weight casts on or off in this thread."""
    STATE.cache_enabled = bool(enabled)


def clear_autocast_cache() -> None:
    """Drop the cached low-precision copies of weights (leaving the outermost region does)."""
    STATE.cache.clear()


def _cuda_available() -> bool:
    return cuda.is_available()


class autocast:  # noqa: N801 (PyTorch's name)
    """Context manager and decorator: inside it, PyTorch's autocast-listed ops run in ``dtype``.

    ``autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``: ``device_type`` is
    ``"cpu"`` or ``"cuda"``; ``dtype`` defaults to the device's autocast dtype (bfloat16 on CPU,
    float16 on CUDA). On CPU only bfloat16 and float16 are allowed: another dtype warns and
    disables autocast, as PyTorch. ``"cuda"`` without a working CUDA backend warns and
    disables. Regions nest; ``enabled=False`` turns autocast off inside an enabled region.
    Backward passes need no autocast: each op's gradient runs in the dtype its forward used.

    >>> import plugtorch as pt
    >>> a, b = pt.ones(2, 3), pt.ones(3, 4)
    >>> with pt.autocast("cpu"):
    ...     product = a @ b           # matmul is on the list: bfloat16
    ...     total = a + 1             # add is not: float32 stays float32
    >>> product.dtype, total.dtype
    (plugtorch.bfloat16, plugtorch.float32)
    """

    def __init__(
        self,
        device_type: str,
        dtype: Any = None,
        enabled: bool = True,
        cache_enabled: bool | None = None,
    ) -> None:
        self.device = _check_device_type(device_type)
        self.fast_dtype = (
            STATE.fast_dtypes[self.device] if dtype is None else dtypes.as_dtype(dtype)
        )
        self._cache_enabled = STATE.cache_enabled if cache_enabled is None else bool(cache_enabled)
        if enabled and self.device == "cuda" and not _cuda_available():
            warnings.warn(
                "User provided device_type of 'cuda', but CUDA is not available. Disabling",
                stacklevel=2,
            )
            enabled = False
        if enabled and self.device == "cpu" and self.fast_dtype not in _CPU_DTYPES:
            warnings.warn(
                "In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                "CPU Autocast only supports dtype of plugtorch.bfloat16, plugtorch.float16 "
                "currently.",
                stacklevel=2,
            )
            enabled = False
        if enabled and self.device == "cuda" and self.fast_dtype is dtypes.bfloat16:
            if not cuda.is_bf16_supported():
                raise RuntimeError(
                    "Current CUDA Device does not support bfloat16. Please switch dtype to float16."
                )
        self._enabled = bool(enabled)
        self._saved: list[tuple[bool, dtypes.DType, bool]] = []

    def __enter__(self) -> None:
        device = self.device
        self._saved.append((device in STATE.active, STATE.fast_dtypes[device], STATE.cache_enabled))
        STATE.fast_dtypes[device] = self.fast_dtype
        set_autocast_enabled(device, self._enabled)
        STATE.nesting += 1
        STATE.cache_enabled = self._cache_enabled

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        STATE.nesting -= 1
        if STATE.nesting == 0:
            STATE.cache.clear()
        was_enabled, fast_dtype, cache_enabled = self._saved.pop()
        STATE.fast_dtypes[self.device] = fast_dtype
        set_autocast_enabled(self.device, was_enabled)
        STATE.cache_enabled = cache_enabled

    def __call__(self, function: Function) -> Function:
        """Use as a decorator: the function runs inside this autocast region."""

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return function(*args, **kwargs)

        return run  # type: ignore[return-value]


def _cast(value: Any, device_type: str, dtype: dtypes.DType) -> Any:
    """``value`` with its floating tensors (not float64) of ``device_type`` cast to ``dtype``,
    through lists, tuples and dicts."""
    if isinstance(value, Tensor):
        eligible = (
            value.dtype.is_floating_point
            and value.dtype is not dtypes.float64
            and device_of(value) == device_type
        )
        return value.to(dtype) if eligible else value
    if isinstance(value, dict):
        return {k: _cast(v, device_type, dtype) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, device_type, dtype) for v in value)
    return value


def custom_fwd(
    fwd: Callable[..., Any] | None = None, *, device_type: str, cast_inputs: Any = None
) -> Any:
    """Decorate the ``forward`` of a custom ``plugtorch.autograd.Function`` for autocast.

    Without ``cast_inputs`` the forward runs under the caller's autocast state, and
    :func:`custom_bwd` runs the backward under the same state. With ``cast_inputs=dtype``,
    inside an enabled region the floating tensor arguments are cast to ``dtype`` and the
    forward runs with autocast off (outside a region it runs unchanged).

    >>> import plugtorch as pt
    >>> class Square(pt.autograd.Function):
    ...     @staticmethod
    ...     @custom_fwd(device_type="cpu", cast_inputs=pt.float32)
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     @custom_bwd(device_type="cpu")
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * grad
    >>> with pt.autocast("cpu"):
    ...     Square.apply(pt.ones(2, dtype=pt.bfloat16)).dtype
    plugtorch.float32
    """
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args: Any, **kwargs: Any) -> Any:
        ctx = args[0]
        ctx._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            ctx._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        ctx._fwd_used_autocast = False
        if not is_autocast_enabled(device_type):
            return fwd(*args, **kwargs)
        target = dtypes.as_dtype(cast_inputs)
        with autocast(device_type=device_type, enabled=False):
            return fwd(*_cast(args, device_type, target), **_cast(kwargs, device_type, target))

    return decorate_fwd


def custom_bwd(bwd: Callable[..., Any] | None = None, *, device_type: str) -> Any:
    """Decorate the ``backward`` of a custom ``Function`` whose forward has :func:`custom_fwd`:
    the backward runs under the autocast state the forward ran under."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args: Any, **kwargs: Any) -> Any:
        ctx = args[0]
        with autocast(device_type, dtype=ctx._dtype, enabled=ctx._fwd_used_autocast):
            return bwd(*args, **kwargs)

    return decorate_bwd
