"""nan, +-inf, +-0.0, empty and 0-d inputs give PyTorch's results on every backend and on the
core's decompositions (issue #14). Before: ``relu(nan)`` was 0 and ``softmax([1, inf])`` was
``[0, nan]`` on numpy and array-api backends, ``tensor(3.).sum(0)`` raised numpy's AxisError and
softmax over a size-0 dimension raised numpy's reduction error."""

from __future__ import annotations

import math

import numpy as np
import pytest

import plugtorch as pt
import plugtorch.nn.functional as F

PLAIN = "numpy_edge_plain"  # declares no optional primitive: the core's decompositions run
pt.register_backend(PLAIN, pt.ArrayAPIBackend(np, name=PLAIN))
PATHS = sorted({info.name for info in pt.list_backends() if info.available} | {PLAIN})
INF, NAN = math.inf, math.nan


def _same(got: pt.Tensor, expected: list[float]) -> None:
    values = got.detach().numpy()
    want = np.array(expected, dtype=values.dtype)
    assert np.array_equal(values, want, equal_nan=True), (values, want)
    zeros = want == 0
    assert np.array_equal(np.signbit(values[zeros]), np.signbit(want[zeros])), ("-0.0", values)


def _t(values, path: str, **kwargs) -> pt.Tensor:
    return pt.tensor(values, dtype=pt.float64, backend=path, **kwargs)


@pytest.mark.parametrize("path", PATHS)
def test_relu_keeps_nan_and_negative_zero(path: str) -> None:
    # PyTorch's relu is clamp_min(x, 0), i.e. ``x < 0 ? 0 : x``.
    x = _t([NAN, -0.0, 0.0, -1.0, INF, -INF, 2.5], path)
    _same(F.relu(x), [NAN, -0.0, 0.0, 0.0, INF, 0.0, 2.5])
    _same(pt.relu(x.float()), [NAN, -0.0, 0.0, 0.0, INF, 0.0, 2.5])
    with pytest.raises(TypeError, match="relu"):
        pt.relu(x > 0)


@pytest.mark.parametrize("path", PATHS)
def test_relu_gradient_at_nan_is_zero(path: str) -> None:
    x = _t([NAN, 1.0, -1.0], path, requires_grad=True)
    F.relu(x).sum().backward()
    _same(x.grad, [0.0, 1.0, 0.0])


@pytest.mark.parametrize("path", PATHS)
def test_softmax_of_non_finite_rows(path: str) -> None:
    # The row max is subtracted even when it is +-inf, as PyTorch does.
    _same(F.softmax(_t([1.0, INF], path), 0), [NAN, NAN])
    _same(F.softmax(_t([-INF, -INF], path), 0), [NAN, NAN])
    _same(F.softmax(_t([1.0, -INF], path), 0), [1.0, 0.0])
    _same(F.softmax(_t([NAN, 1.0], path), 0), [NAN, NAN])
    _same(F.log_softmax(_t([1.0, INF], path), 0), [NAN, NAN])
    _same(F.log_softmax(_t([0.0, -INF], path), 0), [0.0, -INF])


@pytest.mark.parametrize("path", PATHS)
def test_softmax_over_an_empty_dimension(path: str) -> None:
    x = pt.zeros(2, 0, dtype=pt.float64, backend=path, requires_grad=True)
    for function in (F.softmax, F.log_softmax):
        y = function(x, 1)
        assert y.shape == (2, 0)
        y.sum().backward()
        assert x.grad.shape == (2, 0)
    assert F.softmax(pt.zeros(0, 3, backend=path), 1).shape == (0, 3)


@pytest.mark.parametrize("path", PATHS)
def test_erf_gelu_and_sigmoid_edges(path: str) -> None:
    _same(F.erf(_t([-0.0, 0.0, NAN, INF, -INF], path)), [-0.0, 0.0, NAN, 1.0, -1.0])
    # gelu(-inf) = -inf * Phi(-inf) = -inf * 0 = nan in PyTorch's formula too.
    _same(F.gelu(_t([-0.0, NAN, INF, -INF], path)), [-0.0, NAN, INF, NAN])
    _same(pt.sigmoid(_t([-0.0, NAN, INF, -INF], path)), [0.5, NAN, 1.0, 0.0])


@pytest.mark.parametrize("path", PATHS)
def test_zero_dim_tensors_accept_dims_0_and_minus_1(path: str) -> None:
    x = _t(3.0, path)
    for dim in (0, -1):
        for reduce in (pt.sum, pt.mean, pt.prod, pt.amax, pt.amin, pt.logsumexp):
            result = reduce(x, dim)
            assert result.shape == () and result.item() == 3.0, reduce.__name__
        assert x.sum(dim, keepdim=True).shape == ()
        assert pt.all(x, dim).item() and pt.any(x, dim).item()
        assert x.squeeze(dim).shape == () and x.flip(dim).item() == 3.0
        assert x.max(dim).values.item() == 3.0 and x.argmax(dim).item() == 0
        assert pt.roll(x, 1, dim).item() == 3.0
        assert pt.gather(x, dim, pt.tensor(0, backend=path)).item() == 3.0
    with pytest.raises(ValueError, match="at least a 1-dimensional tensor"):
        pt.split(x, 1, 0)
    assert math.isnan(x.var(0).item())  # one element, Bessel's correction: nan, as PyTorch
    with pytest.raises(IndexError, match="out of range"):
        x.sum(1)
    with pytest.raises(ValueError, match="twice"):
        x.sum((0, -1))


@pytest.mark.parametrize("path", PATHS)
def test_max_min_and_clamp_propagate_nan(path: str) -> None:
    x = _t([1.0, NAN, 2.0], path)
    assert math.isnan(x.amax().item()) and math.isnan(x.amin().item())
    assert x.max(0).indices.item() == 1  # the nan wins, as PyTorch
    _same(pt.maximum(x, _t([3.0, 0.0, NAN], path)), [3.0, NAN, NAN])
    _same(pt.clamp(x, 0.0, 1.5), [1.0, NAN, 1.5])
    _same(pt.clamp(_t([0.2, 1.0], path), 2.0, 1.0), [1.0, 1.0])  # min > max: every value max
    _same(pt.sign(_t([-0.0, 0.0, -INF, INF], path)), [0.0, 0.0, -1.0, 1.0])
