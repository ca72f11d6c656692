"""The dashboard's data snapshot and formatting: ranges, currencies never summed, lagging providers."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from costtui.cache import open_writer
from costtui.model import CostRow, ReplaceScope, percent_change
from costtui.tui.data import RANGE_CYCLE, ViewOptions, load_dashboard
from costtui.tui.format import age_text, change_text, day_span, money, period_text
from costtui.tui.views.breakdown import period_title
from costtui.tui.widgets.status import status_text


def row(day: date, provider: str, cost: str, currency: str = "USD", category: str = "Usage") -> CostRow:
    return CostRow(
        charge_date=day,
        provider=provider,
        billing_account_id="b1",
        account_id="a1",
        account_name="Account 1",
        service="Compute",
        region="eu-west-1",
        charge_category=category,
        billed_cost=Decimal(cost),
        effective_cost=Decimal(cost),
        currency=currency,
    )


def write_rows(path: Path, rows: list[CostRow]) -> None:
    by_provider: dict[str, list[CostRow]] = {}
    for item in rows:
        by_provider.setdefault(item.provider, []).append(item)
    with open_writer(path) as writer:
        for provider, provider_rows in by_provider.items():
            days = [r.charge_date for r in provider_rows]
            writer.replace_charges([ReplaceScope(provider, min(days), max(days))], provider_rows)


def daily(provider: str, start: date, days: int, cost: str, currency: str = "USD") -> list[CostRow]:
    return [row(start + timedelta(days=n), provider, cost, currency) for n in range(days)]


def test_currencies_get_their_own_figures_and_are_never_summed(cache_path: Path) -> None:
    today = date(2026, 11, 15)
    write_rows(
        cache_path,
        daily("aws", date(2026, 10, 1), 31, "10.00")
        + daily("aws", date(2026, 11, 1), 15, "11.00")
        + daily("azure", date(2026, 10, 1), 31, "5.00", "EUR")
        + daily("azure", date(2026, 11, 1), 15, "4.00", "EUR")
        + [row(date(2026, 11, 4), "azure", "-5.00", "EUR", "Credit")],
    )
    data = load_dashboard(cache_path, ViewOptions(), today)
    assert data is not None
    figures = {(f.provider, f.currency): f for f in data.month_to_date}
    assert set(figures) == {("aws", "USD"), ("azure", "EUR"), (None, "USD"), (None, "EUR")}
    # Month to date is the 1st through today (15 Nov); its complete days 1-14 Nov compare with 1-14 Oct.
    assert figures[(None, "USD")].cost == Decimal("165.00")
    assert figures[(None, "EUR")].cost == Decimal("55.00")  # the credit counts (net)
    assert figures[("aws", "USD")].change == Decimal("10.0")  # 154 vs 140 on 1-14 Oct
    assert figures[("azure", "EUR")].change == Decimal("-27.1")  # 14 x 4 - 5 credit = 51 vs 70
    assert data.totals == {"EUR": Decimal("131.00"), "USD": Decimal("314.00")}  # 16 Oct - 14 Nov

    gross = load_dashboard(cache_path, ViewOptions(gross=True), today)
    assert {(f.provider, f.currency): f.cost for f in gross.month_to_date}[(None, "EUR")] == Decimal("60.00")


def test_every_provider_shows_the_same_month_to_date_even_when_its_data_lags(cache_path: Path) -> None:
    """One rule for every face: the 1st through today, its complete days against the same days of last
    month; a lagging provider's missing days are a stale-data matter, not a shorter window."""
    today = date(2026, 11, 15)
    write_rows(
        cache_path,
        daily("aws", date(2026, 10, 1), 45, "10.00") + daily("gcp", date(2026, 10, 1), 40, "10.00"),
    )
    data = load_dashboard(cache_path, ViewOptions(), today)
    figures = {f.provider: f for f in data.month_to_date}
    for figure in figures.values():
        assert (figure.start, figure.end) == (date(2026, 11, 1), date(2026, 11, 15))
        assert (figure.previous_start, figure.previous_end) == (date(2026, 10, 1), date(2026, 10, 14))
        assert figure.compared_end == date(2026, 11, 14)
    assert figures["aws"].cost == Decimal("140.00") and figures["aws"].change == Decimal("0.0")  # 140 vs 140
    assert figures["gcp"].cost == Decimal("90.00") and figures["gcp"].change == Decimal("-35.7")  # 90 vs 140


def test_month_to_date_change_leaves_out_today_which_has_no_data_yet(cache_path: Path) -> None:
    """On 2 Dec the cache holds 1 Dec only: 1 Dec against 1 Nov is flat, not a false fall."""
    write_rows(cache_path, daily("aws", date(2026, 11, 1), 31, "10.00"))
    data = load_dashboard(cache_path, ViewOptions(), date(2026, 12, 2))
    (figure,) = data.month_to_date
    assert (figure.start, figure.end, figure.cost) == (date(2026, 12, 1), date(2026, 12, 2), Decimal("10.00"))
    assert (figure.previous_start, figure.previous_end) == (date(2026, 11, 1), date(2026, 11, 1))
    assert figure.change == Decimal("0.0")


def test_no_month_to_date_change_on_the_first(cache_path: Path) -> None:
    """On the 1st only today's first costs exist: shown, but nothing complete to compare yet."""
    write_rows(cache_path, daily("aws", date(2026, 11, 1), 31, "10.00"))
    data = load_dashboard(cache_path, ViewOptions(), date(2026, 12, 1))
    (figure,) = data.month_to_date
    assert figure.cost == Decimal("10.00")
    assert figure.compared_end is None and figure.change is None


def test_no_comparison_when_last_month_is_not_cached(cache_path: Path) -> None:
    write_rows(cache_path, [row(date(2026, 11, 2), "aws", "10.00")])
    data = load_dashboard(cache_path, ViewOptions(), date(2026, 11, 15))
    (figure,) = data.month_to_date
    assert not figure.previous_covered and figure.change is None


def test_the_view_is_the_last_complete_days_even_when_the_cache_stopped_early(cache_path: Path) -> None:
    write_rows(cache_path, [row(date(2026, 11, 2), "aws", "10.00")])
    data = load_dashboard(cache_path, ViewOptions(preset="7d"), date(2026, 11, 15))
    assert (data.start, data.end) == (date(2026, 11, 8), date(2026, 11, 14))
    assert data.totals == {}


def test_a_change_against_a_period_partly_before_the_cache_is_not_shown_as_a_rise(cache_path: Path) -> None:
    """Last 12 months on a cache of 13 months: the year before holds one cached month, so the total's
    change is n/a (not +1,100%), and the tables' titles say which part the changes stand on; with the
    period before cached in full the change shows as usual."""
    write_rows(cache_path, daily("aws", date(2025, 10, 1), 427, "10.00"))  # 1 Oct 2025 - 1 Dec 2026
    today = date(2026, 12, 2)
    year = load_dashboard(cache_path, ViewOptions(preset="12m"), today)
    assert (year.start, year.end, year.partial_before) == (date(2025, 12, 1), date(2026, 11, 30), date(2025, 10, 1))
    line = status_text(year, datetime(2026, 12, 2, 12, 0)).splitlines()[1]
    assert line == "1 Dec 2025 - 30 Nov 2026 last 12 months · Total 3,650.00 USD n/a"
    assert period_title("services", year) == "Services, 1 Dec 2025 - 30 Nov 2026 (last 12 months), cache starts 1 Oct 2025"
    month = load_dashboard(cache_path, ViewOptions(preset="30d"), today)
    assert month.partial_before is None
    assert status_text(month, datetime(2026, 12, 2, 12, 0)).splitlines()[1].endswith("Total 300.00 USD = 0.0%")
    assert period_title("services", month).endswith("change vs the 30 days before")


def test_range_presets_cycle_through_the_core_presets() -> None:
    today = date(2026, 11, 15)
    options = ViewOptions(preset="30d")
    seen = []
    for _ in range(len(RANGE_CYCLE)):
        options = options.next_range()
        window = options.window(today)
        seen.append((options.preset, window.start, window.end))
    assert seen == [
        ("90d", date(2026, 8, 17), date(2026, 11, 14)),
        ("mtd", date(2026, 11, 1), date(2026, 11, 15)),
        ("last-month", date(2026, 10, 1), date(2026, 10, 31)),
        ("12m", date(2025, 11, 1), date(2026, 10, 31)),
        ("7d", date(2026, 11, 8), date(2026, 11, 14)),
        ("30d", date(2026, 10, 16), date(2026, 11, 14)),
    ]
    # A configured default outside the presets is still N complete days, and `d` goes on to the presets.
    fourteen = ViewOptions.from_days(14)
    assert (fourteen.window(today).start, fourteen.window(today).end) == (date(2026, 11, 1), date(2026, 11, 14))
    assert fourteen.next_range().preset == "7d"


def test_formatting_of_money_changes_spans_and_ages() -> None:
    assert money(Decimal("12345.675"), "USD") == "12,345.68 USD"
    assert money(Decimal("-1234.5"), "EUR") == "-1,234.50 EUR"
    assert change_text(Decimal("4.2")) == "▲ 4.2%"
    assert change_text(Decimal("-3.0")) == "▼ 3.0%"
    assert change_text(None) == "n/a"
    assert change_text(percent_change(Decimal("99.99"), Decimal("100"))) == "= 0.0%"  # rounded away: not "-0.0"
    assert day_span(date(2026, 11, 1), date(2026, 11, 14)) == "1-14 Nov"
    assert day_span(date(2026, 10, 28), date(2026, 11, 3)) == "28 Oct - 3 Nov"
    assert day_span(date(2025, 12, 28), date(2026, 1, 3)) == "28 Dec 2025 - 3 Jan 2026"
    assert period_text(date(2026, 11, 4), date(2026, 12, 3)) == "4 Nov - 3 Dec 2026"
    assert period_text(date(2025, 12, 1), date(2026, 11, 30)) == "1 Dec 2025 - 30 Nov 2026"  # the year once each
    now = datetime(2026, 11, 15, 12, 0)
    assert age_text(now - timedelta(minutes=25), now) == "25 min ago"
    assert age_text(now - timedelta(hours=5), now) == "5 h ago"
    assert age_text(now - timedelta(days=3), now) == "3 days ago"


def test_the_dashboard_imports_no_cloud_sdk() -> None:
    code = (
        "import sys, costtui.tui.app\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'azure') "
        "or m.startswith('google.cloud')]\n"
        "print(bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_sparklines_read_one_window_per_point_draw_what_the_daily_sums_draw(demo_cache: Path, today: date) -> None:
    """The sparklines read their sums one window per point (a year is 24 reads' worth of windows, not
    365 days): each point must still be the mean of its days, so the line equals the one drawn from
    sums per day (and per month), for every range length and metric."""
    from costtui.cache import CacheReader
    from costtui.model import CostQuery
    from costtui.tui import sparkline
    from costtui.tui.data import load_day_sums

    for options in (ViewOptions(preset="7d"), ViewOptions(preset="90d", metric="effective"),
                    ViewOptions(preset="12m", gross=True), ViewOptions(preset="12m", granularity="month")):
        data = load_dashboard(demo_cache, options, today)
        assert data is not None
        dimensions = ("provider", "account")
        data.day_sums[data.day_sums_key(dimensions, ())] = load_day_sums(demo_cache, data, dimensions, ())
        drawn = data.trend_lines(dimensions)
        with CacheReader(demo_cache).session() as queries:
            per_bucket = queries.window_sums(CostQuery(group_by=(options.granularity, *dimensions)),
                                             [(data.start, data.end)])
        expected = sparkline.trend_lines(per_bucket, dimensions, data.time_axis(), options.granularity,
                                         options.metric, options.gross)
        assert drawn == expected and len(drawn) > 3
        assert len(next(iter(drawn.values()))) == min(len(data.time_axis()), sparkline.MAX_POINTS)
