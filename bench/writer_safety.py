"""Benchmark: what a writer's safety checks cost (read every table once before the copy,
remember what it found, refuse a publish that lost something, sweep crash litter).

Run: python bench/writer_safety.py [ROWS]   (builds bench/data/writer_safety.duckdb once)
Compares a no-change publish through `open_writer` with the bare protocol it wraps
(copy the file, open it, checkpoint, os.replace) on the same cache, in the same run."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from costtui.cache import open_writer  # noqa: E402
from costtui.cache.publish import read_every_table  # noqa: E402
from costtui.cache.reader import connect_read_only  # noqa: E402

DATA = Path(__file__).parent / "data"
RUNS = 5


def ensure_cache(rows: int) -> Path:
    cache = DATA / f"writer_safety_{rows}.duckdb"
    if not cache.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"building {cache} ({rows:,} rows)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "costtui", "--cache", str(cache), "demo", "--no-tui",
                        "--rows", str(rows)], check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    return cache


def bare_publish(cache: Path) -> None:
    draft = cache.with_name(".bare-" + cache.name)
    shutil.copyfile(cache, draft)
    con = duckdb.connect(str(draft))
    con.execute("CHECKPOINT")
    con.close()
    os.replace(draft, cache)


def safe_publish(cache: Path) -> None:
    with open_writer(cache):
        pass


def verify_only(cache: Path) -> None:
    con = connect_read_only(cache)
    try:
        read_every_table(cache, con)
    finally:
        con.close()


def median_seconds(action, cache: Path) -> float:
    action(cache)
    samples = []
    for _ in range(RUNS):
        began = time.perf_counter()
        action(cache)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    cache = ensure_cache(rows)
    size_mb = cache.stat().st_size / 1e6
    bare = median_seconds(bare_publish, cache)
    safe = median_seconds(safe_publish, cache)
    verify = median_seconds(verify_only, cache)
    print(f"cache: {cache.name}, {size_mb:.0f} MB")
    print(f"bare copy+checkpoint+replace : {bare * 1000:8.1f} ms")
    print(f"open_writer no-change publish: {safe * 1000:8.1f} ms  (ratio {safe / bare:.2f})")
    print(f"  of which reading every table: {verify * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
