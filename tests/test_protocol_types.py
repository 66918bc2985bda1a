"""The typed backend protocols match the primitive tables, and every op forward is typed with
them (so mypy checks each primitive call the core makes; ``make lint`` runs it)."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest

import plugtorch as pt
import plugtorch.nn.functional  # noqa: F401  (declares the nn ops into the registry)
from plugtorch.backend import ArrayAPIBackend
from plugtorch.backend.protocol import (
    MUTABLE_PRIMITIVES,
    OPTIONAL_PRIMITIVES,
    REQUIRED_PRIMITIVES,
    AcceleratedBackend,
    Backend,
    MutableBackend,
    is_mutable,
)
from plugtorch.ops import REGISTRY


def _methods(protocol: type) -> set[str]:
    """The methods a protocol class declares itself (not inherited)."""
    return {
        name
        for name, value in vars(protocol).items()
        if inspect.isfunction(value) and not name.startswith("__")
    }


def test_backend_protocol_declares_the_required_primitives() -> None:
    assert _methods(Backend) == set(REQUIRED_PRIMITIVES) | {"is_available"}


def test_accelerated_protocol_declares_the_optional_primitives() -> None:
    assert _methods(AcceleratedBackend) == set(OPTIONAL_PRIMITIVES)


def test_mutable_protocol_declares_the_mutable_tier_and_reshape_copy() -> None:
    assert _methods(MutableBackend) == set(MUTABLE_PRIMITIVES) | {"reshape"}
    assert "copy" in inspect.signature(MutableBackend.reshape).parameters


def _backend_annotation(function: Any) -> str:
    first = next(iter(inspect.signature(function).parameters.values()))
    return str(first.annotation)


def _typed_functions() -> list[tuple[str, Any, str]]:
    """``(what, function, the protocol its backend argument must be typed with)``."""
    found = []
    for name, declared in sorted(REGISTRY.items()):
        wanted = "AcceleratedBackend" if declared.primitive else "Backend"
        found.append((f"{name} forward", declared.forward, wanted))
        if declared.fallback_forward is not None:
            found.append((f"{name} fallback", declared.fallback_forward, "Backend"))
        if declared.scatter is not None:
            found.append((f"{name} inverse", declared.scatter, "Backend"))
        if declared.backward_primitive_call is not None:
            call = declared.backward_primitive_call
            found.append((f"{name} backward primitive", call, "AcceleratedBackend"))
    return found


def test_every_op_forward_is_typed_with_the_protocol() -> None:
    found = _typed_functions()
    assert len(found) > 100
    wrong = [
        f"{what}: {_backend_annotation(function)!r}, not {wanted!r}"
        for what, function, wanted in found
        if _backend_annotation(function) != wanted
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("mutable", [True, False])
def test_is_mutable_answers_from_the_capabilities(mutable: bool) -> None:
    backend = ArrayAPIBackend(np, name="typed", mutable=mutable)
    assert is_mutable(backend) is mutable
    assert is_mutable(pt.ones(1)._backend) is pt.ones(1)._backend.capabilities.mutable
