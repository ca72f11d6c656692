"""Month-to-date cards: one figure per provider and currency, with the change vs last month."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Label

from costtui.tui.data import MonthToDate
from costtui.tui.format import change_text, day_span, money, provider_name


def card_id(figure: MonthToDate) -> str:
    name = re.sub(r"[^a-z0-9_-]", "_", (figure.provider or "total").lower())
    return f"mtd-{name}-{figure.currency.lower()}"


class MonthToDateCard(Vertical):
    """One provider's month-to-date cost in one currency."""

    def __init__(self, figure: MonthToDate) -> None:
        change = figure.change
        direction = "unknown" if change is None else "up" if change > 0 else "down" if change < 0 else "flat"
        classes = f"mtd-card -{direction}" + (" -total" if figure.provider is None else "")
        super().__init__(id=card_id(figure), classes=classes)
        self.figure = figure

    def compose(self) -> ComposeResult:
        figure = self.figure
        yield Label(provider_name(figure.provider), classes="card-title")
        yield Label(money(figure.cost, figure.currency), classes="card-amount")
        comparison = day_span(figure.previous_start, figure.previous_end)
        if figure.compared_end is None:
            detail = "no complete day yet"
        elif figure.change is None:
            detail = f"no data for {comparison}" if not figure.previous_covered else f"n/a vs {comparison}"
        else:
            detail = change_text(figure.change)  # the heading names the days compared
        yield Label(detail, classes="card-change")


class MonthToDateCards(Vertical):
    """A heading and a row of month-to-date cards; set `figures` to show new ones."""

    figures: reactive[tuple[MonthToDate, ...]] = reactive((), recompose=True)

    def compose(self) -> ComposeResult:
        if self.figures:
            yield Label(self.heading(), classes="section-title")
        with Horizontal(classes="mtd-row"):
            for figure in self.figures:
                yield MonthToDateCard(figure)

    def heading(self) -> str:
        """The period of the newest card; a provider whose data ends earlier shows its own end in its
        comparison line."""
        latest = max(self.figures, key=lambda figure: figure.end)
        heading = f"Month to date, {day_span(latest.start, latest.end)}"
        if latest.compared_end is None:
            return heading
        return (f"{heading} · change of the complete days {day_span(latest.start, latest.compared_end)} "
                f"vs {day_span(latest.previous_start, latest.previous_end)}")
