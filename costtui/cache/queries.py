"""Read queries over the cache: totals, groupings, periods, freshness. All SQL parameterised."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb

from costtui.cache.alert_rows import ALERT_COLUMNS, alert_event
from costtui.cache.rollups import WindowSums, window_sums
from costtui.model import AlertEvent, CostGroup, CostQuery, UnknownTagKey, group_tag_key

# Group-by name -> (output key, SQL expression, aggregate?) ; expressions are constants, never user text.
GROUP_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "provider": [("provider", "provider")],
    "account": [("account", "account_id"), ("account_name", "max(account_name)")],
    "service": [("service", "service")],
    "region": [("region", "region")],
    "day": [("day", "charge_date")],
    "month": [("month", "strftime(charge_date, '%Y-%m')")],
    "charge_category": [("charge_category", "charge_category")],
}
TIME_KEYS = ("day", "month")
METRIC_COLUMNS = {"billed": "billed_cost", "effective": "effective_cost"}
# A tag column's name as the writer makes it (model.tag_column): the only shape taken from meta into SQL.
TAG_COLUMN_NAME = re.compile(r"tag_[a-z0-9_]{1,64}")


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


# The grain at which the forecast classifies and projects charges: summing per-series forecasts
# makes every grouping's forecast add up to the total exactly.
SERIES_KEYS = ("provider", "account_id", "service", "region", "charge_category", "currency")
SERIES_GROUPS = {"provider": "provider", "account": "account_id", "service": "service", "region": "region",
                 "charge_category": "charge_category"}
# Each series is keyed by a 64-bit hash of SERIES_KEYS: grouping and joining 1-2M series-days on
# one integer is several times faster than on six strings (a collision among ~10^5 series: ~10^-9).
FORECAST_SQL = """
WITH base AS MATERIALIZED (
    SELECT hash(provider, account_id, service, region, charge_category, currency) AS sid, charge_date,
           any_value(charge_category) AS charge_category, sum({metric}) AS cost,
           any_value(provider) AS provider, any_value(account_id) AS account_id, any_value(service) AS service,
           any_value(region) AS region, any_value(currency) AS currency, max(account_name) AS account_name
    FROM charges {where}
    GROUP BY sid, charge_date
),
series AS MATERIALIZED (
    -- what recurs: not a purchase or tax, and billed on at least half the days since it first
    -- appeared in the classification window (long enough to see a monthly fee twice)
    SELECT sid, min(charge_date) AS first_day
    FROM base WHERE charge_date BETWEEN $classify_start AND $yesterday
      AND charge_category NOT IN ('Purchase', 'Tax')
    GROUP BY sid
    HAVING count(*) * 2 >= date_diff('day', min(charge_date), $yesterday) + 1
),
days AS (
    SELECT CAST(range AS DATE) AS day FROM range($lookback_start, $yesterday + INTERVAL 1 DAY, INTERVAL 1 DAY)
),
filled AS (
    SELECT s.sid, dayofweek(d.day) AS weekday, coalesce(b.cost, 0) AS cost
    FROM series s CROSS JOIN days d
    LEFT JOIN base b ON b.sid = s.sid AND b.charge_date = d.day
    WHERE d.day >= s.first_day
),
levels AS (
    -- the median of a weekday's (at most four) values, from sum, min and max: exact, and far
    -- cheaper than median() over a million series-days
    SELECT sid, weekday, CASE count(*) WHEN 4 THEN (sum(cost) - max(cost) - min(cost)) * 0.5
                                       WHEN 3 THEN sum(cost) - max(cost) - min(cost)
                                       WHEN 2 THEN sum(cost) * 0.5 ELSE sum(cost) END AS level
    FROM filled GROUP BY ALL
),
-- weekdays a new series has not billed on yet: its mean day
typical AS (SELECT sid, CAST(sum(cost) / count(*) AS DECIMAL(18, 6)) AS level FROM filled GROUP BY ALL),
remaining AS (
    SELECT dayofweek(CAST(range AS DATE)) AS weekday, count(*) AS days
    FROM range($today, $month_end + INTERVAL 1 DAY, INTERVAL 1 DAY) GROUP BY 1
),
projection AS (
    SELECT t.sid, sum(coalesce(v.level, t.level) * r.days) AS projected
    FROM typical t CROSS JOIN remaining r
    LEFT JOIN levels v ON v.sid = t.sid AND v.weekday = r.weekday
    GROUP BY t.sid
),
actual AS (
    -- recurring series count their complete days (today is projected); the rest count all they billed
    SELECT b.sid, sum(b.cost) AS actual
    FROM base b LEFT JOIN series s ON s.sid = b.sid
    WHERE b.charge_date >= $month_start AND (s.sid IS NULL OR b.charge_date <= $yesterday)
    GROUP BY b.sid
),
labels AS (
    SELECT sid, any_value(provider) AS provider, any_value(account_id) AS account_id,
           any_value(service) AS service, any_value(region) AS region,
           any_value(charge_category) AS charge_category, any_value(currency) AS currency,
           max(account_name) AS account_name
    FROM base GROUP BY sid
),
names AS (SELECT provider, account_id, max(account_name) AS account_name FROM labels GROUP BY ALL),
parts AS (
    SELECT coalesce(a.sid, p.sid) AS sid, coalesce(a.actual, 0) AS actual, coalesce(p.projected, 0) AS projected
    FROM actual a FULL JOIN projection p ON a.sid = p.sid
)
SELECT {select} currency, sum(actual) AS actual, sum(projected) AS projected
FROM parts JOIN (SELECT * EXCLUDE (account_name) FROM labels) USING (sid) LEFT JOIN names USING (provider, account_id)
GROUP BY {group} currency
ORDER BY sum(actual) + sum(projected) DESC, {order} currency
"""


@dataclass(frozen=True)
class ForecastPart:
    """One group's month so far (`actual`) and its projection for today through the month's end."""

    keys: dict[str, object]
    currency: str
    actual: Decimal
    projected: Decimal


class CostQueries:
    """Queries on one open read-only connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._tag_columns: dict[str, str] | None = None

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
            f"SELECT {', '.join([*select, 'currency', f'sum({metric}) AS cost'])} FROM charges"
            f"{where} GROUP BY {group_sql} ORDER BY {', '.join(order)}"
        )
        result: list[CostGroup] = []
        for row in self._con.execute(sql, params).fetchall():
            values = dict(zip(keys, row[: len(keys)], strict=True))
            if "day" in values and isinstance(values["day"], date):
                values["day"] = values["day"].isoformat()
            result.append(CostGroup(values, _money(row[-1]), row[-2]))
        return result

    def tag_coverage(self, query: CostQuery) -> list[tuple[str, str, Decimal, dict[str, Decimal]]]:
        """Per provider and currency: the cost of the query's rows, and per tag key the cost of those
        carrying the key (one scan; the query's grouping is ignored)."""
        tag_columns = self.tag_columns()
        metric = METRIC_COLUMNS[query.metric]
        where, params = where_clause(query, tag_columns)
        keys = list(tag_columns)
        tagged = "".join(f", sum({metric}) FILTER (WHERE {tag_columns[key]} IS NOT NULL)" for key in keys)
        rows = self._con.execute(
            f"SELECT provider, currency, sum({metric}){tagged} FROM charges{where} "
            "GROUP BY provider, currency ORDER BY provider, currency", params,
        ).fetchall()
        return [(row[0], row[1], _money(row[2]), {key: _money(value) for key, value in zip(keys, row[3:], strict=True)})
                for row in rows]

    def copy_focus(self, query: CostQuery, path: Path, fmt: str) -> int:
        """Write the query's rows as FOCUS 1.2 (csv or parquet) to `path`; see cache/focus_out."""
        from costtui.cache.focus_out import copy_focus

        return copy_focus(self._con, query, path, fmt, self.tag_columns() if query.tags else None)

    def forecast_parts(
        self, query: CostQuery, *, month_start: date, today: date, month_end: date, lookback_start: date,
        classify_start: date,
    ) -> list[ForecastPart]:
        """The forecast's inputs per group of `query.group_by` (provider, account, service, region,
        charge_category): each charge series (SERIES_KEYS) is either projected from the median of its
        same weekdays since `lookback_start` (recurring usage, credits, adjustments: billed on at least
        half the days since they first appeared after `classify_start`) or counted as billed
        (purchases, tax, anything billed on fewer days). The query's dates are ignored."""
        for name in query.group_by:
            if name not in SERIES_GROUPS:
                raise ValueError(f"cannot forecast by {name!r}")
        where, params = where_clause(replace(query, start=min(classify_start, lookback_start, month_start), end=today),
                                     self.tag_columns() if query.tags else {})
        metric = METRIC_COLUMNS[query.metric]
        select, group, order, keys = [], [], [], []
        for name in query.group_by:
            column = SERIES_GROUPS[name]
            select.append(f"{column} AS {name},")
            group.append(f"{column},")
            order.append(f"{column},")
            keys.append(name)
            if name == "account":
                select.append("max(account_name) AS account_name,")
                keys.append("account_name")
        sql = FORECAST_SQL.format(
            metric=metric, where=where, select=" ".join(select), group=" ".join(group), order=" ".join(order),
        )
        named = {"classify_start": classify_start, "lookback_start": lookback_start, "yesterday": today - timedelta(days=1), "today": today,
                 "month_start": month_start, "month_end": month_end}
        # DuckDB takes either positional or named parameters: number the named ones after the filters.
        for offset, (name, value) in enumerate(named.items(), start=len(params) + 1):
            sql = sql.replace(f"${name}", f"${offset}")
            params.append(value)
        sql = _positional(sql, len(params) - len(named))
        parts = []
        for row in self._con.execute(sql, params).fetchall():
            values = dict(zip(keys, row[: len(keys)], strict=True))
            parts.append(ForecastPart(values, row[-3], _money(row[-2]), _money(row[-1])))
        return parts

    def window_sums(self, query: CostQuery, windows: list[tuple[date, date]]) -> list[WindowSums]:
        """Sums per group for several windows in one scan (see cache.rollups)."""
        return window_sums(self._con, query, windows)

    def totals(self, query: CostQuery) -> dict[str, Decimal]:
        """Total per currency for the query's filters (its grouping is ignored)."""
        metric = METRIC_COLUMNS[query.metric]
        where, params = where_clause(query, self.tag_columns() if query.tags else {})
        rows = self._con.execute(
            f"SELECT currency, sum({metric}) FROM charges{where} GROUP BY currency ORDER BY currency",
            params,
        ).fetchall()
        return {currency: _money(total) for currency, total in rows}

    def date_bounds(self) -> tuple[date, date] | None:
        row = self._con.execute("SELECT min(charge_date), max(charge_date) FROM charges").fetchone()
        return (row[0], row[1]) if row and row[0] else None

    def first_days(self) -> dict[str, date]:
        """Each provider's first cached day."""
        rows = self._con.execute("SELECT provider, min(charge_date) FROM charges GROUP BY provider").fetchall()
        return dict(rows)

    def row_count(self) -> int:
        return self._con.execute("SELECT count(*) FROM charges").fetchone()[0]

    def read_every_charge(self) -> None:
        """Read every value of every column of `charges` (hashing defeats answers from statistics):
        a damaged block anywhere fails here, so readiness probes can say so before a user's query
        does. A few rows of output whatever the cache's size."""
        self._con.execute("SELECT max(hash(COLUMNS(*))) FROM charges").fetchall()

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


def _positional(sql: str, count: int) -> str:
    """Number the filters' `?` placeholders $1..$count, so they mix with numbered parameters."""
    for number in range(1, count + 1):
        sql = sql.replace("?", f"${number}", 1)
    return sql


def _money(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))
