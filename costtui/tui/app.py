"""The dashboard app: wires the tabs, the global keys and the loading workers; each view renders
itself from the one in-memory DashboardData (see data.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from platformdirs import user_downloads_dir
from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, LoadingIndicator, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from costtui.cache import CacheReader
from costtui.config import Config
from costtui.core.forecast import forecast
from costtui.core.windows import Window
from costtui.model import CostError, CostQuery, add_months
from costtui.tui.data import (
    RANGE_CYCLE,
    DashboardData,
    ViewOptions,
    load_changes,
    load_dashboard,
    load_day_sums,
    load_drill,
)
from costtui.tui.export import export_path, table_csv
from costtui.tui.follow import FollowsOptions
from costtui.tui.memory import keep_loaded, release_loaded
from costtui.tui.messages import (
    ChangesLoaded,
    DashboardLoaded,
    DaySumsLoaded,
    DrillAheadLoaded,
    DrillLoaded,
    ForecastLoaded,
    LoadFailed,
)
from costtui.tui.refresh_runner import RefreshRunner
from costtui.tui.rollup import Filter
from costtui.tui.screens.finding import FindingScreen
from costtui.tui.screens.help import HelpScreen
from costtui.tui.screens.range import RangeScreen
from costtui.tui.screens.too_small import TooSmallScreen, too_small
from costtui.tui.views.breakdown import BREAKDOWNS, BreakdownView
from costtui.tui.views.changes import ChangesScreen
from costtui.tui.views.drill import DrillScreen, answered_in_memory, drill_filters
from costtui.tui.views.tag_detail import TagScreen
from costtui.tui.views.tags import NO_TAGS, TagsView
from costtui.tui.views.trends import TrendsView
from costtui.tui.widgets.alerts import AlertList
from costtui.tui.widgets.chart import CostChart
from costtui.tui.widgets.cost_table import CostTable
from costtui.tui.widgets.filter_bar import FilterBar
from costtui.tui.widgets.footer import KeyFooter
from costtui.tui.widgets.scrollbar import use_memo_scroll_bars
from costtui.tui.widgets.status import Banner, StatusLine, stale_problems, status_text

TABS = ("trends", "services", "accounts", "regions", "alerts")
PANES = (*TABS, "tags")  # the Tags tab shows only for a cache with tag keys
SNAPSHOT_POLL_SECONDS = 5.0
AGE_TICK_SECONDS = 30.0
LOADING_DELAY_SECONDS = 0.1  # a load this long shows the loading indicator
FORECAST_DELAY_SECONDS = 0.5
READ_AHEAD_DELAY_SECONDS = 0.3
# Drill-downs are read ahead for ranges up to this long: a year's read scans ~4x the rows (0.3-0.5 s
# and ~120 MB more peak RSS on 10M rows, bench/tui_keys.py), too much to spend on a guess.
DRILL_AHEAD_MAX_DAYS = 92
DRILL_AHEAD_DELAY_SECONDS = 0.15  # the cursor rests this long before its row is read ahead
READ_GROUPS = ("load", "drill", "day-sums", "read-ahead", "changes", "forecast")  # the workers that read the cache


def empty_message(cache_path: Path) -> str:
    return (f"No cost data in {cache_path}.\nRun `costtui refresh` to fetch it (or press R), or `costtui demo` "
            "to try the dashboard on synthetic data (it keeps its own demo cache).")


def screenshot_dir() -> Path:
    downloads = Path(user_downloads_dir())
    return downloads if downloads.is_dir() else Path.cwd()


def bucket_window(bucket: str) -> Window:
    """The days of a chart bucket: `2026-11-12` is one day, `2026-11` its month."""
    if len(bucket) == len("2026-11-12"):
        day = date.fromisoformat(bucket)
        return Window(day, day, f"{day:%d %b %Y}")
    first = date.fromisoformat(f"{bucket}-01")
    return Window(first, add_months(first, 1) - timedelta(days=1), f"{first:%B %Y}")


def utc_now() -> datetime:
    """Naive UTC, like the cache's timestamps."""
    return datetime.now(UTC).replace(tzinfo=None)


def while_running(handler: Callable[[CostApp, Any], None]) -> Callable[[CostApp, Any], None]:
    """A worker's result that arrives while the app shuts down (q during a load) finds its widgets
    already removed: drop it rather than fail on the way out."""

    @functools.wraps(handler)
    def handle(app: CostApp, message: Any) -> None:
        if app.is_running:
            handler(app, message)

    return handle


def _key(key: str, action: str, description: str, tooltip: str, show: bool = True) -> Binding:
    return Binding(key, action, description, tooltip=tooltip, show=show, id=action.split("(")[0])


class CostApp(App[None]):
    """Costs from the cache: trends, services, accounts, regions, alerts; drill-downs on top."""

    CSS_PATH = "app.tcss"
    TITLE = "costtui"
    BINDINGS = [
        _key("q", "quit", "Quit", "Leave the dashboard"),
        _key("d", "next_range", "Range", "Next range: 7, 30, 90 days, month to date, last month, 12 months"),
        _key("D", "custom_range", "Dates", "Type a custom range of dates", show=False),
        _key("t", "toggle_granularity", "Day/month", "Daily or monthly chart", show=False),
        _key("x", "toggle_stacked", "Stacked", "Trends chart: providers stacked (top line = total) or split", show=False),
        _key("l", "toggle_log", "Log scale", "Trends chart: log or linear y axis (small providers beside large)",
             show=False),
        _key("c", "pick_day", "Pick a day", "Trends chart: pick a day (← →), Enter: what changed that day vs the day before",
             show=False),
        _key("w", "what_changed", "Changes", "What changed: biggest movers up and down vs the previous period"),
        _key("m", "toggle_metric", "Metric", "Billed (invoice) or effective (amortised) cost"),
        _key("g", "toggle_gross", "Net/gross", "Net of credits, or gross (credits left out)"),
        _key("p", "next_provider", "Provider", "All providers or the next one alone"),
        _key("s", "sort", "Sort", "Sort the table by the next column"),
        _key("S", "reverse_sort", "Reverse", "Reverse the table's sort order", show=False),
        _key("slash", "filter", "Filter", "Filter the table's rows by name"),
        _key("escape", "back", "Back", "Clear the filter, or go back one drill-down step", show=False),
        _key("e", "export", "Export", "Table as CSV (exact values) to display.export_dir, else the working directory",
             show=False),
        _key("r", "reload", "Reload", "Read the cache again", show=False),
        _key("R", "refresh", "Refresh", "Run `costtui refresh` for the configured providers", show=False),
        _key("question_mark", "help", "Keys", "This list of keys"),
        *(_key(str(n), f"show_tab('{tab}')", f"{tab.title()} tab", f"Show the {tab.title()} tab", show=False)
          for n, tab in enumerate(TABS, start=1)),
        _key(str(len(TABS) + 1), "show_tags", "Tags tab", "Show the Tags tab (a cache with tag keys)", show=False),
    ]
    # Keys the tables own, listed in `?` with the app's.
    TABLE_KEYS = [("enter", "Drill down into the row (service, account, region); on Alerts the whole finding"),
                  ("↑ ↓ PgUp PgDn", "Move in the table"),
                  ("← → enter", "Trends chart (after c): move the day cursor; Enter: that day's top movers")]

    def __init__(self, config: Config, cache_path: Path, today: date, clock: Callable[[], datetime] = utc_now,
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
        self.forecasts: dict[tuple, dict[tuple, Decimal]] = {}
        self.loading_data = False
        self._generation = 0
        self._ranges: dict[tuple, DashboardData] = {}  # load_key -> a range read (or read ahead) this snapshot
        self._ranges_epoch = 0  # moves on whenever they are forgotten: a late read ahead is dropped
        self._notice = ""
        self._stale_tabs: set[str] = set()
        self._stale_drills: set[DrillScreen] = set()
        self._forecast_timer: Timer | None = None
        self._drill_wanted: tuple[DashboardData, tuple[Filter, ...]] | None = None  # the row to read ahead next
        self._drill_reading: tuple[DashboardData, tuple[Filter, ...]] | None = None  # the one being read
        self._drill_ahead_waiting = False  # a timer will try again once the other reads are done
        self._snapshot_id = CacheReader(self.cache_path).snapshot_id()
        self.refresh_runner = RefreshRunner(self)
        # The first read starts now, beside Textual's own start-up (DuckDB runs without the GIL):
        # the first figures come ~0.2-0.4 s sooner than from a worker started once mounted.
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="costtui-first-read")
        self._first_read: tuple[ViewOptions, Future] | None = (
            self.options, pool.submit(load_dashboard, self.cache_path, self.options, today))
        pool.shutdown(wait=False)  # the thread ends with its one read

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield StatusLine("Loading…", id="status")
        yield Banner(id="banner")
        yield LoadingIndicator(id="loading")
        yield Static(empty_message(self.cache_path), id="empty")
        with TabbedContent(initial="trends", id="tabs"):
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
        self._show_empty(None)
        self.query_one("#loading").display = False
        self.query_one(TabbedContent).hide_tab("tags")
        self.on_resize()
        self.set_interval(SNAPSHOT_POLL_SECONDS, self.reload_if_new_snapshot)
        self.set_interval(AGE_TICK_SECONDS, self._tick)
        if self.config.display.auto_refresh_seconds:
            self.set_interval(self.config.display.auto_refresh_seconds, self.action_reload)
        self.action_reload()

    def on_resize(self, event: events.Resize | None = None) -> None:
        """Below the minimum size a clear message replaces the dashboard, until the terminal grows.
        (This runs before App takes the new size: read it from the event.)"""
        size = event.size if event is not None else self.size
        small = too_small(size.width, size.height)
        shown = any(isinstance(screen, TooSmallScreen) for screen in self.screen_stack)
        if small and not shown:
            self.push_screen(TooSmallScreen())
        elif not small and shown and isinstance(self.screen, TooSmallScreen):
            self.pop_screen()

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """Screenshots go to ~/Downloads, or to the working directory where there is none."""
        return super().deliver_screenshot(filename, path or str(screenshot_dir()), time_format)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every dashboard action in the command palette, with the key that does it."""
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.action != "quit":
                yield SystemCommand(f"{binding.description} ({self.get_key_display(binding)})",
                                    binding.tooltip, lambda action=binding.action: self.run_action(action))

    # Loading: thread workers read the cache and post plain data; handlers render it.

    def action_reload(self) -> None:
        """Read the cache again: ranges read ahead are forgotten too."""
        self._ranges.clear()
        self._ranges_epoch += 1
        release_loaded()
        self._start_load()

    def _start_load(self) -> None:
        self._generation += 1
        self.loading_data = True
        first, self._first_read = self._first_read, None
        self._load(self._generation, self.options, first[1] if first and first[0] == self.options else None)
        generation = self._generation
        self.set_timer(LOADING_DELAY_SECONDS, lambda: self._show_loading(generation))

    def _show_loading(self, generation: int) -> None:
        if self.loading_data and generation == self._generation:
            self.query_one("#loading").display = True

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def _load(self, generation: int, options: ViewOptions, started: Future | None = None) -> None:
        try:
            data = started.result() if started is not None else load_dashboard(self.cache_path, options, self.today)
        except CostError as exc:
            self.post_message(LoadFailed(generation, str(exc)))
            return
        self.post_message(DashboardLoaded(generation, data))

    @work(thread=True, exclusive=True, exit_on_error=False, group="forecast")
    def _load_forecast(self, options: ViewOptions) -> None:
        selection = CostQuery(providers=options.providers, metric=options.metric, gross=options.gross,
                              group_by=("provider",))
        with CacheReader(self.cache_path).session() as queries:
            result = {key: value.total for key, value in forecast(queries, selection, self.today).items()}
        self.post_message(ForecastLoaded(self._forecast_key(options), result))

    @work(thread=True, exclusive=True, exit_on_error=False, group="drill")
    def _load_drill(self, screen: DrillScreen, base: DashboardData) -> None:
        self.post_message(DrillLoaded(screen, load_drill(self.cache_path, base, self.today, screen.filters)))

    @work(thread=True, exit_on_error=False, group="drill-ahead")
    def _read_drill_ahead(self, data: DashboardData, filters: tuple[Filter, ...]) -> None:
        """The drill-down of the row the cursor rests on, read while the user looks at it: Enter then
        only draws (see _start_drill_ahead)."""
        if filters not in data.drills:
            data.drills[filters] = load_drill(self.cache_path, data, self.today, filters)
        self.post_message(DrillAheadLoaded(data, filters))

    @work(thread=True, exit_on_error=False, group="day-sums")
    def _load_day_sums(self, data: DashboardData, dimensions: tuple[str, ...], filters: tuple[Filter, ...]) -> None:
        key = data.day_sums_key(dimensions, filters)
        if key not in data.day_sums:
            data.day_sums[key] = load_day_sums(self.cache_path, data, dimensions, filters)
        data.trend_lines(dimensions, filters)  # drawn here, off the keys' path
        self.post_message(DaySumsLoaded(data))

    @work(thread=True, exclusive=True, exit_on_error=False, group="read-ahead")
    def _read_ahead(self, data: DashboardData, epoch: int) -> None:
        """While the user looks at the first figures: every tab's sparklines for the range just read
        (switching tabs then only draws), then the other preset ranges with theirs (`d` then only
        draws). A few small scans of the rollups, each once per snapshot."""
        self._read_sparklines(data)
        self.post_message(DaySumsLoaded(data))
        for preset in RANGE_CYCLE:
            options = replace(data.options, preset=preset, custom=None)
            key = options.load_key(self.today)
            if key in self._ranges or epoch != self._ranges_epoch:
                continue
            other = load_dashboard(self.cache_path, options, self.today)
            if other is None:
                return
            self._read_sparklines(other)
            if epoch == self._ranges_epoch:  # not read from a snapshot replaced meanwhile
                self._ranges[key] = other

    def _read_sparklines(self, data: DashboardData) -> None:
        for dimensions, _, _ in BREAKDOWNS.values():
            key = data.day_sums_key(dimensions, ())
            if key not in data.day_sums:
                data.day_sums[key] = load_day_sums(self.cache_path, data, dimensions, ())
            data.trend_lines(dimensions)

    @on(BreakdownView.TrendsNeeded)
    def _trends_needed(self, message: BreakdownView.TrendsNeeded) -> None:
        view = message.view
        self._load_day_sums(message.data, view.dimensions, view.filters)

    @on(DaySumsLoaded)
    @while_running
    def _day_sums_loaded(self, message: DaySumsLoaded) -> None:
        for view in (*self.screen.query(BreakdownView), *self.screen.query(TrendsView)):
            if view.shown is not None and view.shown.options == message.data.options:
                view.show_trends()

    def reload_if_new_snapshot(self) -> None:
        """Reload in place when a refresh has published a new cache snapshot since the last look."""
        snapshot = CacheReader(self.cache_path).snapshot_id()
        if snapshot != self._snapshot_id:
            self._snapshot_id = snapshot
            self._notice = "New data from a refresh: reloaded"
            self.forecasts.clear()
            self.action_reload()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.SUCCESS and event.worker.group == "read-ahead":
            keep_loaded()  # the ranges and sparklines read ahead
        if event.state == WorkerState.ERROR and event.worker.group == "drill-ahead":
            # Only a guess failed: a drill-down waiting for it reads on its own (and says so if that fails).
            self._drill_reading = None
            for screen in self.screen_stack:
                if isinstance(screen, DrillScreen) and screen.local is None:
                    self._render_drill(screen)
            return
        if event.state == WorkerState.ERROR and event.worker.group in ("load", "forecast", "drill", "changes", "day-sums", "read-ahead"):
            error = event.worker.error
            if event.worker.group == "load":
                self.loading_data = False
                self.query_one("#loading").display = False
            self._show_error(f"Cannot read the cache: {type(error).__name__}: {error}")

    @on(LoadFailed)
    @while_running
    def _load_failed(self, message: LoadFailed) -> None:
        if message.generation == self._generation:
            self.loading_data = False
            self.query_one("#loading").display = False
            self._show_error(message.message)

    def _show_error(self, text: str) -> None:
        """A failed load keeps what is on screen (if anything) and says why it is not newer."""
        if self.data is None:
            self._show_empty(f"No data shown: the cache {self.cache_path} could not be read.")
            self.query_one(StatusLine).update("Cache unreadable")
        else:
            text += " (showing the data read before)"
        self.query_one(Banner).show_problems([f"✖ {text}"], error=True)
        self.notify(text, title="Cache error", severity="error", timeout=10)

    def _show_empty(self, text: str | None) -> None:
        """Show `text` in place of the tabs, or the tabs again when `text` is None."""
        empty = self.query_one("#empty", Static)
        empty.display = text is not None
        empty.update(text or "")
        self.query_one("#tabs").display = text is None

    @on(DashboardLoaded)
    @while_running
    def _loaded(self, message: DashboardLoaded) -> None:
        if message.generation != self._generation:
            return  # a newer load is on its way
        self.loading_data = False
        self.query_one("#loading").display = False
        data = message.data
        if data is None:
            self.data = None
            self._show_empty(empty_message(self.cache_path))
            self.query_one(StatusLine).update(f"No cost data in {self.cache_path}")
            self.query_one(Banner).show_problems([])
            return
        first = self.data is None
        self.data = data.with_options(self.options)  # keys pressed while it loaded are applied
        self._show_empty(None)
        self.query_one(TagsView).forget()  # read again when shown; learn the keys now
        self._ranges[data.options.load_key(self.today)] = data
        self._render()
        keep_loaded()
        shown, epoch = self.data, self._ranges_epoch
        # After the first figures are drawn: the reads ahead would compete with that drawing.
        self.set_timer(READ_AHEAD_DELAY_SECONDS, lambda: self._read_ahead(shown, epoch) if self.data is not None else None)
        if first:
            self.action_focus_table()
            # Again once drawn: a read that beats the screen's start-up would lose the focus to
            # Textual's auto-focus (the tab bar), and the arrows would move tabs, not rows.
            self.call_after_refresh(self.action_focus_table)
        if self._notice:
            self.notify(self._notice, timeout=4)
            self._notice = ""

    @on(ForecastLoaded)
    @while_running
    def _forecast_loaded(self, message: ForecastLoaded) -> None:
        self.forecasts[message.key] = message.forecasts
        if self.data is not None and message.key == self._forecast_key(self.options):
            self.query_one(TrendsView).show_forecast(self.data, message.forecasts)

    @on(DrillLoaded)
    @while_running
    def _drill_loaded(self, message: DrillLoaded) -> None:
        message.screen.local = message.data
        if self.data is not None and self.data.window == message.data.window:
            self.data.drills.setdefault(message.screen.filters, message.data)  # back to it: no read
        if self.data is not None and message.screen.is_attached:
            message.screen.show(self.data, self.clock())

    def _forecast_key(self, options: ViewOptions) -> tuple:
        return (options.metric, options.gross, options.provider)

    def _render(self) -> None:
        """Every view from the current data and options; drill-downs open on the stack too."""
        data = self.data
        if data is None:
            return
        now = self.clock()
        self.sub_title = f"{data.options.metric} cost, {'gross' if data.options.gross else 'net'}"
        self.query_one(StatusLine).update(status_text(data, now, extra=self._filter_note()))
        self.query_one(Banner).show_problems(stale_problems(data, now, self.config.cache.max_age_hours))
        self.query_one(TabbedContent).get_tab("alerts").label = f"Alerts ({len(data.alert_events)})"
        # Only what is on screen is drawn now; the other tabs when they are shown.
        self._stale_tabs = set(PANES)
        screen = self.screen
        if isinstance(screen, DrillScreen):
            self._render_drill(screen)
            self._stale_drills = {s for s in self.screen_stack if isinstance(s, DrillScreen)} - {screen}
        elif isinstance(screen, ChangesScreen):
            self._render_changes(screen)
        else:
            self._render_tab(self.query_one(TabbedContent).active or "trends")

    def _render_tab(self, tab: str) -> None:
        data = self.data
        if data is None or tab not in self._stale_tabs:
            return
        self._stale_tabs.discard(tab)
        if tab == "trends":
            forecasts = self.forecasts.get(self._forecast_key(self.options))
            if forecasts is None:
                self._schedule_forecast()
            self.query_one(TrendsView).show(data, forecasts)
        elif tab == "alerts":
            self.query_one(AlertList).show(data.alert_events)
        elif tab == "tags":
            self.query_one(TagsView).show(self.options, self.today)
        else:
            self.query_one(f"#{tab}-view", BreakdownView).show(data)

    def _schedule_forecast(self) -> None:
        """The forecast is a heavy read: start it once the keys have stopped for a moment."""
        if self._forecast_timer is not None:
            self._forecast_timer.stop()
        options = self.options

        def start() -> None:
            if options == self.options and self._forecast_key(options) not in self.forecasts:
                self._load_forecast(options)

        self._forecast_timer = self.set_timer(FORECAST_DELAY_SECONDS, start)

    def _render_changes(self, screen: ChangesScreen) -> None:
        assert self.data is not None
        if screen.options != self.options:
            screen.rows.clear()  # a day's movers were read for other choices
            screen.options = self.options
        screen.show(self.data, self.clock())

    def action_pick_day(self) -> None:
        if self.data is None or isinstance(self.screen, (DrillScreen, ChangesScreen)):
            return
        self.query_one(TabbedContent).active = "trends"
        chart = self.query_one("#chart", CostChart)
        chart.focus()
        if chart.cursor is None:
            chart.action_move_cursor(0)

    def action_what_changed(self) -> None:
        if self.data is None:
            return
        self._open_changes(ChangesScreen())

    @on(CostChart.DayChosen)
    def _day_chosen(self, message: CostChart.DayChosen) -> None:
        if self.data is not None:
            screen = self.screen
            filters = screen.filters if isinstance(screen, DrillScreen) else ()
            self._open_changes(ChangesScreen(bucket_window(message.bucket), filters))

    def _open_changes(self, screen: ChangesScreen) -> None:
        screen.options = self.options
        self.push_screen(screen)
        self.call_later(self._render_changes, screen)

    @on(ChangesScreen.Needed)
    def _changes_needed(self, message: ChangesScreen.Needed) -> None:
        self._load_changes(message.screen, message.dimension, self.options)

    @work(thread=True, exit_on_error=False, group="changes")
    def _load_changes(self, screen: ChangesScreen, dimension: str, options: ViewOptions) -> None:
        assert screen.window is not None
        rows = load_changes(self.cache_path, options, screen.window, ("provider", dimension), screen.filters)
        self.post_message(ChangesLoaded(screen, dimension, options, rows))

    @on(ChangesLoaded)
    @while_running
    def _changes_loaded(self, message: ChangesLoaded) -> None:
        screen = message.screen
        if message.options == screen.options:
            screen.rows[message.dimension] = message.rows
            if screen.is_attached and self.data is not None:
                screen.show(self.data, self.clock())

    def _render_drill(self, screen: DrillScreen) -> None:
        data = self.data
        if data is None:
            return
        if screen.local is None or screen.local.window != data.window:
            screen.local = data.drills.get(screen.filters)
        if not screen.show(data, self.clock()):
            reading = self._drill_reading
            if reading is not None and reading[0].window == data.window and reading[1] == screen.filters:
                return  # read ahead already: DrillAheadLoaded draws it
            self._load_drill(screen, data)

    @on(CostTable.Pointed)
    def _pointed(self, message: CostTable.Pointed) -> None:
        """Read ahead the drill-down of the row under the cursor when the sums in memory cannot answer
        it (on 10M rows such a read takes ~0.1 s; Enter comes later)."""
        data, screen = self.data, self.screen
        if data is None or self.loading_data or not message.filters or message.filters[0][0] == "day":
            return  # a day's row opens its movers, not a drill-down
        if data.window.days > DRILL_AHEAD_MAX_DAYS:
            return
        if screen is not self.screen_stack[0] and not isinstance(screen, DrillScreen):
            return
        base: tuple[Filter, ...] = screen.filters if isinstance(screen, DrillScreen) else ()
        filters = drill_filters(base, self.options.provider, message.filters)
        if filters in data.drills or answered_in_memory(data, filters):
            return
        self._drill_wanted = (data, filters)
        self._wait_for_drill_ahead()

    def _wait_for_drill_ahead(self) -> None:
        if not self._drill_ahead_waiting:
            self._drill_ahead_waiting = True
            self.set_timer(DRILL_AHEAD_DELAY_SECONDS, self._retry_drill_ahead)

    def _start_drill_ahead(self) -> None:
        """One read ahead at a time, once the cursor has rested a moment and no other read runs: it
        is a guess, and reads side by side add up their memory (peak RSS)."""
        if self._drill_wanted is None or self._drill_reading is not None:
            return  # nothing wanted, or one is read now (its end starts the next)
        if any(worker.group in READ_GROUPS and not worker.is_finished for worker in self.workers):
            self._wait_for_drill_ahead()
            return
        wanted, self._drill_wanted = self._drill_wanted, None
        if wanted[1] not in wanted[0].drills:
            self._drill_reading = wanted
            self._read_drill_ahead(*wanted)

    def _retry_drill_ahead(self) -> None:
        self._drill_ahead_waiting = False
        self._start_drill_ahead()

    @on(DrillAheadLoaded)
    @while_running
    def _drill_read_ahead(self, message: DrillAheadLoaded) -> None:
        self._drill_reading = None
        self._start_drill_ahead()
        for screen in self.screen_stack:
            if isinstance(screen, DrillScreen) and screen.filters == message.filters and screen.local is None:
                self._render_drill(screen)

    def _tick(self) -> None:
        """The data age moves on; the stale banner appears by itself when the age passes the limit."""
        if self.data is not None:
            now = self.clock()
            self.query_one(StatusLine).update(status_text(self.data, now, extra=self._filter_note()))
            self.query_one(Banner).show_problems(stale_problems(self.data, now, self.config.cache.max_age_hours))

    def _filter_note(self) -> str:
        return self.query_one("#filter", FilterBar).note

    # Options: a new range reloads; everything else is answered from memory at once.

    def _apply(self, options: ViewOptions) -> None:
        old = self.options
        self.options = options
        for screen in self.screen_stack:  # screens with reads of their own (the tag drill-downs)
            if isinstance(screen, FollowsOptions):
                screen.follow(options)
        key = options.load_key(self.today)
        if self.data is None or self.loading_data or (key != old.load_key(self.today) and key not in self._ranges):
            self._start_load()
            return
        if key != old.load_key(self.today):
            self.data = self._ranges[key]  # read ahead (or before): drawn at once
        self.data = self.data.with_options(options)
        self._render()

    def action_next_range(self) -> None:
        self._apply(self.options.next_range())

    def action_custom_range(self) -> None:
        def chosen(window) -> None:
            if window is not None:
                self._apply(self.options.with_window(window))

        self.push_screen(RangeScreen(self.options.window(self.today), self.today), chosen)

    def action_toggle_granularity(self) -> None:
        self._apply(self.options.toggled_granularity())

    def action_toggle_metric(self) -> None:
        self._apply(self.options.toggled_metric())

    def action_toggle_gross(self) -> None:
        self._apply(self.options.toggled_gross())

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
        self._apply(self.options.next_provider(providers))

    # Tables: the visible one takes the arrows, sort, filter, export and Enter.

    def active_table(self) -> CostTable | None:
        screen = self.screen
        if isinstance(screen, (DrillScreen, ChangesScreen, TagScreen)):
            return screen.focused if isinstance(screen.focused, CostTable) else screen.query(CostTable).first()
        pane_id = self.query_one(TabbedContent).active
        if not pane_id:
            return None
        pane = self.query_one(f"#{pane_id}", TabPane)
        if isinstance(screen.focused, CostTable) and pane in screen.focused.ancestors:
            return screen.focused  # not one left focused on a tab just hidden
        tables = list(pane.query(CostTable))
        return tables[0] if tables else None

    def action_focus_table(self) -> None:
        if isinstance(self.screen.focused, CostChart) and self.query_one(TabbedContent).active == "trends":
            return  # picking a day on the Trends chart (`c`)
        table = self.active_table()
        if table is not None:
            table.focus(scroll_visible=False)
        elif self.query_one(TabbedContent).active == "alerts":
            self.query_one("#alerts-table").focus()

    @on(TabbedContent.TabActivated)
    def _tab_shown(self) -> None:
        self._render_tab(self.query_one(TabbedContent).active or "trends")
        bar = self.query_one("#filter", FilterBar)
        table = self.active_table()
        if table is not None:
            table.set_filter(bar.value)
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
        if (table := self.active_table()) is not None:
            table.action_next_sort()
            self.notify(table.sort_text, timeout=2)

    def action_reverse_sort(self) -> None:
        if (table := self.active_table()) is not None:
            table.action_reverse_sort()

    def action_filter(self) -> None:
        if bars := self.screen.query(FilterBar):
            bars.first().open()

    @on(FilterBar.Changed)
    def _filter_changed(self, event: FilterBar.Changed) -> None:
        screen = self.screen
        tables = [t for t in screen.query(CostTable)] if isinstance(screen, DrillScreen) else []
        table = self.active_table()
        for target in [*tables, *([table] if table else [])]:
            target.set_filter(event.value)
        if self.data is not None and not isinstance(screen, DrillScreen):
            self.query_one(StatusLine).update(status_text(self.data, self.clock(), extra=self._filter_note()))

    @on(FilterBar.Submitted)
    def _filter_done(self) -> None:
        self.action_focus_table()

    def action_back(self) -> None:
        bar = self.screen.query(FilterBar).first() if self.screen.query(FilterBar) else None
        if bar is not None and (bar.active or bar.has_class("-visible")):
            bar.action_clear_filter()
            return
        if isinstance(self.screen, (DrillScreen, ChangesScreen)):
            self.pop_screen()
            self._render_uncovered()
            # The uncovered screen's table takes the arrows again, whatever took the focus meanwhile.
            self.call_after_refresh(self.action_focus_table)

    def _render_uncovered(self) -> None:
        """The screen a back step uncovers catches up with what changed meanwhile."""
        screen = self.screen
        if isinstance(screen, DrillScreen):
            if screen in self._stale_drills:
                self._stale_drills.discard(screen)
                self._render_drill(screen)
        elif isinstance(screen, ChangesScreen):
            self._render_changes(screen)
        else:
            self._render_tab(self.query_one(TabbedContent).active or "trends")

    @on(CostTable.Drill)
    def _drill(self, message: CostTable.Drill) -> None:
        screen = self.screen
        if message.filters and message.filters[0][0] == "day":  # a row of a daily table: its movers
            self._open_changes(ChangesScreen(bucket_window(message.filters[0][1])))
            return
        base: tuple[Filter, ...] = screen.filters if isinstance(screen, DrillScreen) else ()
        filters = drill_filters(base, self.options.provider, message.filters)
        self.push_screen(DrillScreen(filters, ready=self._render_drill))

    @on(TagsView.KeysFound)
    def _tag_keys(self, message: TagsView.KeysFound) -> None:
        tabs = self.query_one(TabbedContent)
        if message.keys:
            tabs.show_tab("tags")
        elif tabs.active != "tags":
            tabs.hide_tab("tags")

    @on(AlertList.Open)
    def _open_finding(self, message: AlertList.Open) -> None:
        self.push_screen(FindingScreen(message.event))

    def action_export(self) -> None:
        table = self.active_table()
        if table is None or self.data is None:
            self.notify("Nothing to export on this tab", severity="warning")
            return
        view = next((a for a in table.ancestors if isinstance(a, BreakdownView | TagsView)), None)
        group_by = view.dimensions if view else table.drill or ("provider", "service")
        name = view.breakdown if view else "top-services"
        if isinstance(self.screen, ChangesScreen):
            name = f"{table.id}-by-{self.screen.dimension}"  # rises or falls
        folder = self.export_dir or Path.cwd()
        if not folder.is_dir():
            self.notify(f"Cannot export: the folder {folder} (display.export_dir) does not exist", severity="error")
            return
        path = export_path(folder, name, self.clock())
        try:
            path.write_text(table_csv(table.rows_shown, group_by, self.options.metric))
        except OSError as error:
            self.notify(f"Cannot write {path}: {error.strerror}", severity="error")
            return
        self.notify(f"Wrote {len(table.rows_shown)} rows to {path}", title="Exported", timeout=6)

    def action_refresh(self) -> None:
        self.refresh_runner.start()

    def action_help(self) -> None:
        self.push_screen(HelpScreen([b for b in self.BINDINGS if isinstance(b, Binding)], self.TABLE_KEYS))
