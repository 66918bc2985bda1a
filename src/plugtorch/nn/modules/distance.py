"""``CosineSimilarity`` and ``PairwiseDistance`` (module forms of the functions in
``plugtorch.nn.functional``)."""

from __future__ import annotations

from plugtorch.nn import functional as F
from plugtorch.nn.module import Module
from plugtorch.tensor import Tensor

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """Cosine similarity along ``dim``: ``x1 . x2 / (max(||x1||, eps) max(||x2||, eps))``.

    >>> import plugtorch as pt
    >>> CosineSimilarity(dim=0)(pt.tensor([1.0, 0.0]), pt.tensor([0.0, 2.0]))
    tensor(0.)
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``||x1 - x2 + eps||_p`` over the last dimension.

    >>> import plugtorch as pt
    >>> PairwiseDistance(eps=0.0)(pt.tensor([[1.0, 1.0]]), pt.tensor([[4.0, 5.0]]))
    tensor([5.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
