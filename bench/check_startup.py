"""Benchmark: `costtui check` as a whole process vs a bare `python -c` doing the same DuckDB aggregate.

Run: python bench/check_startup.py   (builds bench/data/bench10m.duckdb once, ~30 s)
Target: ratio <= 1.3 (the check's start-up must not load click, pydantic, textual or a cloud SDK)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "tests" / "bench" / "data" / "bench10m.duckdb"
ROWS = 10_000_000
RUNS = 5
MAX_CACHE_AGE_HOURS = 24  # the check's own default max age is 36 h: keep its answer a real one

CHECK = [sys.executable, "-m", "costtui", "--cache", str(CACHE), "check", "--period", "month",
         "-w", "~:1000", "-c", "~:2000"]
BARE = (
    "import sys, duckdb\n"
    "con = duckdb.connect(sys.argv[1], read_only=True)\n"
    "print(con.execute('SELECT currency, sum(billed_cost) FROM charges WHERE charge_date >= ? "
    "AND charge_date <= ? GROUP BY currency ORDER BY currency', [sys.argv[2], sys.argv[3]]).fetchall())\n"
    "con.close()\n"
)


def ensure_cache() -> None:
    fresh = CACHE.exists() and time.time() - CACHE.stat().st_mtime < MAX_CACHE_AGE_HOURS * 3600
    if fresh:
        return
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    print(f"building {CACHE} ({ROWS:,} rows)...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "costtui", "--cache", str(CACHE), "demo", "--no-tui",
                    "--rows", str(ROWS)], check=True, cwd=REPO)


def wall_time(argv: list[str]) -> tuple[float, str]:
    began = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONHASHSEED": "0"})
    elapsed = time.perf_counter() - began
    return elapsed, result.stdout


def main() -> int:
    ensure_cache()
    today = date.today()
    bare = [sys.executable, "-c", BARE, str(CACHE), today.replace(day=1).isoformat(), today.isoformat()]
    _, check_output = wall_time(CHECK)  # warm the page cache for both
    _, bare_output = wall_time(bare)
    print("check :", check_output.splitlines()[0] if check_output else "(no output)")
    print("bare  :", bare_output.strip())
    if not check_output.startswith(("COSTTUI OK", "COSTTUI WARNING", "COSTTUI CRITICAL")):
        print("the check did not evaluate the data; fix the cache first", file=sys.stderr)
        return 1
    check_times, bare_times = [], []
    for _ in range(RUNS):  # interleaved, so machine load affects both alike
        check_times.append(wall_time(CHECK)[0])
        bare_times.append(wall_time(bare)[0])
    check_median, bare_median = statistics.median(check_times), statistics.median(bare_times)
    print(f"costtui check (median of {RUNS}): {check_median * 1000:.0f} ms  "
          f"[{', '.join(f'{t * 1000:.0f}' for t in check_times)}]")
    print(f"bare python -c duckdb (median of {RUNS}): {bare_median * 1000:.0f} ms  "
          f"[{', '.join(f'{t * 1000:.0f}' for t in bare_times)}]")
    ratio = check_median / bare_median
    print(f"ratio: {ratio:.2f}x (target <= 1.3x) {'OK' if ratio <= 1.3 else 'OVER TARGET'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
