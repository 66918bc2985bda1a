"""Array-object methods the array API standard requires and PyTorch's Tensor lacks.

:class:`Tensor` inherits :class:`ArrayAPIMethods`, so ``tensor.py`` stays about PyTorch
semantics. ``plugtorch.array_api`` builds on ``Tensor``, so the methods reach it at call time
through the package root (docs/architecture.md, "Layers").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import plugtorch  # the layers above, at call time: plugtorch.array_api

if TYPE_CHECKING:
    from plugtorch.tensor import Tensor

__all__ = ["ArrayAPIMethods", "SUPPORTED_API_VERSIONS"]

SUPPORTED_API_VERSIONS = ("2021.12", "2022.12", "2023.12", "2024.12", "2025.12")


class ArrayAPIMethods:
    """``__array_namespace__``, ``to_device``, DLPack, bit shifts and the remaining in-place
    operators of the array API standard."""

    __slots__ = ()

    def __array_namespace__(self, /, *, api_version: str | None = None) -> Any:
        """The array API namespace for this tensor: :mod:`plugtorch.array_api`."""
        if api_version is not None and api_version not in SUPPORTED_API_VERSIONS:
            raise ValueError(
                f"unsupported array API version {api_version!r}; plugtorch.array_api follows "
                f"{SUPPORTED_API_VERSIONS[-1]} (and accepts {', '.join(SUPPORTED_API_VERSIONS)})"
            )
        return plugtorch.array_api

    def to_device(self, device: Any, /, *, stream: Any = None) -> Any:
        """This tensor on ``device`` (``x.device`` of another tensor, or a backend's device).

        Moving between backends is differentiable; on the same device it returns ``self``.
        """
        if stream is not None:
            raise ValueError("to_device(): streams are not supported")
        backend = plugtorch.array_api._creation.backend_for_device(device)
        return plugtorch.ops.to_backend(self, backend)  # type: ignore[arg-type]

    def __dlpack__(
        self,
        /,
        *,
        stream: Any = None,
        max_version: tuple[int, int] | None = None,
        dl_device: tuple[Any, int] | None = None,
        copy: bool | None = None,
    ) -> Any:
        """Export through the backend array's own ``__dlpack__`` (zero copy where it can)."""
        data = self._data  # type: ignore[attr-defined]
        if not hasattr(data, "__dlpack__"):
            raise BufferError(
                f"backend {self._backend.name!r} arrays do not support DLPack"  # type: ignore[attr-defined]
            )
        kwargs: dict[str, Any] = {}
        if stream is not None:
            kwargs["stream"] = stream
        if max_version is not None:
            kwargs["max_version"] = max_version
        if dl_device is not None:
            kwargs["dl_device"] = dl_device
        if copy is not None:
            kwargs["copy"] = copy
        return data.__dlpack__(**kwargs)

    def __dlpack_device__(self, /) -> tuple[Any, int]:
        """The DLPack ``(device type, device id)`` of the backend array."""
        data = self._data  # type: ignore[attr-defined]
        if hasattr(data, "__dlpack_device__"):
            return data.__dlpack_device__()
        return (1, 0)  # kDLCPU

    def __complex__(self) -> complex:
        return complex(self.item())  # type: ignore[attr-defined]

    # --- bit shifts (the standard's operators; no PyTorch-style method exists) ---------------
    def __lshift__(self, other: Any, /) -> Any:
        return plugtorch.array_api.bitwise_left_shift(cast("Tensor", self), other)

    def __rlshift__(self, other: Any, /) -> Any:
        return plugtorch.array_api.bitwise_left_shift(other, cast("Tensor", self))

    def __rshift__(self, other: Any, /) -> Any:
        return plugtorch.array_api.bitwise_right_shift(cast("Tensor", self), other)

    def __rrshift__(self, other: Any, /) -> Any:
        return plugtorch.array_api.bitwise_right_shift(other, cast("Tensor", self))

    # --- in-place operators tensor.py does not define (replace the array, keep the dtype) ----
    def __ifloordiv__(self, other: Any, /) -> Any:
        return self._assign(self // other)  # type: ignore[attr-defined,operator]

    def __imod__(self, other: Any, /) -> Any:
        return self._assign(self % other)  # type: ignore[attr-defined,operator]

    def __ipow__(self, other: Any, /) -> Any:
        return self._assign(self**other)  # type: ignore[attr-defined,operator]

    def __imatmul__(self, other: Any, /) -> Any:
        return self._assign(self @ other)  # type: ignore[attr-defined,operator]

    def __iand__(self, other: Any, /) -> Any:
        return self._assign(self & other)  # type: ignore[attr-defined,operator]

    def __ior__(self, other: Any, /) -> Any:
        return self._assign(self | other)  # type: ignore[attr-defined,operator]

    def __ixor__(self, other: Any, /) -> Any:
        return self._assign(self ^ other)  # type: ignore[attr-defined,operator]

    def __ilshift__(self, other: Any, /) -> Any:
        return self._assign(self << other)  # type: ignore[attr-defined,operator]

    def __irshift__(self, other: Any, /) -> Any:
        return self._assign(self >> other)  # type: ignore[attr-defined,operator]
