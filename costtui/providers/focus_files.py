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

from costtui.model import CostError, FetchResult, ReplaceScope, add_months
from costtui.oserrors import storage_error
from costtui.providers.base import FetchContext, RefreshPolicy
from costtui.providers.engine import memory_engine, stage_parquet
from costtui.providers.focus_mapping import MONEY_TYPE, match_columns, missing_required
from costtui.providers.focus_sql import FileSql, rollup_sql
from costtui.tagrules import TagRules

FILE_SUFFIXES = (".csv", ".csv.gz", ".parquet")
# Input bounds: a header or line longer than this is refused, so a newline-free file never fills memory.
MAX_HEADER_BYTES = 64 * 1024
MAX_LINE_BYTES = 1024 * 1024
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

    def __init__(self, paths: Sequence[Path], timeout_seconds: float = 300.0) -> None:
        self.paths = [Path(p) for p in paths]
        self.policy = RefreshPolicy(restatement_days=3, timeout_seconds=timeout_seconds)

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
                file_slices, count = FocusFile(con, path, latest_day, context.tags).stage(target)
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

    def __init__(
        self, con: duckdb.DuckDBPyConnection, path: Path, latest_day: date, tags: TagRules | None = None
    ) -> None:
        self.con = con
        self.path = path
        self.latest_day = latest_day
        self.tags = tags
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
            sql = FileSql(mapping, types, self.latest_day, self.tags)
            self._type_and_validate(source, sql)
            count = stage_parquet(
                con, rollup_sql(sql.tag_columns), target, with_billing_period=True, tag_columns=sql.tag_columns
            )
        except duckdb.OutOfRangeException:
            raise FocusFileError(f"{path}: a daily total is too large for the cache (over 10^12)") from None
        except duckdb.Error as exc:
            # A full or read-only temp dir is the machine's problem, not the file's: its own code.
            problem = storage_error(exc, target.parent, "cannot stage data", "point TMPDIR at a folder with room")
            if problem is not None:
                raise problem from None
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

    def _type_and_validate(self, source: str, sql: FileSql) -> None:
        """Fill `typed`: the file grouped by its raw key values (hours x accounts x services: far
        fewer than its rows), parsed and checked per group; a problem is then located row by row."""
        con, mapping = self.con, sql.mapping
        con.execute(f"CREATE OR REPLACE TABLE typed AS {sql.typed(sql.grouped(source))}")
        rows, first_problem = con.execute(
            "SELECT sum(rows), min(problem) FILTER (WHERE problem IS NOT NULL) FROM typed"
        ).fetchone()
        if not rows:
            raise FocusFileError(f"{self.path}: no rows")
        if first_problem is None:
            return
        # Rows keep file order in a table, so the first bad row's position is its line (or Parquet row).
        con.execute(f"CREATE OR REPLACE TABLE row_problems AS SELECT problem FROM ({sql.typed(sql.rows(source), with_tags=False)})")
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


def _sql_text(value: str) -> str:
    return value.replace("'", "''")


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
