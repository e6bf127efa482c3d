"""What an environment's processes may take together, and ending all of them.

A handler may start processes of its own (``subprocess``, ``multiprocessing``, a daemon that
calls ``setsid``). On Lambda they share the sandbox: its memory limit covers them all and they
end with it. Here:

- every worker runs in its own session and process group, and is its descendants' subreaper
  (``_worker.py``), so a child that double-forks stays in its tree;
- with a writable memory cgroup (v1 ``memory`` or v2 ``memory.max``) each environment gets one
  whose limit is the function's memory: the kernel holds every process in it to that, and an
  OOM kill there is reported as Runtime.OutOfMemory; without one, the resident memory of the
  whole tree is polled instead (``tree_rss_bytes``);
- ``kill_tree`` ends the worker's process group, every descendant and every process in its
  cgroups, on every exit path (timeout, OOM, retire, server stop).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import re
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_COUNTER = itertools.count(1)
_OOM_KILL = re.compile(r"^oom_kill (\d+)$", re.MULTILINE)


# --- the process tree -----------------------------------------------------------------------------
def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (via /proc/<pid>/task/<tid>/children; [] elsewhere)."""
    found: list[int] = []
    pending = [pid]
    seen = {pid}
    while pending:
        parent = pending.pop()
        try:
            tids = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{parent}/task/{tid}/children") as children:
                    text = children.read()
            except OSError:
                continue
            for child in text.split():
                number = int(child)
                if number not in seen:
                    seen.add(number)
                    found.append(number)
                    pending.append(number)
    return found


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (0 when it is gone)."""
    with contextlib.suppress(OSError, ValueError), open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return 0


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants."""
    return sum(rss_bytes(p) for p in [pid, *descendants(pid)])


def kill_tree(pid: int, groups: list[Path]) -> None:
    """SIGKILL ``pid``'s process group, its descendants and every process in ``groups``'
    cgroups. The descendants are listed before anything dies (an orphan would leave the tree)."""
    tree = descendants(pid)
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    for member in tree:
        with contextlib.suppress(OSError):
            os.kill(member, signal.SIGKILL)
    kill_members(groups)


def kill_members(groups: list[Path]) -> None:
    """SIGKILL every process in the cgroups ``groups`` (their directories)."""
    for _ in range(3):  # a process forking while we kill: go round again
        members = [p for group in groups for p in _procs(group)]
        if not members:
            return
        for member in members:
            with contextlib.suppress(OSError):
                os.kill(member, signal.SIGKILL)


def _procs(group: Path) -> list[int]:
    with contextlib.suppress(OSError, ValueError):
        return [int(p) for p in (group / "cgroup.procs").read_text().split()]
    return []


# --- the memory cgroup ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Hierarchy:
    version: int
    base: Path


def _memory_hierarchies() -> list[_Hierarchy]:
    own: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for name in controllers.split(",") if controllers else [""]:
                own[name] = path
    found = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) < 4:
                continue
            fstype, mount, options = parts[2], Path(parts[1]), set(parts[3].split(","))
            if fstype == "cgroup" and "memory" in options and "memory" in own:
                found.append(_Hierarchy(1, mount / own["memory"].lstrip("/")))
            elif fstype == "cgroup2" and "" in own:
                with contextlib.suppress(OSError):
                    if "memory" in (mount / "cgroup.controllers").read_text().split():
                        found.append(_Hierarchy(2, mount / own[""].lstrip("/")))
                        if own[""] not in ("", "/"):
                            found.append(_Hierarchy(2, mount))
    return found


class MemoryControl:
    """One memory cgroup per environment, limited to its function's memory, when possible."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._root: Path | None = None
        self._version = 0
        self.reason = "no writable memory cgroup: the process tree's memory is polled"
        for hierarchy in _memory_hierarchies():
            remove_stale_groups(hierarchy.base)
            root = hierarchy.base / f"powertune-local-{os.getpid()}-{next(_COUNTER)}"
            try:
                if hierarchy.version == 2:
                    with contextlib.suppress(OSError):  # may already be on, or not ours to set
                        (hierarchy.base / "cgroup.subtree_control").write_text("+memory")
                root.mkdir()
                if hierarchy.version == 2:
                    (root / "cgroup.subtree_control").write_text("+memory")
                probe = root / "probe"
                probe.mkdir()
                try:
                    _write_limit(probe, hierarchy.version, 128 << 20)
                finally:
                    probe.rmdir()
            except OSError:
                with contextlib.suppress(OSError):
                    root.rmdir()
                continue
            self._root, self._version = root, hierarchy.version
            self.reason = f"memory cgroup v{hierarchy.version} at {root}"
            break

    @property
    def enforced(self) -> bool:
        """Whether the kernel holds each environment to its memory (else: polling)."""
        return self._root is not None

    def new_group(self, memory_mb: int) -> Path | None:
        """A fresh cgroup limited to ``memory_mb``; returns the directory (None: no cgroups)."""
        if self._root is None:
            return None
        group = self._root / f"env-{next(_COUNTER)}"
        group.mkdir()
        try:
            _write_limit(group, self._version, memory_mb << 20)
        except OSError:
            group.rmdir()
            raise
        return group

    def oom_kills(self, group: Path | None) -> int:
        """How many processes the kernel killed in ``group`` for want of memory."""
        if group is None:
            return 0
        name = "memory.oom_control" if self._version == 1 else "memory.events"
        with contextlib.suppress(OSError):
            found = _OOM_KILL.search((group / name).read_text())
            return int(found.group(1)) if found else 0
        return 0

    def peak_bytes(self, group: Path | None) -> int:
        """The most the group's processes held at once (0 where the kernel does not say)."""
        if group is None:
            return 0
        name = "memory.max_usage_in_bytes" if self._version == 1 else "memory.peak"
        with contextlib.suppress(OSError, ValueError):
            return int((group / name).read_text())
        return 0

    @staticmethod
    def remove_group(group: Path | None) -> None:
        if group is not None:
            with contextlib.suppress(OSError):
                group.rmdir()

    def close(self) -> None:
        if self._root is None:
            return
        for child in self._root.glob("env-*"):
            kill_members([child])
            rmdir_when_empty(child)
        rmdir_when_empty(self._root)


def rmdir_when_empty(group: Path, wait_s: float = 2.0) -> None:
    """Remove a cgroup once its killed members are gone: a SIGKILLed process leaves the group
    only when the kernel has reaped it, and rmdir fails with EBUSY until then."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY or time.monotonic() >= deadline:
                return
            time.sleep(0.02)


def _write_limit(group: Path, version: int, limit: int) -> None:
    if version == 1:
        (group / "memory.limit_in_bytes").write_text(str(limit))
    else:
        (group / "memory.max").write_text(str(limit))
        with contextlib.suppress(OSError):
            (group / "memory.swap.max").write_text("0")


def remove_stale_groups(base: Path) -> None:
    """Remove the cgroups (CPU or memory) of local runtimes that died without cleaning up (their
    leftover processes are killed first: nothing should outlive the runtime that started it)."""
    with contextlib.suppress(OSError):
        for root in base.glob("powertune-local-*-*"):
            pid = root.name.split("-")[2]
            if not pid.isdigit() or Path(f"/proc/{pid}").exists():
                continue
            for child in root.iterdir():
                if child.is_dir():
                    kill_members([child])
                    rmdir_when_empty(child)
            rmdir_when_empty(root)
