"""Run by tests/test_distributed.py on 2 ranks: every collective against its definition.

Rank r holds values built from r, so each rank can compute the expected result itself. Runs on
the backend named by argv[1]; prints "collectives ok" at the end.
"""

import sys

import numpy as np

import plugtorch as pt
import plugtorch.distributed as dist
from plugtorch.distributed import ReduceOp

backend = sys.argv[1]
dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
assert size == 2, size


def make(values, dtype=pt.float32):
    return pt.tensor(values, dtype=dtype, backend=backend)


def check(tensor, expected):
    np.testing.assert_allclose(tensor.numpy(), np.asarray(expected), rtol=1e-6)


ranks = np.arange(size)
base = np.array([1.0, -2.0, 3.5])
for op, reduce in [
    (ReduceOp.SUM, np.sum),
    (ReduceOp.PRODUCT, np.prod),
    (ReduceOp.MIN, np.min),
    (ReduceOp.MAX, np.max),
    (ReduceOp.AVG, np.mean),
]:
    t = make(base * (rank + 1))
    dist.all_reduce(t, op=op)
    check(t, reduce(np.stack([base * (r + 1) for r in ranks]), axis=0))

t = make([rank + 5, 3 * rank], dtype=pt.int64)
dist.all_reduce(t, op=ReduceOp.BXOR)
check(t, [5 ^ 6, 0 ^ 3])
flags = make([rank == 0, True], dtype=pt.bool)
dist.all_reduce(flags, op=ReduceOp.SUM)  # logical or
check(flags, [True, True])
dist.all_reduce(flags := make([rank == 0, True], dtype=pt.bool), op=ReduceOp.MIN)  # and
check(flags, [False, True])

t = make([10.0 * rank, 1.0])
dist.broadcast(t, src=1)
check(t, [10.0, 1.0])

t = make([rank + 1.0])
dist.reduce(t, dst=0, op=ReduceOp.SUM)
check(t, [3.0] if rank == 0 else [2.0])  # only dst changes

out = [make([0.0, 0.0]) for _ in ranks]
dist.all_gather(out, make([rank, rank + 0.5]))
for r in ranks:
    check(out[r], [r, r + 0.5])
stacked = make(np.zeros((2 * size,)))
dist.all_gather_into_tensor(stacked, make([rank, -rank]))
check(stacked, [0, 0, 1, -1])

o = make([0.0, 0.0])
dist.reduce_scatter(o, [make([i, 10.0 * rank]) for i in ranks])
check(o, [size * rank, 10.0 * sum(ranks)])
o = make([0.0])
dist.reduce_scatter_tensor(o, make([rank + 1.0, 10 * (rank + 1.0)]), op=ReduceOp.MAX)
check(o, [2.0] if rank == 0 else [20.0])

gathered = [make([0.0]) for _ in ranks] if rank == 0 else None
dist.gather(make([rank + 7.0]), gathered, dst=0)
if rank == 0:
    check(gathered[0], [7.0]), check(gathered[1], [8.0])
t = make([0.0, 0.0])
dist.scatter(t, [make([1.0, 2.0]), make([3.0, 4.0])] if rank == 1 else None, src=1)
check(t, [1.0, 2.0] if rank == 0 else [3.0, 4.0])

objects = [None] * size
dist.all_gather_object(objects, {"rank": rank, "name": f"r{rank}"})
assert objects == [{"rank": r, "name": f"r{r}"} for r in ranks], objects
items = ["from rank 0", 42] if rank == 0 else [None, None]
dist.broadcast_object_list(items, src=0)
assert items == ["from rank 0", 42], items

if rank == 0:
    dist.send(make([42.0, 43.0]), dst=1, tag=3)
    handle = dist.isend(make([7.0]), dst=1)
    handle.wait()
else:
    x = make([0.0, 0.0])
    assert dist.recv(x, tag=3) == 0  # any source: returns the sender
    check(x, [42.0, 43.0])
    y = make([0.0])
    dist.irecv(y, src=0).wait()
    check(y, [7.0])

a, b = make([1.0, 2.0]), make([3.0])
works = [dist.all_reduce(a, async_op=True), dist.all_reduce(b, op=ReduceOp.MAX, async_op=True)]
assert all(w.wait() for w in works) and all(w.is_success() for w in works)
check(a, [2.0, 4.0]), check(b, [3.0])
assert works[0].result()[0] is a
dist.barrier()
dist.barrier(async_op=True).wait()
dist.destroy_process_group()
print("collectives ok", backend)
