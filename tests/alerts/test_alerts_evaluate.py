"""Threshold rules and anomaly detection over a cache with known numbers (today 2026-11-15)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from costtui.alerts.anomaly import detect_anomalies
from costtui.alerts.thresholds import evaluate_thresholds
from costtui.cache import CacheReader
from costtui.config.schema import AnomalyConfig, ThresholdRule
from tests.cachefactory import row, write_rows

TODAY = date(2026, 11, 15)
YESTERDAY = TODAY - timedelta(days=1)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.fixture
def november(cache_path):
    """aws USD 100.00 a day and gcp USD 7.00 a day from 1 to 14 Nov; azure EUR 30.00 a day; a -40.00 aws credit."""
    rows = []
    for day in days(date(2026, 11, 1), YESTERDAY):
        rows.append(row(day, cost="100.00"))
        rows.append(row(day, provider="gcp", account="proj", service="BigQuery", cost="7.00"))
        rows.append(row(day, provider="azure", account="sub", service="VM", cost="30.00", currency="EUR"))
    rows.append(row(date(2026, 11, 3), cost="-40.00", category="Credit"))
    write_rows(cache_path, rows)
    return cache_path


def thresholds(cache, *rules: ThresholdRule, gross: bool = False):
    with CacheReader(cache).session() as queries:
        return evaluate_thresholds(queries, rules, TODAY, gross=gross)


def test_month_to_date_above_warning_is_one_warning(november):
    (event,) = thresholds(november, ThresholdRule("aws-month", provider="aws", warning=Decimal(1000),
                                                  critical=Decimal(2000)))
    # 14 x 100.00 - 40.00 credit
    assert (event.severity, event.observed, event.threshold, event.currency) == (
        "warning", Decimal("1360.00"), Decimal(1000), "USD")
    assert (event.period_start, event.period_end) == (date(2026, 11, 1), TODAY)
    assert event.message == (
        "aws-month: aws month to date 1360.00 USD is above the warning limit 1000.00 USD"
    )


def test_above_critical_is_critical_only(november):
    events = thresholds(november, ThresholdRule("aws", provider="aws", warning=Decimal(1000), critical=Decimal(1300)))
    assert [e.severity for e in events] == ["critical"]


def test_within_limits_or_without_limits_is_quiet(november):
    assert thresholds(november, ThresholdRule("aws", provider="aws", warning=Decimal(1400))) == []
    assert thresholds(november, ThresholdRule("no limits", provider="aws")) == []


def test_gross_leaves_credits_out(november):
    rule = ThresholdRule("aws", provider="aws", warning=Decimal(1380))
    assert thresholds(november, rule) == []
    assert [e.observed for e in thresholds(november, rule, gross=True)] == [Decimal("1400.00")]


def test_latest_complete_day(november):
    (event,) = thresholds(november, ThresholdRule("daily", period="day", provider="gcp", warning=Decimal(5)))
    assert (event.period_start, event.observed) == (YESTERDAY, Decimal("7.00"))


def test_month_end_forecast(november):
    # month to date through yesterday 1400.00 - 40.00, + the 7-day average 100.00 x 16 days left (15..30 Nov)
    rule = ThresholdRule("forecast", period="forecast", provider="aws", warning=Decimal(2900), critical=Decimal(3000))
    (event,) = thresholds(november, rule)
    assert (event.severity, event.observed, event.period_end) == ("warning", Decimal("2960.00"), date(2026, 11, 30))


def test_currencies_are_judged_apart_and_a_rule_can_name_one(november):
    everything = thresholds(november, ThresholdRule("all", warning=Decimal(400)))
    assert {(e.currency, e.observed) for e in everything} == {("USD", Decimal("1458.00")), ("EUR", Decimal("420.00"))}
    only_eur = thresholds(november, ThresholdRule("eur", warning=Decimal(400), currency="eur"))
    assert [e.currency for e in only_eur] == ["EUR"]


def test_scope_filters_by_account_and_service(november):
    rule = ThresholdRule("bq", provider="gcp", account="proj", service="BigQuery", warning=Decimal(90))
    (event,) = thresholds(november, rule)
    assert (event.provider, event.account_id, event.service, event.observed) == ("gcp", "proj", "BigQuery",
                                                                                  Decimal("98.00"))
    assert "gcp proj BigQuery month to date 98.00 USD" in event.message


def test_the_same_finding_keeps_its_fingerprint_as_the_month_goes_on(november):
    rule = ThresholdRule("aws", provider="aws", warning=Decimal(1000))
    (today,) = thresholds(november, rule)
    with CacheReader(november).session() as queries:
        (tomorrow,) = evaluate_thresholds(queries, [rule], TODAY + timedelta(days=1))
    assert today.fingerprint == tomorrow.fingerprint
    assert today.observed == tomorrow.observed  # no data for the 15th yet
    (critical,) = thresholds(november, ThresholdRule("aws", provider="aws", warning=Decimal(500),
                                                     critical=Decimal(1000)))
    assert critical.fingerprint != today.fingerprint  # an escalation is news


# --- anomalies ----------------------------------------------------------------------------------

WINDOW = AnomalyConfig(enabled=True, window_days=14, sensitivity=3.0)
NOISE = ["98", "101", "100", "103", "99", "97", "102", "100", "101", "99", "98", "102", "100", "100"]


def service_series(cache_path, history: list[str], latest: str | None, service: str = "EC2"):
    first = YESTERDAY - timedelta(days=len(history))
    rows = [row(first + timedelta(days=n), service=service, cost=cost) for n, cost in enumerate(history) if cost]
    if latest is not None:
        rows.append(row(YESTERDAY, service=service, cost=latest))
    write_rows(cache_path, rows)
    with CacheReader(cache_path).session() as queries:
        return detect_anomalies(queries, WINDOW, TODAY)


def test_a_spike_on_the_latest_day_is_an_anomaly(cache_path):
    (event,) = service_series(cache_path, NOISE, "180.00")
    assert (event.kind, event.severity, event.provider, event.service) == ("anomaly", "warning", "aws", "EC2")
    assert (event.period_start, event.observed) == (YESTERDAY, Decimal("180.00"))
    # mean 100.00, population deviation of NOISE 1.69 -> upper bound 100 + 3 x 1.69
    assert Decimal("104") < event.threshold < Decimal("106")
    assert "+80%" in event.message and "14-day mean 100.00" in event.message


def test_normal_variation_is_not_an_anomaly(cache_path):
    assert service_series(cache_path, NOISE, "104.00") == []


def test_a_tiny_rise_on_a_flat_line_is_not_an_anomaly(cache_path):
    assert service_series(cache_path, ["100.00"] * 14, "105.00") == []  # +5%: below the 10% floor
    assert service_series(cache_path.with_name("other.duckdb"), ["100.00"] * 14, "111.00") != []


def test_drops_and_new_services_are_not_anomalies(cache_path):
    assert service_series(cache_path, NOISE, "10.00") == []
    new_service = cache_path.with_name("new-service.duckdb")
    assert service_series(new_service, [""] * 12 + ["5.00", "5.00"], "500.00") == []  # 2 days of history


def test_disabled_detection_finds_nothing(cache_path):
    write_rows(cache_path, [row(YESTERDAY, cost="1000.00")])
    with CacheReader(cache_path).session() as queries:
        assert detect_anomalies(queries, AnomalyConfig(enabled=False), TODAY) == []
