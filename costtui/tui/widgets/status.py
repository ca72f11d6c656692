"""The line under the header (freshness, range, switches) and the banner for stale or failed data."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from costtui.core.freshness import judge_freshness
from costtui.tui.data import DashboardData
from costtui.tui.format import age_text, day_span, provider_name


class StatusLine(Static):
    """`Data as of … · 16 Oct - 14 Nov (last 30 days) · billed · net · all providers`."""

    def show(self, data: DashboardData, now: datetime) -> None:
        options = data.options
        if data.data_as_of is None:
            freshness = "Data age unknown"
        else:
            freshness = f"Data as of {data.data_as_of:%Y-%m-%d %H:%M} UTC ({age_text(data.data_as_of, now)})"
        provider = "all providers" if not options.providers else provider_name(options.provider)
        year = f" {data.end.year}"
        self.update(
            f"{freshness} · {day_span(data.start, data.end)}{year} ({options.range_label}) · "
            f"{options.metric} · {'gross' if options.gross else 'net'} · {provider}"
        )


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
