"""The Trends tab: month-to-date cards, the month-end forecast, the cost chart (with budget lines and
anomaly marks; stacked or split, linear or log) and the top services."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Label

from costtui.config.schema import ThresholdRule
from costtui.tui.data import ALL_PROVIDERS, DashboardData
from costtui.tui.format import compared_text, money, period_text, provider_name
from costtui.tui.marks import BudgetLine, anomaly_marks, budget_lines
from costtui.tui.views.breakdown import BreakdownView
from costtui.tui.widgets.cards import MonthToDateCards
from costtui.tui.widgets.chart import CostChart
from costtui.tui.widgets.cost_table import CostTable, KeyColumn

SERVICE_COLUMNS = [KeyColumn("Provider", "provider"), KeyColumn("Service", "service")]


def forecast_text(forecasts: dict[tuple, Decimal] | None, month_label: str, budgets: Sequence[BudgetLine] = ()) -> str:
    """`Month-end forecast, November 2026: 170,000.00 USD (AWS 80,000.00 · Azure …)`, then each monthly
    budget and whether the forecast passes it."""
    if forecasts is None:
        return f"Month-end forecast, {month_label}: computing…"
    if not forecasts:
        return f"Month-end forecast, {month_label}: no data"
    totals: dict[str, Decimal] = {}
    parts = []
    for (provider, currency), total in sorted(forecasts.items()):
        totals[currency] = totals.get(currency, Decimal(0)) + total
        parts.append(f"{provider_name(provider)} {money(total, currency)}")
    overall = ", ".join(money(total, currency) for currency, total in sorted(totals.items()))
    text = f"Month-end forecast, {month_label}: {overall} ({' · '.join(parts)})"
    for budget in budgets:
        for currency, total in sorted(totals.items()):
            if budget.currency in (None, currency):
                verdict = "passed" if total > budget.value else "within"
                text += f"\n{budget.label}: {money(budget.value, currency)}, forecast {verdict}"
    return text


class TrendsView(VerticalScroll):
    """Where the money goes over time, and where this month is heading."""

    def __init__(self, top: int, rules: Sequence[ThresholdRule] = (), **kwargs) -> None:
        super().__init__(**kwargs)
        self.top = top
        self.rules = tuple(rules)
        self.stack = False  # `x`: each provider on top of the ones before (the top line is the total)
        self.log_scale = False  # `l`: a log scale, so a small provider's line is not flat beside a large one
        self.shown: DashboardData | None = None

    def compose(self) -> ComposeResult:
        yield MonthToDateCards(id="mtd")
        yield Label("", id="forecast", classes="section-title")
        yield CostChart(id="chart")
        yield Label(f"Top {self.top} services", id="top-services-title", classes="section-title")
        yield CostTable(SERVICE_COLUMNS, drill=("provider", "service"), limit=self.top, id="top-services")

    def show(self, data: DashboardData, forecasts: dict[tuple, Decimal] | None) -> None:
        self.shown = data
        self.query_one(MonthToDateCards).figures = data.month_to_date
        self.show_forecast(data, forecasts)
        self.show_chart()
        window = data.window
        self.query_one("#top-services-title", Label).update(
            f"Top {self.top} services, {period_text(window.start, window.end)}, "
            f"{compared_text(window.days, data.partial_before)}")
        trends = data.trend_lines(self.dimensions, self.filters)
        self.query_one("#top-services", CostTable).show(data.services, trends, compared=data.partial_before is None)
        if trends is None:
            self.post_message(BreakdownView.TrendsNeeded(self, data).set_sender(self))

    # What the top services' sparklines need read (the app answers BreakdownView.TrendsNeeded alike).
    dimensions = ("provider", "service")
    filters: tuple = ()

    def show_trends(self) -> None:
        """The top services' sparklines, once the app has read their sums by day."""
        if self.shown is not None and (trends := self.shown.trend_lines(self.dimensions, self.filters)) is not None:
            self.query_one("#top-services", CostTable).show_trends(trends)

    def show_chart(self) -> None:
        data = self.shown
        if data is None:
            return
        options = data.options
        provider = None if options.provider == ALL_PROVIDERS else options.provider
        grain = "Monthly" if options.granularity == "month" else "Daily"
        self.query_one(CostChart).show(
            data.daily() or [], options.granularity, f"{grain} {options.metric} cost by provider",
            budgets=budget_lines(self.rules, options.granularity, provider),
            anomalies=anomaly_marks(data.alert_events, options.granularity, data.start, data.end, provider),
            stack=self.stack, log=self.log_scale)

    def show_forecast(self, data: DashboardData, forecasts: dict[tuple, Decimal] | None) -> None:
        provider = None if data.options.provider == ALL_PROVIDERS else data.options.provider
        # Monthly budgets judged on the forecast (month-to-date rules are read against the cards).
        budgets = [b for b in budget_lines(self.rules, "month", provider) if b.period == "forecast"]
        self.query_one("#forecast", Label).update(forecast_text(forecasts, f"{data.month.start:%B %Y}", budgets))
