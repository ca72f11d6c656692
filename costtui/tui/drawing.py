"""Draws the app's data on the tabs: the status line, the banner, the tab labels, the tab shown (each
other tab when it is shown), the month-end forecast once the keys pause; and, in place of the tabs,
the empty and unreadable states. The app owns one Drawing and calls it when data or options change."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from textual.timer import Timer
from textual.widgets import Static, TabbedContent

from costtui.tui.data import DashboardData
from costtui.tui.keys import TABS
from costtui.tui.reads import forecast_key
from costtui.tui.views.breakdown import BreakdownView
from costtui.tui.views.tags import TagsView
from costtui.tui.views.trends import TrendsView
from costtui.tui.widgets.alerts import AlertList
from costtui.tui.widgets.filter_bar import FilterBar
from costtui.tui.widgets.status import Banner, StatusLine, empty_message, stale_problems, status_text

if TYPE_CHECKING:
    from costtui.tui.app import CostApp

PANES = (*TABS, "tags")  # the Tags tab shows only for a cache with tag keys
FORECAST_DELAY_SECONDS = 0.5
# After new data, once no new data came for this long, the hidden tabs are drawn one at a time (a
# table's fill, ~15-25 ms each on 10M rows), so showing one later only lays it out. Tags read the cache: not them.
HIDDEN_DRAW_SECONDS = 0.3


class Drawing:
    """The app's data on screen, drawn only where it is seen."""

    def __init__(self, app: CostApp) -> None:
        self.app = app
        self.forecasts: dict[tuple, dict[tuple, Decimal]] = {}  # forecast_key -> the month-end forecast
        self._stale_tabs: set[str] = set()
        self._forecast_timer: Timer | None = None
        self._hidden_timer: Timer | None = None

    def draw(self) -> None:
        """Every view from the current data and options; drill-downs open on the stack too."""
        app = self.app
        data = app.data
        if data is None:
            return
        app.sub_title = f"{data.options.metric} cost, {'gross' if data.options.gross else 'net'}"
        self._draw_status(data)
        app.query_one(TabbedContent).get_tab("alerts").label = f"Alerts ({len(data.alert_events)})"
        # Only what is on screen is drawn now; the other tabs when they are shown.
        self._stale_tabs = set(PANES)
        app.navigation.render_top()
        self._draw_hidden_later()

    def _draw_hidden_later(self) -> None:
        if self._hidden_timer is not None:
            self._hidden_timer.stop()
        self._hidden_timer = self.app.set_timer(HIDDEN_DRAW_SECONDS, self._draw_one_hidden)

    def _draw_one_hidden(self) -> None:
        """One hidden tab drawn ahead of its showing; then the next, after a pause for the keys."""
        app = self.app
        stack = app.screen_stack
        if not app.is_running or not stack or app.screen is not stack[0]:
            return  # shutting down; or a drill-down on top: the tabs are drawn when uncovered
        active = app.query_one(TabbedContent).active
        tab = next((t for t in TABS if t in self._stale_tabs and t != active), None)
        if tab is not None:
            self.draw_tab(tab)
            self._draw_hidden_later()

    def draw_tab(self, tab: str) -> None:
        app = self.app
        data = app.data
        if data is None or tab not in self._stale_tabs:
            return
        self._stale_tabs.discard(tab)
        if tab == "trends":
            forecasts = self.forecasts.get(forecast_key(app.options))
            if forecasts is None:
                self._schedule_forecast()
            app.query_one(TrendsView).show(data, forecasts)
        elif tab == "alerts":
            app.query_one(AlertList).show(data.alert_events)
        elif tab == "tags":
            app.query_one(TagsView).show(app.options, app.today)
        else:
            app.query_one(f"#{tab}-view", BreakdownView).show(data)

    def _schedule_forecast(self) -> None:
        """The forecast is a heavy read (~0.1-0.3 s on 10M rows): start it once the keys have stopped
        for a moment, not beside a drill-down's drawing or the read ahead of where Enter leads."""
        app = self.app
        if self._forecast_timer is not None:
            self._forecast_timer.stop()
        options = app.options

        def start() -> None:
            if options != app.options or forecast_key(options) in self.forecasts:
                return
            if (quiet := app.keys_quiet_for()) < FORECAST_DELAY_SECONDS:
                self._forecast_timer = app.set_timer(FORECAST_DELAY_SECONDS - quiet, start)
                return
            app.load_forecast(options)

        self._forecast_timer = app.set_timer(FORECAST_DELAY_SECONDS, start)

    def forecast_read(self, key: tuple, forecasts: dict[tuple, Decimal]) -> None:
        app = self.app
        self.forecasts[key] = forecasts
        if app.data is not None and key == forecast_key(app.options):
            app.query_one(TrendsView).show_forecast(app.data, forecasts)

    def trends_read(self, data: DashboardData) -> None:
        """Sums by time bucket were read for `data`: the sparklines on screen drawn from it."""
        screen = self.app.screen
        for view in (*screen.query(BreakdownView), *screen.query(TrendsView)):
            if view.shown is not None and view.shown.options == data.options:
                view.show_trends()

    def tag_keys_found(self, keys: tuple[str, ...]) -> None:
        """The Tags tab shows only for a cache with tag keys (it stays while shown)."""
        tabs = self.app.query_one(TabbedContent)
        if keys:
            tabs.show_tab("tags")
        elif tabs.active != "tags":
            tabs.hide_tab("tags")

    def tick(self) -> None:
        """The data age moves on; the stale banner appears by itself when the age passes the limit."""
        if self.app.data is not None:
            self._draw_status(self.app.data)

    def _draw_status(self, data: DashboardData) -> None:
        app = self.app
        now = app.clock()
        app.query_one(StatusLine).update(status_text(data, now, extra=self.filter_note()))
        app.query_one(Banner).show_problems(stale_problems(data, now, app.config.cache.max_age_hours))

    def filter_note(self) -> str:
        return self.app.query_one("#filter", FilterBar).note

    def show_no_data(self) -> None:
        """The cache holds no cost data: say how to get some."""
        app = self.app
        self.show_empty(empty_message(app.cache_path))
        app.query_one(StatusLine).update(f"No cost data in {app.cache_path}")
        app.query_one(Banner).show_problems([])

    def show_error(self, text: str) -> None:
        """A failed load keeps what is on screen (if anything) and says why it is not newer."""
        app = self.app
        if app.data is None:
            self.show_empty(f"No data shown: the cache {app.cache_path} could not be read.")
            app.query_one(StatusLine).update("Cache unreadable")
        else:
            text += " (showing the data read before)"
        app.query_one(Banner).show_problems([f"✖ {text}"], error=True)
        app.notify(text, title="Cache error", severity="error", timeout=10)

    def show_empty(self, text: str | None) -> None:
        """Show `text` in place of the tabs, or the tabs again when `text` is None."""
        empty = self.app.query_one("#empty", Static)
        empty.display = text is not None
        empty.update(text or "")
        self.app.query_one("#tabs").display = text is None
