"""Factories honour ``device=`` exactly as ``backend=``, and refuse the two naming different
backends; ``randint``'s two forms; ``generator=``; ``new_*`` methods; formatting of 0-d
tensors; ``item``/``tolist``/``numel``/``element_size``; triangles keep the dtype."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import plugtorch as pt

FACTORIES: dict[str, Callable[..., pt.Tensor]] = {
    "zeros": lambda **kw: pt.zeros(2, 3, **kw),
    "ones": lambda **kw: pt.ones(2, **kw),
    "empty": lambda **kw: pt.empty(2, **kw),
    "full": lambda **kw: pt.full((2,), 1.5, **kw),
    "tensor": lambda **kw: pt.tensor([1.0, 2.0], **kw),
    "as_tensor": lambda **kw: pt.as_tensor([1, 2], **kw),
    "arange": lambda **kw: pt.arange(3, **kw),
    "linspace": lambda **kw: pt.linspace(0, 1, 3, **kw),
    "eye": lambda **kw: pt.eye(2, **kw),
    "rand": lambda **kw: pt.rand(2, **kw),
    "randn": lambda **kw: pt.randn(2, **kw),
    "randint": lambda **kw: pt.randint(0, 5, (2,), **kw),
    "randperm": lambda **kw: pt.randperm(4, **kw),
    "scalar_tensor": lambda **kw: pt.scalar_tensor(2.0, **kw),
    "zeros_like": lambda **kw: pt.zeros_like(pt.ones(2), **kw),
    "ones_like": lambda **kw: pt.ones_like(pt.ones(2), **kw),
    "full_like": lambda **kw: pt.full_like(pt.ones(2), 4, **kw),
    "empty_like": lambda **kw: pt.empty_like(pt.ones(2), **kw),
    "rand_like": lambda **kw: pt.rand_like(pt.ones(2), **kw),
    "randn_like": lambda **kw: pt.randn_like(pt.ones(2), **kw),
    "randint_like": lambda **kw: pt.randint_like(pt.ones(2), 3, **kw),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_device_names_the_backend_like_backend_does(name: str, backend_name: str) -> None:
    make = FACTORIES[name]
    by_backend = make(backend=backend_name)
    assert by_backend.backend.name == backend_name
    assert make(device=backend_name).backend is by_backend.backend
    assert make(device=pt.device(backend_name)).backend is by_backend.backend
    # both, agreeing: fine
    assert make(backend=backend_name, device=pt.device(backend_name)).backend.name == backend_name


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_device_and_backend_that_disagree_raise(name: str) -> None:
    with pytest.raises(ValueError, match="name different backends"):
        FACTORIES[name](backend="numpy", device=pt.device("numba"))
    with pytest.raises(ValueError, match="name different backends"):
        FACTORIES[name](backend="numba", device="numpy")


def test_cpu_is_any_host_backend() -> None:
    assert pt.zeros(2, backend="numba", device="cpu").backend.name == "numba"
    on_numba = pt.ones(2, backend="numba")
    assert pt.zeros_like(on_numba, device="cpu").backend.name == "numba"
    assert pt.zeros_like(on_numba).backend.name == "numba"
    assert pt.zeros_like(on_numba, device="numpy").backend.name == "numpy"
    assert pt.as_tensor(on_numba, device="numpy").backend.name == "numpy"
    assert pt.as_tensor(on_numba) is on_numba


def test_randint_forms_and_errors() -> None:
    assert pt.randint(3, (4,)).shape == (4,)
    assert set(pt.randint(3, (200,)).tolist()) == {0, 1, 2}
    assert set(pt.randint(5, 7, (200,)).tolist()) == {5, 6}
    assert set(pt.randint(2, size=(50,)).tolist()) == {0, 1}
    assert pt.randint(0, 4, (3,), dtype=pt.float32).dtype is pt.float32
    assert pt.randint(0, 2, [2, 2]).shape == (2, 2)
    with pytest.raises(TypeError, match="size"):
        pt.randint(5)
    with pytest.raises(ValueError, match="from=3 >= to=3"):
        pt.randint(3, 3, (2,))
    with pytest.raises(ValueError, match="does not fit dtype uint8"):
        pt.randint(0, 300, (2,), dtype=pt.uint8)
    with pytest.raises(TypeError, match="high must be an int"):
        pt.randint(0, 2.5, (2,))


def test_generator_gives_its_own_stream_on_every_backend(backend_name: str) -> None:
    g = pt.Generator().manual_seed(7)
    first = [pt.rand(3, generator=g), pt.randn(3, generator=g), pt.randint(0, 9, (3,), generator=g)]
    first.append(pt.randperm(5, generator=g))
    g.manual_seed(7)
    again = [
        pt.rand(3, generator=g, backend=backend_name),
        pt.randn(3, generator=g, backend=backend_name),
        pt.randint(0, 9, (3,), generator=g, backend=backend_name),
        pt.randperm(5, generator=g, backend=backend_name),
    ]
    for a, b in zip(first, again):
        assert a.tolist() == b.tolist()


def test_new_methods_take_dtype_and_backend_from_the_tensor(backend_name: str) -> None:
    x = pt.ones(2, dtype=pt.float64, backend=backend_name)
    for made in (x.new_zeros(2, 3), x.new_zeros((2, 3)), x.new_ones([2, 3]), x.new_empty(2, 3)):
        assert made.shape == (2, 3) and made.dtype is pt.float64
        assert made.backend is x.backend
    assert x.new_zeros(2).tolist() == [0.0, 0.0]
    assert x.new_ones(2).tolist() == [1.0, 1.0]
    assert x.new_full((2,), 3).tolist() == [3.0, 3.0] and x.new_full((2,), 3).dtype is pt.float64
    # new_tensor: this tensor's dtype, not the data's
    made = x.new_tensor([1, 2])
    assert made.dtype is pt.float64 and made.tolist() == [1.0, 2.0] and made.backend is x.backend
    assert x.new_tensor([1, 2], dtype=pt.int32).dtype is pt.int32
    assert x.new_zeros(2, dtype=pt.int64, device="numpy").backend.name == "numpy"
    assert x.new_ones(2, requires_grad=True).requires_grad
    source = pt.tensor([1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="detach"):
        copied = x.new_tensor(source)
    assert not copied.requires_grad and copied.dtype is pt.float64


def test_new_tensor_copies() -> None:
    data = np.array([1.0, 2.0])
    made = pt.zeros(1).new_tensor(data)
    data[0] = 5
    assert made.tolist() == [1.0, 2.0]


def test_format_of_0d_tensors_and_the_error_for_others() -> None:
    assert f"{pt.tensor(1.23456):.4f}" == "1.2346"
    assert f"{pt.tensor(3):>3d}" == "  3"
    assert f"{pt.tensor(True)}" == "True"
    assert f"{pt.tensor(0.5, requires_grad=True):.2e}" == "5.00e-01"
    assert f"{pt.ones(2)}" == str(pt.ones(2))
    with pytest.raises(TypeError, match="only 0-d tensors format as numbers"):
        f"{pt.ones(2):.4f}"
    with pytest.raises(TypeError, match=r"shape \(1,\)"):
        f"{pt.ones(1):.4f}"


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (1, 1, 1)])
def test_item_of_any_one_element_shape(shape: tuple[int, ...], backend_name: str) -> None:
    assert pt.full(shape, 2.5, backend=backend_name).item() == 2.5
    value = pt.full(shape, 7, backend=backend_name).item()
    assert value == 7 and type(value) is int
    assert type(pt.full(shape, True, backend=backend_name).item()) is bool
    with pytest.raises(ValueError, match="exactly one element"):
        pt.zeros(2, backend=backend_name).item()


def test_tolist_numel_element_size(backend_name: str) -> None:
    x = pt.arange(6, backend=backend_name).reshape(2, 3)
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert pt.tensor(2.5, backend=backend_name).tolist() == 2.5
    assert x.numel() == 6 and pt.zeros(0, 3).numel() == 0 and pt.tensor(1).numel() == 1
    sizes = {pt.bool: 1, pt.uint8: 1, pt.int16: 2, pt.int32: 4, pt.float32: 4, pt.int64: 8}
    for dtype, size in sizes.items():
        assert pt.zeros(1, dtype=dtype).element_size() == size


@pytest.mark.parametrize("dtype", [pt.bool, pt.uint8, pt.int32, pt.int64, pt.float32])
def test_triangles_keep_the_dtype(dtype: Any, backend_name: str) -> None:
    x = pt.ones(3, 3, dtype=dtype, backend=backend_name)
    lower, upper = pt.tril(x), x.triu(1)
    assert lower.dtype is dtype and upper.dtype is dtype
    assert np.array_equal(lower.numpy(), np.tril(np.ones((3, 3), dtype=dtype.numpy)))
    assert np.array_equal(upper.numpy(), np.triu(np.ones((3, 3), dtype=dtype.numpy), 1))


@pytest.mark.parametrize("backend", [info.name for info in pt.list_backends() if info.available])
def test_full_of_zero_keeps_the_sign_and_dtype(backend):
    # full(shape, 0) is the backend's zeros (calloc'd on numpy); -0.0 must still fill -0.0
    for value, dtype in ((0.0, pt.float32), (-0.0, pt.float32), (0, pt.int64), (False, pt.bool)):
        t = pt.full((2, 3), value, dtype=dtype, backend=backend)
        host = t.numpy()
        assert t.dtype == dtype and (host == 0).all()
        assert np.signbit(host).all() == (str(value) == "-0.0")
    assert np.signbit(pt.zeros(4, backend=backend).numpy()).sum() == 0
