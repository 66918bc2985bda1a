"""What a checkpoint holds besides tensor bytes: the object's shape, as JSON, never pickle.

``encode`` turns an object made of tensors, numpy arrays, ``None``, bools, ints, floats, strings,
bytes, dtypes, and lists / tuples / dicts / OrderedDicts of them into a JSON tree in which every
tensor is replaced by a reference to an array stored beside it. ``decode`` checks such a tree
node by node (tags, types, references, depth) and rebuilds the object, so a crafted tree raises
:class:`CheckpointError` and nothing else.

Tags (each a JSON object with exactly these keys):

================================================  ===========================================
``{"__tensor__": name, "device": "cpu", ...}``    a Tensor; optional ``requires_grad``,
                                                  ``parameter`` (bools)
``{"__ndarray__": name}``                         a numpy array
``{"__dict__": [[key, value], ...]}``             a dict (keys: str, int, float, bool, None)
``{"__odict__": [[key, value], ...]}``            an OrderedDict
``{"__tuple__": [...]}``                          a tuple (a JSON list is a list)
``{"__float__": "nan" | "inf" | "-inf"}``         a float JSON cannot spell
``{"__bytes__": base64}``                         bytes
``{"__dtype__": "float32"}``                      a plugtorch dtype
================================================  ===========================================
"""

from __future__ import annotations

import base64
import binascii
import math
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from plugtorch import dtypes
from plugtorch._checkpoint.errors import CheckpointError
from plugtorch.nn.module import Module
from plugtorch.nn.parameter import Parameter
from plugtorch.tensor import Tensor

__all__ = ["MAX_DEPTH", "Decoder", "Encoder"]

MAX_DEPTH = 100
"""Containers nested deeper than this are refused when saving and when loading (a cycle, or a
crafted file meant to exhaust the stack)."""

_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_DTYPES = {dtype.name: dtype for dtype in dtypes.ALL_DTYPES}
_TENSOR_KEYS = frozenset({"__tensor__", "device", "requires_grad", "parameter"})
_WHOLE_OBJECT = (
    "cannot save a whole {kind} object at {path!r}: save its state_dict() instead "
    "(plugtorch.save({name}.state_dict(), f)) and restore it with "
    "{name}.load_state_dict(plugtorch.load(f)); a checkpoint holds tensors and plain values, "
    "never code{extra}"
)


def _is_parameter(value: Tensor) -> bool:
    return isinstance(value, Parameter)


def _whole_object_error(value: Any, path: str) -> CheckpointError:
    is_module = isinstance(value, Module)
    return CheckpointError(
        _WHOLE_OBJECT.format(
            kind="Module" if is_module else type(value).__name__,
            path=path or "the top level",
            name="model" if is_module else "obj",
            extra=(
                " (PyTorch 2.6 and later refuse to load whole pickled modules by default too)"
                if is_module
                else ""
            ),
        )
    )


class Encoder:
    """Builds the JSON tree of one object and collects its arrays (``self.arrays``)."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._names: dict[int, str] = {}  # id(tensor) -> stored name: one copy per object
        self._alive: list[Any] = []  # keeps the ids above meaningful while encoding

    def reserve(self, name: str, value: Any) -> None:
        """Store ``value`` (a tensor or array) under exactly ``name`` if the name is free."""
        if id(value) not in self._names and name not in self.arrays:
            self._store(name, value)

    def encode(self, value: Any, path: str = "", depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise CheckpointError(
                f"cannot save {path!r}: containers nested more than {MAX_DEPTH} levels deep "
                "(or a container that contains itself)"
            )
        if isinstance(value, Tensor):
            node: dict[str, Any] = {"__tensor__": self._name_of(value, path)}
            node["device"] = str(value.device)
            if value.requires_grad:
                node["requires_grad"] = True
            if _is_parameter(value):
                node["parameter"] = True
            return node
        if isinstance(value, np.ndarray):
            return {"__ndarray__": self._name_of(value, path)}
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"__float__": repr(value)}
        if isinstance(value, (np.bool_, np.integer, np.floating)):
            return self.encode(value.item(), path, depth)
        if isinstance(value, (bytes, bytearray)):
            return {"__bytes__": base64.b64encode(bytes(value)).decode("ascii")}
        if isinstance(value, dtypes.DType):
            return {"__dtype__": value.name}
        if isinstance(value, Mapping):
            tag = "__odict__" if isinstance(value, OrderedDict) else "__dict__"
            items = []
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                items.append([self._key(key, path), self.encode(item, child, depth + 1)])
            return {tag: items}
        if isinstance(value, (list, tuple)):
            encoded = [
                self.encode(item, f"{path}.{i}" if path else str(i), depth + 1)
                for i, item in enumerate(value)
            ]
            return encoded if isinstance(value, list) else {"__tuple__": encoded}
        if callable(getattr(value, "state_dict", None)):
            raise _whole_object_error(value, path)
        raise CheckpointError(
            f"cannot save {type(value).__name__} at {path or 'the top level'!r}: a checkpoint "
            "holds tensors, numpy arrays, numbers, strings, bytes, None, dtypes, and "
            "lists/tuples/dicts of them"
        )

    def _key(self, key: Any, path: str) -> Any:
        if key is None or isinstance(key, (bool, int, str)):
            return key
        if isinstance(key, float):
            return key if math.isfinite(key) else {"__float__": repr(key)}
        raise CheckpointError(
            f"cannot save key {key!r} at {path or 'the top level'!r}: keys must be str, int, "
            "float, bool or None"
        )

    def _name_of(self, value: Any, path: str) -> str:
        name = self._names.get(id(value))
        if name is not None:
            return name
        name, suffix = path or "tensor", 1
        while name in self.arrays:  # a dotted path can collide with a real key
            suffix += 1
            name = f"{path}#{suffix}"
        self._store(name, value)
        return name

    def _store(self, name: str, value: Any) -> None:
        self.arrays[name] = _host_array(value, name)
        self._names[id(value)] = name
        self._alive.append(value)


def _host_array(value: Any, name: str) -> np.ndarray:
    array = value.detach().numpy() if isinstance(value, Tensor) else value
    try:
        dtypes.from_numpy_dtype(array.dtype.newbyteorder("="))
    except TypeError as error:
        raise CheckpointError(f"cannot save {name!r}: {error}") from error
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("="))
    # not np.ascontiguousarray: it turns a 0-d array into a 1-d one
    return array if array.flags.c_contiguous else array.copy(order="C")


class Decoder:
    """Rebuilds an object from a JSON tree, checking every node; ``tensor(name, node)`` gives
    the tensor for a reference and ``array(name)`` the numpy array."""

    def __init__(
        self,
        source: str,
        tensor: Callable[[str, Mapping[str, Any]], Any],
        array: Callable[[str], np.ndarray],
    ) -> None:
        self.source = source
        self._tensor = tensor
        self._array = array

    def fail(self, path: str, problem: str) -> CheckpointError:
        where = path or "the top level"
        return CheckpointError(f"{self.source}: corrupt plugtorch metadata at {where}: {problem}")

    def decode(self, node: Any, path: str = "", depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(path, f"nested more than {MAX_DEPTH} levels deep")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(node)]
        if not isinstance(node, dict):
            raise self.fail(path, f"unexpected JSON value of type {type(node).__name__}")
        if "__tensor__" in node:
            return self._decode_tensor(node, path)
        if len(node) != 1:
            raise self.fail(path, f"an object with keys {sorted(node)} is not a known tag")
        ((tag, body),) = node.items()
        if tag in ("__dict__", "__odict__"):
            return self._decode_mapping(tag, body, path, depth)
        if tag == "__tuple__":
            if not isinstance(body, list):
                raise self.fail(path, "__tuple__ must hold a list")
            return tuple(
                self.decode(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(body)
            )
        if tag == "__ndarray__":
            if not isinstance(body, str):
                raise self.fail(path, "__ndarray__ must name an array")
            return self._array(body)
        return self._decode_scalar(tag, body, path)

    def decode_key(self, key: Any, path: str) -> Any:
        if key is None or isinstance(key, (bool, int, float, str)):
            return key
        if isinstance(key, dict) and len(key) == 1 and "__float__" in key:
            return self._decode_scalar("__float__", key["__float__"], path)
        raise self.fail(path, f"a dict key must be str, int, float, bool or None, not {key!r:.60}")

    def _decode_tensor(self, node: dict[str, Any], path: str) -> Any:
        extra = set(node) - _TENSOR_KEYS
        if extra:
            raise self.fail(path, f"unknown keys {sorted(extra)} in a tensor reference")
        name = node["__tensor__"]
        if not isinstance(name, str):
            raise self.fail(path, "__tensor__ must name a tensor")
        if not isinstance(node.get("device", "cpu"), str):
            raise self.fail(path, "a tensor's device must be a string")
        for flag in ("requires_grad", "parameter"):
            if not isinstance(node.get(flag, False), bool):
                raise self.fail(path, f"a tensor's {flag} must be true or false")
        return self._tensor(name, node)

    def _decode_mapping(self, tag: str, body: Any, path: str, depth: int) -> Any:
        if not isinstance(body, list):
            raise self.fail(path, f"{tag} must hold a list of [key, value] pairs")
        result: dict[Any, Any] = OrderedDict() if tag == "__odict__" else {}
        for pair in body:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise self.fail(path, f"{tag} must hold [key, value] pairs")
            key = self.decode_key(pair[0], path)
            child = f"{path}.{key}" if path else str(key)
            result[key] = self.decode(pair[1], child, depth + 1)
        return result

    def _decode_scalar(self, tag: str, body: Any, path: str) -> Any:
        if tag == "__float__":
            if body not in _NON_FINITE:
                raise self.fail(path, f"__float__ must be 'nan', 'inf' or '-inf', not {body!r:.60}")
            return _NON_FINITE[body]
        if tag == "__bytes__":
            if not isinstance(body, str):
                raise self.fail(path, "__bytes__ must hold base64 text")
            try:
                return base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError) as error:
                raise self.fail(path, f"__bytes__ is not valid base64 ({error})") from error
        if tag == "__dtype__":
            found = _DTYPES.get(body) if isinstance(body, str) else None
            if found is None:
                raise self.fail(path, f"unknown dtype {body!r:.60}")
            return found
        raise self.fail(path, f"unknown tag {tag!r:.60}")
