"""The month-end forecast: recurring charges projected by weekday, one-off charges counted once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from costtui.cache import CacheReader
from costtui.core.forecast import forecast, forecast_totals
from costtui.model import CostQuery
from tests.cachefactory import row, write_rows


def daily(start: date, end: date, cost: str = "10.00", **kwargs):
    day = start
    while day <= end:
        yield row(day, cost=cost, **kwargs)
        day += timedelta(days=1)


def totals(path: Path, today: date, **selection) -> dict[str, Decimal]:
    with CacheReader(path).session() as queries:
        return forecast_totals(queries, CostQuery(**selection), today)


def test_a_monthly_fee_on_the_first_is_counted_once_not_extrapolated(cache_path):
    rows = list(daily(date(2026, 10, 1), date(2026, 12, 1)))
    for first in (date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)):
        rows.append(row(first, service="Savings Plans", category="Purchase", cost="3000.00"))
        rows.append(row(first, service="Support", cost="500.00"))  # usage billed once a month
    write_rows(cache_path, rows)
    # On 2 December: 1 complete day of usage (10) + the fees (3500) + 30 days x 10 projected.
    assert totals(cache_path, date(2026, 12, 2)) == {"USD": Decimal("3810.00")}


def test_weekday_rhythm_is_carried_and_a_spike_in_the_window_is_ignored(cache_path):
    rows = []
    day = date(2026, 10, 1)
    while day <= date(2026, 11, 14):
        cost = "5.00" if day.weekday() >= 5 else "10.00"
        if day == date(2026, 11, 10):
            cost = "400.00"  # a one-day spike
        rows.append(row(day, cost=cost))
        day += timedelta(days=1)
    write_rows(cache_path, rows)
    today = date(2026, 11, 15)  # a Sunday
    so_far = sum(r.billed_cost for r in rows if r.charge_date >= date(2026, 11, 1))
    # 15..30 November: 5 weekend days at 5.00 and 11 weekdays at 10.00.
    assert totals(cache_path, today) == {"USD": so_far + Decimal("135.00")}


def test_a_provider_that_started_three_days_ago_is_projected_from_its_days(cache_path):
    rows = list(daily(date(2026, 10, 1), date(2026, 11, 14)))
    rows += list(daily(date(2026, 11, 12), date(2026, 11, 14), cost="20.00", provider="gcp", account="p1"))
    write_rows(cache_path, rows)
    today = date(2026, 11, 15)
    # 3 days so far + 16 days (15th..30th) at 20.00.
    assert totals(cache_path, today, providers=("gcp",)) == {"USD": Decimal("380.00")}


def test_on_the_first_and_on_the_last_day_of_a_month(cache_path):
    rows = list(daily(date(2026, 10, 1), date(2026, 11, 30)))
    rows.append(row(date(2026, 12, 1), service="Tax", category="Tax", cost="42.00"))
    write_rows(cache_path, rows)
    # On the 1st: no complete day yet; 31 days projected, today's tax counted once.
    assert totals(cache_path, date(2026, 12, 1)) == {"USD": Decimal("352.00")}
    # On the 30th: 29 complete days + today projected.
    assert totals(cache_path, date(2026, 11, 30)) == {"USD": Decimal("300.00")}


def test_credits_that_recur_daily_are_projected_like_usage(cache_path):
    rows = list(daily(date(2026, 10, 1), date(2026, 11, 14)))
    rows += list(daily(date(2026, 10, 1), date(2026, 11, 14), cost="-1.00", category="Credit"))
    write_rows(cache_path, rows)
    assert totals(cache_path, date(2026, 11, 15)) == {"USD": Decimal("270.00")}
    assert totals(cache_path, date(2026, 11, 15), gross=True) == {"USD": Decimal("300.00")}


def test_forecasts_per_group_add_up_to_the_total_exactly(demo_cache, today):
    with CacheReader(demo_cache).session() as queries:
        total = forecast_totals(queries, CostQuery(), today)
        for group_by in (("provider",), ("service",), ("account",), ("region",), ("provider", "service")):
            groups = forecast(queries, CostQuery(group_by=group_by), today)
            summed: dict[str, Decimal] = {}
            for key, value in groups.items():
                summed[key[-1]] = summed.get(key[-1], Decimal(0)) + value.total
            assert summed == total, group_by


def test_currencies_are_forecast_apart(cache_path):
    rows = list(daily(date(2026, 10, 1), date(2026, 11, 14)))
    rows += list(daily(date(2026, 10, 1), date(2026, 11, 14), cost="2.00", provider="azure", currency="EUR"))
    write_rows(cache_path, rows)
    assert totals(cache_path, date(2026, 11, 15)) == {"USD": Decimal("300.00"), "EUR": Decimal("60.00")}
