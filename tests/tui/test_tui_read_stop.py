"""A drill-down read ahead for a row the cursor has left is stopped (it would slow the keys pressed
meanwhile); a read something still waits for is not."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from tui_helpers import make_app, settle, settle_drill

from costtui.cache import CacheReader, CostQueries
from costtui.tui import app as app_module
from costtui.tui.cancel import ReadStopped, StopSignal
from costtui.tui.data import load_dashboard, load_drill
from costtui.tui.views.drill import DrillScreen
from costtui.tui.widgets.cost_table import CostTable

LONG_QUERY = "SELECT sum(a * b) FROM range(4000000000) t(a), range(4) u(b)"  # minutes if not stopped


def test_stopping_a_read_interrupts_the_query_it_is_running() -> None:
    con = duckdb.connect()
    stop, outcome = StopSignal(), []
    stop.reading(CostQueries(con))

    def long_read() -> None:
        try:
            con.execute(LONG_QUERY).fetchall()
            outcome.append("finished")
        except duckdb.InterruptException:
            outcome.append("interrupted")

    reader = threading.Thread(target=long_read)
    reader.start()
    time.sleep(0.2)
    began = time.monotonic()
    stop.stop()
    reader.join(timeout=10)
    assert outcome == ["interrupted"] and time.monotonic() - began < 5
    stop.closing()
    assert con.execute("SELECT 42").fetchone() == (42,)  # the connection itself is fine


def test_a_drill_down_read_stopped_between_its_steps_returns_nothing(demo_cache: Path, today: date) -> None:
    base = load_dashboard(demo_cache, app_module.ViewOptions(), today)
    assert base is not None
    stop = StopSignal()
    stop.stop()  # before the session opens: no query runs
    with pytest.raises(ReadStopped):
        load_drill(demo_cache, base, today, (("provider", "aws"),), stop=stop)
    drill = load_drill(demo_cache, base, today, (("provider", "aws"),), stop=StopSignal())  # not stopped: read
    with CacheReader(demo_cache).session() as queries:
        assert drill.pieces and queries.row_count()


def row_filters(table: CostTable, index: int) -> tuple:
    row = table.rows_shown[index]
    return (("provider", row.keys["provider"]), ("account", row.keys["account"]))


async def wait_until(pilot, condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.02)


class LongReads:
    """Drill-down reads held at their start while `held(filters)` (a long read), then read for real:
    ended by their stop signal like any other."""

    def __init__(self, monkeypatch) -> None:
        self.started: list[tuple] = []
        self.stopped: list[tuple] = []
        self.held = lambda filters: False
        real_read = app_module.read_drill_down

        def long_read(cache, base, today, filters, stop=None):
            self.started.append(filters)
            deadline = time.monotonic() + 30
            while self.held(filters) and not (stop is not None and stop.stopped) and time.monotonic() < deadline:
                time.sleep(0.005)
            try:
                return real_read(cache, base, today, filters, stop)
            except ReadStopped:
                self.stopped.append(filters)
                raise

        monkeypatch.setattr(app_module, "read_drill_down", long_read)

    def follow_up_of(self, filters: tuple) -> tuple | None:
        return next((f for f in self.started if len(f) > len(filters) and f[:len(filters)] == filters), None)


def follow_up(filters: tuple) -> bool:
    return len(filters) > 2  # a drill-down of a drill-down: where Enter on a row leads next


async def top_account_read_ahead(app, pilot, reads: LongReads) -> tuple[tuple, tuple]:
    """The Accounts tab shown: its top row read ahead, and the read of where Enter on it leads
    started and held. (That row, that follow-up.)"""
    await settle(app, pilot)
    reads.held = follow_up
    await pilot.press("3")  # accounts, filled while hidden: shown, its top row is read ahead
    first = row_filters(app.query_one("#accounts-table", CostTable), 0)
    await wait_until(pilot, lambda: first in app.data.drills and reads.follow_up_of(first) is not None)
    return first, reads.follow_up_of(first)


@pytest.mark.anyio
async def test_a_follow_up_read_the_cursor_left_is_stopped_and_a_row_it_rested_on_is_read_to_the_end(
        demo_cache: Path, today: date, monkeypatch) -> None:
    reads = LongReads(monkeypatch)
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        try:
            await settle(app, pilot)  # the Trends tab's top services are read ahead meanwhile
            reads.held = follow_up
            await pilot.press("3")  # accounts, filled while hidden: shown, its top row is read ahead
            table = app.query_one("#accounts-table", CostTable)
            first, second, third = (row_filters(table, i) for i in range(3))
            await wait_until(pilot, lambda: first in app.data.drills)
            await wait_until(pilot, lambda: reads.follow_up_of(first) is not None)  # then where Enter leads
            after_first = reads.follow_up_of(first)
            await pilot.press("down")
            await wait_until(pilot, lambda: after_first in reads.stopped)  # left: that guess stops...
            await wait_until(pilot, lambda: second in app.data.drills)  # ...and the row now under the cursor is read
            assert after_first not in app.data.drills
            reads.held = lambda filters: True
            await pilot.press("down")
            await wait_until(pilot, lambda: third in reads.started)
            await pilot.press("down")  # a row the cursor rested on is read to the end
            await pilot.pause(0.5)
            assert third not in reads.stopped
            reads.held = lambda filters: False
            await wait_until(pilot, lambda: third in app.data.drills)
        finally:
            reads.held = lambda filters: False  # a failed assertion leaves no read waiting


@pytest.mark.anyio
async def test_a_follow_up_read_a_drill_down_waits_for_is_not_stopped(demo_cache: Path, today: date,
                                                                      monkeypatch) -> None:
    reads = LongReads(monkeypatch)
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        try:
            first, after_first = await top_account_read_ahead(app, pilot, reads)
            await pilot.press("enter")  # read ahead: drawn at once
            await wait_until(pilot, lambda: isinstance(app.screen, DrillScreen) and app.screen.filters == first)
            await pilot.press("enter")  # its top row: the held read, which this drill-down now waits for
            await pilot.pause(0.5)
            assert isinstance(app.screen, DrillScreen) and app.screen.filters == after_first
            assert after_first not in reads.stopped
            reads.held = lambda filters: False
            await settle_drill(app, pilot)
            assert app.screen.local is app.data.drills[after_first] and after_first not in reads.stopped
        finally:
            reads.held = lambda filters: False
