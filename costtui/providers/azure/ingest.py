"""Reads Azure export runs into DuckDB, refuses bad ones, and stages the daily cost rows."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from costtui.providers.azure.columns import (
    CHARGE_TYPES,
    RAW_TABLE_SQL,
    aggregate_file_sql,
    bad_row_predicate,
    category_sql,
    date_sql,
    detect_columns,
    locate_bad_row,
    raw_date_predicate,
    read_header,
    region_sql,
)
from costtui.providers.azure.runs import BlobInfo, ExportRun, Manifest
from costtui.providers.azure.tags import add_raw_tags_column, build_tag_sets, raw_tags_sql
from costtui.providers.base import ProviderError
from costtui.providers.engine import memory_engine, stage_parquet
from costtui.tagrules import TagRules

Downloader = Callable[[BlobInfo, Path], None]
PARALLEL_DOWNLOADS = 3


@dataclass
class _LoadedRun:
    run_id: int
    run: ExportRun
    role: str  # "actual" (ActualCost or FOCUS) or "amortized"
    partner_of: ExportRun | None


class RunIngest:
    """One fetch's DuckDB engine: every file is reduced to `raw_costs` (grouped by its raw
    key strings) as it arrives, then dates, regions and charge types are normalised on the
    few distinct values and summed to the daily grain."""

    def __init__(self, workdir: Path, download: Downloader, tags: TagRules | None = None) -> None:
        self._workdir = workdir
        self._download = download
        self._tags = tags or TagRules()
        self._con = memory_engine()
        self._con.execute(RAW_TABLE_SQL)
        add_raw_tags_column(self._con)
        self._runs: list[_LoadedRun] = []
        self.bytes_read = 0
        self.notes: list[str] = []

    def add_run(
        self, run: ExportRun, role: str, manifest: Manifest | None, partner_of: ExportRun | None = None
    ) -> None:
        """Download, read and check every file of a run; raise ProviderError refusing it."""
        run_id = len(self._runs)
        blobs = _blobs_to_read(run, manifest)
        pool = ThreadPoolExecutor(max_workers=PARALLEL_DOWNLOADS, thread_name_prefix="azure-download")
        try:
            pending: list[tuple[BlobInfo, Future[Path]]] = [
                (blob, pool.submit(self._fetch_blob, run_id, index, blob)) for index, blob in enumerate(blobs)
            ]
            for blob, future in pending:
                path = future.result()
                self.bytes_read += path.stat().st_size
                try:
                    self._load_blob(run_id, role, run, blob, path)
                finally:
                    path.unlink(missing_ok=True)
        except BaseException:
            self._con.execute("DELETE FROM raw_costs WHERE run_id = ?", [run_id])
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if manifest is not None:
            self._verify_counts(run_id, manifest)
        self._runs.append(_LoadedRun(run_id, run, role, partner_of))

    def _fetch_blob(self, run_id: int, index: int, blob: BlobInfo) -> Path:
        target = self._workdir / f"azure-{run_id}-{index}{_suffix(blob.name)}"
        self._download(blob, target)
        return target

    def _load_blob(self, run_id: int, role: str, run: ExportRun, blob: BlobInfo, path: Path) -> None:
        con = self._con
        try:
            header = read_header(con, path)
            columns = detect_columns(header, blob.name)
            con.execute(
                aggregate_file_sql(columns, path, raw_tags_sql(header, self._tags)), [run_id, role, blob.name, str(path)]
            )
        except duckdb.Error as exc:
            detail = str(exc).replace(str(path), blob.name).strip().splitlines()[0]
            raise _refused(run, f"{blob.name}: cannot be read ({detail})") from None
        bad_cost, bad_currency = con.execute(
            "SELECT sum(bad_cost), sum(bad_currency) FROM raw_costs WHERE run_id = ? AND blob = ?",
            [run_id, blob.name],
        ).fetchone()
        if bad_cost or bad_currency:
            where, values = locate_bad_row(con, columns, path, bad_row_predicate(columns), [])
            raise _refused(run, f"{blob.name} {where}: cost is not a number or currency is empty {values}")
        bad_date = con.execute(
            f"""SELECT raw_date FROM raw_costs WHERE run_id = ? AND blob = ?
                AND coalesce({date_sql("raw_date")} NOT BETWEEN ? AND ?, true) LIMIT 1""",
            [run_id, blob.name, run.range_start, run.range_end],
        ).fetchone()
        if bad_date is not None:
            where, values = locate_bad_row(con, columns, path, raw_date_predicate(columns), [bad_date[0]])
            raise _refused(
                run,
                f"{blob.name} {where}: date {bad_date[0]!r} is not a date within "
                f"{run.range_start}..{run.range_end} {values}",
            )

    def _verify_counts(self, run_id: int, manifest: Manifest) -> None:
        counts = dict(
            self._con.execute(
                "SELECT blob, sum(row_count) FROM raw_costs WHERE run_id = ? GROUP BY blob", [run_id]
            ).fetchall()
        )
        for entry in manifest.blobs:
            found = int(counts.get(entry.name, 0))
            if entry.row_count is not None and found != entry.row_count:
                raise ProviderError(
                    f"{entry.name} has {found} data rows but manifest {manifest.blob_name} says "
                    f"{entry.row_count}; run refused, nothing from it stored",
                    kind="invalid_data",
                    hint="the export may be incomplete: re-run it in Cost Management, then refresh",
                )
        total = sum(int(v) for v in counts.values())
        if manifest.row_count is not None and total != manifest.row_count:
            raise ProviderError(
                f"run has {total} data rows but manifest {manifest.blob_name} says {manifest.row_count}; "
                "run refused, nothing from it stored",
                kind="invalid_data",
                hint="the export may be incomplete: re-run it in Cost Management, then refresh",
            )

    def billing_accounts(self) -> list[tuple[ExportRun, list[str | None]]]:
        """For each actual run read: the billing accounts its range restates (None: an empty run
        restates the whole range)."""
        result: list[tuple[ExportRun, list[str | None]]] = []
        for loaded in self._runs:
            if loaded.role != "actual":
                continue
            ids = [r.run_id for r in self._runs if r is loaded or r.partner_of is loaded.run]
            rows = self._con.execute(
                "SELECT DISTINCT billing_account_id FROM raw_costs WHERE list_contains(?, run_id) ORDER BY 1",
                [ids],
            ).fetchall()
            result.append((loaded.run, [row[0] for row in rows] or [None]))
        return result

    def stage(self, path: Path) -> int:
        """Write the daily rows of every run read to Parquet; returns the row count."""
        con = self._con
        con.execute(
            "CREATE OR REPLACE TEMP TABLE runs (run_id INTEGER, role VARCHAR, range_key VARCHAR,"
            " range_start DATE, range_end DATE, rank INTEGER, has_amortized BOOLEAN)"
        )
        actual = sorted((r for r in self._runs if r.role == "actual"), key=lambda r: r.run.order_key())
        amortized_of = {id(r.partner_of) for r in self._runs if r.partner_of is not None}
        rank = {r.run_id: index for index, r in enumerate(actual)}
        con.executemany(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.run_id,
                    r.role,
                    r.run.range_key,
                    r.run.range_start,
                    r.run.range_end,
                    rank.get(r.run_id, -1),
                    id(r.partner_of or r.run) in amortized_of,
                )
                for r in self._runs
            ],
        )
        unknown = con.execute(
            "SELECT DISTINCT raw_category FROM raw_costs WHERE lower(replace(trim(raw_category), ' ', ''))"
            " NOT IN (SELECT unnest(?)) AND trim(raw_category) <> '' ORDER BY 1",
            [list(CHARGE_TYPES)],
        ).fetchall()
        if unknown:
            self.notes.append("charge types stored as Adjustment: " + ", ".join(r[0] for r in unknown))
        tag_columns = build_tag_sets(con, self._tags)
        return stage_parquet(con, daily_sql(tag_columns), path, tag_columns=tag_columns)


def _blobs_to_read(run: ExportRun, manifest: Manifest | None) -> list[BlobInfo]:
    """The manifest's blob list when there is one (each must exist), else every data file."""
    if manifest is None:
        return run.data_blobs
    listed = {blob.name: blob for blob in run.blobs}
    chosen = []
    for entry in manifest.blobs:
        if entry.name not in listed:
            raise _refused(
                run, f"manifest {manifest.blob_name} lists {entry.name}, which is not in the run folder"
            )
        chosen.append(listed[entry.name])
    return chosen


def _refused(run: ExportRun, message: str) -> ProviderError:
    return ProviderError(
        f"{message}; run {run.folder} refused, nothing from it stored",
        kind="invalid_data",
        hint="fix or re-run the export in Cost Management, then refresh",
    )


def _suffix(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".parquet"):
        return ".parquet"
    return ".csv.gz" if lower.endswith(".gz") else ".csv"


def daily_sql(tag_columns: list[str]) -> str:
    """DAILY_SQL with the configured tags (from `tag_sets`) as dimensions like the service."""
    tags = "".join(f', "{c}"' for c in tag_columns)
    joined = "LEFT JOIN tag_sets USING (raw_tags)" if tag_columns else ""
    grain_tags = "".join(f', g."{c}"' for c in tag_columns)
    # markers, not str.format: the SQL holds braces of its own (regular expressions)
    return _DAILY_SQL.replace("/*tags*/", tags).replace("/*tag_join*/", joined).replace("/*grain_tags*/", grain_tags)


# Daily grain per range; where ranges overlap, each day comes from the newest run covering it.
_DAILY_SQL = f"""
WITH parsed AS (
    SELECT r.role, runs.range_key, runs.has_amortized, {date_sql("r.raw_date")} AS charge_date,
           r.billing_account_id, r.account_id, r.account_name, r.service,
           {region_sql("r.raw_region")} AS region, {category_sql("r.raw_category")} AS charge_category,
           r.currency, r.billed, r.effective/*tags*/
    FROM raw_costs r JOIN runs USING (run_id) /*tag_join*/),
grain AS (
    SELECT range_key, charge_date, billing_account_id, account_id, max(account_name) AS account_name,
           service, region, charge_category, currency, any_value(has_amortized) AS has_amortized,
           sum(billed) FILTER (WHERE role = 'actual') AS billed,
           sum(effective) FILTER (WHERE role = 'actual') AS focus_effective,
           sum(billed) FILTER (WHERE role = 'amortized') AS amortized/*tags*/
    FROM parsed
    GROUP BY range_key, charge_date, billing_account_id, account_id, service, region, charge_category, currency/*tags*/),
owner AS (
    SELECT d.charge_date, arg_max(runs.range_key, runs.rank) AS range_key
    FROM (SELECT DISTINCT charge_date FROM grain) d
    JOIN runs ON runs.role = 'actual' AND d.charge_date BETWEEN runs.range_start AND runs.range_end
    GROUP BY d.charge_date)
SELECT g.charge_date, 'azure' AS provider, g.billing_account_id, g.account_id, g.account_name, g.service,
       g.region, g.charge_category, round(coalesce(g.billed, 0), 6) AS billed_cost,
       round(CASE WHEN g.has_amortized THEN coalesce(g.amortized, 0)
                  ELSE coalesce(g.focus_effective, g.billed, 0) END, 6) AS effective_cost,
       g.currency, false AS estimated/*grain_tags*/
FROM grain g JOIN owner o USING (charge_date, range_key)
"""
DAILY_SQL = daily_sql([])
