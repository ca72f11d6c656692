"""The dashboard on a 10M-row demo cache, driven by Pilot: time to the first cost figures on screen,
each key's time until its final content is on screen, and peak RSS.

Targets (issue 11): first figures <= 1.0 s; every key <= 100 ms, median <= 50 ms; RSS <= 250 MB.
Run: python bench/tui_keys.py"""

from __future__ import annotations

import asyncio
import resource
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from benchdata import BENCH_TODAY, ensure_bench_cache

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from costtui.config import Config
from costtui.tui.app import CostApp

# What a user does in the morning: tabs, sort, filter, drill down and back, switches, ranges.
KEYS: list[tuple[str, list[str]]] = [
    ("tab services", ["2"]), ("tab accounts", ["3"]), ("tab regions", ["4"]), ("tab trends", ["1"]),
    ("tab services", ["2"]), ("down", ["down"]), ("sort", ["s"]), ("reverse", ["S"]), ("sort", ["s"]),
    ("metric", ["m"]), ("gross", ["g"]), ("provider", ["p"]), ("provider", ["p"]), ("metric", ["m"]),
    ("gross", ["g"]), ("filter open", ["slash"]), ("filter key", ["c"]), ("filter key", ["o"]),
    ("filter key", ["m"]), ("filter clear", ["escape"]), ("drill down", ["enter"]), ("drill down", ["enter"]),
    ("back", ["escape"]), ("back", ["escape"]), ("day/month", ["t"]), ("day/month", ["t"]),
    ("range", ["d"]), ("range", ["d"]), ("range", ["d"]), ("range", ["d"]), ("range", ["d"]), ("range", ["d"]),
    ("tab accounts", ["3"]), ("tab trends", ["1"]),
]


async def settle(app: CostApp, pilot) -> None:
    """Until the key's final content is on screen: loads finished and the screen refreshed."""
    while app.loading_data or any(w.group in ("load", "drill") and w.is_running for w in app.workers):
        await asyncio.sleep(0.002)
    await pilot.pause()


async def run(cache: Path) -> tuple[float, list[tuple[str, float]]]:
    began = time.perf_counter()
    app = CostApp(Config(), cache, date.fromisoformat(BENCH_TODAY))
    timings: list[tuple[str, float]] = []
    async with app.run_test(size=(120, 40)) as pilot:
        while app.data is None:
            await asyncio.sleep(0.002)
        await pilot.pause()
        first = time.perf_counter() - began
        await app.workers.wait_for_complete()  # the forecast, computed after the figures
        for name, keys in KEYS:
            start = time.perf_counter()
            await pilot.press(*keys)
            await settle(app, pilot)
            timings.append((name, time.perf_counter() - start))
    return first, timings


def main() -> None:
    cache = ensure_bench_cache()
    first, timings = asyncio.run(run(cache))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    values = [t for _, t in timings]
    print(f"dashboard on {cache.name} (Pilot, 120x40)")
    print(f"  first cost figures on screen: {first * 1000:7.1f} ms   (target <= 1000 ms: "
          f"{'met' if first <= 1.0 else 'MISSED'})")
    for name, seconds in timings:
        print(f"    {name:<14} {seconds * 1000:7.1f} ms")
    median, worst = statistics.median(values), max(values)
    print(f"  per key: median {median * 1000:6.1f} ms (target <= 50: {'met' if median <= 0.05 else 'MISSED'}), "
          f"max {worst * 1000:6.1f} ms (target <= 100: {'met' if worst <= 0.1 else 'MISSED'})")
    print(f"  peak RSS: {rss_mb:7.1f} MB   (target <= 250 MB: {'met' if rss_mb <= 250 else 'MISSED'})")


if __name__ == "__main__":
    main()
