"""Shared benchmark data: a 10M-row demo cache built once under bench/data/."""

from __future__ import annotations

import resource
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

DATA = Path(__file__).parent / "data"
BENCH_CACHE = DATA / "bench10m.duckdb"
BENCH_CONFIG = DATA / "bench.toml"
BENCH_TODAY = "2026-11-15"


def ensure_bench_cache(rows: int = 10_000_000) -> Path:
    """Build the 10M-row demo cache (about 15 s) unless it is already there."""
    DATA.mkdir(parents=True, exist_ok=True)
    BENCH_CONFIG.write_text(f"demo_today = {BENCH_TODAY}\n")
    if not BENCH_CACHE.exists():
        print(f"building {BENCH_CACHE} ({rows:,} rows)...", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "costtui", "--config", str(BENCH_CONFIG), "--cache", str(BENCH_CACHE),
             "demo", "--no-tui", "--rows", str(rows)],
            check=True,
        )
    return BENCH_CACHE


def bare_grouping_script(cache: Path, column: str) -> str:
    """The baseline of a `costs --group-by` bench: a bare `python -c` script that imports duckdb, opens
    `cache` read-only, sums billed cost by `column` and currency over costs' default window (the
    last 30 complete days before BENCH_TODAY) and prints the rows as JSON."""
    end = date.fromisoformat(BENCH_TODAY) - timedelta(days=1)
    start = end - timedelta(days=29)
    return (
        "import duckdb, json\n"
        f"con = duckdb.connect({str(cache)!r}, read_only=True)\n"
        f"rows = con.execute(\"SELECT {column}, currency, sum(billed_cost) AS cost FROM charges "
        f"WHERE charge_date >= ? AND charge_date <= ? GROUP BY {column}, currency ORDER BY cost DESC\", "
        f"[{start.isoformat()!r}, {end.isoformat()!r}]).fetchall()\n"
        "print(json.dumps([[group, c, str(v)] for group, c, v in rows]))\n"
    )


def free_port() -> int:
    """A port nothing listens on right now (also a closed port, for a refused connection)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def time_command(argv: list[str], runs: int = 7, env: dict[str, str] | None = None) -> float:
    """Median wall time of a whole process, in seconds (one warm-up run first)."""
    return measure_command(argv, runs, env)[0]


def measure_command(argv: list[str], runs: int = 7, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system, all threads) of a whole process, in
    seconds, after one warm-up run. CPU time barely moves when other work shares the machine."""
    subprocess.run(argv, check=True, capture_output=True, env=env)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        walls.append(time.perf_counter() - began)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)
