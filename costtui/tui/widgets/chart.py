"""The cost chart: one line per provider (and currency) per day or month, y from zero with readable
thousands, the legend outside the plotted data."""

from __future__ import annotations

from collections import defaultdict

from textual_plotext import PlotextPlot

from costtui.model import CostGroup
from costtui.tui.format import provider_name

PROVIDER_COLORS = {"aws": "orange", "azure": "cyan", "gcp": "green"}
TICKS = 5


def series_by_provider(points: list[CostGroup], key: str) -> dict[tuple[str, str], list[tuple[str, float]]]:
    """(provider, currency) -> [(bucket, cost)] in time order. Floats only for drawing:
    figures shown elsewhere are Decimal."""
    series: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for group in points:
        series[(str(group.keys["provider"]), group.currency)].append((str(group.keys[key]), float(group.cost)))
    for line in series.values():
        line.sort()
    return dict(sorted(series.items()))


def tick_labels(top: float, ticks: int = TICKS) -> tuple[list[float], list[str]]:
    """Round y ticks from zero: 0, 2,500, 5,000 ... (`ticks` at most, so no two share a row)."""
    if top <= 0:
        return [0.0], ["0"]
    raw = top / max(1, ticks - 1)
    magnitude = 10 ** (len(str(int(raw))) - 1)
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    values = [step * i for i in range(ticks + 1) if step * i <= top + step]
    return values, [f"{v:,.0f}" for v in values]


class CostChart(PlotextPlot):
    """Cost per provider over time; several currencies become separate, labelled lines."""

    def show(self, points: list[CostGroup], key: str, title: str) -> None:
        plt = self.plt
        plt.clear_figure()
        series = series_by_provider(points, key)
        several_currencies = len({currency for _, currency in series}) > 1
        currencies = ", ".join(sorted({currency for _, currency in series}))
        plt.title(f"{title} ({currencies})" if series else f"{title}: no costs in this range")
        buckets = sorted({bucket for line in series.values() for bucket, _ in line})
        position = {bucket: index for index, bucket in enumerate(buckets)}
        top = max((cost for line in series.values() for _, cost in line), default=0.0)
        for (provider, currency), line in series.items():
            label = provider_name(provider) + (f" {currency}" if several_currencies else "")
            plt.plot([position[b] for b, _ in line], [c for _, c in line], label=label, marker="braille",
                     color=PROVIDER_COLORS.get(provider, "default"))
        if buckets:
            every = max(1, len(buckets) // max(1, (self.size.width or 100) // 12))
            shown = list(range(0, len(buckets), every))
            plt.xticks(shown, [_short(buckets[i], key) for i in shown])
            plt.xlim(-0.5, len(buckets) - 0.5)
        rows = (self.size.height or 16) - 5  # title, x axis and its labels, frame
        values, labels = tick_labels(top, max(2, min(TICKS, rows // 2)))
        plt.yticks(values, labels)
        plt.ylim(0, max(values[-1], top * 1.25))  # headroom above the top line keeps the legend off data
        self.refresh()


def _short(bucket: str, key: str) -> str:
    """`16 Oct` for a day, `2026-10` for a month."""
    if key == "day" and len(bucket) == 10:
        months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
        return f"{int(bucket[8:])} {months[int(bucket[5:7]) - 1]}"
    return bucket
