"""Event (asynchronous) invocations: a bounded queue served by a few threads.

Lambda accepts an event at once and runs it later. Here the queue holds at most
``MAX_QUEUED_EVENTS`` events and ``MAX_QUEUED_EVENT_BYTES`` of payload, and ``EVENT_WORKERS``
threads take them in arrival order (they would wait for CPU share in admission anyway); beyond
that the caller is told to slow down, so 1,500 events cost a queue entry each, not a thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from powertune.local.limits import EVENT_WORKERS, MAX_QUEUED_EVENT_BYTES, MAX_QUEUED_EVENTS

log = logging.getLogger("powertune.local")

Job = Callable[[], None]


class EventPool:
    """Runs submitted jobs on at most ``workers`` threads, started as they are needed."""

    def __init__(
        self,
        workers: int = EVENT_WORKERS,
        max_queued: int = MAX_QUEUED_EVENTS,
        max_bytes: int = MAX_QUEUED_EVENT_BYTES,
    ) -> None:
        self._workers = workers
        self._max_queued = max_queued
        self._max_bytes = max_bytes
        self._cond = threading.Condition()
        self._queue: deque[tuple[Job, int]] = deque()
        self._bytes = 0
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._closed = False

    def submit(self, job: Job, size: int) -> bool:
        """Queue ``job`` (``size``: its payload bytes); False when the queue is full or closed."""
        with self._cond:
            if self._closed or len(self._queue) >= self._max_queued:
                return False
            if self._queue and self._bytes + size > self._max_bytes:
                return False
            self._queue.append((job, size))
            self._bytes += size
            if self._idle == 0 and len(self._threads) < self._workers:
                thread = threading.Thread(
                    target=self._serve, name=f"event-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            else:
                self._cond.notify()
            return True

    def _serve(self) -> None:
        while True:
            with self._cond:
                self._idle += 1
                while not self._queue and not self._closed:
                    self._cond.wait()
                self._idle -= 1
                if self._closed:
                    return
                job, size = self._queue.popleft()
                self._bytes -= size
            try:
                job()
            except Exception:  # one event's failure must not end the worker
                log.exception("event invocation failed")

    def queued(self) -> int:
        with self._cond:
            return len(self._queue)

    def threads(self) -> int:
        with self._cond:
            return len(self._threads)

    def close(self, timeout_s: float = 5.0) -> None:
        """Drop what is queued (Lambda would retry it; there is no later here), end the threads."""
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._bytes = 0
            self._cond.notify_all()
            threads = list(self._threads)
        end = time.monotonic() + timeout_s  # one wait for all of them, not one each
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(end - time.monotonic(), 0.0))
