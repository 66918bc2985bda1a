"""Set functions of the array API standard.

Sorting-based with data-dependent output shapes: they run on the host (numpy, whose
``unique_*`` functions follow the standard: every nan is distinct) and return to the backend.
No gradient flows through them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from plugtorch import dtypes
from plugtorch.array_api._helpers import check_array, host_result, promote_all, to_host
from plugtorch.tensor import Tensor

__all__ = [
    "isin", "unique_all", "unique_counts", "unique_inverse", "unique_values",
    "UniqueAllResult", "UniqueCountsResult", "UniqueInverseResult",
]  # fmt: skip


class UniqueAllResult(NamedTuple):
    values: Tensor
    indices: Tensor
    inverse_indices: Tensor
    counts: Tensor


class UniqueCountsResult(NamedTuple):
    values: Tensor
    counts: Tensor


class UniqueInverseResult(NamedTuple):
    values: Tensor
    inverse_indices: Tensor


def _index(name: str, values: np.ndarray, like: Tensor) -> Tensor:
    return host_result(name, np.asarray(values, dtype=np.int64), like, dtypes.int64)


def unique_values(x: Tensor, /) -> Tensor:
    """The distinct elements of ``x``, sorted (every nan is distinct)."""
    check_array(x, "unique_values")
    return host_result("unique_values", np.unique_values(to_host(x)), x, x._dtype)


def unique_counts(x: Tensor, /) -> UniqueCountsResult:
    """The distinct elements and how often each occurs."""
    check_array(x, "unique_counts")
    found = np.unique_counts(to_host(x))
    return UniqueCountsResult(
        host_result("unique_counts", found.values, x, x._dtype),
        _index("unique_counts", found.counts, x),
    )


def unique_inverse(x: Tensor, /) -> UniqueInverseResult:
    """The distinct elements and, for each element of ``x``, its position among them."""
    check_array(x, "unique_inverse")
    found = np.unique_inverse(to_host(x))
    return UniqueInverseResult(
        host_result("unique_inverse", found.values, x, x._dtype),
        _index("unique_inverse", found.inverse_indices.reshape(x.shape), x),
    )


def unique_all(x: Tensor, /) -> UniqueAllResult:
    """Distinct elements, first indices, inverse indices and counts."""
    check_array(x, "unique_all")
    found = np.unique_all(to_host(x))
    return UniqueAllResult(
        host_result("unique_all", found.values, x, x._dtype),
        _index("unique_all", found.indices, x),
        _index("unique_all", found.inverse_indices.reshape(x.shape), x),
        _index("unique_all", found.counts, x),
    )


def isin(x1: Tensor | int, x2: Tensor | int, /, *, invert: bool = False) -> Tensor:
    """True where an element of ``x1`` occurs in ``x2`` (host)."""
    a, b = promote_all("isin", x1, x2)
    found = np.isin(to_host(a), to_host(b), invert=invert)
    return host_result("isin", found, a, dtypes.bool_)
