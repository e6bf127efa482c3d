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
