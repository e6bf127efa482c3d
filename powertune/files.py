"""Atomic file writes: every file powertune writes goes through ``write_atomic`` (or, for output
written as it is produced, ``open_atomic``).

The text goes to a temporary file in the same directory, is flushed to disk, then renamed over
the target (``os.replace`` is atomic on POSIX and Windows), so a reader sees the old file or the
new one, never half of one; a failed write leaves the previous file as it was. A target that
already exists and is no regular file (``/dev/null``, ``/dev/stdout``, a FIFO) is written in
place: renaming over a device would replace the device. The path is checked before anything is
written: a missing folder, a folder that is a file, or a target that is a directory is an
``OutputPathError`` (exit 2, the user's path); any other failure (a full disk, EIO) a
``WriteFailed`` (exit 3).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from powertune.errors import PowertuneError


class WriteFailed(PowertuneError):
    """A file could not be written (exit code 3); the previous file, if any, is intact."""


class OutputPathError(WriteFailed):
    """The output path itself is wrong (its folder is missing or is a file, or it names a
    directory): exit code 2, as for any bad path the user gives."""

    exit_code = 2


def check_output_path(path: str | Path) -> Path:
    """``path`` as a Path, once it is one a file can be written at (else OutputPathError)."""
    target = Path(path)
    if target.is_dir():
        raise OutputPathError(f"cannot write {target}: it is a directory")
    directory = target.parent if str(target.parent) else Path(".")
    try:
        info = os.stat(directory)
    except FileNotFoundError:
        raise OutputPathError(f"cannot write {target}: no such directory {directory}") from None
    except NotADirectoryError:
        raise OutputPathError(
            f"cannot write {target}: a part of {directory} is a file, not a directory"
        ) from None
    except OSError as exc:
        raise WriteFailed(f"cannot write {target}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise OutputPathError(f"cannot write {target}: {directory} is a file, not a directory")
    return target


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
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with open_atomic(path, mode=mode) as handle:
        handle.write(payload)
    return Path(path)


@contextlib.contextmanager
def open_atomic(path: str | Path, *, mode: int | None = None) -> Iterator[IO[bytes]]:
    """A binary file to write ``path``'s new content into, as it is produced; on a clean exit
    from the block it replaces ``path`` atomically, on an error the temporary file is removed.
    A write that fails raises WriteFailed (not OSError: the caller's own errors stay theirs)."""
    target = check_output_path(path)
    if _special(target):
        yield from _in_place(target)
        return
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise _failure(target, exc) from None
    try:
        raw = _GuardedFile(fd, target)
        with io.BufferedWriter(raw) as handle:
            yield handle
        try:
            os.chmod(temp, mode if mode is not None else _default_mode(target))
            os.replace(temp, target)
        except OSError as exc:
            raise _failure(target, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _special(target: Path) -> bool:
    """Whether ``target`` exists and is no regular file (a device, a FIFO)."""
    try:
        return not stat.S_ISREG(os.stat(target).st_mode)
    except OSError:
        return False


def _in_place(target: Path) -> Iterator[IO[bytes]]:
    try:
        fd = os.open(target, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _failure(target, exc) from None
    with io.BufferedWriter(_GuardedFile(fd, target, sync=False)) as handle:
        yield handle


class _GuardedFile(io.RawIOBase):
    """A file descriptor whose write, flush and close failures are WriteFailed naming the file;
    it is synced to disk when closed (``sync``), so that a full disk shows before the rename."""

    def __init__(self, fd: int, target: Path, *, sync: bool = True) -> None:
        super().__init__()
        self.fd, self.target, self.sync = fd, target, sync

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:  # any buffer (bytes, memoryview)
        try:
            return os.write(self.fd, data)
        except OSError as exc:
            raise _failure(self.target, exc) from None

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self.sync:
                os.fsync(self.fd)
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.EROFS):  # no fsync on this kind of file
                raise _failure(self.target, exc) from None
        finally:
            os.close(self.fd)
            super().close()


def _failure(target: Path, exc: OSError) -> WriteFailed:
    text = f"cannot write {target}: {exc.strerror or exc}"
    if exc.errno in (errno.ENOTDIR, errno.EISDIR, errno.ENOENT):
        return OutputPathError(text)
    return WriteFailed(text)


def _default_mode(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
