"""FOCUS 1.0-1.3 files (CSV, CSV.gz, Parquet) from any provider, rolled up to daily cost rows.

Each file is parsed and validated in DuckDB as a whole: one bad value refuses the file with
its name, line (or Parquet row) and column, and nothing of the import reaches the cache.
Days are the UTC dates of ChargePeriodStart. With BillingPeriodStart, the import restates
exactly the (provider, billing account, billing period) slices the files contain; without it,
each (provider, billing account)'s days from its first to its last charge. All files of one
command are one delivery. Usage whose charge period is longer than a day is spread evenly
over its days (exact: the remainder lands on the last day); purchases, tax and credits stay
on the day they start."""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import duckdb

from costtui.model import CHARGE_CATEGORIES, CostError, FetchResult, ReplaceScope, add_months
from costtui.providers.base import FetchContext
from costtui.providers.engine import memory_engine, stage_parquet
from costtui.providers.focus_mapping import (
    FOCUS_CHARGE_CATEGORIES,
    MONEY_TYPE,
    category_sql,
    currency_is_valid,
    match_columns,
    missing_required,
    money_out_of_range,
    money_sql,
    provider_sql,
    timestamp_sql,
)

FILE_SUFFIXES = (".csv", ".csv.gz", ".parquet")
# Input bounds: a header or line longer than this is refused, so a newline-free file never fills memory.
MAX_HEADER_BYTES = 64 * 1024
MAX_LINE_BYTES = 1024 * 1024
EARLIEST_DAY = date(2000, 1, 1)
# Money the CSV reader converts itself (as fast as a bare load, naming line and column on a bad value).
CSV_TYPES = {"BilledCost": MONEY_TYPE, "EffectiveCost": MONEY_TYPE}


class FocusFileError(CostError):
    """A FOCUS file refused as a whole."""


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """Files as given, folders searched for FOCUS files; sorted for stable results."""
    files: list[Path] = []
    for path in paths:
        path = Path(path).expanduser()
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(FILE_SUFFIXES))
            )
        elif path.exists():
            files.append(path)
        else:
            raise FocusFileError(f"{path}: no such file")
    return files


class FocusFilesProvider:
    """Imports FOCUS files, restating the billing periods (or days) they cover."""

    name = "focus"
    source = "files"

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = [Path(p) for p in paths]

    def check_auth(self) -> None:
        for path in expand_paths(self.paths):
            if not os.access(path, os.R_OK):
                raise FocusFileError(f"{path}: not readable")

    def fetch(self, context: FetchContext) -> FetchResult:
        """Stage every new or changed file; `context.end` is today (the latest plausible charge
        is a year after it)."""
        files = expand_paths(self.paths)
        if not files:
            raise FocusFileError(
                f"no FOCUS files (.csv, .csv.gz, .parquet) in {', '.join(map(str, self.paths))}"
            )
        latest_day = add_months(context.end, 12)
        con = memory_engine(spill_dir=context.workdir)
        slices: list[tuple] = []
        staged: list[Path] = []
        ingested: dict[str, str] = {}
        rows = 0
        try:
            for index, path in enumerate(files):
                fingerprint = _fingerprint(path)
                key = str(path.resolve())
                if context.known_objects.get(key) == fingerprint:
                    continue  # unchanged since the last refresh
                target = context.workdir / f"focus-{index}.parquet"
                file_slices, count = FocusFile(con, path, latest_day).stage(target)
                slices.extend(file_slices)
                staged.append(target)
                ingested[key] = fingerprint
                rows += count
        finally:
            con.close()
        return FetchResult(
            self.name, delivery_scopes(slices), parquet_files=staged, row_count=rows, ingested_objects=ingested
        )


def delivery_scopes(slices: Sequence[tuple]) -> list[ReplaceScope]:
    """One delivery's scopes from its files' (provider, account, billing period, first, last) slices:
    each billing period once; without one, a (provider, account)'s days across every file."""
    periods: set[tuple[str, str, date]] = set()
    days: dict[tuple[str, str], tuple[date, date]] = {}
    for provider, account, period, first, last in slices:
        if period is not None:
            periods.add((provider, account, period))
        else:
            known = days.get((provider, account), (first, last))
            days[(provider, account)] = (min(known[0], first), max(known[1], last))
    scopes = [
        ReplaceScope(provider, period, add_months(period, 1) - timedelta(days=1), account, period)
        for provider, account, period in sorted(periods)
    ]
    scopes += [ReplaceScope(p, first, last, a) for (p, a), (first, last) in sorted(days.items())]
    return scopes


class FocusFile:
    """One FOCUS file read, checked and rolled up to days on an in-memory engine."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, latest_day: date) -> None:
        self.con = con
        self.path = path
        self.latest_day = latest_day
        self.is_parquet = path.name.lower().endswith(".parquet")

    def stage(self, target: Path) -> tuple[list[tuple], int]:
        """Write the file's daily rows to `target`; returns its slices and the row count."""
        con, path = self.con, self.path
        source, types = self._source()
        mapping = match_columns(types)
        missing = missing_required(mapping)
        if missing:
            where = "" if self.is_parquet else "line 1: "
            raise FocusFileError(f"{path}: {where}required column {missing[0]} is missing")
        try:
            self._type_and_validate(source, types, mapping)
            count = stage_parquet(con, ROLLUP_SQL, target, with_billing_period=True)
        except duckdb.OutOfRangeException:
            raise FocusFileError(f"{path}: a daily total is too large for the cache (over 10^12)") from None
        except duckdb.Error as exc:
            raise FocusFileError(f"{path}: {_describe_read_error(exc)}") from None
        slices = con.execute(
            f"SELECT provider, billing_account_id, billing_period_start, min(charge_date), max(charge_date) "
            f"FROM read_parquet('{_sql_text(str(target))}') GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        con.execute("DROP TABLE typed")
        return slices, count

    def _source(self) -> tuple[str, dict[str, str]]:
        """The table function reading the file, and its columns with their types."""
        literal = "'" + _sql_text(str(self.path)) + "'"
        if self.is_parquet:
            source = f"read_parquet({literal})"
            try:
                described = self.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
            except duckdb.Error as exc:
                raise FocusFileError(f"{self.path}: cannot read: {_first_line(exc)}") from None
            return source, {row[0]: row[1] for row in described}
        if self.path.name.lower().endswith((".csv", ".csv.gz")):
            header = _csv_header(self.path)
            types = {c: CSV_TYPES.get(c, "VARCHAR") for c in header}
            spec = ", ".join(f"'{_sql_text(c)}': '{t}'" for c, t in types.items())
            source = (
                f"read_csv({literal}, header = true, auto_detect = false, delim = ',', quote = '\"', "
                f"escape = '\"', strict_mode = true, nullstr = ['', 'NULL'], max_line_size = {MAX_LINE_BYTES}, "
                f"columns = {{{spec}}})"
            )
            return source, types
        raise FocusFileError(f"{self.path}: not a FOCUS file (expected .csv, .csv.gz or .parquet)")

    def _type_and_validate(self, source: str, types: dict[str, str], mapping: dict[str, str]) -> None:
        """Fill `typed`: the file grouped by its raw key values (hours x accounts x services: far
        fewer than its rows), parsed and checked per group; a problem is then located row by row."""
        con, sql = self.con, FileSql(mapping, types, self.latest_day)
        con.execute(f"CREATE OR REPLACE TABLE typed AS {sql.typed(sql.grouped(source))}")
        rows, first_problem = con.execute(
            "SELECT sum(rows), min(problem) FILTER (WHERE problem IS NOT NULL) FROM typed"
        ).fetchone()
        if not rows:
            raise FocusFileError(f"{self.path}: no rows")
        if first_problem is None:
            return
        # Rows keep file order in a table, so the first bad row's position is its line (or Parquet row).
        con.execute(f"CREATE OR REPLACE TABLE row_problems AS SELECT problem FROM ({sql.typed(sql.rows(source))})")
        index, code = con.execute(
            "SELECT rowid + 1, problem FROM row_problems WHERE problem IS NOT NULL ORDER BY rowid LIMIT 1"
        ).fetchone()
        con.execute("DROP TABLE row_problems")
        _, field, message = sql.checks[code]
        if message != "missing value":
            shown = con.execute(
                f"SELECT CAST({sql.raw(field)} AS VARCHAR) FROM {source} LIMIT 1 OFFSET ?", [index - 1]
            ).fetchone()[0]
            message = f"{message}: {shown}"
        where = f"row {index}" if self.is_parquet else f"line {index + 1}"  # line 1 is the header
        raise FocusFileError(f"{self.path}: {where}, column {mapping[field]}: {message}")


# Raw key columns a file is grouped by before anything is parsed.
KEY_COLUMNS = (
    "start_raw", "end_raw", "period_raw", "category_text", "provider_text", "billing_account_id",
    "account_id_text", "service", "region_text", "currency_text", "estimated_raw",
)
MONEY_FLAGS = tuple(f"{m}_{flag}" for m in ("billed", "effective") for flag in ("missing", "invalid", "too_large"))


class FileSql:
    """The SQL reading one FOCUS file: raw rows, their groups, and the parsed, checked `typed` rows."""

    def __init__(self, mapping: dict[str, str], types: dict[str, str], latest_day: date) -> None:
        self.mapping, self.types = mapping, types
        plausible = f"BETWEEN DATE '{EARLIEST_DAY}' AND DATE '{latest_day}'"
        between = f"not between {EARLIEST_DAY} and {latest_day}"
        iso = "not an ISO 8601 date or timestamp"
        checks = [
            ("start_raw IS NULL", "charge_period_start", "missing value"),
            ("start_ts IS NULL", "charge_period_start", iso),
            (f"NOT CAST(start_ts AS DATE) {plausible}", "charge_period_start", between),
            ("end_raw IS NOT NULL AND end_ts IS NULL", "charge_period_end", iso),
        ]
        if "billing_period_start" in mapping:
            checks += [
                ("period_raw IS NULL", "billing_period_start", "missing value"),
                ("period_ts IS NULL", "billing_period_start", iso),
                (f"NOT CAST(period_ts AS DATE) {plausible}", "billing_period_start", between),
            ]
        for money in ("billed", "effective"):
            checks += [
                (f"{money}_missing", f"{money}_cost", "missing value"),
                (f"{money}_invalid", f"{money}_cost", "not a number"),
                (f"{money}_too_large", f"{money}_cost", "too large for the cache (DECIMAL(18, 6): under 10^12)"),
            ]
        checks += [
            ("category_text IS NULL", "charge_category", "missing value"),
            ("charge_category IS NULL", "charge_category", f"not one of {', '.join(CHARGE_CATEGORIES)}"),
            ("provider_text IS NULL", "provider_name", "missing value"),
            ("billing_account_id IS NULL", "billing_account_id", "missing value"),
            ("service IS NULL", "service", "missing value"),
            ("currency IS NULL", "currency", "missing value"),
            (f"NOT {currency_is_valid('currency')}", "currency", "not a three-letter currency code"),
        ]
        self.checks = checks

    def raw(self, field: str) -> str:
        return f'"{_sql_identifier(self.mapping[field])}"' if field in self.mapping else "NULL"

    def _text(self, field: str) -> str:
        return f"nullif(CAST({self.raw(field)} AS VARCHAR), '')" if field in self.mapping else "NULL::VARCHAR"

    def _kind(self, field: str) -> str:
        return self.types[self.mapping[field]] if field in self.mapping else "VARCHAR"

    def rows(self, source: str) -> str:
        """One row per file row: raw keys, parsed money and the money's problem flags."""
        money = {m: money_sql(self.raw(f"{m}_cost"), self._kind(f"{m}_cost")) for m in ("billed", "effective")}
        flags = []
        for m in ("billed", "effective"):
            flags += [
                f"{self.raw(f'{m}_cost')} IS NULL AS {m}_missing",
                f"{self.raw(f'{m}_cost')} IS NOT NULL AND __{m} IS NULL AS {m}_invalid",
                f"coalesce({money_out_of_range(f'__{m}')}, false) AS {m}_too_large",
            ]
        return f"""SELECT {self.raw("charge_period_start")} AS start_raw, {self.raw("charge_period_end")} AS end_raw,
                   {self.raw("billing_period_start")} AS period_raw, {self._text("charge_category")} AS category_text,
                   {self._text("provider_name")} AS provider_text, {self._text("billing_account_id")} AS billing_account_id,
                   {self._text("account_id")} AS account_id_text, {self._text("service")} AS service,
                   {self._text("region")} AS region_text, {self._text("currency")} AS currency_text,
                   {self.raw("estimated")} AS estimated_raw, {self._text("account_name")} AS account_name_text,
                   __billed AS billed_cost, __effective AS effective_cost, {", ".join(flags)}, 1 AS rows
            FROM (SELECT *, {money["billed"]} AS __billed, {money["effective"]} AS __effective FROM {source})"""

    def grouped(self, source: str) -> str:
        """The rows summed per raw key: what is parsed and checked on the fast path."""
        flags = ", ".join(f"bool_or({f}) AS {f}" for f in MONEY_FLAGS)
        return f"""SELECT {", ".join(KEY_COLUMNS)}, max(account_name_text) AS account_name_text,
                   sum(billed_cost) AS billed_cost, sum(effective_cost) AS effective_cost, {flags},
                   sum(rows) AS rows
            FROM ({self.rows(source)}) GROUP BY {", ".join(KEY_COLUMNS)}"""

    def typed(self, base: str) -> str:
        """`base` (rows or groups) with UTC timestamps, categories, providers, the spread and a problem code."""

        def stamp(column: str, field: str) -> str:
            if field not in self.mapping:
                return "NULL::TIMESTAMPTZ"
            return timestamp_sql(column, self._kind(field))

        categories = category_sql("category_text", FOCUS_CHARGE_CATEGORIES, default=None)
        problem = "CASE " + " ".join(f"WHEN {c} THEN {i}" for i, (c, _, _) in enumerate(self.checks)) + " END"
        estimated = "coalesce(try_cast(estimated_raw AS BOOLEAN), false)" if "estimated" in self.mapping else "false"
        return f"""SELECT CAST(start_ts AS DATE) AS charge_date,
                   CASE WHEN charge_category = 'Usage' AND end_ts - start_ts > INTERVAL 1 DAY
                        THEN date_diff('day', CAST(start_ts AS DATE), CAST(end_ts - INTERVAL 1 MICROSECOND AS DATE)) + 1
                        ELSE 1 END AS spread_days,
                   CAST(period_ts AS DATE) AS billing_period_start,
                   {provider_sql("provider_text")} AS provider, billing_account_id,
                   coalesce(account_id_text, billing_account_id) AS account_id,
                   coalesce(account_name_text, account_id_text, billing_account_id) AS account_name,
                   service, coalesce(region_text, '') AS region, charge_category,
                   billed_cost, effective_cost, currency, {estimated} AS estimated, rows, {problem} AS problem
            FROM (SELECT *, {stamp("start_raw", "charge_period_start")} AS start_ts,
                         {stamp("end_raw", "charge_period_end")} AS end_ts,
                         {stamp("period_raw", "billing_period_start")} AS period_ts,
                         {categories} AS charge_category, upper(trim(currency_text)) AS currency
                  FROM ({base}))"""


def _share(amount: str) -> str:
    """An equal share of `amount` over spread_days, truncated to the cache's 6 decimals (exact DECIMAL)."""
    return f"((CAST(trunc({amount} * 1000000) AS HUGEINT) // spread_days) * CAST(0.000001 AS DECIMAL(7, 6)))"


def _day_part(amount: str) -> str:
    """Day `d` of a spread row: a share, and on the last day what is left, so the days add up exactly."""
    return f"CASE WHEN d < spread_days - 1 THEN {_share(amount)} ELSE {amount} - {_share(amount)} * (spread_days - 1) END"


_ROW_COLUMNS = "provider, billing_account_id, account_id, account_name, service, region, charge_category, currency, estimated, billing_period_start"
ROLLUP_SQL = f"""
WITH days AS (
    SELECT charge_date, {_ROW_COLUMNS}, billed_cost, effective_cost FROM typed WHERE spread_days = 1
    UNION ALL
    SELECT charge_date + CAST(d AS INTEGER), {_ROW_COLUMNS}, {_day_part("billed_cost")}, {_day_part("effective_cost")}
    FROM (SELECT *, unnest(range(spread_days)) AS d FROM typed WHERE spread_days > 1)
)
SELECT charge_date, provider, billing_account_id, account_id, max(account_name) AS account_name, service, region,
       charge_category, round(sum(billed_cost), 6) AS billed_cost, round(sum(effective_cost), 6) AS effective_cost,
       currency, bool_or(estimated) AS estimated, billing_period_start
FROM days
GROUP BY charge_date, provider, billing_account_id, account_id, service, region, charge_category, currency,
         billing_period_start
"""


def _csv_header(path: Path) -> list[str]:
    """The header record, read within MAX_HEADER_BYTES (constant memory on a newline-free file)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            chunk = handle.read(MAX_HEADER_BYTES + 1)
        text = chunk.decode("utf-8-sig", errors="strict") if b"\n" in chunk else None
    except (OSError, EOFError) as exc:
        raise FocusFileError(f"{path}: cannot read: {exc}") from None
    except UnicodeDecodeError:
        text = chunk[: chunk.index(b"\n")].decode("utf-8-sig", errors="replace")
    if text is None:
        if len(chunk) > MAX_HEADER_BYTES:
            raise FocusFileError(f"{path}: line 1: header longer than {MAX_HEADER_BYTES} bytes")
        text = chunk.decode("utf-8-sig", errors="replace")
    try:
        header = next(csv.reader(io.StringIO(text)), None)
    except csv.Error as exc:
        raise FocusFileError(f"{path}: line 1: {exc}") from None
    if not header:
        raise FocusFileError(f"{path}: empty file, no header line")
    return header


def _describe_read_error(exc: BaseException) -> str:
    """DuckDB's multi-line CSV error as one line naming the line."""
    text = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    too_long = re.search(r"Maximum line size of (\d+) bytes exceeded", text)
    conversion = re.search(
        r'converting column "([^"]+)"\. Could not convert string "([^"]*)" to \'?(\w+)', text
    )
    if line and counts:
        # DuckDB stops counting at the first extra field: the expected count is the reliable part.
        return f"line {line.group(1)}: wrong number of fields (the header has {counts.group(1)})"
    if line and too_long:
        return f"line {line.group(1)}: longer than {too_long.group(1)} bytes"
    if line and conversion:
        column, shown, _ = conversion.groups()
        return f"line {line.group(1)}, column {column}: not a number: {shown}"
    if line:
        return f"line {line.group(1)}: {_first_line(exc).removeprefix('Invalid Input Error: ')}"
    return f"cannot read: {_first_line(exc)}"


def _sql_identifier(name: str) -> str:
    return name.replace('"', '""')


def _sql_text(value: str) -> str:
    return value.replace("'", "''")


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
