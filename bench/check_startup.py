"""Benchmark: `costtui check` as a whole process vs a bare `python -c` doing the same DuckDB aggregate.

Run: python bench/check_startup.py   (builds bench/data/bench10m.duckdb once, ~30 s, today pinned)
Target: ratio <= 1.3, with and without a config file (the check's start-up must not load click, pydantic, textual or a cloud SDK)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from benchdata import BENCH_CACHE, BENCH_TODAY, ensure_bench_cache, measure_command

REPO = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_RUNS", "9"))
CACHE = BENCH_CACHE
ENV = {**os.environ, "PYTHONHASHSEED": "0", "COSTTUI_TODAY": BENCH_TODAY}

CHECK = [sys.executable, "-m", "costtui", "--cache", str(CACHE), "check", "--period", "month",
         "-w", "~:999999999", "-c", "~:9999999999", "--max-age", "10000d"]
BARE = (
    "import sys, duckdb\n"
    "con = duckdb.connect(sys.argv[1], read_only=True)\n"
    "print(con.execute('SELECT currency, sum(billed_cost) FROM charges WHERE charge_date >= ? "
    "AND charge_date <= ? GROUP BY currency ORDER BY currency', [sys.argv[2], sys.argv[3]]).fetchall())\n"
    "con.close()\n"
)


def wall_time(argv: list[str]) -> tuple[float, str]:
    began = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, env=ENV)
    elapsed = time.perf_counter() - began
    return elapsed, result.stdout


def with_config() -> tuple[list[str], dict[str, str]]:
    """The usual install: a config file naming the cache, validated once by another command."""
    config = CACHE.parent / "check-config.toml"
    config.write_text(f"[cache]\npath = {str(CACHE)!r}\n", encoding="utf-8")
    env = {**ENV, "COSTTUI_CONFIG": str(config), "XDG_CACHE_HOME": str(CACHE.parent / "xdg-cache")}
    subprocess.run([sys.executable, "-c", "from costtui.config import load_config; load_config()"], env=env, check=True)
    return [arg for arg in CHECK if arg not in ("--cache", str(CACHE))], env


def main() -> int:
    ensure_bench_cache()
    today = date.fromisoformat(BENCH_TODAY)
    bare = [sys.executable, "-c", BARE, str(CACHE), today.replace(day=1).isoformat(), today.isoformat()]
    _, check_output = wall_time(CHECK)  # warm the page cache for both
    _, bare_output = wall_time(bare)
    print("check :", check_output.splitlines()[0] if check_output else "(no output)")
    print("bare  :", bare_output.strip())
    if not check_output.startswith("COSTTUI OK"):
        print("the check did not evaluate the data; fix the cache first", file=sys.stderr)
        return 1
    bare_wall, bare_cpu = measure_command(bare, RUNS, ENV)
    print(f"bare python -c duckdb (median of {RUNS}): wall {bare_wall * 1000:.0f} ms, CPU {bare_cpu * 1000:.0f} ms")
    for label, argv, env in [("no config file", CHECK, ENV), ("a validated config file", *with_config())]:
        check_wall, check_cpu = measure_command(argv, RUNS, env)
        ratio = check_wall / bare_wall
        print(f"costtui check, {label} (median of {RUNS}): wall {check_wall * 1000:.0f} ms, CPU {check_cpu * 1000:.0f} ms"
              f" -> {ratio:.2f}x wall (target <= 1.3x) {'OK' if ratio <= 1.3 else 'OVER TARGET'}; "
              f"{check_cpu / bare_cpu:.2f}x CPU (steadier on a busy machine)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
