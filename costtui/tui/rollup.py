"""Views derived from one range's window sums, in memory: breakdowns with share and change, totals,
month-to-date figures and the chart's series. No cache access here: every key is answered from the
small aggregate the loader read once (per range), so toggles, filters and drill-downs are instant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from costtui.cache.rollups import WindowSums
from costtui.model import Metric, percent_change

# Window slots of the range sums: the range, then the period of the same length before it.
CURRENT, PREVIOUS = range(2)

# Key names each dimension brings into a row (an account also carries its name).
DIMENSION_KEYS = {"provider": ("provider",), "account": ("account", "account_name"), "service": ("service",),
                  "region": ("region",), "day": ("day",), "month": ("month",)}
Filter = tuple[str, str | None]  # (dimension, value): a drill-down step; a tag filter's None is "untagged"
TAG_PREFIX = "tag:"  # ("tag:team", "payments"): a step within one tag value (None: untagged), read from `charges`


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a breakdown: cost in the range, in the period before, and share of the range total."""

    keys: dict[str, object]
    currency: str
    cost: Decimal
    previous: Decimal
    share: Decimal | None  # percent of the currency's total; None when that total is not positive

    @property
    def change_percent(self) -> Decimal | None:
        return percent_change(self.cost, self.previous)

    def name(self, dimension: str) -> str:
        """The value a filter or drill-down of `dimension` matches."""
        return str(self.keys.get(dimension, ""))


def amount(item: WindowSums, window: int, metric: Metric, gross: bool) -> Decimal:
    """Net or gross cost in `metric` of one window (gross leaves credits out)."""
    billed, effective, billed_credits, effective_credits = item.sums[window]
    if metric == "billed":
        return billed - billed_credits if gross else billed
    return effective - effective_credits if gross else effective


def selected(items: Iterable[WindowSums], providers: Sequence[str], filters: Sequence[Filter]) -> Iterable[WindowSums]:
    for item in items:
        if providers and item.keys.get("provider") not in providers:
            continue
        if all(str(item.keys.get(dimension)) == value for dimension, value in filters):
            yield item


def breakdown(items: Iterable[WindowSums], dimensions: Sequence[str], metric: Metric, gross: bool) -> list[Row]:
    """Cost per group of `dimensions` and currency in the range, against the previous period; largest
    first; groups with no cost in either period are left out."""
    keys = [key for dimension in dimensions for key in DIMENSION_KEYS[dimension]]
    identity = [dimension for dimension in dimensions]
    costs: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    names: dict[tuple, dict[str, object]] = {}
    for item in items:
        group = (*(item.keys.get(key) for key in identity), item.currency)
        pair = costs[group]
        pair[0] += amount(item, CURRENT, metric, gross)
        pair[1] += amount(item, PREVIOUS, metric, gross)
        if group not in names:
            names[group] = {key: item.keys.get(key) for key in keys}
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for group, (cost, _) in costs.items():
        totals[group[-1]] += cost
    rows = [
        Row(names[group], group[-1], cost, previous, _share(cost, totals[group[-1]]))
        for group, (cost, previous) in costs.items()
        if cost or previous
    ]
    rows.sort(key=lambda row: (-row.cost, row.currency, *(str(row.keys.get(k)) for k in identity)))
    return rows


def totals(items: Iterable[WindowSums], window: int, metric: Metric, gross: bool) -> dict[str, Decimal]:
    """Total per currency of one window (currencies never summed together)."""
    result: dict[str, Decimal] = defaultdict(Decimal)
    present: set[str] = set()
    for item in items:
        value = amount(item, window, metric, gross)
        if value or any(item.sums[window]):
            present.add(item.currency)
        result[item.currency] += value
    return {currency: result[currency] for currency in sorted(present)}


def _share(cost: Decimal, total: Decimal) -> Decimal | None:
    return cost / total * 100 if total > 0 else None


def time_series(items: Iterable[WindowSums], granularity: str, metric: Metric, gross: bool) -> list[tuple[str, str, str, Decimal]]:
    """(time bucket, provider, currency, cost) of a one-window rollup by day, in time order; by
    month, the days' sums (YYYY-MM-DD -> YYYY-MM)."""
    width = 7 if granularity == "month" else 10
    sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for item in items:
        sums[(str(item.keys["day"])[:width], str(item.keys["provider"]), item.currency)] += amount(item, 0, metric, gross)
    return [(*key, cost) for key, cost in sorted(sums.items())]
