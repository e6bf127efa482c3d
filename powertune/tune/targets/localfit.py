"""How a run fits itself to a powertune local runtime: the concurrency it runs without
contention, and the runtime's record for the result (CPU mode, CPUs, queue waits, steal), with
the notes that tell a reader how far to trust local figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from powertune.results.model import LocalRuntime

DEFAULT_AWS_CONCURRENCY = 10


def fit_concurrency(
    requested: int | None, lanes: int, cpus: float, note: Callable[[str], None]
) -> int:
    """The local runtime's concurrency: its lanes unless the user asked for more (one warning)."""
    if requested is None:
        return lanes
    if requested > lanes:
        note(
            f"warning: --concurrency {requested} is more than the local runtime runs at once "
            f"without contention ({lanes} on {cpus:g} CPUs): the extra invocations wait "
            "in its queue (not billed, not faster); leave --concurrency out to fit it"
        )
    return requested


def endpoint_runtime(endpoint_url: str | None) -> Any:
    """The runtime record behind ``--endpoint-url`` when that is a powertune local runtime
    (``GET /_powertune/runtime``); None for AWS or anything else."""
    if not endpoint_url:
        return None
    from powertune.local.contention import fetch_runtime_info

    return fetch_runtime_info(endpoint_url)


def trust_notes(info: Any) -> list[str]:
    """What in the runtime's record should make a reader trust its figures less."""
    notes = []
    cpus = info.available_cpus
    if info.other_load_cpus is not None and info.other_load_cpus >= 0.25 * cpus:
        notes.append(
            f"other processes kept {info.other_load_cpus:g} of the {cpus:g} CPUs busy during the "
            "run: CPU-bound durations may be 10-20% off (rerun on a quieter host to check)"
        )
    if info.steal is not None and info.steal >= 0.05:
        notes.append(f"the hypervisor stole {info.steal:.0%} of the host's CPU time")
    if info.over_host:
        notes.append(
            f"{info.over_host} invocations had a CPU share above the host's {cpus:g} CPUs: sizes "
            f"above {int(cpus * 1769)} MB ran short of Lambda's CPU"
        )
    return notes


def local_record(info: Any) -> LocalRuntime:
    """The result's record of the local runtime."""
    return LocalRuntime(
        available_cpus=info.available_cpus,
        cpu_source=info.cpu_source,
        lanes=info.lanes,
        cold_starts=info.cold_starts,
        queued=info.queued,
        queue_wait_ms_total=info.queue_wait_ms_total,
        queue_wait_ms_max=info.queue_wait_ms_max,
        peak_share=info.peak_share,
        over_host=info.over_host,
        steal=info.steal,
        other_load_cpus=info.other_load_cpus,
        load_average=info.load_average,
    )
