"""matmul: stacks of small matrices split over threads with OpenBLAS at one thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from plugtorch_numba import _blas


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [(2,), (7,), (3, 5)])
def test_split_stack_matches_numpy(nb, batch, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((*batch, 33, 17)).astype(dtype)
    y = rng.standard_normal((*batch, 17, 9)).astype(dtype)
    got = nb.matmul(x, y)
    assert got.shape == (*batch, 33, 9) and got.dtype == dtype
    np.testing.assert_allclose(got, np.matmul(x, y), rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize(
    "shapes",
    [((4, 8, 8), (8, 8)), ((1, 4, 8, 8), (3, 1, 8, 8)), ((8, 8), (4, 8, 8)), ((4, 8), (8,))],
)
def test_broadcast_and_vector_shapes_keep_numpy_path(nb, shapes):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shapes[0]).astype(np.float32)
    y = rng.standard_normal(shapes[1]).astype(np.float32)
    np.testing.assert_allclose(nb.matmul(x, y), np.matmul(x, y), rtol=1e-5)


def test_non_contiguous_stack(nb):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 16, 16)).astype(np.float32).transpose(0, 2, 1)
    y = rng.standard_normal((6, 16, 16)).astype(np.float32)[:, ::-1]
    np.testing.assert_allclose(nb.matmul(x, y), np.matmul(x, y), rtol=1e-5)


@pytest.mark.skipif(not _blas.available(), reason="numpy is not linked to OpenBLAS here")
def test_blas_thread_count_is_restored():
    get, _ = _blas._lookup()
    before = get()
    with _blas.single_threaded():
        assert get() == 1
    assert get() == before
    with pytest.raises(ValueError), _blas.single_threaded():
        raise ValueError("an error inside still restores the count")
    assert get() == before


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_attention_head_layouts(nb, dtype):
    # Heads sliced from one projection and transposed (q @ k^T, grad @ v^T, att^T @ grad):
    # column-major matrices with a leading dimension beyond the matrix are copied to C order
    # first, dense transposed ones are not; every layout gives numpy's product.
    rng = np.random.default_rng(3)
    qkv = rng.standard_normal((3, 16, 3 * 24)).astype(dtype)

    def heads(part: np.ndarray) -> np.ndarray:  # (3, 16, 24) -> (3, 4, 16, 6)
        return part.reshape(3, 16, 4, 6).transpose(0, 2, 1, 3)

    q, k, v = heads(qkv[..., :24]), heads(qkv[..., 24:48]), heads(qkv[..., 48:])
    att = rng.standard_normal((3, 4, 16, 16)).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for x, y in [
        (q, k.swapaxes(-1, -2)),
        (att, v),
        (att.swapaxes(-1, -2), q),
        (q.swapaxes(-1, -2), att),
    ]:
        got = nb.matmul(x, y)
        assert got.flags.c_contiguous and got.dtype == dtype
        np.testing.assert_allclose(got, np.matmul(x, y), rtol=tol, atol=tol)


def test_spinning_follows_the_last_threaded_product(monkeypatch):
    monkeypatch.undo()  # the real _blas.spinning (conftest pins it to False)
    monkeypatch.setattr(_blas, "_spin_seconds", 3600.0)
    monkeypatch.setattr(_blas, "_last_gemm", float("-inf"))
    monkeypatch.setattr(_blas, "_lookup", lambda: (lambda: 2, lambda n: None))  # 2 threads
    assert not _blas.spinning()
    small = np.ones((4, 4), np.float32)
    _blas.matmul(small, small, np.empty((4, 4), np.float32))  # below OpenBLAS's threads
    assert not _blas.spinning()
    big = np.ones((64, 64), np.float32)
    out = _blas.matmul(big, big, np.empty((64, 64), np.float32))  # 2^18 multiply-adds
    assert _blas.spinning() and np.array_equal(out, np.full((64, 64), 64, np.float32))
    monkeypatch.setattr(_blas, "_spin_seconds", 0.0)  # spin shortened, or no OpenBLAS
    assert not _blas.spinning()


@pytest.mark.skipif(not _blas.available(), reason="numpy is not linked to OpenBLAS here")
def test_a_product_on_one_openblas_thread_is_not_noted(monkeypatch):
    monkeypatch.setattr(_blas, "_last_gemm", float("-inf"))
    big = np.ones((64, 64), np.float32)
    with _blas.single_threaded():
        _blas.matmul(big, big, np.empty((64, 64), np.float32))
    assert _blas._last_gemm == float("-inf")


def test_spin_time_from_openblas_setting(monkeypatch):
    monkeypatch.setattr(_blas, "_cpu_hz", lambda: 2.0**28)
    for log2, seconds in ((None, 0.0), (18, 0.0), (0, 1.0), (28, 1.0), (24, 1 / 16)):
        monkeypatch.setattr(_blas, "spin_log2", lambda log2=log2: log2)
        assert _blas._spin_time() == seconds


def test_work_stays_on_the_caller_while_openblas_spins(monkeypatch):
    from plugtorch_numba import _threads

    monkeypatch.setattr(_threads, "num_threads", lambda: 2)
    monkeypatch.setattr(_blas, "spinning", lambda: True)
    ran: list[tuple[int, int, int]] = []
    _threads.run_chunks(lambda a, b: ran.append((a, b, threading.get_ident())), 64, 1, 2)
    assert sorted((a, b) for a, b, _ in ran)[0][0] == 0 and sum(b - a for a, b, _ in ran) == 64
    assert {ident for _, _, ident in ran} == {threading.get_ident()}


def test_stack_product_while_openblas_spins(nb, monkeypatch):
    monkeypatch.setattr(_blas, "spinning", lambda: True)  # OpenBLAS's own threads take it
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 96, 96)).astype(np.float32)
    y = rng.standard_normal((8, 96, 96)).astype(np.float32)
    np.testing.assert_allclose(nb.matmul(x, y), np.matmul(x, y), rtol=1e-5)
