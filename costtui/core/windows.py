"""The windows every face reads: one definition of last N days, month to date, the previous period.

The rule, the same in the dashboard, `costs`, `check`, `export`, the API and alerts:
- presets of N days ("last 30 days", `--days 30`, the configured default window) are N *complete*
  days ending at the latest complete day (yesterday, UTC): today's costs are still arriving;
- month to date runs from the 1st through today: everything recorded so far this month;
- explicit dates (`--start/--end`, `start_date/end_date`) are inclusive, exactly as given;
- the previous period is the window of the same length just before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from costtui.model import add_months, days_in_month, month_start

# Earliest and latest days a window may name: DuckDB DATEs go further, but nothing billed lies there.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(9999, 12, 31)


class WindowError(ValueError):
    """A window that cannot be read; `parameter` names the option or query parameter at fault."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True, slots=True)
class Window:
    """Inclusive days and how they read in a status line or a title."""

    start: date
    end: date
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Window:
        """The window of the same length ending the day before this one starts."""
        end = self.start - timedelta(days=1)
        return Window(end - timedelta(days=self.days - 1), end, "previous period")


def latest_complete_day(today: date) -> date:
    """Yesterday: today's costs are still arriving."""
    return today - timedelta(days=1)


def last_days(days: int, today: date) -> Window:
    """`days` complete days ending at the latest complete day."""
    if days < 1:
        raise WindowError("days", f"days must be at least 1 (got {days})")
    end = latest_complete_day(today)
    return Window(end - timedelta(days=days - 1), end, f"last {days} days")


def latest_day(today: date) -> Window:
    day = latest_complete_day(today)
    return Window(day, day, f"on {day.isoformat()}")


def month_to_date(today: date) -> Window:
    return Window(month_start(today), today, "month to date")


def same_days_last_month(window: Window) -> Window:
    """The comparable days of the previous month: its 1st through the same day of month (clipped,
    so 1-31 March compares with 1-28/29 February)."""
    previous = add_months(window.end, -1)
    return Window(month_start(previous), previous, "same days last month")


def month_to_date_comparison(today: date) -> tuple[Window, Window] | None:
    """Month to date against last month, both ending at the latest complete day: today's costs are
    still arriving, so setting them beside a whole day of last month shows a false drop (1-2 Dec vs
    1-2 Nov on the 2nd). None on the 1st, when this month has no complete day yet."""
    end = latest_complete_day(today)
    if end < month_start(today):
        return None
    current = Window(month_start(today), end, "month to date, complete days")
    return current, same_days_last_month(current)


def last_month(today: date) -> Window:
    first = add_months(month_start(today), -1)
    return Window(first, month_start(today) - timedelta(days=1), f"{first:%B %Y}")


def last_12_months(today: date) -> Window:
    """The twelve complete calendar months before this one."""
    first = add_months(month_start(today), -12)
    return Window(first, month_start(today) - timedelta(days=1), "last 12 months")


def forecast_month(today: date) -> Window:
    return Window(month_start(today), today.replace(day=days_in_month(today)), f"forecast for {today:%Y-%m}")


# Named presets shared by the dashboard, `costs --preset` and the API.
PRESETS = {
    "7d": lambda today: last_days(7, today),
    "30d": lambda today: last_days(30, today),
    "90d": lambda today: last_days(90, today),
    "mtd": month_to_date,
    "last-month": last_month,
    "12m": last_12_months,
}

# `check` and Prometheus periods.
PERIODS = ("day", "month", "forecast")


def period_window(period: str, today: date) -> Window:
    if period == "day":
        return latest_day(today)
    if period == "month":
        return month_to_date(today)
    if period == "forecast":
        return forecast_month(today)
    raise WindowError("period", f"unknown period {period!r}; choose from {', '.join(PERIODS)}")


def resolve_window(
    today: date,
    default_days: int,
    start: date | None = None,
    end: date | None = None,
    days: int | None = None,
    names: tuple[str, str, str] = ("--start", "--end", "--days"),
) -> Window:
    """The window a face was asked for. `names` are the face's own spellings of start, end and
    days, so an error names the parameter the user typed."""
    start_name, end_name, days_name = names
    if days is not None:
        if start or end:
            raise WindowError(days_name, f"use either {days_name} or {start_name}/{end_name}, not both")
        if not 1 <= days <= (LATEST_DAY - EARLIEST_DAY).days:
            raise WindowError(days_name, f"{days_name} must be a whole number of days from 1 (got {days})")
        return last_days(days, today)
    for name, day in ((start_name, start), (end_name, end)):
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            raise WindowError(name, f"{name} {day.isoformat()} is outside {EARLIEST_DAY.isoformat()}..{LATEST_DAY.isoformat()}")
    if start is None and end is None:
        return last_days(default_days, today)
    if end is None:
        end = max(today, start)  # type: ignore[type-var]
    if start is None:
        start = max(EARLIEST_DAY, end - timedelta(days=default_days - 1))
    if start > end:
        raise WindowError(start_name, f"{start_name} {start} is after {end_name} {end}")
    return Window(start, end, f"{start.isoformat()} to {end.isoformat()}")
