"""How money, changes, shares, dates and ages read on screen."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from costtui.core.tags import UNTAGGED
from costtui.model import to_cents

PROVIDER_NAMES = {"aws": "AWS", "azure": "Azure", "gcp": "GCP"}


def provider_name(provider: str | None) -> str:
    if provider is None:
        return "All providers"
    return PROVIDER_NAMES.get(provider, provider.title())


def tag_scope(key: str, value: str | None) -> str:
    """`team = payments`, or `team = (untagged)`."""
    return f"{key} = {value if value is not None else UNTAGGED}"


def money(amount: Decimal, currency: str) -> str:
    """`12,345.67 USD`: to the cent, thousands separated, currency always named."""
    return f"{to_cents(amount):,.2f} {currency}"


def change_text(change: Decimal | None) -> str:
    """`▲ 4.2%` (spending up), `▼ 3.0%` (down), `= 0.0%`, or `n/a` without a base."""
    if change is None:
        return "n/a"
    if change > 0:
        return f"▲ {change}%"
    if change < 0:
        return f"▼ {abs(change)}%"
    return f"= {change}%"


def share_text(share: Decimal | None) -> str:
    """A percent share to one decimal, or `—` when there is no positive total to share."""
    if share is None:
        return "—"
    return f"{share.quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def day_span(start: date, end: date) -> str:
    """`1-14 Nov`, or `28 Oct - 3 Nov` across months, or `14 Nov` for one day; across years both
    years (`28 Dec 2025 - 3 Jan 2026`)."""
    if start == end:
        return f"{end.day} {end:%b}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}-{end.day} {end:%b}"
    if start.year != end.year:
        return f"{start.day} {start:%b} {start.year} - {end.day} {end:%b} {end.year}"
    return f"{start.day} {start:%b} - {end.day} {end:%b}"


def period_text(start: date, end: date) -> str:
    """A range with its year, once: `4 Nov - 3 Dec 2026`, `1 Dec 2025 - 30 Nov 2026`."""
    span = day_span(start, end)
    return span if start.year != end.year else f"{span} {end.year}"


def short_date(day: date) -> str:
    """`1 Oct 2025`."""
    return f"{day.day} {day:%b %Y}"


def age_text(then: datetime, now: datetime) -> str:
    """`just now`, `25 min ago`, `5 h ago`, `3 days ago`."""
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h ago"
    return f"{hours // 24} days ago"


def compared_text(days: int, data_from: date | None) -> str:
    """`change vs the 30 days before`; when those days lie partly before the cache's first day
    `data_from` no change is shown (a year against the one month cached), and this says why."""
    return f"change vs the {days} days before" if data_from is None else f"cache starts {short_date(data_from)}"
