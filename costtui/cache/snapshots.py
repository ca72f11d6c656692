"""Long-lived readers (`serve`): one open connection per published snapshot, shared by threads.

Why not `CacheReader.session()` per request: DuckDB keeps one database instance per path per
process while any connection to it is open, so under overlapping requests a reader reconnecting
by path keeps getting the *old* snapshot after a publish (`os.replace`) for as long as requests
overlap - forever under steady load (DuckDB resolves the path, so even /proc/self/fd aliases
share it). Here each snapshot is ATTACHed read-only in a private in-memory instance: a new
snapshot gets a new instance at once, the old one closes when its last query ends, and no
request pays for opening the file."""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from costtui.cache.errors import CacheError, CacheMissing
from costtui.cache.queries import CostQueries
from costtui.cache.reader import open_problem, read_problem, schema_problem, spill_directory
from costtui.cache.schema import READABLE_VERSIONS, read_schema_version

SnapshotId = tuple[int, int]  # (st_ino, st_mtime_ns): a publish replaces the file, so both change


def snapshot_id(path: Path) -> SnapshotId | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


class PinnedSnapshot:
    """One published file kept open read-only; queries run on cursors of its connection."""

    def __init__(self, path: Path, instance: Callable[[], duckdb.DuckDBPyConnection] | None = None,
                 later: Callable[[Callable[[], None]], None] | None = None) -> None:
        self.path = path
        self._instance = instance or new_instance
        self._later = later or (lambda work: work())  # where closing the instance runs
        self._users = 0
        self._retired = False
        self._closed = False
        self._lock = threading.Lock()
        self.id = self._attach()
        try:
            version = read_schema_version(self._con)
        except duckdb.Error as exc:
            self._close()
            raise read_problem(path, exc) or open_problem(path, exc) from None
        if version not in READABLE_VERSIONS:  # as CacheReader: older ones lack only what the next write adds
            self._close()
            raise schema_problem(path, version)

    def _attach(self) -> SnapshotId:
        """Open the file as `snapshot` in a private in-memory instance; the id is the file's as
        opened (stat before and after agree, else a publish raced us: open again)."""
        for _ in range(5):
            before = snapshot_id(self.path)
            if before is None:
                raise CacheMissing(f"{self.path}: no cache yet; run `costtui demo` or `costtui refresh` first")
            con = self._instance()
            try:
                con.execute(f"ATTACH {_sql_literal(self.path)} AS snapshot (READ_ONLY)")
                con.execute("USE snapshot")
            except duckdb.Error as exc:
                con.close()
                if snapshot_id(self.path) is None:
                    continue
                raise open_problem(self.path, exc) from None
            if snapshot_id(self.path) == before:
                self._con = con
                return before
            con.close()
        raise CacheError(f"{self.path}: cannot open cache: it is being replaced continuously")

    def acquire(self) -> None:
        with self._lock:
            self._users += 1

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            last = self._retired and self._users == 0
        if last:
            self._later(self._close)

    @contextmanager
    def queries(self) -> Iterator[CostQueries]:
        """Queries on a cursor of its own (a DuckDB connection is not shared across threads);
        the caller holds a use (`acquire`) meanwhile."""
        cursor = self._con.cursor()
        try:
            cursor.execute("USE snapshot")  # a cursor is a new connection: its own default catalog
            yield CostQueries(cursor)
        except duckdb.Error as exc:  # a corrupt block, a file cut short: one line, never a traceback
            problem = read_problem(self.path, exc)
            if problem is None:
                raise
            raise problem from None
        finally:
            cursor.close()

    def retire(self) -> None:
        """A newer snapshot was published: close once the last running query is done (off the
        requests' path: closing an instance takes up to 100 ms)."""
        with self._lock:
            self._retired = True
            idle = self._users == 0
        if idle:
            self._later(self._close)

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(duckdb.Error):
            self._con.close()


class Chores:
    """Work kept off the requests' path: making or closing a DuckDB instance holds the GIL for tens
    of milliseconds, which the first requests on a new snapshot would wait for. Each job runs a
    moment after it was asked, on one thread; `stop` runs the closes still due and skips the rest."""

    DELAY = 1.0

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[float, Callable[[], None], bool] | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def later(self, work: Callable[[], None], needed: bool = True) -> None:
        """Run `work` in a moment; `needed` (a close) runs even when stopping, else it is skipped."""
        if self._stopping.is_set():
            if needed:
                work()
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="costtui-snapshot-chores", daemon=True)
                self._thread.start()
        self._jobs.put((time.monotonic() + self.DELAY, work, needed))

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            due, work, needed = job
            self._stopping.wait(max(0.0, due - time.monotonic()))
            if needed or not self._stopping.is_set():
                with contextlib.suppress(Exception):
                    work()

    def stop(self) -> None:
        self._stopping.set()
        self._jobs.put(None)
        if self._thread is not None:
            self._thread.join(timeout=30)


def new_instance() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB instance to ATTACH a snapshot in (tens of ms to make: a server keeps
    one spare, see SnapshotSource)."""
    return duckdb.connect(":memory:", config={"temp_directory": spill_directory()})


def _sql_literal(path: Path) -> str:
    """ATTACH takes no parameters: the path as a quoted SQL string."""
    return "'" + str(path).replace("'", "''") + "'"


class SnapshotSource:
    """The newest published snapshot of one cache path, reopened when a publish replaces it.

    Making a DuckDB instance takes longer than attaching the file to it (45-120 ms against about
    10 ms on 2 busy cores), so once a snapshot is open a spare instance is made in the background
    for the next one: the first request after a publish only attaches."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._current: PinnedSnapshot | None = None
        self._lock = threading.Lock()
        self._spare: duckdb.DuckDBPyConnection | None = None
        self._spare_lock = threading.Lock()
        self._closed = False
        self._chores = Chores()

    def _instance(self) -> duckdb.DuckDBPyConnection:
        with self._spare_lock:
            spare, self._spare = self._spare, None
        return spare or new_instance()

    def _make_spare(self) -> None:
        con = new_instance()
        with self._spare_lock:
            if self._spare is None and not self._closed:
                self._spare, con = con, None  # type: ignore[assignment]
        if con is not None:
            con.close()

    def current_id(self) -> SnapshotId | None:
        """Cheap (one stat): whether answers remembered for a snapshot still hold."""
        return snapshot_id(self.path)

    @contextmanager
    def session(self) -> Iterator[tuple[SnapshotId, CostQueries]]:
        """The newest snapshot's id and queries on it."""
        pinned = self._pin()
        try:
            with pinned.queries() as queries:
                yield pinned.id, queries
        finally:
            pinned.release()

    def _pin(self) -> PinnedSnapshot:
        with self._lock:
            newest = snapshot_id(self.path)
            current = self._current
            if current is not None and current.id == newest:
                current.acquire()  # under the lock: a concurrent publish cannot close it first
                return current
            if newest is None and current is not None:
                self._current = None
                current.retire()
            # raises CacheMissing/CacheError: nothing pinned
            pinned = PinnedSnapshot(self.path, self._instance, self._chores.later)
            pinned.acquire()
            self._current = pinned
            if current is not None:
                current.retire()
            self._chores.later(self._make_spare, needed=False)
            return pinned

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current.retire()
                self._current = None
        with self._spare_lock:
            self._closed = True
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.close()
        self._chores.stop()  # closes still due run now; no DuckDB work is left running after this
