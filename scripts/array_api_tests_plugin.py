"""pytest plugin used by run_array_api_tests.py: apply the suite's own opt-outs where this
release of array-api-tests (2026.02.26) does not.

* ``ARRAY_API_TESTS_SKIP_DTYPES=complex64,complex128`` should drop complex inputs, but the
  special-case tests for complex inputs (ids containing ``real(x_i)``) still build
  ``xp.complex128``: they are skipped with that reason (upstream: data-apis/array-api-tests#431).
* ``--disable-extension fft`` skips the fft tests but not ``test_has_names[fft-*]``: skipped too.

Every skip is reported by pytest; nothing is deselected silently.
"""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skipped_dtypes = os.environ.get("ARRAY_API_TESTS_SKIP_DTYPES", "").split(",")
    no_complex = {"complex64", "complex128"} <= set(skipped_dtypes)
    disabled = set(config.getoption("--disable-extension", default=None) or [])
    for item in items:
        if no_complex and "test_special_cases.py" in item.nodeid and "real(x_i)" in item.nodeid:
            item.add_marker(pytest.mark.skip(reason="complex special case; complex dtypes skipped"))
        for extension in disabled:
            if f"test_has_names[{extension}-" in item.nodeid:
                item.add_marker(pytest.mark.skip(reason=f"{extension} disabled"))
