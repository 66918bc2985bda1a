"""plugtorch.distributed, DistributedDataParallel, DistributedSampler and ``plugtorch run``.

The 2-process tests start the scripts in tests/distributed_scripts through the launcher (which
itself goes through MPICH's mpiexec) and check exit codes and output; each script asserts
PyTorch's documented results on every rank. Single-process tests check argument errors, the
sampler's arithmetic and the NCCL group's calls against a fake ``cupy``/``nccl``.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

import plugtorch as pt
import plugtorch.distributed as dist
from plugtorch.distributed import DistributedSampler, ReduceOp

SCRIPTS = os.path.join(os.path.dirname(__file__), "distributed_scripts")
BACKENDS = ["numpy", "numba", "strict"]


def launch(script: str, *args: str, nproc: int = 2) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "plugtorch.cli", "run", "--nproc-per-node", str(nproc)]
    command += [os.path.join(SCRIPTS, script), *args]
    # The scripts' own timeouts are seconds; this one only guards the test run itself.
    return subprocess.run(command, capture_output=True, text=True, timeout=240)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_collective_on_two_ranks(backend):
    job = launch("collectives.py", backend)
    assert job.returncode == 0, job.stdout + job.stderr
    for rank in (0, 1):
        assert f"[rank{rank}]: collectives ok {backend}" in job.stdout


@pytest.mark.parametrize("backend", BACKENDS)
def test_ddp_equals_single_process_training_on_the_concatenated_batch(backend):
    job = launch("ddp.py", backend)
    assert job.returncode == 0, job.stdout + job.stderr
    assert f"[rank0]: ddp ok {backend}" in job.stdout and f"[rank1]: ddp ok {backend}" in job.stdout


@pytest.mark.parametrize(
    ("mode", "code", "message"),
    [
        ("raise", 1, "rank 1 failed: ValueError: rank 1 broke on purpose"),
        ("exit", 3, "rank 1 failed: exited with code 3"),
        ("kill", 9, "rank 1 (pid"),
        ("hang", 1, "not joined by rank 1 (last entered barrier #1)"),
        ("mix", 1, "the ranks asked for different backends (rank 0: 'mpi', rank 1: 'nccl')"),
    ],
)
def test_a_failing_rank_ends_the_job_with_a_message_naming_it(mode, code, message):
    job = launch("faults.py", mode)
    assert job.returncode == code, job.stdout + job.stderr
    assert message in job.stderr, job.stderr
    assert "rank 0 done" not in job.stdout  # nobody went past the failure
    if mode == "raise":  # the rank's own traceback, prefixed, from the script's frame on
        assert '[rank1]:   File "' in job.stderr and "_worker.py" not in job.stderr
    if mode == "hang":  # the timeout was 3 s: the hung rank did not block the job
        assert "did not complete within 0:00:03" in job.stderr


def test_a_killed_rank_is_named_from_its_own_record_not_from_mpis_banner(tmp_path):
    # MPI kills the other ranks with the same signal, and its banner may name any of them (on a
    # fast machine it named rank 0 when rank 1 had killed itself): the rank's watching parent
    # records the death, and that record decides.
    import json

    from plugtorch.distributed.run import _summary

    (tmp_path / "rank0.json").write_text(json.dumps({"rank": 0, "pid": 10, "state": "running"}))
    (tmp_path / "rank1.json").write_text(json.dumps({
        "rank": 1, "pid": 11, "state": "failed", "signal": 9, "code": 9,
        "error": "killed by signal 9", "time": 1.0,
    }))  # fmt: skip
    message, code = _summary(str(tmp_path), 2, killed=[(10, 9), (11, 9)])
    assert code == 9 and message.startswith("rank 1 (pid 11) ended abnormally (signal 9, SIGKILL)")


def test_launcher_success_prefixes_output_and_sets_the_variables():
    job = launch("faults.py", "ok")
    assert job.returncode == 0, job.stderr
    assert "[rank0]: rank 0 of 2 up" in job.stdout and "[rank1]: rank 1 done" in job.stdout
    assert "BAD TERMINATION" not in job.stdout + job.stderr


def test_launcher_rejects_a_missing_script(tmp_path):
    job = launch(str(tmp_path / "nope.py"))
    assert job.returncode == 2 and "no such script" in job.stderr


# --- DistributedSampler --------------------------------------------------------------------
@pytest.mark.parametrize("count", [0, 1, 7, 10, 12])
@pytest.mark.parametrize("replicas", [1, 2, 3, 5])
@pytest.mark.parametrize("shuffle", [False, True])
def test_sampler_partitions_an_epoch_exactly_once(count, replicas, shuffle):
    if count == 0:
        samplers = [DistributedSampler(range(0), replicas, r) for r in range(replicas)]
        assert all(len(s) == 0 and list(s) == [] for s in samplers)
        return
    parts = [list(DistributedSampler(range(count), replicas, r, shuffle=shuffle, seed=3))
             for r in range(replicas)]  # fmt: skip
    per_rank = -(-count // replicas)
    assert all(len(part) == per_rank for part in parts)
    everything = sorted(i for part in parts for i in part)
    assert set(everything) == set(range(count))  # every sample, on some rank
    assert len(everything) - count == per_rank * replicas - count  # only the padding repeats
    dropped = [list(DistributedSampler(range(count), replicas, r, shuffle=shuffle, drop_last=True))
               for r in range(replicas)]  # fmt: skip
    flat = [i for part in dropped for i in part]
    assert len(flat) == len(set(flat)) == (count // replicas) * replicas  # no sample twice


def test_sampler_epochs_and_arguments():
    sampler = DistributedSampler(range(20), num_replicas=2, rank=0, seed=5)
    first = list(sampler)
    assert list(sampler) == first  # same epoch, same order
    sampler.set_epoch(1)
    assert list(sampler) != first
    other = DistributedSampler(range(20), num_replicas=2, rank=1, seed=5)
    assert set(first).isdisjoint(other)
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    from plugtorch.utils.data import DistributedSampler as FromUtils

    assert FromUtils is DistributedSampler


# --- one process: the group of one, and argument errors ------------------------------------
@pytest.fixture
def group():
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=10))
    yield dist
    dist.destroy_process_group()


def test_not_initialized_errors():
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.get_rank()
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.all_reduce(pt.ones(1))


def test_group_of_one_and_argument_errors(group):
    assert dist.is_initialized() and dist.get_backend() == "mpi"
    with pytest.raises(RuntimeError, match="twice"):
        dist.init_process_group("mpi")
    t = pt.tensor([1.0, 2.0])
    dist.all_reduce(t, op=ReduceOp.AVG)
    np.testing.assert_allclose(t.numpy(), [1.0, 2.0])
    with pytest.raises(ValueError, match="AVG needs a floating point"):
        dist.all_reduce(pt.tensor([1, 2]), op=ReduceOp.AVG)
    with pytest.raises(ValueError, match="BAND needs an integer or bool"):
        dist.all_reduce(t, op=ReduceOp.BAND)
    with pytest.raises(TypeError, match="ReduceOp"):
        dist.all_reduce(t, op="sum")
    with pytest.raises(TypeError, match="plugtorch Tensor"):
        dist.all_reduce(np.ones(2))
    with pytest.raises(ValueError, match=r"src=1 is not a rank of this process group \(0 to 0\)"):
        dist.broadcast(t, src=1)
    with pytest.raises(ValueError, match="a list of 1 tensors"):
        dist.all_gather([pt.zeros(2), pt.zeros(2)], t)
    with pytest.raises(ValueError, match="shape"):
        dist.all_gather([pt.zeros(3)], t)
    with pytest.raises(ValueError, match="own rank"):
        dist.send(t, dst=0)
    leaf = pt.ones(2, requires_grad=True)
    dist.all_reduce(leaf)  # collectives bypass autograd, as in PyTorch
    assert leaf.requires_grad and leaf.grad_fn is None


def test_init_checks_arguments_and_environment(monkeypatch):
    with pytest.raises(ValueError, match="unknown distributed backend 'ucc'"):
        dist.init_process_group("ucc")
    with pytest.raises(ValueError, match="init_method='tcp://"):
        dist.init_process_group("mpi", init_method="tcp://10.0.0.1:23456")
    with pytest.raises(TypeError, match="timedelta"):
        dist.init_process_group("mpi", timeout=5)
    monkeypatch.setenv("MASTER_PORT", "http")
    with pytest.raises(ValueError, match="MASTER_PORT='http'"):
        dist.init_process_group("mpi")
    monkeypatch.delenv("MASTER_PORT")
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ValueError, match="WORLD_SIZE=2 in the environment.*plugtorch run"):
        dist.init_process_group("mpi")
    assert not dist.is_initialized()


# --- the NCCL group against a fake cupy / nccl -----------------------------------------------
class _FakeDeviceArray(np.ndarray):
    """A numpy array that answers ``.data.ptr`` as a CuPy array does."""

    @property
    def data(self):  # type: ignore[override]
        return SimpleNamespace(ptr=self.__array_interface__["data"][0])


class _FakeEvent:
    def query(self):
        return True


class _FakeStream:
    ptr = 0x5EED

    def __init__(self, non_blocking=False):
        self.waited = []

    def record(self):
        return _FakeEvent()

    def wait_event(self, event):
        self.waited.append(event)


class _FakeComm:
    def __init__(self, size, unique_id, rank):
        self.args = (size, unique_id, rank)
        self.calls = []

    def check_async_error(self):
        return None

    def __getattr__(self, name):
        return lambda *args: self.calls.append((name, args))


def _fake_modules(calls):
    def wrap(array):
        return np.ascontiguousarray(array).view(_FakeDeviceArray)

    cuda = SimpleNamespace(
        Device=lambda index: SimpleNamespace(use=lambda: calls.append(("device", index))),
        Stream=_FakeStream,
        get_current_stream=lambda: _FakeStream(),
        runtime=SimpleNamespace(getDeviceCount=lambda: 2),
    )
    cupy = SimpleNamespace(
        cuda=cuda,
        ascontiguousarray=wrap,
        empty=lambda shape, dtype: np.empty(shape, dtype).view(_FakeDeviceArray),
        zeros=lambda shape, dtype: np.zeros(shape, dtype).view(_FakeDeviceArray),
        stack=lambda arrays: wrap(np.stack(arrays)),
        concatenate=lambda arrays: wrap(np.concatenate(arrays)),
    )
    nccl = SimpleNamespace(
        get_unique_id=lambda: (1, 2, 3),
        NcclCommunicator=_FakeComm,
        groupStart=lambda: calls.append(("groupStart",)),
        groupEnd=lambda: calls.append(("groupEnd",)),
        NCCL_FLOAT32=7, NCCL_FLOAT64=8, NCCL_INT64=4, NCCL_UINT8=1, NCCL_FLOAT16=6,
        NCCL_INT8=0, NCCL_INT32=2, NCCL_UINT32=3, NCCL_UINT64=5,
        NCCL_SUM=0, NCCL_PROD=1, NCCL_MAX=2, NCCL_MIN=3,
    )  # fmt: skip
    return cupy, nccl


def test_nccl_group_passes_pointers_counts_types_and_ops(group):
    from plugtorch.distributed._init import default_group
    from plugtorch.distributed._nccl_group import NCCLProcessGroup

    calls: list = []
    cupy, nccl = _fake_modules(calls)
    pg = NCCLProcessGroup(default_group(), device_id=1, modules=(cupy, nccl))
    assert calls[0] == ("device", 1) and pg.comm.args == (1, (1, 2, 3), 0)
    send = cupy.ascontiguousarray(np.arange(6, dtype=np.float32))
    recv = cupy.empty((6,), send.dtype)
    pg.all_reduce(pg.begin("all_reduce"), send, recv, ReduceOp.MAX).wait()
    name, args = pg.comm.calls[-1]
    assert name == "allReduce" and args == (send.data.ptr, recv.data.ptr, 6, 7, 2, _FakeStream.ptr)
    pg.all_reduce(pg.begin("all_reduce"), send, recv, ReduceOp.AVG)  # a sum; the core divides
    assert pg.comm.calls[-1][1][4] == nccl.NCCL_SUM
    flags = cupy.ascontiguousarray(np.array([True, False]))
    pg.all_reduce(pg.begin("all_reduce"), flags, flags, ReduceOp.SUM)  # bool: bytes, or = max
    assert pg.comm.calls[-1][1][3:5] == (nccl.NCCL_UINT8, nccl.NCCL_MAX)
    pg.broadcast(pg.begin("broadcast"), send, 0)
    assert pg.comm.calls[-1] == ("broadcast", (send.data.ptr, send.data.ptr, 6, 7, 0, 0x5EED))
    out = cupy.empty((1, 6), send.dtype)
    pg.all_gather(pg.begin("all_gather"), send, out)
    assert pg.comm.calls[-1][0] == "allGather" and pg.comm.calls[-1][1][2] == 6
    small = cupy.empty((6,), send.dtype)
    pg.reduce_scatter(pg.begin("reduce_scatter"), send, small, ReduceOp.SUM)
    assert pg.comm.calls[-1][0] == "reduceScatter" and pg.comm.calls[-1][1][2] == 6
    pg.send("send", send, 0, 0)
    assert ("groupStart",) in calls and pg.comm.calls[-1][0] == "send"
    with pytest.raises(ValueError, match="NCCL has no BAND"):
        pg.all_reduce("x", send, recv, ReduceOp.BAND)
    with pytest.raises(TypeError, match="NCCL has no int16"):
        pg.broadcast("x", cupy.ascontiguousarray(np.zeros(2, np.int16)), 0)
    with pytest.raises(ValueError, match="pass src="):
        pg.recv("recv", send, None, 0)
    with pytest.raises(ValueError, match="needs GPU tensors"):
        pg.check_tensor(pt.ones(2), "tensor")


def test_train_digits_on_two_processes(tmp_path):
    command = [sys.executable, "-m", "plugtorch.cli", "train", "digits", "--nproc", "2"]
    command += ["--epochs", "1", "--limit", "128", "--no-progress", "--json"]
    command += ["--out", str(tmp_path)]
    job = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert job.returncode == 0, job.stdout + job.stderr
    assert '[rank0]:   "processes": 2,' in job.stdout and "[rank1]:" not in job.stdout
    assert (tmp_path / "model.safetensors").exists()
    from plugtorch.training.digits import evaluate_checkpoint

    assert evaluate_checkpoint(str(tmp_path / "model.safetensors"))["test_samples"] > 0


def test_nccl_modules_come_from_the_cuda_backend(monkeypatch):
    """The core imports no cupy: init_process_group('nccl') asks the CUDA backend's runtime."""
    from plugtorch.distributed import _nccl_group

    modules = ("cupy-module", "nccl-module")
    runtime = SimpleNamespace(nccl_modules=lambda: modules)
    backend = SimpleNamespace(name="fakecuda", cuda_runtime=runtime)
    monkeypatch.setattr(_nccl_group, "find_cuda_backend", lambda: (backend, ""))
    assert _nccl_group.load_nccl() == modules and _nccl_group.is_nccl_available()

    backend.cuda_runtime = SimpleNamespace()  # a CUDA backend without NCCL
    with pytest.raises(ModuleNotFoundError, match="'fakecuda' offers no NCCL"):
        _nccl_group.load_nccl()

    def no_library():
        raise ImportError("libnccl.so.2: cannot open shared object file")

    backend.cuda_runtime = SimpleNamespace(nccl_modules=no_library)
    with pytest.raises(ModuleNotFoundError, match="libnccl.so.2.*|pip install"):
        _nccl_group.load_nccl()
    assert not _nccl_group.is_nccl_available()

    monkeypatch.setattr(_nccl_group, "find_cuda_backend", lambda: (None, "no CUDA driver"))
    with pytest.raises(ModuleNotFoundError, match="no CUDA backend: no CUDA driver"):
        _nccl_group.load_nccl()
