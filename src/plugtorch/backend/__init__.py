"""Backends: the protocol, the registry, and the array-API adapter."""

from plugtorch.backend.array_api import ArrayAPIBackend
from plugtorch.backend.protocol import API_VERSION, Backend, Capabilities
from plugtorch.backend.registry import (
    BackendError,
    BackendInfo,
    get_backend,
    list_backends,
    register_backend,
    set_backend,
    use_backend,
)

__all__ = [
    "API_VERSION",
    "ArrayAPIBackend",
    "Backend",
    "BackendError",
    "BackendInfo",
    "Capabilities",
    "get_backend",
    "list_backends",
    "register_backend",
    "set_backend",
    "use_backend",
]
