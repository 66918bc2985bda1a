"""Autocast's marks: which ops cast their inputs inside ``plugtorch.autocast(...)``.

PyTorch's "Autocast Op Reference" lists, per device type, the ops that cast their floating
inputs before running: to the autocast dtype (``LOWER``: matrix products, ``linear``,
convolutions), to float32 (``FLOAT32``: the losses, ``prod``) or to the widest input type
(``PROMOTE``: ``cat``, ``stack`` on CPU). :func:`autocast_op` puts that on the op itself, one
line per op, for CPU and CUDA separately (the two lists differ), and keeps it on the function
as ``__autocast__`` so a test compares every mark with PyTorch's lists. Every other op runs in
the dtype of its inputs.

As in PyTorch:

* only floating tensors other than float64 are cast (``_eligible``); an explicit ``dtype=``
  argument turns the casting off for that call;
* inside a marked op autocast is off, so the ops it is built from (the matmul inside
  ``conv2d``'s decomposition, the ``log_softmax`` inside ``cross_entropy``) do not cast again;
* a float32 leaf that requires grad (a weight) is cast to the lower dtype once per region and
  the copy reused (the cast cache, cleared when the outermost region exits); a copy whose graph
  a ``backward()`` has freed since is made again, so a loop of forward and backward passes
  inside one region works.

The state is per thread, as PyTorch's: autocast in one thread never changes another's ops.
``plugtorch.amp.autocast`` switches it.
"""

from __future__ import annotations

import functools
import threading
import weakref
from typing import Any, Callable, TypeVar

from plugtorch import dtypes
from plugtorch.ops._prepare import astype
from plugtorch.tensor import Tensor

__all__ = [
    "STATE",
    "LOWER",
    "FLOAT32",
    "PROMOTE",
    "REFUSE",
    "DEVICE_TYPES",
    "autocast_op",
    "device_type",
]

Function = TypeVar("Function", bound=Callable[..., Any])

LOWER = "lower"
"""PyTorch's "ops that can autocast to" the lower-precision dtype (bfloat16 / float16)."""
FLOAT32 = "float32"
"""PyTorch's "ops that can autocast to float32"."""
PROMOTE = "promote"
"""PyTorch's "ops that promote to the widest input type"."""
REFUSE = "refuse"
"""Raise inside an enabled region (CUDA's ``binary_cross_entropy``: unsafe to autocast)."""

DEVICE_TYPES = ("cpu", "cuda")
_DEFAULT_DTYPES = {"cpu": dtypes.bfloat16, "cuda": dtypes.float16}
_FLOAT32 = dtypes.float32


class AutocastState(threading.local):
    """This thread's autocast settings (each thread starts with PyTorch's defaults)."""

    def __init__(self) -> None:
        self.active: dict[str, dtypes.DType] = {}
        """The autocast dtype of each device type while autocast is enabled there."""
        self.fast_dtypes: dict[str, dtypes.DType] = dict(_DEFAULT_DTYPES)
        """The dtype autocast uses on each device type (``get_autocast_dtype``)."""
        self.cache_enabled = True
        self.nesting = 0
        """How many autocast regions are open; leaving the last one clears the cache."""
        self.cache: dict[int, tuple[Any, Tensor]] = {}
        """id(weight) -> (weak reference to it, its low-precision copy)."""


STATE = AutocastState()


def device_type(tensor: Tensor) -> str:
    """``"cuda"`` for tensors in CUDA memory, else ``"cpu"`` (autocast's device types)."""
    return "cuda" if tensor._backend.capabilities.devices[0].startswith("cuda") else "cpu"


def autocast_op(*, cpu: str | None, cuda: str | None) -> Callable[[Function], Function]:
    """Mark an op of PyTorch's autocast lists: its policy on CPU and on CUDA (``LOWER``,
    ``FLOAT32``, ``PROMOTE``, ``REFUSE`` or ``None`` where that device's list omits it).

    Outside an autocast region the mark costs one attribute test per call.
    """
    policies = {"cpu": cpu, "cuda": cuda}

    def decorate(function: Function) -> Function:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            if not STATE.active or kwargs.get("dtype") is not None:
                return function(*args, **kwargs)
            return _autocast_call(function, policies, args, kwargs)

        run.__autocast__ = policies  # type: ignore[attr-defined]
        return run  # type: ignore[return-value]

    return decorate


def _eligible(value: Any) -> bool:
    """Autocast casts floating tensors other than float64 (PyTorch's eligibility rule)."""
    return (
        isinstance(value, Tensor)
        and value._dtype.is_floating_point
        and value._dtype is not dtypes.float64
    )


def _eligible_tensors(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Tensor]:
    found: list[Tensor] = []
    for value in (*args, *kwargs.values()):
        if _eligible(value):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            found.extend(v for v in value if _eligible(v))
    return found


def _autocast_call(
    function: Callable[..., Any],
    policies: dict[str, str | None],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    tensors = _eligible_tensors(args, kwargs)
    device = device_type(tensors[0]) if tensors else None
    target = STATE.active.get(device) if device is not None else None
    policy = policies[device] if device is not None else None
    if target is None or policy is None:
        return function(*args, **kwargs)
    if policy == REFUSE:
        raise RuntimeError(_REFUSED.format(name=function.__name__))
    if policy == FLOAT32:
        target = _FLOAT32
    elif policy == PROMOTE:
        target = _widest(tensors, target)
    name = function.__name__

    def cast(value: Any) -> Any:
        if not _eligible(value) or value._dtype is target or device_type(value) != device:
            return value
        if target not in value._backend.capabilities.dtypes:
            raise _not_held(name, device, target, value._backend)
        return _cached_cast(value, target) if policy == LOWER else astype(value, target)

    args = tuple(_cast_all(a, cast) for a in args)
    kwargs = {k: _cast_all(v, cast) for k, v in kwargs.items()}
    active = STATE.active
    STATE.active = {}  # the op's own parts do not autocast again (PyTorch excludes the key)
    try:
        return function(*args, **kwargs)
    finally:
        STATE.active = active


def _widest(tensors: list[Tensor], lower: dtypes.DType) -> dtypes.DType:
    """PyTorch's ``promote_type``: float32 if any input is float32, else the lower dtype."""
    return _FLOAT32 if any(t._dtype is _FLOAT32 for t in tensors) else lower


def _cast_all(value: Any, cast: Callable[[Any], Any]) -> Any:
    if isinstance(value, (list, tuple)) and any(_eligible(v) for v in value):
        return type(value)(cast(v) for v in value)
    return cast(value)


def _cached_cast(tensor: Tensor, target: dtypes.DType) -> Tensor:
    """A float32 leaf that requires grad (a weight) is cast once per autocast region."""
    if not (
        STATE.cache_enabled
        and tensor._dtype is _FLOAT32
        and tensor.requires_grad
        and tensor._node is None
        and tensor._view is None
    ):
        return astype(tensor, target)
    found = STATE.cache.get(id(tensor))
    if found is not None and found[0]() is tensor and found[1]._dtype is target:
        node = found[1]._node
        if node is None or node.inputs is not None:  # not freed by a backward since
            return found[1]
    cast = astype(tensor, target)
    STATE.cache[id(tensor)] = (weakref.ref(tensor), cast)
    return cast


def _not_held(name: str, device: str, target: dtypes.DType, backend: Any) -> TypeError:
    held = ", ".join(d.name for d in backend.capabilities.dtypes)
    return TypeError(
        f"autocast({device!r}) runs {name} in {target.name}, but backend {backend.name!r} does "
        f"not hold {target.name} (it holds {held}); turn autocast off for this backend "
        f"(autocast({device!r}, enabled=False)) or move the model and inputs to a backend "
        "that holds it (e.g. .to('numpy'))"
    )


_REFUSED = (
    "plugtorch.nn.functional.{name} and plugtorch.nn.BCELoss are unsafe to autocast.\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using "
    "plugtorch.nn.functional.binary_cross_entropy_with_logits\n"
    "or plugtorch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits "
    "are\nsafe to autocast."
)
