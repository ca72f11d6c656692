"""How an AlertEvent maps to a row of the alert_events table (shared by the writer and the queries)."""

from __future__ import annotations

from costtui.model import AlertEvent

ALERT_COLUMNS = (
    "fingerprint, rule, kind, severity, provider, account_id, service, period_start, period_end, "
    "observed, threshold, currency, message"
)


def alert_values(event: AlertEvent) -> tuple:
    """Values in ALERT_COLUMNS order."""
    return (event.fingerprint, event.rule, event.kind, event.severity, event.provider, event.account_id,
            event.service, event.period_start, event.period_end, event.observed, event.threshold,
            event.currency, event.message)


def alert_event(row: tuple) -> AlertEvent:
    """An AlertEvent from a row selected as ALERT_COLUMNS."""
    _, rule, kind, severity, provider, account, service, start, end, observed, threshold, currency, message = row
    return AlertEvent(rule, kind, severity, start, end, observed, threshold, currency, message,
                      provider, account, service)
