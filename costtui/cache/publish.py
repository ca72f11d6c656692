"""Publishing a new cache snapshot: lock, verify, copy, change, check, checkpoint, replace.

Readers open the published file read-only and briefly. A writer never changes that
file: under a lock file beside it, it first removes what crashed writers left, opens
the published cache read-only (waiting while another program holds it open for
writing), reads every table once (a damaged block fails here, not after the publish),
copies it, applies its changes to the copy, refuses the copy if it lost anything the
writer did not mean to replace, and `os.replace`s it into place. A reader sees the old
snapshot or the new one, never a lock error or half a refresh; a failed or killed
writer leaves the published file as it was. Disk use peaks at about twice the cache.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from costtui.cache.errors import CacheBusy, CacheCorrupt, CacheError, WouldLoseData, first_line
from costtui.cache.litter import private_copy_prefix, remove_litter
from costtui.cache.reader import REBUILD_HINT, open_read_only, schema_problem
from costtui.cache.rollups import write_rollups
from costtui.cache.schema import READABLE_VERSIONS, create_schema, read_schema_version
from costtui.cache.stored import StoredAnswer, store_answers
from costtui.cache.writer import CacheWriter, utcnow
from costtui.oserrors import DiskFull, storage_error

# Room a copy needs beyond the file's size: the writer's changes and DuckDB's checkpoint.
COPY_HEADROOM = 1.1


@contextmanager
def open_writer(
    path: Path, lock_timeout: float = 600.0, fresh: bool = False, rebuild: bool = False, today: date | None = None,
    answers: Sequence[StoredAnswer] = (),
) -> Iterator[CacheWriter]:
    """Hold the write lock, work on a private copy, publish it if the block succeeds.

    `fresh` starts from an empty cache (the demo cache, replaced whole by design);
    `rebuild` first sets the current file aside (kept, never deleted) and starts empty;
    `today` is the day readers will most likely ask the forecast for (cache/rollups.write_rollups);
    `answers` are computed in the copy and stored in it for readers (cache/stored.py)."""
    path = Path(path)
    deadline = time.monotonic() + lock_timeout
    with storage_errors(path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
    lock = _acquire_lock(path, lock_timeout)
    try:
        with storage_errors(path):
            remove_litter(path)
            if rebuild and path.exists():
                kept = set_aside(path)
                print(f"costtui: {path}: previous cache kept as {kept}; starting a new one", file=sys.stderr)
            keep_contents = path.exists() and not (fresh or rebuild)
            workdir = Path(tempfile.mkdtemp(prefix=private_copy_prefix(path), dir=path.parent))
            try:
                draft = workdir / path.name
                if keep_contents:
                    copy_verified(path, draft, max(0.0, deadline - time.monotonic()))
                con = duckdb.connect(str(draft))
                con.execute("SET TimeZone = 'UTC'")  # days are UTC dates on every host
                try:
                    create_schema(con)
                    writer = CacheWriter(con, workdir)
                    if keep_contents:
                        writer.remember_contents()
                    yield writer
                    lost = writer.lost_contents()
                    if lost:
                        raise WouldLoseData(
                            f"{path}: not published: it would drop {lost} that this write did not "
                            "replace; the cache is unchanged"
                        )
                    write_rollups(con, today, writer.charges_changed)
                    # The providers with rows, found once here so readers (every `check`) need no scan.
                    con.execute(
                        "INSERT OR REPLACE INTO meta SELECT 'providers', coalesce(to_json(list(DISTINCT provider "
                        "ORDER BY provider)), '[]') FROM charges"
                    )
                    stamp = utcnow().isoformat()
                    store_answers(con, stamp, writer.charges_changed, answers)  # reads the old stamp first
                    con.execute("INSERT OR REPLACE INTO meta VALUES ('published_at', ?)", [stamp])
                    con.execute("CHECKPOINT")
                finally:
                    con.close()
                _fsync(draft)
                os.replace(draft, path)
                _fsync(path.parent)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
    finally:
        lock.release()


def copy_verified(path: Path, draft: Path, wait_seconds: float) -> None:
    """Copy the published cache after reading all of it once; refuse a damaged or foreign file.

    The read-only connection stays open during the copy: it keeps another program from
    opening the file for writing meanwhile (DuckDB's own file lock)."""
    con = open_read_only(path, wait_seconds)
    try:
        try:
            version = read_schema_version(con)
        except duckdb.Error as exc:
            raise _corrupt(path, exc) from None
        if version not in READABLE_VERSIONS:  # an older one is copied, then migrated by create_schema
            raise schema_problem(path, version)
        read_every_table(path, con)
        _ensure_room(path, draft.parent)
        shutil.copyfile(path, draft)
    finally:
        con.close()


def read_every_table(path: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Touch every column of every row (a checksum mismatch anywhere fails here)."""
    tables = [row[0] for row in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()]
    try:
        for table in tables:
            con.execute(f'SELECT sum(hash(t)) FROM "{table}" t').fetchone()
    except duckdb.Error as exc:
        raise _corrupt(path, exc) from None


def set_aside(path: Path) -> Path:
    """Rename the cache (and a leftover WAL) to `<name>.set-aside-<UTC time>` beside it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    kept = path.with_name(f"{path.name}.set-aside-{stamp}")
    os.replace(path, kept)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        os.replace(wal, kept.with_name(kept.name + ".wal"))
    return kept


@contextmanager
def storage_errors(where: Path) -> Iterator[None]:
    """A full disk, read-only filesystem or refused permission becomes one line naming `where`;
    anything else passes through unchanged."""
    try:
        yield
    except (OSError, duckdb.Error) as exc:
        problem = storage_error(
            exc, getattr(exc, "filename", None) or where, full_hint="a write needs about twice the cache size free"
        )
        if problem is None:
            raise
        raise problem from None


def _acquire_lock(path: Path, timeout: float):
    from filelock import FileLock, Timeout  # imported here: only writers pay for it

    lock = FileLock(str(path) + ".lock")
    try:
        with storage_errors(Path(lock.lock_file)):
            lock.acquire(timeout=timeout)
    except Timeout:
        raise CacheBusy(
            f"{path}: another refresh, import or demo is writing the cache (lock {lock.lock_file}); try again later"
        ) from None
    return lock


def _ensure_room(path: Path, folder: Path) -> None:
    """Fail before copying when the copy cannot fit (the published file stays as it is)."""
    needed = int(path.stat().st_size * COPY_HEADROOM)
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    if free < needed:
        raise DiskFull(
            f"{folder}: cannot write: no space left for a copy of the cache ({needed // 1_000_000} MB "
            f"needed, {free // 1_000_000} MB free; a write needs about twice the cache size)"
        )


def _corrupt(path: Path, exc: BaseException) -> CacheError:
    return CacheCorrupt(f"{path}: cache is corrupt ({first_line(exc)}); {REBUILD_HINT}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
