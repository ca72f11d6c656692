"""A drill-down: one provider, service, account or region of the range, with its chart and the
breakdowns that explain it; Enter drills further (filters stack), Esc goes back one step."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header

from costtui.model import CostGroup
from costtui.tui.data import DashboardData
from costtui.tui.rollup import Filter
from costtui.tui.views.breakdown import BreakdownView
from costtui.tui.widgets.chart import CostChart
from costtui.tui.widgets.cost_table import CostTable
from costtui.tui.widgets.filter_bar import FilterBar
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


def chart_in_memory(filters: tuple[Filter, ...]) -> bool:
    """The in-memory time series knows providers and services; accounts and regions need a read."""
    return all(dimension in ("provider", "service") for dimension, _ in filters)


class DrillScreen(Screen[None]):
    """The range narrowed to `filters`."""

    BINDINGS = [Binding("escape", "app.back", "Back", tooltip="Back one drill-down step", id="drill.back")]

    def __init__(self, filters: tuple[Filter, ...]) -> None:
        super().__init__()
        self.filters = filters

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield StatusLine("", id="status")
        with Vertical(id="drill-body"):
            yield CostChart(id="drill-chart")
            for name in EXPLAINED_BY[drilled(self.filters)]:
                yield BreakdownView(name, self.filters, id=f"drill-{name}")
        yield FilterBar(id="filter")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query(CostTable).first().focus(scroll_visible=False)

    def show(self, data: DashboardData, now: datetime) -> None:
        self.query_one(StatusLine).update(status_text(data, now, self.filters))
        for view in self.query(BreakdownView):
            view.show(data)
        if chart_in_memory(self.filters):
            self.show_chart(data, data.daily(self.filters))
        else:
            self.query_one(CostChart).show([], data.options.granularity, "Loading the chart…")

    def show_chart(self, data: DashboardData, points: list[CostGroup]) -> None:
        grain = "Monthly" if data.options.granularity == "month" else "Daily"
        self.query_one(CostChart).show(points, data.options.granularity,
                                       f"{grain} {data.options.metric} cost of {filter_text(self.filters)}")
