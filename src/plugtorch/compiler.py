"""``plugtorch.compile`` and ``plugtorch.compiler``: accepted, and the code runs as written.

plugtorch has no graph compiler yet. ``compile`` returns the function or module it is given,
unchanged, after one note (a ``UserWarning``, once per process) so that nobody expects a
speed-up; it checks its arguments as PyTorch does. Use it as a call, a decorator, or a
decorator with arguments.

Example:
    >>> import warnings
    >>> import plugtorch as pt
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     @pt.compile(mode="reduce-overhead")
    ...     def double(x):
    ...         return x * 2
    >>> double(pt.ones(2)).tolist()
    [2.0, 2.0]
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["compile", "disable", "is_compiling", "is_dynamo_compiling", "reset"]

F = TypeVar("F", bound=Callable[..., Any])

_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
_noted = False


def _note_once() -> None:
    global _noted
    if not _noted:
        _noted = True
        warnings.warn(
            "plugtorch.compile returns the model unchanged: plugtorch has no graph compiler "
            "yet, so the code runs eagerly on the chosen backend (this note is shown once)",
            UserWarning,
            stacklevel=3,
        )


def compile(  # noqa: A001 (PyTorch's name: plugtorch.compile)
    model: Any = None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend: str | Callable[..., Any] = "inductor",
    mode: str | None = None,
    options: dict[str, Any] | None = None,
    disable: bool = False,
) -> Any:
    """Return ``model`` (a function or ``nn.Module``) unchanged; with no model, a decorator.

    The arguments are PyTorch's and are checked as there (``mode`` one of ``"default"``,
    ``"reduce-overhead"``, ``"max-autotune"``, ``"max-autotune-no-cudagraphs"``; ``mode`` and
    ``options`` not both); they change nothing else.

    >>> import warnings, plugtorch as pt
    >>> f = lambda x: x + 1
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     pt.compile(f) is f
    True
    """
    if mode is not None and options is not None:
        raise RuntimeError(
            "Either mode or options can be specified, but both can't be specified at the same time."
        )
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode!r}, should be one of: {', '.join(_MODES)}")
    if not (isinstance(backend, str) or callable(backend)):
        raise TypeError(f"backend must be a name or a callable, got {type(backend).__name__}")
    if model is None:

        def decorate(function: F) -> F:
            return compile(
                function,
                fullgraph=fullgraph,
                dynamic=dynamic,
                backend=backend,
                options=options,
                mode=mode,
                disable=disable,
            )

        return decorate
    if not callable(model):
        raise RuntimeError(
            f"plugtorch.compile expects a function or nn.Module, got {type(model).__name__}"
        )
    if not disable:
        _note_once()
    return model


def disable(fn: F | None = None, recursive: bool = True, *, reason: str | None = None) -> Any:
    """Mark ``fn`` as not to be compiled; it is returned unchanged (a decorator without ``fn``).

    >>> import plugtorch as pt
    >>> pt.compiler.disable(print) is print
    True
    """
    if fn is None:
        return lambda function: function
    return fn


def is_compiling() -> bool:
    """True while code is being traced for compilation: never, in plugtorch."""
    return False


def is_dynamo_compiling() -> bool:
    """The older spelling of :func:`is_compiling`."""
    return False


def reset() -> None:
    """Clear compilation caches: there are none."""
