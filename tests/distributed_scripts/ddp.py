"""Run by tests/test_distributed.py on 2 ranks: DistributedDataParallel against one process.

Each rank also trains, by itself, a reference copy of rank 0's initial model on the batches of
all ranks concatenated, and checks that the DDP replica matches it (float32: rtol 1e-5,
atol 1e-6, the room reassociating the sums leaves). Prints "ddp ok" at the end.
"""

import sys

import numpy as np

import plugtorch as pt
import plugtorch.distributed as dist
from plugtorch import nn
from plugtorch.nn.parallel import DistributedDataParallel as DDP

backend = sys.argv[1]
pt.set_backend(backend)
dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
TOL = {"rtol": 1e-5, "atol": 1e-6}


def build(seed):
    pt.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))


def batches(step):
    rng = np.random.default_rng(100 + step)
    x = rng.standard_normal((size * 4, 5)).astype(np.float32)
    y = rng.standard_normal((size * 4, 3)).astype(np.float32)
    return pt.tensor(x), pt.tensor(y)


def close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **TOL)


for cap in (25.0, 0.0001):  # one bucket; one bucket per parameter
    reference = build(0)
    model = DDP(build(rank), bucket_cap_mb=cap)  # rank 1 starts different: DDP broadcasts
    assert len(model.reducer.buckets) == (1 if cap == 25.0 else 4)
    for p, q in zip(model.module.parameters(), reference.parameters()):
        close(p, q)
    opt = pt.optim.SGD(model.parameters(), lr=0.1)
    ref_opt = pt.optim.SGD(reference.parameters(), lr=0.1)
    for step in range(5):
        x, y = batches(step)
        mine = slice(rank * 4, (rank + 1) * 4)
        opt.zero_grad()
        nn.functional.mse_loss(model(x[mine]), y[mine]).backward()
        opt.step()
        ref_opt.zero_grad()
        nn.functional.mse_loss(reference(x), y).backward()
        ref_opt.step()
    for p, q in zip(model.module.parameters(), reference.parameters()):
        close(p, q)

# no_sync: the first micro-batch accumulates locally, the second one (outside no_sync)
# averages the accumulated sum: the gradient of the whole batch (sum loss) divided by size.
reference = build(0)
model = DDP(build(0))
x, y = batches(9)
first, second = slice(rank * 4, rank * 4 + 2), slice(rank * 4 + 2, rank * 4 + 4)
with model.no_sync():
    nn.functional.mse_loss(model(x[first]), y[first], reduction="sum").backward()
nn.functional.mse_loss(model(x[second]), y[second], reduction="sum").backward()
nn.functional.mse_loss(reference(x), y, reduction="sum").backward()
for p, q in zip(model.module.parameters(), reference.parameters()):
    np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy() / size, **TOL)


# find_unused_parameters: rank 1 skips `extra`; `never` is unused everywhere
class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(3, 2)
        self.extra = nn.Linear(2, 2)
        self.never = nn.Linear(2, 2)

    def forward(self, x, use_extra):
        h = self.body(x)
        return self.extra(h) if use_extra else h


pt.manual_seed(1)
model = DDP(Branchy(), find_unused_parameters=True)
x = pt.ones(4, 3) * (rank + 1)
model(x, use_extra=rank == 0).sum().backward()
assert model.module.never.weight.grad is None
extra_grads = [None] * size
dist.all_gather_object(extra_grads, model.module.extra.weight.grad.numpy().tolist())
assert extra_grads[0] == extra_grads[1]
probe = Branchy()
probe.load_state_dict(model.module.state_dict())
probe(pt.ones(4, 3), True).sum().backward()  # rank 0's local gradient of extra; rank 1 adds 0
np.testing.assert_allclose(np.array(extra_grads[0]), probe.extra.weight.grad.numpy() / size, **TOL)

# without find_unused_parameters an unused parameter is reported at the next forward
model = DDP(Branchy())
model(x, use_extra=False).sum().backward()
try:
    model(x, use_extra=False)
except RuntimeError as error:
    assert "extra.weight" in str(error) and "find_unused_parameters=True" in str(error), error
else:
    raise AssertionError("an unused parameter went unnoticed")

assert list(model.state_dict())[0].startswith("module.") and isinstance(model.module, Branchy)
dist.destroy_process_group()
print("ddp ok", backend)
