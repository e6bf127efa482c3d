"""How much CPU this process really has, and how much of it the host took away.

``available_cpus``: the CPUs the scheduler lets this process use, not ``os.cpu_count()`` (the
host's count): the affinity mask (``sched_getaffinity``: taskset, cpuset, a container's
``--cpuset-cpus``), bounded by the tightest CPU quota of our cgroup and its ancestors
(v2 ``cpu.max``, v1 ``cpu.cfs_quota_us / cpu.cfs_period_us``: a container's ``--cpus``).

``HostCpuTimes``: the host-wide ``/proc/stat`` counters, so a run can say how much CPU time the
hypervisor stole (``steal``) while it measured.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HostCpus:
    """CPUs this process may use, and where the figure came from."""

    count: float
    source: str  # e.g. "affinity 2 CPUs" or "cgroup v2 cpu.max 150000/100000 (affinity 4)"


def _affinity() -> int:
    getaffinity = getattr(os, "sched_getaffinity", None)
    if getaffinity is not None:
        with contextlib.suppress(OSError):
            return max(len(getaffinity(0)), 1)
    return max(os.cpu_count() or 1, 1)


def _own_paths(proc_root: Path) -> dict[str, str]:
    paths: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in (proc_root / "self/cgroup").read_text().splitlines():
            parts = line.split(":", 2)
            if len(parts) == 3:
                for name in parts[1].split(",") if parts[1] else [""]:
                    paths[name] = parts[2]
    return paths


def _mount_points(proc_root: Path) -> list[tuple[str, Path, set[str]]]:
    found = []
    with contextlib.suppress(OSError):
        for line in (proc_root / "self/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[2] in ("cgroup", "cgroup2"):
                found.append((parts[2], Path(parts[1]), set(parts[3].split(","))))
    return found


def _ancestors(mount: Path, path: str) -> list[Path]:
    """``mount/path`` and each parent up to the mount point (a quota anywhere above binds)."""
    here = mount / path.lstrip("/")
    chain = [here]
    while here != mount and mount in here.parents:
        here = here.parent
        chain.append(here)
    return chain


def _read_quota(group: Path, version: int) -> tuple[int, int] | None:
    """(quota, period) in µs, or None when unlimited or unreadable."""
    try:
        if version == 2:
            quota_text, period_text = (group / "cpu.max").read_text().split()[:2]
            if quota_text == "max":
                return None
            return int(quota_text), int(period_text)
        quota = int((group / "cpu.cfs_quota_us").read_text())
        period = int((group / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return (quota, period) if quota > 0 and period > 0 else None


def cgroup_quota_cpus(proc_root: Path = Path("/proc")) -> tuple[float, str] | None:
    """The tightest CPU quota over our cgroup and its ancestors, in CPUs, with where it is set."""
    own = _own_paths(proc_root)
    best: tuple[float, str] | None = None
    for fstype, mount, options in _mount_points(proc_root):
        if fstype == "cgroup2" and "" in own:
            version, path = 2, own[""]
        elif fstype == "cgroup" and "cpu" in options and "cpu" in own:
            version, path = 1, own["cpu"]
        else:
            continue
        for group in _ancestors(mount, path):
            found = _read_quota(group, version)
            if found is None:
                continue
            cpus = found[0] / found[1]
            if best is None or cpus < best[0]:
                name = "cpu.max" if version == 2 else "cpu.cfs_quota_us"
                best = (cpus, f"cgroup v{version} {name} {found[0]}/{found[1]} at {group}")
    return best


def available_cpus(proc_root: Path = Path("/proc")) -> HostCpus:
    """The CPUs this process can really use: its affinity, bounded by any cgroup quota."""
    affinity = _affinity()
    quota = cgroup_quota_cpus(proc_root)
    if quota is not None and quota[0] < affinity:
        return HostCpus(round(quota[0], 3), f"{quota[1]} (affinity {affinity} CPUs)")
    return HostCpus(float(affinity), f"affinity {affinity} CPUs")


@dataclass(frozen=True)
class HostCpuTimes:
    """Host-wide CPU time counters from ``/proc/stat`` (clock ticks), summed over CPUs."""

    total: int
    idle: int
    steal: int

    @staticmethod
    def now(proc_root: Path = Path("/proc")) -> HostCpuTimes | None:
        try:
            with open(proc_root / "stat") as stat:
                fields = stat.readline().split()
        except OSError:
            return None
        if not fields or fields[0] != "cpu":
            return None
        values = [int(v) for v in fields[1:]]
        # user nice system idle iowait irq softirq steal guest guest_nice: guest time is already
        # counted in user and nice.
        counted = values[:8]
        idle = sum(values[3:5])
        steal = values[7] if len(values) > 7 else 0
        return HostCpuTimes(total=sum(counted), idle=idle, steal=steal)

    def since(self, earlier: HostCpuTimes) -> tuple[float, float] | None:
        """(steal share, busy share) of host CPU time between ``earlier`` and this snapshot."""
        elapsed = self.total - earlier.total
        if elapsed <= 0:
            return None
        steal = (self.steal - earlier.steal) / elapsed
        busy = 1.0 - (self.idle - earlier.idle) / elapsed
        return max(steal, 0.0), min(max(busy, 0.0), 1.0)


def load_average() -> float | None:
    """The host's 1-minute load average (runnable tasks), where the platform has one."""
    with contextlib.suppress(OSError, AttributeError):
        return round(os.getloadavg()[0], 2)
    return None
