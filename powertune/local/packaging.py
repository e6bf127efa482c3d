"""Zip a handler for CreateFunction, and read ``NAME=PATH:HANDLER`` function specs."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from powertune.errors import InputError

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: same code, same zip, same CodeSha256
_SKIP_DIRS = {"__pycache__", ".git", ".mypy_cache", ".pytest_cache"}
FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
DEFAULT_DIR_HANDLER = "lambda_function.lambda_handler"


def package_function(path: str | Path) -> bytes:
    """A zip of a handler directory (its contents at the zip root) or of a single ``.py`` file."""
    source = Path(path)
    if not source.exists():
        raise InputError(f"no such handler file or directory: {source}")
    if source.is_file():
        files = [(source, source.name)]
    else:
        files = [
            (file, file.relative_to(source).as_posix())
            for file in sorted(source.rglob("*"))
            if file.is_file()
            and not _SKIP_DIRS.intersection(file.relative_to(source).parts)
            and file.suffix != ".pyc"
        ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file, name in files:
            info = zipfile.ZipInfo(name, _FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, file.read_bytes())
    return buffer.getvalue()


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    path: Path
    handler: str


def parse_function_spec(name: str, target: str) -> FunctionSpec:
    """Read ``path/to/dir_or_file.py[:module.handler]`` for function ``name``.

    Without a handler, a file ``x.py`` uses ``x.handler`` and a directory uses
    ``lambda_function.lambda_handler`` (Lambda's console default).
    """
    if not FUNCTION_NAME.match(name):
        raise InputError(f"bad function name {name!r}: use 1-64 letters, digits, - or _")
    path_text, sep, handler = target.rpartition(":")
    if not sep or "/" in handler or handler.endswith(".py"):
        path_text, handler = target, ""
    path = Path(path_text)
    if not path.exists():
        raise InputError(f"no such handler file or directory: {path}")
    if not handler:
        handler = f"{path.stem}.handler" if path.is_file() else DEFAULT_DIR_HANDLER
    if "." not in handler:
        raise InputError(f"bad handler {handler!r} for {name}: expected module.function")
    return FunctionSpec(name, path, handler)


def parse_function_option(option: str) -> FunctionSpec:
    """Read the CLI's ``NAME=PATH[:HANDLER]``."""
    name, sep, target = option.partition("=")
    if not sep or not name or not target:
        raise InputError(f"bad --function {option!r}: expected NAME=PATH[:module.handler]")
    return parse_function_spec(name, target)
