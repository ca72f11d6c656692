"""Stale providers as findings: a provider whose fetches fail, or whose data is older than the max age.

The rule is core.freshness (the one `check`, Prometheus and the dashboard use). A finding's
period starts when the trouble began (the first failure, or the last success), so it is
recorded and notified once however many runs see it, and again only after a recovery."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from costtui.core.freshness import ProviderFreshness, provider_freshness
from costtui.model import AlertEvent

if TYPE_CHECKING:
    from costtui.cache import CostQueries

RULE = "freshness"


def stale_providers(
    queries: CostQueries, max_age_seconds: float, today: date, now: datetime | None = None
) -> list[AlertEvent]:
    """One warning per provider that is not fresh (failing or too old)."""
    return [
        _event(entry, today)
        for entry in provider_freshness(queries, now=now, max_age_seconds=max_age_seconds)
        if entry.known and not entry.fresh
    ]


def _event(entry: ProviderFreshness, today: date) -> AlertEvent:
    began = entry.since or entry.last_attempt
    start = began.date() if began else today
    hours = Decimal(entry.age_seconds or 0) / 3600
    return AlertEvent(
        rule=RULE,
        kind="stale",
        severity="warning",
        period_start=start,
        period_end=max(start, today),
        observed=hours.quantize(Decimal("0.01")),  # hours since the last success
        threshold=(Decimal(str(entry.max_age_seconds)) / 3600).quantize(Decimal("0.01")),
        currency="",
        message=entry.describe(),
        provider=entry.provider,
    )
