"""What the dashboard shows: one range read from the cache once (small window sums by service and
region, by account, by provider for month to date, and a time series by provider and service, each
net and gross, billed and effective), then every view, switch and most drill-downs derived from that
in memory. No Textual here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from itertools import pairwise
from pathlib import Path

from costtui.cache import CacheMissing, CacheReader, CostQueries
from costtui.cache.rollups import WindowSums
from costtui.core.freshness import FreshnessFacts, read_freshness_facts
from costtui.core.reports import changes
from costtui.core.windows import PRESETS, Window, last_days, month_to_date, month_to_date_comparison
from costtui.model import CostGroup, CostQuery, Metric, add_months, percent_change
from costtui.tui import rollup, sparkline
from costtui.tui.cancel import StopSignal
from costtui.tui.rollup import CURRENT, PREVIOUS, TAG_PREFIX, Filter, Row

# The presets `d` cycles through (the core's names and windows).
RANGE_CYCLE: tuple[str, ...] = ("7d", "30d", "90d", "mtd", "last-month", "12m")
CUSTOM = "custom"
ALL_PROVIDERS = "all"
GRANULARITIES = ("day", "month")


@dataclass(frozen=True)
class ViewOptions:
    """The user's choices: range (a core preset or custom dates), granularity, metric, net or gross,
    provider filter."""

    preset: str = "30d"
    custom: Window | None = None
    granularity: str = "day"
    metric: Metric = "billed"
    gross: bool = False
    provider: str = ALL_PROVIDERS

    @classmethod
    def from_days(cls, days: int, **kwargs) -> ViewOptions:
        """The configured default window: N complete days (a preset when there is one)."""
        return cls(preset=f"{days}d", **kwargs)

    def window(self, today: date) -> Window:
        if self.preset == CUSTOM and self.custom is not None:
            return self.custom
        if self.preset in PRESETS:
            return PRESETS[self.preset](today)
        return last_days(int(self.preset.removesuffix("d")), today)  # a configured default_days

    def next_range(self) -> ViewOptions:
        index = RANGE_CYCLE.index(self.preset) if self.preset in RANGE_CYCLE else -1
        return replace(self, preset=RANGE_CYCLE[(index + 1) % len(RANGE_CYCLE)], custom=None)

    def with_window(self, window: Window) -> ViewOptions:
        return replace(self, preset=CUSTOM, custom=window)

    def toggled_granularity(self) -> ViewOptions:
        return replace(self, granularity="month" if self.granularity == "day" else "day")

    def toggled_metric(self) -> ViewOptions:
        return replace(self, metric="effective" if self.metric == "billed" else "billed")

    def toggled_gross(self) -> ViewOptions:
        return replace(self, gross=not self.gross)

    def next_provider(self, providers: tuple[str, ...]) -> ViewOptions:
        choices = (ALL_PROVIDERS, *providers)
        index = choices.index(self.provider) if self.provider in choices else 0
        return replace(self, provider=choices[(index + 1) % len(choices)])

    @property
    def providers(self) -> tuple[str, ...]:
        return () if self.provider == ALL_PROVIDERS else (self.provider,)

    def load_key(self, today: date) -> tuple:
        """What a cache read depends on; the other choices (granularity too: months are summed from
        the days) are answered from memory."""
        return (self.window(today),)


@dataclass(frozen=True)
class MonthToDate:
    """Month-to-date cost of one provider (or all, `provider=None`) in one currency, and the change of
    its complete days (1st through yesterday) against the same days of the previous month."""

    provider: str | None
    currency: str
    start: date
    end: date
    cost: Decimal
    previous_start: date
    previous_end: date
    previous_cost: Decimal
    previous_covered: bool
    """False when the cache holds no data for the comparison days (no base to compare)."""
    compared_cost: Decimal = Decimal(0)
    """This month's complete days (`start` through `compared_end`), the side set against last month."""
    compared_end: date | None = None
    """The latest complete day; None on the 1st (no complete day to compare yet)."""

    @property
    def change(self) -> Decimal | None:
        if self.compared_end is None or not self.previous_covered:
            return None
        return percent_change(self.compared_cost, self.previous_cost)


@dataclass(frozen=True, repr=False)
class DashboardData:
    """One range read from the cache, and the views of it for `options`."""

    def __repr__(self) -> str:
        # Short: Textual's @work describes each worker by the repr of its arguments, and the full
        # dataclass repr of thousands of sums took ~0.2 s a drill-down (bench/tui_keys.py).
        return f"DashboardData({self.window.start}..{self.window.end}, {self.options}, prefiltered={self.prefiltered})"

    options: ViewOptions
    window: Window
    month: Window
    first_day: date
    last_day: date
    data_as_of: datetime | None
    providers: tuple[str, ...]
    compared: frozenset[str]  # providers with costs on the first day of last month's comparison days
    pieces: tuple[WindowSums, ...]  # (provider, service, region): range and the period before
    account_sums: tuple[WindowSums, ...]  # (provider, account): range and the period before
    month_sums: tuple[WindowSums, ...]  # (provider): month to date and the same days last month
    timeline: tuple[WindowSums, ...]  # (day, provider) over the range (a drill's own read: its filters applied)
    prefiltered: tuple[Filter, ...] = ()  # a drill-down's own read: these filters are applied already
    freshness: FreshnessFacts | None = None  # judged at the app's clock (widgets.status)
    alert_events: tuple[dict, ...] = ()
    forecasts: dict[tuple, dict[str, Decimal]] = field(default_factory=dict, compare=False)
    day_sums: dict[tuple, tuple[WindowSums, ...]] = field(default_factory=dict, compare=False)
    """(dimensions, filters) -> the range's sums by time bucket and those dimensions (load_day_sums),
    for sparklines the time series by provider and service cannot draw; shared by every options view."""
    sparklines: dict[tuple, dict[tuple, str]] = field(default_factory=dict, compare=False)
    drills: dict[tuple[Filter, ...], DashboardData] = field(default_factory=dict, compare=False)
    """filters -> a drill-down's own read (load_drill), kept for the range: Enter on a row read ahead
    while the cursor rested on it, or a drill-down opened before, shows without reading again."""
    """trends_key -> the drawn sparklines: each is drawn once per choice of options, not per key press."""

    @property
    def start(self) -> date:
        return self.window.start

    @property
    def end(self) -> date:
        return self.window.end

    @property
    def partial_before(self) -> date | None:
        return self.partial_before_of(self.window)

    def partial_before_of(self, window: Window) -> date | None:
        """The cache's first day when the period before `window` starts earlier: its changes then
        stand on part of that period only."""
        return self.first_day if self.first_day > window.previous().start else None

    def with_options(self, options: ViewOptions) -> DashboardData:
        return replace(self, options=options)

    def source(self, dimensions: tuple[str, ...], filters: tuple[Filter, ...]) -> list[WindowSums] | None:
        """The in-memory sums that answer a breakdown by `dimensions` under `filters`; None when they
        cannot (e.g. accounts of one service): the caller reads that drill-down on its own."""
        filters = tuple(f for f in filters if f not in self.prefiltered)
        if "account" in dimensions:
            items, known = self.account_sums, {"provider", "account"}
        else:
            items, known = self.pieces, {"provider", "service", "region"}
        if not all(dimension in known for dimension, _ in filters):
            return None
        return list(rollup.selected(items, self.options.providers, filters))

    def breakdown(self, dimensions: tuple[str, ...], filters: tuple[Filter, ...] = ()) -> list[Row] | None:
        items = self.source(dimensions, filters)
        if items is None:
            return None
        return rollup.breakdown(items, dimensions, self.options.metric, self.options.gross)

    def range_totals(self, filters: tuple[Filter, ...] = ()) -> dict[str, Decimal]:
        items = self.source(("provider",), filters) or self.source(("account",), filters) or []
        return rollup.totals(items, CURRENT, self.options.metric, self.options.gross)

    def previous_totals(self, filters: tuple[Filter, ...] = ()) -> dict[str, Decimal]:
        items = self.source(("provider",), filters) or self.source(("account",), filters) or []
        return rollup.totals(items, PREVIOUS, self.options.metric, self.options.gross)

    @cached_property
    def totals(self) -> dict[str, Decimal]:
        return self.range_totals()

    @cached_property
    def services(self) -> list[Row]:
        return self.breakdown(("provider", "service")) or []

    @cached_property
    def accounts(self) -> list[Row]:
        return self.breakdown(("provider", "account")) or []

    @cached_property
    def regions(self) -> list[Row]:
        return self.breakdown(("provider", "region")) or []

    def daily(self, filters: tuple[Filter, ...] = ()) -> list[CostGroup] | None:
        """The chart's points per provider (and currency), by day or month; None when the in-memory
        time series (by provider) cannot answer `filters`: a drill-down reads its own."""
        filters = tuple(f for f in filters if f not in self.prefiltered)
        if not all(dimension == "provider" for dimension, _ in filters):
            return None
        items = rollup.selected(self.timeline, self.options.providers, filters)
        key = self.options.granularity
        return [CostGroup({key: bucket, "provider": provider}, cost, currency)
                for bucket, provider, currency, cost in rollup.time_series(items, key, self.options.metric, self.options.gross)]

    def bucket_changes(self) -> list[Row]:
        """Each day (or month) of the range against the one before, per currency, keyed "day" (the
        range's first bucket has no bucket before it in memory and is left out)."""
        totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for group in self.daily() or []:
            totals[(str(group.keys[self.options.granularity]), group.currency)] += group.cost
        axis = self.time_axis()
        whole: dict[str, Decimal] = defaultdict(Decimal)
        for (_, currency), cost in totals.items():
            whole[currency] += cost
        rows = []
        for before, bucket in pairwise(axis):
            for currency in sorted(whole):
                cost = totals.get((bucket, currency), Decimal(0))
                share = cost / whole[currency] * 100 if whole[currency] > 0 else None
                rows.append(Row({"day": bucket}, currency, cost, totals.get((before, currency), Decimal(0)), share))
        return rows

    def time_axis(self) -> list[str]:
        """Every bucket of the range in the chosen granularity, as the sums key them."""
        days = [self.start + timedelta(days=n) for n in range(self.window.days)]
        if self.options.granularity == "month":
            return sorted({f"{day:%Y-%m}" for day in days})
        return [day.isoformat() for day in days]

    def day_sums_key(self, dimensions: tuple[str, ...], filters: tuple[Filter, ...]) -> tuple:
        return (self.options.granularity, dimensions, filters)

    def trends_key(self, dimensions: tuple[str, ...], filters: tuple[Filter, ...]) -> tuple:
        options = self.options
        return (dimensions, filters, options.granularity, options.metric, options.gross, options.providers)

    def trend_lines(self, dimensions: tuple[str, ...], filters: tuple[Filter, ...] = ()) -> dict[tuple, str] | None:
        """A sparkline per (dimension values..., currency) of a breakdown; None until load_day_sums has
        read what the time series by provider cannot answer."""
        key = self.trends_key(dimensions, filters)
        if (drawn := self.sparklines.get(key)) is None and (drawn := self._draw_trends(dimensions, filters)) is not None:
            self.sparklines[key] = drawn
        return drawn

    def _draw_trends(self, dimensions: tuple[str, ...], filters: tuple[Filter, ...]) -> dict[tuple, str] | None:
        own = tuple(f for f in filters if f not in self.prefiltered)
        if self.options.granularity == "day" and all(d == "provider" for d in (*dimensions, *(d for d, _ in own))):
            # the timeline is by (day, provider): it answers nothing finer, nor months
            items: tuple[WindowSums, ...] | list[WindowSums] = list(
                rollup.selected(self.timeline, self.options.providers, own))
        elif (loaded := self.day_sums.get(self.day_sums_key(dimensions, filters))) is not None:
            sizes = [len(group) for group in sparkline.groups(self.time_axis())]
            return sparkline.window_lines(rollup.selected(loaded, self.options.providers, ()), dimensions, sizes,
                                          self.options.metric, self.options.gross)
        else:
            return None
        key = self.options.granularity
        return sparkline.trend_lines(items, dimensions, self.time_axis(), key, self.options.metric, self.options.gross)

    @cached_property
    def month_to_date(self) -> tuple[MonthToDate, ...]:
        return month_to_date_figures(self)


def month_to_date_figures(data: DashboardData) -> tuple[MonthToDate, ...]:
    """Per provider and currency, then one total per currency when several providers show: the 1st
    through today, and the change of its complete days against the same days of last month (the core's
    month_to_date_comparison); a provider with no data for those days has no base to compare."""
    month, comparison = data.month, month_to_date_comparison(data.month.end)
    before = comparison[1] if comparison else Window(month.start, month.start, "")
    compared_end = comparison[0].end if comparison else None
    options = data.options
    cards: list[MonthToDate] = []
    for provider in options.providers or data.providers:
        items = [item for item in data.month_sums if item.keys.get("provider") == provider]
        # Windows as the loader read them: complete days, today, then last month's days (see _read).
        windows = len(items[0].sums) if items else 0
        compared = rollup.totals(items, 0, options.metric, options.gross) if comparison and items else {}
        current = _add(*(rollup.totals(items, w, options.metric, options.gross) for w in range(min(windows, 2 if comparison else 1))))
        previous = _add(*(rollup.totals(items, w, options.metric, options.gross) for w in range(2, windows)))
        covered = provider in data.compared
        for currency in sorted(set(current) | set(previous)):
            cards.append(MonthToDate(provider, currency, month.start, month.end, current.get(currency, Decimal(0)),
                                     before.start, before.end, previous.get(currency, Decimal(0)), covered,
                                     compared.get(currency, Decimal(0)), compared_end))
    if len({card.provider for card in cards}) > 1:
        cards.extend(_totals_per_currency(cards))
    return tuple(cards)


def _add(*parts: dict[str, Decimal]) -> dict[str, Decimal]:
    total: dict[str, Decimal] = defaultdict(Decimal)
    for part in parts:
        for currency, value in part.items():
            total[currency] += value
    return dict(total)


def _totals_per_currency(cards: list[MonthToDate]) -> list[MonthToDate]:
    by_currency: dict[str, list[MonthToDate]] = defaultdict(list)
    for card in cards:
        by_currency[card.currency].append(card)
    return [
        MonthToDate(None, currency, group[0].start, group[0].end, sum((c.cost for c in group), Decimal(0)),
                    group[0].previous_start, group[0].previous_end, sum((c.previous_cost for c in group), Decimal(0)),
                    all(c.previous_covered for c in group), sum((c.compared_cost for c in group), Decimal(0)),
                    group[0].compared_end)
        for currency, group in sorted(by_currency.items())
    ]


def load_dashboard(cache_path: Path, options: ViewOptions, today: date) -> DashboardData | None:
    """Read one range; None when there is no cost data (missing or empty cache).

    Other cache problems raise CacheError with a message for the user."""
    try:
        with CacheReader(cache_path).session() as queries:
            return _read(queries, options, today)
    except CacheMissing:
        return None


def _read(queries: CostQueries, options: ViewOptions, today: date) -> DashboardData | None:
    bounds = queries.date_bounds()
    if bounds is None:
        return None
    month = month_to_date(today)
    # Month to date as its complete days and today (windows are disjoint), then last month's same days
    # split at their first day: costs on it mean the provider has a base to compare (no separate scan
    # for each provider's first day). On the 1st there are no complete days: today alone.
    spans = [(today, today)]
    if (comparison := month_to_date_comparison(today)) is not None:
        complete, before = comparison
        spans = [(complete.start, complete.end), (today, today), (before.start, before.start)]
        if before.end > before.start:
            spans.append((before.start + timedelta(days=1), before.end))
    month_sums = queries.window_sums(CostQuery(group_by=("provider",)), spans)
    sums = _range_sums(queries, options, today, CostQuery())
    providers = {str(item.keys["provider"]) for group in (month_sums, sums["pieces"], sums["account_sums"])
                 for item in group}
    return DashboardData(
        options=options,
        month=month,
        first_day=bounds[0],
        last_day=bounds[1],
        data_as_of=queries.data_as_of(),
        providers=tuple(sorted(providers)),
        compared=frozenset(str(item.keys["provider"]) for item in month_sums if len(item.sums) > 2 and any(item.sums[2])),
        month_sums=tuple(month_sums),
        freshness=read_freshness_facts(queries),
        alert_events=tuple(queries.alert_events()),
        **sums,
    )


def _spans(windows: list[Window]) -> list[tuple[date, date]]:
    return [(window.start, window.end) for window in windows]


def _range_asks(options: ViewOptions, today: date) -> list[tuple[str, tuple[str, ...], list[tuple[date, date]]]]:
    """(name, group_by, windows) of the range's sums at the grains the views need."""
    window = options.window(today)
    windows = _spans([window, window.previous()])
    return [("pieces", ("provider", "service", "region"), windows), ("account_sums", ("provider", "account"), windows),
            ("timeline", ("day", "provider"), windows[:1])]


def _range_sums(queries: CostQueries, options: ViewOptions, today: date, selection: CostQuery) -> dict:
    """The range's sums at the grains the views need: a few small scans of the cache's rollups
    (cache/rollups.py) rather than one per key."""
    asks = _range_asks(options, today)
    found = queries.window_sums_sets(selection, [(group_by, spans) for _, group_by, spans in asks])
    return {"window": options.window(today), **{name: tuple(sums) for (name, _, _), sums in zip(asks, found, strict=True)}}


def load_drill(cache_path: Path, base: DashboardData, today: date, filters: tuple[Filter, ...],
               sparklines: Sequence[tuple[str, ...]] = (), stop: StopSignal | None = None) -> DashboardData:
    """A drill-down the in-memory sums cannot answer (accounts of a service, services of an account):
    the same sums, read for its filters only, and the sums by time its tables' sparklines need (by
    each of `sparklines`' dimensions), in one session (each opens the file: ~30 ms) and one call whose
    asks share the scans of the table answering them. `stop` may end it midway (ReadStopped, or
    DuckDB's InterruptException): a read ahead the cursor has left."""
    stop = stop or StopSignal()
    asks = _range_asks(base.options, today)
    keys = [key for key in dict.fromkeys(base.day_sums_key(dimensions, filters) for dimensions in sparklines)
            if key not in base.day_sums]
    with CacheReader(cache_path).session() as queries:
        stop.reading(queries)
        try:
            found = queries.window_sums_sets(_filtered(CostQuery(), filters), [
                *((group_by, spans) for _, group_by, spans in asks), *((key[1], _day_windows(base)) for key in keys)])
        finally:
            stop.closing()
    stop.check()  # an interrupt that came as the query ended
    sums, by_time = found[:len(asks)], found[len(asks):]
    drill = replace(base, prefiltered=filters, window=base.options.window(today),
                    **{name: tuple(each) for (name, _, _), each in zip(asks, sums, strict=True)})
    for key, each in zip(keys, by_time, strict=True):
        drill.day_sums[key] = tuple(each)
    return drill


def _filtered(query: CostQuery, filters: tuple[Filter, ...]) -> CostQuery:
    """`query` narrowed to the drill-down `filters`; a `tag:KEY` filter keeps the spend tagged KEY =
    value (None: untagged), as `costs --tag` does."""
    tags = tuple((dim.removeprefix(TAG_PREFIX), v) for dim, v in filters if dim.startswith(TAG_PREFIX))
    return replace(query, tags=query.tags + tags, **{f"{d}s": tuple(v for dim, v in filters if dim == d)
                                                     for d in ("provider", "account", "service", "region")})


def load_day_sums(cache_path: Path, data: DashboardData, dimensions: tuple[str, ...],
                  filters: tuple[Filter, ...]) -> tuple[WindowSums, ...]:
    """The range's sums by `dimensions` under `filters`, one window per sparkline point (a day, a
    month, or a run of them: sparkline.groups), all in one scan; kept in `data.day_sums`."""
    with CacheReader(cache_path).session() as queries:
        return _day_sums(queries, data, dimensions, filters)


def _day_sums(queries: CostQueries, data: DashboardData, dimensions: tuple[str, ...],
              filters: tuple[Filter, ...]) -> tuple[WindowSums, ...]:
    return tuple(queries.window_sums(_filtered(CostQuery(group_by=dimensions), filters), _day_windows(data)))


def _day_windows(data: DashboardData) -> list[tuple[date, date]]:
    """One window per sparkline point of the range of `data`."""
    return [_bucket_span(group[0], group[-1], data.window) for group in sparkline.groups(data.time_axis())]


def _bucket_span(first: str, last: str, window: Window) -> tuple[date, date]:
    """The days from time bucket `first` through `last` (days `2026-11-12`, or months `2026-11`) that
    lie in `window`."""
    if len(first) == len("2026-11"):
        start = date.fromisoformat(f"{first}-01")
        end = add_months(date.fromisoformat(f"{last}-01"), 1) - timedelta(days=1)
        return max(start, window.start), min(end, window.end)
    return date.fromisoformat(first), date.fromisoformat(last)


def load_changes(cache_path: Path, options: ViewOptions, window: Window, dimensions: tuple[str, ...],
                 filters: tuple[Filter, ...] = ()) -> list[Row]:
    """Each group of `dimensions` in `window` against the window of the same length before (the core's
    `changes`): a day's movers against the day before."""
    selection = _filtered(CostQuery(group_by=dimensions, metric=options.metric, gross=options.gross),
                          (*filters, *(("provider", p) for p in options.providers)))
    with CacheReader(cache_path).session() as queries:
        found = changes(queries, selection, window)
    return [Row(change.keys, change.currency, change.cost, change.previous,
                None if change.share is None else change.share * 100) for change in found]
