"""The dashboard app: wires the tabs, the global keys, the workers that read the cache and the
handlers of their results; each view renders itself from the one in-memory DashboardData (see
data.py). The jobs behind the handlers and actions have modules of their own: loading.py (loads and
option changes), drawing.py (the data on screen), navigation.py (drill-downs and what changed),
tables.py (the visible table), reads.py (the workers' reads), keys.py (the keys)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import date, datetime
from pathlib import Path

from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, LoadingIndicator, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from costtui.cache.writer import utcnow
from costtui.config import Config
from costtui.core.windows import Window
from costtui.model import CostError
from costtui.tui import tables
from costtui.tui.cancel import StopSignal
from costtui.tui.data import DashboardData, ViewOptions, load_changes, load_dashboard
from costtui.tui.drawing import Drawing
from costtui.tui.drill_screens import DrillScreens
from costtui.tui.export import screenshot_dir
from costtui.tui.keys import APP_KEYS, TABLE_KEYS, palette_commands
from costtui.tui.loading import Loading
from costtui.tui.memory import keep_loaded
from costtui.tui.messages import (
    ChangesLoaded,
    DashboardLoaded,
    DaySumsLoaded,
    DrillAheadLoaded,
    DrillAheadStopped,
    DrillLoaded,
    ForecastLoaded,
    LoadFailed,
    while_running,
)
from costtui.tui.navigation import Navigation
from costtui.tui.reads import (
    READ_GROUPS,
    draw_drill_sparklines,
    forecast_key,
    read_day_sums,
    read_drill_down,
    read_forecast,
    read_other_ranges,
    read_sparklines,
)
from costtui.tui.refresh_runner import RefreshRunner
from costtui.tui.rollup import Filter
from costtui.tui.screens.finding import FindingScreen
from costtui.tui.screens.help import HelpScreen
from costtui.tui.screens.range import RangeScreen
from costtui.tui.screens.too_small import fit_to_size
from costtui.tui.views.breakdown import BreakdownView
from costtui.tui.views.changes import ChangesScreen
from costtui.tui.views.drill import DrillScreen
from costtui.tui.views.tags import NO_TAGS, TagsView
from costtui.tui.views.trends import TrendsView
from costtui.tui.widgets.alerts import AlertList
from costtui.tui.widgets.chart import CostChart
from costtui.tui.widgets.cost_table import CostTable
from costtui.tui.widgets.filter_bar import FilterBar
from costtui.tui.widgets.footer import KeyFooter
from costtui.tui.widgets.scrollbar import use_memo_scroll_bars
from costtui.tui.widgets.status import Banner, StatusLine, empty_message
from costtui.tui.widgets.tabs import DashboardTabs

SNAPSHOT_POLL_SECONDS = 5.0
AGE_TICK_SECONDS = 30.0
# DuckDB's Python client takes the GIL after every task of a query (to check for Ctrl-C, in
# DuckDBPyConnection::CompletePendingQuery), so a worker's read waits for the event loop to hand the
# GIL over once per task: up to the switch interval (5 ms by default) each time the loop is drawing.
# A drill-down read beside a drawing took 2-4x its time alone. At 1 ms the reads go on, on the other
# core, while the loop draws (bench/tui_keys.py, 6 interleaved runs: the two Enters' median
# 115/117 -> 87/67 ms; other keys within noise).
READ_SWITCH_INTERVAL = 0.001


class CostApp(App[None]):
    """Costs from the cache: trends, services, accounts, regions, alerts; drill-downs on top."""

    CSS_PATH = "app.tcss"
    TITLE = "costtui"
    BINDINGS = APP_KEYS

    def __init__(self, config: Config, cache_path: Path, today: date, clock: Callable[[], datetime] = utcnow,
                 config_path: Path | None = None, export_dir: Path | None = None) -> None:
        super().__init__()
        use_memo_scroll_bars()
        self.config = config
        self.cache_path = Path(cache_path)
        self.config_path = config_path
        configured = config.display.export_dir
        self.export_dir = export_dir or (configured.expanduser() if configured else None)
        self.today = today
        self.clock = clock
        display = config.display
        self.options = ViewOptions.from_days(display.default_days, metric=display.metric, gross=display.gross)
        self.data: DashboardData | None = None
        self.last_key_at = 0.0  # time.monotonic() of the last key: heavy reads wait for a pause
        self._switch_interval = sys.getswitchinterval()  # restored on exit
        self.refresh_runner = RefreshRunner(self)
        self.navigation = Navigation(self)
        self.drill_screens = DrillScreens(self)
        self.drawing = Drawing(self)
        self.loading = Loading(self, load_dashboard)

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield StatusLine("Loading…", id="status")
        yield Banner(id="banner")
        yield LoadingIndicator(id="loading")
        yield Static(empty_message(self.cache_path), id="empty")
        with DashboardTabs(initial="trends", id="tabs"):
            with TabPane("Trends", id="trends"):
                yield TrendsView(self.config.display.top_services, self.config.alerts.thresholds, id="trends-view")
            for name in ("services", "accounts", "regions"):
                with TabPane(name.title(), id=name):
                    yield BreakdownView(name, id=f"{name}-view")
            with TabPane("Alerts", id="alerts"):
                yield AlertList(id="alert-list")
            with TabPane("Tags", id="tags"):
                yield TagsView(self.cache_path, id="tags-view")
        yield FilterBar(id="filter")
        yield KeyFooter()

    def on_mount(self) -> None:
        sys.setswitchinterval(READ_SWITCH_INTERVAL)
        self.drawing.show_empty(None)
        self.query_one("#loading").display = False
        self.query_one(TabbedContent).hide_tab("tags")
        self.on_resize()
        self.set_interval(SNAPSHOT_POLL_SECONDS, self.reload_if_new_snapshot)
        self.set_interval(AGE_TICK_SECONDS, self.drawing.tick)
        if self.config.display.auto_refresh_seconds:
            self.set_interval(self.config.display.auto_refresh_seconds, self.action_reload)
        self.action_reload()

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)  # the process's own, for what runs after the dashboard

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.last_key_at = time.monotonic()
        await super().on_event(event)

    def keys_quiet_for(self) -> float:
        """Seconds since the last key."""
        return time.monotonic() - self.last_key_at

    def on_resize(self, event: events.Resize | None = None) -> None:
        # This runs before App takes the new size: read it from the event.
        size = event.size if event is not None else self.size
        fit_to_size(self, size.width, size.height)

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """Screenshots go to ~/Downloads, or to the working directory where there is none."""
        return super().deliver_screenshot(filename, path or str(screenshot_dir()), time_format)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from palette_commands(self)

    # Loading: thread workers read the cache and post plain data; handlers render it.

    def action_reload(self) -> None:
        self.loading.reload()

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load(self, generation: int, options: ViewOptions, started: Future | None = None) -> None:
        try:
            data = started.result() if started is not None else load_dashboard(self.cache_path, options, self.today)
        except CostError as exc:
            self.post_message(LoadFailed(generation, str(exc)))
            return
        self.post_message(DashboardLoaded(generation, data))

    @work(thread=True, exclusive=True, exit_on_error=False, group="forecast")
    def load_forecast(self, options: ViewOptions) -> None:
        self.post_message(ForecastLoaded(forecast_key(options), read_forecast(self.cache_path, options, self.today)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="drill")
    def read_drill(self, screen: DrillScreen, base: DashboardData) -> None:
        self.post_message(DrillLoaded(screen, read_drill_down(self.cache_path, base, self.today, screen.filters)))

    @work(thread=True, exit_on_error=False, group="drill-ahead")
    def read_drill_ahead(self, data: DashboardData, filters: tuple[Filter, ...], stop: StopSignal) -> None:
        """The drill-down of the row the cursor rests on, read while the user looks at it: Enter then
        only draws (see Navigation.pointed). Stopped when the cursor leaves the row."""
        try:
            if filters not in data.drills:
                data.drills[filters] = read_drill_down(self.cache_path, data, self.today, filters, stop)
        except Exception:
            if not stop.stopped:
                raise  # a failed guess (Navigation.read_ahead_failed)
            self.post_message(DrillAheadStopped())  # an interrupted query or a step not taken
            return
        self.post_message(DrillAheadLoaded(data, filters))

    @work(thread=True, exit_on_error=False, group="sparklines")
    def draw_sparklines_ahead(self, drill: DashboardData, filters: tuple[Filter, ...]) -> None:
        """The sparklines of a drill-down read ahead under other choices, drawn for the current ones
        while the cursor rests on its row (Enter then only draws the screen)."""
        draw_drill_sparklines(drill, filters)

    @work(thread=True, exit_on_error=False, group="day-sums")
    def _load_day_sums(self, data: DashboardData, dimensions: tuple[str, ...], filters: tuple[Filter, ...]) -> None:
        read_day_sums(self.cache_path, data, dimensions, filters)
        self.post_message(DaySumsLoaded(data))

    @work(thread=True, exclusive=True, exit_on_error=False, group="read-ahead")
    def read_ahead(self, data: DashboardData, epoch: int) -> None:
        """While the user looks at the first figures: every tab's sparklines for the range just read
        (switching tabs then only draws), then the other preset ranges with theirs (`d` then only
        draws). A few small scans of the rollups, each once per snapshot."""
        read_sparklines(self.cache_path, data)
        self.post_message(DaySumsLoaded(data))
        read_other_ranges(self.cache_path, data, self.today, self.loading.ranges, epoch, load_dashboard)

    @on(BreakdownView.TrendsNeeded)
    def _trends_needed(self, message: BreakdownView.TrendsNeeded) -> None:
        self._load_day_sums(message.data, message.view.dimensions, message.view.filters)

    @on(DaySumsLoaded)
    @while_running
    def _day_sums_loaded(self, message: DaySumsLoaded) -> None:
        self.drawing.trends_read(message.data)

    def reload_if_new_snapshot(self) -> None:
        self.loading.reload_if_new_snapshot()

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.SUCCESS and event.worker.group == "read-ahead":
            keep_loaded()  # the ranges and sparklines read ahead
        if event.worker.is_finished and event.worker.group in READ_GROUPS:
            self.navigation.reads_ended()  # a drill-down read ahead may have waited for it
        if event.state == WorkerState.ERROR and event.worker.group == "drill-ahead":
            self.navigation.read_ahead_failed()
            return
        if event.state == WorkerState.ERROR and event.worker.group in READ_GROUPS:
            error = event.worker.error
            if event.worker.group == "load":
                self.loading.done()
            self.drawing.show_error(f"Cannot read the cache: {type(error).__name__}: {error}")

    @on(LoadFailed)
    @while_running
    def _load_failed(self, message: LoadFailed) -> None:
        self.loading.failed(message.generation, message.message)

    @on(DashboardLoaded)
    @while_running
    def _loaded(self, message: DashboardLoaded) -> None:
        self.loading.loaded(message.generation, message.data)

    @on(ForecastLoaded)
    @while_running
    def _forecast_loaded(self, message: ForecastLoaded) -> None:
        self.drawing.forecast_read(message.key, message.forecasts)

    @on(DrillLoaded)
    @while_running
    def _drill_loaded(self, message: DrillLoaded) -> None:
        self.navigation.drill_loaded(message)

    def action_pick_day(self) -> None:
        self.navigation.pick_day()

    def action_what_changed(self) -> None:
        self.navigation.what_changed()

    @on(CostChart.DayChosen)
    def _day_chosen(self, message: CostChart.DayChosen) -> None:
        self.navigation.day_chosen(message.bucket)

    @on(ChangesScreen.Needed)
    def _changes_needed(self, message: ChangesScreen.Needed) -> None:
        if self.data is not None:
            window, _ = message.screen.compared(self.data)
            self._load_changes(message.screen, message.dimension, self.options, window)

    @work(thread=True, exit_on_error=False, group="changes")
    def _load_changes(self, screen: ChangesScreen, dimension: str, options: ViewOptions, window: Window) -> None:
        rows = load_changes(self.cache_path, options, window, ("provider", dimension), screen.filters)
        self.post_message(ChangesLoaded(screen, dimension, options, rows))

    @on(ChangesLoaded)
    @while_running
    def _changes_loaded(self, message: ChangesLoaded) -> None:
        self.navigation.changes_loaded(message)

    @on(CostTable.Pointed)
    def _pointed(self, message: CostTable.Pointed) -> None:
        self.navigation.pointed(message.filters, message.table)

    @on(DrillAheadStopped)
    @while_running
    def _drill_ahead_stopped(self, message: DrillAheadStopped) -> None:
        self.navigation.read_ahead_stopped()

    @on(DrillAheadLoaded)
    @while_running
    def _drill_read_ahead(self, message: DrillAheadLoaded) -> None:
        self.navigation.read_ahead_done(message.filters)

    # Options: a new range reloads (see Loading.apply); everything else is answered from memory at once.

    def action_next_range(self) -> None:
        self.loading.apply(self.options.next_range())

    def action_custom_range(self) -> None:
        def chosen(window) -> None:
            if window is not None:
                self.loading.apply(self.options.with_window(window))

        self.push_screen(RangeScreen(self.options.window(self.today), self.today), chosen)

    def action_toggle_granularity(self) -> None:
        self.loading.apply(self.options.toggled_granularity())

    def action_toggle_metric(self) -> None:
        self.loading.apply(self.options.toggled_metric())

    def action_toggle_gross(self) -> None:
        self.loading.apply(self.options.toggled_gross())

    def action_toggle_stacked(self) -> None:
        view = self.query_one(TrendsView)
        view.stack = not view.stack
        view.show_chart()  # the chart's title says which

    def action_toggle_log(self) -> None:
        view = self.query_one(TrendsView)
        view.log_scale = not view.log_scale
        view.show_chart()

    def action_next_provider(self) -> None:
        providers = self.data.providers if self.data else ()
        self.loading.apply(self.options.next_provider(providers))

    # Tables: the visible one takes the arrows, sort, filter, export and Enter.

    def action_focus_table(self) -> None:
        tables.focus_table(self)

    @on(TabbedContent.TabActivated)
    def _tab_shown(self) -> None:
        self.drawing.draw_tab(self.query_one(TabbedContent).active or "trends")
        tables.filter_shown_table(self)
        self.call_after_refresh(self.action_focus_table)

    def action_show_tab(self, tab: str) -> None:
        # Also while the first figures load: a key pressed meanwhile is applied, not dropped.
        if not isinstance(self.screen, DrillScreen):
            self.query_one(TabbedContent).active = tab
            self.call_after_refresh(self.action_focus_table)

    def action_show_tags(self) -> None:
        """The Tags tab, which shows only for a cache with tag keys; else say there are none."""
        if self.data is not None and not self.query_one(TabbedContent).get_tab("tags").display:
            self.notify(NO_TAGS, title="No tag keys", timeout=6)
            return
        self.action_show_tab("tags")

    def action_sort(self) -> None:
        if (table := tables.active_table(self)) is not None:
            table.action_next_sort()
            self.notify(table.sort_text, timeout=2)

    def action_reverse_sort(self) -> None:
        if (table := tables.active_table(self)) is not None:
            table.action_reverse_sort()

    def action_filter(self) -> None:
        if bars := self.screen.query(FilterBar):
            bars.first().open()

    @on(FilterBar.Changed)
    def _filter_changed(self, event: FilterBar.Changed) -> None:
        tables.filter_tables(self, event.value)

    @on(FilterBar.Submitted)
    def _filter_done(self) -> None:
        self.action_focus_table()

    def action_back(self) -> None:
        if not tables.clear_filter(self):
            self.navigation.back()

    @on(CostTable.Drill)
    def _drill(self, message: CostTable.Drill) -> None:
        self.navigation.drill(message.filters)

    @on(TagsView.KeysFound)
    def _tag_keys(self, message: TagsView.KeysFound) -> None:
        self.drawing.tag_keys_found(message.keys)

    @on(AlertList.Open)
    def _open_finding(self, message: AlertList.Open) -> None:
        self.push_screen(FindingScreen(message.event))

    def action_export(self) -> None:
        tables.export_table(self)

    def action_refresh(self) -> None:
        self.refresh_runner.start()

    def action_help(self) -> None:
        self.push_screen(HelpScreen([b for b in self.BINDINGS if isinstance(b, Binding)], TABLE_KEYS))
