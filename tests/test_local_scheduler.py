"""The admission scheduler on its own: order, lanes, and what it hands back."""

from __future__ import annotations

import threading
import time

import pytest

from powertune.local.admission import Closed, Scheduler


class Env:
    def __init__(self, name: str) -> None:
        self.name = name
        self.killed = False

    def kill(self) -> None:
        self.killed = True


def _admit_later(
    scheduler: Scheduler[Env], key: str, share: float, order: list[str]
) -> threading.Thread:
    def run() -> None:
        ticket = scheduler.admit(key, share)
        order.append(key)
        time.sleep(0.05)
        scheduler.finish(ticket, None, keep=False)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _wait_for_waiters(scheduler: Scheduler[Env], count: int) -> None:
    deadline = time.monotonic() + 5
    while len(scheduler._waiting) < count and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(scheduler._waiting) == count


def test_a_large_share_is_not_starved_by_later_small_ones() -> None:
    scheduler: Scheduler[Env] = Scheduler(capacity=1.0, lanes=8)
    small = scheduler.admit("small-0", 0.3)
    order: list[str] = []
    big = _admit_later(scheduler, "big", 1.0, order)
    _wait_for_waiters(scheduler, 1)
    later = _admit_later(scheduler, "small-1", 0.3, order)
    _wait_for_waiters(scheduler, 2)
    assert order == []  # 0.3 more would fit, but the big one came first
    scheduler.finish(small, None, keep=False)
    big.join()
    later.join()
    assert order == ["big", "small-1"]
    assert scheduler.snapshot().peak_share <= 1.0


def test_a_version_waits_for_its_warm_environment_beyond_its_lanes() -> None:
    scheduler: Scheduler[Env] = Scheduler(capacity=4.0, lanes=1)
    first = scheduler.admit("v1", 0.1)
    assert first.env is None  # cold: start one
    got: list[Env | None] = []
    thread = threading.Thread(target=lambda: got.append(scheduler.admit("v1", 0.1).env))
    thread.start()
    _wait_for_waiters(scheduler, 1)  # CPU is free, yet it waits for v1's only environment
    other = scheduler.admit("v2", 0.1)  # another version is not held up
    env = Env("a")
    time.sleep(0.02)
    assert scheduler.finish(first, env, keep=True) == []
    thread.join(5)
    assert got == [env]
    stats = scheduler.snapshot()
    assert (stats.cold_starts, stats.warm_starts, stats.queued) == (2, 1, 1)
    scheduler.finish(other, None, keep=False)


def test_retire_and_close_hand_back_idle_environments() -> None:
    scheduler: Scheduler[Env] = Scheduler(capacity=2.0, lanes=2, max_idle=1)
    tickets = [scheduler.admit(key, 0.5) for key in ("a", "b")]
    envs = [Env("a"), Env("b")]
    assert scheduler.finish(tickets[0], envs[0], keep=True) == []
    assert scheduler.finish(tickets[1], envs[1], keep=True) == [envs[0]]  # over max_idle
    assert scheduler.environment_count() == 1
    assert scheduler.retire(lambda key: key == "b") == [envs[1]]
    assert scheduler.environment_count() == 0
    scheduler.close()
    with pytest.raises(Closed):
        scheduler.admit("a", 0.5)


# -- placement: one vCPU or less on one CPU (cgroup mode) ------------------------------------


def test_shares_of_a_vcpu_or_less_are_placed_on_one_cpu_that_has_room() -> None:
    scheduler: Scheduler[Env] = Scheduler(2.0, lanes=4, cpus=[0, 1])
    a = scheduler.admit("a", 0.6)
    b = scheduler.admit("b", 0.6)
    assert {a.cpu, b.cpu} == {0, 1}  # 0.6 + 0.6 would overfill one CPU
    small = scheduler.admit("c", 0.3)  # best fit: beside one of them, not a CPU of its own
    assert small.cpu in (0, 1)
    # 0.45 more fits the host's 2 CPUs (1.5 + 0.45) but neither CPU (0.9 and 0.6 there): waits
    assert scheduler.running_share() == pytest.approx(1.5)
    order: list[str] = []
    waiter = _admit_later(scheduler, "d", 0.45, order)
    _wait_for_waiters(scheduler, 1)
    assert order == []
    scheduler.finish(a, None, keep=False)
    waiter.join(5)
    assert order == ["d"]
    for ticket in (b, small):
        scheduler.finish(ticket, None, keep=False)


def test_the_fullest_cpu_that_fits_is_chosen_so_whole_cpus_stay_free() -> None:
    scheduler: Scheduler[Env] = Scheduler(2.0, lanes=4, cpus=[0, 1])
    first = scheduler.admit("a", 0.5)
    second = scheduler.admit("b", 0.4)
    assert second.cpu == first.cpu  # packed beside it
    whole = scheduler.admit("c", 1.0)  # a whole vCPU still has a CPU to itself
    assert whole.cpu is not None and whole.cpu != first.cpu
    big = Scheduler[Env](2.0, lanes=4, cpus=[0, 1]).admit("d", 1.7)
    assert big.cpu is None  # above one vCPU: runs across CPUs


def test_without_cpus_nothing_is_placed() -> None:
    scheduler: Scheduler[Env] = Scheduler(2.0, lanes=4)
    tickets = [scheduler.admit(k, 0.6) for k in "abc"]  # 1.8 of 2 CPUs: all run
    assert all(t.cpu is None for t in tickets)
