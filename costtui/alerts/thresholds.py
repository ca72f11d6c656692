"""Threshold rules: a period's cost (latest day, month to date, month-end forecast) above a limit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from costtui.config.schema import ThresholdRule
from costtui.core.reports import period_totals
from costtui.core.windows import period_window
from costtui.model import AlertEvent, CostQuery, UnknownTagKey, normalise_tag_key, to_cents

if TYPE_CHECKING:
    from costtui.cache import CostQueries


def evaluate_thresholds(
    queries: CostQueries, rules: Sequence[ThresholdRule], today: date, metric: str = "billed", gross: bool = False
) -> list[AlertEvent]:
    """One event per rule and currency whose value is above its critical, else its warning limit.

    Limits are in the rule's currency when it names one; a rule without a currency applies
    to each currency on its own (amounts in different currencies are never added)."""
    events: list[AlertEvent] = []
    for rule in rules:
        query = CostQuery(
            providers=(rule.provider.lower(),) if rule.provider else (),
            accounts=(rule.account,) if rule.account else (),
            services=(rule.service,) if rule.service else (),
            metric=metric,  # type: ignore[arg-type]
            gross=gross,
            tags=tag_scope(rule),
        )
        window = period_window(rule.period, today)
        try:
            found = period_totals(queries, query, rule.period, today)
        except UnknownTagKey as exc:  # configured, but no refresh has written its column yet
            raise exc.naming(f"alerts.thresholds {rule.name!r} tag") from None
        for currency, value in sorted(found.items()):
            if rule.currency and currency != rule.currency.upper():
                continue
            event = _judge(rule, value, currency, window.start, window.end, window.label)
            if event:
                events.append(event)
    return events


def tag_scope(rule: ThresholdRule) -> tuple[tuple[str, str | None], ...]:
    """The rule's tag filters: {team = "payments"} -> (("team", "payments"),); "" is untagged."""
    return tuple((normalise_tag_key(key), value or None) for key, value in sorted(rule.tag.items()))


def describe_scope(rule: ThresholdRule) -> str:
    """`aws 111 EC2 team=payments`, or `all providers`."""
    tags = [f"{key}={value or '(untagged)'}" for key, value in tag_scope(rule)]
    return " ".join([*(part for part in (rule.provider, rule.account, rule.service) if part), *tags]) or "all providers"


def _judge(rule: ThresholdRule, value: Decimal, currency: str, start: date, end: date, label: str) -> AlertEvent | None:
    for severity, limit in (("critical", rule.critical), ("warning", rule.warning)):
        if limit is not None and value > limit:
            scope = describe_scope(rule)
            message = (
                f"{rule.name}: {scope} {label} {to_cents(value):f} {currency} "
                f"is above the {severity} limit {to_cents(limit):f} {currency}"
            )
            return AlertEvent(
                rule=rule.name,
                kind="threshold",
                severity=severity,  # type: ignore[arg-type]
                period_start=start,
                period_end=end,
                observed=to_cents(value),
                threshold=limit,
                currency=currency,
                message=message,
                provider=rule.provider.lower() if rule.provider else None,
                account_id=rule.account,
                service=rule.service,
            )
    return None
