"""The one window rule every face uses: N complete days end yesterday, month to date ends today."""

from datetime import date

import pytest

from costtui.core.windows import (
    WindowError,
    last_12_months,
    last_days,
    last_month,
    month_to_date,
    month_to_date_comparison,
    period_window,
    resolve_window,
    same_days_last_month,
)

TODAY = date(2026, 11, 15)


def test_last_n_days_are_n_complete_days_ending_yesterday():
    window = last_days(30, TODAY)
    assert (window.start, window.end, window.days) == (date(2026, 10, 16), date(2026, 11, 14), 30)


def test_previous_period_has_the_same_length_just_before():
    previous = last_days(7, TODAY).previous()
    assert (previous.start, previous.end) == (date(2026, 11, 1), date(2026, 11, 7))


def test_month_to_date_runs_from_the_first_through_today():
    window = month_to_date(TODAY)
    assert (window.start, window.end) == (date(2026, 11, 1), TODAY)
    on_the_first = month_to_date(date(2026, 12, 1))
    assert (on_the_first.start, on_the_first.end) == (date(2026, 12, 1), date(2026, 12, 1))


def test_same_days_last_month_clip_to_the_shorter_month():
    window = same_days_last_month(month_to_date(date(2026, 3, 31)))
    assert (window.start, window.end) == (date(2026, 2, 1), date(2026, 2, 28))


def test_month_to_date_comparison_ends_at_the_latest_complete_day_on_both_sides():
    """On 2 Dec only 1 Dec is complete: 1 Dec against 1 Nov, not 1-2 Dec against 1-2 Nov."""
    current, before = month_to_date_comparison(date(2026, 12, 2))
    assert (current.start, current.end) == (date(2026, 12, 1), date(2026, 12, 1))
    assert (before.start, before.end) == (date(2026, 11, 1), date(2026, 11, 1))
    current, before = month_to_date_comparison(date(2026, 3, 31))
    assert (current.end, before.end) == (date(2026, 3, 30), date(2026, 2, 28))


def test_no_month_to_date_comparison_on_the_first():
    assert month_to_date_comparison(date(2026, 12, 1)) is None


def test_last_month_and_last_12_months_are_complete_calendar_months():
    assert (last_month(TODAY).start, last_month(TODAY).end) == (date(2026, 10, 1), date(2026, 10, 31))
    year = last_12_months(date(2026, 1, 3))
    assert (year.start, year.end) == (date(2025, 1, 1), date(2025, 12, 31))


def test_check_periods():
    assert (period_window("day", TODAY).start, period_window("day", TODAY).end) == (date(2026, 11, 14),) * 2
    forecast = period_window("forecast", TODAY)
    assert (forecast.start, forecast.end) == (date(2026, 11, 1), date(2026, 11, 30))


def test_resolve_window_defaults_and_explicit_dates():
    default = resolve_window(TODAY, 30)
    assert (default.start, default.end) == (date(2026, 10, 16), date(2026, 11, 14))
    days = resolve_window(TODAY, 30, days=7)
    assert (days.start, days.end) == (date(2026, 11, 8), date(2026, 11, 14))
    explicit = resolve_window(TODAY, 30, date(2026, 11, 1), date(2026, 11, 15))
    assert (explicit.start, explicit.end) == (date(2026, 11, 1), date(2026, 11, 15))
    only_start = resolve_window(TODAY, 30, start=date(2026, 11, 10))
    assert (only_start.start, only_start.end) == (date(2026, 11, 10), TODAY)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"start": date(2026, 11, 2), "end": date(2026, 11, 1)}, "start_date"),
        ({"start": date(1, 1, 1)}, "start_date"),
        ({"days": 7, "start": date(2026, 11, 1)}, "days"),
    ],
)
def test_resolve_window_errors_name_the_parameter(kwargs, parameter):
    with pytest.raises(WindowError) as caught:
        resolve_window(TODAY, 30, names=("start_date", "end_date", "days"), **kwargs)
    assert caught.value.parameter == parameter
    assert parameter in str(caught.value)
