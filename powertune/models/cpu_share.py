"""How Lambda allocates CPU to memory, as a tiny shared model.

Lambda gives a function a CPU share proportional to its memory: one vCPU-equivalent at 1,769 MB,
up to 6 vCPUs at 10,240 MB (Lambda developer guide, "Configuring memory"). Below 1,769 MB the
share is a fraction of one core; above it the extra capacity only helps code that runs on more
than one thread. Community measurements of visible cores: 2 at 128–3008 MB, 3 at 3009–5307,
4 at 5308–7076, 5 at 7077–8845, 6 at 8846–10240.
"""

from __future__ import annotations

MB_PER_VCPU = 1769.0
MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10240
MAX_VCPUS = 6.0

# Upper bounds (inclusive, MB) of the ranges with 2..6 visible cores.
_CORE_STEPS = ((3008, 2), (5307, 3), (7076, 4), (8845, 5), (MAX_MEMORY_MB, 6))


def vcpu_share(memory_mb: float) -> float:
    """CPU capacity in vCPUs at ``memory_mb`` (0.072 at 128 MB, 1.0 at 1,769, 5.79 at 10,240)."""
    return min(memory_mb / MB_PER_VCPU, MAX_VCPUS)


def visible_cores(memory_mb: float) -> int:
    """How many cores the function sees (not how much of them it may use)."""
    for upper, cores in _CORE_STEPS:
        if memory_mb <= upper:
            return cores
    return int(MAX_VCPUS)


def speedup(memory_mb: float, threads: float = 1.0) -> float:
    """Throughput relative to one full vCPU for code running ``threads`` busy threads."""
    return min(vcpu_share(memory_mb), max(threads, 1.0), float(visible_cores(memory_mb)))


def scale_duration(
    duration_ms: float,
    from_mb: float,
    to_mb: float,
    *,
    fixed_fraction: float = 0.0,
    threads: float = 1.0,
) -> float:
    """Estimate the duration at ``to_mb`` from one observed at ``from_mb``.

    ``fixed_fraction`` is the part of the observed duration that does not scale with CPU (waiting
    on I/O); the rest scales with the inverse of the CPU speedup. An estimate only: a tuning run
    measures the real curve.
    """
    if not 0.0 <= fixed_fraction <= 1.0:
        raise ValueError("fixed_fraction must be within [0, 1]")
    fixed = duration_ms * fixed_fraction
    compute = duration_ms - fixed
    ratio = speedup(from_mb, threads) / speedup(to_mb, threads)
    return fixed + compute * ratio
