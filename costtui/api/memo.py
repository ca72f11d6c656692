"""Answers remembered per snapshot, and the bounded gate in front of the cache.

Between two publishes the cache cannot change, so an answer computed once is the answer: each
request stats the cache file (one syscall); a new (inode, mtime) - a publish replaced the file -
forgets everything remembered for the old one. Identical questions asked while the first is
still being computed wait for that one computation (no stampede after a publish).

Cache queries run on a thread pool behind a fixed number of slots: a request that cannot get a
slot within `queue_wait_seconds` (or finds the queue full) answers 503 with Retry-After at once
rather than queueing for seconds, and a query running past `request_timeout_seconds` answers 503
(its slot stays taken until the thread is done, so the bound holds)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from costtui.cache.snapshots import SnapshotId, SnapshotSource

T = TypeVar("T")
RETRY_AFTER = (("Retry-After", "1"),)


class ApiError(Exception):
    """An answer other than 200; the message names the parameter or the problem."""

    def __init__(self, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers


def size_of(value: Any) -> int:
    if isinstance(value, bytes | str):
        return len(value)
    if isinstance(value, tuple):
        return sum(size_of(item) for item in value) + 8 * len(value)
    return 256


class SnapshotMemo:
    """Remembered values of one snapshot, least recently used first out beyond `budget` bytes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.snapshot: SnapshotId | None = None
        self._values: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0

    def get(self, snapshot: SnapshotId | None, key: Hashable) -> Any | None:
        if snapshot != self.snapshot:
            return None
        found = self._values.get(key)
        if found is None:
            return None
        self._values.move_to_end(key)
        return found[0]

    def put(self, snapshot: SnapshotId, key: Hashable, value: Any) -> None:
        if snapshot != self.snapshot:  # a newer publish: nothing of the old one holds
            self._values.clear()
            self._bytes = 0
            self.snapshot = snapshot
        size = size_of(value)
        if size > self.budget:
            return
        old = self._values.pop(key, None)
        if old is not None:
            self._bytes -= old[1]
        self._values[key] = (value, size)
        self._bytes += size
        while self._bytes > self.budget:
            _, (_, dropped) = self._values.popitem(last=False)
            self._bytes -= dropped


class Answers:
    """Per-snapshot answers over one cache path, computed on a bounded pool."""

    def __init__(self, source: SnapshotSource, *, slots: int, queue: int, queue_wait: float,
                 timeout: float, memo_bytes: int) -> None:
        self.source = source
        self.slots = slots
        self.queue = queue
        self.queue_wait = queue_wait
        self.timeout = timeout
        self.memo = SnapshotMemo(memo_bytes)
        self._executor = ThreadPoolExecutor(slots, thread_name_prefix="costtui-query")
        self._free: asyncio.Semaphore | None = None
        self._waiting = 0
        self._inflight: dict[Hashable, asyncio.Future] = {}

    async def get(self, key: Hashable, compute: Callable[[Any], T], gated: bool = True) -> T:
        """The value of `compute(queries)` on the newest snapshot, remembered under `key`."""
        snapshot = self.source.current_id()
        found = self.memo.get(snapshot, key)
        if found is not None:
            return found
        flight = (snapshot, key)
        running = self._inflight.get(flight)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._inflight[flight] = future
        try:
            pinned, value = await self._run(compute, gated)
            if pinned == self.source.current_id():  # not if a publish landed meanwhile: never file old under new
                self.memo.put(pinned, key, value)
            future.set_result(value)
            return value
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            del self._inflight[flight]

    async def _run(self, compute: Callable[[Any], T], gated: bool) -> tuple[SnapshotId, T]:
        if self._free is None:
            self._free = asyncio.Semaphore(self.slots)
        free = self._free
        if gated:
            await self._acquire(free)
        loop = asyncio.get_running_loop()

        def work() -> tuple[SnapshotId, T]:
            with self.source.session() as (snapshot, queries):
                return snapshot, compute(queries)

        job = self._executor.submit(work)
        if gated:
            job.add_done_callback(lambda _: _call_soon(loop, free.release))
        try:
            return await asyncio.wait_for(asyncio.wrap_future(job), self.timeout)
        except TimeoutError:
            raise ApiError(503, f"the answer took longer than {self.timeout:g} s; retry later or narrow the "
                                "window", RETRY_AFTER) from None

    async def _acquire(self, free: asyncio.Semaphore) -> None:
        if free.locked() and self._waiting >= self.queue:
            raise ApiError(503, "busy: too many cache queries at once; retry shortly", RETRY_AFTER)
        self._waiting += 1
        try:
            await asyncio.wait_for(free.acquire(), self.queue_wait)
        except TimeoutError:
            raise ApiError(503, "busy: too many cache queries at once; retry shortly", RETRY_AFTER) from None
        finally:
            self._waiting -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.source.close()


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], Any]) -> None:
    with contextlib.suppress(RuntimeError):  # the loop is already closed at shutdown
        loop.call_soon_threadsafe(callback)
