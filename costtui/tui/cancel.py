"""Stopping a read the dashboard no longer wants: a drill-down read ahead for a row the cursor has
left. Reads run in worker threads beside the keys and hold the GIL while rows become Python objects
(a drill-down's read ~245 ms alone, 520-730 ms beside a busy event loop), so a stale guess slows the
keys pressed meanwhile; stopped, it frees the machine for them."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from costtui.cache.queries import CostQueries


class ReadStopped(Exception):
    """The read was stopped: nobody waits for its result."""


class StopSignal:
    """Shared by the event loop (which may stop a read) and the worker thread (which reads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queries: CostQueries | None = None
        self.stopped = False

    def reading(self, queries: CostQueries) -> None:
        """The worker opened its session: a stop interrupts `queries` from now on."""
        with self._lock:
            self._queries = queries
        self.check()

    def closing(self) -> None:
        """The worker closes its session: no interrupt may reach a closed connection."""
        with self._lock:
            self._queries = None

    def check(self) -> None:
        """Between a read's steps: end here if stopped meanwhile."""
        if self.stopped:
            raise ReadStopped

    def stop(self) -> None:
        """From the event loop: the running query ends at once (DuckDB's interrupt), the read at its
        next step."""
        with self._lock:
            self.stopped = True
            if self._queries is not None:
                self._queries.interrupt()
