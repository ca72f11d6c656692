"""The dashboard app: loads cache snapshots in a worker and shows them in five tabs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Label, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from costtui.cache import CacheReader
from costtui.config import Config
from costtui.model import CostError
from costtui.tui.data import DashboardData, ViewOptions, load_dashboard
from costtui.tui.messages import DashboardLoaded, LoadFailed
from costtui.tui.screens.help import HelpScreen
from costtui.tui.widgets.alerts import AlertList
from costtui.tui.widgets.cards import MonthToDateCards
from costtui.tui.widgets.chart import DailyCostChart
from costtui.tui.widgets.cost_table import CostTable, KeyColumn
from costtui.tui.widgets.status import Banner, StatusLine, stale_problems

EMPTY_MESSAGE = "No cost data yet. Run `costtui demo` or `costtui refresh`."
TABS = ("trends", "services", "accounts", "regions", "alerts")
SNAPSHOT_POLL_SECONDS = 5.0


def utc_now() -> datetime:
    """Naive UTC, like the cache's timestamps."""
    return datetime.now(UTC).replace(tzinfo=None)


class CostApp(App[None]):
    """Costs from the cache: trends, services, accounts, regions, alerts."""

    CSS_PATH = "app.tcss"
    TITLE = "costtui"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("r", "reload", "Reload", tooltip="Read the cache again", id="reload"),
        Binding(
            "d", "next_range", "Range", tooltip="Next date range: 7, 30, 90 days, month to date", id="range"
        ),
        Binding(
            "m",
            "toggle_metric",
            "Metric",
            tooltip="Billed (invoice) or effective (amortised) cost",
            id="metric",
        ),
        Binding(
            "g",
            "toggle_gross",
            "Net/gross",
            tooltip="Net of credits, or gross (credits left out)",
            id="gross",
        ),
        Binding(
            "p",
            "next_provider",
            "Provider",
            tooltip="Show all providers or the next one alone",
            id="provider",
        ),
        Binding("question_mark", "help", "Keys", tooltip="This list of keys", id="help"),
        *(
            Binding(str(number), f"show_tab('{tab}')", f"{tab.title()} tab", show=False, id=f"tab.{tab}")
            for number, tab in enumerate(TABS, start=1)
        ),
    ]

    def __init__(
        self,
        config: Config,
        cache_path: Path,
        today: date,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__()
        self.config = config
        self.cache_path = Path(cache_path)
        self.today = today
        self.clock = clock
        display = config.display
        self.options = ViewOptions(days=display.default_days, metric=display.metric, gross=display.gross)
        self.data: DashboardData | None = None
        self._generation = 0
        self._snapshot_id = CacheReader(self.cache_path).snapshot_id()

    def compose(self) -> ComposeResult:
        yield Header()
        yield StatusLine("Loading…", id="status")
        yield Banner(id="banner")
        yield Static(EMPTY_MESSAGE, id="empty")
        top = self.config.display.top_services
        with TabbedContent(initial="trends", id="tabs"):
            with TabPane("Trends", id="trends"), VerticalScroll(id="trends-scroll"):
                yield MonthToDateCards(id="mtd")
                yield DailyCostChart(id="chart")
                yield Label(f"Top {top} services", id="top-services-title", classes="section-title")
                yield CostTable(
                    [KeyColumn("Provider", "provider"), KeyColumn("Service", "service")],
                    limit=top,
                    id="top-services",
                )
            with TabPane("Services", id="services"):
                yield CostTable(
                    [KeyColumn("Provider", "provider"), KeyColumn("Service", "service")], id="services-table"
                )
            with TabPane("Accounts", id="accounts"):
                yield CostTable(
                    [
                        KeyColumn("Provider", "provider"),
                        KeyColumn("Account", "account"),
                        KeyColumn("Name", "account_name"),
                    ],
                    id="accounts-table",
                )
            with TabPane("Regions", id="regions"):
                yield CostTable(
                    [KeyColumn("Provider", "provider"), KeyColumn("Region", "region")], id="regions-table"
                )
            with TabPane("Alerts", id="alerts"):
                yield AlertList(id="alert-list")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show_empty(None)
        self.set_interval(SNAPSHOT_POLL_SECONDS, self.reload_if_new_snapshot)
        if self.config.display.auto_refresh_seconds:
            self.set_interval(self.config.display.auto_refresh_seconds, self.action_reload)
        self.action_reload()

    # Loading: a thread worker reads the cache into a plain snapshot and posts it.

    def action_reload(self) -> None:
        self._generation += 1
        self._load(self._generation, self.options)

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def _load(self, generation: int, options: ViewOptions) -> None:
        try:
            data = load_dashboard(self.cache_path, options, self.today)
        except CostError as exc:
            self.post_message(LoadFailed(generation, str(exc)))
            return
        self.post_message(DashboardLoaded(generation, data))

    def reload_if_new_snapshot(self) -> None:
        """Reload when a refresh has published a new cache snapshot since the last look."""
        snapshot = CacheReader(self.cache_path).snapshot_id()
        if snapshot != self._snapshot_id:
            self._snapshot_id = snapshot
            self.action_reload()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == "load":
            error = event.worker.error
            self._show_error(f"Cannot read the cache: {type(error).__name__}: {error}")

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        if message.generation == self._generation:
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
    def _loaded(self, message: DashboardLoaded) -> None:
        if message.generation != self._generation:
            return  # a newer load is on its way
        self.data = data = message.data
        if data is None:
            self._show_empty(EMPTY_MESSAGE)
            self.query_one(StatusLine).update(f"No cost data in {self.cache_path}")
            self.query_one(Banner).show_problems([])
            return
        self._show_empty(None)
        now = self.clock()
        self.sub_title = f"{data.options.metric} cost, {'gross' if data.options.gross else 'net'}"
        self.query_one(StatusLine).show(data, now)
        self.query_one(Banner).show_problems(stale_problems(data, now, self.config.cache.max_age_hours))
        self.query_one(MonthToDateCards).figures = data.month_to_date
        chart_title = f"Daily {data.options.metric} cost by provider"
        self.query_one(DailyCostChart).show(data.daily, chart_title, data.start, data.end)
        self.query_one("#top-services", CostTable).show(data.services, data.totals)
        self.query_one("#services-table", CostTable).show(data.services, data.totals)
        self.query_one("#accounts-table", CostTable).show(data.accounts, data.totals)
        self.query_one("#regions-table", CostTable).show(data.regions, data.totals)
        self.query_one(AlertList).show(data.alert_events)

    # Actions: change the view options and reload.

    def action_next_range(self) -> None:
        self.options = self.options.next_range()
        self.action_reload()

    def action_toggle_metric(self) -> None:
        self.options = self.options.toggled_metric()
        self.action_reload()

    def action_toggle_gross(self) -> None:
        self.options = self.options.toggled_gross()
        self.action_reload()

    def action_next_provider(self) -> None:
        providers = self.data.providers if self.data else ()
        self.options = self.options.next_provider(providers)
        self.action_reload()

    def action_show_tab(self, tab: str) -> None:
        if self.data is not None:
            self.query_one(TabbedContent).active = tab

    def action_help(self) -> None:
        self.push_screen(HelpScreen([b for b in self.BINDINGS if isinstance(b, Binding)]))
