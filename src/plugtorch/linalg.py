"""``torch.linalg``'s norms: :func:`vector_norm` (more of ``torch.linalg`` is in
:mod:`plugtorch.array_api.linalg`, under the array API standard's names).

>>> import plugtorch as pt
>>> pt.linalg.vector_norm(pt.tensor([[3.0, 4.0], [6.0, 8.0]]), dim=1)
tensor([ 5., 10.])
"""

from plugtorch.ops.norms import vector_norm

__all__ = ["vector_norm"]
