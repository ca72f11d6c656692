"""What the dashboard shows, read from the cache in one go into a plain snapshot (no Textual here)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from costtui.cache import CacheMissing, CacheReader, CostQueries
from costtui.core.freshness import FreshnessFacts, read_freshness_facts
from costtui.core.windows import Window, last_days, month_to_date, same_days_last_month
from costtui.model import CostGroup, CostQuery, Metric, percent_change

# Range presets the `d` key cycles through: a number of days ending on the last complete day,
# or None for the month to date.
RANGE_CYCLE: tuple[int | None, ...] = (7, 30, 90, None)
ALL_PROVIDERS = "all"


@dataclass(frozen=True)
class ViewOptions:
    """The user's choices: day range, metric, net or gross, provider filter."""

    days: int | None = 30
    metric: Metric = "billed"
    gross: bool = False
    provider: str = ALL_PROVIDERS

    def next_range(self) -> ViewOptions:
        if self.days not in RANGE_CYCLE:
            return replace(self, days=RANGE_CYCLE[0])
        index = RANGE_CYCLE.index(self.days)
        return replace(self, days=RANGE_CYCLE[(index + 1) % len(RANGE_CYCLE)])

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

    @property
    def range_label(self) -> str:
        return "month to date" if self.days is None else f"last {self.days} days"


def view_window(days: int | None, today: date) -> Window:
    """The days shown, by the core's one rule: `days` complete days, or the month to date."""
    return month_to_date(today) if days is None else last_days(days, today)


@dataclass(frozen=True)
class MonthToDate:
    """Month-to-date cost of one provider (or all, `provider=None`) in one currency,
    and the same days of the previous month."""

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

    @property
    def change(self) -> Decimal | None:
        return percent_change(self.cost, self.previous_cost) if self.previous_covered else None


@dataclass(frozen=True)
class DashboardData:
    """Everything one dashboard view shows, read in one cache session."""

    options: ViewOptions
    start: date
    end: date
    first_day: date
    last_day: date
    data_as_of: datetime | None
    providers: tuple[str, ...]
    month_to_date: tuple[MonthToDate, ...]
    daily: tuple[CostGroup, ...]
    services: tuple[CostGroup, ...]
    accounts: tuple[CostGroup, ...]
    regions: tuple[CostGroup, ...]
    totals: dict[str, Decimal] = field(default_factory=dict)
    freshness: FreshnessFacts | None = None
    alert_events: tuple[dict, ...] = ()


def load_dashboard(cache_path: Path, options: ViewOptions, today: date) -> DashboardData | None:
    """Read a dashboard snapshot; None when there is no cost data (missing or empty cache).

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
    first_day, last_day = bounds
    window = view_window(options.days, today)
    start, end = window.start, window.end
    providers = tuple(queries.distinct_values("provider"))
    base = CostQuery(
        start=start, end=end, providers=options.providers, metric=options.metric, gross=options.gross
    )
    return DashboardData(
        options=options,
        start=start,
        end=end,
        first_day=first_day,
        last_day=last_day,
        data_as_of=queries.data_as_of(),
        providers=providers,
        month_to_date=_month_to_date(queries, options, today),
        daily=tuple(queries.cost_groups(replace(base, group_by=("day", "provider")))),
        services=tuple(queries.cost_groups(replace(base, group_by=("provider", "service")))),
        accounts=tuple(queries.cost_groups(replace(base, group_by=("provider", "account")))),
        regions=tuple(queries.cost_groups(replace(base, group_by=("provider", "region")))),
        totals=queries.totals(base),
        freshness=read_freshness_facts(queries),
        alert_events=tuple(queries.alert_events()),
    )


def _month_to_date(queries: CostQueries, options: ViewOptions, today: date) -> tuple[MonthToDate, ...]:
    """Per provider and currency, then one total per currency when several providers show.

    Month to date is the core's (the 1st through today), compared with the same days of last month;
    a provider with no data for those days has no base to compare."""
    window = month_to_date(today)
    previous_window = same_days_last_month(window)
    wanted = options.providers or tuple(queries.distinct_values("provider"))
    cards: list[MonthToDate] = []
    for provider in wanted:
        provider_first, provider_last, _ = queries.covered_days(provider)
        if provider_first is None or provider_last is None:
            continue
        start, end = window.start, window.end
        previous_start, previous_end = previous_window.start, previous_window.end
        query = CostQuery(providers=(provider,), metric=options.metric, gross=options.gross)
        current = queries.totals(replace(query, start=start, end=end))
        previous = queries.totals(replace(query, start=previous_start, end=previous_end))
        for currency in sorted(set(current) | set(previous)):
            cards.append(
                MonthToDate(
                    provider=provider,
                    currency=currency,
                    start=start,
                    end=end,
                    cost=current.get(currency, Decimal(0)),
                    previous_start=previous_start,
                    previous_end=previous_end,
                    previous_cost=previous.get(currency, Decimal(0)),
                    previous_covered=provider_first <= previous_start,
                )
            )
    if len({card.provider for card in cards}) > 1:
        cards.extend(_totals_per_currency(cards))
    return tuple(cards)


def _totals_per_currency(cards: list[MonthToDate]) -> list[MonthToDate]:
    by_currency: dict[str, list[MonthToDate]] = defaultdict(list)
    for card in cards:
        by_currency[card.currency].append(card)
    totals = []
    for currency, group in sorted(by_currency.items()):
        totals.append(
            MonthToDate(
                provider=None,
                currency=currency,
                start=min(card.start for card in group),
                end=max(card.end for card in group),
                cost=sum((card.cost for card in group), Decimal(0)),
                previous_start=min(card.previous_start for card in group),
                previous_end=max(card.previous_end for card in group),
                previous_cost=sum((card.previous_cost for card in group), Decimal(0)),
                previous_covered=all(card.previous_covered for card in group),
            )
        )
    return totals
