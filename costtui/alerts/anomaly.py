"""Anomalies: a provider's service costing far more on the latest complete day than its trailing window.

A day is anomalous when it is above mean + sensitivity x standard deviation of the
`window_days` before it AND at least 10% (and one unit of currency) above the mean, so a
very steady service does not alert on a few cents. Only rises alert: a drop in spend is
rarely urgent, and a provider still delivering the latest day looks like one."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from costtui.config.schema import AnomalyConfig
from costtui.core.windows import latest_complete_day
from costtui.model import AlertEvent, CostQuery, to_cents

if TYPE_CHECKING:
    from costtui.cache import CostQueries

RULE = "anomaly"
MIN_RELATIVE_RISE = Decimal("0.10")
MIN_ABSOLUTE_RISE = Decimal("1")
MIN_HISTORY_DAYS = 3  # days with cost in the window before a service can be judged


def detect_anomalies(
    queries: CostQueries, config: AnomalyConfig, today: date, metric: str = "billed", gross: bool = False
) -> list[AlertEvent]:
    if not config.enabled:
        return []
    day = latest_complete_day(today)
    first = day - timedelta(days=config.window_days)
    query = CostQuery(start=first, end=day, metric=metric, gross=gross, group_by=("provider", "service", "day"))  # type: ignore[arg-type]
    series: dict[tuple[str, str, str], dict[date, Decimal]] = defaultdict(dict)
    for group in queries.cost_groups(query):
        key = (str(group.keys["provider"]), str(group.keys["service"]), group.currency)
        series[key][date.fromisoformat(str(group.keys["day"]))] = group.cost
    sensitivity = Decimal(str(config.sensitivity))
    events = []
    for (provider, service, currency), costs in sorted(series.items()):
        observed = costs.get(day)
        history = [costs.get(first + timedelta(days=n), Decimal(0)) for n in range(config.window_days)]
        if observed is None or sum(1 for cost in history if cost) < MIN_HISTORY_DAYS:
            continue
        mean = sum(history, Decimal(0)) / len(history)
        deviation = (sum(((cost - mean) ** 2 for cost in history), Decimal(0)) / len(history)).sqrt()
        upper = mean + sensitivity * deviation
        rise = observed - mean
        if observed > upper and rise >= max(MIN_ABSOLUTE_RISE, mean * MIN_RELATIVE_RISE):
            events.append(_event(provider, service, currency, day, observed, mean, upper, config))
    return events


def _event(
    provider: str, service: str, currency: str, day: date, observed: Decimal, mean: Decimal, upper: Decimal,
    config: AnomalyConfig,
) -> AlertEvent:
    percent = f" (+{(observed - mean) / mean * 100:.0f}%)" if mean > 0 else ""
    message = (
        f"{provider} {service} cost {to_cents(observed):f} {currency} on {day.isoformat()}{percent}, "
        f"above its expected range up to {to_cents(upper):f} {currency} "
        f"({config.window_days}-day mean {to_cents(mean):f})"
    )
    return AlertEvent(
        rule=RULE,
        kind="anomaly",
        severity="warning",
        period_start=day,
        period_end=day,
        observed=to_cents(observed),
        threshold=to_cents(upper),
        currency=currency,
        message=message,
        provider=provider,
        service=service,
    )
