"""Run by tests/test_distributed.py on 2 ranks: what happens when rank 1 misbehaves.

argv[1] says how: "raise" (an exception), "exit" (sys.exit(3)), "kill" (SIGKILL), "hang" (never
joins the next collective: it blocks on an event nobody sets), "mix" (asks for another backend),
"ok" (nothing goes wrong).
"""

import datetime
import os
import signal
import sys
import threading

import plugtorch as pt
import plugtorch.distributed as dist

mode = sys.argv[1]
if mode == "mix":
    dist.init_process_group("nccl" if int(os.environ["RANK"]) == 1 else "mpi")
dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=3))
rank = dist.get_rank()
print(f"rank {rank} of {dist.get_world_size()} up")
dist.barrier()
if rank == 1:
    if mode == "raise":
        raise ValueError("rank 1 broke on purpose")
    if mode == "exit":
        sys.exit(3)
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "hang":
        threading.Event().wait()
dist.all_reduce(pt.ones(2))
print(f"rank {rank} done")
