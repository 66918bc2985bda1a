"""matmul through Intel MKL (``plugtorch-numba[mkl]``): results against numpy for every layout
the backend hands BLAS, the thresholds, the forced choices and the fallback to OpenBLAS."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import layouts
from plugtorch_numba import NumbaBackend, _mkl
from plugtorch_numba._threads import num_threads

LOADED = _mkl.load()
needs_mkl = pytest.mark.skipif(
    not isinstance(LOADED, _mkl.Mkl), reason=f"MKL is not usable here: {LOADED}"
)


def _counting(mkl: _mkl.Mkl, calls: Counter[str], split: bool = False) -> _mkl.Mkl:
    """``mkl`` with every GEMM call counted by kind ("gemm" or "batch"); ``split``: as the
    sequential layer is used (products split over the backend's threads), whatever the
    loaded library's layer."""

    def count(kind: str, func: Any) -> Any:
        def call(*args: Any) -> None:
            calls[kind] += 1
            func(*args)

        return call

    return _mkl.Mkl(
        mkl.path,
        mkl.version,
        {k: count("gemm", f) for k, f in mkl.gemm.items()},
        {k: count("batch", f) for k, f in mkl.gemm_batch.items()},
        "sequential" if split else mkl.threading,
        None if split else mkl.set_threads,
    )


@pytest.fixture
def calls() -> Counter[str]:
    return Counter()


@pytest.fixture(params=["loaded layer", "split over threads"])
def mkl_nb(
    request: pytest.FixtureRequest, calls: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> NumbaBackend:
    """MKL for every product, however small: with the layer MKL was loaded with (TBB where it
    is installed), and split into blocks of any size over the backend's threads (what the
    sequential layer does)."""
    assert isinstance(LOADED, _mkl.Mkl)
    monkeypatch.setattr(_mkl, "MIN_FLOPS", 1)
    monkeypatch.setattr(_mkl, "MIN_FLOPS_THREADED", 1)
    monkeypatch.setattr(_mkl, "MIN_FLOPS_TBB", 1)
    monkeypatch.setattr(_mkl, "MIN_SPLIT_FLOPS", 1)
    backend = NumbaBackend(blas="mkl")
    backend.mkl = _counting(LOADED, calls, split=request.param == "split over threads")
    return backend


def _check(backend: NumbaBackend, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    got = backend.matmul(x, y)
    want = np.matmul(x.astype(np.float64), y.astype(np.float64))
    assert got.shape == want.shape and got.dtype == x.dtype
    rtol = 1e-5 if x.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * max(1, x.shape[-1]))
    return got


@pytest.mark.parametrize("vendor", [_mkl.INTEL, ""])
def test_mkl_is_used_when_installed_on_intel_or_unknown_cpus(monkeypatch, vendor):
    try:
        metadata.distribution("mkl")
    except metadata.PackageNotFoundError:
        pytest.skip("the mkl wheel is not installed (pip install 'plugtorch-numba[mkl]')")
    assert isinstance(LOADED, _mkl.Mkl), LOADED
    monkeypatch.delenv(_mkl.BLAS_ENV, raising=False)
    monkeypatch.setattr(_mkl, "cpu_vendor", lambda: vendor)
    backend = NumbaBackend(blas=None)
    assert backend.mkl is not None and backend.blas.startswith("Intel MKL")
    assert "MKL" in repr(backend) and backend.is_available() == (True, "")


def test_openblas_on_other_cpus_unless_mkl_is_asked_for(monkeypatch):
    monkeypatch.delenv(_mkl.BLAS_ENV, raising=False)
    monkeypatch.setattr(_mkl, "cpu_vendor", lambda: "AuthenticAMD")
    backend = NumbaBackend(blas=None)
    assert backend.mkl is None and backend.is_available() == (True, "")
    assert backend.blas == "OpenBLAS (numpy's; MKL's GEMMs are slower on this AuthenticAMD CPU)"
    x = np.random.default_rng(4).standard_normal((70, 90)).astype(np.float32)
    _check(backend, x, x.T)
    if isinstance(LOADED, _mkl.Mkl):
        assert NumbaBackend(blas="mkl").mkl is LOADED
        monkeypatch.setenv(_mkl.BLAS_ENV, "mkl")
        assert NumbaBackend().mkl is LOADED


def test_cpu_vendor_is_the_one_proc_cpuinfo_names():
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.is_file() else []
    named = [line.partition(":")[2].strip() for line in lines if line.startswith("vendor_id")]
    if not named:
        pytest.skip("no /proc/cpuinfo with a vendor_id here")
    assert _mkl.cpu_vendor() == named[0]


@needs_mkl
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("shape", [(37, 29, 53), (1, 40, 70), (70, 40, 1), (130, 7, 20)])
def test_2d_layouts_match_numpy(mkl_nb, calls, dtype, threads, shape):
    rng = np.random.default_rng(0)
    m, k, n = shape
    xs = layouts(rng.standard_normal((m, k)).astype(dtype), rng)
    ys = layouts(rng.standard_normal((k, n)).astype(dtype), rng)
    for x in xs.values():
        for y in ys.values():
            out = np.empty((m, n), dtype)
            assert _mkl.gemm_into(mkl_nb.mkl, x, y, out, threads)
            want = np.matmul(x.astype(np.float64), y.astype(np.float64))
            rtol = 1e-5 if dtype == np.float32 else 1e-12
            np.testing.assert_allclose(out, want, rtol=rtol, atol=rtol * k)
    assert calls["gemm"] >= len(xs) * len(ys)


@needs_mkl
def test_transposed_operands_are_not_copied(mkl_nb, calls, monkeypatch):
    """The backward's ``x.T @ g`` and ``g @ w.T`` views reach BLAS as CblasTrans."""
    copies = []
    real = np.ascontiguousarray
    monkeypatch.setattr(_mkl.np, "ascontiguousarray", lambda a: copies.append(a.shape) or real(a))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 48)).astype(np.float32)
    g = rng.standard_normal((64, 32)).astype(np.float32)
    w = rng.standard_normal((32, 48)).astype(np.float32)
    _check(mkl_nb, x.T, g)
    _check(mkl_nb, g, w.T.T)
    _check(mkl_nb, x[:, 8:40].T, g[::1, :16])  # column slices: row strides above the width
    assert copies == [] and calls["gemm"] >= 3
    _check(mkl_nb, x[::-1], x.T)  # a negative stride: BLAS cannot read it, so it is copied
    assert copies == [(64, 48)]


@needs_mkl
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("x_shape", "y_shape"),
    [
        ((6, 20, 9), (6, 9, 11)),
        ((2, 3, 20, 9), (2, 3, 9, 11)),
        ((4, 1, 20, 9), (1, 5, 9, 11)),  # batch dims that do not collapse: copied
        ((3, 20, 9), (9, 11)),  # a stack times one matrix: one folded product
        ((20, 9), (3, 9, 11)),  # one matrix times a stack: stride 0 in the batch call
        ((2, 3, 20, 9), (3, 9, 11)),
    ],
)
def test_batched_and_broadcast_match_numpy(mkl_nb, calls, dtype, x_shape, y_shape):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(x_shape).astype(dtype)
    y = rng.standard_normal(y_shape).astype(dtype)
    _check(mkl_nb, x, y)
    _check(mkl_nb, np.swapaxes(np.swapaxes(x, -1, -2).copy(), -1, -2), y)
    _check(mkl_nb, x, np.swapaxes(np.swapaxes(y, -1, -2).copy(), -1, -2))
    # expanded to one batch shape, as the core's matmul hands them (stride-0 batch dims)
    batch = np.broadcast_shapes(x_shape[:-2], y_shape[:-2])
    _check(
        mkl_nb, np.broadcast_to(x, batch + x_shape[-2:]), np.broadcast_to(y, batch + y_shape[-2:])
    )
    assert calls["gemm"] + calls["batch"] >= 4


@needs_mkl
def test_attention_views_match_numpy(mkl_nb, calls):
    """q @ k^T over (batch, heads) from a (batch, length, heads, dim) tensor: strided views."""
    rng = np.random.default_rng(3)
    qkv = rng.standard_normal((4, 24, 3, 5, 16)).astype(np.float32)
    q = qkv[:, :, 0].transpose(0, 2, 1, 3)
    k = qkv[:, :, 1].transpose(0, 2, 3, 1)
    scores = _check(mkl_nb, q, k)
    _check(mkl_nb, scores, qkv[:, :, 2].transpose(0, 2, 1, 3))
    assert calls["batch"] >= 2


@needs_mkl
@pytest.mark.parametrize(
    ("x_shape", "y_shape"),
    [
        ((0, 5), (5, 4)),
        ((3, 0), (0, 4)),
        ((3, 5), (5, 0)),
        ((0, 3, 5), (0, 5, 4)),
        ((2, 3, 0), (0, 4)),
    ],
)
def test_empty_products_are_numpys(mkl_nb, calls, x_shape, y_shape):
    x = np.ones(x_shape, np.float32)
    y = np.ones(y_shape, np.float32)
    got = mkl_nb.matmul(x, y)
    assert got.shape == np.matmul(x, y).shape and not got.any()
    assert calls["gemm"] + calls["batch"] == 0


@needs_mkl
def test_threshold_small_products_stay_on_openblas(calls):
    backend = NumbaBackend(blas="mkl")
    backend.mkl = _counting(LOADED, calls)  # type: ignore[arg-type]
    threshold = _mkl.min_flops(num_threads(), LOADED.threading)  # (higher on two threads)
    side = int(round(threshold ** (1 / 3)))
    while side**3 >= threshold:
        side -= 1  # the largest cube below the threshold
    rng = np.random.default_rng(4)
    large = rng.standard_normal((side + 1, side + 1)).astype(np.float32)
    small = large[:-1, :-1]
    _check(backend, small, small)
    _check(backend, np.stack([small] * 8), np.stack([small] * 8))
    _check(backend, large.astype(np.int64)[:4, :4], large.astype(np.int64)[:4, :4])
    assert calls["gemm"] + calls["batch"] == 0
    _check(backend, large, large)
    _check(backend, np.stack([small] * 8), small)  # folds into one (8 * side, side) product
    assert calls["gemm"] >= 2 and calls["batch"] == 0


def test_forced_openblas_matches_numpy(monkeypatch):
    monkeypatch.setenv(_mkl.BLAS_ENV, "openblas")
    backend = NumbaBackend()
    assert backend.mkl is None and backend.blas.startswith("OpenBLAS")
    assert backend.is_available() == (True, "")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 120, 130)).astype(np.float32)
    _check(backend, x, np.swapaxes(x, -1, -2))
    _check(backend, x[0], x[1].T)


def test_without_mkl_falls_back_and_says_why(monkeypatch):
    monkeypatch.setattr(_mkl, "_loaded", None)
    monkeypatch.setattr(_mkl, "library_paths", lambda: [])
    monkeypatch.setattr(_mkl, "cpu_vendor", lambda: _mkl.INTEL)
    monkeypatch.delenv(_mkl.BLAS_ENV, raising=False)
    backend = NumbaBackend()
    assert backend.mkl is None and backend.is_available() == (True, "")
    assert (
        backend.blas
        == "OpenBLAS (numpy's; MKL is not installed: " + _mkl.INSTALL_HINT + " for MKL)"
    )
    x = np.random.default_rng(6).standard_normal((200, 150))
    _check(backend, x, x.T)


def test_forced_mkl_without_mkl_is_unavailable_with_the_fix(monkeypatch):
    monkeypatch.setattr(_mkl, "_loaded", "MKL is not installed")
    monkeypatch.setenv(_mkl.BLAS_ENV, "mkl")
    ok, reason = NumbaBackend().is_available()
    assert not ok
    assert "PLUGTORCH_NUMBA_BLAS=mkl" in reason and "pip install 'plugtorch-numba[mkl]'" in reason


def test_unknown_blas_choice_is_unavailable(monkeypatch):
    monkeypatch.setenv(_mkl.BLAS_ENV, "atlas")
    ok, reason = NumbaBackend().is_available()
    assert not ok and "'mkl' or 'openblas'" in reason and "'atlas'" in reason


def test_backends_command_names_the_blas(capsys):
    from plugtorch.commands.backends import run

    assert run(argparse.Namespace(json=False)) == 0
    note = f"numba: matmul through {NumbaBackend().blas}"
    assert note in capsys.readouterr().out.splitlines()


def _child_product(queue: Any) -> None:
    backend = NumbaBackend(blas="mkl")
    x = np.arange(300 * 200, dtype=np.float32).reshape(300, 200) / 1e4
    want = x.astype(np.float64) @ x.T.astype(np.float64)
    queue.put(float(np.abs(backend.matmul(x, x.T) - want).max() / np.abs(want).max()))


@needs_mkl
def test_forked_child_multiplies_after_parent_did():
    """Fork-based DataLoader workers: a child multiplies after its parent's GEMMs started
    MKL's threads (TBB layer) or left none (sequential layer)."""
    backend = NumbaBackend(blas="mkl")
    x = np.ones((300, 300), np.float32)
    assert backend.matmul(x, x)[0, 0] == 300
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child_product, args=(queue,))
    child.start()
    error = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0 and error < 1e-5


@needs_mkl
def test_mpi_ranks_and_their_dataloader_workers_multiply_through_mkl():
    """MKL next to MPI (2 ranks through ``plugtorch run``) and fork-based DataLoader workers
    started after the ranks' own GEMMs."""
    script = Path(__file__).parent / "scripts" / "mkl_ranks.py"
    command = [sys.executable, "-m", "plugtorch.cli", "run", "--nproc-per-node", "2", str(script)]
    env = {**os.environ, _mkl.BLAS_ENV: "mkl"}  # MKL on every CPU vendor
    job = subprocess.run(command, capture_output=True, text=True, timeout=240, env=env)
    assert job.returncode == 0, job.stdout + job.stderr
    assert "[rank0]: mkl ranks ok 0" in job.stdout and "[rank1]: mkl ranks ok 1" in job.stdout


@needs_mkl
def test_lstm_layer_gemms_through_mkl_match_openblas(mkl_nb, calls):
    """The LSTM layer's per-step GEMMs and W_hh's gradient, MKL against the OpenBLAS path."""
    rng = np.random.default_rng(7)
    length, batch, hidden = 5, 3, 8
    x_proj = rng.standard_normal((length, batch, 4 * hidden))
    h0, c0 = rng.standard_normal((2, batch, hidden))
    w_hh = rng.standard_normal((4 * hidden, hidden))
    grad_y = rng.standard_normal((length + 1, batch, hidden))
    results = []
    for backend in (mkl_nb, NumbaBackend(blas="openblas")):
        y, state = backend.lstm_layer(x_proj, h0, c0, w_hh)
        grads = backend.lstm_layer_backward(grad_y, x_proj, h0, c0, w_hh, y, state)
        results.append((y, *grads))
    for got, want in zip(*results, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert calls["gemm"] >= 2 * length + 1


@needs_mkl
def test_tbb_layer_where_the_tbb_wheel_is_installed():
    try:
        metadata.distribution("tbb")
    except metadata.PackageNotFoundError:
        pytest.skip("the tbb wheel is not installed (the mkl wheel requires it)")
    assert isinstance(LOADED, _mkl.Mkl) and LOADED.threading == "tbb", LOADED
    assert NumbaBackend(blas="mkl").blas.endswith("(TBB threading layer)")


def test_sequential_layer_on_request():
    code = (
        "from plugtorch_numba import NumbaBackend, _mkl\n"
        "b = NumbaBackend(blas='mkl' if isinstance(_mkl.load(), _mkl.Mkl) else None)\n"
        "print(b.blas if b.mkl is None else b.mkl.threading + ' | ' + b.blas)\n"
    )
    env = {**os.environ, _mkl.THREADING_ENV: "sequential"}
    job = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert job.returncode == 0, job.stderr
    if isinstance(LOADED, _mkl.Mkl):
        assert job.stdout.startswith("sequential | Intel MKL"), job.stdout
        assert "split over the backend's threads" in job.stdout


def test_unknown_threading_choice_is_unavailable(monkeypatch):
    monkeypatch.setenv(_mkl.THREADING_ENV, "openmp")
    ok, reason = NumbaBackend().is_available()
    assert not ok and "'tbb' or 'sequential'" in reason and "'openmp'" in reason


@needs_mkl
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_tbb_layer_threads_follow_the_backend(calls, threads):
    if LOADED.threading != "tbb":
        pytest.skip("MKL runs with its sequential layer here")
    seen: list[int] = []
    counted = _counting(LOADED, calls)
    backend = NumbaBackend(blas="mkl")
    backend.mkl = _mkl.Mkl(
        *(counted.path, counted.version, counted.gemm, counted.gemm_batch, "tbb"),
        lambda n: seen.append(n) or LOADED.set_threads(n),
    )
    x = np.random.default_rng(8).standard_normal((400, 300)).astype(np.float32)
    out = np.empty((400, 400), np.float32)
    assert _mkl.gemm_into(backend.mkl, x, x.T, out, threads)
    np.testing.assert_allclose(out, x.astype(np.float64) @ x.T, rtol=1e-4, atol=1e-3)
    assert seen == [threads] and calls["gemm"] == 1  # one call: MKL threads it, no split
