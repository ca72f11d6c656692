"""Publishing a new cache snapshot: copy, change, checkpoint, atomically replace.

Readers open the published file read-only and briefly. A writer never touches that
file: it works on a private copy and `os.replace`s it into place, so a reader sees
either the old snapshot or the new one, never a lock error or half a refresh.
Writers are serialised by a lock file beside the cache.
"""

from __future__ import annotations

import csv
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from costtui.cache.alert_rows import ALERT_COLUMNS, alert_values
from costtui.cache.errors import CacheBusy, CacheError
from costtui.cache.reader import connect_read_only
from costtui.cache.schema import SCHEMA_VERSION, can_migrate, create_schema, migrate, read_schema_version
from costtui.model import COST_ROW_COLUMNS, AlertEvent, CostRow, ReplaceScope

COLUMN_LIST = ", ".join(COST_ROW_COLUMNS)
CSV_OPTIONS = (
    "header = false, quote = '\"', escape = '\"', auto_detect = false, columns = {"
    "'charge_date': 'DATE', 'provider': 'VARCHAR', 'billing_account_id': 'VARCHAR', "
    "'account_id': 'VARCHAR', 'account_name': 'VARCHAR', 'service': 'VARCHAR', 'region': 'VARCHAR', "
    "'charge_category': 'VARCHAR', 'billed_cost': 'DECIMAL(18,6)', 'effective_cost': 'DECIMAL(18,6)', "
    "'currency': 'VARCHAR', 'estimated': 'BOOLEAN'}"
)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class FetchRecord:
    """One provider fetch, successful or not, for the `fetches` table."""

    provider: str
    source: str
    range_start: date | None
    range_end: date | None
    started_at: datetime
    finished_at: datetime
    status: str  # "ok" or "error"
    error_kind: str | None = None
    error_message: str | None = None
    row_count: int = 0
    api_calls: int = 0
    bytes_processed: int | None = None
    duration_seconds: float | None = None  # how long the fetch took (None: not measured)


class CacheWriter:
    """Changes to the private copy of the cache; published when the block ends cleanly."""

    def __init__(self, con: duckdb.DuckDBPyConnection, workdir: Path) -> None:
        self._con = con
        self._workdir = workdir

    def replace_charges(
        self,
        scopes: Sequence[ReplaceScope],
        rows: Iterable[CostRow] = (),
        parquet_files: Sequence[Path] = (),
    ) -> int:
        """Delete what the scopes cover, then insert the new rows; returns rows inserted.

        Every new row must fall inside one of the scopes, so a restatement replaces
        exactly what it covers and nothing is counted twice. Staged files are read
        where they lie (no copy in memory): ten million rows need no more RAM than DuckDB's buffers."""
        con = self._con
        sources = [f"SELECT {COLUMN_LIST} FROM read_parquet({_sql_path(p)})" for p in parquet_files]
        csv_path = self._stage_python_rows(rows)
        if csv_path:
            sources.append(f"SELECT * FROM read_csv({_sql_path(csv_path)}, {CSV_OPTIONS})")
        con.execute("BEGIN")
        try:
            self._load_scopes(scopes)
            if sources:
                con.execute("CREATE OR REPLACE TEMP VIEW incoming AS " + " UNION ALL ".join(sources))
            else:
                con.execute("CREATE OR REPLACE TEMP VIEW incoming AS SELECT * FROM charges LIMIT 0")
            outside = con.execute(
                """SELECT provider, billing_account_id, charge_date FROM incoming i
                   WHERE NOT EXISTS (SELECT 1 FROM scopes s WHERE i.provider = s.provider
                     AND (s.billing_account_id IS NULL OR i.billing_account_id = s.billing_account_id)
                     AND i.charge_date BETWEEN s.start_date AND s.end_date) LIMIT 1"""
            ).fetchone()
            if outside:
                raise CacheError(
                    f"row for {outside[0]} account {outside[1]} on {outside[2]} "
                    "is outside the range it claims to replace"
                )
            con.execute(
                """DELETE FROM charges c WHERE EXISTS (SELECT 1 FROM scopes s
                   WHERE c.provider = s.provider
                     AND (s.billing_account_id IS NULL OR c.billing_account_id = s.billing_account_id)
                     AND c.charge_date BETWEEN s.start_date AND s.end_date)"""
            )
            inserted = con.execute("INSERT INTO charges SELECT * FROM incoming").fetchone()[0]
            con.execute("DROP VIEW incoming")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            if csv_path:
                os.unlink(csv_path)
        return inserted

    def _load_scopes(self, scopes: Sequence[ReplaceScope]) -> None:
        con = self._con
        con.execute(
            "CREATE OR REPLACE TEMP TABLE scopes (provider VARCHAR, billing_account_id VARCHAR,"
            " start_date DATE, end_date DATE)"
        )
        if scopes:
            con.executemany(
                "INSERT INTO scopes VALUES (?, ?, ?, ?)",
                [(s.provider, s.billing_account_id, s.start, s.end) for s in scopes],
            )

    def _stage_python_rows(self, rows: Iterable[CostRow]) -> Path | None:
        """Rows as a CSV on disk, in day order (date-range reads then skip row groups):
        DuckDB loads it far faster than executemany."""
        ordered = sorted(rows, key=lambda r: r.charge_date)
        if not ordered:
            return None
        handle, name = tempfile.mkstemp(suffix=".csv", dir=self._workdir)
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerows(r.as_tuple() for r in ordered)
        return Path(name)

    def record_fetch(self, record: FetchRecord) -> None:
        self._con.execute(
            "INSERT INTO fetches (provider, source, range_start, range_end, started_at, finished_at, status,"
            " error_kind, error_message, row_count, api_calls, bytes_processed, duration_seconds)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                record.provider,
                record.source,
                record.range_start,
                record.range_end,
                record.started_at,
                record.finished_at,
                record.status,
                record.error_kind,
                record.error_message,
                record.row_count,
                record.api_calls,
                record.bytes_processed,
                record.duration_seconds,
            ],
        )

    def record_ingested_objects(self, provider: str, objects: dict[str, str]) -> None:
        if objects:
            now = utcnow()
            self._con.executemany(
                "INSERT OR REPLACE INTO ingested_objects VALUES (?, ?, ?, ?)",
                [(provider, key, etag, now) for key, etag in objects.items()],
            )

    def record_alert_events(self, events: Sequence[AlertEvent]) -> list[AlertEvent]:
        """Store the events not already recorded (by fingerprint); returns those new ones."""
        known = {row[0] for row in self._con.execute("SELECT fingerprint FROM alert_events").fetchall()}
        new = [e for e in dict((e.fingerprint, e) for e in events).values() if e.fingerprint not in known]
        if new:
            now = utcnow()
            self._con.executemany(
                f"INSERT INTO alert_events ({ALERT_COLUMNS}, created_at, notified_at) "
                f"VALUES ({', '.join('?' * (ALERT_COLUMNS.count(',') + 1))}, ?, NULL)",
                [(*alert_values(e), now) for e in new],
            )
        return new

    def mark_alerts_notified(self, fingerprints: Sequence[str]) -> None:
        if fingerprints:
            self._con.executemany(
                "UPDATE alert_events SET notified_at = ? WHERE fingerprint = ?",
                [(utcnow(), fingerprint) for fingerprint in fingerprints],
            )

    def clear_charges(self) -> None:
        self._con.execute("DELETE FROM charges")

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """For sibling cache modules (alerts store); never leaves the cache package."""
        return self._con


def _lock_for(path: Path):
    from filelock import FileLock  # imported here: only writers pay for it

    return FileLock(str(path) + ".lock")


@contextmanager
def open_writer(path: Path, lock_timeout: float = 600.0, fresh: bool = False) -> Iterator[CacheWriter]:
    """Hold the refresh lock, work on a private copy, publish it if the block succeeds.

    `fresh` starts from an empty cache instead of a copy of the current one."""
    from filelock import Timeout

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CacheError(f"{path.parent}: cannot create cache folder: {exc.strerror}") from None
    lock = _lock_for(path)
    try:
        lock.acquire(timeout=lock_timeout)
    except Timeout:
        raise CacheBusy(
            f"{path}: another refresh is still writing the cache (lock {path}.lock); try again later"
        ) from None
    try:
        workdir = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        try:
            draft = workdir / path.name
            if path.exists() and not fresh:
                _copy_if_current(path, draft)
            con = duckdb.connect(str(draft))
            try:
                migrate(con)
                create_schema(con)
                yield CacheWriter(con, workdir)
                con.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('published_at', ?)",
                    [utcnow().isoformat()],
                )
                con.execute("CHECKPOINT")
            finally:
                con.close()
            _fsync(draft)
            os.replace(draft, path)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    finally:
        lock.release()


def _copy_if_current(path: Path, draft: Path) -> None:
    """Copy the published cache; an older or foreign schema is rebuilt from scratch."""
    try:
        con = connect_read_only(path)
    except duckdb.Error as exc:
        print(f"costtui: {path}: unreadable cache rebuilt from scratch ({exc})", file=sys.stderr)
        return
    try:
        version = read_schema_version(con)
    finally:
        con.close()
    if version is not None and version > SCHEMA_VERSION:
        raise CacheError(
            f"{path}: cache schema v{version} was written by a newer costtui (this one knows "
            f"v{SCHEMA_VERSION}); upgrade costtui or use another --cache"
        )
    if version is None or not can_migrate(version):
        # Not a costtui cache we know how to upgrade: rebuilt and refilled by the next fetch.
        print(f"costtui: {path}: old cache schema rebuilt from scratch", file=sys.stderr)
        return
    shutil.copyfile(path, draft)


def _sql_path(path: Path) -> str:
    """A file path as a SQL string literal (table functions in a view take no parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
