"""The periods `check` and `export` report on: the latest complete day, month to date, the month-end forecast."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from costtui.model import CostQuery, days_in_month, latest_complete_day, month_start

if TYPE_CHECKING:
    from costtui.cache import CostQueries

PERIODS = ("day", "month", "forecast")
TRAILING_DAYS = 7
FORECAST_METHOD = (
    "month-to-date cost through yesterday + the average daily cost of the last "
    f"{TRAILING_DAYS} complete days x the days left in the month, today included"
)


@dataclass(frozen=True, slots=True)
class Window:
    """The inclusive days a period reads, and how it reads in a status line."""

    start: date
    end: date
    label: str


def period_window(period: str, today: date) -> Window:
    if period == "day":
        day = latest_complete_day(today)
        return Window(day, day, f"on {day.isoformat()}")
    if period == "month":
        return Window(month_start(today), today, "month to date")
    if period == "forecast":
        last = today.replace(day=days_in_month(today))
        return Window(month_start(today), last, f"forecast for {today:%Y-%m}")
    raise ValueError(f"unknown period {period!r}")


@dataclass(frozen=True, slots=True)
class Forecast:
    """A month-end projection and the figures it is made of."""

    month_to_date: Decimal  # complete days of this month
    daily_average: Decimal  # over the trailing complete days that have data
    remaining_days: int  # today through the month's last day
    total: Decimal


def forecast_groups(queries: CostQueries, query: CostQuery, today: date) -> dict[tuple, Forecast]:
    """Forecast per group of `query.group_by` and currency, keyed by (group values..., currency).

    Today's costs are incomplete, so both the month-to-date part and the average use
    complete days only. The average divides by the trailing days since the group's first
    day with data, so a provider added three days ago is not averaged over seven."""
    yesterday = latest_complete_day(today)
    first_of_month = month_start(today)
    trailing_start = yesterday - timedelta(days=TRAILING_DAYS - 1)
    window = replace(
        query,
        start=min(first_of_month, trailing_start),
        end=yesterday,
        group_by=(*query.group_by, "day"),
    )
    month_part: dict[tuple, Decimal] = defaultdict(Decimal)
    trailing_sum: dict[tuple, Decimal] = defaultdict(Decimal)
    first_day: dict[tuple, date] = {}
    for group in queries.cost_groups(window):
        key = (*(group.keys[name] for name in query.group_by), group.currency)
        day = date.fromisoformat(str(group.keys["day"]))
        if day >= first_of_month:
            month_part[key] += group.cost
        else:
            month_part.setdefault(key, Decimal(0))
        if day >= trailing_start:
            trailing_sum[key] += group.cost
            first_day[key] = min(first_day.get(key, day), day)
    remaining = days_in_month(today) - today.day + 1
    result: dict[tuple, Forecast] = {}
    for key, mtd in month_part.items():
        average = Decimal(0)
        if key in first_day:
            average = trailing_sum[key] / ((yesterday - first_day[key]).days + 1)
        result[key] = Forecast(mtd, average, remaining, mtd + average * remaining)
    return result

