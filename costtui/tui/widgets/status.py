"""The line under the header (freshness, range, switches) and the banner for stale or failed data."""

from __future__ import annotations

from datetime import datetime

from textual.widgets import Static

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
        self.update("\n".join(problems))


def stale_problems(data: DashboardData, now: datetime, max_age_hours: float) -> list[str]:
    """Why the data may be wrong: too old, or a provider's last fetch failed."""
    problems = []
    if data.data_as_of is not None:
        age_hours = (now - data.data_as_of).total_seconds() / 3600
        if age_hours > max_age_hours:
            problems.append(
                f"⚠ Data is {age_text(data.data_as_of, now)} (older than {max_age_hours:g} h): "
                "run `costtui refresh`."
            )
    for fetch in data.failed_fetches:
        reason = fetch.error_message or fetch.error_kind or fetch.status
        problems.append(f"⚠ {provider_name(fetch.provider)} ({fetch.source}) last refresh failed: {reason}")
    return problems
