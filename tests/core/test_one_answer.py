"""Every face answers the same question with the same number: one cache, one "today", the one core.

Month to date, the latest complete day, the default window and the month-end forecast, asked of
`costs`, `check`, `export prometheus` (its gauges summed), the REST API, alerts and the dashboard's
data layer."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from costtui.alerts.thresholds import evaluate_thresholds
from costtui.cache import CacheReader
from costtui.config.schema import ThresholdRule
from costtui.core.reports import totals
from costtui.core.windows import last_days, latest_day, month_to_date
from costtui.model import CostQuery, to_cents
from costtui.tui.data import ViewOptions, load_dashboard
from tests.faces import costtui_server, run_costtui

GAUGES = {"month": "costtui_month_to_date_cost", "day": "costtui_daily_cost", "forecast": "costtui_forecast_month_cost"}


def cli(cache: Path, today, *args: str) -> subprocess.CompletedProcess:
    result = run_costtui(["--cache", str(cache), *args], today=today, timeout=120)
    assert result.returncode in (0, 1, 2), result.stderr
    return result


def costs_json(cache: Path, today, *args: str) -> dict[str, Decimal]:
    records = json.loads(cli(cache, today, "costs", "--format", "json", *args).stdout, parse_float=Decimal)
    totals: dict[str, Decimal] = {}
    for record in records:
        totals[record["currency"]] = totals.get(record["currency"], Decimal(0)) + Decimal(record["billed_cost"])
    return totals


def check_value(cache: Path, today, period: str) -> Decimal:
    line = cli(cache, today, "check", "--period", period, "-w", "~:999999999").stdout
    return Decimal(re.search(r" (-?\d+\.\d\d) USD", line).group(1))


@pytest.fixture(scope="module")
def prometheus(demo_cache, today) -> dict[str, Decimal]:
    text = cli(demo_cache, today, "export", "prometheus").stdout
    sums = dict.fromkeys(GAUGES.values(), Decimal(0))
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in sums:
                sums[sample.name] += Decimal(repr(sample.value))
    return sums


@pytest.fixture(scope="module")
def api(demo_cache, today):
    with costtui_server(demo_cache, today) as base:
        yield base


def api_total(base: str, **params) -> Decimal:
    body = httpx.get(f"{base}/api/v1/costs/summary", params=params, timeout=30).json(parse_float=Decimal)
    (total,) = [t for t in body["totals"] if t["currency"] == "USD"]
    return Decimal(str(total["billed_cost"]))


def test_month_to_date_is_one_number_everywhere(demo_cache, today, prometheus, api):
    exact = costs_json(demo_cache, today, "--period", "month")["USD"]
    window = month_to_date(today)
    assert costs_json(demo_cache, today, "--start", window.start.isoformat(), "--end", window.end.isoformat()) == {"USD": exact}
    assert check_value(demo_cache, today, "month") == to_cents(exact)
    assert abs(prometheus[GAUGES["month"]] - exact) < Decimal("0.005")
    assert api_total(api, start_date=window.start.isoformat(), end_date=window.end.isoformat()) == exact
    dashboard = load_dashboard(demo_cache, ViewOptions(preset="mtd"), today)
    assert dashboard.totals == {"USD": exact}
    cards = {card.provider: card.cost for card in dashboard.month_to_date}
    assert cards[None] == exact


def test_the_latest_complete_day_is_one_number_everywhere(demo_cache, today, prometheus, api):
    exact = costs_json(demo_cache, today, "--period", "day")["USD"]
    assert costs_json(demo_cache, today, "--days", "1") == {"USD": exact}
    assert check_value(demo_cache, today, "day") == to_cents(exact)
    assert abs(prometheus[GAUGES["day"]] - exact) < Decimal("0.005")
    day = latest_day(today).start.isoformat()
    assert api_total(api, start_date=day, end_date=day) == exact


def test_the_default_window_is_one_number_everywhere(demo_cache, today, api):
    exact = costs_json(demo_cache, today)["USD"]
    window = last_days(30, today)  # display.default_days
    assert costs_json(demo_cache, today, "--days", "30") == {"USD": exact}
    assert api_total(api) == exact
    assert load_dashboard(demo_cache, ViewOptions.from_days(30), today).totals == {"USD": exact}
    assert (window.end - today).days == -1  # the window ends yesterday, on every face


def test_the_forecast_is_one_number_everywhere(demo_cache, today, prometheus):
    exact = costs_json(demo_cache, today, "--period", "forecast")["USD"]
    assert check_value(demo_cache, today, "forecast") == to_cents(exact)
    assert abs(prometheus[GAUGES["forecast"]] - exact) < Decimal("0.005")
    rule = ThresholdRule(name="budget", period="forecast", warning=Decimal(1))
    with CacheReader(demo_cache).session() as queries:
        (event,) = evaluate_thresholds(queries, [rule], today)
    assert event.observed == to_cents(exact)


@pytest.mark.parametrize("group_by", ["provider", "account", "service", "region", "day", "month", "charge_category"])
def test_json_groups_add_up_to_the_ungrouped_total_exactly(demo_cache, today, group_by):
    records = json.loads(cli(demo_cache, today, "costs", "--format", "json", "--group-by", group_by, "--start",
                             "2026-09-01", "--end", "2026-11-14", "--metric", "effective").stdout, parse_float=Decimal)
    selection = CostQuery(start=date(2026, 9, 1), end=date(2026, 11, 14), metric="effective")
    with CacheReader(demo_cache).session() as queries:
        whole = totals(queries, selection)
    assert sum(Decimal(r["effective_cost"]) for r in records) == whole["USD"]
