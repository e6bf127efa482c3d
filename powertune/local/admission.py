"""Admission by CPU share, and the warm environments each invocation may use.

On Lambda every execution environment gets its CPU share (memory / 1,769 MB of a vCPU, up to 6)
and nothing else on the host takes it. A local host has a few CPUs, so the runtime runs at once
only the invocations whose shares fit in them (sum of shares <= the CPUs this process may use);
the others wait here, in arrival order. The wait is the host's shortfall, not the function's
work: it is never billed and never in the REPORT's Duration (the environment measures only its
own phases).

A share above the whole host (a 10,240 MB function on 2 CPUs) runs alone, with all of it.

Placement (``cpus``, given in cgroup mode): an environment of at most one vCPU runs on one CPU,
chosen so that no CPU holds more than one vCPU of shares (best fit). A CFS quota spread over
two CPUs loses part of each period to the budget left on the CPU it just left (seen here: 512 MB
17% slower than its share on 2 CPUs, within 1% of it on one), which Lambda's one-vCPU-or-less
environments do not. An invocation whose share fits the host but no single CPU waits.

Warm reuse: an admitted invocation takes an idle environment of its version when there is one.
A version has at most ``lanes`` environments (default: one per available CPU); when they are all
busy the next invocation of that version waits for one of them instead of starting cold. With 10
in flight on 2 CPUs Lambda would start 10 environments, but here they could not all run at once
anyway: queueing for a warm one costs only wall time, while every extra environment costs a cold
start (an INIT taken out of the CPU, a measurement lost to it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

_EPS = 1e-9


class Killable(Protocol):
    def kill(self) -> None: ...


E = TypeVar("E", bound=Killable)


@dataclass
class Ticket(Generic[E]):
    """One admitted invocation: its share of the CPUs, and a warm environment (or None: start
    one, the slot is reserved for it)."""

    key: Hashable
    share: float
    env: E | None = None
    wait_s: float = 0.0
    granted: bool = False
    seq: int = 0
    cpu: int | None = None  # the CPU it runs on (placement), None: any of them


@dataclass
class Stats:
    """What admission saw: how often and how long invocations waited for CPU or a warm one."""

    admitted: int = 0
    queued: int = 0  # waited more than a millisecond
    wait_s_total: float = 0.0
    wait_s_max: float = 0.0
    peak_share: float = 0.0
    peak_running: int = 0
    over_host: int = 0  # invocations whose share exceeded the whole host (ran alone, short)
    cold_starts: int = 0
    warm_starts: int = 0


@dataclass
class _Pools(Generic[E]):
    idle: dict[Hashable, list[E]] = field(default_factory=dict)
    count: dict[Hashable, int] = field(default_factory=dict)  # idle + busy + starting


class Scheduler(Generic[E]):
    """Grants CPU share and environments; thread-safe. ``admit`` blocks until granted."""

    def __init__(
        self, capacity: float, lanes: int, max_idle: int = 32, cpus: Sequence[int] = ()
    ) -> None:
        if capacity <= 0 or lanes < 1:
            raise ValueError("capacity must be positive and lanes at least 1")
        self.capacity = capacity
        self._cpu_load: dict[int, float] = dict.fromkeys(cpus, 0.0)  # placement (module doc)
        self.lanes = lanes
        self.max_idle = max_idle
        self._cond = threading.Condition()
        self._waiting: list[Ticket[E]] = []
        self._running = 0.0
        self._running_count = 0
        self._pools: _Pools[E] = _Pools()
        self._retired: set[Hashable] = set()
        self._closed = False
        self._seq = 0
        self.stats = Stats()

    # --- admission -------------------------------------------------------------------------
    def admit(self, key: Hashable, share: float, *, timeout_s: float | None = None) -> Ticket[E]:
        """Wait until ``share`` of the CPUs and an environment slot of ``key`` are free.

        Raises ``Closed`` when the scheduler closes first, ``TimeoutError`` after ``timeout_s``.
        """
        effective = min(share, self.capacity)
        arrived = time.perf_counter()
        with self._cond:
            if self._closed:
                raise Closed
            self._seq += 1
            ticket: Ticket[E] = Ticket(key, effective, seq=self._seq)
            if share > self.capacity + _EPS:
                self.stats.over_host += 1
            self._waiting.append(ticket)
            self._grant()
            deadline = None if timeout_s is None else arrived + timeout_s
            while not ticket.granted:
                if self._closed:
                    self._waiting.remove(ticket)
                    raise Closed
                left = None if deadline is None else deadline - time.perf_counter()
                if left is not None and left <= 0:
                    self._waiting.remove(ticket)
                    self._grant()
                    raise TimeoutError
                self._cond.wait(left)
            ticket.wait_s = time.perf_counter() - arrived
            stats = self.stats
            stats.admitted += 1
            stats.wait_s_total += ticket.wait_s
            stats.wait_s_max = max(stats.wait_s_max, ticket.wait_s)
            if ticket.wait_s > 0.001:
                stats.queued += 1
            if ticket.env is None:
                stats.cold_starts += 1
            else:
                stats.warm_starts += 1
        return ticket

    def _grant(self) -> None:
        """Grant waiters in arrival order while their shares fit. A waiter whose version has a
        free environment slot but no CPU yet holds the line for CPU (a large share is not
        starved by small ones); one waiting for a warm environment of its own version does not.
        """
        granted_any = False
        for ticket in list(self._waiting):
            idle = self._pools.idle.get(ticket.key)
            count = self._pools.count.get(ticket.key, 0)
            if not idle and count >= self.lanes:
                continue  # waits for one of its version's environments
            if self._running_count and self._running + ticket.share > self.capacity + _EPS:
                break
            fits, ticket.cpu = self._place(ticket.share)
            if not fits:
                break  # fits the host, not one CPU: holds the line like a CPU shortfall
            if ticket.cpu is not None:
                self._cpu_load[ticket.cpu] += ticket.share
            self._waiting.remove(ticket)
            if idle:
                ticket.env = idle.pop()  # the most recently used: warmest caches
            else:
                self._pools.count[ticket.key] = count + 1
            self._running += ticket.share
            self._running_count += 1
            self.stats.peak_share = max(self.stats.peak_share, self._running)
            self.stats.peak_running = max(self.stats.peak_running, self._running_count)
            ticket.granted = True
            granted_any = True
        if granted_any:
            self._cond.notify_all()

    def _place(self, share: float) -> tuple[bool, int | None]:
        """(fits, CPU): for a share of at most one vCPU, the fullest CPU it still fits (whole
        CPUs stay free for large shares), or no fit; None when there is no placement (not
        asked, or a share above one vCPU, which runs across CPUs)."""
        if not self._cpu_load or share > 1.0 + _EPS:
            return True, None
        room = [c for c, load in self._cpu_load.items() if load + share <= 1.0 + _EPS]
        if not room:
            return False, None
        return True, max(room, key=lambda c: (self._cpu_load[c], -c))

    def finish(self, ticket: Ticket[E], env: E | None, *, keep: bool) -> list[E]:
        """The invocation is done: free its share; ``env`` goes back to the warm pool when
        ``keep`` (else its slot is freed). Returns environments the caller must kill."""
        doomed: list[E] = []
        with self._cond:
            if ticket.cpu is not None:
                self._cpu_load[ticket.cpu] = max(self._cpu_load[ticket.cpu] - ticket.share, 0.0)
            self._running = max(self._running - ticket.share, 0.0)
            self._running_count -= 1
            if self._running_count == 0:
                self._running = 0.0  # no float drift
                self._cpu_load = dict.fromkeys(self._cpu_load, 0.0)
            if env is not None and keep and not self._closed and ticket.key not in self._retired:
                self._pools.idle.setdefault(ticket.key, []).append(env)
                doomed = self._surplus()
            else:
                self._drop(ticket.key)
                if env is not None:
                    doomed.append(env)
            self._grant()
            self._cond.notify_all()
        return doomed

    def _drop(self, key: Hashable) -> None:
        left = self._pools.count.get(key, 0) - 1
        if left > 0:
            self._pools.count[key] = left
        else:
            self._pools.count.pop(key, None)

    def _surplus(self) -> list[E]:
        """Idle environments beyond ``max_idle``, oldest first, to end."""
        total = sum(len(v) for v in self._pools.idle.values())
        ended: list[E] = []
        for key, envs in list(self._pools.idle.items()):
            while envs and total > self.max_idle:
                ended.append(envs.pop(0))
                self._drop(key)
                total -= 1
        return ended

    def replace_dead(self, ticket: Ticket[E]) -> None:
        """The warm environment handed out had died while idle: the caller starts a new one in
        its slot (counted as a cold start)."""
        with self._cond:
            ticket.env = None
            self.stats.warm_starts -= 1
            self.stats.cold_starts += 1

    # --- pools -----------------------------------------------------------------------------
    def retire(self, match: object) -> list[E]:
        """End the idle environments of the keys ``match(key)`` accepts; busy ones end as they
        finish. Returns the idle ones to kill."""
        doomed: list[E] = []
        with self._cond:
            keys = set(self._pools.idle) | set(self._pools.count)
            for key in keys:
                if match(key):  # type: ignore[operator]
                    self._retired.add(key)
                    for env in self._pools.idle.pop(key, []):
                        doomed.append(env)
                        self._drop(key)
            self._grant()
            self._cond.notify_all()
        return doomed

    def close(self) -> list[E]:
        """Refuse new work, wake every waiter; returns the idle environments to kill."""
        with self._cond:
            self._closed = True
            doomed = [env for envs in self._pools.idle.values() for env in envs]
            self._pools.idle.clear()
            self._cond.notify_all()
        return doomed

    def environment_count(self) -> int:
        with self._cond:
            return sum(self._pools.count.values())

    def idle_count(self) -> int:
        with self._cond:
            return sum(len(v) for v in self._pools.idle.values())

    def snapshot(self) -> Stats:
        with self._cond:
            return Stats(**vars(self.stats))

    def running_share(self) -> float:
        with self._cond:
            return self._running


class Closed(Exception):
    """The scheduler closed (the runtime is shutting down) before the invocation was admitted."""
