"""Area "capabilities": what the backend declares is true, and complete."""

from __future__ import annotations

import numpy as np
import pytest

from plugtorch import dtypes
from plugtorch.backend.protocol import API_VERSION, OPTIONAL_PRIMITIVES, REQUIRED_PRIMITIVES
from plugtorch_conformance.plugin import target


def test_protocol_version_and_identity() -> None:
    backend = target().backend
    assert isinstance(backend.name, str) and backend.name
    major, minor = backend.api_version
    assert major == API_VERSION[0], f"protocol {major}.{minor} vs core {API_VERSION}"
    ok, reason = backend.is_available()
    assert ok is True and isinstance(reason, str)


def test_every_required_primitive_is_callable() -> None:
    backend = target().backend
    missing = [name for name in REQUIRED_PRIMITIVES if not callable(getattr(backend, name, None))]
    assert not missing, f"missing required primitives: {missing}"


def test_declared_primitives_exist_and_are_known() -> None:
    caps = target().backend.capabilities
    unknown = sorted(set(caps.primitives) - set(OPTIONAL_PRIMITIVES))
    assert not unknown, f"declared primitives that the protocol does not define: {unknown}"
    for name in caps.primitives:
        assert callable(getattr(target().backend, name, None)), f"declared {name!r} is missing"


def test_devices_are_named() -> None:
    devices = target().backend.capabilities.devices
    assert devices and all(isinstance(d, str) and d for d in devices)


@pytest.mark.parametrize("dtype", [pytest.param(d, id=d.name) for d in dtypes.ALL_DTYPES])
def test_declared_dtypes_hold_values(dtype: dtypes.DType) -> None:
    backend = target().backend
    if dtype not in backend.capabilities.dtypes:
        pytest.skip(f"{dtype.name} not declared")
    values = np.arange(6).reshape(2, 3).astype(dtype.numpy)
    array = backend.asarray(values, dtype)
    back = np.asarray(backend.to_numpy(array))
    assert back.dtype == dtype.numpy, f"{dtype.name} came back as numpy {back.dtype}"
    np.testing.assert_array_equal(back, values)
    full = np.asarray(backend.to_numpy(backend.full((2,), 1, dtype)))
    assert full.dtype == dtype.numpy
    assert tuple(array.shape) == (2, 3)


def test_declares_the_reference_dtypes() -> None:
    declared = set(target().backend.capabilities.dtypes)
    needed = {dtypes.bool_, dtypes.int64, dtypes.float32}
    assert needed <= declared, f"every backend needs {sorted(d.name for d in needed)}"


def test_host_memory_claim() -> None:
    backend = target().backend
    array = backend.asarray(np.ones(3, np.float32), dtypes.float32)
    host = backend.to_numpy(array)
    assert isinstance(host, np.ndarray)
