"""Finding, loading and choosing backends.

Backends are installed packages that register a zero-argument factory under the entry point
group ``plugtorch.backends``. Discovery reads entry point metadata only (nothing is imported);
a backend is imported the first time it is used, then cached.

Which backend a new tensor lands on, first match wins:

1. an explicit ``backend=`` argument;
2. the innermost ``with plugtorch.use_backend(name):`` block;
3. ``plugtorch.set_backend(name)``;
4. the ``PLUGTORCH_BACKEND`` environment variable;
5. ``"numpy"``.
"""

from __future__ import annotations

import contextvars
import os
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from plugtorch.backend.protocol import (
    API_VERSION,
    MUTABLE_PRIMITIVES,
    REQUIRED_PRIMITIVES,
    Backend,
)

if TYPE_CHECKING:
    from importlib import metadata

__all__ = [
    "ENTRY_POINT_GROUP",
    "BackendError",
    "BackendInfo",
    "get_backend",
    "current_backend_name",
    "use_backend",
    "set_backend",
    "list_backends",
    "register_backend",
    "check_backend",
]

ENTRY_POINT_GROUP = "plugtorch.backends"
ENV_VAR = "PLUGTORCH_BACKEND"
DEFAULT_BACKEND = "numpy"

# Package to suggest when a well-known backend is missing.
_KNOWN_PACKAGES = {
    "numpy": "plugtorch-numpy",
    "numba": "plugtorch-numba",
    "cupy": "plugtorch-cupy",
}


class BackendError(RuntimeError):
    """A backend could not be found, loaded or used. The message says what to do."""


@dataclass
class BackendInfo:
    """One row of ``plugtorch.list_backends()``; never raises while being built."""

    name: str
    package: str
    version: str
    api_version: str
    available: bool
    reason: str
    devices: tuple[str, ...]
    loaded: bool


_backends: dict[str, Backend] = {}  # loaded and checked, by name (available or not)
_selectable: dict[str, Backend] = {}  # loaded, checked and available here: get_backend's cache
_manual: dict[str, Any] = {}  # registered in-process by register_backend
_load_errors: dict[str, BaseException] = {}
_global_choice: str | None = None
_context_choice: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "plugtorch_backend", default=None
)


def _entry_points() -> dict[str, metadata.EntryPoint]:
    # Read when a backend is first needed, not when plugtorch is imported: importlib.metadata
    # takes longer to import than the rest of the core.
    from importlib import metadata

    found: dict[str, metadata.EntryPoint] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep)
    return found


def _installed_names() -> list[str]:
    return sorted(set(_entry_points()) | set(_manual) | set(_backends))


def check_backend(backend: Any, name: str) -> None:
    """Raise :class:`BackendError` unless ``backend`` satisfies the protocol.

    Names every missing primitive at once, and refuses another protocol major version.
    """
    version = getattr(backend, "api_version", None)
    if not (isinstance(version, tuple) and len(version) == 2):
        raise BackendError(
            f"backend {name!r} does not declare api_version (a (major, minor) tuple); "
            f"this plugtorch speaks protocol {API_VERSION[0]}.{API_VERSION[1]}"
        )
    if version[0] != API_VERSION[0]:
        raise BackendError(
            f"backend {name!r} implements backend protocol {version[0]}.{version[1]}, but this "
            f"plugtorch speaks protocol {API_VERSION[0]}.{API_VERSION[1]}: upgrade whichever "
            "of the two is older so that the major versions match"
        )
    missing = [p for p in ("name", "capabilities", "is_available") if not hasattr(backend, p)]
    missing += [p for p in REQUIRED_PRIMITIVES if not callable(getattr(backend, p, None))]
    capabilities = getattr(backend, "capabilities", None)
    if capabilities is not None and getattr(capabilities, "mutable", False):
        missing += [
            f"{p} (declared mutable=True)"
            for p in MUTABLE_PRIMITIVES
            if not callable(getattr(backend, p, None))
        ]
    if missing:
        raise BackendError(
            f"backend {name!r} is missing required parts of the protocol: {', '.join(missing)}"
        )
    if not hasattr(capabilities, "mutable"):
        raise BackendError(
            f"backend {name!r} has a capabilities object without the field 'mutable' "
            "(protocol 1.1); build it with plugtorch.backend.Capabilities(...)"
        )


def register_backend(name: str, factory_or_backend: Any) -> None:
    """Register a backend in this process (no package needed): a backend or a factory."""
    _manual[name] = factory_or_backend
    _backends.pop(name, None)
    _selectable.pop(name, None)
    _load_errors.pop(name, None)


def _origin_text(origin: str) -> str:
    return {
        "argument": "the backend= argument",
        "context": "plugtorch.use_backend()",
        "global": "plugtorch.set_backend()",
        "environment": f"the {ENV_VAR} environment variable",
        "default": "the default",
    }.get(origin, origin)


def _unknown(name: str, origin: str) -> BackendError:
    installed = _installed_names()
    parts = [f"unknown plugtorch backend {name!r} (from {_origin_text(origin)})."]
    parts.append("Installed backends: " + (", ".join(installed) if installed else "none") + ".")
    candidates = list(dict.fromkeys(installed + list(_KNOWN_PACKAGES)))  # each name once
    import difflib  # only for this error message

    close = difflib.get_close_matches(name, candidates, n=3)
    if close:
        parts.append("Did you mean " + " or ".join(repr(c) for c in close) + "?")
    if name in _KNOWN_PACKAGES:
        parts.append(f"To add it, install its package: `pip install {_KNOWN_PACKAGES[name]}`.")
    else:
        parts.append(
            "A backend is added by installing the package that provides it "
            f"(`pip install <package>`; it registers itself under the {ENTRY_POINT_GROUP!r} "
            "entry point group), or in this process with plugtorch.register_backend(name, "
            "backend)."
        )
    return BackendError(" ".join(parts))


def _load(name: str, origin: str) -> Backend:
    if name in _backends:
        return _backends[name]
    if name in _load_errors:
        raise _broken(name, _load_errors[name])
    source: Any
    if name in _manual:
        source = _manual[name]
    else:
        eps = _entry_points()
        if name not in eps:
            raise _unknown(name, origin)
        try:
            source = eps[name].load()
        except BaseException as error:  # a plugin must not take plugtorch down with it
            if isinstance(error, KeyboardInterrupt):
                raise
            _load_errors[name] = error
            raise _broken(name, error) from error
    try:
        # An entry point names a zero-argument factory (or class); a ready object is also fine.
        is_factory = isinstance(source, type) or not hasattr(source, "capabilities")
        backend = source() if is_factory else source
    except BaseException as error:  # SystemExit from a plugin's factory included
        if isinstance(error, KeyboardInterrupt):
            raise
        _load_errors[name] = error
        raise _broken(name, error) from error
    check_backend(backend, name)
    _backends[name] = backend
    return backend


def _availability(name: str, backend: Backend) -> tuple[bool, str]:
    """``backend.is_available()``, with a plugin's own failure turned into a BackendError."""
    try:
        answer = backend.is_available()
    except BaseException as error:  # a plugin must not take plugtorch down with it
        if isinstance(error, KeyboardInterrupt):
            raise
        raise BackendError(
            f"backend {name!r} failed its availability check: is_available() raised "
            f"{type(error).__name__}: {error}. Reinstall or fix the package that provides it, "
            "or choose another backend."
        ) from error
    if not (isinstance(answer, tuple) and len(answer) == 2):
        raise BackendError(
            f"backend {name!r}: is_available() must return (bool, reason), got {answer!r}"
        )
    return bool(answer[0]), str(answer[1])


def _broken(name: str, error: BaseException) -> BackendError:
    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return BackendError(
        f"backend {name!r} is installed but failed to load: {type(error).__name__}: {error}\n"
        f"Its own traceback:\n{trace}"
        f"Reinstall or fix the package that provides it, or choose another backend."
    )


def current_backend_name() -> tuple[str, str]:
    """The name that a new tensor would use now, and where it came from."""
    name = _context_choice.get()
    if name is not None:
        return name, "context"
    if _global_choice is not None:
        return _global_choice, "global"
    env = os.environ.get(ENV_VAR)
    if env:
        return env, "environment"
    return DEFAULT_BACKEND, "default"


def get_backend(name: str | Backend | None = None) -> Backend:
    """The backend object for ``name`` (or the current choice), loaded and checked.

    Raises :class:`BackendError` when it is unknown, broken, or unavailable on this machine.
    """
    if name is None:
        name, origin = current_backend_name()
    elif not isinstance(name, str):
        return name
    else:
        origin = "argument"
    backend = _selectable.get(name)
    if backend is not None:
        return backend
    backend = _load(name, origin)
    ok, reason = _availability(name, backend)  # asked again until it says yes
    if not ok:
        raise BackendError(f"backend {name!r} is installed but not available here: {reason}")
    _selectable[name] = backend
    return backend


@contextmanager
def use_backend(name: str) -> Iterator[Backend]:
    """Make ``name`` the backend of new tensors inside the ``with`` block.

    >>> import plugtorch as pt
    >>> with pt.use_backend("numpy"):
    ...     pt.zeros(2).backend.name
    'numpy'
    """
    backend = get_backend(name)
    token = _context_choice.set(name)
    try:
        yield backend
    finally:
        _context_choice.reset(token)


def set_backend(name: str | None) -> None:
    """Make ``name`` the process-wide default backend (``None`` to clear it)."""
    global _global_choice
    if name is not None:
        get_backend(name)
    _global_choice = name


def _info(name: str, ep: metadata.EntryPoint | None) -> BackendInfo:
    package, version = "(registered in process)", ""
    if ep is not None and ep.dist is not None:
        package, version = ep.dist.name, ep.dist.version
    try:
        backend = _load(name, "argument")
    except Exception as error:
        reason = str(error).splitlines()[0]
        return BackendInfo(name, package, version, "?", False, reason, (), False)
    try:
        ok, reason = _availability(name, backend)
    except BackendError as error:
        ok, reason = False, str(error)
    major, minor = backend.api_version
    devices = tuple(getattr(backend.capabilities, "devices", ()))
    return BackendInfo(name, package, version, f"{major}.{minor}", ok, reason, devices, True)


def list_backends() -> list[BackendInfo]:
    """Every installed backend, with package, version, protocol, availability and devices.

    Never raises: a broken backend is listed with the reason.
    """
    eps = _entry_points()
    return [_info(name, eps.get(name)) for name in _installed_names()]
