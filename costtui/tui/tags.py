"""What the Tags tab shows: spend per value of one configured tag key in the dashboard's range (with
`(untagged)`), each value's change against the period before, the key's coverage per provider, and a
value's drill-down into services and accounts. Read from `charges` through the core (tags are not
in the dashboard's window sums). No Textual here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from costtui.cache import CacheReader
from costtui.core.reports import Change, changes, dated
from costtui.core.tags import UNTAGGED, TagCoverage, tag_coverage, tag_keys
from costtui.core.windows import Window
from costtui.model import CostGroup, CostQuery
from costtui.tui.data import ViewOptions
from costtui.tui.rollup import Filter, Row

TAG = "tag"  # the Tags table's key column: the value as shown, `(untagged)` for none
TAG_VALUE = "tag_value"  # the value itself (None: untagged), what a drill-down filters on


@dataclass(frozen=True)
class TagsData:
    """One key's spend per value in the range; `keys` empty when the cache has no tag columns."""

    keys: tuple[str, ...]
    key: str | None
    window: Window
    rows: list[Row] = field(default_factory=list)
    coverage: list[TagCoverage] = field(default_factory=list)


@dataclass(frozen=True)
class TagDrillData:
    """One tag value's spend by service and by account in the range."""

    key: str
    value: str | None
    window: Window
    services: list[Row]
    accounts: list[Row]


@dataclass(frozen=True)
class TagDetailData:
    """A step further into a tag value: its spend under drill-down `filters` (a service, an account
    ...), as a chart by time bucket and provider and as breakdowns (`services`, `accounts` ...)."""

    key: str
    value: str | None
    filters: tuple[Filter, ...]
    window: Window
    points: list[CostGroup]
    breakdowns: dict[str, list[Row]]


def selection(options: ViewOptions) -> CostQuery:
    return CostQuery(providers=options.providers, metric=options.metric, gross=options.gross)


def read_tag_keys(cache_path: Path) -> tuple[str, ...]:
    """The cache's tag keys (a meta read), to show the Tags tab only when there are some."""
    with CacheReader(cache_path).session() as queries:
        return tuple(tag_keys(queries))


def load_tags(cache_path: Path, options: ViewOptions, today: date, key: str | None) -> TagsData:
    """The range's spend per value of `key` (the first configured key when None or gone)."""
    window = options.window(today)
    with CacheReader(cache_path).session() as queries:
        keys = tuple(tag_keys(queries))
        if not keys:
            return TagsData((), None, window)
        key = key if key in keys else keys[0]
        base = selection(options)
        grouped = replace(base, group_by=(f"tag:{key}",))
        rows = [_row(change, {TAG: change.keys[f"tag:{key}"] or UNTAGGED, TAG_VALUE: change.keys[f"tag:{key}"]})
                for change in changes(queries, grouped, window)]
        coverage = [entry for entry in tag_coverage(queries, dated(base, window)) if entry.key == key]
    return TagsData(keys, key, window, rows, coverage)


def load_tag_drill(cache_path: Path, options: ViewOptions, today: date, key: str, value: str | None) -> TagDrillData:
    """Services and accounts of the spend tagged `key` = `value` (None: untagged) in the range."""
    window = options.window(today)
    tagged = replace(selection(options), tags=((key, value),))
    with CacheReader(cache_path).session() as queries:
        services = changes(queries, replace(tagged, group_by=("provider", "service")), window)
        accounts = changes(queries, replace(tagged, group_by=("provider", "account")), window)
    return TagDrillData(key, value, window, [_row(c) for c in services], [_row(c) for c in accounts])


def load_tag_detail(cache_path: Path, options: ViewOptions, today: date, key: str, value: str | None,
                    filters: tuple[Filter, ...], breakdowns: dict[str, tuple[str, ...]]) -> TagDetailData:
    """The spend tagged `key` = `value` under `filters` in the range: the chart's points by the chosen
    granularity and provider, and each of `breakdowns` (name -> group-by) against the period before."""
    window = options.window(today)
    chosen = {f"{dimension}s": tuple(v for d, v in filters if d == dimension)
              for dimension in ("provider", "account", "service", "region")}
    if options.providers and chosen["providers"] and options.provider not in chosen["providers"]:
        # The provider choice (`p`) excludes the drilled provider: nothing, as in the dashboard's drill-down.
        return TagDetailData(key, value, filters, window, [], {name: [] for name in breakdowns})
    chosen["providers"] = chosen["providers"] or options.providers
    narrowed = replace(selection(options), tags=((key, value),), **chosen)
    with CacheReader(cache_path).session() as queries:
        points = queries.cost_groups(dated(replace(narrowed, group_by=(options.granularity, "provider")), window))
        rows = {name: [_row(c) for c in changes(queries, replace(narrowed, group_by=group_by), window)]
                for name, group_by in breakdowns.items()}
    return TagDetailData(key, value, filters, window, points, rows)


def coverage_text(key: str, coverage: Sequence[TagCoverage]) -> str:
    """`Coverage of team: AWS 84.2% · Azure 100.0%` (a provider with no spend in the range is left out)."""
    from costtui.tui.format import provider_name

    parts = [f"{provider_name(entry.provider)} {entry.ratio * 100:.1f}%" for entry in coverage
             if entry.ratio is not None]
    return f"Coverage of {key}: " + (" · ".join(parts) if parts else "no spend in this range")


def _row(change: Change, keys: dict[str, object] | None = None) -> Row:
    """A core change as a dashboard table row (share in percent of the currency's total)."""
    share = change.share * 100 if change.share is not None else None
    return Row({**change.keys, **(keys or {})}, change.currency, change.cost, change.previous, share)
