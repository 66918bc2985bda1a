"""Area "bad_arguments": invalid arguments to every op raise the documented exception.

For each case of :mod:`plugtorch_conformance.bad_arguments` (an op of the op database and one
thing wrong with its arguments: negative, zero or huge sizes, strides, paddings and dilations,
dims and indices out of range, wrong dtypes, shapes that do not fit, empty tensors, nan where a
value must be finite), Hypothesis draws arguments and a worker process calls the op on the
backend under test. The op must raise the documented exception type (``docs/errors.md``); it
must not return, raise another type, hang, or crash the process. A crash is reported as this
test's failure, naming the op, what was wrong and the arguments, with the worker's last stderr
(its Python stack from ``faulthandler``); the next case starts a fresh worker.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np
import pytest
from hypothesis import Phase, given, settings

from plugtorch.testing.op_db import OPS
from plugtorch_conformance.bad_arguments import BY_KEY, CASES, BadCase
from plugtorch_conformance.isolation import Outcome, Worker
from plugtorch_conformance.plugin import target


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    context = target()
    isolated = Worker(context.spec or context.name)
    yield isolated
    isolated.close()


def _shown(arguments: dict[str, Any]) -> str:
    parts = []
    for key, value in arguments.items():
        if isinstance(value, np.ndarray):
            text = np.array2string(value.ravel()[:8], precision=4, separator=", ")
            value = f"array(shape={value.shape}, dtype={value.dtype}, first values {text})"
        parts.append(f"{key}={value!r}" if not isinstance(value, str) else f"{key}={value}")
    return ", ".join(parts)


def _report(case: BadCase, arguments: dict[str, Any], outcome: Outcome) -> str:
    expected = case.error.__name__
    head = f"{case.op} with {case.what} ({_shown(arguments)})"
    if outcome.kind == "raised":
        return f"{head}: raised {outcome.error_type}: {outcome.message} (expected {expected})"
    if outcome.kind == "returned":
        return f"{head}: returned a {outcome.message} instead of raising {expected}"
    return f"{head}: {outcome.kind.upper()} the process: {outcome.message}"


@pytest.mark.parametrize("key", [pytest.param(c.key, id=c.key) for c in CASES])
def test_bad_arguments_raise_the_documented_error(key: str, worker: Worker) -> None:
    case = BY_KEY[key]

    # No shrinking: the report shows the (small) arguments as drawn, and shrinking a crash would
    # restart the worker for every attempt.
    @settings(phases=(Phase.explicit, Phase.reuse, Phase.generate))
    @given(case.arguments())
    def check(arguments: dict[str, Any]) -> None:
        outcome = worker.run(key, arguments)
        if not outcome.ok:
            raise AssertionError(_report(case, arguments, outcome))

    check()


def test_every_op_in_the_op_database_has_bad_argument_cases() -> None:
    missing = sorted({info.name for info in OPS} - {c.op for c in CASES})
    assert not missing, f"ops without a case in plugtorch_conformance.bad_arguments: {missing}"
