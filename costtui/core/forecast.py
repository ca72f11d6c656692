"""The month-end forecast: one implementation for `check`, Prometheus, alerts, the API and the dashboard.

Each charge series (provider, account, service, region, charge category, currency) is either
- recurring (usage, credits and adjustments billed on at least half the days since they first
  appeared in the last two months): its complete days this month count as billed, and today
  through the month's end are projected from the median of the same weekday over the last four
  weeks (weekday rhythm carried, a one-day spike ignored); or
- one-off (purchases, tax, monthly fees, anything billed on a few days only): counted as billed,
  never extrapolated.
A group's forecast is the sum of its series' forecasts, so forecasts per group add up to the total.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from costtui.cache.forecast import LOOKBACK_DAYS
from costtui.core.windows import forecast_month
from costtui.model import CostGroup, CostQuery

if TYPE_CHECKING:
    from costtui.cache import CostQueries
    from costtui.cache.forecast import ForecastPart

FORECAST_METHOD = (
    "complete days of this month + each recurring charge projected from the median of its same weekday "
    f"over the last {LOOKBACK_DAYS} days (today to month end); purchases, tax and charges billed on "
    "few days are counted once, never extrapolated"
)


@dataclass(frozen=True, slots=True)
class Forecast:
    """A month-end projection and the figures it is made of."""

    month_to_date: Decimal  # billed so far: complete days of recurring charges, all one-off charges
    projected: Decimal  # recurring charges from today through the month's last day
    remaining_days: int  # today through the month's last day

    @property
    def total(self) -> Decimal:
        return self.month_to_date + self.projected


def forecast(queries: CostQueries, selection: CostQuery, today: date) -> dict[tuple, Forecast]:
    """Forecast per group of `selection.group_by` and currency, keyed by (group values..., currency).
    The selection's dates are ignored: a forecast is always for the month of `today`."""
    remaining = forecast_month(today).days - today.day + 1
    return {
        (*(part.keys[name] for name in selection.group_by), part.currency): Forecast(
            part.actual, part.projected, remaining
        )
        for part in _parts(queries, selection, today)
    }


def forecast_groups(queries: CostQueries, selection: CostQuery, today: date) -> list[CostGroup]:
    """The month-end forecast as cost groups (with account names), for the faces that list groups."""
    return [CostGroup(part.keys, part.actual + part.projected, part.currency)
            for part in _parts(queries, selection, today)]


def _parts(queries: CostQueries, selection: CostQuery, today: date) -> list[ForecastPart]:
    return queries.forecast_parts(replace(selection, start=None, end=None), today)


def forecast_totals(queries: CostQueries, selection: CostQuery, today: date) -> dict[str, Decimal]:
    """The month-end forecast per currency."""
    ungrouped = replace(selection, group_by=())
    return {key[-1]: value.total for key, value in forecast(queries, ungrouped, today).items()}
