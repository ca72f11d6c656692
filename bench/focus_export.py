"""`costtui export focus` of the 10M-row cache to Parquet vs a bare DuckDB COPY ... TO of the same columns.

Target: the export (FOCUS column names and types, billing periods, an atomic rename) <= 2x
the bare COPY of the cache's columns, each a whole process (python + duckdb + the copy).
Run: python bench/focus_export.py"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from benchdata import BENCH_CONFIG, BENCH_TODAY, DATA, ensure_bench_cache, time_command

TARGET = 2.0
BARE = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("COPY (SELECT billed_cost, billing_account_id, currency, charge_category, charge_date, effective_cost,
    provider, region, service, account_id, account_name, estimated FROM charges) TO '" + sys.argv[2] + "' (FORMAT parquet)")
"""


def main() -> None:
    cache = ensure_bench_cache()
    bare_out, ours_out = DATA / "bare-export.parquet", DATA / "focus-export.parquet"
    env = {**os.environ, "COSTTUI_TODAY": BENCH_TODAY}
    bare = time_command([sys.executable, "-c", BARE.replace("\n    ", " "), str(cache), str(bare_out)], runs=3)
    ours = time_command(
        [sys.executable, "-m", "costtui", "--config", str(BENCH_CONFIG), "--cache", str(cache), "export", "focus",
         "--start", "2000-01-01", "--end", "2099-12-31", "--output", str(ours_out)],
        runs=3,
        env=env,
    )
    rows = _rows(ours_out)
    print(f"export focus, {rows:,} rows to Parquet, median of 3 (whole processes)")
    print(f"  bare duckdb COPY ... TO:  {bare:6.2f} s   ({Path(bare_out).stat().st_size / 1e6:.0f} MB)")
    print(f"  costtui export focus:     {ours:6.2f} s   ({Path(ours_out).stat().st_size / 1e6:.0f} MB)")
    print(f"  ratio:                    {ours / bare:6.2f}x  (target <= {TARGET}x: {'met' if ours / bare <= TARGET else 'MISSED'})")


def _rows(path: Path) -> int:
    import duckdb

    con = duckdb.connect()
    try:
        return con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
    finally:
        con.close()


if __name__ == "__main__":
    main()
