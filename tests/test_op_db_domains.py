"""Sample domains of the op database keep central differences away from kinks."""

from __future__ import annotations

import numpy as np

from plugtorch.testing.op_db import BY_NAME, sample_values


def test_distinct_domain_has_no_near_ties() -> None:
    # amax's gradcheck once failed on values 1.19325589 and 1.19325649 (a tie within 1e-6).
    rng = np.random.default_rng(0)
    for shape in [(), (1,), (3, 2), (2, 3, 4, 4), (50,)]:
        values = np.sort(sample_values(rng, shape, "distinct").reshape(-1))
        assert values.shape == (int(np.prod(shape)),)
        assert values.size < 2 or np.min(np.diff(values)) > 0.04
    for name in ("amax", "amin", "max_pool2d"):
        assert BY_NAME[name].domain == "distinct"
