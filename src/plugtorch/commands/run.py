"""``plugtorch run --nproc-per-node N script.py args...``: the data-parallel launcher."""

from __future__ import annotations

from plugtorch.distributed.run import add_arguments, run

__all__ = ["add_arguments", "run"]
