"""Daily rollups of `charges`, written at publish, and the one rule for which table answers a query.

`charges` holds ~27k (provider, account, service, region, category, currency) keys a day on a
10M-row cache, so a rollup at that grain would be no smaller than the table. Each rollup keeps
one or two dimensions instead: a question about providers, services and regions, or accounts
reads a table hundreds of times smaller. Anything else (two dimensions no rollup holds together,
a filter or grouping on a column no rollup keeps, such as tags) reads `charges`. Sums of DECIMAL
sums are exact and keep their scale: an answer is the same, digit for digit, from either table.

Window sums (below) add up several windows in one scan, so a face can aggregate a range once and
derive every breakdown, toggle and drill-down from the small result."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import pairwise

import duckdb

from costtui.model import CostQuery

# Rollup table -> the dimensions it keeps besides (charge_date, provider, currency, charge_category).
# Smallest first: a query reads the first one that holds every dimension it needs.
ROLLUPS: dict[str, tuple[str, ...]] = {
    "rollup_totals": (),
    "rollup_services": ("service", "region"),
    "rollup_accounts": ("account",),
}
# The rollup that also sums, per tag column, the rows carrying it (tag coverage).
TAGGED_ROLLUP = "rollup_totals"
# A tag column's name as the writer makes it (model.tag_column): the only shape taken from meta into SQL.
TAG_COLUMN_NAME = re.compile(r"tag_[a-z0-9_]{1,64}")
DIMENSION_COLUMNS = {"service": ["service"], "region": ["region"], "account": ["account_id", "account_name"]}
# Group-bys every rollup answers (with the dimension they need, if any).
GROUP_DIMENSIONS = {"provider": None, "day": None, "month": None, "charge_category": None,
                    "service": "service", "region": "region", "account": "account"}
# CostQuery fields the rule below understands; any other field set (a tag filter, say) reads `charges`.
FILTER_DIMENSIONS = {"accounts": "account", "services": "service", "regions": "region"}
PLAIN_FIELDS = {"start", "end", "providers", "metric", "gross", "group_by"}

# Group-by name -> (output key, SQL expression); expressions are constants, never user text. The
# same names hold in `charges` and in every rollup.
GROUP_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "provider": [("provider", "provider")],
    "account": [("account", "account_id"), ("account_name", "max(account_name)")],
    "service": [("service", "service")],
    "region": [("region", "region")],
    "day": [("day", "charge_date")],
    "month": [("month", "strftime(charge_date, '%Y-%m')")],
    "charge_category": [("charge_category", "charge_category")],
}


def write_rollups(con: duckdb.DuckDBPyConnection, today: date | None, charges_changed: bool) -> None:
    """Bring the rollups and the stored forecast parts up to date with `charges`, in the writer's
    private copy before it is published (readers never see rollups of another snapshot). A write
    that changed no charge (alerts, a failed fetch) keeps them, unless the forecast's day moved.
    `today`: the day readers will ask the forecast for; None keeps the stored one (else the UTC date)."""
    from costtui.cache.forecast import store_forecast, stored_day

    if charges_changed or not rollups_exist(con) or not tag_sums_complete(con):
        build_rollups(con)
    stored = stored_day(con)
    day = today or stored or datetime.now(UTC).date()
    if charges_changed or stored != day:
        store_forecast(con, day)


def rollups_exist(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = current_schema() AND table_name IN "
        f"({', '.join('?' for _ in ROLLUPS)})", list(ROLLUPS)).fetchone()[0]
    return found == len(ROLLUPS)


def tag_sums_complete(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the totals rollup has the tag sums of every tag column (one written before it kept
    them, or before a tag key was configured, has not: the next publish rebuilds it)."""
    columns = table_columns(con, "charges")
    present = table_columns(con, TAGGED_ROLLUP)
    return all(tagged_column(metric, column) in present for column in columns if TAG_COLUMN_NAME.fullmatch(column)
               for metric in ("billed_cost", "effective_cost"))


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute("SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                       "AND schema_name = current_schema() AND table_name = ?", [table]).fetchall()
    return {row[0] for row in rows}


def build_rollups(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)write every rollup from `charges`, in day order (date filters then skip row groups).
    Runs in the writer's private copy before it is published: readers never see rollups of
    another snapshot. The totals also keep, per tag column, the sums of the rows carrying it
    (tag coverage: `billed_cost_tag_team`, ...)."""
    tag_columns = sorted(column for column in table_columns(con, "charges") if TAG_COLUMN_NAME.fullmatch(column))
    for table, dimensions in ROLLUPS.items():
        keys = ", ".join(["charge_date", "provider", *_stored_keys(dimensions), "currency", "charge_category"])
        names = ", max(account_name) AS account_name" if "account" in dimensions else ""
        tagged = "".join(f", sum({metric}) FILTER (WHERE {column} IS NOT NULL) AS {tagged_column(metric, column)}"
                         for column in tag_columns for metric in ("billed_cost", "effective_cost")) \
            if table == TAGGED_ROLLUP else ""
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT {keys}{names}, sum(billed_cost) AS billed_cost, "
            f"sum(effective_cost) AS effective_cost{tagged} FROM charges GROUP BY {keys} ORDER BY charge_date"
        )


def tagged_column(metric_column: str, tag_column: str) -> str:
    """The totals rollup's column summing `metric_column` over the rows carrying `tag_column`."""
    return f"{metric_column}_{tag_column}"


def _stored_keys(dimensions: tuple[str, ...]) -> list[str]:
    return [column for d in dimensions for column in DIMENSION_COLUMNS[d] if column != "account_name"]


def needed_dimensions(query: CostQuery) -> set[str] | None:
    """The rollup dimensions a query filters or groups on; None when no rollup can answer it."""
    for field in fields(query):
        if field.name not in PLAIN_FIELDS and field.name not in FILTER_DIMENSIONS \
                and getattr(query, field.name) != field.default:
            return None
    needed = {dimension for name, dimension in FILTER_DIMENSIONS.items() if getattr(query, name)}
    for name in query.group_by:
        if name not in GROUP_DIMENSIONS:
            return None
        if GROUP_DIMENSIONS[name]:
            needed.add(GROUP_DIMENSIONS[name])  # type: ignore[arg-type]
    return needed


def source_table(query: CostQuery, rollups: bool) -> str:
    """The table that answers `query`: the smallest rollup holding what it needs, else `charges`
    (also when the cache has no rollups yet: a v1-v3 cache until its next write)."""
    if rollups:
        needed = needed_dimensions(query)
        if needed is not None:
            for table, dimensions in ROLLUPS.items():
                if needed <= set(dimensions):
                    return table
    return "charges"


def group_columns(group_by: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """(SELECT expressions, output keys, GROUP BY expressions) of a grouping: one rule for every
    grouped read (cost groups, window sums)."""
    select: list[str] = []
    keys: list[str] = []
    group: list[str] = []
    for name in group_by:
        for key, expr in GROUP_COLUMNS[name]:
            select.append(f"{expr} AS {key}")
            keys.append(key)
            if not expr.startswith("max("):
                group.append(expr)
    return select, keys, group


@dataclass(frozen=True, slots=True)
class WindowSums:
    """One group's sums per window: (billed, effective, billed credits, effective credits) each, so
    the metric and net/gross switches need no second scan (gross = net - credits)."""

    keys: dict[str, object]
    currency: str
    sums: tuple[tuple[Decimal, Decimal, Decimal, Decimal], ...]


# A window's four sums (WindowSums.sums): billed, effective, and their credits.
_SUMS = ("sum(billed_cost), sum(effective_cost), "
         "coalesce(sum(billed_cost) FILTER (WHERE charge_category = 'Credit'), 0), "
         "coalesce(sum(effective_cost) FILTER (WHERE charge_category = 'Credit'), 0)")


def _require_disjoint(windows: Sequence[tuple[date, date]]) -> None:
    for (_, end), (start, _) in pairwise(sorted(windows)):
        if start <= end:
            raise ValueError("window_sums needs disjoint windows")


def _bucket(windows: Sequence[tuple[date, date]]) -> tuple[str, list]:
    """SQL giving a row's window (its index in `windows`; NULL between them), and its parameters."""
    sql = "CASE " + " ".join(f"WHEN charge_date BETWEEN ? AND ? THEN {i}" for i in range(len(windows))) + " END"
    return sql, [day for window in windows for day in window]


def window_sums(
    con: duckdb.DuckDBPyConnection, query: CostQuery, windows: Sequence[tuple[date, date]], rollups: bool
) -> list[WindowSums]:
    """Sums per group of `query.group_by` and currency for each of the disjoint `windows`; the query's
    filters apply, its own dates, metric and gross are ignored (the scan gives net and gross, billed
    and effective at once, credits as filtered sums)."""
    from costtui.cache.queries import where_clause  # one filter rule for every read

    if not windows:
        return []
    _require_disjoint(windows)
    select, keys, group = group_columns(query.group_by)
    if "day" in query.group_by:  # the dashboard keys its time series by text
        select[keys.index("day")] = "strftime(charge_date, '%Y-%m-%d') AS day"
    bucket, params = _bucket(windows)
    scan = replace(query, start=min(s for s, _ in windows), end=max(e for _, e in windows), gross=False)
    where, where_params = where_clause(scan)
    sql = (
        f"SELECT {', '.join([*select, 'currency'])}, {bucket} AS bucket, {_SUMS} "
        f"FROM {source_table(scan, rollups)}{where} GROUP BY {', '.join([*group, 'currency', 'bucket'])}"
    )
    width = len(keys)
    zero = (Decimal(0),) * 4
    folded: dict[tuple, tuple[dict, list[tuple[Decimal, ...]]]] = {}
    for row in con.execute(sql, params + where_params).fetchall():
        window = row[width + 1]
        if window is None:
            continue  # between two windows
        identity = (*(row[i] for i, k in enumerate(keys) if k != "account_name"), row[width])
        entry = folded.get(identity)
        if entry is None:
            entry = folded[identity] = (dict(zip(keys, row[:width], strict=True)), [zero] * len(windows))
        # DECIMAL sums arrive as Decimal (the schema's money columns are DECIMAL; credits coalesced
        # in SQL): no conversion per value, ~40 ms of a drill-down's read on 10M rows.
        entry[1][window] = row[width + 2:]
    return [
        WindowSums(values, identity[-1], tuple(sums))  # type: ignore[arg-type]
        for identity, (values, sums) in folded.items()
    ]


# Grouping sets per scan: each set's hash tables cost memory whether its groups are few or many (an
# account's drill-down on 10M rows: six sets in one scan peaked ~14 MB above six scans; two per scan
# ~4 MB above them, and as fast as six in one: ~0.65x the time of six scans).
SETS_PER_SCAN = 2


def window_sums_sets(
    con: duckdb.DuckDBPyConnection, selection: CostQuery,
    asks: Sequence[tuple[tuple[str, ...], Sequence[tuple[date, date]]]], rollups: bool,
) -> list[list[WindowSums]]:
    """window_sums of `selection`'s rows for each (group_by, windows) of `asks`, in order. The asks one
    table answers share a scan (GROUPING SETS): a drill-down's breakdowns and its sums by day read its
    rows once, not once each (an account's drill-down on 10M rows: six scans of `charges` became three,
    ~0.65x the time), at most SETS_PER_SCAN asks a scan. Two asks of the same grouping (other windows)
    take a scan each: both build the same groups, and together they took as long as apart (accounts of
    a service, by range and by day)."""
    results: list[list[WindowSums]] = [[] for _ in asks]
    scans: list[tuple[str, list[int]]] = []  # (table, asks) of each scan
    for index, (group_by, windows) in enumerate(asks):
        if not windows:
            continue
        table = source_table(replace(selection, group_by=group_by), rollups)
        scan = next((indexes for t, indexes in scans if t == table and len(indexes) < SETS_PER_SCAN
                     and all(asks[i][0] != group_by for i in indexes)), None)
        if scan is None:
            scans.append((table, [index]))
        else:
            scan.append(index)
    for table, indexes in scans:
        if len(indexes) == 1:
            group_by, windows = asks[indexes[0]]
            results[indexes[0]] = window_sums(con, replace(selection, group_by=group_by), windows, rollups)
            continue
        for index, sums in zip(indexes, _one_scan(con, selection, [asks[i] for i in indexes], table), strict=True):
            results[index] = sums
    return results


def _one_scan(con: duckdb.DuckDBPyConnection, selection: CostQuery,
              asks: Sequence[tuple[tuple[str, ...], Sequence[tuple[date, date]]]], table: str) -> list[list[WindowSums]]:
    from costtui.cache.queries import where_clause  # one filter rule for every read

    for _, windows in asks:
        _require_disjoint(windows)
    # Beneath the grouping sets, each group key as a column named as the key (GROUP_COLUMNS' rule):
    # sets can only group by columns.
    keyed = [[key for name in group_by for key, _ in GROUP_COLUMNS[name]] for group_by, _ in asks]
    inner = {key: expr for group_by, _ in asks for name in group_by for key, expr in GROUP_COLUMNS[name]
             if key != "account_name"}
    named = any("account_name" in keys for keys in keyed)
    columns = list(inner)
    for column in ("account_name",) * named + ("currency", "charge_category", "billed_cost", "effective_cost"):
        inner.setdefault(column, column)
    buckets, params = [], []
    for n, (_, windows) in enumerate(asks):
        bucket, bucket_params = _bucket(windows)
        buckets.append(f"{bucket} AS b{n}")
        params += bucket_params
    every = [day for _, windows in asks for window in windows for day in window]
    where, where_params = where_clause(replace(selection, start=min(every), end=max(every), gross=False, group_by=()))
    bucket_names = [f"b{n}" for n in range(len(asks))]
    sets = ", ".join("(" + ", ".join([*(k for k in keys if k != "account_name"), "currency", bucket]) + ")"
                     for keys, bucket in zip(keyed, bucket_names, strict=True))
    sql = (
        f"SELECT {', '.join(columns)}{', max(account_name)' if named else ''}, currency, {', '.join(bucket_names)}, "
        f"grouping({', '.join(bucket_names)}) AS g, {_SUMS} FROM (SELECT "
        f"{', '.join(f'{expr} AS {key}' for key, expr in inner.items())}, {', '.join(buckets)} FROM {table}{where}) "
        f"GROUP BY GROUPING SETS ({sets})"
    )
    # grouping(b0, b1, ...) has a bit set for each bucket a set does not group by (b0 the highest):
    # every bucket but its own.
    count = len(asks)
    which = {sum(1 << (count - 1 - j) for j in range(count) if j != n): n for n in range(count)}
    place = {column: i for i, column in enumerate(columns)}
    if named:
        place["account_name"] = len(columns)
    currency_at = len(columns) + (1 if named else 0)
    zero = (Decimal(0),) * 4
    folded: list[dict[tuple, tuple[dict, list]]] = [{} for _ in asks]
    for row in con.execute(sql, params + where_params).fetchall():
        n = which[row[currency_at + 1 + count]]
        window = row[currency_at + 1 + n]
        if window is None:
            continue  # between two of its windows
        values = {key: row[place[key]] for key in keyed[n]}
        if "day" in values:  # a date beneath the sets (text took ~10 MB more per read): keyed by text, as window_sums
            values["day"] = values["day"].isoformat()
        identity = (*(v for k, v in values.items() if k != "account_name"), row[currency_at])
        entry = folded[n].get(identity)
        if entry is None:
            entry = folded[n][identity] = (values, [zero] * len(asks[n][1]))
        entry[1][window] = row[currency_at + 2 + count:]
    return [[WindowSums(values, identity[-1], tuple(sums)) for identity, (values, sums) in sets_.items()]
            for sets_ in folded]

