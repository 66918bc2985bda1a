"""Set functions of the array API standard.

Sorting-based with data-dependent output shapes: they run on the host with the core's
``unique_rows`` (the algorithm of ``plugtorch.unique``) and return to the backend. The values
come sorted, as PyTorch's ``unique`` gives them and as array-API code such as scikit-learn's
estimators expects (numpy >= 2.3's ``unique_values`` no longer sorts); every nan is distinct,
as the standard says. No gradient flows through them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from plugtorch import dtypes
from plugtorch.array_api._helpers import check_array, host_result, promote_all, to_host
from plugtorch.ops.counting import UniqueRows, unique_rows
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


def _unique(name: str, x: Tensor) -> tuple[Tensor, UniqueRows]:
    """The sorted distinct values of ``x`` and what :func:`unique_rows` found."""
    check_array(x, name)
    found = unique_rows(to_host(x).reshape(-1, 1))
    return host_result(name, found.values.reshape(-1), x, x._dtype), found


def unique_values(x: Tensor, /) -> Tensor:
    """The distinct elements of ``x``, sorted (every nan is distinct)."""
    return _unique("unique_values", x)[0]


def unique_counts(x: Tensor, /) -> UniqueCountsResult:
    """The distinct elements, sorted, and how often each occurs."""
    values, found = _unique("unique_counts", x)
    return UniqueCountsResult(values, _index("unique_counts", found.counts, x))


def unique_inverse(x: Tensor, /) -> UniqueInverseResult:
    """The distinct elements, sorted, and for each element of ``x`` its position among them."""
    values, found = _unique("unique_inverse", x)
    inverse = found.inverse.reshape(x.shape)
    return UniqueInverseResult(values, _index("unique_inverse", inverse, x))


def unique_all(x: Tensor, /) -> UniqueAllResult:
    """Distinct elements (sorted), first indices, inverse indices and counts."""
    values, found = _unique("unique_all", x)
    return UniqueAllResult(
        values,
        _index("unique_all", found.first, x),
        _index("unique_all", found.inverse.reshape(x.shape), x),
        _index("unique_all", found.counts, x),
    )


def isin(x1: Tensor | int, x2: Tensor | int, /, *, invert: bool = False) -> Tensor:
    """True where an element of ``x1`` occurs in ``x2`` (host)."""
    a, b = promote_all("isin", x1, x2)
    found = np.isin(to_host(a), to_host(b), invert=invert)
    return host_result("isin", found, a, dtypes.bool_)
