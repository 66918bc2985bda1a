"""Where numba keeps its compiled kernels, decided before numba is imported.

numba reads ``NUMBA_CACHE_DIR`` once, at import. We set it (unless the user already did) to
``<repo>/build/numba-cache`` when this package runs from a source checkout (an editable
install), else to the user cache directory, so a second process loads kernels in milliseconds
instead of compiling them again.

The directory's last part is a digest of this package's sources: numba's cache checks only
the timestamp of the file that defines a kernel, not of the helpers it inlines (the
``_fastmath`` functions every fused kernel uses), so after an edit to a helper it would load
kernels compiled from the old one. A new digest is a fresh cache.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["configure_cache_dir"]


def _repo_build_dir() -> Path | None:
    # src/plugtorch_numba/_cache.py -> backends/numba/src/plugtorch_numba -> repo root is 4 up
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "backends" / "numba").is_dir() and (parent / "pyproject.toml").is_file():
            return parent / "build"
    return None


def _user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "plugtorch" / "numba"


def _sources_digest() -> str:
    digest = hashlib.sha256()
    for source in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def configure_cache_dir() -> str:
    """Set ``NUMBA_CACHE_DIR`` if unset and return the directory numba will use."""
    current = os.environ.get("NUMBA_CACHE_DIR")
    if current:
        return current
    build = _repo_build_dir()
    version = _sources_digest()
    target = (build / "numba-cache" if build is not None else _user_cache_dir()) / version
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError:
        target = _user_cache_dir() / version
        target.mkdir(parents=True, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = str(target)
    return str(target)
