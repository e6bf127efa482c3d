"""What the local runtime can say about how far to trust its figures.

Lambda gives each environment its CPU share with nothing else on the host taking it; a local host
can fall short three ways, and each is counted here: invocations waiting for CPU (admission's
queue: not billed, but a sign the run asked for more than the host has), the hypervisor stealing
CPU time (``steal`` in ``/proc/stat``), and other processes keeping the CPUs busy (host busy time
beyond what the runtime and its environments used).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any

from powertune.local.admission import Stats
from powertune.local.capacity import HostCpus, HostCpuTimes, load_average


@dataclass(frozen=True)
class RuntimeInfo:
    """The runtime's CPU mode, the CPUs it has, and the contention it saw since it started."""

    cpu_mode: str
    available_cpus: float
    cpu_source: str
    lanes: int  # environments per version (the tuner's default concurrency)
    invocations: int
    cold_starts: int
    queued: int  # invocations that waited for CPU share or a warm environment
    queue_wait_ms_total: float
    queue_wait_ms_max: float
    peak_share: float  # the largest sum of CPU shares running at once (<= available_cpus)
    over_host: int  # invocations whose share exceeded the host: they ran alone, short of it
    throttles: int
    steal: float | None  # share of host CPU time stolen by the hypervisor
    other_load_cpus: float | None  # CPUs kept busy by other processes, on average
    load_average: float | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


RUNTIME_PATH = "/_powertune/runtime"  # GET on a local runtime's endpoint: its RuntimeInfo


def fetch_runtime_info(endpoint_url: str, timeout_s: float = 2.0) -> RuntimeInfo | None:
    """Ask a Lambda endpoint whether it is a powertune local runtime and what it has; None for
    anything else (AWS, moto, LocalStack answer 403/404, or nothing)."""
    if not endpoint_url.startswith(("http://", "https://")):
        return None
    try:
        url = endpoint_url.rstrip("/") + RUNTIME_PATH
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            data = json.loads(response.read())
        names = {f.name for f in dataclasses.fields(RuntimeInfo)}
        return RuntimeInfo(**{k: v for k, v in data.items() if k in names})
    except (OSError, ValueError, TypeError, urllib.error.URLError):
        return None


class ContentionMeter:
    """Host CPU counters from the runtime's start, to compare with what it used itself."""

    def __init__(self) -> None:
        self._host = HostCpuTimes.now()
        self._wall = time.monotonic()
        self._own = _own_cpu_s()

    def read(
        self,
        *,
        cpu_mode: str,
        host: HostCpus,
        lanes: int,
        stats: Stats,
        throttles: int,
        env_cpu_s: float,
    ) -> RuntimeInfo:
        steal = other = None
        now = HostCpuTimes.now()
        wall = time.monotonic() - self._wall
        if now is not None and self._host is not None:
            shares = now.since(self._host)
            if shares is not None and wall > 0:
                steal = round(shares[0], 4)
                cpus = os.cpu_count() or 1  # /proc/stat counts every CPU of the host
                busy_cpu_s = shares[1] * wall * cpus
                ours = env_cpu_s + (_own_cpu_s() - self._own)
                other = round(max(busy_cpu_s - ours, 0.0) / wall, 3)
        return RuntimeInfo(
            cpu_mode=cpu_mode,
            available_cpus=host.count,
            cpu_source=host.source,
            lanes=lanes,
            invocations=stats.admitted,
            cold_starts=stats.cold_starts,
            queued=stats.queued,
            queue_wait_ms_total=round(stats.wait_s_total * 1000, 1),
            queue_wait_ms_max=round(stats.wait_s_max * 1000, 1),
            peak_share=round(stats.peak_share, 4),
            over_host=stats.over_host,
            throttles=throttles,
            steal=steal,
            other_load_cpus=other,
            load_average=load_average(),
        )


def _own_cpu_s() -> float:
    times = os.times()
    return times.user + times.system
