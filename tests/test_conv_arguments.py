"""Convolution and pooling arguments are checked once, in the core, before any backend sees
them (issue #14): PyTorch's messages, plugtorch's exception types, the same on every backend
and on the core's decomposition. Before the checks, ``padding=-2`` crashed the numba backend,
``dilation`` 0 or -1 read outside its buffers, and ``stride=0`` gave a bare ZeroDivisionError.
"""

from __future__ import annotations

import numpy as np
import pytest

import plugtorch as pt
import plugtorch.nn.functional as F

PLAIN = "numpy_no_optional"  # declares no optional primitive: the core's decomposition runs
pt.register_backend(PLAIN, pt.ArrayAPIBackend(np, name=PLAIN))
PATHS = sorted({info.name for info in pt.list_backends() if info.available} | {PLAIN})


def _inputs(path: str) -> tuple[pt.Tensor, pt.Tensor]:
    x = pt.randn(2, 3, 5, 5, dtype=pt.float64, backend=path, requires_grad=True)
    w = pt.randn(4, 3, 3, 3, dtype=pt.float64, backend=path, requires_grad=True)
    return x, w


CONV_ERRORS = [
    (dict(padding=-2), ValueError, "negative padding is not supported"),
    (dict(padding=(0, -1)), ValueError, "negative padding is not supported"),
    (dict(dilation=0), ValueError, "dilation should be greater than zero"),
    (dict(dilation=-1), ValueError, "dilation should be greater than zero"),
    (dict(stride=0), ValueError, "non-positive stride is not supported"),
    (dict(stride=(1, -3)), ValueError, "non-positive stride is not supported"),
    (dict(groups=0), ValueError, "non-positive groups is not supported"),
    (dict(groups=3), ValueError, "expected weight to be divisible by 3"),
    (dict(stride=1.5), TypeError, "must be an int or a pair of ints"),
    (dict(stride=(1, 2, 3)), ValueError, "sequence of 2 ints"),
    (dict(stride=2**64), ValueError, "does not fit in a 64-bit integer"),
    (dict(padding="full"), ValueError, "invalid padding string"),
    (dict(padding="same", stride=2), ValueError, "not supported for strided"),
    (dict(dilation=3), ValueError, "Kernel size can't be greater than actual input size"),
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("kwargs, error, message", CONV_ERRORS)
def test_conv2d_rejects_bad_geometry(path: str, kwargs: dict, error: type, message: str) -> None:
    x, w = _inputs(path)
    with pytest.raises(error, match=message):
        F.conv2d(x, w, **kwargs)


@pytest.mark.parametrize("path", PATHS)
def test_conv2d_rejects_bad_shapes_and_dtypes(path: str) -> None:
    x, w = _inputs(path)
    with pytest.raises(ValueError, match="to have 3 channels, but got 2 channels instead"):
        F.conv2d(x[:, :2], w)
    with pytest.raises(ValueError, match="kernel size should be greater than zero"):
        F.conv2d(x, pt.zeros(4, 3, 0, 3, dtype=pt.float64, backend=path))
    with pytest.raises(ValueError, match="expected bias to be 1-dimensional with 4 elements"):
        F.conv2d(x, w, pt.zeros(3, dtype=pt.float64, backend=path))
    with pytest.raises(ValueError, match="3D \\(unbatched\\) or 4D \\(batched\\) input"):
        F.conv2d(x[0, 0], w)
    with pytest.raises(TypeError, match="floating point dtype"):
        F.conv2d(x.detach().long(), w)
    with pytest.raises(TypeError, match="must be a Tensor"):
        F.conv2d(np.ones((2, 3, 5, 5)), w)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", PATHS)
def test_conv2d_backward_never_sees_bad_padding(path: str) -> None:
    # The numba backward once wrote before its buffer for negative padding: it is now
    # unreachable, because the forward refuses the arguments.
    x, w = _inputs(path)
    with pytest.raises(ValueError, match="negative padding"):
        F.conv2d(x, w, padding=-1).sum().backward()
    assert x.grad is None and w.grad is None


@pytest.mark.parametrize("path", PATHS)
def test_conv_accepts_valid_edge_geometries(path: str) -> None:
    x, w = _inputs(path)
    assert F.conv2d(x, w, stride=2**62).shape == (2, 4, 1, 1)  # huge but valid
    empty_batch = pt.zeros(0, 3, 5, 5, dtype=pt.float64, backend=path)
    assert F.conv2d(empty_batch, w).shape == (0, 4, 3, 3)
    assert F.conv2d(x[0], w).shape == (4, 3, 3)  # unbatched (C, H, W), as PyTorch
    assert F.conv1d(x[0, :, 0], w[:, :, 0]).shape == (4, 3)  # unbatched (C, L)
    no_channels = pt.zeros(2, 0, 5, 5, dtype=pt.float64, backend=path)
    out = F.conv2d(no_channels, pt.zeros(4, 0, 3, 3, dtype=pt.float64, backend=path))
    assert out.shape == (2, 4, 3, 3) and not out.numpy().any()


@pytest.mark.parametrize("path", PATHS)
def test_conv1d_checks_its_own_arguments(path: str) -> None:
    x = pt.randn(1, 2, 5, dtype=pt.float64, backend=path)
    w = pt.randn(3, 2, 2, dtype=pt.float64, backend=path)
    with pytest.raises(ValueError, match="negative padding"):
        F.conv1d(x, w, padding=-1)
    with pytest.raises(ValueError, match="sequence of 1 int"):
        F.conv1d(x, w, stride=(1, 2))
    with pytest.raises(ValueError, match="3D weight"):
        F.conv1d(x, w[0])


POOL_ERRORS = [
    (dict(kernel_size=0), "kernel size should be greater than zero"),
    (dict(kernel_size=2, stride=0), "stride should be greater than zero"),
    (dict(kernel_size=2, padding=-1), "pad must be non-negative"),
    (dict(kernel_size=2, padding=2), "pad should be smaller than or equal to half of kernel"),
    (dict(kernel_size=9), "Output size is too small"),
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
@pytest.mark.parametrize("kwargs, message", POOL_ERRORS)
def test_pooling_rejects_bad_geometry(path: str, pool, kwargs: dict, message: str) -> None:
    x, _ = _inputs(path)
    with pytest.raises(ValueError, match=message):
        pool(x, **kwargs)


@pytest.mark.parametrize("path", PATHS)
def test_max_pool_dilation_and_types(path: str) -> None:
    x, _ = _inputs(path)
    with pytest.raises(ValueError, match="dilation should be greater than zero"):
        F.max_pool2d(x, 2, dilation=0)
    with pytest.raises(NotImplementedError, match="dilation other than 1"):
        F.max_pool2d(x, 2, dilation=2)
    with pytest.raises(TypeError, match="bool input"):
        F.max_pool2d(x > 0, 2)
    with pytest.raises(TypeError, match="floating point dtype"):
        F.avg_pool2d(x.detach().long(), 2)
    assert F.max_pool2d(x[0], 2).shape == (3, 2, 2)  # unbatched


@pytest.mark.parametrize("path", PATHS)
def test_max_pool_window_of_minus_inf_with_padding(path: str) -> None:
    # The core's decomposition once raised IndexError here (the winner was a padded position);
    # PyTorch reports the window's first position inside the input.
    values = np.full((1, 1, 3, 3), -np.inf)
    values[0, 0, 2, 2] = 1.0
    x = pt.tensor(values, dtype=pt.float64, backend=path, requires_grad=True)
    y, index = F.max_pool2d(x, 2, stride=2, padding=1, return_indices=True)
    assert y.detach().numpy().ravel().tolist() == [-np.inf, -np.inf, -np.inf, 1.0]
    assert index.numpy().ravel().tolist() == [0, 1, 3, 8]
    y.sum().backward()
    assert x.grad.numpy().ravel().tolist() == [1, 1, 0, 1, 0, 0, 0, 0, 1]


@pytest.mark.parametrize("path", PATHS)
def test_unfold_fold_and_adaptive_pool_arguments(path: str) -> None:
    x, _ = _inputs(path)
    with pytest.raises(ValueError, match="kernel size should be greater than zero"):
        F.unfold(x, 0)
    with pytest.raises(ValueError, match="padding should be non-negative"):
        F.unfold(x, 2, padding=-1)
    with pytest.raises(ValueError, match="number of sliding blocks 2 \\* 2 = 4"):
        F.fold(pt.zeros(1, 4, 5, backend=path), 3, 2)
    with pytest.raises(ValueError, match="divisible by the product of kernel_size"):
        F.fold(pt.zeros(1, 5, 4, backend=path), 3, 2)
    with pytest.raises(ValueError, match="output_size must be non-negative"):
        F.adaptive_avg_pool2d(x, -1)
    assert F.adaptive_avg_pool2d(x, 0).shape == (2, 3, 0, 0)  # as PyTorch: an empty result
    assert F.adaptive_avg_pool2d(x, (None, 2)).shape == (2, 3, 5, 2)


def test_conv_module_checks_groups() -> None:
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        pt.nn.Conv2d(2, 2, 3, groups=0)
