"""FOCUS import of a 1M-row CSV vs a bare DuckDB CREATE TABLE AS SELECT * FROM read_csv(...).

Target: costtui's import (parse, validate every value, roll up to days, publish a new
cache snapshot) <= 2x the bare load of the same file, both in this process.
Run: python bench/focus_import.py [rows] [--worst]   (--worst: every row its own billing account and
sub-account, so every row is a billing-period slice of its own)"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from costtui.providers.focus_files import FocusFilesProvider
from costtui.refresh import load_once

DATA = Path(__file__).parent / "data"
TARGET = 2.0


def build_csv(path: Path, rows: int, worst: bool = False) -> None:
    accounts = "i" if worst else "i % 3"
    sub_accounts = "i" if worst else "i % 50"
    con = duckdb.connect()
    con.execute(
        f"""COPY (
            SELECT 'BA' || ({accounts}) AS BillingAccountId, 'USD' AS BillingCurrency,
                   round((i % 1000) / 7.0, 6) AS BilledCost, round((i % 1000) / 8.0, 6) AS EffectiveCost,
                   CASE WHEN i % 50 = 0 THEN 'Credit' ELSE 'Usage' END AS ChargeCategory,
                   strftime(TIMESTAMP '2026-10-01' + INTERVAL (i % 720) HOUR, '%Y-%m-%dT%H:%M:%SZ') AS ChargePeriodStart,
                   strftime(TIMESTAMP '2026-10-01' + INTERVAL (i % 720 + 1) HOUR, '%Y-%m-%dT%H:%M:%SZ') AS ChargePeriodEnd,
                   '2026-10-01T00:00:00Z' AS BillingPeriodStart,
                   CASE i % 3 WHEN 0 THEN 'AWS' WHEN 1 THEN 'Microsoft' ELSE 'Google Cloud' END AS ProviderName,
                   'Service ' || (i % 40) AS ServiceName, 'acct-' || ({sub_accounts}) AS SubAccountId,
                   'Account ' || ({sub_accounts}) AS SubAccountName, 'region-' || (i % 10) AS RegionId,
                   'resource-' || i AS ResourceId
            FROM range({rows}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ',')"""
    )
    con.close()


def bare_load(path: Path) -> float:
    con = duckdb.connect()
    began = time.perf_counter()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")
    elapsed = time.perf_counter() - began
    con.close()
    return elapsed


def costtui_import(path: Path) -> float:
    workdir = Path(tempfile.mkdtemp())
    try:
        began = time.perf_counter()
        load_once(FocusFilesProvider([path]), workdir / "cache.duckdb", date(2026, 11, 15), date(2026, 11, 15))
        return time.perf_counter() - began
    finally:
        shutil.rmtree(workdir)


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--worst"]
    worst = "--worst" in sys.argv[1:]
    rows = int(args[0]) if args else 1_000_000
    DATA.mkdir(parents=True, exist_ok=True)
    # With BillingPeriodStart: restated by billing period.
    path = DATA / f"focus-bp-{'worst-' if worst else ''}{rows}.csv"
    if not path.exists():
        build_csv(path, rows, worst)
    bare, ours = [], []
    for _ in range(3):  # interleaved, so load on the machine hits both alike
        bare.append(bare_load(path))
        ours.append(costtui_import(path))
    b, o = statistics.median(bare), statistics.median(ours)
    size = path.stat().st_size / 1e6
    kind = "every row its own billing account" if worst else "3 billing accounts"
    print(f"FOCUS import, {rows:,} rows ({size:.0f} MB CSV, {kind}), median of 3")
    print(f"  bare duckdb CTAS read_csv: {b:6.2f} s")
    print(f"  costtui import:            {o:6.2f} s   ({rows / o:,.0f} rows/s)")
    print(f"  ratio:                     {o / b:6.2f}x  (target <= {TARGET}x: {'met' if o / b <= TARGET else 'MISSED'})")


if __name__ == "__main__":
    main()
