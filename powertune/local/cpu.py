"""CPU that follows memory, as on Lambda: a real cgroup quota, or a model of one.

``cgroup`` mode: every execution environment gets its own cgroup (v1 ``cpu`` controller or v2
``cpu.max``) whose quota is ``vcpu_share(memory) * period``: at 128 MB a worker may use 7.2% of
one core, at 1,769 MB one core, at 10,240 MB 5.79 cores (bounded by the host's cores). The group
holding them gets the highest scheduler weight, so other busy processes on the host take little
of that share away (a quota is a cap, not a guarantee). The reported duration is the wall time,
but never less than ``cpu_time / share`` (``cgroup_duration_s``): an environment that was idle
starts an invocation with a full period's budget and would otherwise finish up to a period early.

``model`` mode: the handler runs unthrottled. The environment measures its wall time ``W``, its
process CPU time ``C`` (all threads) and the time its busy threads sat runnable waiting for a
host CPU (``Q``, the run-queue delay from ``/proc/<tid>/schedstat``, averaged over the busy
threads: contention from other processes, which Lambda would not have). With the uncontended wall
time ``W' = W - Q``, the observed parallelism is ``p = clamp(C / W', 1, host cores)``; the part of
``W'`` not spent computing (``W' - C / p``, waiting on I/O) is kept as it is, and the computing
part is replayed at Lambda's rate for that memory, ``speedup(memory, p) = min(share, p, visible
cores)`` vCPUs:

    reported = (W' - C / p) + C / speedup(memory, p)

So a single-threaded CPU-bound handler at 128 MB reports 1769/128 = 13.8 times its CPU time, and
above 1,769 MB stops speeding up, while a handler keeping two threads busy speeds up to 3,538 MB
(on a 2-core host: the model cannot observe more parallelism than the host has cores).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from powertune.errors import InputError
from powertune.local.capacity import available_cpus
from powertune.local.sandbox import kill_members, remove_stale_groups
from powertune.models.cpu_share import speedup, vcpu_share

CPU_MODES = ("auto", "cgroup", "model")
# 20 ms: fine-grained enough for short invocations, and 7.2% of it (128 MB) stays above the
# kernel's 1 ms minimum quota.
PERIOD_US = 20_000
_MIN_QUOTA_US = 1_000
# Scheduler weight of the whole group of environments: the kernel's maximum (v1 cpu.shares
# 262144, v2 cpu.weight 10000; a normal process has 1024 / 100), so a busy host still gives them
# the share their quota allows. 8x (the old weight) was not enough: with two helpers' test runs on
# 2 cores, two 1,769 MB environments got 0.5 CPU each. The quota caps what that can take from
# the rest of the host, and admission keeps the sum of quotas within the CPUs.
WEIGHT_V1 = 262144
WEIGHT_V2 = 10000


def model_duration_s(
    wall_s: float,
    cpu_s: float,
    memory_mb: int,
    wait_s: float = 0.0,
    host_cpus: float | None = None,
) -> float:
    """The duration Lambda would take at ``memory_mb`` for work measured unthrottled.

    ``wait_s`` is the run-queue delay (host contention) to take out of ``wall_s``; ``host_cpus``
    the CPUs the process may use (default: ``capacity.available_cpus``).
    """
    cpu_s = max(cpu_s, 0.0)
    host = max(host_cpus if host_cpus is not None else available_cpus().count, 1.0)
    wall_s = max(wall_s - max(wait_s, 0.0), cpu_s / host)
    if wall_s <= 0:
        return 0.0
    parallelism = min(max(cpu_s / wall_s, 1.0), host)
    waiting = max(wall_s - cpu_s / parallelism, 0.0)
    return waiting + cpu_s / speedup(memory_mb, parallelism)


def cgroup_duration_s(wall_s: float, cpu_s: float, memory_mb: int) -> float:
    """The duration of work that ran under a quota: its wall time, but never less than its CPU
    time at the share (``cpu_s / share``), which is as fast as Lambda could have done it.

    A quota is a budget per period, and an environment that was idle starts an invocation with
    a full one: it runs unthrottled until that is spent, so a CPU-bound invocation finishes up
    to one period (20 ms) early, measured 2-7% short at 128-1024 MB for 70 ms of CPU.
    """
    return max(wall_s, max(cpu_s, 0.0) / vcpu_share(memory_mb))


def quota_us(memory_mb: int) -> int:
    """The cgroup CPU quota per ``PERIOD_US`` for ``memory_mb``."""
    return max(round(vcpu_share(memory_mb) * PERIOD_US), _MIN_QUOTA_US)


@dataclass(frozen=True)
class _Hierarchy:
    version: int  # 1 or 2
    base: Path  # the directory our own cgroups go under


def _own_cgroup_paths() -> dict[str, str]:
    """Map of controller name ("" for the v2 unified hierarchy) to our cgroup path."""
    paths: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for name in controllers.split(",") if controllers else [""]:
                paths[name] = path
    return paths


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(fstype, mount point, options) of cgroup mounts."""
    found = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[2] in ("cgroup", "cgroup2"):
                found.append((parts[2], parts[1], set(parts[3].split(","))))
    return found


def _find_hierarchies() -> list[_Hierarchy]:
    own = _own_cgroup_paths()
    candidates = []
    for fstype, mount, options in _mounts():
        if fstype == "cgroup" and "cpu" in options and "cpu" in own:
            candidates.append(_Hierarchy(1, Path(mount) / own["cpu"].lstrip("/")))
        elif fstype == "cgroup2" and "" in own:
            with contextlib.suppress(OSError):
                if "cpu" in (Path(mount) / "cgroup.controllers").read_text().split():
                    # The hierarchy's top first (as root on a systemd host its subtree already
                    # has cpu enabled), then our own cgroup (a delegated subtree).
                    candidates.append(_Hierarchy(2, Path(mount)))
                    own_path = Path(mount) / own[""].lstrip("/")
                    if own_path != Path(mount):
                        candidates.append(_Hierarchy(2, own_path))
    return candidates


_COUNTER = itertools.count(1)


class CpuControl:
    """Creates one throttled cgroup per environment (cgroup mode), or nothing (model mode)."""

    def __init__(self, requested: str = "auto", *, host_cpus: float | None = None) -> None:
        self.host_cpus = host_cpus if host_cpus is not None else available_cpus().count
        if requested not in CPU_MODES:
            raise InputError(f"--cpu must be one of {', '.join(CPU_MODES)}, not {requested!r}")
        self._lock = threading.Lock()
        self._root: Path | None = None
        self._version = 0
        self.reason = ""
        if requested in ("auto", "cgroup"):
            self._root, self._version, self.reason = self._make_root()
            if self._root is None and requested == "cgroup":
                raise InputError(f"--cpu cgroup is not possible here: {self.reason}")
        self.mode = "cgroup" if self._root is not None else "model"
        if self.mode == "model" and not self.reason:
            self.reason = "model requested"

    @staticmethod
    def _make_root() -> tuple[Path | None, int, str]:
        reasons = []
        for hierarchy in _find_hierarchies():
            remove_stale_groups(hierarchy.base)
            root = hierarchy.base / f"powertune-local-{os.getpid()}-{next(_COUNTER)}"
            try:
                if hierarchy.version == 2:
                    _enable_v2_cpu(hierarchy.base)
                root.mkdir()
                if hierarchy.version == 2:
                    _enable_v2_cpu(root)
                _raise_weight(root, hierarchy.version)
                probe = root / "probe"
                probe.mkdir()
                try:
                    _write_quota(probe, hierarchy.version, quota_us(128))
                finally:
                    probe.rmdir()
            except OSError as exc:
                reasons.append(f"cgroup v{hierarchy.version} at {hierarchy.base}: {exc.strerror}")
                with contextlib.suppress(OSError):
                    root.rmdir()
                continue
            return root, hierarchy.version, f"cgroup v{hierarchy.version} cpu quota at {root}"
        return None, 0, "; ".join(reasons) or "no writable cgroup cpu controller"

    def new_group(self, memory_mb: int) -> Path | None:
        """A fresh cgroup limited to ``memory_mb``'s CPU share; returns the procs file to join."""
        if self._root is None:
            return None
        group = self._root / f"env-{next(_COUNTER)}"
        group.mkdir()
        _write_quota(group, self._version, quota_us(memory_mb))
        return group / "cgroup.procs"

    @staticmethod
    def remove_group(procs_file: Path | None) -> None:
        """Remove an environment's cgroup (its process must have exited)."""
        if procs_file is not None:
            with contextlib.suppress(OSError):
                procs_file.parent.rmdir()

    def close(self) -> None:
        if self._root is None:
            return
        for child in self._root.glob("env-*"):
            kill_members([child])  # a handler's process that left its worker's tree
            with contextlib.suppress(OSError):
                child.rmdir()
        with contextlib.suppress(OSError):
            self._root.rmdir()


def _raise_weight(group: Path, version: int) -> None:
    """Favour the environments over other busy processes on the host (best effort): a quota
    caps CPU but cannot guarantee it, and Lambda's share is guaranteed."""
    with contextlib.suppress(OSError):
        if version == 1:
            (group / "cpu.shares").write_text(str(WEIGHT_V1))
        else:
            (group / "cpu.weight").write_text(str(WEIGHT_V2))


def _enable_v2_cpu(group: Path) -> None:
    control = group / "cgroup.subtree_control"
    if "cpu" not in control.read_text().split():
        control.write_text("+cpu")


def _write_quota(group: Path, version: int, quota: int) -> None:
    if version == 1:
        (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (group / "cpu.cfs_quota_us").write_text(str(quota))
    else:
        (group / "cpu.max").write_text(f"{quota} {PERIOD_US}")
