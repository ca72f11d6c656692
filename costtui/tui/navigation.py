"""The screens on top of the tabs: drill-downs (with the read ahead of the row the cursor rests on) and
what changed; opening them, drawing them from the dashboard's data, and the back step. The app owns
one Navigation; its message handlers and actions call it, its workers do the reads."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.widgets import TabbedContent

from costtui.tui.cancel import StopSignal
from costtui.tui.data import DashboardData
from costtui.tui.messages import ChangesLoaded, DrillLoaded
from costtui.tui.reads import READ_GROUPS, drill_sparklines_drawn
from costtui.tui.rollup import Filter
from costtui.tui.views.changes import ChangesScreen, bucket_window
from costtui.tui.views.drill import DrillScreen, answered_in_memory, drill_filters, top_row
from costtui.tui.views.tag_detail import TagScreen
from costtui.tui.widgets.chart import CostChart
from costtui.tui.widgets.cost_table import CostTable

if TYPE_CHECKING:
    from costtui.tui.app import CostApp

# Drill-downs are read ahead for ranges up to this long: a year's read scans ~4x the rows (0.3-0.5 s
# and ~120 MB more peak RSS on 10M rows, bench/tui_keys.py), too much to spend on a guess.
DRILL_AHEAD_MAX_DAYS = 92
DRILL_AHEAD_DELAY_SECONDS = 0.15  # the cursor rests this long before its row is read ahead
MAX_AHEAD = 4  # drill-downs waiting to be read ahead; older guesses drop out

@dataclass(frozen=True)
class Ahead:
    """A drill-down to read ahead."""

    data: DashboardData  # the range it refines
    filters: tuple[Filter, ...]
    after: tuple[Filter, ...] = ()  # a follow-up: the drill-down whose top row this is (not a row pointed at)

    @property
    def follow_up(self) -> bool:
        """Where Enter on a drill-down leads (its top row), guessed before the cursor is there."""
        return bool(self.after)


class Navigation:
    """Drill-downs and what-changed screens over the app's tabs."""

    def __init__(self, app: CostApp) -> None:
        self.app = app
        self.stale_drills: set[DrillScreen] = set()  # drill-downs under the top one, drawn when uncovered
        self._queue: list[Ahead] = []  # what to read ahead, next first
        self._pointed: tuple[Filter, ...] = ()  # the drill-down of the row the cursor is on
        self._pointed_at = 0.0  # when the cursor came to that row (time.monotonic)
        self._pointed_in: dict | None = None  # the drill-downs of the range that row is in
        self._pointed_by: CostTable | None = None  # the table whose cursor is on it
        self._tops: dict[tuple, tuple[Filter, ...] | None] = {}  # (filters, choices) -> top_row, for _tops_of
        self._tops_of: dict | None = None  # the range's drill-downs those top rows are of
        self._reading: Ahead | None = None  # the one being read
        self._stop: StopSignal | None = None  # stops that read when the cursor leaves its row
        self._waiting = False  # a timer will try again once the other reads are done

    def drill(self, row: tuple[Filter, ...]) -> None:
        """Enter on a table row: its drill-down, or on a row of a daily table that day's movers."""
        app = self.app
        if row and row[0][0] == "day":
            self.open_changes(ChangesScreen(bucket_window(row[0][1])))
            return
        # Within the drill-down the row was listed in (a day's movers keep their scope).
        filters = drill_filters(self._scope(), app.options.provider, row)
        self._lead_on(filters)
        app.drill_screens.open(filters, self.render_drill)

    def _lead_on(self, filters: tuple[Filter, ...]) -> None:
        """Enter opens a drill-down read already: the read of where Enter on it leads (the row its
        cursor starts on) begins now, beside the drawing of the screen, not once it is drawn."""
        data = self.app.data
        if data is None or data.window.days > DRILL_AHEAD_MAX_DAYS or (top := self._top_of(data, filters)) is None:
            return
        self._arrive(top, data.drills, None)
        self._stop_stale_read()
        self._want(Ahead(data, top, after=filters), first=True)

    def pick_day(self) -> None:
        """`c`: the chart shown (the Trends tab's, a drill-down's) takes the arrows, a day cursor on it;
        Enter then opens that day's movers."""
        app = self.app
        screen = app.screen
        if app.data is None or isinstance(screen, ChangesScreen):
            return
        if screen is app.screen_stack[0]:
            app.query_one(TabbedContent).active = "trends"
        chart = next(iter(screen.query(CostChart)), None)
        if chart is None:
            return  # a screen without a chart (a tag value's services and accounts)
        chart.focus()
        if chart.cursor is None:
            chart.action_move_cursor(0)

    def what_changed(self) -> None:
        """`w`: the range's movers against the period before it, within the drill-down or tag value
        shown."""
        if self.app.data is not None:
            self.open_changes(ChangesScreen(filters=self._scope()))

    def _scope(self) -> tuple[Filter, ...]:
        """The filters of the screen shown: a drill-down's, a tag value step's, or none."""
        screen = self.app.screen
        if isinstance(screen, (DrillScreen, ChangesScreen)):
            return screen.filters
        if isinstance(screen, TagScreen):
            return screen.scope_filters
        return ()

    def day_chosen(self, bucket: str) -> None:
        """Enter on the Trends chart: that day's movers (within the drill-down shown, if any)."""
        if self.app.data is not None:
            self.open_changes(ChangesScreen(bucket_window(bucket), self._scope()))

    def open_changes(self, screen: ChangesScreen) -> None:
        screen.options = self.app.options
        self.app.push_screen(screen)
        self.app.call_later(self.render_changes, screen)

    def render_changes(self, screen: ChangesScreen) -> None:
        app = self.app
        assert app.data is not None
        if screen.options != app.options:
            screen.rows.clear()  # a day's movers were read for other choices
            screen.options = app.options
        screen.show(app.data, app.clock())

    def changes_loaded(self, message: ChangesLoaded) -> None:
        screen, data = message.screen, self.app.data
        if message.options == screen.options:
            screen.rows[message.dimension] = message.rows
            if screen.is_attached and data is not None:
                screen.show(data, self.app.clock())

    def render_top(self) -> None:
        """The screen on top, drawn from new data; the drill-downs under it are drawn when uncovered."""
        app = self.app
        screen = app.screen
        if isinstance(screen, DrillScreen):
            self.render_drill(screen)
            self.stale_drills = {s for s in app.screen_stack if isinstance(s, DrillScreen)} - {screen}
        elif isinstance(screen, ChangesScreen):
            self.render_changes(screen)
        else:
            app.drawing.draw_tab(app.query_one(TabbedContent).active or "trends")

    def back(self) -> None:
        """One drill-down (or what-changed) step back."""
        app = self.app
        if isinstance(app.screen, (DrillScreen, ChangesScreen)):
            app.pop_screen()
            self._render_uncovered()
            # The uncovered screen's table takes the arrows again, whatever took the focus meanwhile.
            app.call_after_refresh(app.action_focus_table)

    def _render_uncovered(self) -> None:
        """The screen a back step uncovers catches up with what changed meanwhile."""
        app = self.app
        screen = app.screen
        if isinstance(screen, DrillScreen):
            if screen in self.stale_drills:
                self.stale_drills.discard(screen)
                self.render_drill(screen)
        elif isinstance(screen, ChangesScreen):
            self.render_changes(screen)
        else:
            app.drawing.draw_tab(app.query_one(TabbedContent).active or "trends")

    def render_drill(self, screen: DrillScreen) -> None:
        app = self.app
        self.stale_drills.discard(screen)  # drawn now (a kept screen may have been stale when popped)
        data = app.data
        if data is None:
            return
        if screen.local is None or screen.local.window != data.window:
            screen.local = data.drills.get(screen.filters)
        if not screen.show(data, app.clock()):
            reading = self._reading
            if reading is not None and reading.data.window == data.window and reading.filters == screen.filters:
                return  # read ahead already: DrillAheadLoaded draws it
            app.read_drill(screen, data)

    def drill_loaded(self, message: DrillLoaded) -> None:
        app, screen = self.app, message.screen
        screen.local = message.data
        if app.data is not None and app.data.window == message.data.window:
            app.data.drills.setdefault(screen.filters, message.data)  # back to it: no read
            self._want_next(app.data, screen.filters, first=True)
        if app.data is not None and screen.is_attached:
            screen.show(app.data, app.clock())

    # Read ahead: the drill-down of the row under the cursor, and then the one Enter on it leads to
    # next (where a fresh drill-down's cursor starts), so that Enter, even twice, only draws.

    def pointed(self, row: tuple[Filter, ...], table: CostTable | None = None) -> None:
        """Read ahead the drill-down of the row under the cursor when the sums in memory cannot answer
        it (on 10M rows such a read takes ~0.1 s; Enter comes later)."""
        app = self.app
        data, screen = app.data, app.screen
        if data is None or app.loading.busy or not row or row[0][0] == "day":
            return  # a day's row opens its movers, not a drill-down
        if data.window.days > DRILL_AHEAD_MAX_DAYS:
            return
        if screen is not app.screen_stack[0] and not isinstance(screen, DrillScreen):
            return
        filters = drill_filters(self._scope(), app.options.provider, row)
        if filters != self._pointed or data.drills is not self._pointed_in or table is not self._pointed_by:
            # A new row (or the same one in another range or table: a tab switched to): read once the
            # cursor has rested on it, not while the user flicks through tabs.
            self._arrive(filters, data.drills, table)
        self._queue = [ahead for ahead in self._queue if self._still_wanted(ahead)]  # not rows the cursor left
        self._stop_stale_read()
        if filters in data.drills:
            drill = data.drills[filters].with_options(data.options)
            if not drill_sparklines_drawn(drill, filters):  # read ahead under other choices (metric, provider)
                app.draw_sparklines_ahead(drill, filters)
            self._want_next(data, filters, first=True)
        else:
            self._want(Ahead(data, filters), first=True)

    def _arrive(self, filters: tuple[Filter, ...], drills: dict, table: CostTable | None) -> None:
        """The cursor is now on the row of drill-down `filters` (of the range whose drill-downs are
        `drills`), in `table` (None: a screen just opened, its table not drawn yet)."""
        self._pointed, self._pointed_in, self._pointed_at, self._pointed_by = filters, drills, time.monotonic(), table

    def _want_next(self, data: DashboardData, filters: tuple[Filter, ...], first: bool) -> None:
        """Queue the drill-down Enter opens on a fresh drill-down of `filters` (read already)."""
        if (top := self._top_of(data, filters)) is not None:
            self._want(Ahead(data, top, after=filters), first)

    def _top_of(self, data: DashboardData, filters: tuple[Filter, ...]) -> tuple[Filter, ...] | None:
        """The row a fresh drill-down of `filters` starts on, if that drill-down was read."""
        drill = data.drills.get(filters)
        if drill is None:
            return None
        options = self.app.options
        if self._tops_of is not data.drills:  # another range or snapshot
            self._tops, self._tops_of = {}, data.drills
        key = (filters, options.metric, options.gross, options.provider)
        if key not in self._tops:  # a breakdown of the drill-down (~10 ms): once, not per highlight
            self._tops[key] = top_row(drill.with_options(options), filters, options.provider)
        return self._tops[key]

    def _want(self, ahead: Ahead, first: bool) -> None:
        """Queue a read ahead: first when it is for where the cursor is, else after the others; the
        oldest guesses (and those of another range) drop out."""
        if ahead.filters in ahead.data.drills or answered_in_memory(ahead.data, ahead.filters):
            return
        queued = next((a for a in self._queue if a.filters == ahead.filters and a.data.drills is ahead.data.drills), None)
        if queued is not None and queued.follow_up and not ahead.follow_up:
            # The row a drill-down just opened starts on, guessed as where Enter leads: still no rest.
            ahead = Ahead(ahead.data, ahead.filters, queued.after)
        queue = [a for a in self._queue if a.filters != ahead.filters and a.data.drills is ahead.data.drills
                 and a.filters not in a.data.drills]
        queue.insert(0 if first else len(queue), ahead)
        self._queue = queue[:MAX_AHEAD]
        self._start()

    def _wait(self, seconds: float | None = None) -> None:
        if not self._waiting:
            self._waiting = True
            self.app.set_timer(DRILL_AHEAD_DELAY_SECONDS if seconds is None else seconds, self._retry)

    def _retry(self) -> None:
        self._waiting = False
        self._start()

    def _start(self) -> None:
        """One read ahead at a time, when no other read runs: it is a guess, and reads side by side
        add up their memory (peak RSS). The row under the cursor once the cursor has rested on it (not
        every row passed on the way); the drill-downs rows read ahead lead to, at once."""
        data = self.app.data  # guesses for a range no longer shown, or read meanwhile, drop out
        self._queue = [ahead for ahead in self._queue if data is not None and ahead.data.drills is data.drills
                       and ahead.filters not in ahead.data.drills and self._still_wanted(ahead)]
        if not self._queue or self._reading is not None:
            return  # nothing wanted, or one is read now (its end starts the next)
        if any(worker.group in READ_GROUPS and not worker.is_finished for worker in self.app.workers):
            self._wait()
            return
        resting = time.monotonic() - self._pointed_at
        # A drill-down just opened starts on its top row: read where Enter on it leads at once. Every
        # other row (one the cursor may pass on its way, or where Enter leads from it) once it rests.
        wanted = next((a for a in self._queue if (a.follow_up and a.filters == self._pointed)
                       or resting >= DRILL_AHEAD_DELAY_SECONDS), None)
        if wanted is None:
            self._wait(DRILL_AHEAD_DELAY_SECONDS - resting)
            return
        self._queue.remove(wanted)
        self._reading, self._stop = wanted, StopSignal()
        self.app.read_drill_ahead(wanted.data, wanted.filters, self._stop)

    def _waited_for(self, filters: tuple[Filter, ...]) -> bool:
        """A drill-down of `filters` is open and waits for its figures."""
        return any(isinstance(screen, DrillScreen) and screen.filters == filters and screen.local is None
                   for screen in self.app.screen_stack)

    def _still_wanted(self, ahead: Ahead) -> bool:
        """The row under the cursor, where Enter on it leads, or a drill-down waiting for its read."""
        return self._pointed in (ahead.filters, ahead.after) or self._waited_for(ahead.filters)

    def _stop_stale_read(self) -> None:
        """A follow-up read ahead (where Enter on a row leads) is stopped once nothing wants it: it would
        only slow the keys (it holds the GIL while its rows become Python objects) and hold its memory.
        A row the cursor rested on is read to the end: a user often comes back to a row they looked at
        (after a filter, a sort, a metric)."""
        reading, stop = self._reading, self._stop
        if reading is not None and stop is not None and reading.follow_up and not self._still_wanted(reading):
            stop.stop()  # the worker ends with DrillAheadStopped; the queue goes on from there

    def reads_ended(self) -> None:
        """A read of the cache ended: a read ahead waiting for it starts now (not at the next poll)."""
        self._start()  # (nothing when no guess waits, or one is read now)

    def read_ahead_stopped(self) -> None:
        """A stopped read ended: the next guess may start (a drill-down waiting for it reads on its own)."""
        self.read_ahead_failed()
        self._start()

    def read_ahead_done(self, filters: tuple[Filter, ...]) -> None:
        """A read ahead ended: the next one may start, and a drill-down waiting for it is drawn."""
        done, self._reading, self._stop = self._reading, None, None
        # Then the one Enter on it leads to, while the cursor is still there: one step on from the
        # row the cursor is on, not a chain down every first row nor a guess from a row it left.
        if done is not None and filters == self._pointed:
            self._want_next(done.data, filters, first=True)
        self._start()
        for screen in self.app.screen_stack:
            if isinstance(screen, DrillScreen) and screen.filters == filters and screen.local is None:
                self.render_drill(screen)

    def read_ahead_failed(self) -> None:
        """Only a guess failed: a drill-down waiting for it reads on its own (and says so if that fails)."""
        self._reading, self._stop = None, None
        for screen in self.app.screen_stack:
            if isinstance(screen, DrillScreen) and screen.local is None:
                self.render_drill(screen)
