"""A drill-down: one provider, service, account or region of the range, with its chart and the
breakdowns that explain it; Enter drills further (filters stack), Esc goes back one step."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Header

from costtui.tui.data import DashboardData
from costtui.tui.rollup import Filter
from costtui.tui.views.breakdown import BREAKDOWNS, BreakdownView
from costtui.tui.widgets.chart import CostChart
from costtui.tui.widgets.cost_table import CostTable, cost_order, row_filters
from costtui.tui.widgets.filter_bar import FilterBar
from costtui.tui.widgets.footer import KeyFooter
from costtui.tui.widgets.status import StatusLine, filter_text, status_text

# What explains a drilled dimension: a service by its accounts and regions, and so on.
EXPLAINED_BY = {
    "service": ("accounts", "regions"),
    "account": ("services", "regions"),
    "region": ("services", "accounts"),
    "provider": ("services", "accounts", "regions"),
}


def drilled(filters: tuple[Filter, ...]) -> str:
    """The dimension the last step drilled into (a row's provider comes along with it)."""
    dimensions = [dimension for dimension, _ in filters]
    return next((d for d in reversed(dimensions) if d != "provider"), "provider")


def drill_filters(base: tuple[Filter, ...], provider: str, row: tuple[Filter, ...]) -> tuple[Filter, ...]:
    """What Enter on a row opens: the filters of the screen it was pressed on (or the dashboard's
    provider choice), then the row's own."""
    if provider != "all" and not base:
        base = (("provider", provider),)
    return base + tuple(f for f in row if f not in base)


def answered_in_memory(data: DashboardData, filters: tuple[Filter, ...]) -> bool:
    """The dashboard's sums answer this drill-down's chart and tables (no read of its own)."""
    return data.daily(filters) is not None and all(
        data.source(BREAKDOWNS[name][0], filters) is not None for name in EXPLAINED_BY[drilled(filters)])


def top_row(drill: DashboardData, filters: tuple[Filter, ...], provider: str) -> tuple[Filter, ...] | None:
    """What Enter opens on a drill-down of `filters` just opened (`drill` its sums): the row its cursor
    starts on, the first table's biggest."""
    name = EXPLAINED_BY[drilled(filters)][0]
    dimensions, _, drills_into = BREAKDOWNS[name]
    rows = drill.breakdown(dimensions, filters)
    if not rows:
        return None
    return drill_filters(filters, provider, row_filters(min(rows, key=cost_order), drills_into))


class DrillScreen(Screen[None]):
    """The range narrowed to `filters`: answered from the dashboard's sums when they can, else from
    its own read (`local`, requested by the app)."""

    BINDINGS = [Binding("escape", "app.back", "Back", tooltip="Back one drill-down step", id="drill.back")]

    def __init__(self, filters: tuple[Filter, ...], local: DashboardData | None = None,
                 ready: Callable[[DrillScreen], None] | None = None, *, dimension: str | None = None) -> None:
        super().__init__()
        self.filters = filters
        self.dimension = dimension or drilled(filters)  # what its tables explain (kept screens: drill_screens)
        self.local = local
        self._ready = ready

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield StatusLine("", id="status")
        with Vertical(id="drill-body"):
            yield CostChart(id="drill-chart")
            for name in EXPLAINED_BY[self.dimension]:
                yield BreakdownView(name, self.filters, id=f"drill-{name}")
        yield FilterBar(id="filter")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query(CostTable).first().focus(scroll_visible=False)
        if self._ready is not None:
            self._ready(self)  # filled before its first frame: drawn once, not empty and then again

    def reuse(self, filters: tuple[Filter, ...]) -> None:
        """Another drill-down of the same dimension on this (kept, mounted) screen, as a new one starts:
        tables in cost order from the top, no filter, no day picked on the chart."""
        assert drilled(filters) == self.dimension
        self.filters, self.local = filters, None
        for view in self.query(BreakdownView):
            view.filters, view.shown = filters, None
        for table in self.query(CostTable):
            table.start_over()
        self.query_one(CostChart).cursor = None
        bar = self.query_one(FilterBar)
        bar.value = ""
        bar.remove_class("-visible")
        self.query(CostTable).first().focus(scroll_visible=False)

    def answers(self, data: DashboardData) -> bool:
        return answered_in_memory(data, self.filters)

    def show(self, data: DashboardData, now: datetime) -> bool:
        """Render from `data`, or from the own read when it is for the same range; False when a read
        of this drill-down is needed first."""
        source = data
        if not self.answers(data):
            local = self.local
            if local is None or local.options.load_key(data.month.end) != data.options.load_key(data.month.end):
                self.query_one(StatusLine).update(status_text(data, now) + f"\nAll > {filter_text(self.filters)}  "
                                                  "(loading…)")
                return False
            source = local.with_options(data.options)
        self.query_one(StatusLine).update(status_text(source, now, self.filters))
        for view in self.query(BreakdownView):
            view.show(source)
        grain = "Monthly" if data.options.granularity == "month" else "Daily"
        self.query_one(CostChart).show(source.daily(self.filters) or [], data.options.granularity,
                                       f"{grain} {data.options.metric} cost of {filter_text(self.filters)}")
        return True
