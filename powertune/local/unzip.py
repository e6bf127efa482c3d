"""Unpack a deployment package within Lambda's unzipped-size limit.

A zip's headers say how big each file is, but a zip bomb lies there: the sizes are checked from
the entries first (cheap refusal of honest big packages), then counted again while extracting,
so an entry that inflates past what it declared is stopped at the limit, not at the disk's end.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

from powertune.local.errors import invalid
from powertune.local.limits import MAX_UNZIPPED_BYTES, MAX_ZIP_ENTRIES

_CHUNK = 1 << 20


class _TooBig(Exception):
    pass


def _too_big(limit: int) -> Exception:
    return invalid(f"Unzipped size must be smaller than {limit} bytes")


def extract(zip_bytes: bytes, target: Path, limit: int = MAX_UNZIPPED_BYTES) -> None:
    """Unpack ``zip_bytes`` into ``target`` (created; removed again on any failure)."""
    try:
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise invalid(f"Too many files in the deployment package ({len(entries)}).")
            if sum(entry.file_size for entry in entries) >= limit:
                raise _too_big(limit)
            target.mkdir(parents=True)
            left = limit
            for entry in entries:
                left = _extract_one(archive, entry, target, left)
    except _TooBig:
        shutil.rmtree(target, ignore_errors=True)
        raise _too_big(limit) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise invalid(f"Could not unzip uploaded file. {exc}") from exc
    except OSError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise invalid(f"Could not unzip uploaded file. {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise


def _extract_one(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, target: Path, left: int) -> int:
    """Write one entry, counting the bytes it really inflates to; returns the budget left."""
    name = _safe_name(entry.filename)
    if name is None:
        return left
    path = target / name
    if entry.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        return left
    path.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(entry) as source, open(path, "wb") as out:
        while chunk := source.read(min(_CHUNK, left + 1)):
            left -= len(chunk)
            if left < 0:
                raise _TooBig
            out.write(chunk)
    mode = (entry.external_attr >> 16) & 0o777
    if mode:
        path.chmod(mode | 0o600)
    return left


def _safe_name(filename: str) -> str | None:
    """The entry's path inside the package, without absolute parts or ``..`` (None: nothing)."""
    parts = [p for p in filename.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    if parts and len(parts[0]) == 2 and parts[0][1] == ":":  # a drive letter
        parts = parts[1:]
    return "/".join(parts) if parts else None
