"""plugtorch.distributed on 2 processes: all_reduce bandwidth and DDP step time.

    python benchmarks/bench_distributed.py            # starts itself on 1 and on 2 ranks

1. ``all_reduce`` bus bandwidth against message size (float32, 4 KiB to 64 MiB), next to
   mpi4py's plain ``Allreduce`` on numpy buffers of the same size: the gap is plugtorch's own
   cost (argument checks, the result copy into the tensor, polling the request). Bus bandwidth
   is NCCL-tests' definition, ``bytes / time * 2 (R - 1) / R`` (for R = 2 it equals bytes/time).
2. DistributedDataParallel step time (forward, backward, SGD step) of an MLP with 1.6 M
   parameters (6.3 MB of float32 gradients, batch 64 per rank) on 1 and 2 ranks, with
   ``bucket_cap_mb`` 25 (PyTorch's default: 2 buckets here) and 1 (7 buckets); the step's
   compute alone (the same step inside ``no_sync()``); its communication alone (the bucket
   all-reduces back to back); and the fraction of communication hidden behind backward:
   ``(compute + communication - step) / communication``.

Every process runs with ``OMP_NUM_THREADS=1`` (what ``plugtorch run`` sets for several ranks
on one machine), so 1 and 2 ranks compare one core per rank.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

SIZES = [4 << 10, 64 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20]


def _median_seconds(fn, comm, repeat: int) -> float:
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeat):
        comm.Barrier()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    # every rank's median, the slowest one counts (a collective ends when the last rank ends)
    return float(max(comm.allgather(float(np.median(times)))))


def bandwidth(comm) -> list[dict]:
    import plugtorch as pt
    import plugtorch.distributed as dist

    ranks = comm.Get_size()
    rows = []
    for nbytes in SIZES:
        count = nbytes // 4
        tensor = pt.ones(count)
        send = np.ones(count, dtype=np.float32)
        recv = np.empty_like(send)
        repeat = 30 if nbytes <= (4 << 20) else 8
        ours = _median_seconds(lambda t=tensor: dist.all_reduce(t), comm, repeat)
        plain = _median_seconds(lambda s=send, r=recv: comm.Allreduce(s, r), comm, repeat)
        factor = 2 * (ranks - 1) / ranks
        rows.append({
            "bytes": nbytes,
            "plugtorch_us": ours * 1e6, "mpi4py_us": plain * 1e6,
            "plugtorch_busbw_GBps": nbytes / ours * factor / 1e9,
            "mpi4py_busbw_GBps": nbytes / plain * factor / 1e9,
        })  # fmt: skip
    return rows


def ddp_step(comm, bucket_cap_mb: float) -> dict:
    import plugtorch as pt
    import plugtorch.distributed as dist
    from plugtorch import nn
    from plugtorch.nn.parallel import DistributedDataParallel

    pt.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10)
    )
    plain_model = nn.Sequential(
        nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10)
    )
    ddp = DistributedDataParallel(model, bucket_cap_mb=bucket_cap_mb)
    opt = pt.optim.SGD(ddp.parameters(), lr=1e-3)
    plain_opt = pt.optim.SGD(plain_model.parameters(), lr=1e-3)
    x, y = pt.randn(64, 512), pt.randint(0, 10, (64,))
    loss_fn = nn.CrossEntropyLoss()

    def step() -> None:
        opt.zero_grad()
        loss_fn(ddp(x), y).backward()
        opt.step()

    def compute_only() -> None:
        with ddp.no_sync():
            step()

    def plain_step() -> None:
        plain_opt.zero_grad()
        loss_fn(plain_model(x), y).backward()
        plain_opt.step()

    buckets = [
        np.ones(sum(model_params[i].numel() for i in bucket), dtype=np.float32)
        for model_params in [ddp.reducer.params]
        for bucket in ddp.reducer.buckets
    ]

    def communication_only() -> None:
        works = [dist.all_reduce(pt.from_numpy(b), async_op=True) for b in buckets]
        for work in works:
            work.wait()

    gradient_bytes = sum(b.nbytes for b in buckets)
    step_s = _median_seconds(step, comm, 20)
    compute_s = _median_seconds(compute_only, comm, 20)
    comm_s = _median_seconds(communication_only, comm, 20)
    plain_s = _median_seconds(plain_step, comm, 20)
    hidden = (compute_s + comm_s - step_s) / comm_s if comm_s > 0 else 0.0
    return {
        "ranks": comm.Get_size(),
        "bucket_cap_mb": bucket_cap_mb,
        "buckets": len(buckets),
        "gradient_bytes": gradient_bytes,
        "step_ms": step_s * 1e3,
        "compute_ms": compute_s * 1e3,
        "communication_ms": comm_s * 1e3,
        "plain_model_step_ms": plain_s * 1e3,
        "hidden_fraction": max(0.0, min(1.0, hidden)),
    }


def worker() -> None:
    from mpi4py import MPI

    import plugtorch.distributed as dist

    dist.init_process_group("mpi")
    comm = MPI.COMM_WORLD
    result = {"ddp": [ddp_step(comm, 25.0), ddp_step(comm, 1.0)]}
    if comm.Get_size() > 1:
        result["bandwidth"] = bandwidth(comm)
    if comm.Get_rank() == 0:
        print("RESULT " + json.dumps(result), flush=True)
    dist.destroy_process_group()


def _launch(nproc: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "plugtorch.cli", "run", "--nproc-per-node", str(nproc)]
    command += [os.path.abspath(__file__), "--worker"]
    job = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    for line in job.stdout.splitlines():
        if "RESULT " in line:
            return json.loads(line.split("RESULT ", 1)[1])
    raise RuntimeError(f"benchmark worker failed:\n{job.stdout}\n{job.stderr}")


def main() -> None:
    one, two = _launch(1), _launch(2)
    print("all_reduce, 2 ranks, float32 (median; bus bandwidth = bytes/time for 2 ranks)")
    print(
        f"{'bytes':>10} {'plugtorch us':>13} {'mpi4py us':>10} {'plugtorch GB/s':>15} "
        f"{'mpi4py GB/s':>12}"
    )
    for row in two["bandwidth"]:
        print(
            f"{row['bytes']:>10} {row['plugtorch_us']:>13.1f} {row['mpi4py_us']:>10.1f} "
            f"{row['plugtorch_busbw_GBps']:>15.2f} {row['mpi4py_busbw_GBps']:>12.2f}"
        )
    print("\nDDP step, MLP 512-1024-1024-10, batch 64 per rank, SGD (median ms)")
    print(
        f"{'ranks':>5} {'cap MB':>6} {'step':>8} {'compute':>8} {'comm':>8} {'hidden':>7} "
        f"{'no DDP':>8} {'buckets':>8} {'grad MB':>8}"
    )
    for r in [*one["ddp"], *two["ddp"]]:
        print(
            f"{r['ranks']:>5} {r['bucket_cap_mb']:>6g} {r['step_ms']:>8.2f} "
            f"{r['compute_ms']:>8.2f} {r['communication_ms']:>8.2f} "
            f"{100 * r['hidden_fraction']:>6.0f}% {r['plain_model_step_ms']:>8.2f} "
            f"{r['buckets']:>8} {r['gradient_bytes'] / 1e6:>8.2f}"
        )
    print("\nJSON " + json.dumps({"one": one, "two": two}))


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker()
    else:
        main()
