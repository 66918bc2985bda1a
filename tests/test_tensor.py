"""Tensor basics: creation, dtypes and promotion, repr, conversion, indexing, movement."""

from __future__ import annotations

import numpy as np
import pytest

import plugtorch as pt


def test_creation_dtypes_follow_pytorch() -> None:
    assert pt.tensor([1.0]).dtype is pt.float32
    assert pt.tensor([1]).dtype is pt.int64
    assert pt.tensor([True]).dtype is pt.bool
    assert pt.tensor(np.array([1.0])).dtype is pt.float64
    assert pt.zeros(2).dtype is pt.float32
    assert pt.arange(3).dtype is pt.int64 and pt.arange(0.0, 1.0, 0.5).dtype is pt.float32
    assert pt.full((2,), 1.5).dtype is pt.float32 and pt.full((2,), 7).dtype is pt.int64


@pytest.mark.parametrize(
    "left, right, expected",
    [
        ((pt.int32, 1), 2, pt.int32),
        ((pt.int32, 1), 2.5, pt.float32),
        ((pt.float32, 1), 2.5, pt.float32),
        ((pt.bool, 1), 2, pt.int64),
        ((pt.int32, 1), (pt.int64, 1), pt.int64),
        ((pt.uint8, 1), (pt.int8, 1), pt.int16),
        ((pt.float32, 1), (pt.float64, 0), pt.float32),
        ((pt.int64, 1), (pt.float64, 0), pt.float64),
        ((pt.float32, 1), (pt.float64, 1), pt.float64),
        ((pt.int8, 0), (pt.int32, 0), pt.int32),
    ],
)
def test_promotion(left, right, expected) -> None:
    def make(spec):
        if isinstance(spec, tuple):
            dtype, ndim = spec
            return pt.ones(*([2] * ndim), dtype=dtype)
        return spec

    assert (make(left) + make(right)).dtype is expected


def test_true_division_of_integers_gives_float() -> None:
    assert (pt.tensor([1, 2]) / 2).dtype is pt.float32
    assert (pt.tensor([7, -7]) // 2).tolist() == [3, -4]
    assert (pt.tensor([-3, 3]) % 2).tolist() == [1, 1]


def test_metadata_and_conversion() -> None:
    x = pt.arange(6, dtype=pt.float64).reshape(2, 3)
    assert x.shape == (2, 3) and x.ndim == 2 and x.numel() == 6 and len(x) == 2
    assert x.device.type == "cpu" and x.device.backend == "numpy"
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert x[1, 2].item() == 5.0
    assert isinstance(x.numpy(), np.ndarray)
    assert x.to(pt.int32).dtype is pt.int32
    assert x.to("numpy") is x
    with pytest.raises(ValueError, match="one element"):
        x.item()


def test_repr_like_pytorch() -> None:
    assert repr(pt.tensor([1.0, 2.5])) == "tensor([1.0000, 2.5000])"
    assert repr(pt.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(pt.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(pt.tensor([1, 2], dtype=pt.int32)) == "tensor([1, 2], dtype=plugtorch.int32)"
    assert repr(pt.tensor(3.0, requires_grad=True)) == "tensor(3., requires_grad=True)"
    assert "grad_fn=<MulBackward0>" in repr(pt.tensor(3.0, requires_grad=True) * 2)
    assert repr(pt.tensor([True, False])) == "tensor([ True, False])"


def test_seeded_random_repeats() -> None:
    pt.manual_seed(3)
    a = (pt.rand(4), pt.randn(4), pt.randint(0, 9, (4,)), pt.randperm(5))
    pt.manual_seed(3)
    b = (pt.rand(4), pt.randn(4), pt.randint(0, 9, (4,)), pt.randperm(5))
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()
    assert pt.rand(3, dtype=pt.float64).dtype is pt.float64


def test_creation_functions() -> None:
    np.testing.assert_allclose(pt.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    np.testing.assert_allclose(pt.eye(2, 3).numpy(), np.eye(2, 3))
    assert pt.zeros_like(pt.ones(2, dtype=pt.int32)).dtype is pt.int32
    assert pt.full_like(pt.ones(2), 3).tolist() == [3.0, 3.0]
    assert pt.empty(2, 2).shape == (2, 2)
    arr = np.arange(3)
    assert pt.from_numpy(arr).tolist() == [0, 1, 2]


def test_bool_and_in_follow_pytorch() -> None:
    x = pt.arange(6.0).view(2, 3)
    assert 3.0 in x and 7 not in x and pt.tensor([[3.0, 4.0, 5.0]]) in x
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        bool(x)
    with pytest.raises(RuntimeError, match="no values is ambiguous"):
        bool(pt.ones(0))
    with pytest.raises(RuntimeError, match="only supports Tensor or scalar"):
        assert "a" in x
    assert bool(pt.ones(1)) and not bool(pt.zeros(()))


def test_to_accepts_pytorchs_non_blocking_copy_and_memory_format() -> None:
    x = pt.ones(2)
    assert x.to("cpu", non_blocking=True) is x
    assert x.to(x, non_blocking=True, memory_format=None) is x
    # positional, as torch.Tensor.to(device, dtype, non_blocking, copy)
    assert x.to("cpu", pt.float64, True, False).dtype is pt.float64
    copied = x.to(pt.float32, False, True)
    assert copied is not x and copied.tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="too many bool"):
        x.to(True, False, True)


@pytest.mark.parametrize("name", ["numpy", "numba"])
def test_from_numpy_and_as_tensor_share_memory_as_in_pytorch(name: str) -> None:
    # torch.from_numpy always shares; torch.as_tensor shares when the dtype already fits.
    if name == "numba":
        pytest.importorskip("plugtorch_numba")
    buf = np.zeros(3, np.float32)
    shared = pt.from_numpy(buf, backend=name)
    buf[:] = [1.0, 2.0, 3.0]
    shared.add_(1.0)
    assert shared.tolist() == [2.0, 3.0, 4.0] and buf.tolist() == [2.0, 3.0, 4.0]
    strided = np.arange(6.0)[::2]
    pt.from_numpy(strided, backend=name).mul_(2.0)
    assert strided.tolist() == [0.0, 4.0, 8.0]
    array = np.zeros(2, np.float32)
    alias = pt.as_tensor(array, backend=name)
    array[0] = 9.0
    assert alias.tolist() == [9.0, 0.0]
    converted = pt.as_tensor(array, dtype=pt.float64, backend=name)  # a new dtype: a copy
    array[1] = 5.0
    assert converted.tolist() == [9.0, 0.0] and converted.dtype is pt.float64
    # A read-only array: as_tensor copies it (writable tensor); from_numpy shares and warns.
    frozen = np.zeros(2, np.float32)
    frozen.flags.writeable = False
    assert pt.as_tensor(frozen, backend=name).add_(1.0).tolist() == [1.0, 1.0]
    with pytest.warns(UserWarning, match="not writable"):
        pt.from_numpy(frozen, backend=name)


INDEX_CASES = [
    (1,),
    (-1,),
    (slice(None, None, 2),),
    (Ellipsis, 0),
    (None, 1),
    (slice(1, None), None, 0),
    (0, slice(None, None, -1)),
    ([0, 2],),
    (np.array([[0, 1], [2, 0]]),),
    (slice(None), [1, 0]),
    ([0, 1], [1, 0]),
    (Ellipsis, [0, 0]),
]


@pytest.mark.parametrize("key", INDEX_CASES, ids=[repr(k) for k in INDEX_CASES])
def test_getitem_matches_numpy(key) -> None:
    host = np.arange(24.0).reshape(3, 2, 4)
    key_t = tuple(pt.tensor(k) if isinstance(k, np.ndarray) else k for k in key)
    np.testing.assert_array_equal(pt.tensor(host)[key_t].numpy(), host[key])


def test_boolean_mask_indexing_and_gradient() -> None:
    x = pt.tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    y = x[x > 0]
    assert y.tolist() == [1.0, 3.0]
    y.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0], [1.0, 0.0]]


def test_index_errors_are_clear() -> None:
    x = pt.zeros(3, 4)
    with pytest.raises(IndexError, match="out of bounds"):
        x[3]
    with pytest.raises(IndexError):
        x[pt.tensor([5])]
    with pytest.raises(IndexError, match="out of range"):
        pt.gather(x, 1, pt.tensor([[4]]))
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]


def test_setitem() -> None:
    x = pt.zeros(3, 4)
    x[1] = 5.0
    x[:, 0] = pt.tensor([1.0, 2.0, 3.0])
    x[x > 4] = -1.0
    x[[0, 2], [3, 3]] = 7.0
    expected = np.zeros((3, 4))
    expected[1] = 5.0
    expected[:, 0] = [1, 2, 3]
    expected[expected > 4] = -1
    expected[[0, 2], [3, 3]] = 7
    np.testing.assert_array_equal(x.numpy(), expected)
    w = pt.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        w[0] = 1.0


def test_movement_ops() -> None:
    x = pt.arange(24).reshape(2, 3, 4)
    host = np.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(x.permute(2, 0, 1).numpy(), host.transpose(2, 0, 1))
    np.testing.assert_array_equal(x.transpose(0, 2).numpy(), host.swapaxes(0, 2))
    np.testing.assert_array_equal(x.mT.numpy(), host.swapaxes(-1, -2))
    assert x.flatten(1).shape == (2, 12) and x.unflatten(2, (2, 2)).shape == (2, 3, 2, 2)
    assert x.unsqueeze(1).shape == (2, 1, 3, 4) and x[:, :1].squeeze(1).shape == (2, 4)
    assert [t.shape for t in x.split(2, dim=2)] == [(2, 3, 2), (2, 3, 2)]
    assert [t.shape for t in x.chunk(3, dim=1)] == [(2, 1, 4)] * 3
    np.testing.assert_array_equal(pt.roll(x, 1, 2).numpy(), np.roll(host, 1, 2))
    np.testing.assert_array_equal(pt.roll(x, 5).numpy(), np.roll(host, 5))
    np.testing.assert_array_equal(pt.stack([x, x], 1).numpy(), np.stack([host, host], 1))
    np.testing.assert_array_equal(pt.tril(x[0]).numpy(), np.tril(host[0]))
    np.testing.assert_array_equal(pt.triu(x[0], 1).numpy(), np.triu(host[0], 1))
    np.testing.assert_array_equal(
        pt.pad(x, (1, 2, 0, 1)).numpy(), np.pad(host, [(0, 0), (0, 1), (1, 2)])
    )
    np.testing.assert_array_equal(x.expand(2, 2, 3, 4).numpy(), np.broadcast_to(host, (2, 2, 3, 4)))


def test_reductions_match_numpy() -> None:
    host = np.random.default_rng(0).normal(size=(3, 4, 5))
    x = pt.tensor(host)
    np.testing.assert_allclose(x.sum((0, 2)).numpy(), host.sum((0, 2)))
    np.testing.assert_allclose(x.mean(1, keepdim=True).numpy(), host.mean(1, keepdims=True))
    np.testing.assert_allclose(x.std(0).numpy(), host.std(0, ddof=1))
    np.testing.assert_allclose(x.var(0, unbiased=False).numpy(), host.var(0))
    np.testing.assert_allclose(pt.logsumexp(x, 2).numpy(), np.log(np.exp(host).sum(2)), rtol=1e-12)
    values, indices = x.max(1)
    np.testing.assert_allclose(values.numpy(), host.max(1))
    np.testing.assert_array_equal(indices.numpy(), host.argmax(1))
    assert x.argmax().item() == host.argmax()
    assert pt.tensor([1, 2]).sum().dtype is pt.int64
    assert bool(pt.tensor([1, 0]).any()) and not bool(pt.tensor([1, 0]).all())
    with pytest.raises(TypeError, match="floating point"):
        pt.tensor([1, 2]).mean()


def test_matmul_semantics() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 1, 3, 4)), rng.normal(size=(5, 4, 2))
    np.testing.assert_allclose((pt.tensor(a) @ pt.tensor(b)).numpy(), a @ b)
    v = rng.normal(size=4)
    np.testing.assert_allclose((pt.tensor(a) @ pt.tensor(v)).numpy(), a @ v)
    np.testing.assert_allclose((pt.tensor(v) @ pt.tensor(b)).numpy(), v @ b)
    with pytest.raises(ValueError, match="not aligned"):
        pt.ones(2, 3) @ pt.ones(2, 3)


def test_shape_mismatch_error_names_shapes() -> None:
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\)"):
        pt.ones(2, 3) + pt.ones(4)


def test_stable_sigmoid_and_logsumexp() -> None:
    x = pt.tensor([-1e4, 0.0, 1e4], requires_grad=True)
    s = pt.sigmoid(x)
    assert s.tolist() == [0.0, 0.5, 1.0]
    s.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    assert np.isfinite(pt.logsumexp(pt.tensor([1e4, 1e4]), 0).item())


def test_size_is_pytorch_method_and_array_api_attribute() -> None:
    x = pt.zeros(2, 3)
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3
    assert x.size == 6 and isinstance(x.size, int)


def test_scalar_constants_keep_the_sign_of_zero(backend_name: str) -> None:
    # The cache of broadcast scalar constants must not confuse -0.0 with 0.0 (they compare equal).
    x = pt.tensor([1.0, -2.0], backend=backend_name)
    first, second = (x * -0.0).tolist(), (x * 0.0).tolist()
    assert [str(v) for v in first] == ["-0.0", "0.0"]
    assert [str(v) for v in second] == ["0.0", "-0.0"]
