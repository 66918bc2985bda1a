"""Losses and distances (smooth_l1, huber, kl_div, l1, cosine_similarity, pairwise_distance,
margin_ranking, triplet_margin): values against the formulas of PyTorch's documentation written
in numpy, every reduction, gradcheck in float64, module forms, on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import plugtorch as pt
import plugtorch.nn.functional as F
from plugtorch import nn
from plugtorch.autograd import gradcheck

RNG = np.random.default_rng(7)
X = RNG.standard_normal((4, 5)) * 2
Y = RNG.standard_normal((4, 5)) * 2


def t(values, backend, grad=False):
    return pt.tensor(values, dtype=pt.float64, backend=backend, requires_grad=grad)


def reduce_np(values, reduction):
    return {"none": values, "mean": values.mean(), "sum": values.sum()}[reduction]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0])
def test_smooth_l1_loss(backend_name, reduction, beta):
    d = np.abs(X - Y)
    if beta == 0:
        expected = d
    else:
        expected = np.where(d < beta, 0.5 * d**2 / beta, d - 0.5 * beta)
    got = F.smooth_l1_loss(t(X, backend_name), t(Y, backend_name), reduction=reduction, beta=beta)
    np.testing.assert_allclose(got.numpy(), reduce_np(expected, reduction), rtol=1e-12)
    module = nn.SmoothL1Loss(reduction=reduction, beta=beta)
    np.testing.assert_allclose(module(t(X, backend_name), t(Y, backend_name)).numpy(), got.numpy())


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("delta", [1.0, 2.5])
def test_huber_loss(backend_name, reduction, delta):
    d = np.abs(X - Y)
    expected = np.where(d < delta, 0.5 * d**2, delta * (d - 0.5 * delta))
    got = F.huber_loss(t(X, backend_name), t(Y, backend_name), reduction=reduction, delta=delta)
    np.testing.assert_allclose(got.numpy(), reduce_np(expected, reduction), rtol=1e-12)
    module = nn.HuberLoss(reduction=reduction, delta=delta)
    np.testing.assert_allclose(module(t(X, backend_name), t(Y, backend_name)).numpy(), got.numpy())


def test_smooth_l1_and_huber_gradcheck(backend_name):
    x, y = t(X, backend_name, True), t(Y, backend_name, True)
    assert gradcheck(lambda a, b: F.smooth_l1_loss(a, b, reduction="none", beta=0.7), (x, y))
    assert gradcheck(lambda a, b: F.huber_loss(a, b, delta=1.3), (x, y))


def test_smooth_l1_and_huber_errors_and_warnings():
    x = pt.zeros(3)
    with pytest.raises(RuntimeError, match="negative values for beta"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(RuntimeError, match="non-positive values for delta"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.smooth_l1_loss(x, x, reduction="avg")
    with pytest.warns(UserWarning, match="different to the input size"):
        out = F.smooth_l1_loss(pt.zeros(3, 1), pt.ones(3), reduction="none")
    assert out.shape == (3, 3)
    with pytest.warns(UserWarning, match="please use reduction='sum'"):
        summed = F.smooth_l1_loss(pt.ones(2), pt.zeros(2), size_average=False)
    assert summed.item() == 1.0


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_l1_loss_reductions_and_legacy_flags(backend_name, reduction):
    got = F.l1_loss(t(X, backend_name), t(Y, backend_name), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), reduce_np(np.abs(X - Y), reduction), rtol=1e-12)
    with pytest.warns(UserWarning, match="please use reduction='none'"):
        legacy = nn.L1Loss(reduce=False)
    assert legacy.reduction == "none"


P = RNG.dirichlet(np.ones(5), size=4)
Q = RNG.dirichlet(np.ones(5), size=4)


@pytest.mark.parametrize("reduction", ["none", "sum", "batchmean", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(backend_name, reduction, log_target):
    target = P.copy()
    target[0, 0] = 0.0  # 0 * log 0 counts as 0
    pointwise = np.where(target > 0, target * np.log(np.where(target > 0, target, 1)), 0)
    pointwise = pointwise - target * np.log(Q)
    expected = {
        "none": pointwise,
        "sum": pointwise.sum(),
        "batchmean": pointwise.sum() / 4,
        "mean": pointwise.mean(),
    }[reduction]
    given = np.log(np.where(target > 0, target, 1e-300)) if log_target else target
    args = (t(np.log(Q), backend_name), t(given, backend_name))
    if reduction == "mean":
        with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
            got = F.kl_div(*args, reduction=reduction, log_target=log_target)
    else:
        got = F.kl_div(*args, reduction=reduction, log_target=log_target)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-9, atol=1e-12)


def test_kl_div_gradcheck_and_module(backend_name):
    logq, p = t(np.log(Q), backend_name, True), t(P, backend_name, True)
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction="batchmean"), (logq, p))
    logp = t(np.log(P), backend_name, True)
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction="sum", log_target=True), (logq, logp))
    module = nn.KLDivLoss(reduction="batchmean")
    expected = (P * (np.log(P) - np.log(Q))).sum() / 4
    assert module(logq, p).item() == pytest.approx(expected)
    with pytest.raises(ValueError, match="not a valid value"):
        nn.KLDivLoss(reduction="batch")


@pytest.mark.parametrize("dim", [1, 0, -1])
def test_cosine_similarity(backend_name, dim):
    a, b = X, Y
    expected = (a * b).sum(dim) / (
        np.maximum(np.linalg.norm(a, axis=dim), 1e-8)
        * np.maximum(np.linalg.norm(b, axis=dim), 1e-8)
    )
    got = F.cosine_similarity(t(a, backend_name), t(b, backend_name), dim=dim)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    module = nn.CosineSimilarity(dim=dim)
    np.testing.assert_allclose(module(t(a, backend_name), t(b, backend_name)).numpy(), expected)


def test_cosine_similarity_broadcasts_and_clamps(backend_name):
    row = np.array([[1.0, 2.0, 2.0, 0.0, 1.0]])
    got = F.cosine_similarity(t(X, backend_name), t(row, backend_name))
    expected = (X @ row[0]) / (np.linalg.norm(X, axis=1) * np.linalg.norm(row))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    zeros = F.cosine_similarity(t(np.zeros((2, 3)), backend_name), t(np.ones((2, 3)), backend_name))
    np.testing.assert_array_equal(zeros.numpy(), [0.0, 0.0])


def test_cosine_similarity_gradcheck(backend_name):
    a, b = t(X, backend_name, True), t(Y, backend_name, True)
    assert gradcheck(lambda u, v: F.cosine_similarity(u, v, dim=1), (a, b))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance(backend_name, p, keepdim):
    diff = np.abs(X - Y + 1e-6)
    expected = diff.max(-1) if np.isinf(p) else (diff**p).sum(-1) ** (1 / p)
    if keepdim:
        expected = expected[:, None]
    got = F.pairwise_distance(t(X, backend_name), t(Y, backend_name), p=p, keepdim=keepdim)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    module = nn.PairwiseDistance(p=p, keepdim=keepdim)
    np.testing.assert_allclose(module(t(X, backend_name), t(Y, backend_name)).numpy(), expected)


def test_pairwise_distance_gradcheck_and_1d(backend_name):
    a, b = t(X, backend_name, True), t(Y, backend_name, True)
    assert gradcheck(lambda u, v: F.pairwise_distance(u, v, p=3.0), (a, b))
    one = F.pairwise_distance(t([3.0, 4.0], backend_name), t([0.0, 0.0], backend_name), eps=0.0)
    assert one.shape == () and one.item() == pytest.approx(5.0)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_margin_ranking_loss(backend_name, reduction):
    x1, x2 = X[:, 0], Y[:, 0]
    y = np.array([1.0, -1.0, 1.0, -1.0])
    expected = np.maximum(0, -y * (x1 - x2) + 0.5)
    got = F.margin_ranking_loss(
        t(x1, backend_name), t(x2, backend_name), t(y, backend_name), 0.5, reduction=reduction
    )
    np.testing.assert_allclose(got.numpy(), reduce_np(expected, reduction), rtol=1e-12)
    module = nn.MarginRankingLoss(margin=0.5, reduction=reduction)
    got_module = module(t(x1, backend_name), t(x2, backend_name), t(y, backend_name))
    np.testing.assert_allclose(got_module.numpy(), got.numpy())
    a, b = t(x1, backend_name, True), t(x2, backend_name, True)
    assert gradcheck(lambda u, v: F.margin_ranking_loss(u, v, t(y, backend_name), 0.5), (a, b))
    with pytest.raises(RuntimeError, match="same dimension"):
        F.margin_ranking_loss(t(X, backend_name), t(X, backend_name), t(y, backend_name))


def _pdist(a, b, p, eps):
    return (np.abs(a - b + eps) ** p).sum(-1) ** (1 / p)


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_triplet_margin_loss(backend_name, swap, reduction):
    anchor, positive, negative = X, Y, X[::-1] * 0.5
    d_ap = _pdist(anchor, positive, 2, 1e-6)
    d_an = _pdist(anchor, negative, 2, 1e-6)
    if swap:
        d_an = np.minimum(d_an, _pdist(positive, negative, 2, 1e-6))
    expected = np.maximum(d_ap - d_an + 1.0, 0)
    args = [t(v.copy(), backend_name) for v in (anchor, positive, negative)]
    got = F.triplet_margin_loss(*args, swap=swap, reduction=reduction)
    np.testing.assert_allclose(got.numpy(), reduce_np(expected, reduction), rtol=1e-12)
    module = nn.TripletMarginLoss(swap=swap, reduction=reduction)
    np.testing.assert_allclose(module(*args).numpy(), got.numpy())


def test_triplet_margin_loss_gradcheck_and_errors(backend_name):
    a, p, n = (t(v.copy(), backend_name, True) for v in (X, Y, X[::-1] * 0.5))
    assert gradcheck(lambda u, v, w: F.triplet_margin_loss(u, v, w, margin=3.0, p=1.5), (a, p, n))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        F.triplet_margin_loss(a, p, n[0])


def test_loss_module_signatures_follow_pytorch():
    # Positional arguments land where PyTorch puts them.
    ce = nn.CrossEntropyLoss(None, None, 3)
    assert ce.ignore_index == 3 and ce.reduction == "mean"
    bce = nn.BCEWithLogitsLoss(None, None, None, "sum")
    assert bce.reduction == "sum"
    assert nn.MarginRankingLoss(0.2).margin == 0.2
    assert nn.TripletMarginLoss(2.0, 1.0).p == 1.0
