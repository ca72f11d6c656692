"""What the rollups, stored forecast parts and stored /metrics add to a publish (cache/rollups.py,
cache/forecast.py, cache/stored.py).

Measured in this process, with and without them in the same run (the "without" publish skips
`write_rollups`; "+ /metrics" also stores the default /metrics cost gauges, as refresh, import and
demo do), wall and CPU time:
- a refresh-like publish on the 10M-row bench cache: the last 3 days of one provider restated;
- the 1M-row FOCUS import of bench/focus_import.py into a new cache;
- the rollups and the forecast parts alone, built on the 10M-row cache.
Run: python bench/publish_rollups.py"""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from unittest import mock

from benchdata import BENCH_TODAY, DATA, ensure_bench_cache

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb
from focus_import import build_csv

from costtui.cache import open_writer
from costtui.cache.forecast import store_forecast
from costtui.cache.rollups import build_rollups
from costtui.exporters.prometheus import stored_metrics
from costtui.model import ReplaceScope
from costtui.providers.focus_files import FocusFilesProvider
from costtui.refresh import load_once

TODAY = date.fromisoformat(BENCH_TODAY)


def measured(work: Callable[[], None]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    work()
    after = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter() - began, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def without_rollups():
    return mock.patch("costtui.cache.publish.write_rollups", lambda *args: None)


def restate_three_days(cache: Path, answers: tuple = ()) -> None:
    """Re-insert the last 3 days of aws as they are: a publish that changes charges."""
    start, end = TODAY - timedelta(days=3), TODAY - timedelta(days=1)
    with open_writer(cache, today=TODAY, answers=answers) as writer:
        con = writer.connection
        con.execute("CREATE TEMP TABLE again AS SELECT * FROM charges WHERE provider = 'aws' "
                    "AND charge_date BETWEEN ? AND ?", [start, end])
        writer.replace_charges([ReplaceScope("aws", start, end)])
        con.execute("INSERT INTO charges SELECT * FROM again")


def focus_import(csv: Path, answers: tuple = ()) -> None:
    folder = Path(tempfile.mkdtemp())
    try:
        load_once(FocusFilesProvider([csv]), folder / "cache.duckdb", TODAY, TODAY, today=TODAY, answers=answers)
    finally:
        shutil.rmtree(folder)


def main() -> None:
    source = ensure_bench_cache()
    folder = Path(tempfile.mkdtemp(dir=DATA))
    cache = folder / "publish.duckdb"
    shutil.copyfile(source, cache)
    csv = DATA / "focus-bp-1000000.csv"
    if not csv.exists():
        build_csv(csv, 1_000_000)
    try:
        print("publish cost of the rollups and forecast parts, and of the stored /metrics (wall / CPU seconds)")
        metrics = (stored_metrics(TODAY, 20, "billed", False, ()),)  # bench.toml: the defaults
        for name, work in (("refresh-like publish, 10M rows", lambda answers: restate_three_days(cache, answers)),
                           ("FOCUS import, 1M rows", lambda answers: focus_import(csv, answers))):
            with without_rollups():
                bare = measured(partial(work, ()))
            full = measured(partial(work, ()))
            stored = measured(partial(work, metrics))
            print(f"  {name:<32} without {bare[0]:6.1f} / {bare[1]:6.1f}   with {full[0]:6.1f} / {full[1]:6.1f}"
                  f"   + /metrics {stored[0]:6.1f} / {stored[1]:6.1f}   rollups {full[0] / bare[0]:.2f}x, "
                  f"/metrics {stored[0] / full[0]:.2f}x wall")
        con = duckdb.connect(str(cache))
        try:
            rollups = measured(lambda: build_rollups(con))
            forecast = measured(lambda: store_forecast(con, TODAY))
        finally:
            con.close()
        print(f"  alone on 10M rows: rollups {rollups[0]:.1f} s ({rollups[1]:.1f} s CPU), forecast parts "
              f"{forecast[0]:.1f} s ({forecast[1]:.1f} s CPU)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
