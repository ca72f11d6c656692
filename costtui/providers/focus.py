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
from costtui.providers.base import FetchContext
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
TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?$"


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

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = [Path(p) for p in paths]

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
        columns = self._read_raw(con, path)
        mapping = _map_columns(path, columns)
        self._type_and_validate(con, path, mapping)
        count = stage_parquet(con, ROLLUP_SQL, target)
        scopes = [
            ReplaceScope(provider, first, last, billing_account)
            for provider, billing_account, first, last in con.execute(
                "SELECT provider, billing_account_id, min(charge_date), max(charge_date) "
                "FROM typed GROUP BY ALL ORDER BY ALL"
            ).fetchall()
        ]
        con.execute("DROP TABLE raw; DROP TABLE typed")
        return scopes, count

    def _read_raw(self, con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
        name = path.name.lower()
        try:
            if name.endswith(".parquet"):
                con.execute("CREATE TABLE raw AS SELECT * FROM read_parquet(?)", [str(path)])
            elif name.endswith((".csv", ".csv.gz")):
                header = _csv_header(path)
                _map_columns(path, header)  # refuse early, before reading the body
                columns = "{" + ", ".join(f"'{_sql_text(c)}': 'VARCHAR'" for c in header) + "}"
                con.execute(
                    "CREATE TABLE raw AS SELECT * FROM read_csv(?, header = true, auto_detect = false, "
                    f"delim = ',', quote = '\"', escape = '\"', strict_mode = true, columns = {columns})",
                    [str(path)],
                )
            else:
                raise FocusFileError(f"{path}: not a FOCUS file (expected .csv, .csv.gz or .parquet)")
        except duckdb.Error as exc:
            raise FocusFileError(f"{path}: {_describe_read_error(exc)}") from None
        return [row[0] for row in con.execute("SELECT column_name FROM (DESCRIBE raw)").fetchall()]

    def _type_and_validate(
        self, con: duckdb.DuckDBPyConnection, path: Path, mapping: dict[str, str | None]
    ) -> None:
        def raw(column: str) -> str:
            source = mapping[column]
            return "NULL" if source is None else _null_if_empty(f'CAST("{source}" AS VARCHAR)')

        aliases = ", ".join(f"('{k}', '{v}')" for k, v in PROVIDER_ALIASES.items())
        start = raw("charge_period_start")
        billed = raw("billed_cost")
        effective = raw("effective_cost")
        con.execute(
            f"""CREATE TABLE typed AS
            WITH source AS (
                SELECT row_number() OVER () AS line_index,
                       {start} AS start_text, {billed} AS billed_text, {effective} AS effective_text,
                       {raw("currency")} AS currency, {raw("charge_category")} AS category_text,
                       {raw("provider_name")} AS provider_text, {raw("billing_account_id")} AS billing_account_id,
                       {raw("service")} AS service, {raw("account_id")} AS account_id,
                       {raw("account_name")} AS account_name, {raw("region")} AS region
                FROM raw
            )
            SELECT line_index,
                   CASE WHEN regexp_matches(start_text, '{TIMESTAMP_PATTERN}')
                        THEN try_cast(left(start_text, 10) AS DATE) END AS charge_date,
                   coalesce(a.provider, lower(provider_text)) AS provider,
                   billing_account_id,
                   coalesce(account_id, billing_account_id) AS account_id,
                   coalesce(account_name, account_id, billing_account_id) AS account_name,
                   service, coalesce(region, '') AS region,
                   CASE lower(category_text) {" ".join(f"WHEN '{c.lower()}' THEN '{c}'" for c in CHARGE_CATEGORIES)}
                   END AS charge_category,
                   try_cast(billed_text AS DECIMAL(38, 12)) AS billed_cost,
                   CASE WHEN effective_text IS NULL THEN try_cast(billed_text AS DECIMAL(38, 12))
                        ELSE try_cast(effective_text AS DECIMAL(38, 12)) END AS effective_cost,
                   upper(currency) AS currency,
                   start_text, billed_text, effective_text, category_text, provider_text
            FROM source LEFT JOIN (VALUES {aliases}) a(alias, provider) ON lower(source.provider_text) = a.alias
            """
        )
        problem = con.execute(
            f"""SELECT line_index, CASE
                  WHEN start_text IS NULL THEN '{mapping["charge_period_start"]}:missing value'
                  WHEN charge_date IS NULL THEN '{mapping["charge_period_start"]}:not a date or timestamp: ' || start_text
                  WHEN billed_text IS NULL THEN '{mapping["billed_cost"]}:missing value'
                  WHEN billed_cost IS NULL THEN '{mapping["billed_cost"]}:not a number: ' || billed_text
                  WHEN effective_cost IS NULL THEN '{mapping["effective_cost"]}:not a number: ' || effective_text
                  WHEN category_text IS NULL THEN '{mapping["charge_category"]}:missing value'
                  WHEN charge_category IS NULL THEN '{mapping["charge_category"]}:not one of {", ".join(CHARGE_CATEGORIES)}: ' || category_text
                  WHEN provider_text IS NULL THEN '{mapping["provider_name"]}:missing value'
                  WHEN billing_account_id IS NULL THEN '{mapping["billing_account_id"]}:missing value'
                  WHEN service IS NULL THEN '{mapping["service"]}:missing value'
                  WHEN currency IS NULL THEN '{mapping["currency"]}:missing value'
                END AS problem
            FROM typed WHERE start_text IS NULL OR charge_date IS NULL OR billed_text IS NULL
                OR billed_cost IS NULL OR effective_cost IS NULL OR charge_category IS NULL
                OR provider_text IS NULL OR billing_account_id IS NULL OR service IS NULL OR currency IS NULL
            ORDER BY line_index LIMIT 1"""
        ).fetchone()
        if problem:
            line_index, text = problem
            column, _, message = text.partition(":")
            where = (
                f"line {line_index + 1}"
                if not path.name.lower().endswith(".parquet")
                else f"row {line_index}"
            )
            raise FocusFileError(f"{path}: {where}, column {column}: {message}")
        if con.execute("SELECT count(*) FROM typed").fetchone()[0] == 0:
            raise FocusFileError(f"{path}: no rows")


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
    if line and counts:
        return f"line {line.group(1)}: expected {counts.group(1)} fields, found {counts.group(2)}"
    if line:
        return f"line {line.group(1)}: {_first_line(exc).removeprefix('Invalid Input Error: ')}"
    return f"cannot read: {_first_line(exc)}"


def _sql_text(value: str) -> str:
    return value.replace("'", "''")


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
