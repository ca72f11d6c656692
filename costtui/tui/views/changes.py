"""What changed: the biggest movers up and down, by service, account or region; either the range
against the period before it (`w`: from the dashboard's sums in memory, or read within a drill-down
or tag value) or one day of a chart against the day before (Enter on the chart, read by the app).
The dashboard's range also lists its days that rose or fell most against the day before. `b`
switches the dimension, Enter on a row drills into it (within the same drill-down or tag value; on a
day: that day's movers), `/` filters both lists by name as the tabs' filter bar does, Esc clears the
filter first, then goes back."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Label

from costtui.core.windows import Window
from costtui.model import add_months
from costtui.tui.data import DashboardData, ViewOptions
from costtui.tui.format import compared_text, day_span, period_text
from costtui.tui.rollup import Filter, Row
from costtui.tui.widgets.cost_table import CostTable, KeyColumn
from costtui.tui.widgets.filter_bar import FilterBar
from costtui.tui.widgets.footer import KeyFooter
from costtui.tui.widgets.status import StatusLine, filter_text, status_text

DIMENSIONS = ("service", "account", "region")
RANGE_DIMENSIONS = (*DIMENSIONS, "day")  # the range's days (or months) against the one before each
COLUMNS = {"day": [KeyColumn("Day", "day")],"service": [KeyColumn("Provider", "provider"), KeyColumn("Service", "service")],
           "account": [KeyColumn("Provider", "provider"), KeyColumn("Account", "account"),
                       KeyColumn("Name", "account_name")],
           "region": [KeyColumn("Provider", "provider"), KeyColumn("Region", "region")]}
MOVERS = 10  # rows in each of the two lists (of those the `/` filter leaves)


def movers(rows: list[Row]) -> tuple[list[Row], list[Row]]:
    """(rises, falls): the groups whose cost moved up and down, in money (largest first); each table
    shows the first MOVERS of them that its name filter leaves."""
    rises = sorted((r for r in rows if r.cost > r.previous), key=lambda r: (r.previous - r.cost, r.currency))
    falls = sorted((r for r in rows if r.cost < r.previous), key=lambda r: (r.cost - r.previous, r.currency))
    return rises, falls


def bucket_window(bucket: str) -> Window:
    """The days of a chart bucket: `2026-11-12` is one day, `2026-11` its month."""
    if len(bucket) == len("2026-11-12"):
        day = date.fromisoformat(bucket)
        return Window(day, day, f"{day:%d %b %Y}")
    first = date.fromisoformat(f"{bucket}-01")
    return Window(first, add_months(first, 1) - timedelta(days=1), f"{first:%B %Y}")


def _span(window: Window) -> str:
    return day_span(window.start, window.end)


def _compared_spans(window: Window, before: Window) -> str:
    """`16 Oct - 14 Nov 2026 vs 16 Sep - 15 Oct`: each year said once, where it is not plain."""
    same_year = before.start.year == before.end.year == window.end.year
    return f"{period_text(window.start, window.end)} vs {_span(before) if same_year else period_text(before.start, before.end)}"


class ChangesScreen(Screen[None]):
    """Movers of `window` (None: the dashboard's range) against the period before it."""

    BINDINGS = [
        Binding("escape", "app.back", "Back", tooltip="Back to the dashboard", id="changes.back"),
        Binding("b", "next_dimension", "By…", tooltip="Movers by service, account or region", id="changes.by"),
    ]

    class Needed(Message):
        """The day's movers by `dimension` are not read yet: the app reads them."""

        def __init__(self, screen: ChangesScreen, dimension: str) -> None:
            super().__init__()
            self.screen = screen
            self.dimension = dimension

    def __init__(self, window: Window | None = None, filters: tuple[Filter, ...] = ()) -> None:
        super().__init__()
        self.window = window  # a day (or month) of a chart; None: the dashboard's range
        self.filters = filters  # opened in a drill-down or tag value: its movers within it
        self.dimension = DIMENSIONS[0]
        self.rows: dict[str, list[Row]] = {}  # a day's movers per dimension, as the app read them
        self.options: ViewOptions | None = None  # the choices `rows` were read for (set by the app)
        self.shown: DashboardData | None = None
        self.now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield StatusLine("", id="status")
        with Vertical(id="changes-body"):
            yield Label("", id="changes-title", classes="section-title")
            yield Label("Biggest rises", classes="section-title")
            yield CostTable(COLUMNS[self.dimension], drill=self.drill, limit=MOVERS, delta=True, id="rises")
            yield Label("Biggest falls", classes="section-title")
            yield CostTable(COLUMNS[self.dimension], drill=self.drill, limit=MOVERS, delta=True, id="falls")
        yield FilterBar(id="filter")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#rises", CostTable).focus(scroll_visible=False)

    @property
    def from_memory(self) -> bool:
        """The whole range's movers come from the dashboard's sums; a day's, or those within a
        drill-down or tag value, are read (the core's `changes`)."""
        return self.window is None and not self.filters

    @property
    def dimensions(self) -> tuple[str, ...]:
        return RANGE_DIMENSIONS if self.from_memory else DIMENSIONS

    @property
    def drill(self) -> tuple[str, ...]:
        return ("day",) if self.dimension == "day" else ("provider", self.dimension)

    def compared(self, data: DashboardData) -> tuple[Window, Window]:
        window = self.window or data.window
        return window, window.previous()

    def show(self, data: DashboardData, now: datetime) -> None:
        self.shown, self.now = data, now
        window, before = self.compared(data)
        self._show_status()
        if self.from_memory and self.dimension == "day":
            rows = data.bucket_changes()
        elif self.from_memory:
            rows = data.breakdown(("provider", self.dimension)) or []
        elif self.dimension in self.rows:
            rows = self.rows[self.dimension]
        else:
            self.query_one("#changes-title", Label).update(f"What changed in {_span(window)}: reading…")
            self.post_message(self.Needed(self, self.dimension))
            return
        following = self.dimensions[(self.dimensions.index(self.dimension) + 1) % len(self.dimensions)]
        if self.dimension == "day":
            grain = "month" if data.options.granularity == "month" else "day"
            title = f"What changed by {grain}: each vs the {grain} before, {_span(window)}"
        else:
            title = f"What changed by {self.dimension}: {_compared_spans(window, before)}"
            if self.filters:
                title += f" in {filter_text(self.filters)}"
        # The period before partly uncached: the moves in money are what the cache holds, no percentages.
        data_from = data.partial_before_of(window)
        if data_from is not None:
            title += f"; {compared_text(window.days, data_from)}"
        self.query_one("#changes-title", Label).update(f"{title} (b: by {following})")
        rises, falls = movers(rows)
        for table_id, found in (("#rises", rises), ("#falls", falls)):
            table = self.query_one(table_id, CostTable)
            table.sort_column, table.sort_reverse = "delta", table_id == "#falls"
            table.show(found, compared=data_from is None)

    def _show_status(self) -> None:
        if self.shown is not None and self.now is not None:
            note = self.query_one(FilterBar).note
            self.query_one(StatusLine).update(status_text(self.shown, self.now, extra=note))

    @on(FilterBar.Changed)
    def _filter_changed(self, event: FilterBar.Changed) -> None:
        """Both lists narrow as you type; the status line notes the filter."""
        for table in self.query(CostTable):
            table.set_filter(event.value)
        self._show_status()

    def action_next_dimension(self) -> None:
        self.dimension = self.dimensions[(self.dimensions.index(self.dimension) + 1) % len(self.dimensions)]
        for table_id in ("#rises", "#falls"):
            table = self.query_one(table_id, CostTable)
            table.key_columns = tuple(COLUMNS[self.dimension])
            table.drill = self.drill
        if self.shown is not None and self.now is not None:
            self.show(self.shown, self.now)
