"""The answers every face renders: totals, breakdowns, changes against the previous period, period
values for `check`/Prometheus/alerts, and the one record shape of machine output (exact money)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from costtui.core.forecast import forecast, forecast_groups
from costtui.core.windows import Window, period_window
from costtui.model import CostGroup, CostQuery, percent_change

if TYPE_CHECKING:
    from costtui.cache import CostQueries


def dated(selection: CostQuery, window: Window) -> CostQuery:
    return replace(selection, start=window.start, end=window.end)


def totals(queries: CostQueries, selection: CostQuery) -> dict[str, Decimal]:
    """Total per currency (currencies are never summed together)."""
    return queries.totals(selection)


def breakdown(queries: CostQueries, selection: CostQuery) -> list[CostGroup]:
    """Cost per group of `selection.group_by` and currency, largest first within each time bucket."""
    return queries.cost_groups(selection)


def period_breakdown(queries: CostQueries, selection: CostQuery, period: str, today: date) -> list[CostGroup]:
    """A period's groups (account names included), the forecast's too, for faces that list groups."""
    if period == "forecast":
        return forecast_groups(queries, selection, today)
    return queries.cost_groups(dated(selection, period_window(period, today)))


def period_totals(queries: CostQueries, selection: CostQuery, period: str, today: date) -> dict[str, Decimal]:
    """`check`'s and Prometheus' periods per currency: "day" (the latest complete day), "month" (month
    to date) or "forecast" (the month-end forecast)."""
    return {key[-1]: cost for key, cost in period_groups(queries, replace(selection, group_by=()), period, today).items()}


def period_groups(queries: CostQueries, selection: CostQuery, period: str, today: date) -> dict[tuple, Decimal]:
    """A period's cost per group of `selection.group_by` and currency, keyed (group values..., currency)."""
    if period == "forecast":
        return {key: value.total for key, value in forecast(queries, selection, today).items()}
    groups = queries.cost_groups(dated(selection, period_window(period, today)))
    return {(*(g.keys[name] for name in selection.group_by), g.currency): g.cost for g in groups}


@dataclass(frozen=True, slots=True)
class Change:
    """One group's cost in a window, the window before, and its share of the window's total."""

    keys: dict[str, object]
    currency: str
    cost: Decimal
    previous: Decimal
    share: Decimal | None  # of the currency's total in the window; None when that total is 0

    @property
    def change(self) -> Decimal:
        return self.cost - self.previous

    @property
    def change_percent(self) -> Decimal | None:
        return percent_change(self.cost, self.previous)


def changes(queries: CostQueries, selection: CostQuery, window: Window) -> list[Change]:
    """Each group of `selection.group_by` in `window` against the previous period of the same length;
    groups that vanished are kept (cost 0) so "what changed" sees them."""
    current = queries.cost_groups(dated(selection, window))
    before = queries.cost_groups(dated(selection, window.previous()))
    identity = [k for k in selection.group_by]

    def key(group: CostGroup) -> tuple:
        return (*(group.keys.get(k) for k in identity), group.currency)

    previous = {key(g): g for g in before}
    total: dict[str, Decimal] = defaultdict(Decimal)
    for group in current:
        total[group.currency] += group.cost
    rows: list[Change] = []
    seen = set()
    for group in current:
        seen.add(key(group))
        prior = previous.get(key(group))
        rows.append(Change(group.keys, group.currency, group.cost, prior.cost if prior else Decimal(0),
                           group.cost / total[group.currency] if total[group.currency] else None))
    for k, group in previous.items():
        if k not in seen:
            rows.append(Change(group.keys, group.currency, Decimal(0), group.cost,
                               Decimal(0) if total.get(group.currency) else None))
    return rows


@dataclass(frozen=True, slots=True)
class Summary:
    """A window's totals per currency against the previous period, and its providers."""

    window: Window
    previous_window: Window
    totals: dict[str, Decimal]
    previous_totals: dict[str, Decimal]
    providers: list[CostGroup]
    data_as_of: datetime | None


def summary(queries: CostQueries, selection: CostQuery, window: Window) -> Summary:
    by_provider = queries.cost_groups(replace(dated(selection, window), group_by=("provider",)))
    current: dict[str, Decimal] = defaultdict(Decimal)  # the providers' sum: no second scan
    for group in by_provider:
        current[group.currency] += group.cost
    previous_window = window.previous()
    return Summary(window, previous_window, dict(current),
                   queries.totals(dated(selection, previous_window)), by_provider, queries.data_as_of())


# --- the one record shape of machine output (costs/export JSON and CSV, the API) -------------------


def record_columns(group_by: Sequence[str], metric: str) -> list[str]:
    """The group-by names (account adds account_name), then `billed_cost` or `effective_cost`, then currency."""
    columns: list[str] = []
    for name in group_by:
        columns.append(name)
        if name == "account":
            columns.append("account_name")
    return [*columns, f"{metric}_cost", "currency"]


def records(groups: Sequence[CostGroup], group_by: Sequence[str], metric: str) -> list[dict[str, Any]]:
    """One dict per group in column order; money exact, at the cache's full precision."""
    columns = record_columns(group_by, metric)
    result = []
    for group in groups:
        record: dict[str, Any] = {key: group.keys.get(key) for key in columns[:-2]}
        record[columns[-2]] = group.cost
        record["currency"] = group.currency
        result.append(record)
    return result
