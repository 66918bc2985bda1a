"""Names a package loads on first use (PEP 562), so that importing it stays fast.

A package lists what it loads lazily in one table, ``name -> module``, and forwards its module
``__getattr__`` and ``__dir__`` here::

    _LAZY = LazyNames(__name__, {"nn": "plugtorch.nn", "save": "plugtorch.serialization"})

    def __getattr__(name: str) -> Any:
        return _LAZY.load(name)

    def __dir__() -> list[str]:
        return _LAZY.dir()

A name that is the module itself (``"nn": "plugtorch.nn"``) gives the module; any other gives
the attribute of that name in the module. Python caches a loaded submodule as an attribute of
its package, so only the first access of a submodule comes here.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

__all__ = ["LazyNames"]


class LazyNames:
    """The lazily loaded names of ``package``: ``names`` maps each to the module providing it."""

    __slots__ = ("package", "names")

    def __init__(self, package: str, names: dict[str, str]) -> None:
        self.package = package
        self.names = names

    def load(self, name: str) -> Any:
        """The value of ``package.name``, importing its module now."""
        source = self.names.get(name)
        if source is None:
            raise AttributeError(f"module {self.package!r} has no attribute {name!r}")
        module = importlib.import_module(source)
        return module if source == f"{self.package}.{name}" else getattr(module, name)

    def dir(self) -> list[str]:
        """What ``dir(package)`` lists: its attributes now and the names not loaded yet."""
        return sorted(set(vars(sys.modules[self.package])) | set(self.names))
