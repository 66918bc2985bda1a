"""Run by test_mkl.py on 2 MPI ranks: large GEMMs through MKL on every rank, an all_reduce of
their results, then fork-based DataLoader workers that multiply through MKL again. Prints
"mkl ranks ok" on each rank."""

import numpy as np

import plugtorch as pt
import plugtorch.distributed as dist
from plugtorch.utils.data import DataLoader, Dataset

pt.set_backend("numba")
assert pt.get_backend().mkl is not None, pt.get_backend().blas
dist.init_process_group("mpi")
rank = dist.get_rank()
x = pt.arange(300 * 200, dtype=pt.float64).reshape(300, 200) / 1e4
product = x @ x.T
dist.all_reduce(product)
want = 2 * (x.numpy() @ x.numpy().T)
assert np.allclose(product.numpy(), want, rtol=1e-12), "all_reduce of MKL products"


class Products(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return (x * (i + 1) @ x.T).sum()


loader = DataLoader(Products(), batch_size=2, num_workers=2, multiprocessing_context="fork")
sums = pt.cat([batch for batch in loader]).numpy()
assert np.allclose(sums, np.arange(1, 5) * want.sum() / 2, rtol=1e-10), sums
dist.barrier()
print(f"mkl ranks ok {rank}", flush=True)
dist.destroy_process_group()
