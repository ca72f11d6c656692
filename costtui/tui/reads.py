"""The reads the dashboard's workers run off the event loop, as plain functions: each reads the cache
and returns (or stores in the DashboardData it refines) plain data; the worker posts the result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from costtui.cache import CacheReader
from costtui.core.forecast import forecast
from costtui.model import CostQuery
from costtui.tui.cancel import StopSignal
from costtui.tui.data import RANGE_CYCLE, DashboardData, ViewOptions, load_day_sums, load_drill
from costtui.tui.rollup import Filter
from costtui.tui.views.breakdown import BREAKDOWNS
from costtui.tui.views.drill import EXPLAINED_BY, drilled

READ_GROUPS = ("load", "drill", "day-sums", "read-ahead", "changes", "forecast")  # the workers that read the cache

Loader = Callable[[Path, ViewOptions, date], DashboardData | None]  # load_dashboard, or a stand-in


class Ranges:
    """The ranges read (or read ahead) from this snapshot, by load key. `forget` moves the epoch on:
    a read ahead started before it is not kept."""

    def __init__(self) -> None:
        self.read: dict[tuple, DashboardData] = {}
        self.epoch = 0

    def forget(self) -> None:
        self.read.clear()
        self.epoch += 1


def forecast_key(options: ViewOptions) -> tuple:
    """The choices a month-end forecast depends on."""
    return (options.metric, options.gross, options.provider)


def read_forecast(cache_path: Path, options: ViewOptions, today: date) -> dict[tuple, Decimal]:
    """The month-end forecast per (provider, currency) for the choices in `options`."""
    selection = CostQuery(providers=options.providers, metric=options.metric, gross=options.gross,
                          group_by=("provider",))
    with CacheReader(cache_path).session() as queries:
        return {key: value.total for key, value in forecast(queries, selection, today).items()}


def read_day_sums(cache_path: Path, data: DashboardData, dimensions: tuple[str, ...],
                  filters: tuple[Filter, ...]) -> None:
    """One breakdown's sums by time bucket, read once into `data`, and its sparklines drawn (here, off
    the keys' path)."""
    key = data.day_sums_key(dimensions, filters)
    if key not in data.day_sums:
        data.day_sums[key] = load_day_sums(cache_path, data, dimensions, filters)
    data.trend_lines(dimensions, filters)


def read_drill_down(cache_path: Path, base: DashboardData, today: date, filters: tuple[Filter, ...],
                    stop: StopSignal | None = None) -> DashboardData:
    """A drill-down's own read, its tables' sparklines drawn too: opened, it only draws. `stop` may
    end it midway (ReadStopped, or DuckDB's InterruptException)."""
    stop = stop or StopSignal()
    drill = load_drill(cache_path, base, today, filters, explained_by(filters), stop)
    draw_drill_sparklines(drill, filters, stop)
    return drill


def explained_by(filters: tuple[Filter, ...]) -> list[tuple[str, ...]]:
    """The dimensions of the tables a drill-down of `filters` shows."""
    return [BREAKDOWNS[name][0] for name in EXPLAINED_BY[drilled(filters)]]


def draw_drill_sparklines(drill: DashboardData, filters: tuple[Filter, ...], stop: StopSignal | None = None) -> None:
    """A drill-down's tables' sparklines for the choices (metric, provider ...) of `drill`, drawn into
    its sums (a worker's job: ~5-10 ms a drill-down that Enter would otherwise spend)."""
    for dimensions in explained_by(filters):
        if stop is not None:
            stop.check()
        drill.trend_lines(dimensions, filters)


def drill_sparklines_drawn(drill: DashboardData, filters: tuple[Filter, ...]) -> bool:
    return all(drill.trends_key(dimensions, filters) in drill.sparklines for dimensions in explained_by(filters))


def read_sparklines(cache_path: Path, data: DashboardData) -> None:
    """Every tab's sparklines for the range of `data`, by day and by month (`t` then only draws)."""
    for granularity in ("day", "month"):
        shown = data.with_options(replace(data.options, granularity=granularity))
        for dimensions, _, _ in BREAKDOWNS.values():
            read_day_sums(cache_path, shown, dimensions, ())


def read_other_ranges(cache_path: Path, data: DashboardData, today: date, ranges: Ranges, epoch: int,
                      load: Loader) -> None:
    """The preset ranges not yet read, each with its sparklines, into `ranges` (unless they were
    forgotten meanwhile: `epoch` passed)."""
    for preset in RANGE_CYCLE:
        options = replace(data.options, preset=preset, custom=None)
        key = options.load_key(today)
        if key in ranges.read or epoch != ranges.epoch:
            continue
        other = load(cache_path, options, today)
        if other is None:
            return
        read_sparklines(cache_path, other)
        if epoch == ranges.epoch:  # not read from a snapshot replaced meanwhile
            ranges.read[key] = other
