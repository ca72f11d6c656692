"""Alert rules for the demo data: thresholds set from what the demo cache holds, so a new user running
`costtui demo` sees findings (a budget warning, a daily limit passed, anomalies) in the Alerts tab and
budget lines on the Trends chart. Never used outside the demo."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path

from costtui.cache import CacheReader
from costtui.config.schema import Config, ThresholdRule
from costtui.core.reports import period_totals
from costtui.model import CostQuery

DEMO_ANOMALY_SENSITIVITY = 2.0  # looser than the default 3: the demo's rare spikes become findings


def round_to_two_figures(value: Decimal, rounding: str) -> Decimal:
    """A limit a person would type: 150,000 or 2,400 rather than 152,613.27."""
    if value <= 0:
        return Decimal(0)
    unit = Decimal(10) ** (value.adjusted() - 1)
    return (value / unit).to_integral_value(rounding) * unit


def demo_thresholds(config: Config, cache_path: Path, today: date) -> list[ThresholdRule]:
    """A monthly budget the month-end forecast passes (warning), with room below critical, and an
    AWS daily limit the latest complete day passes (critical)."""
    metric, gross = config.display.metric, config.display.gross
    selection = CostQuery(metric=metric, gross=gross)  # type: ignore[arg-type]
    with CacheReader(cache_path).session() as queries:
        month_end = period_totals(queries, selection, "forecast", today)
        aws_day = period_totals(queries, replace(selection, providers=("aws",)), "day", today)
    rules = [
        ThresholdRule(name="Demo monthly budget", period="forecast", currency=currency,
                      warning=round_to_two_figures(total * Decimal("0.9"), ROUND_FLOOR),
                      critical=round_to_two_figures(total * Decimal("1.2"), ROUND_CEILING))
        for currency, total in sorted(month_end.items()) if total > 0
    ]
    rules += [
        ThresholdRule(name="Demo AWS daily limit", period="day", provider="aws", currency=currency,
                      warning=round_to_two_figures(total * Decimal("0.7"), ROUND_FLOOR),
                      critical=round_to_two_figures(total * Decimal("0.85"), ROUND_FLOOR))
        for currency, total in sorted(aws_day.items()) if total > 0
    ]
    return rules


def demo_alert_config(config: Config, cache_path: Path, today: date) -> Config:
    """`config` with the demo's thresholds and a looser anomaly sensitivity (the rest unchanged)."""
    alerts = config.alerts
    return replace(config, alerts=replace(
        alerts, thresholds=demo_thresholds(config, cache_path, today),
        anomaly=replace(alerts.anomaly, sensitivity=DEMO_ANOMALY_SENSITIVITY)))
