"""What the Trends chart marks besides the costs: configured budgets (threshold rules) as lines and
anomaly findings from `alert_events` as points. Pure: rules and events in, chart marks out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from costtui.config.schema import ThresholdRule
from costtui.tui.format import provider_name

# Which rule periods a chart granularity can show as a level: a daily limit per day, a monthly
# budget (month to date or month-end forecast) per month.
PERIODS_SHOWN = {"day": ("day",), "month": ("month", "forecast")}


@dataclass(frozen=True)
class BudgetLine:
    """A horizontal line at a rule's limit."""

    label: str
    value: Decimal
    severity: str  # warning | critical
    currency: str | None
    period: str = "day"  # the rule's: day, month (to date) or forecast


@dataclass(frozen=True)
class AnomalyMark:
    """A point on a provider's line: an anomaly found on that day (or in that month)."""

    bucket: str
    provider: str
    label: str


def budget_lines(rules: Iterable[ThresholdRule], granularity: str, provider: str | None) -> list[BudgetLine]:
    """The limits of rules a line of this chart can be read against: the chart's period, all providers
    or the one shown, no account or service scope (the chart has no such line)."""
    lines = []
    for rule in rules:
        if rule.period not in PERIODS_SHOWN[granularity] or rule.account or rule.service:
            continue
        if rule.provider and provider is not None and rule.provider.lower() != provider:
            continue
        scope = provider_name(rule.provider.lower()) if rule.provider else "all"
        for severity, limit in (("warning", rule.warning), ("critical", rule.critical)):
            if limit is not None:
                lines.append(BudgetLine(f"{rule.name} ({scope} {severity})", limit, severity,
                                        rule.currency.upper() if rule.currency else None, rule.period))
    return lines


def anomaly_marks(events: Sequence[dict], granularity: str, start: date, end: date,
                  provider: str | None) -> list[AnomalyMark]:
    """Anomaly findings of the range, on the day (or month) they were found for."""
    marks = []
    for event in events:
        day = event.get("period_end")
        if event.get("kind") != "anomaly" or not isinstance(day, date) or not start <= day <= end:
            continue
        if provider is not None and event.get("provider") != provider:
            continue
        bucket = day.isoformat() if granularity == "day" else f"{day:%Y-%m}"
        marks.append(AnomalyMark(bucket, str(event.get("provider")), f"{event.get('service') or ''}".strip()))
    return marks
