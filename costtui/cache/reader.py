"""Opening the published cache read-only, briefly, and noticing new snapshots."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from costtui.cache.errors import CacheError, CacheMissing
from costtui.cache.queries import CostQueries
from costtui.cache.schema import SCHEMA_VERSION, read_schema_version


def spill_directory() -> str:
    """Where read-only connections spill big sorts and joins. DuckDB's default is a folder next
    to the database, which a reader may not be allowed to write (a read-only volume, or the
    cache owned by another user, as when Icinga's user runs `check`)."""
    uid = getattr(os, "getuid", lambda: "user")()
    return os.path.join(tempfile.gettempdir(), f"costtui-duckdb-{uid}")


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """Every read-only open of a cache path uses this, so in-process connections share one configuration."""
    return duckdb.connect(str(path), read_only=True, config={"temp_directory": spill_directory()})


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
    def session(self) -> Iterator[CostQueries]:
        if not self.path.exists():
            raise CacheMissing(f"{self.path}: no cache yet; run `costtui demo` or `costtui refresh` first")
        try:
            con = connect_read_only(self.path)
        except duckdb.Error as exc:
            raise CacheError(f"{self.path}: cannot open cache: {_first_line(exc)}") from None
        try:
            version = read_schema_version(con)
            if version != SCHEMA_VERSION:
                raise CacheError(
                    f"{self.path}: not a costtui v{SCHEMA_VERSION} cache (schema {version}); "
                    "run `costtui refresh` to upgrade or rebuild it"
                )
            yield CostQueries(con)
        finally:
            con.close()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
