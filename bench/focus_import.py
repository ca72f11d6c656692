"""FOCUS import of a 1M-row CSV vs a bare DuckDB CREATE TABLE AS SELECT * FROM read_csv(...).

Target: costtui's import (parse, validate every value, roll up to days, publish a new
cache snapshot) <= 2x the bare load of the same file, both in this process. The file carries
a FOCUS `Tags` column (messy keys, ~20% of rows untagged); the import is timed without tag
keys configured and with two (team, environment + its aliases), and the cache sizes compared.
Run: python bench/focus_import.py [rows]"""

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
from costtui.tagrules import TagRules

DATA = Path(__file__).parent / "data"
TARGET = 2.0


def build_csv(path: Path, rows: int) -> None:
    con = duckdb.connect()
    con.execute(
        f"""COPY (
            SELECT 'BA' || (i % 3) AS BillingAccountId, 'USD' AS BillingCurrency,
                   round((i % 1000) / 7.0, 6) AS BilledCost, round((i % 1000) / 8.0, 6) AS EffectiveCost,
                   CASE WHEN i % 50 = 0 THEN 'Credit' ELSE 'Usage' END AS ChargeCategory,
                   strftime(TIMESTAMP '2026-10-01' + INTERVAL (i % 720) HOUR, '%Y-%m-%dT%H:%M:%SZ') AS ChargePeriodStart,
                   strftime(TIMESTAMP '2026-10-01' + INTERVAL (i % 720 + 1) HOUR, '%Y-%m-%dT%H:%M:%SZ') AS ChargePeriodEnd,
                   '2026-10-01T00:00:00Z' AS BillingPeriodStart,
                   CASE i % 3 WHEN 0 THEN 'AWS' WHEN 1 THEN 'Microsoft' ELSE 'Google Cloud' END AS ProviderName,
                   'Service ' || (i % 40) AS ServiceName, 'acct-' || (i % 50) AS SubAccountId,
                   'Account ' || (i % 50) AS SubAccountName, 'region-' || (i % 10) AS RegionId,
                   'resource-' || i AS ResourceId,
                   CASE WHEN i % 5 = 0 THEN NULL  -- untagged
                        ELSE '{{"team": "' || ['web', 'data', 'ml', 'platform'][1 + (i // 7) % 4] || '", '
                             || ['"environment"', '"env"', '" Environment"'][1 + (i // 11) % 3] || ': "'
                             || ['prod', 'staging', 'dev'][1 + (i // 13) % 3] || '", " org": "o' || (i % 17)
                             || '", "application": "app-' || (i % 40) || '"}}' END AS Tags
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


TAGS = TagRules(("team", "environment"), {"environment": ("env", "Environment")})
SIZES: dict[bool, int] = {}


def costtui_import(path: Path, tags: TagRules | None = None) -> float:
    workdir = Path(tempfile.mkdtemp())
    try:
        began = time.perf_counter()
        cache = workdir / "cache.duckdb"
        load_once(FocusFilesProvider([path]), cache, date(2026, 11, 15), date(2026, 11, 15), tags=tags)
        elapsed = time.perf_counter() - began
        SIZES[tags is not None] = cache.stat().st_size
        return elapsed
    finally:
        shutil.rmtree(workdir)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"focus-bp-tags-{rows}.csv"  # with BillingPeriodStart: restated by billing period
    if not path.exists():
        build_csv(path, rows)
    bare, ours, tagged = [], [], []
    for _ in range(3):  # interleaved, so load on the machine hits all alike
        bare.append(bare_load(path))
        ours.append(costtui_import(path))
        tagged.append(costtui_import(path, TAGS))
    b, o, t = statistics.median(bare), statistics.median(ours), statistics.median(tagged)
    size = path.stat().st_size / 1e6
    print(f"FOCUS import, {rows:,} rows ({size:.0f} MB CSV with a Tags column), median of 3")
    print(f"  bare duckdb CTAS read_csv:     {b:6.2f} s")
    print(f"  costtui import, no tag keys:   {o:6.2f} s   ({rows / o:,.0f} rows/s)  {o / b:5.2f}x")
    print(f"  costtui import, two tag keys:  {t:6.2f} s   ({rows / t:,.0f} rows/s)  {t / b:5.2f}x"
          f"  (+{(t / o - 1) * 100:.0f}% from tags)")
    print(f"  cache size: {SIZES[False] / 2**20:.1f} MiB without tags, {SIZES[True] / 2**20:.1f} MiB with "
          f"(+{(SIZES[True] / SIZES[False] - 1) * 100:.0f}%)")
    worst = max(o, t) / b
    print(f"  ratio:                         {worst:6.2f}x  (target <= {TARGET}x: {'met' if worst <= TARGET else 'MISSED'})")


if __name__ == "__main__":
    main()
