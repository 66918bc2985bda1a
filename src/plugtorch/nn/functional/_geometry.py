"""Checking convolution and pooling arguments, once, before any backend sees them.

Every public conv/pool function (``conv1d conv2d max_pool2d avg_pool2d unfold fold``) reads its
integer arguments through :func:`int_pair` and checks the whole geometry with
:func:`conv2d_geometry`, :func:`pool2d_geometry` or :func:`window_geometry`. A backend's
primitive is therefore only ever called with kernel, stride and dilation >= 1, padding >= 0,
values that fit in int64 and an output of at least one element per spatial dimension; kernels
may rely on that (index arithmetic in unsigned integers, for instance). The messages follow
PyTorch's; the exception types are plugtorch's: ``TypeError`` for a wrong type, ``ValueError``
for a wrong value.
"""

from __future__ import annotations

import operator
from typing import Any, Sequence

from plugtorch.backend.geometry import output_size_2d

__all__ = [
    "Pair",
    "INT64_MAX",
    "int_single",
    "int_pair",
    "conv2d_geometry",
    "pool2d_geometry",
    "window_geometry",
]

Pair = tuple[int, int]
INT64_MAX = 2**63 - 1


def _as_int(value: Any, name: str, function: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{function}(): argument '{name}' must be an int or a pair of ints, "
                        f"got bool")  # fmt: skip
    try:
        number = operator.index(value)  # ints and numpy integers; never floats
    except TypeError:
        raise TypeError(
            f"{function}(): argument '{name}' must be an int or a pair of ints, got "
            f"{type(value).__name__} {value!r}"
        ) from None
    if not -INT64_MAX <= number <= INT64_MAX:
        raise ValueError(f"{function}(): {name} {number} does not fit in a 64-bit integer")
    return number


def int_pair(value: Any, name: str, function: str) -> Pair:
    """``value`` (an int, or a sequence of one or two ints) as a pair of Python ints.

    >>> int_pair(3, "stride", "conv2d")
    (3, 3)
    >>> int_pair((1, 2), "stride", "conv2d")
    (1, 2)
    """
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = [_as_int(v, name, function) for v in value]
        if len(items) == 1:
            return (items[0], items[0])
        if len(items) == 2:
            return (items[0], items[1])
        raise ValueError(
            f"{function}(): {name} must be an int or a sequence of 2 ints, got {tuple(items)}"
        )
    number = _as_int(value, name, function)
    return (number, number)


def int_single(value: Any, name: str, function: str) -> int:
    """``value`` (an int, or a sequence of one int) as a Python int.

    >>> int_single((2,), "stride", "conv1d")
    2
    """
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = [_as_int(v, name, function) for v in value]
        if len(items) != 1:
            raise ValueError(
                f"{function}(): {name} must be an int or a sequence of 1 int, got {tuple(items)}"
            )
        return items[0]
    return _as_int(value, name, function)


def _shape(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _check_positive(pair: Pair, what: str, function: str) -> None:
    if pair[0] < 1 or pair[1] < 1:
        raise ValueError(f"{function}: {what} should be greater than zero, but got {what} {pair}")


def conv2d_geometry(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: Any,
) -> Pair:
    """The output's ``(Ho, Wo)`` of ``conv2d``, after checking every argument as PyTorch does.

    >>> conv2d_geometry((1, 3, 5, 5), (4, 3, 3, 3), (2, 2), (1, 1), (1, 1), 1)
    (3, 3)
    """
    if len(input_shape) != 4:
        raise ValueError(
            "conv2d: expected 3D (unbatched) or 4D (batched) input to conv2d, but got input "
            f"of size: {_shape(input_shape)}"
        )
    if len(weight_shape) != 4:
        raise ValueError(
            "conv2d: expected a 4D weight (out_channels, in_channels/groups, kH, kW), but got "
            f"weight of size: {_shape(weight_shape)}"
        )
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise TypeError(f"conv2d(): argument 'groups' must be an int, got {type(groups).__name__}")
    if groups < 1:
        raise ValueError("conv2d: non-positive groups is not supported")
    if stride[0] < 1 or stride[1] < 1:
        raise ValueError(f"conv2d: non-positive stride is not supported (got stride {stride})")
    if padding[0] < 0 or padding[1] < 0:
        raise ValueError(f"conv2d: negative padding is not supported (got padding {padding})")
    if dilation[0] < 1 or dilation[1] < 1:
        raise ValueError(f"conv2d: dilation should be greater than zero (got dilation {dilation})")
    kernel = (weight_shape[2], weight_shape[3])
    _check_positive(kernel, "kernel size", "conv2d")
    if weight_shape[0] % groups:
        raise ValueError(
            f"conv2d: given groups={groups}, expected weight to be divisible by {groups} at "
            f"dimension 0, but got weight of size {_shape(weight_shape)} instead"
        )
    if input_shape[1] != weight_shape[1] * groups:
        raise ValueError(
            f"conv2d: given groups={groups}, weight of size {_shape(weight_shape)}, expected "
            f"input{_shape(input_shape)} to have {weight_shape[1] * groups} channels, but got "
            f"{input_shape[1]} channels instead"
        )
    padded = (input_shape[2] + 2 * padding[0], input_shape[3] + 2 * padding[1])
    span = (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)
    if padded[0] < span[0] or padded[1] < span[1]:
        raise ValueError(
            f"conv2d: calculated padded input size per channel: ({padded[0]} x {padded[1]}). "
            f"Kernel size: ({span[0]} x {span[1]}). Kernel size can't be greater than actual "
            "input size"
        )
    return output_size_2d(input_shape[2:], kernel, stride, padding, dilation)


def pool2d_geometry(
    function: str,
    input_shape: Sequence[int],
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair = (1, 1),
) -> Pair:
    """The output's ``(Ho, Wo)`` of a 2-D pooling, after PyTorch's checks.

    >>> pool2d_geometry("max_pool2d", (1, 1, 4, 4), (2, 2), (2, 2), (1, 1))
    (3, 3)
    """
    if len(input_shape) != 4 or 0 in input_shape[1:]:
        raise ValueError(
            f"{function}: expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
            f"for input, but got: {_shape(input_shape)}"
        )
    _check_positive(kernel, "kernel size", function)
    _check_positive(stride, "stride", function)
    _check_positive(dilation, "dilation", function)
    if padding[0] < 0 or padding[1] < 0:
        raise ValueError(f"{function}: pad must be non-negative, but got pad: {padding}")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(
            f"{function}: pad should be smaller than or equal to half of kernel size, but got "
            f"padW = {padding[1]}, padH = {padding[0]}, kW = {kernel[1]}, kH = {kernel[0]}"
        )
    out = output_size_2d(input_shape[2:], kernel, stride, padding, dilation)
    if out[0] < 1 or out[1] < 1:
        planes, height, width = input_shape[1:]
        raise ValueError(
            f"{function}: given input size: ({planes}x{height}x{width}). Calculated output "
            f"size: ({planes}x{out[0]}x{out[1]}). Output size is too small"
        )
    return out


def window_geometry(
    function: str, size: Sequence[int], kernel: Pair, stride: Pair, padding: Pair, dilation: Pair
) -> Pair:
    """The number of sliding blocks ``(Ho, Wo)`` of ``unfold``/``fold`` over a plane of
    ``size``, after checking the arguments.

    >>> window_geometry("unfold", (3, 3), (2, 2), (1, 1), (0, 0), (1, 1))
    (2, 2)
    """
    _check_positive(kernel, "kernel size", function)
    _check_positive(stride, "stride", function)
    _check_positive(dilation, "dilation", function)
    if padding[0] < 0 or padding[1] < 0:
        raise ValueError(f"{function}: padding should be non-negative, but got {padding}")
    out = output_size_2d(size, kernel, stride, padding, dilation)
    if out[0] < 1 or out[1] < 1:
        raise ValueError(
            f"{function}: given input with spatial size ({size[0]}, {size[1]}), kernel_size="
            f"{kernel}, dilation={dilation}, padding={padding}, calculated shape of the array of "
            f"sliding blocks as ({out[0]}, {out[1]}), but its components must be at least one"
        )
    return out
