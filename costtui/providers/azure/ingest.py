"""Reads Azure export runs into DuckDB, refuses bad ones, and stages the daily cost rows.

A run whose files name a billing period on every row (BillingPeriodStartDate, billingPeriodStartDate
or FOCUS BillingPeriodStart), each period wholly inside the run's date range, restates those
(billing account, billing period) slices, as a FOCUS import does: its rows may be dated outside
the range (a late credit). Any other run restates its date range. Usage whose FOCUS charge period
is longer than a day is spread over its days with the FOCUS import's own SQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from costtui.model import ReplaceScope, add_months
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
from costtui.providers.focus_files import delivery_scopes
from costtui.providers.focus_mapping import timestamp_sql
from costtui.providers.focus_sql import EARLIEST_DAY, spread_days_sql, spread_over_days_sql
from costtui.tagrules import TagRules

Downloader = Callable[[BlobInfo, Path], None]
PARALLEL_DOWNLOADS = 3
# Each source field whose raw values are checked: its raw_costs column and its name in a refusal.
_CHECKED_FIELDS = {
    "date": ("raw_date", "date"),
    "billing_period": ("raw_period", "billing period start"),
    "date_end": ("raw_end", "charge period end"),
}


@dataclass
class _LoadedRun:
    run_id: int
    run: ExportRun
    role: str  # "actual" (ActualCost or FOCUS) or "amortized"
    partner_of: ExportRun | None
    names_periods: bool  # every file names billing periods, each wholly inside the run's range


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
        names_periods = True
        pool = ThreadPoolExecutor(max_workers=PARALLEL_DOWNLOADS, thread_name_prefix="azure-download")
        try:
            pending: list[tuple[BlobInfo, Future[Path]]] = [
                (blob, pool.submit(self._fetch_blob, run_id, index, blob)) for index, blob in enumerate(blobs)
            ]
            for blob, future in pending:
                path = future.result()
                self.bytes_read += path.stat().st_size
                try:
                    names_periods &= self._load_blob(run_id, role, run, blob, path)
                finally:
                    path.unlink(missing_ok=True)
        except BaseException:
            self._con.execute("DELETE FROM raw_costs WHERE run_id = ?", [run_id])
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if manifest is not None:
            self._verify_counts(run_id, manifest)
        self._runs.append(_LoadedRun(run_id, run, role, partner_of, names_periods))

    def _fetch_blob(self, run_id: int, index: int, blob: BlobInfo) -> Path:
        target = self._workdir / f"azure-{run_id}-{index}{_suffix(blob.name)}"
        self._download(blob, target)
        return target

    def _load_blob(self, run_id: int, role: str, run: ExportRun, blob: BlobInfo, path: Path) -> bool:
        """Reduce one file into raw_costs and check its values; True if it names whole billing periods."""
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
        names_periods = columns.has("billing_period") and self._periods_within(run_id, run, blob, columns, path)
        # A billing period's rows may be dated before its range (a late credit), never after it.
        first = EARLIEST_DAY if names_periods else run.range_start
        self._refuse_bad_value(
            run_id, run, blob, columns, path, "date",
            bad_sql=f"coalesce({date_sql('raw_date')} NOT BETWEEN ? AND ?, true)",
            params=[first, run.range_end],
            problem=f"is not a date within {first}..{run.range_end}",
        )
        self._refuse_bad_value(
            run_id, run, blob, columns, path, "date_end",
            bad_sql=f"raw_end <> '' AND {timestamp_sql('raw_end', 'VARCHAR')} IS NULL",
            problem="is not ISO 8601",
        )
        return names_periods

    def _periods_within(self, run_id: int, run: ExportRun, blob: BlobInfo, columns, path: Path) -> bool:
        """Refuse a billing period that is not a date; True if every period of the file lies wholly
        inside the run's range (a weekly run of a monthly period restates its days instead)."""
        self._refuse_bad_value(
            run_id, run, blob, columns, path, "billing_period",
            bad_sql=f"{date_sql('raw_period')} IS NULL",
            problem="is not a date",
        )
        periods = self._con.execute(
            f"SELECT DISTINCT {date_sql('raw_period')} FROM raw_costs WHERE run_id = ? AND blob = ?",
            [run_id, blob.name],
        ).fetchall()
        return all(run.range_start <= p and _period_end(p) <= run.range_end for (p,) in periods)

    def _refuse_bad_value(
        self, run_id: int, run: ExportRun, blob: BlobInfo, columns, path: Path, field: str,
        *, bad_sql: str, problem: str, params: Sequence[object] = (),
    ) -> None:
        """Refuse the run if a raw value of `field` in this file matches `bad_sql` (with `params`),
        naming the blob, the source line (or Parquet row), the value, `problem` and the row's values."""
        raw, label = _CHECKED_FIELDS[field]
        bad = self._con.execute(
            f"SELECT {raw} FROM raw_costs WHERE run_id = ? AND blob = ? AND {bad_sql} LIMIT 1",
            [run_id, blob.name, *params],
        ).fetchone()
        if bad is None:
            return
        predicate = raw_date_predicate(columns, field)
        where, values = locate_bad_row(self._con, columns, path, predicate, [bad[0]])
        raise _refused(run, f"{blob.name} {where}: {label} {bad[0]!r} {problem} {values}")

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

    def scopes(self) -> list[ReplaceScope]:
        """What the runs read restate, per billing account: the billing periods of a run that names
        them, else the run's date range (an empty run restates its range for every account)."""
        periods: list[tuple] = []
        ranges: list[ReplaceScope] = []
        for loaded in self._actual_runs():
            ids = [r.run_id for r in self._runs if r is loaded or r.partner_of is loaded.run]
            run = loaded.run
            if self._restates_periods(loaded):
                found = self._con.execute(
                    f"SELECT DISTINCT billing_account_id, {date_sql('raw_period')} FROM raw_costs"
                    " WHERE list_contains(?, run_id)",
                    [ids],
                ).fetchall()
                periods.extend(("azure", account, period, None, None) for account, period in found)
                if found:
                    continue
            self._refuse_rows_outside(loaded, ids)
            accounts = self._con.execute(
                "SELECT DISTINCT billing_account_id FROM raw_costs WHERE list_contains(?, run_id) ORDER BY 1",
                [ids],
            ).fetchall()
            ranges.extend(ReplaceScope("azure", run.range_start, run.range_end, a) for (a,) in accounts or [(None,)])
        return delivery_scopes(periods) + ranges

    def _actual_runs(self) -> list[_LoadedRun]:
        return [r for r in self._runs if r.role == "actual"]

    def _restates_periods(self, loaded: _LoadedRun) -> bool:
        """An actual run restates billing periods if it and its AmortizedCost partner name them."""
        partners = [r for r in self._runs if r.partner_of is loaded.run]
        return loaded.names_periods and all(p.names_periods for p in partners)

    def _refuse_rows_outside(self, loaded: _LoadedRun, ids: list[int]) -> None:
        """A run restating its date range cannot carry rows dated outside it (they would be lost)."""
        run = loaded.run
        outside = self._con.execute(
            f"""SELECT min(day) FROM (SELECT {date_sql("raw_date")} AS day FROM raw_costs
                WHERE list_contains(?, run_id)) WHERE day NOT BETWEEN ? AND ?""",
            [ids, run.range_start, run.range_end],
        ).fetchone()[0]
        if outside is not None:
            raise _refused(
                run,
                f"rows dated outside {run.range_start}..{run.range_end} (first: {outside}) need a billing "
                "period on every file of the run and of its AmortizedCost run",
            )

    def stage(self, path: Path) -> int:
        """Write the daily rows of every run read to Parquet; returns the row count."""
        con = self._con
        con.execute(
            "CREATE OR REPLACE TEMP TABLE runs (run_id INTEGER, role VARCHAR, range_key VARCHAR,"
            " range_start DATE, range_end DATE, rank INTEGER, has_amortized BOOLEAN, by_period BOOLEAN)"
        )
        actual = sorted(self._actual_runs(), key=lambda r: r.run.order_key())
        amortized_of = {id(r.partner_of) for r in self._runs if r.partner_of is not None}
        rank = {r.run_id: index for index, r in enumerate(actual)}
        by_period = {id(r.run): self._restates_periods(r) for r in actual}
        con.executemany(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.run_id,
                    r.role,
                    r.run.range_key,
                    r.run.range_start,
                    r.run.range_end,
                    rank.get(r.run_id, -1),
                    id(r.partner_of or r.run) in amortized_of,
                    by_period[id(r.partner_of or r.run)],
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
        return stage_parquet(con, daily_sql(tag_columns), path, with_billing_period=True, tag_columns=tag_columns)


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


def _period_end(start: date) -> date:
    return add_months(start, 1) - timedelta(days=1)


def daily_sql(tag_columns: list[str]) -> str:
    """DAILY_SQL with the configured tags (from `tag_sets`) as dimensions like the service."""
    tags = "".join(f', "{c}"' for c in tag_columns)
    joined = "LEFT JOIN tag_sets USING (raw_tags)" if tag_columns else ""
    grain_tags = "".join(f', g."{c}"' for c in tag_columns)
    # markers, not str.format: the SQL holds braces of its own (regular expressions)
    return _DAILY_SQL.replace("/*tags*/", tags).replace("/*tag_join*/", joined).replace("/*grain_tags*/", grain_tags)


_CATEGORY = category_sql("r.raw_category")
_KEYS = "billing_account_id, account_id, service, region, charge_category, currency, billing_period_start"
# Daily grain per range. Where ranges overlap, each day comes from the newest run covering it; a row
# dated outside its run's range (a late credit of a billing period) goes with its period's first day.
_DAILY_SQL = f"""
WITH parsed AS (
    SELECT r.role, runs.range_key, runs.range_start, runs.range_end, runs.has_amortized,
           {date_sql("r.raw_date")} AS charge_date,
           CASE WHEN runs.by_period THEN {date_sql("r.raw_period")} END AS billing_period_start,
           {spread_days_sql(_CATEGORY, timestamp_sql("r.raw_date", "VARCHAR"), timestamp_sql("r.raw_end", "VARCHAR"))}
               AS spread_days,
           r.billing_account_id, r.account_id, r.account_name, r.service,
           {region_sql("r.raw_region")} AS region, {_CATEGORY} AS charge_category,
           r.currency, r.billed, r.effective/*tags*/
    FROM raw_costs r JOIN runs USING (run_id) /*tag_join*/),
grain AS (
    SELECT range_key, charge_date, spread_days, {_KEYS}, max(account_name) AS account_name,
           any_value(has_amortized) AS has_amortized,
           CASE WHEN charge_date BETWEEN any_value(range_start) AND any_value(range_end) THEN charge_date
                ELSE billing_period_start END AS anchor_day,
           sum(billed) FILTER (WHERE role = 'actual') AS billed,
           sum(effective) FILTER (WHERE role = 'actual') AS focus_effective,
           sum(billed) FILTER (WHERE role = 'amortized') AS amortized/*tags*/
    FROM parsed
    GROUP BY range_key, charge_date, spread_days, {_KEYS}/*tags*/),
owner AS (
    SELECT d.anchor_day, arg_max(runs.range_key, runs.rank) AS range_key
    FROM (SELECT DISTINCT anchor_day FROM grain) d
    JOIN runs ON runs.role = 'actual' AND d.anchor_day BETWEEN runs.range_start AND runs.range_end
    GROUP BY d.anchor_day),
owned AS (
    SELECT g.charge_date, g.spread_days, {", ".join("g." + k for k in _KEYS.split(", "))}, g.account_name,
           coalesce(g.billed, 0) AS billed_cost,
           CASE WHEN g.has_amortized THEN coalesce(g.amortized, 0)
                ELSE coalesce(g.focus_effective, g.billed, 0) END AS effective_cost/*grain_tags*/
    FROM grain g JOIN owner o USING (anchor_day, range_key)),
days AS ({spread_over_days_sql("owned", _KEYS + ", account_name/*tags*/", ("billed_cost", "effective_cost"))})
SELECT charge_date, 'azure' AS provider, billing_account_id, account_id, max(account_name) AS account_name, service,
       region, charge_category, round(sum(billed_cost), 6) AS billed_cost, round(sum(effective_cost), 6) AS effective_cost,
       currency, false AS estimated, billing_period_start/*tags*/
FROM days
GROUP BY charge_date, {_KEYS}/*tags*/
"""
DAILY_SQL = daily_sql([])
