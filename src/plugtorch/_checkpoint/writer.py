"""Writing a checkpoint file atomically, with the user's permissions, leaving no debris.

The bytes go to a temporary file in the target's folder, are flushed to disk, and the file is
renamed over the target: a crash leaves the old file or the new one, never half of one. The
temporary file is created as ``open()`` would create the target (mode 0o666 less the umask;
an existing target keeps its mode). Its name, ``.<target>.<host>.<pid>.<token>.tmp``, says
who wrote it, so a save that was killed (SIGKILL, power loss) is cleaned up by the next save
of the same target: a temporary file whose process is gone (same host), or that is over a day
old, is removed.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import time

__all__ = [
    "STALE_SECONDS",
    "remove_stale_temporaries",
    "temporary_name",
    "write_atomically",
]

STALE_SECONDS = 24 * 3600
_NODE = os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "")
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", _NODE)[:64] or "host"
_SUFFIX = ".tmp"


def temporary_name(path: str) -> str:
    """A fresh temporary path beside ``path`` naming this host and process."""
    folder, base = os.path.split(os.path.abspath(path))
    token = os.urandom(4).hex()
    return os.path.join(folder, f".{base}.{_HOST}.{os.getpid()}.{token}{_SUFFIX}")


def _writer_of(entry: str, base: str) -> tuple[str, int] | None:
    """(host, pid) if ``entry`` is one of our temporary files for ``base``, else None."""
    prefix = f".{base}."
    if not (entry.startswith(prefix) and entry.endswith(_SUFFIX)):
        return None
    parts = entry[len(prefix) : -len(_SUFFIX)].rsplit(".", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not re.fullmatch(r"[0-9a-f]{8}", parts[2]):
        return None
    return parts[0], int(parts[1])


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_stale_temporaries(path: str) -> list[str]:
    """Remove temporary files of ``path`` left by saves that can no longer finish."""
    folder, base = os.path.split(os.path.abspath(path))
    removed: list[str] = []
    try:
        entries = os.listdir(folder)
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        writer = _writer_of(entry, base)
        if writer is None:
            continue
        host, pid = writer
        full = os.path.join(folder, entry)
        try:
            age = now - os.lstat(full).st_mtime
        except OSError:
            continue
        mine = host == _HOST and pid == os.getpid()
        dead = host == _HOST and not mine and not _process_alive(pid)
        if dead or (not mine and age > STALE_SECONDS):
            with contextlib.suppress(OSError):
                os.unlink(full)
                removed.append(full)
    return removed


def _mode_for(path: str) -> int | None:
    """An existing target's permission bits (kept on overwrite), else None."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def write_atomically(path: str, payload: bytes) -> None:
    """Put ``payload`` at ``path`` atomically (see the module docstring)."""
    remove_stale_temporaries(path)
    temporary = temporary_name(path)
    keep_mode = _mode_for(path)
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as stream:
            if keep_mode is not None:
                os.fchmod(stream.fileno(), keep_mode)
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_folder(os.path.dirname(os.path.abspath(path)))


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable; not possible on every platform."""
    try:
        directory = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory)
    except OSError:
        pass
    finally:
        os.close(directory)
