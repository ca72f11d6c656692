"""The daily cost chart: one line per provider (and currency) over the selected range."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from textual_plotext import PlotextPlot

from costtui.model import CostGroup
from costtui.tui.format import provider_name

PROVIDER_COLORS = {"aws": "orange", "azure": "blue", "gcp": "green"}
DATE_FORM = "Y-m-d"


def series_by_provider(daily: tuple[CostGroup, ...]) -> dict[tuple[str, str], list[tuple[str, float]]]:
    """(provider, currency) -> [(ISO day, cost)] in day order. Floats only for drawing:
    totals shown as figures elsewhere are Decimal."""
    series: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for group in daily:
        series[(str(group.keys["provider"]), group.currency)].append(
            (str(group.keys["day"]), float(group.cost))
        )
    for points in series.values():
        points.sort()
    return dict(sorted(series.items()))


class DailyCostChart(PlotextPlot):
    """Daily cost per provider; several currencies become separate, labelled lines."""

    def show(self, daily: tuple[CostGroup, ...], title: str, start: date, end: date) -> None:
        plt = self.plt
        plt.clear_figure()
        plt.date_form(DATE_FORM)
        series = series_by_provider(daily)
        several_currencies = len({currency for _, currency in series}) > 1
        currencies = ", ".join(sorted({currency for _, currency in series}))
        plt.title(f"{title} ({currencies})" if series else f"{title}: no costs in this range")
        for (provider, currency), points in series.items():
            label = provider_name(provider) + (f" {currency}" if several_currencies else "")
            plt.plot(
                [day for day, _ in points],
                [cost for _, cost in points],
                label=label,
                marker="braille",
                color=PROVIDER_COLORS.get(provider, "default"),
            )
        if not series:
            plt.plot([start.isoformat(), end.isoformat()], [0, 0], marker="braille")
        self.refresh()
