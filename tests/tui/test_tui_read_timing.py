"""When the dashboard's background reads run: the month-end forecast (a heavy read) waits until the
keys pause; the read of where the next Enter leads starts as soon as a drill-down is opened, not
after its cursor has rested (the user is about to press Enter again)."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import pytest
from test_tui_read_stop import LongReads, row_filters, top_account_read_ahead, wait_until
from tui_helpers import make_app, settle

from costtui.tui import app as app_module
from costtui.tui import navigation
from costtui.tui.drawing import FORECAST_DELAY_SECONDS
from costtui.tui.reads import forecast_key
from costtui.tui.views.drill import DrillScreen
from costtui.tui.widgets.cost_table import CostTable

NEVER = 30.0  # a rest longer than any test: rows are read ahead only where the rule says "at once"


@pytest.mark.anyio
async def test_the_forecast_waits_until_the_keys_pause(demo_cache: Path, today: date, monkeypatch) -> None:
    started: list[float] = []
    real_read = app_module.read_forecast

    def recorded(cache, options, day):
        started.append(time.monotonic())
        return real_read(cache, options, day)

    monkeypatch.setattr(app_module, "read_forecast", recorded)
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await wait_until(pilot, lambda: forecast_key(app.options) in app.drawing.forecasts)
        before = len(started)
        await pilot.press("m")  # the other metric: the Trends tab needs its forecast
        keys = [app.last_key_at]  # when the app handled each key (a busy machine may delay one)
        app.action_focus_table()
        began = time.monotonic()
        while time.monotonic() - began < 1.5:  # the user goes on pressing keys, 0.2 s apart
            await pilot.press("down")
            keys.append(app.last_key_at)
            await pilot.pause(0.2)
        await wait_until(pilot, lambda: forecast_key(app.options) in app.drawing.forecasts)
        assert len(started) > before
        for start in started[before:]:  # never while keys came, only 0.5 s after the key before it
            assert start - max(key for key in keys if key <= start) >= FORECAST_DELAY_SECONDS


@pytest.mark.anyio
async def test_enter_on_a_row_read_ahead_starts_reading_where_the_next_enter_leads(
        demo_cache: Path, today: date, monkeypatch) -> None:
    reads = LongReads(monkeypatch)
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        try:
            first, after_first = await top_account_read_ahead(app, pilot, reads)
            monkeypatch.setattr(navigation, "DRILL_AHEAD_DELAY_SECONDS", NEVER)
            await pilot.press("down")  # away: that guess stops; back: the cursor has not rested there
            await wait_until(pilot, lambda: after_first in reads.stopped)
            await pilot.press("up")
            await pilot.pause(0.3)
            assert reads.started.count(after_first) == 1
            requested: list[tuple[tuple, bool]] = []  # (filters, a drill-down on screen already)
            real_start = app.read_drill_ahead

            def start(data, filters, stop):
                requested.append((filters, isinstance(app.screen, DrillScreen)))
                return real_start(data, filters, stop)

            monkeypatch.setattr(app, "read_drill_ahead", start)
            await pilot.press("enter")  # drawn from memory; the next Enter's read starts with it
            await wait_until(pilot, lambda: isinstance(app.screen, DrillScreen) and app.screen.filters == first)
            await wait_until(pilot, lambda: any(filters == after_first for filters, _ in requested))
            assert requested[0] == (after_first, False)  # as Enter was handled, before the screen changed
        finally:
            reads.held = lambda filters: False
        await wait_until(pilot, lambda: after_first in app.data.drills)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DrillScreen) and app.screen.filters == after_first)
        assert app.screen.local is app.data.drills[after_first]  # drawn without a read of its own


@pytest.mark.anyio
async def test_a_drill_down_read_on_enter_then_reads_where_its_enter_leads_without_a_rest(
        demo_cache: Path, today: date, monkeypatch) -> None:
    reads = LongReads(monkeypatch)
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        monkeypatch.setattr(navigation, "DRILL_AHEAD_DELAY_SECONDS", NEVER)  # no row is read ahead
        await pilot.press("3")
        first = row_filters(app.query_one("#accounts-table", CostTable), 0)
        await pilot.press("enter")  # read on the spot (nothing was read ahead)
        await wait_until(pilot, lambda: isinstance(app.screen, DrillScreen) and app.screen.local is not None)
        assert app.screen.filters == first
        # Its cursor starts on its top row: that row's drill-down is read ahead at once, no rest.
        await wait_until(pilot, lambda: reads.follow_up_of(first) is not None)


@pytest.mark.anyio
async def test_reads_wait_at_most_a_millisecond_for_the_gil_while_the_dashboard_draws(demo_cache: Path, today: date) -> None:
    # DuckDB's client takes the GIL after each task of a query: at Python's default 5 ms switch
    # interval a drill-down read beside a drawing took 2-4x its time alone (bench/tui_keys.py).
    before = sys.getswitchinterval()
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert sys.getswitchinterval() == pytest.approx(app_module.READ_SWITCH_INTERVAL)
        assert app_module.READ_SWITCH_INTERVAL <= 0.001
    assert sys.getswitchinterval() == pytest.approx(before)  # what runs after the dashboard keeps its own
