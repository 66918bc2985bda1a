"""``x ** n`` for whole Python-number exponents and +-0.5 takes the core's fast path on every
backend (multiplications, reciprocal and square root for 2, 3, -1, -2, +-0.5; ``|x| ** n`` with
the sign of odd powers restored for other whole ``n``), with PyTorch's results at nan, +-inf
and +-0, negative bases and integer dtypes, and its gradients. The speed is shown by
``benchmarks/bench_pow.py``, not asserted here."""

from __future__ import annotations

import math

import numpy as np
import pytest

import plugtorch as pt
from plugtorch.autograd import gradcheck, gradgradcheck
from plugtorch.backend import ArrayAPIBackend

INF, NAN = math.inf, math.nan
BASES = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 2.0, -3.0, 0.5]
# PyTorch's results (IEEE pow for whole exponents; sqrt and 1/sqrt for +-0.5, so -0.0 ** 0.5
# is -0.0 and -inf ** 0.5 is nan, as PyTorch's CPU kernel gives)
EXPECTED = {
    0: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    1: [NAN, INF, -INF, 0.0, -0.0, 1, -1, 2, -3, 0.5],
    2: [NAN, INF, INF, 0.0, 0.0, 1, 1, 4, 9, 0.25],
    3: [NAN, INF, -INF, 0.0, -0.0, 1, -1, 8, -27, 0.125],
    4: [NAN, INF, INF, 0.0, 0.0, 1, 1, 16, 81, 0.0625],
    -1: [NAN, 0.0, -0.0, INF, -INF, 1, -1, 0.5, -1 / 3, 2],
    -2: [NAN, 0.0, 0.0, INF, INF, 1, 1, 0.25, 1 / 9, 4],
    -3: [NAN, 0.0, -0.0, INF, -INF, 1, -1, 0.125, -1 / 27, 8],
    -4: [NAN, 0.0, 0.0, INF, INF, 1, 1, 0.0625, 1 / 81, 16],
    0.5: [NAN, INF, NAN, 0.0, -0.0, 1, NAN, math.sqrt(2), NAN, math.sqrt(0.5)],
    -0.5: [NAN, 0.0, NAN, INF, -INF, 1, NAN, 1 / math.sqrt(2), NAN, math.sqrt(2)],
    5: [NAN, INF, -INF, 0.0, -0.0, 1, -1, 32, -243, 1 / 32],
    6: [NAN, INF, INF, 0.0, 0.0, 1, 1, 64, 729, 1 / 64],
    -5: [NAN, 0.0, -0.0, INF, -INF, 1, -1, 1 / 32, -1 / 243, 32],
    -6: [NAN, 0.0, 0.0, INF, INF, 1, 1, 1 / 64, 1 / 729, 64],
    11: [NAN, INF, -INF, 0.0, -0.0, 1, -1, 2048, -177147, 1 / 2048],
}


def _same(got: np.ndarray, expected: list[float]) -> bool:
    want = np.array(expected, dtype=got.dtype)
    close = np.isclose(got, want, rtol=4e-7, atol=0, equal_nan=True)
    signs = np.signbit(got) == np.signbit(want)  # the sign of a zero or an infinity
    return bool(close.all() and (signs | np.isnan(want)).all())


@pytest.mark.parametrize("exponent", sorted(EXPECTED))
@pytest.mark.parametrize("dtype", [pt.float32, pt.float64])
def test_special_bases_give_pytorchs_results(exponent: float, dtype, backend_name: str) -> None:
    if dtype not in pt.get_backend(backend_name).capabilities.dtypes:
        pytest.skip(f"{backend_name} holds no {dtype}")
    x = pt.tensor(BASES, dtype=dtype, backend=backend_name)
    with np.errstate(all="ignore"):
        got = (x**exponent).numpy()
        also = pt.pow(x, float(exponent)).numpy()
    assert _same(got, EXPECTED[exponent]), got
    assert _same(also, EXPECTED[exponent]), also
    assert got.dtype == dtype.numpy


class SlowPowBackend(ArrayAPIBackend):
    """numpy whose ``pow`` primitive refuses negative bases (numpy's slow case, -0.0 included)
    and counts its calls: proves where the fast path goes."""

    calls = 0

    def pow(self, x, y):  # noqa: ANN001, ANN201
        SlowPowBackend.calls += 1
        if np.signbit(x).any():
            raise AssertionError("pow was called with negative bases")
        return super().pow(x, y)


def test_whole_exponents_never_give_pow_a_negative_base() -> None:
    pt.register_backend("slow-pow", SlowPowBackend(np, name="slow-pow"))
    x = pt.tensor([-2.0, 0.5, -0.0, 3.0], backend="slow-pow", requires_grad=True)
    for exponent in (0, 1, 2, 3, 4, 5, 6, 7.0, -1, -2, -3, -5, 2.0, 12):  # and x ** (n - 1)
        (x**exponent).sum().backward()
    SlowPowBackend.calls = 0
    with pt.no_grad():  # multiplications alone; the gradient of x ** -0.5 needs x ** -1.5
        x**2, x**3, x**-1, x**-2, x.abs() ** 0.5, x.abs() ** -0.5
    assert SlowPowBackend.calls == 0
    with pytest.raises(AssertionError, match="negative bases"):
        x**2.5  # not whole: the general pow, nan for negative bases as PyTorch
    with pytest.raises(AssertionError, match="negative bases"):
        x ** pt.tensor(3.0, backend="slow-pow")  # a tensor exponent: the general pow


@pytest.mark.parametrize("exponent", [3, 5, 7, -3, -7, 8, 13, 21.0])
def test_ordinary_values_match_ieee_pow(exponent: float, backend_name: str) -> None:
    values = np.random.default_rng(1).standard_normal(1000) * 3
    x = pt.tensor(values, dtype=pt.float64, backend=backend_name)
    with np.errstate(all="ignore"):
        want = np.power(values, float(exponent))
    np.testing.assert_allclose((x**exponent).numpy(), want, rtol=4e-16 * 4, atol=0)


def test_whole_exponents_of_integers_stay_integers(backend_name: str) -> None:
    x = pt.tensor([-3, 2, 0], backend=backend_name)
    assert (x**2).tolist() == [9, 4, 0] and (x**2).dtype is pt.int64
    assert (x**3).tolist() == [-27, 8, 0]
    assert (x**0).tolist() == [1, 1, 1]
    assert (x**1).tolist() == [-3, 2, 0] and (x**5).tolist() == [-243, 32, 0]
    assert (x**2.0).dtype is pt.float32 and (x**2.0).tolist() == [9.0, 4.0, 0.0]
    assert pt.tensor([True, False], backend=backend_name).__pow__(2).tolist() == [1, 0]
    with pytest.raises(ValueError, match="negative integer powers"):
        x**-1


@pytest.mark.parametrize("exponent", [0, 1, 2, 3, 4, 5, -1, -2, -3, -4, -5, 0.5, -0.5])
def test_gradients_and_second_derivatives(exponent: float, backend_name: str) -> None:
    if pt.float64 not in pt.get_backend(backend_name).capabilities.dtypes:
        pytest.skip("gradcheck needs float64")
    values = [0.7, 1.3, 2.1] if exponent != int(exponent) else [0.7, -1.3, 2.1]
    x = pt.tensor(values, dtype=pt.float64, backend=backend_name, requires_grad=True)
    assert gradcheck(lambda t: t**exponent, (x,))
    assert gradgradcheck(lambda t: t**exponent, (x,))


def test_gradient_at_zero_is_pytorchs() -> None:
    x = pt.tensor([0.0, -0.0, 2.0], dtype=pt.float64, requires_grad=True)
    (x**0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]  # PyTorch: zeros for exponent 0, even at 0
    x.grad = None
    (x**2).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 4.0]
    x.grad = None
    (x**-1).sum().backward()
    assert x.grad[:2].tolist() == [-INF, -INF] and x.grad[2].item() == -0.25
