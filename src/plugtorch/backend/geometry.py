"""Convolution and pooling geometry, in one place for the core and the backends.

Plain integer arithmetic with no imports, so a backend may use it (it sits beside the protocol,
in the layer backends build on). The core checks the arguments before any backend sees them
(``plugtorch.nn.functional._geometry``): kernel, stride and dilation >= 1, padding >= 0, an
output of at least one element per spatial dimension.

>>> output_size(28, kernel=5, stride=1, padding=2)
28
>>> output_size_2d((28, 28), kernel=(3, 3), stride=(2, 2), padding=(1, 1))
(14, 14)
"""

from __future__ import annotations

from typing import Sequence

__all__ = ["output_size", "output_size_2d"]


def output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Windows along one axis: ``(size + 2 padding - dilation (kernel - 1) - 1) // stride + 1``.

    A window spans ``dilation (kernel - 1) + 1`` elements of the input padded by ``padding`` on
    both sides, and starts every ``stride`` elements (pooling is ``dilation = 1``).
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def output_size_2d(
    size: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int] = (1, 1),
) -> tuple[int, int]:
    """:func:`output_size` for each of the two spatial dimensions ``(H, W)``."""
    return (
        output_size(size[0], kernel[0], stride[0], padding[0], dilation[0]),
        output_size(size[1], kernel[1], stride[1], padding[1], dilation[1]),
    )
