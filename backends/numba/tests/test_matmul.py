"""matmul: stacks of small matrices split over threads with OpenBLAS at one thread."""

from __future__ import annotations

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
