"""Atomic file writes: every file powertune writes goes through ``write_atomic``.

The text goes to a temporary file in the same directory, is flushed to disk, then renamed over
the target (``os.replace`` is atomic on POSIX and Windows), so a reader sees the old file or the
new one, never half of one; a failed write leaves the previous file as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from powertune.errors import PowertuneError


class WriteFailed(PowertuneError):
    """A file could not be written (exit code 3); the previous file, if any, is intact."""


def make_dir(path: str | Path, *, what: str, mode: int = 0o700) -> Path:
    """``path`` made with its parents (``mode`` for new ones) if missing. A path under a regular
    file, no permission or a read-only disk is WriteFailed naming ``what`` (exit 3)."""
    directory = Path(path)
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=mode)
    except OSError as exc:
        raise WriteFailed(f"cannot use {what} {directory}: {exc.strerror or exc}") from None
    return directory


def write_atomic(path: str | Path, data: str | bytes, *, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically. ``mode`` sets the new file's permissions (the
    default keeps an existing file's, else 0o666 less the umask, as ``open`` would)."""
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    directory = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise WriteFailed(f"cannot write {target}: it is a directory")
    try:
        fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise WriteFailed(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, mode if mode is not None else _default_mode(target))
            os.replace(temp, target)
        except OSError as exc:
            raise WriteFailed(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return target


def _default_mode(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
