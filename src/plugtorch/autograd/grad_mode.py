"""Whether operations record a graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode``."""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable, TypeVar

__all__ = [
    "enable_grad",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "set_grad_enabled",
]

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    enabled: bool = True
    inference: bool = False


_state = _State()


def is_grad_enabled() -> bool:
    """True when new operations record the graph needed by ``backward``."""
    return _state.enabled


class set_grad_enabled:
    """Context manager (and function) that turns graph recording on or off.

    >>> with set_grad_enabled(False):
    ...     pass
    """

    def __init__(self, mode: bool) -> None:
        self.prev = _state.enabled
        self.mode = bool(mode)
        _state.enabled = self.mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self.prev


class _GradModeContext:
    mode: bool

    def __enter__(self) -> None:
        self.prev = _state.enabled
        _state.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self.prev

    def __call__(self, func: F) -> F:
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = _state.enabled
            _state.enabled = mode
            try:
                return func(*args, **kwargs)
            finally:
                _state.enabled = prev

        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeContext):
    """Context manager or decorator: operations inside record no graph (inference, updates).

    >>> import plugtorch as pt
    >>> w = pt.ones(3, requires_grad=True)
    >>> with pt.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """

    mode = False


class enable_grad(_GradModeContext):
    """Context manager or decorator that turns recording back on inside ``no_grad``."""

    mode = True


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (on this thread)."""
    return _state.inference


class inference_mode:
    """Context manager or decorator for code that never meets autograd (evaluation, serving).

    As PyTorch's: inside, no graph is recorded (``requires_grad`` of every result is False) and
    :func:`is_inference_mode_enabled` is True; ``inference_mode(False)`` turns it off and turns
    gradient recording on. Thread-local. Usable as ``@inference_mode()`` or ``@inference_mode``.
    PyTorch also refuses to use tensors made in inference mode in a recorded graph later;
    plugtorch does not mark them, so such code runs here where PyTorch would raise.

    >>> import plugtorch as pt
    >>> w = pt.ones(2, requires_grad=True)
    >>> with pt.inference_mode():
    ...     (w * 2).requires_grad, pt.is_inference_mode_enabled()
    (False, True)
    >>> @pt.inference_mode
    ... def predict(x):
    ...     return x * 2
    >>> predict(w).requires_grad
    False
    """

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode) and not isinstance(mode, bool):
            return cls()(mode)  # used as @inference_mode, without parentheses
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)
        self._saved: list[tuple[bool, bool]] = []

    def __enter__(self) -> None:
        self._saved.append((_state.enabled, _state.inference))
        _state.enabled = not self.mode
        _state.inference = self.mode

    def __exit__(self, *exc: object) -> None:
        _state.enabled, _state.inference = self._saved.pop()

    def clone(self) -> inference_mode:
        """A fresh context manager with the same mode."""
        return inference_mode(self.mode)

    def __call__(self, func: F) -> F:
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(mode):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
