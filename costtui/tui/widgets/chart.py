"""The cost chart: one line per provider (and currency) per day or month, y from zero with readable
thousands, the legend outside the plotted data. Optionally stacked (each line adds the ones below, the
top one is the total) or on a log scale (small providers beside large ones), with budget lines,
anomaly points and, when focused, a day cursor: ←/→ pick a bucket, Enter asks what changed that day."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from textual.app import RenderResult
from textual.binding import Binding
from textual.message import Message
from textual_plotext import PlotextPlot

from costtui.model import CostGroup
from costtui.tui.format import money, provider_name
from costtui.tui.marks import AnomalyMark, BudgetLine

PROVIDER_COLORS = {"aws": "orange", "azure": "cyan", "gcp": "green"}
SEVERITY_COLORS = {"warning": "yellow", "critical": "red"}
TICKS = 5

Series = dict[tuple[str, str], list[tuple[str, float]]]


def series_by_provider(points: list[CostGroup], key: str) -> Series:
    """(provider, currency) -> [(bucket, cost)] in time order. Floats only for drawing:
    figures shown elsewhere are Decimal."""
    series: Series = defaultdict(list)
    for group in points:
        series[(str(group.keys["provider"]), group.currency)].append((str(group.keys[key]), float(group.cost)))
    for line in series.values():
        line.sort()
    return dict(sorted(series.items()))


def stacked(series: Series) -> Series:
    """Each provider's line plus those before it (per currency): the last line is the total."""
    result: Series = {}
    below: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (provider, currency), line in series.items():
        base = below[currency]
        buckets = sorted({b for b, _ in line} | set(base))
        values = dict(line)
        for bucket in buckets:
            base[bucket] += values.get(bucket, 0.0)
        result[(provider, currency)] = [(bucket, base[bucket]) for bucket in buckets]
    return result


def tick_labels(top: float, ticks: int = TICKS) -> tuple[list[float], list[str]]:
    """Round y ticks from zero: 0, 2,500, 5,000 ... (`ticks` at most, so no two share a row)."""
    if top <= 0:
        return [0.0], ["0"]
    raw = top / max(1, ticks - 1)
    magnitude = 10 ** (len(str(int(raw))) - 1)
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    values = [step * i for i in range(ticks + 1) if step * i <= top + step]
    return values, [f"{v:,.0f}" for v in values]


def log_ticks(low: float, top: float) -> tuple[list[float], list[str]]:
    """1-2-5 steps of each power of ten from just below the smallest positive value to just above the
    largest (at most TICKS of them, so labels never share a row)."""
    values = [m * 10.0 ** n for n in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(top)) + 1)
              for m in (1, 2, 5)]
    below = max((v for v in values if v <= low), default=values[0])
    above = min((v for v in values if v >= top), default=values[-1])
    values = [v for v in values if below <= v <= above]
    if len(values) > TICKS:  # wide ranges: powers of ten only, every other one if still too many
        first, last = math.floor(math.log10(values[0])), math.ceil(math.log10(values[-1]))
        step = math.ceil((last - first + 1) / TICKS)
        values = [10.0 ** n for n in range(first, last + step, step)]
    return values, [f"{v:,.0f}" if v >= 1 else f"{v:g}" for v in values]


class CostChart(PlotextPlot):
    """Cost per provider over time; several currencies become separate, labelled lines."""

    can_focus = True
    BINDINGS = [
        Binding("left", "move_cursor(-1)", "Earlier", show=False, id="chart.earlier"),
        Binding("right", "move_cursor(1)", "Later", show=False, id="chart.later"),
        Binding("enter", "choose", "What changed", show=False, id="chart.choose"),
    ]

    class DayChosen(Message):
        """Enter on the chart: what changed in `bucket` against the bucket before."""

        def __init__(self, chart: CostChart, bucket: str, key: str) -> None:
            super().__init__()
            self.chart = chart
            self.bucket = bucket
            self.key = key

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.buckets: list[str] = []
        self.cursor: int | None = None
        self._drawn: tuple = ()
        self._figure_drawn: tuple = ()
        self.title_text = ""  # the title and lines drawn last
        self.lines: dict[str, list[float]] = {}
        self._figure = 0  # moves on whenever the plot is drawn anew
        self._rendered: tuple[tuple, RenderResult] | None = None

    def render(self) -> RenderResult:
        """Plotext builds the whole figure on every render (~20-40 ms at 120x40); a repaint that
        changed nothing here (a layout pass, the footer, a table beside it) reuses the last one."""
        if self._drawn and self._figure_drawn != (self._drawn, self.size, self.cursor):
            self._build()  # shown before it had a size: drawn once, at the size it is rendered at
        key = (self.size, self.app.theme, self._figure)
        if self._rendered is None or self._rendered[0] != key:
            self._rendered = (key, super().render())
        return self._rendered[1]

    def show(self, points: list[CostGroup], key: str, title: str, *, budgets: Sequence[BudgetLine] = (),
             anomalies: Sequence[AnomalyMark] = (), stack: bool = False, log: bool = False) -> None:
        drawn = (points, key, title, tuple(budgets), tuple(anomalies), stack, log)
        if (drawn, self.size, self.cursor) == self._figure_drawn:
            return  # the same figure at the same size, day cursor included: nothing to draw again
        self._drawn = drawn
        if self.size:  # else not laid out yet: render draws it at its size (ticks fit it), once
            self._build()
        self.refresh()

    def _build(self) -> None:
        """The plotext figure of what was shown last, for the current size."""
        points, key, title, budgets, anomalies, stack, log = self._drawn
        self._figure_drawn = (self._drawn, self.size, self.cursor)
        self._figure += 1
        plt = self.plt
        plt.clear_figure()
        raw = series_by_provider(points, key)
        series = stacked(raw) if stack else raw
        several_currencies = len({currency for _, currency in series}) > 1
        currencies = sorted({currency for _, currency in series})
        buckets = sorted({bucket for line in series.values() for bucket, _ in line})
        if self.buckets != buckets:
            self.cursor = None
        self.buckets = buckets
        position = {bucket: index for index, bucket in enumerate(buckets)}
        shown = [c for line in series.values() for _, c in line if c > 0 or not log]
        top = max(shown, default=0.0)
        self.lines = {}
        for index, ((provider, currency), line) in enumerate(series.items()):
            name = provider_name(provider) + (f" {currency}" if several_currencies else "")
            label = name if not stack or index == 0 else f"+ {name}"
            line = [(b, c) for b, c in line if c > 0 or not log]  # a log scale has no zero
            plt.plot([position[b] for b, _ in line], [c for _, c in line], label=label, marker="braille",
                     color=PROVIDER_COLORS.get(provider, "default"))
            self.lines[label] = [c for _, c in line]
        self._draw_budgets(budgets, currencies, log)
        self._draw_anomalies(anomalies, series, position)
        if buckets:
            every = max(1, len(buckets) // max(1, (self.size.width or 100) // 12))
            ticks = list(range(0, len(buckets), every))
            plt.xticks(ticks, [_short(buckets[i], key) for i in ticks])
            plt.xlim(-0.5, len(buckets) - 0.5)
        top = max([top, *(float(b.value) for b in budgets if b.currency in (None, *currencies))])
        if log and shown:
            plt.yscale("log")
            values, labels = log_ticks(min(shown), top)
            plt.yticks(values, labels)
            plt.ylim(math.log10(values[0]), math.log10(values[-1]))  # plotext takes log limits in log10
        else:
            rows = (self.size.height or 16) - 5  # title, x axis and its labels, frame
            values, labels = tick_labels(top, max(2, min(TICKS, rows // 2)))
            plt.yticks(values, labels)
            plt.ylim(0, max(values[-1], top * 1.25))  # headroom above the top line keeps the legend off data
        self.title_text = self._title(title, series, currencies, stack, log)
        plt.title(self.title_text)

    def _draw_budgets(self, budgets: Sequence[BudgetLine], currencies: list[str], log: bool) -> None:
        """Each limit as a line in its severity's colour, named at its right end above the line."""
        for budget in budgets:
            if budget.currency in (None, *currencies) and (budget.value > 0 or not log):
                color = SEVERITY_COLORS.get(budget.severity, "red")
                self.plt.hline(float(budget.value), color)
                if self.buckets:
                    self.plt.text(f"{budget.label} {float(budget.value):,.0f}", len(self.buckets) - 1,
                                  float(budget.value), color=color, alignment="right")

    def _draw_anomalies(self, anomalies: Sequence[AnomalyMark], series: Series, position: dict[str, int]) -> None:
        xs, ys = [], []
        for mark in anomalies:
            line = next((dict(line) for (provider, _), line in series.items() if provider == mark.provider), {})
            if mark.bucket in position and mark.bucket in line:
                xs.append(position[mark.bucket])
                ys.append(line[mark.bucket])
        if xs:
            self.plt.scatter(xs, ys, marker="◆", color="red", label="anomaly")
        if self.cursor is not None and self.buckets:
            self.plt.vline(self.cursor, "white")

    def _title(self, title: str, series: Series, currencies: list[str], stack: bool, log: bool) -> str:
        if not series:
            return f"{title}: no costs in this range"
        modes = ", ".join(m for m, on in (("stacked", stack), ("log scale", log)) if on)
        text = f"{title} ({', '.join(currencies)}{'; ' + modes if modes else ''})"
        if self.cursor is not None:
            bucket = self.buckets[self.cursor]
            picked = f"{_short(bucket, self._drawn[1])}: {self._bucket_total(bucket)} · Enter: what changed"
            # plotext leaves out a title wider than the plot: the picked day matters most.
            text = f"{text} · {picked}" if len(text) + len(picked) + 3 <= (self.size.width or 100) - 2 else picked
        return text

    def _bucket_total(self, bucket: str) -> str:
        """The exact total of one bucket (Decimal, from the points: the drawn floats are not money)."""
        points, key = self._drawn[0], self._drawn[1]
        total: dict[str, Decimal] = defaultdict(Decimal)
        for group in points:
            if str(group.keys[key]) == bucket:
                total[group.currency] += group.cost
        return ", ".join(money(value, currency) for currency, value in sorted(total.items())) or "no costs"

    def on_resize(self) -> None:
        self._redraw()  # the y ticks and x labels were placed for the size known when shown

    def _redraw(self) -> None:
        if self._drawn:
            points, key, title, budgets, anomalies, stack, log = self._drawn
            self.show(points, key, title, budgets=budgets, anomalies=anomalies, stack=stack, log=log)

    def action_move_cursor(self, step: int) -> None:
        if not self.buckets:
            return
        last = len(self.buckets) - 1
        self.cursor = last if self.cursor is None else min(last, max(0, self.cursor + step))
        self._redraw()

    def action_choose(self) -> None:
        if self.buckets:
            if self.cursor is None:
                self.action_move_cursor(0)
            self.post_message(self.DayChosen(self, self.buckets[self.cursor or 0], self._drawn[1]))

    def on_blur(self) -> None:
        if self.cursor is not None:
            self.cursor = None
            self._redraw()


def _short(bucket: str, key: str) -> str:
    """`16 Oct` for a day, `2026-10` for a month."""
    if key == "day" and len(bucket) == 10:
        months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
        return f"{int(bucket[8:])} {months[int(bucket[5:7]) - 1]}"
    return bucket
