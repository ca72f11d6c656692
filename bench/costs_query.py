"""`costtui costs --group-by service --format json` on a 10M-row cache vs a bare duckdb script.

Target: costtui <= 1.5x the bare `python -c` that imports duckdb, opens the same file
read-only and runs the equivalent GROUP BY. Run: python bench/costs_query.py"""

from __future__ import annotations

import os
import sys
import tempfile

from benchdata import BENCH_CONFIG, bare_grouping_script, ensure_bench_cache, measure_command, time_command

TARGET = 1.5


def main() -> None:
    cache = ensure_bench_cache()
    baseline, baseline_cpu = measure_command([sys.executable, "-c", bare_grouping_script(cache, "service")])
    command = [sys.executable, "-m", "costtui", "--config", str(BENCH_CONFIG), "--cache", str(cache),
               "costs", "--group-by", "service", "--format", "json"]
    with tempfile.TemporaryDirectory() as stamps:
        # A config file already validated (the normal case: every run after the first).
        ours, ours_cpu = measure_command(command, env={**os.environ, "XDG_CACHE_HOME": stamps})
    # First read of a new or edited config: full pydantic validation, then the stamp is written.
    first_read = time_command(command, runs=5, env={**os.environ, "XDG_CACHE_HOME": "/dev/null/none"})
    ratio = ours / baseline
    print("costs --group-by service --format json, 10M-row cache (median of 7 runs)")
    print(f"  bare python+duckdb:         {baseline * 1000:7.1f} ms")
    print(f"  costtui costs:              {ours * 1000:7.1f} ms")
    print(f"  ratio:                      {ratio:7.2f}x   (target <= {TARGET}x: {'met' if ratio <= TARGET else 'MISSED'})")
    print(f"  CPU time: bare {baseline_cpu * 1000:.0f} ms, costtui {ours_cpu * 1000:.0f} ms = "
          f"{ours_cpu / baseline_cpu:.2f}x (steadier than wall time on a busy machine)")
    print(f"  first read of a new config: {first_read * 1000:7.1f} ms = {first_read / baseline:.2f}x "
          "(pydantic validates; once per edit)")


if __name__ == "__main__":
    main()
