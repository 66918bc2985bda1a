"""Shared test set-up: Hypothesis profiles and backend fixtures.

Profiles: ``ci`` (CI=true: few examples, derandomized, no deadline), ``dev`` (default), and
``thorough`` (HYPOTHESIS_PROFILE=thorough). Every backend installed here is tested where a test
takes the ``backend_name`` fixture.

``PLUGTORCH_CHECK_CONTRACT=1`` runs the suite on the numpy backend wrapped by
:class:`plugtorch_conformance.contract.CheckedBackend`: every primitive call the core makes is
checked against the backend protocol, and a test whose calls break it fails (``make test`` runs
the suite this way).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


CHECK_CONTRACT = os.environ.get("PLUGTORCH_CHECK_CONTRACT", "") not in ("", "0")


def _checked_numpy() -> object | None:
    """Register the numpy backend wrapped by the contract checker, under its own name."""
    if not CHECK_CONTRACT:
        return None
    from plugtorch_conformance.contract import CheckedBackend

    import plugtorch as pt

    checked = CheckedBackend(pt.get_backend("numpy"))
    pt.register_backend("numpy", checked)
    return checked


CHECKED = _checked_numpy()


def _available_backends() -> list[str]:
    import plugtorch as pt

    return [info.name for info in pt.list_backends() if info.available]


BACKENDS = _available_backends()


@pytest.fixture(params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    """Each available backend in turn."""
    return request.param


@pytest.fixture(autouse=True)
def _seed() -> None:
    import plugtorch as pt

    pt.manual_seed(0)


@pytest.fixture(autouse=True)
def _contract() -> object:
    """With PLUGTORCH_CHECK_CONTRACT=1: fail the test whose primitive calls broke the protocol
    (also when the core caught the ContractViolation)."""
    if CHECKED is None:
        yield
        return
    CHECKED.violations.clear()  # type: ignore[attr-defined]
    yield
    found = list(CHECKED.violations)  # type: ignore[attr-defined]
    if found:
        pytest.fail("backend protocol broken by the core:\n" + "\n".join(dict.fromkeys(found)))
