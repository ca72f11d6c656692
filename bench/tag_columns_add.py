"""What configuring tag keys costs a 10M-row cache: the writer's ALTER TABLE ADD COLUMN, and a publish.

A new key in `[allocation] tag_keys` makes the next writer add a NULL `tag_<key>` column. DuckDB
adds it without rewriting the table, so it should cost milliseconds and (almost) no file size.
Measured on a copy of bench/data/bench10m.duckdb: the bare ALTERs, then a whole publish (copy,
verify, change, checkpoint) with two new keys vs the same publish without.
Run: python bench/tag_columns_add.py"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from benchdata import ensure_bench_cache

from costtui.cache import open_writer


def publish(path: Path, keys: list[str]) -> float:
    began = time.perf_counter()
    with open_writer(path) as writer:
        writer.ensure_tag_columns(keys)
    return time.perf_counter() - began


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else ensure_bench_cache()
    scratch = Path(tempfile.mkdtemp(dir=source.parent))
    try:
        copy = scratch / "tags.duckdb"
        shutil.copyfile(source, copy)
        rows = duckdb.connect(str(copy), read_only=True).execute("SELECT count(*) FROM charges").fetchone()[0]
        before = copy.stat().st_size
        plain = publish(copy, [])  # baseline: the same publish, no new column
        con = duckdb.connect(str(copy))
        began = time.perf_counter()
        con.execute('ALTER TABLE charges ADD COLUMN "tag_probe" VARCHAR')
        alter = time.perf_counter() - began
        con.execute("ALTER TABLE charges DROP COLUMN tag_probe")
        con.execute("CHECKPOINT")
        con.close()
        tagged = publish(copy, ["team", "environment"])
        after = copy.stat().st_size
        print(f"adding tag columns to a {rows:,}-row cache ({before / 2**20:.0f} MiB)")
        print(f"  one bare ALTER TABLE ADD COLUMN:          {alter * 1000:8.1f} ms")
        print(f"  publish without a new key (baseline):     {plain:8.2f} s")
        print(f"  publish adding team + environment:        {tagged:8.2f} s  ({tagged / plain:.2f}x)")
        print(f"  file size after: {after / 2**20:.0f} MiB ({(after - before) / 2**20:+.1f} MiB)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
