"""Read a bounded regular file: the one way every input file whose whole content is needed
(a catalog, a payload file, a config-referenced file) is read.

Input files are not trusted: a FIFO would block the open or the read forever, a device
(``/dev/zero``) never ends, a file may be larger than anything sane or grow while it is read, and a
text file may be UTF-16 (Windows exports) rather than UTF-8. So the file is opened without
blocking, refused unless it is a regular file, refused above ``max_bytes`` (checked on its size
and again while reading, in bounded pieces), and its text decoded by its byte-order mark (UTF-8,
UTF-16, UTF-32) or, without one, as UTF-8 or UTF-16 told by where its NUL bytes are; anything
else is refused with a message. This lives in ``pricing`` (the lowest layer) so that pricing and
powertune share it; pricing imports nothing of powertune.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from pathlib import Path

from pricing.errors import PricingError

READ_PIECE = 1 << 20

# Longest first: a UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class FileRefused(PricingError):
    """An input file that is not read: missing, not a regular file, too large, not text.
    Exit code 2 (a bad path or file given by the user); ``ReadFailed`` is 3."""

    exit_code = 2


class ReadFailed(FileRefused):
    """The file exists and is a regular file, but reading it failed (EIO...): exit code 3."""

    exit_code = 3


def sniff_encoding(head: bytes) -> tuple[str, int]:
    """(codec, length of the byte-order mark) of text starting with ``head``.

    A byte-order mark decides. Without one, NUL bytes at every other position of the first
    characters (ASCII text encoded as UTF-16) mean UTF-16 in that byte order; otherwise UTF-8.
    """
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    sample = head[:64]
    sample = sample[: len(sample) // 2 * 2]
    if len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) == len(odd) and even.count(0) == 0:
            return "utf-16-le", 0
        if even.count(0) == len(even) and odd.count(0) == 0:
            return "utf-16-be", 0
    return "utf-8", 0


def decode_text(data: bytes, what: str) -> str:
    """``data`` as text (see ``sniff_encoding``); undecodable bytes are a FileRefused."""
    codec, skip = sniff_encoding(data)
    try:
        return data[skip:].decode(codec)
    except UnicodeDecodeError as exc:
        raise FileRefused(
            f"{what}: not text in UTF-8 or UTF-16/32 with a byte-order mark "
            f"({codec} fails at byte {exc.start + skip}: {exc.reason})"
        ) from None


def read_bounded(path: str | Path, what: str, *, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; anything else is a FileRefused
    (``what`` names the file in the message, for example "pricing catalog")."""
    target = Path(path).expanduser()
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(target, flags | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileRefused(f"no such {what}: {target}") from None
    except IsADirectoryError:
        raise FileRefused(f"{what} {target}: is a directory") from None
    except NotADirectoryError:
        raise FileRefused(f"{what} {target}: a part of the path is not a directory") from None
    except OSError as exc:
        raise FileRefused(f"{what} {target}: cannot open ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise FileRefused(f"{what} {target}: is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(
                f"{what} {target}: not a regular file ({_kind(info.st_mode)}); refused"
            )
        if info.st_size > max_bytes:
            raise FileRefused(f"{what} {target}: larger than {_size(max_bytes)}")
        pieces: list[bytes] = []
        total = 0
        while True:
            piece = os.read(fd, min(READ_PIECE, max_bytes + 1 - total))
            if not piece:
                break
            pieces.append(piece)
            total += len(piece)
            if total > max_bytes:  # it grew while read
                raise FileRefused(f"{what} {target}: larger than {_size(max_bytes)}")
        return b"".join(pieces)
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise FileRefused(f"{what} {target}: is a directory") from None
        raise ReadFailed(f"{what} {target}: cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def read_bounded_text(path: str | Path, what: str, *, max_bytes: int) -> str:
    """``read_bounded``'s bytes decoded as text (see ``decode_text``)."""
    data = read_bounded(path, what, max_bytes=max_bytes)
    return decode_text(data, f"{what} {Path(path).expanduser()}")


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def _size(n: int) -> str:
    return f"{n // (1 << 20)} MB" if n >= 1 << 20 else f"{n} bytes"
