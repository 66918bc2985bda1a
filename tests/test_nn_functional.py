"""nn.functional: convolution, pooling, softmax and losses against independent references, on
every path (a backend's accelerated primitive, and the core's decomposition), with gradients
checked by ``gradcheck`` in float64."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import plugtorch as pt
import plugtorch.nn.functional as F
from plugtorch.autograd import gradcheck, gradgradcheck

PLAIN = "numpy_decomposed"  # a backend that declares no optional primitive
pt.register_backend(PLAIN, pt.ArrayAPIBackend(np, name=PLAIN))


def _paths() -> list[str]:
    names = [info.name for info in pt.list_backends() if info.available]
    return sorted(set(names) | {PLAIN})


PATHS = _paths()


# --- numpy references, written the obvious way ------------------------------------------------


def ref_conv2d(x, w, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    ho = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, ho, wo))
    og = o // groups
    for oc, i, j in itertools.product(range(o), range(ho), range(wo)):
        g = oc // og
        patch = xp[
            :,
            g * cg : (g + 1) * cg,
            i * stride[0] : i * stride[0] + dilation[0] * (kh - 1) + 1 : dilation[0],
            j * stride[1] : j * stride[1] + dilation[1] * (kw - 1) + 1 : dilation[1],
        ]
        out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    return out


def ref_pool(x, kernel, stride, padding, reduce):
    n, c, h, w = x.shape
    fill = -np.inf if reduce is np.max else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2), constant_values=fill)
    ho = (h + 2 * padding[0] - kernel[0]) // stride[0] + 1
    wo = (w + 2 * padding[1] - kernel[1]) // stride[1] + 1
    out = np.zeros((n, c, ho, wo))
    for i, j in itertools.product(range(ho), range(wo)):
        window = xp[:, :, i * stride[0] : i * stride[0] + kernel[0],
                    j * stride[1] : j * stride[1] + kernel[1]]  # fmt: skip
        out[:, :, i, j] = reduce(window, axis=(2, 3))
    return out


CONV_CASES = [
    dict(stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1),
    dict(stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1),
    dict(stride=(2, 1), padding=(1, 2), dilation=(1, 1), groups=1),
    dict(stride=(1, 2), padding=(2, 1), dilation=(2, 1), groups=1),
    dict(stride=(2, 2), padding=(1, 1), dilation=(1, 1), groups=2),
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_forward_matches_reference(path: str, case: dict) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((6, 4 // case["groups"], 3, 2))
    got = F.conv2d(pt.tensor(x, backend=path), pt.tensor(w, backend=path), **case)
    np.testing.assert_allclose(got.numpy(), ref_conv2d(x, w, **case), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_gradcheck(path: str, case: dict) -> None:
    rng = np.random.default_rng(1)
    x = pt.tensor(rng.standard_normal((2, 2, 5, 4)), backend=path, requires_grad=True)
    w = pt.tensor(rng.standard_normal((2, 2 // case["groups"], 2, 3)), backend=path,
                  requires_grad=True)  # fmt: skip
    b = pt.tensor(rng.standard_normal(2), backend=path, requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **case), (x, w, b))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dtype", [pt.float32, pt.float64])
def test_conv2d_bias_inside_the_op_matches_the_reference(path: str, dtype: object) -> None:
    # The bias goes into the convolution's result in place on mutable backends; the same
    # values and gradients (bias: grad summed over N, Ho, Wo) with and without a graph.
    rng = np.random.default_rng(3)
    x, w, bias = (
        rng.standard_normal((2, 3, 6, 5)),
        rng.standard_normal((4, 3, 3, 3)),
        rng.standard_normal(4),
    )
    leaves = [pt.tensor(a, dtype=dtype, backend=path, requires_grad=True) for a in (x, w, bias)]
    y = F.conv2d(*leaves, padding=1)
    want = ref_conv2d(x, w, padding=(1, 1)) + bias[None, :, None, None]
    tol = 1e-10 if dtype is pt.float64 else 1e-4
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=tol, atol=tol)
    g = rng.standard_normal(want.shape)
    grads = pt.autograd.grad(y, leaves, pt.tensor(g, dtype=dtype, backend=path), retain_graph=True)
    np.testing.assert_allclose(grads[2].numpy(), g.sum((0, 2, 3)), rtol=tol, atol=tol)
    again = pt.autograd.grad(y, leaves, pt.tensor(g, dtype=dtype, backend=path), create_graph=True)
    for a, b in zip(grads, again, strict=True):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=tol, atol=tol)
    small = [pt.tensor(a, backend=path, requires_grad=True) for a in (x[:1, :, :4, :4], w, bias)]
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b).tanh(), tuple(small))


@pytest.mark.parametrize("path", PATHS)
def test_conv2d_second_derivatives(path: str) -> None:
    rng = np.random.default_rng(2)
    x = pt.tensor(rng.standard_normal((1, 2, 4, 4)), backend=path, requires_grad=True)
    w = pt.tensor(rng.standard_normal((2, 2, 2, 2)), backend=path, requires_grad=True)
    assert gradgradcheck(lambda x, w: F.conv2d(x, w, padding=1, stride=2), (x, w))


@pytest.mark.parametrize("path", PATHS)
def test_conv1d_matches_conv2d_reference(path: str) -> None:
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 3, 9)), rng.standard_normal((4, 3, 3))
    got = F.conv1d(pt.tensor(x, backend=path), pt.tensor(w, backend=path), stride=2, padding=1)
    want = ref_conv2d(x[:, :, None], w[:, :, None], (1, 2), (0, 1))[:, :, 0]
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-10)
    xt = pt.tensor(x[:1, :, :5], backend=path, requires_grad=True)
    wt = pt.tensor(w, backend=path, requires_grad=True)
    assert gradcheck(lambda a, b: F.conv1d(a, b, padding="same"), (xt, wt))


POOL_CASES = [((2, 2), None, (0, 0)), ((3, 3), (2, 2), (1, 1)), ((2, 3), (1, 2), (1, 1))]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("kernel,stride,padding", POOL_CASES)
def test_pooling_forward_and_gradcheck(path: str, kernel, stride, padding) -> None:
    rng = np.random.default_rng(4)
    # distinct values: max pooling is differentiable away from ties
    host = rng.permutation(2 * 3 * 6 * 5).reshape(2, 3, 6, 5) / 10.0
    x = pt.tensor(host, backend=path, requires_grad=True)
    effective = stride or kernel
    got_max = F.max_pool2d(x, kernel, stride, padding)
    np.testing.assert_allclose(
        got_max.detach().numpy(), ref_pool(host, kernel, effective, padding, np.max)
    )
    got_avg = F.avg_pool2d(x, kernel, stride, padding)
    np.testing.assert_allclose(
        got_avg.detach().numpy(), ref_pool(host, kernel, effective, padding, np.sum)
        / (kernel[0] * kernel[1]), rtol=1e-12,
    )  # fmt: skip
    assert gradcheck(lambda t: F.max_pool2d(t, kernel, stride, padding), (x,))
    assert gradcheck(lambda t: F.avg_pool2d(t, kernel, stride, padding), (x,))
    assert gradgradcheck(lambda t: F.avg_pool2d(t, kernel, stride, padding), (x,))


@pytest.mark.parametrize("path", PATHS)
def test_max_pool_ties_go_to_the_first_maximum_and_nan_wins(path: str) -> None:
    x = pt.tensor([[[[1.0, 1.0], [1.0, 0.0]]]], backend=path, requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.numpy().reshape(-1).tolist() == [1.0, 0.0, 0.0, 0.0]
    y, index = F.max_pool2d(pt.tensor([[[[1.0, float("nan")], [3.0, 0.0]]]], backend=path), 2,
                            return_indices=True)  # fmt: skip
    assert np.isnan(y.item()) and index.item() == 1


@pytest.mark.parametrize("path", PATHS)
def test_adaptive_avg_pool(path: str) -> None:
    host = np.random.default_rng(5).standard_normal((1, 2, 5, 7))
    x = pt.tensor(host, backend=path, requires_grad=True)
    got = F.adaptive_avg_pool2d(x, (2, 3)).detach().numpy()
    want = np.zeros((1, 2, 2, 3))
    for i, j in itertools.product(range(2), range(3)):
        rows = slice(i * 5 // 2, -(-(i + 1) * 5 // 2))
        cols = slice(j * 7 // 3, -(-(j + 1) * 7 // 3))
        want[:, :, i, j] = host[:, :, rows, cols].mean(axis=(2, 3))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, (2, 3)), (x,))
    assert F.adaptive_avg_pool2d(pt.ones(1, 1, 4, 4, backend=path), 2).shape == (1, 1, 2, 2)


def test_unfold_and_fold_are_adjoint() -> None:
    rng = np.random.default_rng(6)
    x = pt.tensor(rng.standard_normal((2, 3, 5, 6)))
    cols = F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    c = pt.tensor(rng.standard_normal(cols.shape))
    back = F.fold(c, (5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    lhs = float((cols * c).sum())
    rhs = float((x * back).sum())
    assert abs(lhs - rhs) < 1e-9


# --- softmax, log_softmax, losses -------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_softmax_and_log_softmax(path: str) -> None:
    rng = np.random.default_rng(7)
    host = rng.standard_normal((3, 4, 5))
    x = pt.tensor(host, backend=path, requires_grad=True)
    for dim in (0, 1, -1):
        shifted = host - host.max(axis=dim, keepdims=True)
        want = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        np.testing.assert_allclose(F.log_softmax(x, dim).detach().numpy(), want, rtol=1e-12)
        np.testing.assert_allclose(F.softmax(x, dim).detach().numpy(), np.exp(want), rtol=1e-12)
        assert gradcheck(lambda t, d=dim: F.softmax(t, d), (x,))
        assert gradcheck(lambda t, d=dim: F.log_softmax(t, d), (x,))
    assert gradgradcheck(lambda t: F.log_softmax(t, 1), (x,))
    assert gradgradcheck(lambda t: F.softmax(t, 1), (x,))
    assert x.softmax(1).shape == x.shape  # the Tensor method reaches nn.functional


def test_softmax_and_log_softmax_at_top_level() -> None:
    # torch.softmax(input, dim, dtype=None) and torch.log_softmax: the same functions
    x = pt.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    assert pt.softmax(x, 1).tolist() == F.softmax(x, 1).tolist()
    logs = pt.log_softmax(x, dim=-1, dtype=pt.float64)
    assert logs.dtype is pt.float64
    np.testing.assert_allclose(logs.numpy()[1], np.log(np.full(3, 1 / 3)), rtol=1e-12)
    assert pt.softmax(pt.tensor([1, 2]), 0).dtype is pt.float32  # integers: default float
    with pytest.raises(TypeError, match="dim"):
        pt.softmax(x)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dtype", [pt.float32, pt.float64])
def test_huge_logits_stay_finite(path: str, dtype) -> None:
    logits = pt.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], dtype=dtype, backend=path,
                       requires_grad=True)  # fmt: skip
    target = pt.tensor([1, 2], backend=path)
    for fn in (lambda t: F.log_softmax(t, 1).sum(), lambda t: F.cross_entropy(t, target),
               lambda t: F.cross_entropy(t, target, label_smoothing=0.1)):  # fmt: skip
        logits.grad = None
        value = fn(logits)
        value.backward()
        assert np.isfinite(value.item())
        assert np.isfinite(logits.grad.numpy()).all()
    assert abs(F.cross_entropy(logits, target).item() - 1e4) < 1e-2


def _np_log_softmax(x, axis=1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("path", PATHS)
def test_cross_entropy_matches_reference(path: str) -> None:
    rng = np.random.default_rng(8)
    logits = rng.standard_normal((6, 4))
    target = np.array([0, 3, 1, 1, 2, 0])
    weight = np.array([1.0, 2.0, 0.5, 1.5])
    logp = _np_log_softmax(logits)
    picked = -logp[np.arange(6), target]
    x = pt.tensor(logits, backend=path, requires_grad=True)
    t = pt.tensor(target, backend=path)
    w = pt.tensor(weight, backend=path)
    assert np.isclose(F.cross_entropy(x, t).item(), picked.mean())
    assert np.isclose(F.cross_entropy(x, t, reduction="sum").item(), picked.sum())
    np.testing.assert_allclose(F.cross_entropy(x, t, reduction="none").detach().numpy(), picked)
    want_w = (picked * weight[target]).sum() / weight[target].sum()
    assert np.isclose(F.cross_entropy(x, t, weight=w).item(), want_w)
    eps = 0.2
    smooth = (1 - eps) * picked + eps * (-logp).mean(axis=1)
    assert np.isclose(F.cross_entropy(x, t, label_smoothing=eps).item(), smooth.mean())
    ignored = pt.tensor([0, -100, 1, 1, -100, 0], backend=path)
    keep = np.array([0, 2, 3, 5])
    assert np.isclose(F.cross_entropy(x, ignored).item(), picked[keep].mean())
    probs = np.eye(4)[target] * 0.7 + 0.075
    got = F.cross_entropy(x, pt.tensor(probs, backend=path)).item()
    assert np.isclose(got, -(probs * logp).sum(axis=1).mean())
    assert np.isclose(F.nll_loss(F.log_softmax(x, 1), t).item(), picked.mean())
    for kwargs in ({}, {"weight": w}, {"label_smoothing": 0.1}, {"reduction": "sum"}):
        assert gradcheck(lambda a, k=kwargs: F.cross_entropy(a, t, **k), (x,))
    image = pt.tensor(rng.standard_normal((2, 3, 2, 2)), backend=path, requires_grad=True)
    image_target = pt.tensor(rng.integers(0, 3, (2, 2, 2)), backend=path)
    flat = F.cross_entropy(image.permute(0, 2, 3, 1).reshape(-1, 3), image_target.reshape(-1))
    assert np.isclose(F.cross_entropy(image, image_target).item(), flat.item())
    assert gradcheck(lambda a: F.cross_entropy(a, image_target), (image,))


@pytest.mark.parametrize("path", PATHS)
def test_regression_and_binary_losses(path: str) -> None:
    rng = np.random.default_rng(9)
    a, b = rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4))
    x = pt.tensor(a, backend=path, requires_grad=True)
    y = pt.tensor(b, backend=path)
    p = pt.tensor(rng.uniform(0.1, 0.9, (3, 4)), backend=path, requires_grad=True)
    assert np.isclose(F.mse_loss(x, y).item(), ((a - b) ** 2).mean())
    assert np.isclose(F.l1_loss(x, y).item(), np.abs(a - b).mean())
    sig = 1 / (1 + np.exp(-a))
    bce = -(b * np.log(sig) + (1 - b) * np.log(1 - sig))
    assert np.isclose(F.binary_cross_entropy_with_logits(x, y).item(), bce.mean())
    assert np.isclose(F.binary_cross_entropy(F.sigmoid(x), y).item(), bce.mean())
    pw = pt.tensor([1.0, 2.0, 3.0, 0.5], backend=path)
    bce_pw = -(np.array([1.0, 2.0, 3.0, 0.5]) * b * np.log(sig) + (1 - b) * np.log(1 - sig))
    got = F.binary_cross_entropy_with_logits(x, y, pos_weight=pw).item()
    assert np.isclose(got, bce_pw.mean())
    assert gradcheck(lambda t: F.mse_loss(t, y), (x,))
    assert gradcheck(lambda t: F.binary_cross_entropy_with_logits(t, y, pos_weight=pw), (x,))
    assert gradcheck(lambda t: F.binary_cross_entropy(t, y), (p,))
    # PyTorch broadcasts a target of another shape, with a warning that names both sizes.
    with pytest.warns(UserWarning, match="different to the input size"):
        broadcast = F.mse_loss(x, y[0], reduction="none")
    np.testing.assert_allclose(broadcast.detach().numpy(), (a - b[0]) ** 2, rtol=1e-6)


@pytest.mark.parametrize("path", PATHS)
def test_activations(path: str) -> None:
    from math import erf, sqrt

    host = np.linspace(-4, 4, 17)
    x = pt.tensor(host, backend=path, requires_grad=True)
    want = host * 0.5 * (1 + np.array([erf(v / sqrt(2)) for v in host]))
    np.testing.assert_allclose(F.gelu(x).detach().numpy(), want, atol=1e-6)  # erf: 1.5e-7
    tanh_form = 0.5 * host * (1 + np.tanh(np.sqrt(2 / np.pi) * (host + 0.044715 * host**3)))
    np.testing.assert_allclose(F.gelu(x, approximate="tanh").detach().numpy(), tanh_form)
    np.testing.assert_allclose(F.silu(x).detach().numpy(), host / (1 + np.exp(-host)))
    for fn in (F.gelu, lambda t: F.gelu(t, "tanh"), F.silu, F.relu, F.sigmoid, F.tanh):
        assert gradcheck(fn, (pt.tensor(host + 0.05, backend=path, requires_grad=True),))


def test_dropout_is_inverted_and_seeded() -> None:
    x = pt.ones(1000, requires_grad=True)
    pt.manual_seed(3)
    y = F.dropout(x, 0.25)
    kept = y.detach().numpy() != 0
    assert np.allclose(y.detach().numpy()[kept], 1 / 0.75)
    assert 0.65 < kept.mean() < 0.85
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy())
    pt.manual_seed(3)
    assert (F.dropout(x, 0.25) == y).all()
    assert F.dropout(x, 0.25, training=False) is x
