"""Sparklines: a row's cost per day (or month) over the range as a line of block characters, drawn from
the loader's in-memory sums. Floats never enter: the blocks are chosen with Decimal arithmetic."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from costtui.cache.rollups import WindowSums
from costtui.model import Metric
from costtui.tui.rollup import amount

BLOCKS = "▁▂▃▄▅▆▇█"
MAX_POINTS = 24  # longer ranges are averaged into this many buckets: a column, not a chart


def series(items: Iterable[WindowSums], identity: Sequence[str], time_key: str, metric: Metric,
           gross: bool) -> dict[tuple, dict[str, Decimal]]:
    """(identity values..., currency) -> {time bucket: cost} of a one-window rollup by time and identity."""
    result: dict[tuple, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for item in items:
        key = (*(str(item.keys.get(name)) for name in identity), item.currency)
        result[key][str(item.keys[time_key])] += amount(item, 0, metric, gross)
    return result


def buckets(values: Sequence[Decimal], points: int = MAX_POINTS) -> list[Decimal]:
    """`values` as at most `points` consecutive groups of (nearly) equal size, each its mean (a sum
    would draw a two-day group as a spike)."""
    if len(values) <= points:
        return list(values)
    groups = [values[len(values) * i // points: len(values) * (i + 1) // points] for i in range(points)]
    return [sum(group, Decimal(0)) / len(group) for group in groups]


def sparkline(values: Sequence[Decimal]) -> str:
    """One block per value, scaled from the row's lowest to its highest (flat rows sit at mid height);
    an empty row is blank."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return BLOCKS[3] * len(values)
    top = len(BLOCKS) - 1
    return "".join(BLOCKS[int((value - low) * top / (high - low) + Decimal("0.5"))] for value in values)


def trend_lines(items: Iterable[WindowSums], identity: Sequence[str], time_axis: Sequence[str], time_key: str,
                metric: Metric, gross: bool) -> dict[tuple, str]:
    """Each group's sparkline over `time_axis` (every bucket of the range, missing ones count 0)."""
    return {key: sparkline(buckets([by_time.get(t, Decimal(0)) for t in time_axis]))
            for key, by_time in series(items, identity, time_key, metric, gross).items()}


def groups(axis: Sequence[str], points: int = MAX_POINTS) -> list[Sequence[str]]:
    """The time buckets each point of a sparkline stands for: `buckets`' groups, by name."""
    if len(axis) <= points:
        return [[bucket] for bucket in axis]
    return [axis[len(axis) * i // points: len(axis) * (i + 1) // points] for i in range(points)]


def window_lines(items: Iterable[WindowSums], identity: Sequence[str], sizes: Sequence[int], metric: Metric,
                 gross: bool) -> dict[tuple, str]:
    """Each group's sparkline from sums read one window per point (`groups`), each point the mean of
    its buckets: the same line `trend_lines` draws from sums per bucket, from a read up to 15 times
    smaller (a year of days is 24 points)."""
    return {(*(str(item.keys.get(name)) for name in identity), item.currency):
            sparkline([amount(item, index, metric, gross) / size for index, size in enumerate(sizes)])
            for item in items}
