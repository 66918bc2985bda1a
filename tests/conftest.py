"""Shared test set-up: Hypothesis profiles and backend fixtures.

Profiles: ``ci`` (CI=true: few examples, derandomized, no deadline), ``dev`` (default), and
``thorough`` (HYPOTHESIS_PROFILE=thorough). Every backend installed here is tested where a test
takes the ``backend_name`` fixture.
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
