"""Opening the published cache read-only, briefly, and noticing new snapshots.

Every failure to open or read it becomes one line: missing, in use by another program,
corrupt, or a storage problem (permission denied), never a DuckDB traceback."""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from costtui.cache.errors import CacheCorrupt, CacheError, CacheInUse, CacheMissing, first_line
from costtui.cache.queries import CostQueries
from costtui.cache.schema import READABLE_VERSIONS, SCHEMA_VERSION, read_schema_version
from costtui.oserrors import storage_error

REBUILD_HINT = "`costtui refresh --rebuild` (or `import --rebuild`) sets it aside and starts a new cache"
# DuckDB errors that mean the file, not the query, is at fault.
_STORAGE_FAILURES = (duckdb.IOException, duckdb.InternalException, duckdb.SerializationException)


def spill_directory() -> str:
    """Where read-only connections spill big sorts and joins. DuckDB's default is a folder next
    to the database, which a reader may not be allowed to write (a read-only volume, or the
    cache owned by another user, as when Icinga's user runs `check`)."""
    uid = getattr(os, "getuid", lambda: "user")()
    return os.path.join(tempfile.gettempdir(), f"costtui-duckdb-{uid}")


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """Every read-only open of a cache path uses this, so in-process connections share one configuration."""
    con = duckdb.connect(str(path), read_only=True, config={"temp_directory": spill_directory()})
    con.execute("SET TimeZone = 'UTC'")  # days are UTC dates on every host
    return con


def open_read_only(path: Path, wait_seconds: float = 0.0) -> duckdb.DuckDBPyConnection:
    """A read-only connection; while another program holds the file open for writing, retry
    for up to `wait_seconds`, then CacheInUse. Other failures are classified at once."""
    deadline = time.monotonic() + wait_seconds
    pause = 0.05
    while True:
        try:
            return connect_read_only(path)
        except duckdb.Error as exc:
            problem = open_problem(path, exc)
        if not isinstance(problem, CacheInUse) or time.monotonic() + pause > deadline:
            raise problem
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


def open_problem(path: Path, exc: BaseException) -> CacheError:
    """Why a cache file could not be opened, as one line."""
    text = str(exc)
    if "Could not set lock" in text or "Conflicting lock" in text:
        holder = re.search(r"held in (.+?) \(PID (\d+)\)", text)
        who = f" (PID {holder.group(2)}, {os.path.basename(holder.group(1))})" if holder else ""
        return CacheInUse(
            f"{path}: cache in use by another program{who} that holds it open for writing; "
            "close it and try again"
        )
    storage = storage_error(exc, path, "cannot open cache")
    if storage is not None:
        return CacheError(str(storage))
    return CacheCorrupt(f"{path}: cannot open cache: corrupt or not a DuckDB file ({first_line(exc)}); {REBUILD_HINT}")


def read_problem(path: Path, exc: duckdb.Error) -> CacheError | None:
    """A query failure caused by a damaged file (a bad checksum, a short read), or None."""
    if type(exc) is duckdb.Error or isinstance(exc, _STORAGE_FAILURES):
        return CacheCorrupt(f"{path}: cache is corrupt ({first_line(exc)}); {REBUILD_HINT}")
    return None


def schema_problem(path: Path, version: int | None) -> CacheError:
    if version is not None and version > SCHEMA_VERSION:
        return CacheError(
            f"{path}: cache schema v{version} was written by a newer costtui (this one knows "
            f"v{SCHEMA_VERSION}); upgrade costtui or use another --cache"
        )
    return CacheCorrupt(
        f"{path}: not a costtui v{SCHEMA_VERSION} cache (schema {version}), perhaps another "
        f"program's database; {REBUILD_HINT}"
    )


class CacheReader:
    """Read access to one cache path. Each `session()` opens and closes the file,
    so a snapshot published meanwhile is seen by the next session."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.exists()

    def snapshot_id(self) -> tuple[int, int] | None:
        """Changes whenever a new snapshot is published (inode and mtime)."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    @contextmanager
    def session(self, wait_seconds: float = 0.0) -> Iterator[CostQueries]:
        """Queries on the newest snapshot; `wait_seconds` waits out another program holding it."""
        if not self.path.exists():
            raise CacheMissing(f"{self.path}: no cache yet; run `costtui demo` or `costtui refresh` first")
        con = open_read_only(self.path, wait_seconds)
        try:
            try:
                version = read_schema_version(con)
            except duckdb.Error as exc:
                raise read_problem(self.path, exc) or exc from None
            if version not in READABLE_VERSIONS:  # older ones lack only columns the next write adds
                raise schema_problem(self.path, version)
            try:
                yield CostQueries(con)
            except duckdb.Error as exc:
                problem = read_problem(self.path, exc)
                if problem is None:
                    raise
                raise problem from None
        finally:
            con.close()
