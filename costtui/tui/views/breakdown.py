"""A breakdown tab (services, accounts or regions): a title naming the period, and the table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label

from costtui.tui.data import DashboardData
from costtui.tui.format import compared_text, period_text
from costtui.tui.rollup import Filter
from costtui.tui.widgets.cost_table import CostTable, KeyColumn

if TYPE_CHECKING:
    from costtui.tui.views.trends import TrendsView

# What each breakdown groups by, its columns, and what Enter on a row drills into.
BREAKDOWNS: dict[str, tuple[tuple[str, ...], list[KeyColumn], tuple[str, ...]]] = {
    "services": (("provider", "service"), [KeyColumn("Provider", "provider"), KeyColumn("Service", "service")],
                 ("provider", "service")),
    "accounts": (("provider", "account"), [KeyColumn("Provider", "provider"), KeyColumn("Account", "account"),
                                           KeyColumn("Name", "account_name")], ("provider", "account")),
    "regions": (("provider", "region"), [KeyColumn("Provider", "provider"), KeyColumn("Region", "region")],
                ("provider", "region")),
}


def period_title(name: str, data: DashboardData) -> str:
    window = data.window
    return (f"{name.title()}, {period_text(window.start, window.end)} ({window.label}), "
            f"{compared_text(window.days, data.partial_before)}")


class BreakdownView(Vertical):
    """One breakdown of the range, optionally under drill-down filters."""

    class TrendsNeeded(Message):
        """The sparklines need sums by time the in-memory series cannot give: the app reads them."""

        def __init__(self, view: BreakdownView | TrendsView, data: DashboardData) -> None:
            super().__init__()
            self.view = view
            self.data = data

    def __init__(self, name: str, filters: tuple[Filter, ...] = (), **kwargs) -> None:
        super().__init__(classes="breakdown", **kwargs)
        self.breakdown = name
        self.filters = filters
        self.shown: DashboardData | None = None

    def compose(self) -> ComposeResult:
        _, columns, drill = BREAKDOWNS[self.breakdown]
        yield Label("", classes="section-title breakdown-title")
        yield CostTable(columns, drill=drill, id=f"{self.breakdown}-table")

    @property
    def dimensions(self) -> tuple[str, ...]:
        return BREAKDOWNS[self.breakdown][0]

    def show(self, data: DashboardData) -> None:
        self.shown = data
        self.query_one(Label).update(period_title(self.breakdown, data))
        trends = data.trend_lines(self.dimensions, self.filters)
        self.query_one(CostTable).show(data.breakdown(self.dimensions, self.filters) or [], trends,
                                       compared=data.partial_before is None)
        if trends is None:
            # Sent as the view's own: shown from a screen's on_mount, Textual would take the screen for
            # the sender and stop the message there, short of the app that reads the sums.
            self.post_message(self.TrendsNeeded(self, data).set_sender(self))

    def show_trends(self) -> None:
        """The sparklines, once the app has read what they need into the shown data's sums."""
        if self.shown is not None and (trends := self.shown.trend_lines(self.dimensions, self.filters)) is not None:
            self.query_one(CostTable).show_trends(trends)
