"""Tensor methods and functions of issue #11: scatter/scatter_reduce, repeat/tile/
repeat_interleave, einsum, addmm and friends, lerp, nan_to_num, isclose/allclose/equal, and the
behaviour of masked_fill_, clamp_, item, tolist, gather, index_select, roll, flip and where.

Expectations are PyTorch's documented values and errors, written out here (PyTorch itself is
never imported); gradients are checked against central differences on every backend.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import plugtorch as pt
from plugtorch.autograd import gradcheck, gradgradcheck

NAN, INF = math.nan, math.inf


def _f64(backend: str) -> bool:
    return pt.float64 in pt.get_backend(backend).capabilities.dtypes


def _leaf(values, backend: str):
    return pt.tensor(values, dtype=pt.float64, backend=backend, requires_grad=True)


# --- scatter ------------------------------------------------------------------------------------


def test_scatter_pytorch_examples(backend_name: str) -> None:
    src = pt.arange(1, 11, backend=backend_name).reshape((2, 5))
    index = pt.tensor([[0, 1, 2, 0]], backend=backend_name)
    out = pt.zeros(3, 5, dtype=src.dtype, backend=backend_name).scatter_(0, index, src)
    assert out.tolist() == [[1, 0, 0, 4, 0], [0, 2, 0, 0, 0], [0, 0, 3, 0, 0]]
    index = pt.tensor([[0, 1, 2], [0, 1, 4]], backend=backend_name)
    out = pt.zeros(3, 5, dtype=src.dtype, backend=backend_name).scatter_(1, index, src)
    assert out.tolist() == [[1, 2, 3, 0, 0], [6, 7, 0, 0, 8], [0, 0, 0, 0, 0]]
    where = pt.tensor([[2], [3]], backend=backend_name)
    twos = pt.full((2, 4), 2.0, backend=backend_name)
    product = twos.scatter(1, where, 1.23, reduce="multiply")
    np.testing.assert_allclose(product.numpy(), [[2, 2, 2.46, 2], [2, 2, 2, 2.46]], rtol=1e-6)
    total = twos.scatter(1, where, value=1.23, reduce="add")
    np.testing.assert_allclose(total.numpy(), [[2, 2, 3.23, 2], [2, 2, 2, 3.23]], rtol=1e-6)
    assert pt.scatter(twos, 1, where, 0.0).tolist() == [[2, 2, 0, 2], [2, 2, 2, 0]]


def test_scatter_edge_cases(backend_name: str) -> None:
    x = pt.tensor(5.0, backend=backend_name)
    zero_d = x.scatter(0, pt.tensor(0, backend=backend_name), pt.tensor(7.0, backend=backend_name))
    assert zero_d.shape == () and zero_d.item() == 7.0
    empty = pt.zeros(2, 3, dtype=pt.int64, backend=backend_name)
    none = pt.empty(0, 3, dtype=pt.int64, backend=backend_name)
    assert empty.scatter(0, none, 1).tolist() == [[0, 0, 0], [0, 0, 0]]
    dup = pt.zeros(3, backend=backend_name).scatter(0, pt.tensor([1, 1], backend=backend_name), 4.0)
    assert dup.tolist() == [0.0, 4.0, 0.0]
    ints = pt.zeros(3, dtype=pt.int64, backend=backend_name)
    assert ints.scatter(0, pt.tensor([2], backend=backend_name), 2.7).tolist() == [0, 0, 2]


def test_scatter_in_place_reaches_views_and_checks_leaves(backend_name: str) -> None:
    base = pt.zeros(2, 3, backend=backend_name)
    row = base[1]
    base.scatter_(1, pt.tensor([[0], [2]], backend=backend_name), 1.0)
    assert row.tolist() == [0.0, 0.0, 1.0]
    row.scatter_add_(0, pt.tensor([0, 0], backend=backend_name), pt.ones(2, backend=backend_name))
    assert base.tolist() == [[1.0, 0.0, 0.0], [2.0, 0.0, 1.0]]
    leaf = pt.zeros(3, backend=backend_name, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.scatter_(0, pt.tensor([0], backend=backend_name), 1.0)


def test_scatter_bad_arguments(backend_name: str) -> None:
    x = pt.zeros(2, 3, backend=backend_name)
    index = pt.tensor([[0, 1]], backend=backend_name)
    src = pt.ones(2, 3, backend=backend_name)
    with pytest.raises(IndexError, match="out of range"):
        x.scatter(1, pt.tensor([[3]], backend=backend_name), src)
    with pytest.raises(IndexError, match="out of range"):
        x.scatter(0, pt.tensor([[-1]], backend=backend_name), src)
    with pytest.raises(IndexError):
        x.scatter(2, index, src)
    with pytest.raises(TypeError, match="dtype"):
        x.scatter(0, index, src.double())
    with pytest.raises(TypeError, match="integer"):
        x.scatter(0, index.float(), src)
    with pytest.raises(ValueError, match="same number of dimensions"):
        x.scatter(0, pt.tensor([0], backend=backend_name), src)
    with pytest.raises(ValueError, match="size does not match"):
        x.scatter(0, pt.zeros(1, 4, dtype=pt.int64, backend=backend_name), src)
    with pytest.raises(ValueError, match="add or multiply"):
        x.scatter(0, index, 1.0, reduce="sum")
    with pytest.raises(TypeError, match="exactly one"):
        x.scatter(0, index)
    with pytest.warns(UserWarning, match="deprecated"):
        x.scatter(0, index, src, reduce="add")


def test_scatter_gradients(backend_name: str) -> None:
    if not _f64(backend_name):
        pytest.skip("gradcheck needs float64")
    x = _leaf(np.arange(6.0).reshape(2, 3), backend_name)
    src = _leaf(np.arange(6.0).reshape(2, 3) + 10, backend_name)
    index = pt.tensor([[1, 0], [0, 2]], backend=backend_name)
    assert gradcheck(lambda a, s: pt.scatter(a, 1, index, s), (x, src))
    assert gradcheck(lambda a: a.scatter(1, index, 2.5), (x,))
    (
        pt.scatter(x, 1, index, src) * pt.arange(6.0, backend=backend_name).reshape(2, 3)
    ).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 2.0], [0.0, 4.0, 0.0]]  # written places get nothing
    assert src.grad.tolist() == [[1.0, 0.0, 0.0], [3.0, 5.0, 0.0]]  # gather(grad, index)


# --- scatter_reduce -----------------------------------------------------------------------------

SRC = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
INDEX = [0, 1, 0, 1, 2, 1]
EXPECTED = {  # PyTorch's documented results, and the same reductions written out
    ("sum", True): [5.0, 14.0, 8.0, 4.0],
    ("sum", False): [4.0, 12.0, 5.0, 4.0],
    ("prod", True): [3.0, 96.0, 15.0, 4.0],
    ("prod", False): [3.0, 48.0, 5.0, 4.0],
    ("mean", True): [5 / 3, 3.5, 4.0, 4.0],
    ("mean", False): [2.0, 4.0, 5.0, 4.0],
    ("amax", True): [3.0, 6.0, 5.0, 4.0],
    ("amax", False): [3.0, 6.0, 5.0, 4.0],
    ("amin", True): [1.0, 2.0, 3.0, 4.0],
    ("amin", False): [1.0, 2.0, 5.0, 4.0],
}


@pytest.mark.parametrize(("reduce", "include_self"), sorted(EXPECTED))
def test_scatter_reduce_values(reduce: str, include_self: bool, backend_name: str) -> None:
    x = pt.tensor([1.0, 2.0, 3.0, 4.0], backend=backend_name)
    src, index = pt.tensor(SRC, backend=backend_name), pt.tensor(INDEX, backend=backend_name)
    out = x.scatter_reduce(0, index, src, reduce, include_self=include_self)
    assert out.tolist() == pytest.approx(EXPECTED[reduce, include_self])
    assert x.tolist() == [1.0, 2.0, 3.0, 4.0]
    x.scatter_reduce_(0, index, src, reduce=reduce, include_self=include_self)
    assert x.tolist() == pytest.approx(EXPECTED[reduce, include_self])


def test_scatter_reduce_documented_amax_and_integers(backend_name: str) -> None:
    index, src = pt.tensor(INDEX, backend=backend_name), pt.tensor(SRC, backend=backend_name)
    x2 = pt.tensor([5.0, 4.0, 3.0, 2.0], backend=backend_name)
    assert x2.scatter_reduce(0, index, src, reduce="amax").tolist() == [5.0, 6.0, 5.0, 2.0]
    ints = pt.tensor([1, 2, 3, 4], backend=backend_name)
    int_src = pt.tensor([1, 2, 3, 4, 5, 6], backend=backend_name)
    assert pt.scatter_reduce(ints, 0, index, int_src, "mean").tolist() == [1, 3, 4, 4]  # floor
    assert pt.scatter_reduce(ints, 0, index, int_src, "amin", include_self=False).tolist() == [
        1, 2, 5, 4
    ]  # fmt: skip
    with_nan = pt.tensor([0.0, NAN, 1.0], backend=backend_name)
    out = pt.zeros(2, backend=backend_name).scatter_reduce(
        0, pt.tensor([0, 0, 1], backend=backend_name), with_nan, "amax"
    )
    assert math.isnan(out[0].item()) and out[1].item() == 1.0  # nan propagates
    flags = pt.tensor([True, False, False], backend=backend_name)
    sent = pt.tensor([False, True, False], backend=backend_name)
    where = pt.tensor([0, 1, 1], backend=backend_name)
    summed = flags.scatter_reduce(0, where, sent, "sum", include_self=False)
    assert summed.dtype is pt.bool and summed.tolist() == [False, True, False]
    assert flags.scatter_reduce(0, where, sent, "amax").tolist() == [True, True, False]
    with pytest.raises(TypeError, match="bool"):
        flags.scatter_reduce(0, where, sent, "mean")
    wraps = pt.tensor([250], dtype=pt.uint8, backend=backend_name)
    two = pt.tensor([2], dtype=pt.uint8, backend=backend_name)
    assert wraps.scatter_reduce(0, where[:1], two, "prod").tolist() == [244]  # 500 mod 256


def test_scatter_reduce_bad_arguments(backend_name: str) -> None:
    x = pt.zeros(4, backend=backend_name)
    index, src = pt.tensor(INDEX, backend=backend_name), pt.tensor(SRC, backend=backend_name)
    with pytest.raises(ValueError, match="sum, prod, mean, amax or amin"):
        x.scatter_reduce(0, index, src, "max")
    with pytest.raises(IndexError, match="out of range"):
        x.scatter_reduce(0, index + 3, src, "sum")
    with pytest.raises(TypeError, match="src must be a Tensor"):
        x.scatter_reduce(0, index, 1.0, "sum")


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_gradients(reduce: str, include_self: bool, backend_name: str) -> None:
    if not _f64(backend_name):
        pytest.skip("gradcheck needs float64")
    rng = np.random.default_rng(3)
    x = _leaf(rng.permutation(8).reshape(2, 4) * 0.37 + 0.5, backend_name)  # no ties
    src = _leaf(rng.permutation(6).reshape(2, 3) * 0.41 + 0.7, backend_name)
    index = pt.tensor([[0, 2, 0], [3, 3, 1]], backend=backend_name)

    def run(a, s):
        return pt.scatter_reduce(a, 1, index, s, reduce, include_self=include_self)

    assert gradcheck(run, (x, src))
    if reduce in ("sum", "mean", "prod"):
        assert gradgradcheck(run, (x, src))


def test_scatter_reduce_prod_gradient_at_zeros(backend_name: str) -> None:
    if not _f64(backend_name):
        pytest.skip("needs float64")
    x = _leaf([2.0, 0.0], backend_name)
    src = _leaf([3.0, 0.0, 5.0, 0.0], backend_name)
    index = pt.tensor([0, 0, 1, 1], backend=backend_name)
    pt.scatter_reduce(x, 0, index, src, "prod").sum().backward()
    # place 0: 2 * 3 * 0 -> d/d2 = 0, d/d3 = 0, d/d0 = 6; place 1: 0 * 5 * 0 -> all 0
    assert x.grad.tolist() == [0.0, 0.0]
    assert src.grad.tolist() == [0.0, 6.0, 0.0, 0.0]


def test_scatter_reduce_amax_ties_share_the_gradient(backend_name: str) -> None:
    if not _f64(backend_name):
        pytest.skip("needs float64")
    x = _leaf([4.0], backend_name)
    src = _leaf([4.0, 1.0, 4.0], backend_name)
    index = pt.tensor([0, 0, 0], backend=backend_name)
    pt.scatter_reduce(x, 0, index, src, "amax").sum().backward()
    assert x.grad.tolist() == pytest.approx([1 / 3])
    assert src.grad.tolist() == pytest.approx([1 / 3, 0.0, 1 / 3])


# --- repeat, tile, repeat_interleave ------------------------------------------------------------


def test_repeat_and_tile_pytorch_examples(backend_name: str) -> None:
    x = pt.tensor([1, 2, 3], backend=backend_name)
    assert x.repeat(4, 2).tolist() == [[1, 2, 3, 1, 2, 3]] * 4
    assert x.repeat(4, 2, 1).shape == (4, 2, 3)
    assert x.repeat((2,)).tolist() == [1, 2, 3, 1, 2, 3]
    assert x.tile((2,)).tolist() == [1, 2, 3, 1, 2, 3]
    y = pt.tensor([[1, 2], [3, 4]], backend=backend_name)
    assert pt.tile(y, (2, 2)).tolist() == [[1, 2, 1, 2], [3, 4, 3, 4]] * 2
    assert y.tile(2).tolist() == [[1, 2, 1, 2], [3, 4, 3, 4]]  # fewer dims: leading ones
    assert y.repeat(0, 1).shape == (0, 2)
    assert pt.tensor(7, backend=backend_name).repeat(2).tolist() == [7, 7]
    with pytest.raises(ValueError, match="can not be smaller"):
        y.repeat(2)
    with pytest.raises(ValueError, match="negative"):
        x.repeat(-1)
    with pytest.raises(TypeError, match="tuple of ints"):
        x.repeat(1.5)
    with pytest.raises(TypeError, match="tuple of ints"):
        pt.tile(x, 2)


def test_repeat_interleave_pytorch_examples(backend_name: str) -> None:
    x = pt.tensor([1, 2, 3], backend=backend_name)
    assert x.repeat_interleave(2).tolist() == [1, 1, 2, 2, 3, 3]
    y = pt.tensor([[1, 2], [3, 4]], backend=backend_name)
    assert pt.repeat_interleave(y, 2).tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert pt.repeat_interleave(y, 3, dim=1).tolist() == [[1, 1, 1, 2, 2, 2], [3, 3, 3, 4, 4, 4]]
    counts = pt.tensor([1, 2], backend=backend_name)
    assert pt.repeat_interleave(y, counts, dim=0).tolist() == [[1, 2], [3, 4], [3, 4]]
    assert pt.repeat_interleave(y, counts, dim=0, output_size=3).tolist() == [
        [1, 2],
        [3, 4],
        [3, 4],
    ]
    assert pt.repeat_interleave(pt.tensor([7, 4, 2], backend=backend_name)).tolist() == (
        [0] * 7 + [1] * 4 + [2] * 2
    )
    assert y.repeat_interleave(pt.tensor(2, backend=backend_name), dim=-1).shape == (2, 4)
    assert y.repeat_interleave(pt.tensor([0, 1], backend=backend_name), dim=1).tolist() == [
        [2], [4]
    ]  # fmt: skip


def test_repeat_interleave_bad_arguments(backend_name: str) -> None:
    y = pt.tensor([[1, 2], [3, 4]], backend=backend_name)
    with pytest.raises(ValueError, match="same size as input along dim"):
        y.repeat_interleave(pt.tensor([1, 2, 3], backend=backend_name), dim=0)
    with pytest.raises(ValueError, match="can not be negative"):
        y.repeat_interleave(pt.tensor([1, -1], backend=backend_name), dim=0)
    with pytest.raises(ValueError, match="negative"):
        y.repeat_interleave(-2)
    with pytest.raises(TypeError, match="integer tensor"):
        y.repeat_interleave(pt.tensor([1.0, 2.0], backend=backend_name), dim=0)
    with pytest.raises(ValueError, match="0-dim or 1-dim"):
        y.repeat_interleave(pt.ones(2, 2, dtype=pt.int64, backend=backend_name), dim=0)
    with pytest.raises(ValueError, match="output_size"):
        y.repeat_interleave(2, dim=0, output_size=5)
    with pytest.raises(IndexError):
        y.repeat_interleave(2, dim=2)


def test_repeat_gradients(backend_name: str) -> None:
    if not _f64(backend_name):
        pytest.skip("gradcheck needs float64")
    x = _leaf([[1.0, 2.0], [3.0, 4.0]], backend_name)
    counts = pt.tensor([2, 0], backend=backend_name)
    assert gradcheck(lambda t: t.repeat(2, 1, 3), (x,))
    assert gradcheck(lambda t: pt.tile(t, (3,)), (x,))
    assert gradcheck(lambda t: t.repeat_interleave(2, dim=1), (x,))
    assert gradcheck(lambda t: t.repeat_interleave(counts, dim=0), (x,))
    x.repeat(3, 1).sum().backward()
    assert x.grad.tolist() == [[3.0, 3.0], [3.0, 3.0]]


# --- einsum -------------------------------------------------------------------------------------

EINSUM_CASES = [  # equation, operand shapes
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("ij->ji", [(2, 3)]),
    ("i,j->ij", [(3,), (2,)]),
    ("bij,bjk->bik", [(3, 2, 5), (3, 5, 4)]),
    ("bn,anm,bm->ba", [(2, 5), (3, 5, 4), (2, 4)]),
    ("...ij->...ji", [(2, 3, 4, 5)]),
    ("ijk,kjl->il", [(2, 3, 4), (4, 3, 5)]),
    ("i,i", [(4,), (4,)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("...j,j...->...", [(2, 3), (3, 2)]),
    ("bij,j->bi", [(1, 2, 3), (3,)]),
    ("aij,bjk->abik", [(2, 2, 3), (1, 3, 2)]),
    ("i...,i...->...", [(3, 1, 4), (3, 2, 1)]),
    ("iij->j", [(2, 2, 3)]),
    ("ij,ij,ij->i", [(2, 3), (2, 3), (2, 3)]),
    ("Ab,bA->", [(2, 3), (3, 2)]),
]


@pytest.mark.parametrize(("equation", "shapes"), EINSUM_CASES)
def test_einsum_matches_numpy(equation: str, shapes: list, backend_name: str) -> None:
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    dtype = pt.float64 if _f64(backend_name) else pt.float32
    got = pt.einsum(equation, *(pt.tensor(a, dtype=dtype, backend=backend_name) for a in arrays))
    want = np.einsum(equation, *arrays)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)
    if dtype is pt.float64:
        leaves = [_leaf(a, backend_name) for a in arrays]
        assert gradcheck(lambda *t: pt.einsum(equation, *t), leaves)


def test_einsum_forms_and_pytorch_examples(backend_name: str) -> None:
    a = pt.arange(6.0, backend=backend_name).reshape(2, 3)
    b = pt.arange(12.0, backend=backend_name).reshape(3, 4)
    mm = (a @ b).tolist()
    assert pt.einsum("ij,jk->ik", a, b).tolist() == mm
    assert pt.einsum("ij,jk->ik", [a, b]).tolist() == mm
    assert pt.einsum(a, [0, 1], b, [1, 2], [0, 2]).tolist() == mm
    c = pt.arange(6.0, backend=backend_name).reshape(3, 2)
    assert pt.einsum(a, [Ellipsis, 1], c, [1, Ellipsis]).tolist() == [10.0, 40.0]
    assert pt.einsum(" i j , j k -> i k ", a, b).tolist() == mm
    assert pt.einsum("ii", pt.eye(3, backend=backend_name)).item() == 3.0
    ints = pt.einsum(
        "i,i->", pt.tensor([1, 2], backend=backend_name), pt.tensor([3, 4], backend=backend_name)
    )
    assert ints.item() == 11 and not ints.dtype.is_floating_point
    second = gradgradcheck if _f64(backend_name) else None
    if second is not None:
        x = _leaf([[1.0, 2.0], [3.0, 4.0]], backend_name)
        assert second(lambda t: pt.einsum("ij,jk->ik", t, t), (x,))


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (("ij,jk->ik", (2, 3)), ValueError, "fewer operands"),
        (("i->i", (2,), (2,)), ValueError, "more operands"),
        (("ij->ij", (2,)), ValueError, r"number of subscripts in the equation \(2\)"),
        (("ijk...->i", (2,)), ValueError, "more than the number of dimensions"),
        (("i1->i", (2, 2)), ValueError, "subscripts must be in"),
        (("i.j->i", (2, 2)), ValueError, "not part of any ellipsis"),
        (("i->j", (2,)), ValueError, "does not appear"),
        (("i->ii", (2,)), ValueError, "more than once"),
        (("ii->i", (2, 3)), ValueError, "sizes don't match"),
        (("i,i->i", (2,), (3,)), ValueError, "do not broadcast"),
        (("...i...->i", (2,)), ValueError, "already found"),
    ],
)
def test_einsum_bad_equations(args: tuple, error: type, match: str, backend_name: str) -> None:
    equation, *shapes = args
    operands = [pt.ones(*s, backend=backend_name) for s in shapes]
    with pytest.raises(error, match=match):
        pt.einsum(equation, *operands)


def test_einsum_bad_calls() -> None:
    with pytest.raises(TypeError, match="at least one operand"):
        pt.einsum()
    with pytest.raises(TypeError, match="must be a Tensor"):
        pt.einsum("i->i", [1.0, 2.0])
    with pytest.raises(ValueError, match=r"\[0, 52\)"):
        pt.einsum(pt.ones(2), [60])


# --- addmm, addmv, baddbmm, addbmm ------------------------------------------------------------


def test_fused_products_match_numpy(backend_name: str) -> None:
    rng = np.random.default_rng(1)
    dtype = pt.float64 if _f64(backend_name) else pt.float32

    def t(*shape):
        return pt.tensor(rng.standard_normal(shape), dtype=dtype, backend=backend_name)

    m, m1, m2, v = t(2, 3), t(2, 4), t(4, 3), t(4)
    b1, b2, bm = t(5, 2, 4), t(5, 4, 3), t(5, 2, 3)
    n = lambda x: x.numpy()  # noqa: E731
    cases = [
        (pt.addmm(m, m1, m2, beta=0.5, alpha=2), 0.5 * n(m) + 2 * n(m1) @ n(m2)),
        (m.addmm(m1, m2), n(m) + n(m1) @ n(m2)),
        (pt.addmm(t(3), m1, m2), None),
        (pt.addmv(t(2), m1, v, alpha=-1), None),
        (pt.baddbmm(bm, b1, b2, beta=2), 2 * n(bm) + n(b1) @ n(b2)),
        (pt.addbmm(m, b1, b2, alpha=0.25), n(m) + 0.25 * (n(b1) @ n(b2)).sum(0)),
    ]
    for got, want in cases:
        if want is not None:
            np.testing.assert_allclose(n(got), want, rtol=1e-5, atol=1e-5)
    assert cases[2][0].shape == (2, 3) and cases[3][0].shape == (2,)
    before = m.clone()
    m.addmm_(m1, m2, beta=0.5)
    np.testing.assert_allclose(n(m), 0.5 * n(before) + n(m1) @ n(m2), rtol=1e-5)


def test_fused_products_beta_zero_ignores_input(backend_name: str) -> None:
    poisoned = pt.tensor([[NAN, INF], [1.0, 2.0]], backend=backend_name)
    eye = pt.eye(2, backend=backend_name)
    assert pt.addmm(poisoned, eye, eye, beta=0).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    if _f64(backend_name):
        x = _leaf([[NAN, 1.0], [2.0, 3.0]], backend_name)
        pt.addmm(x, eye.double(), eye.double(), beta=0).sum().backward()
        assert x.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_fused_products_bad_arguments(backend_name: str) -> None:
    m = pt.ones(2, 2, backend=backend_name)
    with pytest.raises(ValueError, match="mat1 must be a matrix"):
        pt.addmm(m, pt.ones(2, backend=backend_name), m)
    with pytest.raises(ValueError, match="3D tensor"):
        pt.baddbmm(m, m, m)
    with pytest.raises(ValueError, match="same number of batches"):
        pt.addbmm(m, pt.ones(2, 2, 2, backend=backend_name), pt.ones(3, 2, 2, backend=backend_name))
    with pytest.raises(ValueError, match="broadcast"):
        pt.addmm(pt.ones(3, backend=backend_name), m, m)
    with pytest.raises(ValueError, match="does not broadcast to the product's shape"):
        pt.addmm(pt.ones(2, 2, 2, backend=backend_name), m, m)
    with pytest.raises(ValueError, match="not aligned"):
        pt.addmm(m, m, pt.ones(3, 2, backend=backend_name))
    ints = pt.ones(2, 2, dtype=pt.int64, backend=backend_name)
    with pytest.raises(TypeError, match="must not be a floating point"):
        pt.addmm(ints, ints, ints, beta=0.5)
    assert pt.addmm(ints, ints, ints, alpha=3).tolist() == [[7, 7], [7, 7]]
    with pytest.raises(TypeError, match="same dtype"):
        pt.addmm(m, m, ints)
    with pytest.raises(ValueError, match="doesn't match the broadcast shape"):
        pt.ones(1, backend=backend_name).addmv_(
            pt.ones(3, 2, backend=backend_name), pt.ones(2, backend=backend_name)
        )


def test_fused_product_gradients(backend_name: str) -> None:
    if not _f64(backend_name):
        pytest.skip("gradcheck needs float64")
    rng = np.random.default_rng(2)
    leaf = lambda *s: _leaf(rng.standard_normal(s), backend_name)  # noqa: E731
    assert gradcheck(
        lambda i, a, b: pt.addmm(i, a, b, beta=0.5, alpha=-2), (leaf(3), leaf(2, 4), leaf(4, 3))
    )
    assert gradcheck(lambda i, a, v: pt.addmv(i, a, v, beta=2), (leaf(2), leaf(2, 3), leaf(3)))
    assert gradcheck(
        lambda i, a, b: pt.baddbmm(i, a, b), (leaf(1, 2, 2), leaf(3, 2, 4), leaf(3, 4, 2))
    )
    assert gradcheck(
        lambda i, a, b: pt.addbmm(i, a, b, alpha=3), (leaf(2, 2), leaf(3, 2, 4), leaf(3, 4, 2))
    )


# --- lerp, nan_to_num -------------------------------------------------------------------------


def test_lerp_pytorch_examples(backend_name: str) -> None:
    start = pt.arange(1.0, 5.0, backend=backend_name)
    end = pt.full((4,), 10.0, backend=backend_name)
    assert pt.lerp(start, end, 0.5).tolist() == [5.5, 6.0, 6.5, 7.0]
    weight = pt.full((4,), 0.5, backend=backend_name)
    assert pt.lerp(start, end, weight).tolist() == [5.5, 6.0, 6.5, 7.0]
    odd = pt.tensor([0.1, 1e8], backend=backend_name)
    assert start[:2].lerp(odd, 1.0).tolist() == odd.tolist()  # weight 1 gives end exactly
    assert pt.lerp(start, end, pt.tensor([[0.0], [1.0]], backend=backend_name)).shape == (2, 4)
    with pytest.raises(TypeError, match="expected dtype"):
        pt.lerp(start, end.to(pt.int64), 0.5)
    with pytest.raises(TypeError, match="floating point"):
        pt.lerp(start.long(), end.long(), 1)
    with pytest.raises(TypeError, match="weight must be"):
        pt.lerp(start, end, "half")


def test_lerp_in_place_and_gradients(backend_name: str) -> None:
    base = pt.zeros(2, 2, backend=backend_name)
    row = base[0]
    row.lerp_(pt.ones(2, backend=backend_name), 0.25)  # the no-temporary path
    base[1].lerp_(pt.ones(2, backend=backend_name), pt.tensor(0.75, backend=backend_name))
    assert base.tolist() == [[0.25, 0.25], [0.75, 0.75]]
    if not _f64(backend_name):
        return
    a, b = _leaf([1.0, -2.0, 3.0], backend_name), _leaf([0.5, 4.0, -1.0], backend_name)
    w = _leaf([0.2, 0.7, -0.6], backend_name)
    assert gradcheck(lambda x, y, z: pt.lerp(x, y, z), (a, b, w))
    assert gradgradcheck(lambda x, y, z: pt.lerp(x, y, z), (a, b, w))
    assert gradcheck(lambda x, y: x.lerp(y, 0.8), (a, b))


def test_nan_to_num(backend_name: str) -> None:
    x = pt.tensor([NAN, INF, -INF, 3.14], backend=backend_name)
    big = float(np.finfo(np.float32).max)
    assert pt.nan_to_num(x).tolist() == pytest.approx([0.0, big, -big, 3.14])
    assert pt.nan_to_num(x, nan=2.0).tolist() == pytest.approx([2.0, big, -big, 3.14])
    assert x.nan_to_num(nan=2.0, posinf=1.0).tolist() == pytest.approx([2.0, 1.0, -big, 3.14])
    assert pt.nan_to_num(x, neginf=-5).tolist()[2] == -5.0
    ints = pt.tensor([1, 2], backend=backend_name)
    assert pt.nan_to_num(ints).tolist() == [1, 2] and pt.nan_to_num(ints) is not ints
    view = x[1:]
    x.nan_to_num_(0.5, 9.0, -9.0)
    assert view.tolist() == pytest.approx([9.0, -9.0, 3.14])
    with pytest.raises(TypeError, match="nan must be a number"):
        pt.nan_to_num(x, nan="zero")
    if _f64(backend_name):
        big64 = float(np.finfo(np.float64).max)
        assert (
            pt.nan_to_num(pt.tensor([INF], dtype=pt.float64, backend=backend_name)).item() == big64
        )
        leaf = _leaf([NAN, 2.0, INF, -INF], backend_name)
        (pt.nan_to_num(leaf) * 3).sum().backward()
        assert leaf.grad.tolist() == [0.0, 3.0, 0.0, 0.0]


# --- isclose, allclose, equal -------------------------------------------------------------------


def test_isclose_allclose_equal_pytorch_examples(backend_name: str) -> None:
    def t(values, **kwargs):
        return pt.tensor(values, backend=backend_name, **kwargs)

    assert pt.isclose(t((1.0, 2, 3)), t((1 + 1e-10, 3, 4))).tolist() == [True, False, False]
    assert pt.isclose(t((INF, 4)), t((INF, 6)), rtol=0.5).tolist() == [True, True]
    assert pt.isclose(t([INF, -INF, NAN]), t([-INF, -INF, NAN])).tolist() == [False, True, False]
    assert t([NAN, 1.0]).isclose(t([NAN, 1.0]), equal_nan=True).tolist() == [True, True]
    assert pt.isclose(t([1.0, 2.0]), t([[1.0], [2.0]])).shape == (2, 2)
    assert pt.isclose(t([1, 5]), t([2, 5]), atol=1).tolist() == [True, True]
    assert pt.isclose(t([1, 5]), t([2, 5]), rtol=0, atol=0).tolist() == [False, True]
    assert pt.isclose(t([True]), t([False]), atol=1).tolist() == [True]
    assert pt.allclose(t([10000.0, 1e-07]), t([10000.1, 1e-08])) is False
    assert pt.allclose(t([10000.0, 1e-08]), t([10000.1, 1e-09])) is True
    assert pt.allclose(t([1.0, NAN]), t([1.0, NAN])) is False
    assert t([1.0, NAN]).allclose(t([1.0, NAN]), equal_nan=True) is True
    assert pt.equal(t([1, 2]), t([1, 2])) is True
    assert pt.equal(t([3, NAN]), t([3, NAN])) is False
    assert pt.equal(t([1, 2, 3], dtype=pt.int32), t([1, 2, 3], dtype=pt.float32)) is True
    assert t([1, 2]).equal(t([[1, 2]])) is False  # shapes differ
    assert pt.equal(t([]), t([])) is True
    with pytest.raises(TypeError, match="same dtype"):
        pt.isclose(t([1.0]), t([1]))
    with pytest.raises(ValueError, match="rtol must be greater than or equal to zero"):
        pt.isclose(t([1.0]), t([1.0]), rtol=-1)
    with pytest.raises(ValueError, match="atol"):
        pt.allclose(t([1.0]), t([1.0]), atol=NAN)


# --- methods that existed: PyTorch's behaviour ---------------------------------------------------


def test_existing_methods_behave_as_pytorch(backend_name: str) -> None:
    x = pt.zeros(2, 3, backend=backend_name)
    row = x[1]
    x.masked_fill_(pt.tensor([True, False, True], backend=backend_name), 2.0)
    assert row.tolist() == [2.0, 0.0, 2.0]
    x.clamp_(max=1.5)
    assert row.tolist() == [1.5, 0.0, 1.5]
    row.clamp_(min=0.5)
    assert x.tolist() == [[1.5, 0.0, 1.5], [1.5, 0.5, 1.5]]
    assert pt.ones(1, 1, 1, backend=backend_name).item() == 1.0
    assert pt.tensor([[True]], backend=backend_name).item() is True
    with pytest.raises(ValueError, match="exactly one element"):
        pt.ones(2, backend=backend_name).item()
    assert pt.tensor(3, backend=backend_name).tolist() == 3
    assert pt.tensor([[1, 2]], backend=backend_name).tolist() == [[1, 2]]
    assert pt.ones(2, 3, backend=backend_name).numel() == 6
    assert pt.ones(2, dtype=pt.int32, backend=backend_name).element_size() == 4
    assert pt.ones(2, dtype=pt.bool, backend=backend_name).element_size() == 1
    y = pt.arange(6, backend=backend_name).reshape(2, 3)
    assert y.flip(0, 1).tolist() == [[5, 4, 3], [2, 1, 0]]
    assert y.flip((0,)).tolist() == pt.flip(y, [0]).tolist() == [[3, 4, 5], [0, 1, 2]]
    assert y.roll(1).tolist() == [[5, 0, 1], [2, 3, 4]]
    assert y.roll((1, -1), (0, 1)).tolist() == [[4, 5, 3], [1, 2, 0]]
    with pytest.raises(ValueError, match="same length"):
        y.roll((1, 1), (0,))
    with pytest.raises(IndexError, match="out of range"):
        pt.gather(y, 1, pt.tensor([[0, 3]], backend=backend_name))
    with pytest.raises(IndexError, match="out of range"):
        y.index_select(0, pt.tensor([2], backend=backend_name))
    assert y.index_select(1, pt.tensor([2, 0], backend=backend_name)).tolist() == [[2, 0], [5, 3]]


def test_where_with_python_scalars(backend_name: str) -> None:
    condition = pt.tensor([True, False], backend=backend_name)
    floats = pt.where(condition, 1.0, 0.0)
    assert floats.dtype is pt.float32 and floats.backend.name == backend_name
    assert floats.tolist() == [1.0, 0.0]
    assert pt.where(condition, 1, 0).dtype is pt.int64
    assert pt.where(condition, 1, 0.5).tolist() == [1.0, 0.5]
    assert pt.where(condition, True, False).dtype is pt.bool
    assert pt.where(condition, pt.tensor([1, 2], backend=backend_name), 1.5).dtype is pt.float32
    (positions,) = pt.where(pt.tensor([False, True, True], backend=backend_name))
    assert positions.tolist() == [1, 2]
    with pytest.raises(TypeError, match="both input and other"):
        pt.where(condition, 1.0)
    with pytest.raises(TypeError, match="Python numbers"):
        pt.where(condition, "a", 1)


def test_bool_tensors_print_as_pytorch() -> None:
    # PyTorch pads to the widest value present, so an all-True tensor has no padding
    assert repr(pt.tensor([True, True])) == "tensor([True, True])"
    assert repr(pt.tensor([True, False])) == "tensor([ True, False])"
    assert repr(pt.tensor([[False], [False]])) == "tensor([[False],\n        [False]])"
