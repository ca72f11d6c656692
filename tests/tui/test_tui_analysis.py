"""The dashboard as an analysis tool, driven by keys as a user would: arrows, drill-down and back,
filter, sort kept across reloads, ranges, export, loading while keys arrive, live reload, refresh."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, TabbedContent
from tui_helpers import make_app, settle, settle_drill

from costtui.cache import CacheReader, open_writer
from costtui.core.reports import changes
from costtui.core.windows import Window, last_days, last_month
from costtui.model import AlertEvent, CostQuery, CostRow, ReplaceScope
from costtui.tui import app as app_module
from costtui.tui import data as data_module
from costtui.tui import navigation
from costtui.tui import reads as reads_module
from costtui.tui.data import RANGE_CYCLE
from costtui.tui.screens.finding import FindingScreen
from costtui.tui.screens.range import RangeScreen
from costtui.tui.views.breakdown import BREAKDOWNS
from costtui.tui.views.drill import DrillScreen
from costtui.tui.widgets.cost_table import CostTable
from costtui.tui.widgets.filter_bar import FilterBar

pytestmark = pytest.mark.anyio


def status(app) -> str:
    return str(app.screen.query_one("#status").render())


def core_changes(cache: Path, window: Window, group_by: tuple[str, ...], **filters) -> dict[tuple, tuple]:
    """(keys..., currency) -> (cost, previous, share %) straight from the core."""
    with CacheReader(cache).session() as queries:
        rows = changes(queries, CostQuery(group_by=group_by, **filters), window)
    return {(*(row.keys[k] for k in group_by), row.currency): (row.cost, row.previous,
            None if row.share is None else row.share * 100) for row in rows if row.cost or row.previous}


def table_changes(table: CostTable, group_by: tuple[str, ...]) -> dict[tuple, tuple]:
    return {(*(row.keys[k] for k in group_by), row.currency): (row.cost, row.previous, row.share)
            for row in table.all_rows}


def close(a: Decimal | None, b: Decimal | None) -> bool:
    return a == b or (a is not None and b is not None and abs(a - b) < Decimal("1e-12"))


def assert_equals_core(shown: dict[tuple, tuple], expected: dict[tuple, tuple]) -> None:
    """The same rows, cost and previous exact, share to the last digits of its division."""
    assert shown.keys() == expected.keys()
    for key, (cost, previous, share) in expected.items():
        assert shown[key][:2] == (cost, previous)
        assert close(shown[key][2], share)


async def test_arrows_move_in_the_visible_table_at_once(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.focused, CostTable) and app.focused.id == "top-services"
        await pilot.press("down", "down")
        assert app.focused.cursor_row == 2
        await pilot.press("3")
        await settle(app, pilot)
        assert app.focused.id == "accounts-table"
        await pilot.press("down")
        assert app.focused.cursor_row == 1


async def test_every_breakdown_equals_the_core_changes(demo_cache: Path, today: date) -> None:
    """Cost, previous period and share per row are the core's answer, not a second implementation."""
    app = make_app(demo_cache, today)
    window = last_days(30, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        for key, table_id, group_by in (("2", "#services-table", ("provider", "service")),
                                        ("3", "#accounts-table", ("provider", "account")),
                                        ("4", "#regions-table", ("provider", "region"))):
            await pilot.press(key)
            await settle(app, pilot)
            assert_equals_core(table_changes(app.query_one(table_id, CostTable), group_by),
                               core_changes(demo_cache, window, group_by))
        total = sum(cost for cost, _, _ in core_changes(demo_cache, window, ("provider",)).values())
        assert f"Total {total.quantize(Decimal('0.01')):,} USD" in status(app)


async def test_enter_drills_down_with_breadcrumbs_and_esc_goes_back(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    window = last_days(30, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        top = app.query_one("#services-table", CostTable).rows_shown[0]
        await pilot.press("enter")
        await settle_drill(app, pilot)
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        service = top.keys["service"]
        assert screen.filters == (("provider", "aws"), ("service", service))
        assert f"All > AWS > {service}" in status(app)
        # A service is explained by its accounts and regions, each the core's answer for that service.
        accounts = screen.query_one("#accounts-table", CostTable)
        assert table_changes(accounts, ("provider", "account")).keys() == core_changes(
            demo_cache, window, ("provider", "account"), providers=("aws",), services=(service,)).keys()
        assert screen.query_one("#regions-table", CostTable).all_rows
        assert isinstance(app.focused, CostTable)
        account = accounts.rows_shown[0].keys["account"]
        await pilot.press("enter")
        await settle_drill(app, pilot)
        assert app.screen.filters == (("provider", "aws"), ("service", service), ("account", account))
        assert f"account {account}" in status(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is screen
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, DrillScreen)
        assert app.focused.id == "services-table"


async def test_the_row_under_the_cursor_is_read_ahead_and_enter_shows_it_without_a_read(
        demo_cache: Path, today: date, monkeypatch) -> None:
    """Accounts of a service are not in the dashboard's sums: the row the cursor rests on is read
    ahead, so Enter draws at once from that read, with the core's figures; a quick pass over rows
    reads only the one the cursor stops on."""
    reads = count_drill_reads(monkeypatch)
    monkeypatch.setattr(navigation, "DRILL_AHEAD_DELAY_SECONDS", 1.0)  # keys surely quicker, even on busy CI
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.pause(1.5)  # the Trends tab's top row, where the cursor rests at start, is read ahead
        await settle(app, pilot)
        reads.clear()
        await pilot.press("2", "down", "down", "up")  # quicker than the cursor's rest: no reads for these
        await pilot.pause(1.5)
        await settle(app, pilot)
        rows = app.query_one("#services-table", CostTable).rows_shown
        wanted, passed = ((("provider", row.keys["provider"]), ("service", row.keys["service"])) for row in rows[1:3])
        # The row it stopped on was read, the one it only passed was not (the top row may have been:
        # the Trends tab's top row is the same service, and on a busy machine its read comes late).
        assert wanted in reads and passed not in reads
        read_ahead, count = app.data.drills[wanted], len(reads)
        await pilot.press("enter")
        await settle_drill(app, pilot)
        screen = app.screen
        assert isinstance(screen, DrillScreen) and screen.filters == wanted
        assert screen.local is read_ahead and len(reads) == count  # no read of its own
        shown = table_changes(screen.query_one("#accounts-table", CostTable), ("provider", "account"))
        assert_equals_core(shown, core_changes(demo_cache, last_days(30, today), ("provider", "account"),
                                               providers=(wanted[0][1],), services=(wanted[1][1],)))


async def test_a_drill_down_read_ahead_under_another_metric_has_its_sparklines_drawn_before_enter(
        demo_cache: Path, today: date, monkeypatch) -> None:
    """The drill-down under the cursor was read ahead under one metric; `m` changes it with the cursor
    still there: its tables' sparklines for the new metric are drawn off the event loop while the
    cursor rests, so Enter only draws the screen (and they are the ones a fresh drawing gives)."""
    main_thread_draws: list[tuple] = []
    real_draw = data_module.DashboardData._draw_trends

    def watched(self, dimensions, filters):
        if threading.current_thread() is threading.main_thread() and filters:
            main_thread_draws.append(filters)
        return real_draw(self, dimensions, filters)

    monkeypatch.setattr(data_module.DashboardData, "_draw_trends", watched)
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await pilot.pause(1.0)  # rests on the top row: its drill-down is read ahead
        await settle(app, pilot)
        top = app.query_one("#services-table", CostTable).rows_shown[0]
        service = (("provider", top.keys["provider"]), ("service", top.keys["service"]))
        assert service in app.data.drills
        metric = app.options.metric
        await pilot.press("m")
        await pilot.pause(0.5)
        await settle(app, pilot)
        assert app.options.metric != metric
        after = app.query_one("#services-table", CostTable).rows_shown[0]
        assert after.keys == top.keys, "the demo's top service stays on top under either metric"
        drill = app.data.drills[service].with_options(app.options)
        assert reads_module.drill_sparklines_drawn(drill, service)
        await pilot.press("enter")
        await settle_drill(app, pilot)
        screen = app.screen
        assert isinstance(screen, DrillScreen) and screen.filters == service
        assert main_thread_draws == []
        fresh = replace(drill, sparklines={})
        for name in ("accounts", "regions"):
            table = screen.query_one(f"#{name}-table", CostTable)
            assert table.trends == fresh.trend_lines(BREAKDOWNS[name][0], service)


def count_drill_reads(monkeypatch) -> list[tuple]:
    """The filters of every drill-down read from the cache (ahead or on Enter), in order."""
    reads: list[tuple] = []
    real_read = app_module.read_drill_down

    def counted(cache, base, today, filters, stop=None):
        reads.append(filters)
        return real_read(cache, base, today, filters, stop)

    monkeypatch.setattr(app_module, "read_drill_down", counted)
    return reads


async def test_enter_twice_is_read_ahead_too_and_a_kept_screen_shows_the_next_row_as_new(
        demo_cache: Path, today: date, monkeypatch) -> None:
    """After the row under the cursor, the drill-down its first row opens is read ahead as well: Enter,
    Enter reads nothing. Esc then Enter on another row shows that row on the screen kept from before,
    as a new one: its own figures (the core's), cost order, no filter, the cursor on top."""
    reads = count_drill_reads(monkeypatch)
    app = make_app(demo_cache, today)
    window = last_days(30, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await pilot.pause(2.0)  # rests on the top row: it and then its drill-down's top row are read
        await settle(app, pilot)
        top = app.query_one("#services-table", CostTable).rows_shown[0]
        service = (("provider", top.keys["provider"]), ("service", top.keys["service"]))
        await pilot.press("enter")
        await settle_drill(app, pilot)
        first = app.screen
        accounts = first.query_one("#accounts-table", CostTable)
        account = (("provider", top.keys["provider"]), ("account", accounts.rows_shown[0].keys["account"]))
        deeper = (*service, account[1])
        for _ in range(100):  # the second read ahead starts when the first ends
            if deeper in app.data.drills:
                break
            await pilot.pause(0.05)
        count = len(reads)
        await pilot.press("enter")
        await settle_drill(app, pilot)
        assert isinstance(app.screen, DrillScreen) and app.screen.filters == deeper
        assert len(reads) == count and app.screen.local is app.data.drills[deeper]  # no read of its own
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is first
        await pilot.press("s", "down", "down")  # a sort and a cursor the next drill-down does not keep
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("down", "enter")
        await settle_drill(app, pilot)
        second = app.query_one("#services-table", CostTable).rows_shown[1]
        screen = app.screen
        assert screen is first  # kept, not composed again
        assert screen.filters == (("provider", second.keys["provider"]), ("service", second.keys["service"]))
        table = screen.query_one("#accounts-table", CostTable)
        assert (table.sort_column, table.sort_reverse, table.name_filter, table.cursor_row) == ("cost", False, "", 0)
        assert not screen.query_one(FilterBar).value and app.focused is table
        assert_equals_core(table_changes(table, ("provider", "account")), core_changes(
            demo_cache, window, ("provider", "account"), providers=(second.keys["provider"],),
            services=(second.keys["service"],)))
        assert second.keys["service"] in status(app)


async def test_slash_filters_the_visible_rows_by_name(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        table = app.query_one("#services-table", CostTable)
        everything = len(table.rows_shown)
        await pilot.press("slash", "s", "q", "l")
        await pilot.pause()
        names = [row.keys["service"] for row in table.rows_shown]
        assert names and len(names) < everything
        assert all("sql" in name.lower() for name in names)
        assert table.row_count == len(names)
        assert 'filter "sql"' in status(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is table
        await pilot.press("escape")
        await pilot.pause()
        assert len(table.rows_shown) == everything
        assert not app.query_one(FilterBar).has_class("-visible")


async def test_sort_keys_cycle_reverse_and_survive_reload_and_tab_switch(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        table = app.query_one("#regions-table", CostTable)
        await pilot.press("s", "s", "s", "s")  # change, share, provider, region
        regions = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert regions == sorted(regions, key=str.lower)
        assert str(table.ordered_columns[1].label) == "Region ▲"
        await pilot.press("S")
        reversed_regions = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert reversed_regions == regions[::-1]
        assert str(table.ordered_columns[1].label) == "Region ▼"
        await pilot.press("r")
        await settle(app, pilot)
        await pilot.press("2", "4")
        await settle(app, pilot)
        assert [str(table.get_row_at(i)[1]) for i in range(table.row_count)] == reversed_regions


async def test_range_presets_and_a_custom_range_typed_as_dates(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("d", "d", "d")  # 90 days, month to date, last month
        await settle(app, pilot)
        assert app.data.window == last_month(today)
        assert "1-31 Oct 2026 October 2026" in status(app)
        await pilot.press("D")
        await pilot.pause()
        assert isinstance(app.screen, RangeScreen)
        start = app.screen.query_one("#range-start", Input)
        start.value = "2026-09-31"
        await pilot.press("enter")
        await pilot.pause()
        assert "2026-09-31 is not a date" in str(app.screen.query_one("#range-error").render())
        start.value = "2026-09-01"
        app.screen.query_one("#range-end", Input).value = "2026-09-30"
        start.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert (app.data.start, app.data.end) == (date(2026, 9, 1), date(2026, 9, 30))
        await pilot.press("2")
        await settle(app, pilot)
        expected = core_changes(demo_cache, Window(date(2026, 9, 1), date(2026, 9, 30), ""), ("provider", "service"))
        assert table_changes(app.query_one("#services-table", CostTable), ("provider", "service")).keys() == expected.keys()
        await pilot.press("t")
        await settle(app, pilot)
        assert {g.keys["month"] for g in app.data.daily()} == {"2026-09"}


async def test_switches_are_answered_from_memory_without_a_new_read(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        generation = app.loading.generation
        await pilot.press("m", "g", "p", "s", "2")
        await settle(app, pilot)
        assert app.loading.generation == generation
        assert (app.data.options.metric, app.data.options.gross, app.data.options.provider) == ("effective", True, "aws")
        expected = core_changes(demo_cache, last_days(30, today), ("provider", "service"), providers=("aws",),
                                metric="effective", gross=True)
        assert table_changes(app.query_one("#services-table", CostTable), ("provider", "service")).keys() == expected.keys()


async def test_hidden_tabs_and_monthly_sparklines_are_ready_before_their_keys(
        demo_cache: Path, today: date, monkeypatch) -> None:
    """While the user reads the first figures, the hidden tabs are filled (the core's rows) and the
    sparklines by month are read: `3` and `t` then read nothing from the cache."""
    day_sums: list[tuple] = []
    real_load = reads_module.load_day_sums

    def counted(cache, data, dimensions, filters):
        day_sums.append((data.options.granularity, dimensions, filters))
        return real_load(cache, data, dimensions, filters)

    monkeypatch.setattr(reads_module, "load_day_sums", counted)
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        for _ in range(100):  # the tables are drawn one at a time after a pause
            if app.query_one("#regions-table", CostTable).all_rows and not any(
                    w.group == "read-ahead" and not w.is_finished for w in app.workers):
                break
            await pilot.pause(0.05)
        accounts = app.query_one("#accounts-table", CostTable)
        assert app.query_one(TabbedContent).active == "trends"  # not shown yet, already filled
        assert_equals_core(table_changes(accounts, ("provider", "account")),
                           core_changes(demo_cache, last_days(30, today), ("provider", "account")))
        assert ("month", ("provider", "account"), ()) in day_sums
        read = len(day_sums)
        await pilot.press("3", "t")
        await settle(app, pilot)
        assert app.data.options.granularity == "month" and len(day_sums) == read
        assert all(accounts.trends.get((row.keys["provider"], row.keys["account"], row.currency))
                   for row in accounts.rows_shown if row.cost)  # every row's sparkline, by month, drawn


async def test_keys_pressed_while_loading_are_applied_and_a_slow_load_shows_the_indicator(
    demo_cache: Path, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_load = app_module.load_dashboard

    def slow_load(*args, **kwargs):
        time.sleep(0.4)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(app_module, "load_dashboard", slow_load)
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("r")  # read the cache again (the ranges read ahead are forgotten)
        await pilot.pause(0.2)
        assert app.query_one("#loading").display
        await pilot.press("d", "m", "2")  # 90 days: a new read once this one is done
        await settle(app, pilot)
        assert not app.query_one("#loading").display
        assert (app.data.options.preset, app.data.options.metric) == ("90d", "effective")
        assert app.query_one("#tabs").active == "services"
        assert "effective" in status(app) and "last 90 days" in status(app)


async def test_a_tab_key_right_after_a_table_took_the_focus_shows_that_tab(demo_cache: Path, today: date) -> None:
    """A widget focused just before a tab key (as a table at the end of a load) does not bring its tab
    back once its focus message is handled: the key's tab is shown, and only it."""
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        tabs = app.query_one("#tabs")
        shown: list[str] = []
        app.watch(tabs, "active", lambda active: shown.append(active), init=False)
        for tab in ("services", "accounts", "alerts"):
            await pilot.press("1")
            await settle(app, pilot)
            app.screen.set_focus(app.query_one("#chart"))  # its focus messages are handled after the key
            shown.clear()
            app.action_show_tab(tab)
            await settle(app, pilot)
            assert tabs.active == tab and shown == [tab]


async def test_export_writes_the_visible_table_exactly_as_costs_csv(demo_cache: Path, today: date, tmp_path: Path) -> None:
    app = make_app(demo_cache, today)
    app.export_dir = tmp_path
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2", "e")
        await settle(app, pilot)
        (written,) = tmp_path.glob("costtui-services-*.csv")
    window = last_days(30, today)
    costs = subprocess.run(
        [sys.executable, "-m", "costtui", "--cache", str(demo_cache), "costs", "--group-by", "provider",
         "--group-by", "service", "--start", window.start.isoformat(), "--end", window.end.isoformat(),
         "--format", "csv"], capture_output=True, text=True, check=True, env={"COSTTUI_TODAY": today.isoformat(),
                                                                             "PATH": "", "PYTHONPATH": str(Path.cwd())})
    assert written.read_text() == costs.stdout


async def test_a_new_snapshot_reloads_in_place_with_a_notice(private_cache: Path, today: date) -> None:
    app = make_app(private_cache, today)
    notices: list[str] = []
    shown = app.notify
    app.notify = lambda message, *args, **kwargs: (notices.append(message), shown(message, *args, **kwargs))[1]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        with open_writer(private_cache):
            pass  # a publish without changes: a new snapshot all the same
        app.reload_if_new_snapshot()
        await settle(app, pilot)
        assert app.query_one("#tabs").active == "services"
        # Recorded as shown: on a busy machine the 4 s notice can be gone before the check.
        assert any("New data from a refresh" in message for message in notices)


async def test_refresh_key_runs_refresh_and_reports_its_failure(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("R")
        await wait_for_refresh(app, pilot)
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("Refreshing") for m in messages)
        assert any(m.startswith("Refresh failed:") and "no provider is enabled" in m for m in messages)


async def wait_for_refresh(app, pilot) -> None:
    for _ in range(400):
        await pilot.pause(0.05)
        if not app.refresh_runner.running:
            break
    await pilot.pause(0.1)


async def test_refresh_result_lists_the_replaced_slices_as_costtui_refresh_prints_them(
    tmp_path: Path, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.faces import run_costtui

    focus = tmp_path / "focus.csv"
    header = "BillingAccountId,BillingCurrency,BilledCost,EffectiveCost,ChargeCategory,ChargePeriodStart,ProviderName,ServiceName"
    rows = ["BA,USD,7.00,7.00,Usage,2026-11-01,AWS,EC2", "BA,USD,3.00,3.00,Usage,2026-11-02,AWS,S3",
            "BB,EUR,5.00,5.00,Usage,2026-11-02,Microsoft,VM"]
    focus.write_text("\n".join([header, *rows]) + "\n")
    config = tmp_path / "costtui.toml"
    config.write_text(f'[providers.focus]\nenabled = true\npaths = ["{focus}"]\n')
    cache = tmp_path / "cache.duckdb"
    assert run_costtui(["--config", str(config), "--cache", str(cache), "refresh"]).returncode == 0
    focus.write_text("\n".join([header, rows[0].replace("7.00", "9.50"), *rows[1:]]) + "\n")  # a restated export
    twin = tmp_path / "twin.duckdb"  # what `costtui refresh` prints for the same restatement
    twin.write_bytes(cache.read_bytes())
    cli = run_costtui(["--config", str(config), "--cache", str(twin), "refresh"])
    printed = [line.removeprefix("costtui: replaced ") for line in cli.stderr.splitlines()
               if line.startswith("costtui: replaced ")]
    assert len(printed) == 2 and "12.50 USD" in "".join(printed)

    monkeypatch.setenv("COSTTUI_TODAY", today.isoformat())  # the refresh the dashboard runs
    app = make_app(cache, today)
    app.config_path = config
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("R")
        await wait_for_refresh(app, pilot)
        results = [n.message for n in app._notifications if n.message.startswith("Refresh finished")]
        assert results == ["\n".join(["Refresh finished; replaced 2 slices:", *printed])]
        assert not any(n.message.startswith("costtui: replaced") for n in app._notifications)
        await settle(app, pilot)
        assert app.data is not None and app.data.range_totals()["USD"] == Decimal("12.50")


async def test_alerts_tab_counts_colours_and_opens_a_finding(private_cache: Path, today: date) -> None:
    message = "AWS daily cost 4,012.00 USD is above the expected range " + "with a long explanation " * 5
    with open_writer(private_cache) as writer:
        writer.record_alert_events([AlertEvent("anomaly", "anomaly", "critical", date(2026, 11, 2), date(2026, 11, 2),
                                               Decimal("4012.00"), Decimal("2500.00"), "USD", message, "aws")])
    app = make_app(private_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert str(app.query_one("#tabs").get_tab("alerts").label) == "Alerts (1)"
        await pilot.press("5")
        await settle(app, pilot)
        table = app.query_one("#alerts-table", DataTable)
        assert table.get_row_at(0)[1].style == "bold red"
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FindingScreen)
        assert message in str(app.screen.query_one("#finding-message").render())


async def test_every_action_is_in_the_command_palette(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for title in ("Range (d)", "Dates (D)", "Sort (s)", "Filter (/)", "Export (e)", "Refresh (R)",
                      "Day/month (t)", "Back (esc)"):
            assert title in titles


async def test_a_screenshot_goes_to_the_working_directory_without_downloads(
    demo_cache: Path, today: date, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    app = make_app(demo_cache, today)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.deliver_screenshot("shot.svg")
        for _ in range(100):
            await pilot.pause(0.02)
            if (work / "shot.svg").exists():
                break
    assert (work / "shot.svg").read_text().startswith("<svg")


def test_demo_help_names_the_demo_cache(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "costtui", "demo", "--help"], capture_output=True, text=True,
                            check=True, env={"HOME": str(tmp_path), "PYTHONPATH": str(Path.cwd()),
                                             "XDG_DATA_HOME": str(tmp_path / "data")})
    assert f"  {tmp_path / 'data' / 'costtui' / 'demo.duckdb'}\n" in result.stdout


async def test_ranges_read_ahead_show_at_once_and_equal_a_fresh_read(
    private_cache: Path, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the first figures, the other preset ranges are read in the background: `d` draws them
    without a read, with the same figures a read of that range gives; a new snapshot forgets them."""
    reads: list[str] = []
    real_load = app_module.load_dashboard

    def counted_load(cache_path, options, today):
        reads.append(options.preset)
        return real_load(cache_path, options, today)

    monkeypatch.setattr(app_module, "load_dashboard", counted_load)
    app = make_app(private_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert sorted(reads) == sorted(RANGE_CYCLE)  # the shown range (30 days), then every other preset once
        reads.clear()
        await pilot.press("d")  # 90 days
        await settle(app, pilot)
        assert reads == [] and app.data.options.preset == "90d"
        fresh = real_load(private_cache, app.options, today)
        assert app.data.services == fresh.services and app.data.totals == fresh.totals
        day = today - timedelta(days=60)  # in the 90 days, not in the 30
        with open_writer(private_cache) as writer:  # a refresh restates that day for a new provider
            writer.replace_charges([ReplaceScope("oci", day, day)], [
                CostRow(charge_date=day, provider="oci", billing_account_id="b", account_id="late", account_name="Late",
                        service="Late", region="r", charge_category="Usage", billed_cost=Decimal("1234.56"),
                        effective_cost=Decimal("1234.56"), currency="USD")])
        await pilot.press(*"ddddd")  # round to 30 days again: the 90 days are held in memory
        await settle(app, pilot)
        assert app.data.options.preset == "30d"
        app.reload_if_new_snapshot()
        await settle(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        assert app.data.options.preset == "90d"
        assert any(row.keys.get("service") == "Late" for row in app.data.services)


def test_a_long_list_of_replaced_slices_is_cut_with_a_count() -> None:
    from costtui.tui.refresh_runner import SLICES_LISTED, result_text

    lines = ["costtui: focus: 2025-10-01 to 2026-11-15, 20 rows"] + [
        f"costtui: replaced aws BA 2026-{month:02d}: 1.00 -> 2.00 USD (1 -> 1 rows)" for month in range(1, 13)]
    text = result_text("Refresh finished", lines).splitlines()
    assert text[0] == "Refresh finished; replaced 12 slices:"
    assert text[1:-1] == [line.removeprefix("costtui: replaced ") for line in lines[1:SLICES_LISTED + 1]]
    assert text[-1] == f"… and {12 - SLICES_LISTED} more"
    assert result_text("Refresh finished", lines[:1]) == "Refresh finished"


async def test_a_tab_key_pressed_before_the_first_figures_is_applied(
    demo_cache: Path, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_load = app_module.load_dashboard

    def slow_load(*args, **kwargs):
        time.sleep(2)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(app_module, "load_dashboard", slow_load)
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        assert app.data is None  # still reading
        await settle(app, pilot)
        assert app.query_one("#tabs").active == "services"
        assert app.query_one("#services-table", CostTable).rows_shown == app.data.services
        assert isinstance(app.focused, CostTable) and app.focused.id == "services-table"
