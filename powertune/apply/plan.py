"""What apply would change: minimal text edits per file, the changes they make, and the diff."""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


def display(path: Path) -> str:
    """The path as a diff header shows it: relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix().lstrip("/")


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` with ``new`` (offsets into the file's decoded text)."""

    start: int
    end: int
    new: str


@dataclass(frozen=True)
class Change:
    """One function's memory in one file: ``old`` None means the setting is added (inherited)."""

    function: str
    where: str  # resource id, address or function key
    path: str
    line: int  # 1-based
    old: int | None
    new: int
    note: str = ""
    context: str = ""  # the recommendation: confidence, tie-band reason, the gate's verdict

    def describe(self) -> str:
        was = "inherited" if self.old is None else f"{self.old} MB"
        text = f"{self.path}:{self.line}: {self.where}: {was} -> {self.new} MB"
        return f"{text} ({self.note})" if self.note else text


@dataclass
class FilePlan:
    """The edits for one file, kept with the exact text they apply to."""

    path: Path
    original: str
    edits: list[Edit] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def new_text(self) -> str:
        text = self.original
        for edit in sorted(self.edits, key=lambda e: e.start, reverse=True):
            text = text[: edit.start] + edit.new + text[edit.end :]
        return text

    @property
    def changed(self) -> bool:
        return self.new_text() != self.original

    def diff(self) -> str:
        before = self.original.splitlines(keepends=True)
        after = self.new_text().splitlines(keepends=True)
        shown = display(self.path)
        lines = difflib.unified_diff(before, after, f"a/{shown}", f"b/{shown}")
        out = []
        for line in lines:
            if not line.endswith("\n"):
                line += "\n\\ No newline at end of file\n"
            out.append(line)
        return "".join(out)

    def write(self) -> None:
        """Write atomically (temp file + rename), keeping the file's mode."""
        data = self.new_text().encode("utf-8")
        real = self.path.resolve()  # a symlinked template: change the file, keep the link
        mode = real.stat().st_mode & 0o7777
        # A file nobody may write (chmod a-w) is refused even for root, as an editor would.
        if not os.access(real, os.W_OK) or not mode & 0o222:
            raise PermissionError(13, "permission denied", str(self.path))
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", dir=real.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, mode)
            os.replace(tmp, real)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


@dataclass
class Plan:
    """Everything apply found: per-file edits, suggestions it will not make, unmatched names."""

    files: list[FilePlan] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)  # file:line: what to change by hand
    notes: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # result functions found nowhere
    refused: list[str] = field(default_factory=list)  # matched, but the gate would refuse it

    @property
    def not_applied(self) -> int:
        """Recommendations left undone: by hand, ambiguous, unmatched or refused by the gate."""
        return len(self.suggestions) + len(self.unmatched) + len(self.refused)

    @property
    def changes(self) -> list[Change]:
        return [c for f in self.files for c in f.changes]

    def diff(self) -> str:
        return "".join(f.diff() for f in self.files if f.changed)

    def write(self) -> list[Path]:
        written = []
        for f in self.files:
            if f.changed:
                f.write()
                written.append(f.path)
        return written
