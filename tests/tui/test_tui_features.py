"""Dashboard features of the analysis issue driven as a user would: export folder, what changed,
sparklines, budget and anomaly marks, chart toggles, narrow terminals, demo findings."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from textual.widgets import DataTable
from tui_helpers import make_app, settle, settle_drill

from costtui.cache import CacheReader
from costtui.config import Config
from costtui.config.schema import DisplayConfig, ThresholdRule
from costtui.core.reports import changes
from costtui.core.windows import Window, last_days
from costtui.model import CostQuery
from costtui.tui.format import change_text, money, provider_name
from costtui.tui.marks import anomaly_marks, budget_lines
from costtui.tui.screens.too_small import TooSmallScreen
from costtui.tui.sparkline import MAX_POINTS, buckets, sparkline
from costtui.tui.views.changes import MOVERS, ChangesScreen
from costtui.tui.views.drill import DrillScreen
from costtui.tui.views.trends import forecast_text
from costtui.tui.widgets.chart import CostChart, log_ticks
from costtui.tui.widgets.cost_table import CostTable

pytestmark = pytest.mark.anyio


async def test_export_goes_to_the_configured_folder_and_says_where(demo_cache: Path, today: date,
                                                                   tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    config = replace(Config(), display=DisplayConfig(export_dir=folder))
    app = make_app(demo_cache, today, config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "e")
        await settle(app, pilot)
        (written,) = folder.glob("costtui-accounts-*.csv")
        assert written.read_text().startswith("provider,account,account_name,billed_cost,currency\n")
        assert any(str(written) in n.message for n in app._notifications)


async def test_export_to_a_missing_configured_folder_says_so_and_writes_nothing(demo_cache: Path, today: date,
                                                                                tmp_path: Path) -> None:
    config = replace(Config(), display=DisplayConfig(export_dir=tmp_path / "gone"))
    app = make_app(demo_cache, today, config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2", "e")
        await settle(app, pilot)
        assert any("display.export_dir" in n.message and "gone" in n.message for n in app._notifications)
    assert not list(tmp_path.rglob("*.csv"))


async def test_below_the_minimum_size_a_message_replaces_the_dashboard(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(50, 15)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, TooSmallScreen)
        assert "50x15; costtui needs at least 60x18" in str(app.screen.query_one("#too-small").render())
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        assert not isinstance(app.screen, TooSmallScreen)
        assert app.query_one("#top-services", CostTable).rows_shown


@pytest.mark.parametrize(("width", "columns"), [(120, ("cost", "share", "change", "trend")),
                                                (80, ("cost", "share", "change")), (60, ("cost", "change"))])
async def test_narrow_tables_drop_figures_by_priority_and_never_cut_a_number(
        demo_cache: Path, today: date, width: int, columns: tuple[str, ...]) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        table = app.query_one("#accounts-table", CostTable)
        assert table.figure_columns == columns
        assert sum(column.render_width for column in table.ordered_columns) <= table.size.width
        for index, row in enumerate(table.rows_shown):
            cells = [str(cell) for cell in table.get_row_at(index)]
            assert money(row.cost, row.currency) in cells  # whole, never cut
            if "change" in columns:
                assert change_text(row.change_percent) in cells


async def test_no_change_is_shown_against_a_period_before_that_is_mostly_not_cached(demo_cache: Path,
                                                                                   today: date) -> None:
    """The demo caches 13 months: over the last 12 months the year before holds about one cached month,
    so at 80 columns no row shows a change (not +1,200%), the title says where the cache starts and the
    total's change is n/a; back on 30 days, whose period before is cached, the changes are back."""
    app = make_app(demo_cache, today)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2", "d", "d", "d", "d")  # 90 days, month to date, last month, last 12 months
        await settle(app, pilot)
        assert app.options.preset == "12m"
        assert app.data is not None and app.data.partial_before is not None
        table = app.query_one("#services-table", CostTable)
        title = str(app.query_one("#services .breakdown-title").render())
        assert title.endswith(f"cache starts {app.data.partial_before.day} {app.data.partial_before:%b %Y}")
        assert len(title) <= 78  # whole at 80 columns
        assert "Total" in status_line(app) and status_line(app).endswith(" n/a")
        assert table.rows_shown and all("n/a" in [str(c) for c in table.get_row_at(i)]
                                        for i in range(len(table.rows_shown)))
        await pilot.press("w")  # the movers: in money, what the cache holds; no percentages
        await settle(app, pilot)
        changed = str(app.screen.query_one("#changes-title").render())
        assert changed.startswith("What changed by service: 1 Nov 2025 - 31 Oct 2026 vs 1 Nov 2024 - 31 Oct 2025; "
                                  "cache starts ")
        rises = app.screen.query_one("#rises", CostTable)
        assert rises.rows_shown and all("n/a" in [str(c) for c in rises.get_row_at(i)]
                                        for i in range(len(rises.rows_shown)))
        await pilot.press("escape", "d", "d")  # 7 days, 30 days
        await settle(app, pilot)
        assert app.options.preset == "30d" and app.data.partial_before is None
        assert any(change_text(row.change_percent) != "n/a" for row in table.rows_shown)
        for index, row in enumerate(table.rows_shown):
            assert change_text(row.change_percent) in [str(cell) for cell in table.get_row_at(index)]


def status_line(app) -> str:
    """The status line's range and total."""
    return str(app.screen.query_one("#status").render()).splitlines()[1]


@pytest.mark.parametrize(("key", "table_id", "dimension"), [
    ("1", "#top-services", "service"), ("2", "#services-table", "service"),
    ("3", "#accounts-table", "account"), ("4", "#regions-table", "region")])
async def test_sparklines_follow_each_rows_daily_cost(demo_cache: Path, today: date, key: str, table_id: str,
                                                      dimension: str) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press(key)
        await settle(app, pilot)
        table = app.query_one(table_id, CostTable)
        assert "trend" in table.figure_columns
        top = table.rows_shown[0]
        window = last_days(30, today)
        with CacheReader(demo_cache).session() as queries:
            days = queries.cost_groups(CostQuery(start=window.start, end=window.end, group_by=("day",),
                                                 providers=(top.name("provider"),),
                                                 **{f"{dimension}s": (top.name(dimension),)}))
        daily = [group.cost for group in sorted(days, key=lambda g: str(g.keys["day"]))]
        assert len(daily) == 30
        assert str(table.get_row_at(0)[-1]) == sparkline(buckets(daily))
        assert len(sparkline(buckets(daily))) == MAX_POINTS


def movers_from_core(cache: Path, window: Window, dimension: str, named: str = "",
                     services: tuple[str, ...] = ()) -> tuple[list[tuple], list[tuple]]:
    """(rises, falls) as ((provider, name), change in money), largest first, straight from the core;
    only groups whose provider and name (as shown) contain `named`, of `services` if given."""
    with CacheReader(cache).session() as queries:
        found = changes(queries, CostQuery(group_by=("provider", dimension), services=services), window)
    moved = [((str(c.keys["provider"]), str(c.keys[dimension])), c.cost - c.previous) for c in found
             if named in f"{provider_name(str(c.keys['provider']))} {c.keys[dimension]}".lower()]
    rises = sorted((m for m in moved if m[1] > 0), key=lambda m: -m[1])[:MOVERS]
    falls = sorted((m for m in moved if m[1] < 0), key=lambda m: m[1])[:MOVERS]
    return rises, falls


def shown_movers(screen: ChangesScreen, table_id: str, dimension: str) -> list[tuple]:
    table = screen.query_one(table_id, CostTable)
    return [((row.name("provider"), row.name(dimension)), row.cost - row.previous) for row in table.rows_shown]


async def open_changes(app, pilot) -> ChangesScreen:
    """The dashboard's first figures, then `w`: the "what changed" view, loaded."""
    await settle(app, pilot)
    await pilot.press("w")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, ChangesScreen)
    return screen


async def test_what_changed_lists_the_biggest_movers_of_the_range(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_changes(app, pilot)
        rises, falls = movers_from_core(demo_cache, last_days(30, today), "service")
        assert shown_movers(screen, "#rises", "service") == rises
        assert shown_movers(screen, "#falls", "service") == falls
        title = str(screen.query_one("#changes-title").render())
        assert title.startswith("What changed by service: 16 Oct - 14 Nov 2026 vs 16 Sep - 15 Oct")
        await pilot.press("b")
        await settle(app, pilot)
        rises, _ = movers_from_core(demo_cache, last_days(30, today), "account")
        assert shown_movers(screen, "#rises", "account") == rises
        await pilot.press("enter")  # the biggest rise drills into its account
        await settle_drill(app, pilot)
        assert isinstance(app.screen, DrillScreen) and app.screen.filters[-1] == ("account", rises[0][0][1])
        await pilot.press("escape", "escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, (ChangesScreen, DrillScreen))


async def test_slash_filters_both_movers_lists_and_esc_clears_it_before_going_back(demo_cache: Path,
                                                                                      today: date) -> None:
    window = last_days(30, today)
    rises, falls = movers_from_core(demo_cache, window, "service")
    named = "aws"  # a filter that keeps movers from below the unfiltered top ten
    kept_rises, kept_falls = movers_from_core(demo_cache, window, "service", named)
    assert kept_rises and kept_falls and not set(kept_rises + kept_falls) <= set(rises + falls)
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_changes(app, pilot)
        await pilot.press("slash", *named)
        await settle(app, pilot)
        assert shown_movers(screen, "#rises", "service") == kept_rises
        assert shown_movers(screen, "#falls", "service") == kept_falls
        assert f'filter "{named}"' in str(screen.query_one("#status").render())
        await pilot.press("enter", "b")  # the filter stays on while the lists change dimension
        await settle(app, pilot)
        kept, _ = movers_from_core(demo_cache, window, "account", named)
        assert shown_movers(screen, "#rises", "account") == kept
        await pilot.press("b", "b", "b", "escape")  # back to services; Esc clears the filter, the view stays
        await settle(app, pilot)
        assert app.screen is screen
        assert shown_movers(screen, "#rises", "service") == rises
        assert shown_movers(screen, "#falls", "service") == falls
        assert "filter" not in str(screen.query_one("#status").render())
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, ChangesScreen)


async def test_a_day_on_the_trends_chart_opens_its_movers_against_the_day_before(demo_cache: Path,
                                                                                 today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("c", "left", "left")
        await settle(app, pilot)
        chart = app.query_one("#chart", CostChart)
        assert app.focused is chart and chart.buckets[chart.cursor] == "2026-11-12"
        with CacheReader(demo_cache).session() as queries:
            total = queries.totals(CostQuery(start=date(2026, 11, 12), end=date(2026, 11, 12)))["USD"]
        assert f"12 Nov: {money(total, 'USD')} · Enter: what changed" in chart.title_text
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ChangesScreen)
        day = Window(date(2026, 11, 12), date(2026, 11, 12), "")
        rises, falls = movers_from_core(demo_cache, day, "service")
        assert shown_movers(screen, "#rises", "service") == rises
        assert shown_movers(screen, "#falls", "service") == falls
        assert "12 Nov 2026 vs 11 Nov" in str(screen.query_one("#changes-title").render())
        await pilot.press("b", "b")  # by region: read on demand too
        await settle(app, pilot)
        rises, _ = movers_from_core(demo_cache, day, "region")
        assert shown_movers(screen, "#rises", "region") == rises


async def test_chart_toggles_stack_and_log_scale(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        chart = app.query_one("#chart", CostChart)
        await pilot.press("x")
        await settle(app, pilot)
        assert "(USD; stacked)" in chart.title_text
        # The top stacked line is the total of every provider per day.
        assert list(chart.lines) == ["AWS", "+ Azure", "+ GCP"]
        top = chart.lines["+ GCP"]
        with CacheReader(demo_cache).session() as queries:
            days = queries.cost_groups(CostQuery(start=date(2026, 10, 16), end=date(2026, 11, 14), group_by=("day",)))
        totals = [float(g.cost) for g in sorted(days, key=lambda g: str(g.keys["day"]))]
        assert top == pytest.approx(totals)
        await pilot.press("l")
        await settle(app, pilot)
        assert "(USD; stacked, log scale)" in chart.title_text
        await pilot.press("x", "l")
        await settle(app, pilot)
        assert chart.title_text.endswith("(USD)")


async def test_new_actions_are_in_the_palette_and_in_help(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for expected in ("Stacked (x)", "Log scale (l)", "Changes (w)", "Pick a day (c)"):
            assert expected in titles
        await pilot.press("question_mark")
        await pilot.pause()
        keys = app.screen.query_one("#help-keys", DataTable)
        actions = [str(keys.get_row_at(i)[1]) for i in range(keys.row_count)]
        assert any(a.startswith("What changed") for a in actions)
        assert any("stacked" in a for a in actions) and any("log" in a for a in actions)


def test_budget_lines_are_the_rules_a_chart_line_can_be_read_against() -> None:
    rules = [ThresholdRule(name="daily", period="day", provider="AWS", warning=Decimal("100")),
             ThresholdRule(name="budget", period="forecast", warning=Decimal("3000"), critical=Decimal("4000")),
             ThresholdRule(name="team", period="day", service="EC2", warning=Decimal("5"))]
    assert [line.label for line in budget_lines(rules, "day", None)] == ["daily (AWS warning)"]
    assert budget_lines(rules, "day", "gcp") == []
    assert [(line.value, line.severity) for line in budget_lines(rules, "month", "aws")] == [
        (Decimal("3000"), "warning"), (Decimal("4000"), "critical")]


def test_anomaly_marks_sit_on_their_day_within_the_range() -> None:
    events = [{"kind": "anomaly", "period_end": date(2026, 11, 3), "provider": "aws", "service": "EC2"},
              {"kind": "anomaly", "period_end": date(2026, 9, 3), "provider": "aws", "service": "EC2"},
              {"kind": "threshold", "period_end": date(2026, 11, 3), "provider": "aws"}]
    marks = anomaly_marks(events, "day", date(2026, 10, 16), date(2026, 11, 14), None)
    assert [(m.bucket, m.provider) for m in marks] == [("2026-11-03", "aws")]
    assert anomaly_marks(events, "month", date(2026, 10, 1), date(2026, 11, 14), "gcp") == []
    assert [m.bucket for m in anomaly_marks(events, "month", date(2026, 10, 1), date(2026, 11, 14), "aws")] == ["2026-11"]


def test_log_ticks_step_through_powers_of_ten() -> None:
    assert log_ticks(2400, 9800)[1] == ["2,000", "5,000", "10,000"]
    assert log_ticks(3, 120000)[1] == ["1", "100", "10,000", "1,000,000"]


def test_the_forecast_line_says_whether_it_passes_each_monthly_budget() -> None:
    budgets = budget_lines([ThresholdRule(name="Budget", period="forecast", warning=Decimal("150000"),
                                          critical=Decimal("200000"))], "month", None)
    text = forecast_text({("aws", "USD"): Decimal("90000"), ("gcp", "USD"): Decimal("76843.43")},
                         "November 2026", budgets)
    assert text.splitlines() == [
        "Month-end forecast, November 2026: 166,843.43 USD (AWS 90,000.00 USD · GCP 76,843.43 USD)",
        "Budget (all warning): 150,000.00 USD, forecast passed",
        "Budget (all critical): 200,000.00 USD, forecast within"]


async def test_what_changed_exports_its_rows_as_costs_records(demo_cache: Path, today: date, tmp_path: Path) -> None:
    app = make_app(demo_cache, today)
    app.export_dir = tmp_path
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("w", "b", "e")
        await settle(app, pilot)
        (written,) = tmp_path.glob("costtui-rises-by-account-*.csv")
        shown = app.screen.query_one("#rises", CostTable).rows_shown
    lines = written.read_text().splitlines()
    assert lines[0] == "provider,account,account_name,billed_cost,currency"
    assert [line.split(",")[1] for line in lines[1:]] == [row.name("account") for row in shown]


async def test_a_row_of_the_daily_table_opens_that_days_movers(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("w", "b", "b", "b")  # service, account, region, then day
        await settle(app, pilot)
        screen = app.screen
        assert "What changed by day: each vs the day before, 16 Oct - 14 Nov (b: by service)" in str(screen.query_one("#changes-title").render())
        with CacheReader(demo_cache).session() as queries:
            days = queries.cost_groups(CostQuery(start=date(2026, 10, 16), end=date(2026, 11, 14), group_by=("day",)))
        cost = {str(g.keys["day"]): g.cost for g in days}
        ordered = sorted(cost)
        moved = sorted(((day, cost[day] - cost[before]) for before, day in pairwise(ordered)),
                       key=lambda pair: -pair[1])
        rises = screen.query_one("#rises", CostTable).rows_shown
        assert [(row.name("day"), row.cost - row.previous) for row in rises] == [m for m in moved if m[1] > 0][:MOVERS]
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ChangesScreen) and app.screen.window.start == date.fromisoformat(rises[0].name("day"))
        assert "What changed by service:" in str(app.screen.query_one("#changes-title").render())


async def test_a_day_on_a_drill_down_chart_opens_its_movers_within_the_drill_down(demo_cache: Path,
                                                                                   today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2", "enter")  # the top service: AWS EC2 - Compute
        await settle_drill(app, pilot)
        drill = app.screen
        drill.query_one(CostChart).focus()
        await pilot.press("left", "left", "enter", "b")  # the cursor starts on 14 Nov: 13 Nov, by account
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ChangesScreen) and screen.filters == drill.filters
        service = dict(drill.filters)["service"]
        with CacheReader(demo_cache).session() as queries:
            found = changes(queries, CostQuery(group_by=("provider", "account"), services=(service,)),
                            Window(date(2026, 11, 13), date(2026, 11, 13), ""))
        rises = sorted(((str(c.keys["provider"]), str(c.keys["account"])), c.cost - c.previous)
                       for c in found if c.cost > c.previous)
        assert sorted(shown_movers(screen, "#rises", "account")) == rises
        assert f"in AWS > {service}" in str(screen.query_one("#changes-title").render())
        top = screen.query_one("#rises", CostTable).rows_shown[0]
        await pilot.press("enter")  # a mover opens its drill-down within the service, not all spend
        await settle_drill(app, pilot)
        assert isinstance(app.screen, DrillScreen)
        assert app.screen.filters == (*drill.filters, ("account", top.name("account")))


async def test_what_changed_in_a_drill_down_lists_the_movers_within_it(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2", "enter")  # the top service
        await settle_drill(app, pilot)
        drill = app.screen
        service = dict(drill.filters)["service"]
        await pilot.press("w", "b")  # by account
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ChangesScreen) and screen.filters == drill.filters
        rises, falls = movers_from_core(demo_cache, last_days(30, today), "account", services=(service,))
        assert rises and falls
        assert shown_movers(screen, "#rises", "account") == rises
        assert shown_movers(screen, "#falls", "account") == falls
        title = str(screen.query_one("#changes-title").render())
        assert title.startswith("What changed by account: 16 Oct - 14 Nov 2026 vs 16 Sep - 15 Oct")
        assert f"in AWS > {service}" in title
        await pilot.press("d")  # another range: read again for it
        await settle(app, pilot)
        rises, _ = movers_from_core(demo_cache, app.options.window(today), "account", services=(service,))
        assert app.options.window(today) != last_days(30, today) and rises
        assert shown_movers(screen, "#rises", "account") == rises
