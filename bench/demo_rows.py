"""`costtui demo --no-tui --rows 10000000`: wall time and peak memory of the whole process.

Run: python bench/demo_rows.py [rows]"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "demo.duckdb"
        config = Path(folder) / "c.toml"
        config.write_text("demo_today = 2026-11-15\n")
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "costtui", "--config", str(config), "--cache", str(cache),
             "demo", "--no-tui", "--rows", str(rows)],
            check=True,
        )
        elapsed = time.perf_counter() - began
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size_mb = cache.stat().st_size / 1e6
    print(f"demo --no-tui --rows {rows:,}")
    print(f"  wall time:   {elapsed:6.1f} s")
    print(f"  peak memory: {peak_mb:6.0f} MB (max RSS of the process)")
    print(f"  cache file:  {size_mb:6.0f} MB")


if __name__ == "__main__":
    main()
