"""FOCUS 1.0-1.3 files (CSV, CSV.gz, Parquet) from any provider, rolled up to daily cost rows.

Each file is parsed and validated in DuckDB as a whole: one bad value refuses the
file with its name, line and column, and nothing of it reaches the cache."""

from __future__ import annotations

import csv
import gzip
import os
import re
from collections.abc import Sequence
from pathlib import Path

import duckdb

from costtui.model import CHARGE_CATEGORIES, CostError, FetchResult, ReplaceScope
from costtui.providers.base import FetchContext, RefreshPolicy
from costtui.providers.engine import memory_engine, stage_parquet

FILE_SUFFIXES = (".csv", ".csv.gz", ".parquet")

# Output column -> FOCUS column names accepted for it, in order of preference (1.3 first).
REQUIRED_COLUMNS = {
    "charge_period_start": ("ChargePeriodStart",),
    "billed_cost": ("BilledCost",),
    "currency": ("BillingCurrency",),
    "charge_category": ("ChargeCategory",),
    "provider_name": ("ServiceProviderName", "ProviderName"),
    "billing_account_id": ("BillingAccountId",),
    "service": ("ServiceName",),
}
OPTIONAL_COLUMNS = {
    "effective_cost": ("EffectiveCost",),
    "account_id": ("SubAccountId",),
    "account_name": ("SubAccountName",),
    "region": ("RegionId",),
}
# Columns the CSV reader converts itself.
CSV_TYPES = {
    "BilledCost": "DECIMAL(38, 12)",
    "EffectiveCost": "DECIMAL(38, 12)",
    "ChargePeriodStart": "TIMESTAMP",
}
# ProviderName values as exports write them -> costtui provider ids.
PROVIDER_ALIASES = {
    "aws": "aws",
    "amazon web services": "aws",
    "microsoft": "azure",
    "microsoft azure": "azure",
    "azure": "azure",
    "google cloud": "gcp",
    "google cloud platform": "gcp",
    "google": "gcp",
    "gcp": "gcp",
}


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


def _null_if_empty(expression: str) -> str:
    return f"nullif(nullif(trim({expression}), ''), 'NULL')"


class FocusFilesProvider:
    """Imports FOCUS files; each (provider, billing account) a file covers is restated for its days."""

    name = "focus"
    source = "files"

    def __init__(self, paths: Sequence[Path], timeout_seconds: float = 300.0) -> None:
        self.paths = [Path(p) for p in paths]
        self.policy = RefreshPolicy(restatement_days=3, timeout_seconds=timeout_seconds)

    def check_auth(self) -> None:
        for path in expand_paths(self.paths):
            if not os.access(path, os.R_OK):
                raise FocusFileError(f"{path}: not readable")

    def fetch(self, context: FetchContext) -> FetchResult:
        files = expand_paths(self.paths)
        if not files:
            raise FocusFileError(
                f"no FOCUS files (.csv, .csv.gz, .parquet) in {', '.join(map(str, self.paths))}"
            )
        con = memory_engine(spill_dir=context.workdir)
        scopes: list[ReplaceScope] = []
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
                file_scopes, count = self._load_file(con, path, target)
                scopes.extend(file_scopes)
                staged.append(target)
                ingested[key] = fingerprint
                rows += count
        finally:
            con.close()
        return FetchResult(self.name, scopes, parquet_files=staged, row_count=rows, ingested_objects=ingested)

    def _load_file(
        self, con: duckdb.DuckDBPyConnection, path: Path, target: Path
    ) -> tuple[list[ReplaceScope], int]:
        source, columns = self._source(con, path)
        mapping = _map_columns(path, columns)
        try:
            self._type_and_validate(con, path, source, mapping)
        except duckdb.Error as exc:
            raise FocusFileError(f"{path}: {_describe_read_error(exc)}") from None
        count = stage_parquet(con, ROLLUP_SQL, target)
        scopes = [
            ReplaceScope(provider, first, last, billing_account)
            for provider, billing_account, first, last in con.execute(
                "SELECT provider, billing_account_id, min(charge_date), max(charge_date) "
                "FROM typed GROUP BY ALL ORDER BY ALL"
            ).fetchall()
        ]
        con.execute("DROP TABLE typed")
        return scopes, count

    def _source(self, con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, list[str]]:
        """The table function reading the file, and its column names."""
        name = path.name.lower()
        literal = "'" + _sql_text(str(path)) + "'"
        if name.endswith(".parquet"):
            source = f"read_parquet({literal})"
            try:
                described = con.execute(
                    f"SELECT column_name FROM (DESCRIBE SELECT * FROM {source})"
                ).fetchall()
            except duckdb.Error as exc:
                raise FocusFileError(f"{path}: cannot read: {_first_line(exc)}") from None
            return source, [row[0] for row in described]
        if name.endswith((".csv", ".csv.gz")):
            header = _csv_header(path)
            # The reader parses money and timestamps itself (as fast as a bare load) and
            # names the line and column of a value it cannot convert.
            spec = ", ".join(f"'{_sql_text(c)}': '{CSV_TYPES.get(c, 'VARCHAR')}'" for c in header)
            source = (
                f"read_csv({literal}, header = true, auto_detect = false, delim = ',', quote = '\"', "
                f"escape = '\"', strict_mode = true, nullstr = ['', 'NULL'], columns = {{{spec}}})"
            )
            return source, header
        raise FocusFileError(f"{path}: not a FOCUS file (expected .csv, .csv.gz or .parquet)")

    def _type_and_validate(
        self, con: duckdb.DuckDBPyConnection, path: Path, source: str, mapping: dict[str, str | None]
    ) -> None:
        def value(column: str) -> str:
            name = mapping[column]
            return "NULL" if name is None else f'"{_sql_identifier(name)}"'

        def text(column: str) -> str:
            return f"nullif(CAST({value(column)} AS VARCHAR), '')"

        providers = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in PROVIDER_ALIASES.items())
        categories = " ".join(f"WHEN '{c.lower()}' THEN '{c}'" for c in CHARGE_CATEGORIES)
        checks = [
            (f"{value('charge_period_start')} IS NULL", "charge_period_start", "missing value"),
            ("charge_date IS NULL", "charge_period_start", "not a date or timestamp"),
            (f"{value('billed_cost')} IS NULL", "billed_cost", "missing value"),
            ("billed_cost IS NULL", "billed_cost", "not a number"),
            ("effective_cost IS NULL", "effective_cost", "not a number"),
            ("category_text IS NULL", "charge_category", "missing value"),
            ("charge_category IS NULL", "charge_category", f"not one of {', '.join(CHARGE_CATEGORIES)}"),
            ("provider_text IS NULL", "provider_name", "missing value"),
            ("billing_account_id IS NULL", "billing_account_id", "missing value"),
            ("service IS NULL", "service", "missing value"),
            ("currency IS NULL", "currency", "missing value"),
        ]
        problem = (
            "CASE " + " ".join(f"WHEN {cond} THEN {i}" for i, (cond, _, _) in enumerate(checks)) + " END"
        )
        # One pass over the file; rows keep file order, so a problem's line can be found afterwards.
        con.execute(
            f"""CREATE TABLE typed AS
            WITH parsed AS (
                SELECT *,
                       CAST(try_cast({value("charge_period_start")} AS TIMESTAMP) AS DATE) AS charge_date,
                       try_cast({value("billed_cost")} AS DECIMAL(38, 12)) AS billed_cost,
                       try_cast(coalesce({value("effective_cost")}, {value("billed_cost")}) AS DECIMAL(38, 12))
                           AS effective_cost,
                       {text("charge_category")} AS category_text, {text("provider_name")} AS provider_text,
                       {text("billing_account_id")} AS billing_account_id, {text("service")} AS service,
                       upper({text("currency")}) AS currency
                FROM (SELECT * FROM {source})
            )
            SELECT charge_date,
                   CASE lower(provider_text) {providers} ELSE lower(provider_text) END AS provider,
                   billing_account_id,
                   coalesce({text("account_id")}, billing_account_id) AS account_id,
                   coalesce({text("account_name")}, {text("account_id")}, billing_account_id) AS account_name,
                   service, coalesce({text("region")}, '') AS region,
                   CASE lower(category_text) {categories} END AS charge_category,
                   billed_cost, effective_cost, currency,
                   {problem.replace("charge_category IS NULL", f"(CASE lower(category_text) {categories} END) IS NULL")}
                       AS problem
            FROM parsed"""
        )
        rows, first_problem = con.execute(
            "SELECT count(*), min(problem) FILTER (WHERE problem IS NOT NULL) FROM typed"
        ).fetchone()
        if rows == 0:
            raise FocusFileError(f"{path}: no rows")
        if first_problem is None:
            return
        line_index, code = con.execute(
            "SELECT line_index, problem FROM (SELECT row_number() OVER () AS line_index, problem FROM typed) "
            "WHERE problem IS NOT NULL ORDER BY line_index LIMIT 1"
        ).fetchone()
        _, column, message = checks[code]
        if message != "missing value":
            shown = con.execute(
                f"SELECT CAST({value(column)} AS VARCHAR) FROM {source} LIMIT 1 OFFSET ?", [line_index - 1]
            ).fetchone()[0]
            message = f"{message}: {shown}"
        is_parquet = path.name.lower().endswith(".parquet")
        where = f"row {line_index}" if is_parquet else f"line {line_index + 1}"  # line 1 is the header
        raise FocusFileError(f"{path}: {where}, column {mapping[column]}: {message}")


ROLLUP_SQL = """
SELECT charge_date, provider, billing_account_id, account_id, max(account_name) AS account_name, service, region,
       charge_category, round(sum(billed_cost), 6) AS billed_cost, round(sum(effective_cost), 6) AS effective_cost,
       currency, false AS estimated
FROM typed
GROUP BY charge_date, provider, billing_account_id, account_id, service, region, charge_category, currency
"""


def _map_columns(path: Path, columns: list[str]) -> dict[str, str | None]:
    present = set(columns)
    mapping: dict[str, str | None] = {}
    for key, names in REQUIRED_COLUMNS.items():
        found = next((n for n in names if n in present), None)
        if found is None:
            raise FocusFileError(f"{path}: line 1: required column {' or '.join(names)} is missing")
        mapping[key] = found
    for key, names in OPTIONAL_COLUMNS.items():
        mapping[key] = next((n for n in names if n in present), None)
    return mapping


def _csv_header(path: Path) -> list[str]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise FocusFileError(f"{path}: cannot read: {exc}") from None
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
    conversion = re.search(
        r'converting column "([^"]+)"\. Could not convert string "([^"]*)" to \'?(\w+)', text
    )
    if line and counts:
        return f"line {line.group(1)}: expected {counts.group(1)} fields, found {counts.group(2)}"
    if line and conversion:
        column, shown, kind = conversion.groups()
        what = "not a number" if kind.upper().startswith("DECIMAL") else "not a date or timestamp"
        return f"line {line.group(1)}, column {column}: {what}: {shown}"
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
