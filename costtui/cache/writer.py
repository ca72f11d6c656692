"""The changes a writer makes to its private copy of the cache (see `publish.py` for the protocol).

The writer also remembers what the copy held when it started, so that a publish that
would drop providers, days or records it did not mean to replace can be refused."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from costtui.cache.alert_rows import ALERT_COLUMNS, alert_values
from costtui.cache.errors import CacheError
from costtui.cache.restatement import (
    CACHED_IN_SCOPE,
    COLUMN_LIST,
    INCOMING_IN_SCOPE,
    REPLACED_DAYS_SQL,
    STORED_COLUMNS,
    incoming_view,
    load_scopes,
    resolve_accounts,
    slice_changes,
)
from costtui.model import AlertEvent, CostRow, ReplaceScope, SliceChange, tag_column

# Tables whose rows a writer only adds to (or updates): a publish with fewer rows lost some.
RECORD_TABLES = ("fetches", "alert_events", "ingested_objects")
CSV_OPTIONS = (
    "header = false, quote = '\"', escape = '\"', auto_detect = false, columns = {"
    "'charge_date': 'DATE', 'provider': 'VARCHAR', 'billing_account_id': 'VARCHAR', "
    "'account_id': 'VARCHAR', 'account_name': 'VARCHAR', 'service': 'VARCHAR', 'region': 'VARCHAR', "
    "'charge_category': 'VARCHAR', 'billed_cost': 'DECIMAL(18,6)', 'effective_cost': 'DECIMAL(18,6)', "
    "'currency': 'VARCHAR', 'estimated': 'BOOLEAN'}"
)
TAG_KEYS_META = "tag_keys"  # meta: JSON {configured key: column} of every tag column in `charges`


def _csv_options(tag_columns: Sequence[str]) -> str:
    """CSV_OPTIONS with the tag columns (VARCHAR; an empty field is NULL, untagged) at the end."""
    return CSV_OPTIONS[:-1] + "".join(f", '{c}': 'VARCHAR'" for c in tag_columns) + "}"


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
        self.last_changes: list[SliceChange] = []  # of the latest replace_charges
        self._cleared = False
        self.charges_changed = False  # rollups and stored answers are rewritten at publish only if so
        con.execute(
            "CREATE OR REPLACE TEMP TABLE replaced_scopes (provider VARCHAR, billing_account_id VARCHAR,"
            " start_date DATE, end_date DATE)"
        )
        con.execute("CREATE OR REPLACE TEMP TABLE found_days AS SELECT provider, billing_account_id, charge_date"
                    " FROM charges LIMIT 0")
        self._found_records: dict[str, int] = {}
        row = con.execute("SELECT value FROM meta WHERE key = ?", [TAG_KEYS_META]).fetchone()
        self._tag_columns: dict[str, str] = json.loads(row[0]) if row else {}
        self._configured_tags: frozenset[str] = frozenset()  # keys this write fills (the others stay NULL)

    def ensure_tag_columns(self, keys: Sequence[str]) -> dict[str, str]:
        """Make a column for each configured tag key (`[allocation] tag_keys`) and note them all
        in meta `tag_keys`; returns {key: column} of every tag column now present.

        Rows cached before a key was configured read NULL (untagged) until their data is
        fetched again; a key no longer configured keeps its column (and values) until a rebuild.
        DuckDB adds a NULL column without rewriting the table: cheap on any size of cache."""
        wanted = {key: tag_column(key) for key in keys}
        present = {row[0] for row in self._con.execute("DESCRIBE charges").fetchall()}
        kept = {k: c for k, c in self._tag_columns.items() if c not in wanted.values() and c in present}
        for column in wanted.values():
            if column not in present:
                # column names are tag_[a-z0-9_]+ (model.tag_column), safe to quote as identifiers
                self._con.execute(f'ALTER TABLE charges ADD COLUMN "{column}" VARCHAR')
                self.charges_changed = True  # rollups (tag sums) and stored answers (coverage) follow
        self._tag_columns = {**wanted, **kept}
        self._configured_tags = frozenset(wanted)
        self._con.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)", [TAG_KEYS_META, json.dumps(self._tag_columns)]
        )
        return dict(self._tag_columns)

    def remember_contents(self) -> None:
        """Note what the copy holds before any change (the days of each provider and billing
        account, and the number of records of every other table)."""
        con = self._con
        con.execute(
            "INSERT INTO found_days SELECT DISTINCT provider, billing_account_id, charge_date FROM charges"
        )
        self._found_records = {table: self._count(table) for table in RECORD_TABLES}

    def lost_contents(self) -> str | None:
        """What publishing now would drop that no replace asked for, as words; None if nothing."""
        if not self._cleared:
            lost = self._con.execute(
                """WITH gone AS (
                       SELECT provider, billing_account_id, charge_date FROM found_days
                       EXCEPT SELECT DISTINCT provider, billing_account_id, charge_date FROM charges)
                   SELECT g.provider, g.billing_account_id, count(*), min(g.charge_date), max(g.charge_date)
                   FROM gone g
                   WHERE NOT EXISTS (SELECT 1 FROM replaced_scopes s WHERE s.provider = g.provider
                       AND s.billing_account_id = g.billing_account_id  -- resolved: never NULL
                       AND g.charge_date BETWEEN s.start_date AND s.end_date)
                   GROUP BY ALL ORDER BY 1, 2 LIMIT 1"""
            ).fetchone()
            if lost:
                return f"{lost[2]} day(s) of {lost[0]} account {lost[1]} ({lost[3]} to {lost[4]})"
        for table, before in self._found_records.items():
            now = self._count(table)
            if now < before:
                return f"{before - now} of the {before} rows of table {table}"
        return None

    def _count(self, table: str) -> int:
        return self._con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def replace_charges(
        self,
        scopes: Sequence[ReplaceScope],
        rows: Iterable[CostRow] = (),
        parquet_files: Sequence[Path] = (),
    ) -> int:
        """Delete what the scopes cover, then insert the new rows; returns rows inserted.

        Every new row must fall inside one of the scopes, so a restatement replaces
        exactly what it covers and nothing is counted twice (see cache/restatement.py for
        billing-period and day-range scopes). What each scope changed is kept in
        `last_changes`. Staged files are read where they lie (no copy in memory): ten
        million rows need no more RAM than DuckDB's buffers."""
        con = self._con
        tag_columns = list(self._tag_columns.values())
        csv_path = self._stage_python_rows(rows)
        extra = [self._python_rows_select(csv_path, tag_columns)] if csv_path else []
        con.execute("BEGIN")
        try:
            load_scopes(con, scopes)
            incoming_view(con, parquet_files, extra, tag_columns)
            resolve_accounts(con)
            outside = con.execute(
                f"""SELECT provider, billing_account_id, charge_date FROM incoming i
                   WHERE NOT EXISTS (SELECT 1 FROM scopes s WHERE {INCOMING_IN_SCOPE}) LIMIT 1"""
            ).fetchone()
            if outside:
                raise CacheError(
                    f"row for {outside[0]} account {outside[1]} on {outside[2]} "
                    "is outside the range it claims to replace"
                )
            self.last_changes = slice_changes(con, scopes)
            # A billing period may reach days outside its month (a late credit): those days are
            # replaced too, as far as the publish guard (lost_contents) is concerned.
            con.execute(f"INSERT INTO replaced_scopes {REPLACED_DAYS_SQL}")
            con.execute(f"DELETE FROM charges c WHERE EXISTS (SELECT 1 FROM scopes s WHERE {CACHED_IN_SCOPE})")
            columns = STORED_COLUMNS + "".join(f', "{c}"' for c in tag_columns)
            inserted = con.execute(f"INSERT INTO charges ({columns}) SELECT * FROM incoming").fetchone()[0]
            con.execute("DROP VIEW incoming")
            con.execute("COMMIT")
            self.charges_changed = True
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            if csv_path:
                os.unlink(csv_path)
        return inserted

    def _stage_python_rows(self, rows: Iterable[CostRow]) -> Path | None:
        """Rows as a CSV on disk, in day order (date-range reads then skip row groups):
        DuckDB loads it far faster than executemany. Tag values follow, one field per tag column."""
        ordered = sorted(rows, key=lambda r: r.charge_date)
        if not ordered:
            return None
        keys = [k if k in self._configured_tags else None for k in self._tag_columns]
        handle, name = tempfile.mkstemp(suffix=".csv", dir=self._workdir)
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            if keys:
                writer.writerows((*r.as_tuple(), *(r.tags.get(k) if k else None for k in keys)) for r in ordered)
            else:
                writer.writerows(r.as_tuple() for r in ordered)
        return Path(name)

    @staticmethod
    def _python_rows_select(csv_path: Path, tag_columns: Sequence[str]) -> str:
        """The staged Python rows in stored column order (no billing period), then the tags."""
        tags = "".join(f', "{c}"' for c in tag_columns)
        return (
            f"SELECT {COLUMN_LIST}, NULL::DATE AS billing_period_start{tags} "
            f"FROM read_csv({_sql_path(csv_path)}, {_csv_options(tag_columns)})"
        )

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
        """Start the charges over (meant: nothing of the old charges is kept)."""
        self._con.execute("DELETE FROM charges")
        self._cleared = True
        self.charges_changed = True

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """For sibling cache modules (alerts store); never leaves the cache package."""
        return self._con


def _sql_path(path: Path) -> str:
    """A file path as a SQL string literal (table functions in a view take no parameters)."""
    return "'" + str(path).replace("'", "''") + "'"
