"""PyTorch surface of issue #11: value tests, erf/erfc, element counts, leaky_relu/elu/softplus,
one_hot, normalize, Unflatten, norm/vector_norm, diag.

Expected values are PyTorch's documented examples (or its formulas worked by hand); every test
runs on every installed backend; gradients are checked by central differences.
"""

from __future__ import annotations

import math

import pytest

import plugtorch as pt
import plugtorch.nn.functional as F

NAN, INF = float("nan"), float("inf")


def t(values, backend, dtype=None, requires_grad=False):
    return pt.tensor(values, dtype=dtype, backend=backend, requires_grad=requires_grad)


def close(tensor, expected, atol=1e-4):
    got = tensor.tolist()
    flat_got = got if isinstance(got, list) else [got]
    flat_expected = expected if isinstance(expected, list) else [expected]
    assert len(flat_got) == len(flat_expected), (got, expected)
    for a, b in zip(flat_got, flat_expected):
        if isinstance(a, list):
            close_rows(a, b, atol)
        elif math.isnan(b):
            assert math.isnan(a), (got, expected)
        else:
            assert a == pytest.approx(b, abs=atol), (got, expected)


def close_rows(got, expected, atol):
    for a, b in zip(got, expected):
        assert a == pytest.approx(b, abs=atol, nan_ok=True), (got, expected)


# --- value tests ----------------------------------------------------------------------------
def test_value_tests_match_pytorch_examples(backend_name: str) -> None:
    x = t([1.0, INF, 2.0, -INF, NAN], backend_name)
    assert pt.isnan(x).tolist() == [False, False, False, False, True]
    assert pt.isinf(x).tolist() == [False, True, False, True, False]
    assert pt.isfinite(x).tolist() == [True, False, True, False, False]
    assert pt.isposinf(x).tolist() == [False, True, False, False, False]
    assert pt.isneginf(x).tolist() == [False, False, False, True, False]
    assert pt.isreal(x).tolist() == [True] * 5
    for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal"):
        result = getattr(x, name)()
        assert result.dtype == pt.bool
        assert result.tolist() == getattr(pt, name)(x).tolist()


def test_value_tests_on_integers_zeros_and_empty(backend_name: str) -> None:
    ints = t([1, -2, 0], backend_name)
    assert pt.isnan(ints).tolist() == [False] * 3
    assert pt.isinf(ints).tolist() == [False] * 3
    assert pt.isposinf(ints).tolist() == [False] * 3
    assert pt.isfinite(ints).tolist() == [True] * 3
    zeros = t([0.0, -0.0], backend_name)
    assert pt.isfinite(zeros).tolist() == [True, True]
    assert pt.isinf(zeros).tolist() == [False, False]
    empty = pt.zeros(2, 0, backend=backend_name)
    assert pt.isnan(empty).shape == (2, 0)
    assert pt.isnan(t(NAN, backend_name)).tolist() is True


def test_value_tests_need_a_tensor() -> None:
    with pytest.raises(TypeError, match="must be Tensor, not float"):
        pt.isnan(1.0)
    with pytest.raises(TypeError, match="must be Tensor"):
        pt.numel([1, 2])


def test_array_api_shares_the_value_tests(backend_name: str) -> None:
    from plugtorch import array_api as xp

    x = t([NAN, INF, 1.0], backend_name)
    assert xp.isnan(x).tolist() == pt.isnan(x).tolist()
    assert xp.isfinite(x).tolist() == pt.isfinite(x).tolist()
    with pytest.raises(TypeError, match="expects a plugtorch Tensor"):
        xp.isinf(1.0)


def test_tensor_introspection() -> None:
    x = pt.zeros(1, 2, 3, 4, 5)
    assert pt.numel(x) == 120 and x.nelement() == 120
    assert pt.numel(pt.tensor(3.0)) == 1 and pt.numel(pt.zeros(4, 0)) == 0
    assert pt.is_tensor(x) and pt.is_tensor(pt.nn.Parameter(pt.zeros(1)))
    assert not pt.is_tensor([1.0]) and not pt.is_tensor(1.0)
    assert pt.is_floating_point(x) and not pt.is_floating_point(pt.tensor([1]))


# --- erf and erfc ---------------------------------------------------------------------------
def test_erf_erfc_documented_values(backend_name: str) -> None:
    x = t([0.0, -1.0, 10.0], backend_name)
    close(pt.erf(x), [0.0, -0.8427, 1.0])
    close(pt.erfc(x), [1.0, 1.8427, 0.0])
    close(x.erf(), [0.0, -0.8427, 1.0])
    close(x.erfc(), [1.0, 1.8427, 0.0])
    assert pt.erf is F.erf  # one implementation


def test_erfc_edges_and_tail(backend_name: str) -> None:
    x = t([NAN, INF, -INF, -0.0, 5.0], backend_name, dtype=pt.float64)
    got = pt.erfc(x).tolist()
    assert math.isnan(got[0]) and got[1:4] == [0.0, 2.0, 1.0]
    assert got[4] == pytest.approx(math.erfc(5.0), abs=1e-10)  # no 1 - erf cancellation
    assert pt.erfc(t([1, 2], backend_name)).dtype == pt.get_default_dtype()


def test_erfc_gradient(backend_name: str) -> None:
    x = t([-1.5, 0.0, 0.7], backend_name, dtype=pt.float64, requires_grad=True)
    pt.erfc(x).sum().backward()
    expected = [-2 / math.sqrt(math.pi) * math.exp(-v * v) for v in (-1.5, 0.0, 0.7)]
    close(x.grad, expected, atol=1e-12)


# --- activations ----------------------------------------------------------------------------
def test_leaky_relu_elu_softplus_values(backend_name: str) -> None:
    x = t([-2.0, -0.0, 0.0, 3.0, NAN, -INF, INF], backend_name)
    close(F.leaky_relu(x), [-0.02, 0.0, 0.0, 3.0, NAN, -INF, INF])
    close(F.leaky_relu(x, 0.5), [-1.0, 0.0, 0.0, 3.0, NAN, -INF, INF])
    close(F.elu(x), [math.exp(-2) - 1, 0.0, 0.0, 3.0, NAN, -1.0, INF])
    close(F.elu(x, alpha=2.0), [2 * (math.exp(-2) - 1), 0.0, 0.0, 3.0, NAN, -2.0, INF])
    close(F.softplus(x), [math.log1p(math.exp(-2)), math.log(2), math.log(2), 3.0486, NAN, 0.0,
                          INF])  # fmt: skip
    # above the threshold softplus is x itself (beta * x > threshold)
    close(F.softplus(t([10.0, 30.0], backend_name), beta=2.0, threshold=15.0),
          [math.log1p(math.exp(20.0)) / 2, 30.0])  # fmt: skip


def test_activation_gradients(backend_name: str) -> None:
    def x() -> pt.Tensor:
        return t([-1.3, -0.4, 0.6, 2.1], backend_name, dtype=pt.float64, requires_grad=True)

    for function in (
        lambda v: F.leaky_relu(v, 0.2),
        lambda v: F.elu(v, alpha=0.7),
        lambda v: F.softplus(v, beta=1.5),
    ):
        assert pt.autograd.gradcheck(function, (x(),))
    v = t([0.0, 50.0], backend_name, dtype=pt.float64, requires_grad=True)
    F.leaky_relu(v, 0.3).sum().backward()
    assert v.grad.tolist() == [0.3, 1.0]  # at 0 the negative slope, as PyTorch
    big = t([-1000.0, 1000.0], backend_name, dtype=pt.float64, requires_grad=True)
    F.elu(big).sum().backward()
    assert big.grad.tolist() == [0.0, 1.0]  # no overflow in the branch not taken


def test_activation_inplace_and_modules(backend_name: str) -> None:
    x = t([-1.0, 2.0], backend_name)
    assert F.leaky_relu(x, 0.5, inplace=True) is x
    close(x, [-0.5, 2.0])
    # relu and dropout honour inplace too: the write reaches every alias and autograd.
    base = t([-1.0, 2.0, -3.0, 4.0], backend_name)
    view = base[:2]
    assert F.relu(view, inplace=True) is view
    close(base, [0.0, 2.0, -3.0, 4.0])
    pt.nn.ReLU(inplace=True)(base[2:])
    close(base, [0.0, 2.0, 0.0, 4.0])
    assert repr(pt.nn.ReLU(inplace=True)) == "ReLU(inplace=True)" and repr(pt.nn.ReLU()) == "ReLU()"
    leaf = t([-1.0, 2.0], backend_name).requires_grad_()
    y = leaf * 1
    F.relu(y, inplace=True)
    y.sum().backward()
    close(leaf.grad, [0.0, 1.0])
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.relu(leaf, inplace=True)
    ones = pt.ones(6, backend=backend_name)
    pt.nn.Dropout(0.5, inplace=True)(ones[:4])
    assert set(ones.tolist()[:4]) <= {0.0, 2.0} and ones.tolist()[4:] == [1.0, 1.0]
    kept = pt.ones(3, backend=backend_name)
    F.dropout(kept, 1.0, training=True, inplace=True)
    close(kept, [0.0, 0.0, 0.0])
    close(pt.nn.LeakyReLU(0.1)(t([-1.0, 1.0], backend_name)), [-0.1, 1.0])
    close(pt.nn.ELU(alpha=0.5)(t([-INF, 1.0], backend_name)), [-0.5, 1.0])
    close(pt.nn.Softplus(beta=2.0)(t([0.0], backend_name)), [math.log(2) / 2])
    assert repr(pt.nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(pt.nn.LeakyReLU(0.2, True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert repr(pt.nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(pt.nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    with pytest.raises(TypeError, match="negative_slope must be a number"):
        F.leaky_relu(x, "0.1")


# --- one_hot, normalize, Unflatten ----------------------------------------------------------
def test_one_hot_documented_examples(backend_name: str) -> None:
    labels = pt.arange(0, 5, backend=backend_name) % 3
    out = F.one_hot(labels)
    assert out.dtype == pt.int64
    assert out.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]]
    assert F.one_hot(labels, num_classes=5).tolist()[2] == [0, 0, 1, 0, 0]
    assert F.one_hot(labels.view(-1, 1)).shape == (5, 1, 3)
    assert F.one_hot(pt.zeros(0, dtype=pt.int64, backend=backend_name), 4).shape == (0, 4)


def test_one_hot_errors(backend_name: str) -> None:
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(t([0, -1], backend_name))
    with pytest.raises(ValueError, match="smaller than num_classes"):
        F.one_hot(t([0, 3], backend_name), num_classes=3)
    with pytest.raises(ValueError, match="empty tensor"):
        F.one_hot(pt.zeros(0, dtype=pt.int64, backend=backend_name))
    with pytest.raises(TypeError, match="LongTensor"):
        F.one_hot(t([0.0, 1.0], backend_name))


def test_normalize(backend_name: str) -> None:
    x = t([[3.0, 4.0], [0.0, 0.0]], backend_name)
    close(F.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    close(F.normalize(x, p=1.0, dim=0), [[1.0, 1.0], [0.0, 0.0]])
    close(F.normalize(t([3.0, -4.0], backend_name), dim=0), [0.6, -0.8])
    v = t([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]], backend_name, dtype=pt.float64,
          requires_grad=True)  # fmt: skip
    F.normalize(v).sum().backward()
    assert all(math.isfinite(g) for row in v.grad.tolist() for g in row)
    assert v.grad.tolist()[1] == [1e12] * 3  # zero row: grad / eps, as PyTorch
    w = t([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]], backend_name, dtype=pt.float64,
          requires_grad=True)  # fmt: skip
    assert pt.autograd.gradcheck(lambda a: F.normalize(a, p=3.0), (w,))


def test_unflatten_module() -> None:
    layer = pt.nn.Unflatten(1, (2, 5, 5))
    assert layer(pt.zeros(2, 50)).shape == (2, 2, 5, 5)
    assert repr(layer) == "Unflatten(dim=1, unflattened_size=(2, 5, 5))"
    assert pt.nn.Unflatten(-1, (-1, 2))(pt.zeros(3, 4)).shape == (3, 2, 2)
    with pytest.raises(TypeError, match="tuple or list of ints"):
        pt.nn.Unflatten(1, 5)


# --- norms and diag -------------------------------------------------------------------------
def test_norm_documented_examples(backend_name: str) -> None:
    a = pt.arange(9, dtype=pt.float32, backend=backend_name) - 4
    b = a.reshape(3, 3)
    close(pt.norm(a), 7.7460)
    close(pt.norm(b), 7.7460)
    close(pt.norm(a, float("inf")), 4.0)
    c = t([[1.0, 2.0, 3.0], [-1.0, 1.0, 4.0]], backend_name)
    close(pt.norm(c, dim=0), [1.4142, 2.2361, 5.0])
    close(c.norm(dim=1), [3.7417, 4.2426])
    close(pt.norm(c, p=1, dim=1), [6.0, 6.0])
    assert pt.norm(c, dim=1, keepdim=True).shape == (2, 1)
    close(pt.linalg.vector_norm(a, ord=3.5), 5.4345)
    close(pt.linalg.vector_norm(a, ord=-INF), 0.0)
    close(pt.linalg.vector_norm(a, ord=0), 8.0)
    close(pt.linalg.vector_norm(t([1, 2], backend_name), dtype=pt.float64), math.sqrt(5))


def test_norm_errors_and_gradient(backend_name: str) -> None:
    with pytest.raises(TypeError, match="floating point"):
        pt.norm(t([1, 2], backend_name))
    with pytest.raises(ValueError, match="nuc"):
        pt.norm(t([[1.0]], backend_name), p="nuc")
    with pytest.raises(ValueError, match="empty"):
        pt.linalg.vector_norm(pt.zeros(0, backend=backend_name), ord=INF)
    x = t([[0.3, -1.2], [2.0, 0.5]], backend_name, dtype=pt.float64, requires_grad=True)
    for p in ("fro", 1, 3.0, INF):
        assert pt.autograd.gradcheck(lambda v, p=p: pt.norm(v, p, dim=1), (x,))
    zero = pt.zeros(3, dtype=pt.float64, backend=backend_name, requires_grad=True)
    pt.norm(zero).backward()
    assert zero.grad.tolist() == [0.0, 0.0, 0.0]  # PyTorch's subgradient, not nan


def test_diag_documented_examples(backend_name: str) -> None:
    a = t([0.5950, -0.0872, 2.3298], backend_name)
    close(pt.diag(a), [[0.5950, 0, 0], [0, -0.0872, 0], [0, 0, 2.3298]])
    assert pt.diag(a, 1).shape == (4, 4)
    close(pt.diag(a, 1)[0], [0.0, 0.5950, 0.0, 0.0])
    close(pt.diag(a, -1)[:, 0], [0.0, 0.5950, 0.0, 0.0])
    m = t([[-0.4264, 0.0255, -0.1064], [0.8795, -0.2429, 0.1374], [0.1029, -0.6482, -1.6300]],
          backend_name)  # fmt: skip
    close(pt.diag(m), [-0.4264, -0.2429, -1.6300])
    close(m.diag(1), [0.0255, 0.1374])
    close(pt.diag(m, -2), [0.1029])
    assert pt.diag(m, 5).shape == (0,)
    assert pt.diag(t([INF, 2.0], backend_name)).tolist() == [[INF, 0.0], [0.0, 2.0]]
    assert pt.diag(t([1, 2], backend_name)).dtype == pt.int64
    with pytest.raises(ValueError, match="1D or 2D"):
        pt.diag(t(1.0, backend_name))


def test_diag_gradient(backend_name: str) -> None:
    v = t([0.3, -1.2, 2.0], backend_name, dtype=pt.float64, requires_grad=True)
    for k in (0, 2, -1):
        assert pt.autograd.gradcheck(lambda x, k=k: pt.diag(x, k), (v,))
        m = t([[1.0, 2.0], [3.0, 4.0]], backend_name, dtype=pt.float64, requires_grad=True)
        assert pt.autograd.gradcheck(lambda x, k=k: pt.diag(x, k), (m,))
