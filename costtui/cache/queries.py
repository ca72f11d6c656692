"""Read queries over the cache: totals, groupings, periods, freshness. All SQL parameterised."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path

import duckdb

from costtui.cache.alert_rows import ALERT_COLUMNS, alert_event
from costtui.cache.forecast import STORED_TABLE, ForecastPart, forecast_parts, stored_day
from costtui.cache.rollups import (
    GROUP_COLUMNS,
    ROLLUPS,
    TAG_COLUMN_NAME,
    TAGGED_ROLLUP,
    WindowSums,
    needed_dimensions,
    rollups_exist,
    source_table,
    table_columns,
    tagged_column,
    window_sums,
    window_sums_sets,
)
from costtui.model import AlertEvent, CostGroup, CostQuery, UnknownTagKey, group_tag_key

TIME_KEYS = ("day", "month")
METRIC_COLUMNS = {"billed": "billed_cost", "effective": "effective_cost"}


@dataclass(frozen=True)
class FetchStatus:
    provider: str
    source: str
    status: str
    finished_at: datetime
    error_kind: str | None
    error_message: str | None
    range_start: date | None
    range_end: date | None
    row_count: int
    api_calls: int
    bytes_processed: int | None
    duration_seconds: float | None = None


@dataclass(frozen=True)
class FetchHistory:
    """One provider's fetches in short: the newest attempt, the newest success, since when it fails."""

    provider: str
    last_success: datetime | None
    last_attempt: datetime
    last_status: str
    error_kind: str | None
    error_message: str | None
    failing_since: datetime | None  # the first failed fetch after the last success


def where_clause(query: CostQuery, tag_columns: Mapping[str, str] | None = None) -> tuple[str, list]:
    """The query's filters as SQL and parameters. Tag filters need the cache's tag columns
    (`CostQueries.tag_columns`); a key without one is UnknownTagKey."""
    clauses: list[str] = []
    params: list = []
    if query.start:
        clauses.append("charge_date >= ?")
        params.append(query.start)
    if query.end:
        clauses.append("charge_date <= ?")
        params.append(query.end)
    for column, values in (
        ("provider", query.providers),
        ("account_id", query.accounts),
        ("service", query.services),
        ("region", query.regions),
    ):
        if values:
            clauses.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
    if query.gross:
        clauses.append("charge_category <> 'Credit'")
    wanted: dict[str, list[str | None]] = {}
    for key, value in query.tags:
        wanted.setdefault(key, []).append(value)
    for key, values in wanted.items():
        column = tag_column_of(key, tag_columns or {})
        named = [value for value in dict.fromkeys(values) if value is not None]
        either = [f"{column} IN ({', '.join('?' for _ in named)})"] if named else []
        if None in values:
            either.append(f"{column} IS NULL")  # untagged
        clauses.append("(" + " OR ".join(either) + ")")
        params.extend(named)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def tag_column_of(key: str, tag_columns: Mapping[str, str]) -> str:
    """The column of a configured tag key; the name comes from meta, never from the user."""
    column = tag_columns.get(key)
    if column is None:
        raise UnknownTagKey(key, tag_columns)
    return column


def group_columns(name: str, tag_columns: Mapping[str, str]) -> list[tuple[str, str]]:
    """(output key, SQL expression) of a group-by name; `tag:KEY` is the key's column."""
    key = group_tag_key(name)
    if key is not None:
        return [(name, tag_column_of(key, tag_columns))]
    return GROUP_COLUMNS[name]


class CostQueries:
    """Queries on one open read-only connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, use_rollups: bool = True) -> None:
        self._con = con
        self._use_rollups = use_rollups  # False: every answer from `charges` (tests compare the two)

        self._tag_columns: dict[str, str] | None = None

    def interrupt(self) -> None:
        """Ends the query running on this connection (from another thread) with duckdb.InterruptException."""
        self._con.interrupt()

    def tag_columns(self) -> dict[str, str]:
        """Configured tag key -> its column in `charges`, as the writer noted them in meta `tag_keys`
        (every tag column present, configured now or before); empty for a cache without tags."""
        if self._tag_columns is None:
            row = self._con.execute("SELECT value FROM meta WHERE key = 'tag_keys'").fetchone()
            found = json.loads(row[0]) if row else {}
            self._tag_columns = {str(key): column for key, column in found.items()
                                 if isinstance(column, str) and TAG_COLUMN_NAME.fullmatch(column)}
        return self._tag_columns

    def cost_groups(self, query: CostQuery) -> list[CostGroup]:
        """Cost per group and currency. Currencies are never summed together. Untagged is None."""
        select: list[str] = []
        keys: list[str] = []
        group_exprs: list[str] = []
        aliases: dict[str, str] = {}  # output key -> its SQL alias (a tag key is no identifier)
        tag_columns = self.tag_columns() if query.tags or any(map(group_tag_key, query.group_by)) else {}
        for name in query.group_by:
            for key, expr in group_columns(name, tag_columns):
                aliases[key] = expr if group_tag_key(key) else key
                select.append(f"{expr} AS {aliases[key]}")
                keys.append(key)
                if not expr.startswith("max("):
                    group_exprs.append(expr)
        metric = METRIC_COLUMNS[query.metric]
        where, params = where_clause(query, tag_columns)
        group_sql = ", ".join([*group_exprs, "currency"])
        time_keys = [aliases[k] for k in keys if k in TIME_KEYS]
        order = [*time_keys, "cost DESC", *[aliases[k] for k in keys if k not in TIME_KEYS], "currency"]
        sql = (
            f"SELECT {', '.join([*select, 'currency', f'sum({metric}) AS cost'])} FROM {self._table(query)}"
            f"{where} GROUP BY {group_sql} ORDER BY {', '.join(order)}"
        )
        result: list[CostGroup] = []
        for row in self._con.execute(sql, params).fetchall():
            values = dict(zip(keys, row[: len(keys)], strict=True))
            if "day" in values and isinstance(values["day"], date):
                values["day"] = values["day"].isoformat()
            result.append(CostGroup(values, _money(row[-1]), row[-2]))
        return result

    @cached_property
    def _has_rollups(self) -> bool:
        """Whether this snapshot has rollups (every publish since schema v4 writes them)."""
        return self._use_rollups and rollups_exist(self._con)

    @cached_property
    def _tagged_rollup_columns(self) -> frozenset[str]:
        """The totals rollup's columns (a rollup written before it kept tag sums has none of them)."""
        return frozenset(table_columns(self._con, TAGGED_ROLLUP))

    def stored_answer(self, key: str) -> bytes | None:
        """An answer stored at publish for this snapshot under `key` (cache/stored.py), else None."""
        from costtui.cache.stored import stored_answer

        return stored_answer(self._con, key)

    def _table(self, query: CostQuery) -> str:
        return source_table(query, self._has_rollups)

    def tag_coverage(self, query: CostQuery) -> list[tuple[str, str, Decimal, dict[str, Decimal]]]:
        """Per provider and currency: the cost of the query's rows, and per tag key the cost of those
        carrying the key (one scan; the query's grouping is ignored)."""
        tag_columns = self.tag_columns()
        metric = METRIC_COLUMNS[query.metric]
        where, params = where_clause(query, tag_columns)
        keys = list(tag_columns)
        # The totals rollup has each tag column's sums when it holds every filter (not a tag's, an account's...).
        rolled = needed_dimensions(replace(query, group_by=())) == set() and self._has_rollups and all(
            tagged_column(metric, column) in self._tagged_rollup_columns for column in tag_columns.values())
        if rolled:
            table = TAGGED_ROLLUP
            tagged = "".join(f", sum({tagged_column(metric, tag_columns[key])})" for key in keys)
        else:
            table = "charges"
            tagged = "".join(f", sum({metric}) FILTER (WHERE {tag_columns[key]} IS NOT NULL)" for key in keys)
        rows = self._con.execute(
            f"SELECT provider, currency, sum({metric}){tagged} FROM {table}{where} "
            "GROUP BY provider, currency ORDER BY provider, currency", params,
        ).fetchall()
        return [(row[0], row[1], _money(row[2]), {key: _money(value) for key, value in zip(keys, row[3:], strict=True)})
                for row in rows]

    def copy_focus(self, query: CostQuery, path: Path, fmt: str) -> int:
        """Write the query's rows as FOCUS 1.2 (csv or parquet) to `path`; see cache/focus_out."""
        from costtui.cache.focus_out import copy_focus

        return copy_focus(self._con, query, path, fmt, self.tag_columns() if query.tags else None)

    def forecast_parts(self, query: CostQuery, today: date, *, stored: bool = True) -> list[ForecastPart]:
        """The month-end forecast's parts per group (see cache/forecast.py); from the parts stored at
        publish when they fit, unless `stored` is False (then always computed from `charges`)."""
        stored_for = self._stored_forecast_day if stored and self._use_rollups else None
        return forecast_parts(self._con, query, today, stored_for, self.tag_columns() if query.tags else {})

    @cached_property
    def _stored_forecast_day(self) -> date | None:
        return stored_day(self._con)

    def window_sums(self, query: CostQuery, windows: list[tuple[date, date]]) -> list[WindowSums]:
        """Sums per group for several windows in one scan (see cache.rollups)."""
        return window_sums(self._con, query, windows, self._has_rollups)

    def window_sums_sets(self, selection: CostQuery, asks: list[tuple[tuple[str, ...], list[tuple[date, date]]]]
                         ) -> list[list[WindowSums]]:
        """window_sums of `selection` for each (group_by, windows), sharing scans (see cache.rollups)."""
        return window_sums_sets(self._con, selection, asks, self._has_rollups)

    def totals(self, query: CostQuery) -> dict[str, Decimal]:
        """Total per currency for the query's filters (its grouping is ignored)."""
        metric = METRIC_COLUMNS[query.metric]
        where, params = where_clause(query, self.tag_columns() if query.tags else {})
        rows = self._con.execute(
            f"SELECT currency, sum({metric}) FROM {self._table(replace(query, group_by=()))}{where} GROUP BY currency ORDER BY currency",
            params,
        ).fetchall()
        return {currency: _money(total) for currency, total in rows}

    def date_bounds(self) -> tuple[date, date] | None:
        table = self._table(CostQuery())
        row = self._con.execute(f"SELECT min(charge_date), max(charge_date) FROM {table}").fetchone()
        return (row[0], row[1]) if row and row[0] else None

    def first_days(self) -> dict[str, date]:
        """Each provider's first cached day."""
        table = self._table(CostQuery())
        rows = self._con.execute(f"SELECT provider, min(charge_date) FROM {table} GROUP BY provider").fetchall()
        return dict(rows)

    def row_count(self) -> int:
        return self._con.execute("SELECT count(*) FROM charges").fetchone()[0]

    def read_every_charge(self) -> None:
        """Read every value of every column of `charges` (hashing defeats answers from statistics):
        a damaged block anywhere fails here, so readiness probes can say so before a user's query
        does. The rollups and stored forecast parts too: answers come from them. A few rows of output
        whatever the cache's size."""
        tables = ["charges"]
        if self._has_rollups:
            tables += [*ROLLUPS, STORED_TABLE] if self._stored_forecast_day else list(ROLLUPS)
        for table in tables:
            self._con.execute(f"SELECT max(hash(COLUMNS(*))) FROM {table}").fetchall()

    def providers(self) -> list[str]:
        """The providers with rows, as the writer noted them at publish (a scan for older caches)."""
        row = self._con.execute("SELECT value FROM meta WHERE key = 'providers'").fetchone()
        return json.loads(row[0]) if row else self.distinct_values("provider")

    def distinct_values(self, column: str) -> list[str]:
        if column not in ("provider", "account_id", "service", "region", "currency"):
            raise ValueError(f"unknown column {column}")
        return [
            r[0] for r in self._con.execute(f"SELECT DISTINCT {column} FROM charges ORDER BY 1").fetchall()
        ]

    def latest_fetches(self) -> list[FetchStatus]:
        """The newest fetch of each provider and source."""
        duration = "duration_seconds" if self._has_column("fetches", "duration_seconds") else "NULL"
        rows = self._con.execute(
            f"""SELECT provider, source, status, finished_at, error_kind, error_message,
                      range_start, range_end, row_count, api_calls, bytes_processed, {duration}
               FROM fetches QUALIFY row_number() OVER
                   (PARTITION BY provider, source ORDER BY finished_at DESC) = 1
               ORDER BY provider, source"""
        ).fetchall()
        return [FetchStatus(*row) for row in rows]

    def _has_column(self, table: str, column: str) -> bool:
        """Older caches stay readable until their next write migrates them (schema.READABLE_VERSIONS)."""
        return bool(self._con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ?", [table, column]
        ).fetchone()[0])

    def fetch_histories(self) -> list[FetchHistory]:
        """Per provider (any source): its newest fetch, newest success and first failure since."""
        rows = self._con.execute(
            """WITH latest AS (
                   SELECT provider, finished_at, status, error_kind, error_message FROM fetches
                   QUALIFY row_number() OVER (PARTITION BY provider ORDER BY finished_at DESC) = 1),
               ok AS (SELECT provider, max(finished_at) AS last_ok FROM fetches WHERE status = 'ok'
                      GROUP BY provider),
               failing AS (
                   SELECT f.provider, min(f.finished_at) AS since FROM fetches f LEFT JOIN ok USING (provider)
                   WHERE f.status <> 'ok' AND (ok.last_ok IS NULL OR f.finished_at > ok.last_ok)
                   GROUP BY f.provider)
               SELECT latest.provider, ok.last_ok, latest.finished_at, latest.status, latest.error_kind,
                      latest.error_message, failing.since
               FROM latest LEFT JOIN ok USING (provider) LEFT JOIN failing USING (provider)
               ORDER BY latest.provider"""
        ).fetchall()
        return [FetchHistory(*row) for row in rows]

    def last_success(self, provider: str | None = None, source: str | None = None) -> datetime | None:
        """When data was last fetched successfully (any provider, or one; optionally from one source)."""
        sql = "SELECT max(finished_at) FROM fetches WHERE status = 'ok'"
        params: list = []
        if provider:
            sql += " AND provider = ?"
            params.append(provider)
        if source:
            sql += " AND source = ?"
            params.append(source)
        return self._con.execute(sql, params).fetchone()[0]

    def published_at(self) -> datetime | None:
        row = self._con.execute("SELECT value FROM meta WHERE key = 'published_at'").fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def data_as_of(self) -> datetime | None:
        """The freshness of the data: last successful fetch, else when it was published
        (demo and import write no fetch rows)."""
        return self.last_success() or self.published_at()

    def ingested_objects(self, provider: str) -> dict[str, str]:
        rows = self._con.execute(
            "SELECT object_key, etag FROM ingested_objects WHERE provider = ?", [provider]
        ).fetchall()
        return dict(rows)

    def covered_days(self, provider: str) -> tuple[date | None, date | None, list[date]]:
        """First and last cached day of a provider and the days still marked estimated."""
        first, last = self._con.execute(
            "SELECT min(charge_date), max(charge_date) FROM charges WHERE provider = ?", [provider]
        ).fetchone()
        estimated = [
            r[0]
            for r in self._con.execute(
                "SELECT DISTINCT charge_date FROM charges WHERE provider = ? AND estimated ORDER BY 1",
                [provider],
            ).fetchall()
        ]
        return first, last, estimated

    def alert_fingerprints(self) -> set[str]:
        """Every finding recorded so far (each is recorded and notified once)."""
        return {row[0] for row in self._con.execute("SELECT fingerprint FROM alert_events").fetchall()}

    def pending_alert_events(self, since: datetime) -> list[AlertEvent]:
        """Recorded since `since` but not delivered yet (a channel failed, or none was enabled)."""
        rows = self._con.execute(
            f"SELECT {ALERT_COLUMNS} FROM alert_events WHERE notified_at IS NULL AND created_at >= ? "
            "ORDER BY created_at, fingerprint",
            [since],
        ).fetchall()
        return [alert_event(row) for row in rows]

    def alert_events(self, limit: int = 200) -> list[dict]:
        cursor = self._con.execute("SELECT * FROM alert_events ORDER BY created_at DESC LIMIT ?", [limit])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _money(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))
