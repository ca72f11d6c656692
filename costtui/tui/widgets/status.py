"""The lines under the header (freshness and switches; range, filters and total), the banner for
stale or failed data, and the message shown in place of the tabs when the cache holds no costs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from rich.text import Text
from textual.widgets import Static

from costtui.core.freshness import judge_freshness
from costtui.model import percent_change
from costtui.tui.data import DashboardData
from costtui.tui.format import age_text, change_text, money, period_text, provider_name, tag_scope
from costtui.tui.rollup import TAG_PREFIX, Filter


def empty_message(cache_path: Path) -> str:
    return (f"No cost data in {cache_path}.\nRun `costtui refresh` to fetch it (or press R), or `costtui demo` "
            "to try the dashboard on synthetic data (it keeps its own demo cache).")


def filter_text(filters: tuple[Filter, ...]) -> str:
    """`AWS > Amazon EC2 > account 1234`: the drill-down path."""
    parts = []
    for dimension, value in filters:
        if dimension.startswith(TAG_PREFIX):
            parts.append(tag_scope(dimension.removeprefix(TAG_PREFIX), value))
        elif dimension == "provider":
            parts.append(provider_name(value))
        elif dimension == "service":
            parts.append(value)
        else:
            parts.append(f"{dimension} {value}")
    return " > ".join(parts)


def totals_text(totals: dict[str, Decimal], previous: dict[str, Decimal], compared: bool = True) -> str:
    """`Total 12,345.67 USD ▲ 4.2%` per currency (never summed across currencies); not `compared`: the
    period before lies partly before the cache's first day, and the change is `n/a` (a year against
    one month: the tables' titles say so)."""
    if not totals:
        return "no costs in this range"
    parts = []
    for currency, total in totals.items():
        before = previous.get(currency)
        change = percent_change(total, before) if before is not None and compared else None
        parts.append(f"{money(total, currency)} {change_text(change)}")
    return "Total " + ", ".join(parts)


class StatusLine(Static):
    """Two short lines: `Data as of … · billed · net · all providers` and
    `16 Oct - 14 Nov 2026 last 30 days · Total … ▲ 4.2% · filter…`."""

    def show(self, data: DashboardData, now: datetime, filters: tuple[Filter, ...] = (), extra: str = "") -> None:
        self.update(status_text(data, now, filters, extra))


def status_text(data: DashboardData, now: datetime, filters: tuple[Filter, ...] = (), extra: str = "") -> str:
    options = data.options
    if data.data_as_of is None:
        freshness = "Data age unknown"
    else:
        freshness = f"Data as of {data.data_as_of:%Y-%m-%d %H:%M} UTC ({age_text(data.data_as_of, now)})"
    provider = "all providers" if not options.providers else provider_name(options.provider)
    grain = " · monthly" if options.granularity == "month" else ""
    first = f"{freshness} · {options.metric} · {'gross' if options.gross else 'net'} · {provider}{grain}"
    window = data.window
    span = period_text(window.start, window.end)
    label = f" {window.label}" if not window.label.startswith(str(window.start.year)) else ""
    totals = totals_text(data.range_totals(filters), data.previous_totals(filters),
                         compared=data.partial_before is None)
    second = f"{span}{label} · {totals}"
    if extra:
        second += f" · {extra}"
    if filters:
        second += f"\nAll > {filter_text(filters)}  (Esc: back)"
    return f"{first}\n{second}"


class Banner(Static):
    """Hidden unless something needs attention: stale data, failed providers, a cache error."""

    def show_problems(self, problems: list[str], *, error: bool = False) -> None:
        self.set_class(bool(problems), "-visible")
        self.set_class(error, "-error")
        self.update(Text("\n".join(problems)))  # plain text: error messages may hold [brackets]


def stale_problems(data: DashboardData, now: datetime, max_age_hours: float) -> list[str]:
    """Each provider whose data cannot be trusted (fetch failing, or too old), by the one rule."""
    if data.freshness is None:
        return []
    entries = judge_freshness(data.freshness, now=now, max_age_seconds=max_age_hours * 3600)
    return [f"⚠ {entry.describe()}" for entry in entries if entry.known and not entry.fresh]
