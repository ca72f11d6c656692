"""Prometheus metrics from the cache: month-to-date, daily and forecast cost gauges, refresh status, build info.

Sums stay Decimal; the exposition format is float, so values are converted at the very end."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Gauge, Metric
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from costtui import __version__
from costtui.core.freshness import ProviderFreshness, provider_freshness
from costtui.core.reports import period_groups
from costtui.core.tags import month_to_date_coverage
from costtui.core.windows import period_window
from costtui.model import CostQuery, tag_column

if TYPE_CHECKING:
    from costtui.cache import CostQueries
    from costtui.cache.stored import StoredAnswer

COST_LABELS = ("cloud_provider", "account_id", "cloud_service", "currency")
OTHER_SERVICE = "other"
GROUP_BY = ("provider", "account", "service")

# (provider, account_id, service, currency) -> cost
CostKey = tuple[str, str, str, str]


def build_registry(
    queries: CostQueries,
    today: date,
    top_services_per_account: int,
    metric: str = "billed",
    gross: bool = False,
    max_age_seconds: float = 36 * 3600,
    tag_labels: Sequence[str] = (),
) -> CollectorRegistry:
    """All costtui metrics in a fresh registry, ready to write or push: the cost gauges, then the
    status gauges (as `cost_exposition` + `status_exposition`, which the API serves).

    `max_age_seconds` (cache.max_age_hours) decides costtui_data_fresh, as it does for `check`.
    A cache with tag columns adds costtui_tag_coverage_ratio; `tag_labels` (export.tag_labels) adds
    costtui_month_to_date_cost_by_tag with those keys as labels."""
    registry = CollectorRegistry(auto_describe=True)
    _cost_gauges(queries, registry, today, top_services_per_account, metric, gross, tag_labels)
    _status_gauges(registry, provider_freshness(queries, max_age_seconds=max_age_seconds))
    return registry


def cost_exposition(queries: CostQueries, today: date, top_services_per_account: int, metric: str = "billed",
                    gross: bool = False, tag_labels: Sequence[str] = ()) -> bytes:
    """The cost gauges of `build_registry` as text: fixed by the snapshot, `today` and the settings
    (what a publish stores, `stored_metrics`)."""
    registry = CollectorRegistry(auto_describe=True)
    _cost_gauges(queries, registry, today, top_services_per_account, metric, gross, tag_labels)
    return exposition(registry)


def status_exposition(freshness: list[ProviderFreshness]) -> bytes:
    """The status gauges of `build_registry` as text (freshness judged now, build info): they move
    with the clock, so a server writes them per scrape after the stored cost gauges."""
    registry = CollectorRegistry(auto_describe=True)
    _status_gauges(registry, freshness)
    return exposition(registry)


METRICS_FORMAT = 2  # bump when the stored text or its encoding changes for the same data


def metrics_key(today: date, top_services_per_account: int, metric: str, gross: bool,
                tag_labels: Sequence[str]) -> str:
    """What a stored cost exposition depends on besides the snapshot, as its key."""
    return (f"metrics/{METRICS_FORMAT} costtui={__version__} today={today} top={top_services_per_account} "
            f"metric={metric} gross={str(gross).lower()} tag_labels={','.join(tag_labels)}")


def stored_metrics(today: date, top_services_per_account: int, metric: str, gross: bool,
                   tag_labels: Sequence[str]) -> StoredAnswer:
    """The cost exposition, gzipped (`GzipHead.to_bytes`: a 10M-row cache's megabytes of text are a
    few hundred kB), for a publish to store: every server process and replica then serves its first
    scrape from the snapshot."""
    from costtui.cache.stored import StoredAnswer
    from costtui.exporters.gzipjoin import GzipHead

    key = metrics_key(today, top_services_per_account, metric, gross, tag_labels)

    def compute(queries: CostQueries) -> dict[str, bytes]:
        text = cost_exposition(queries, today, top_services_per_account, metric, gross, tag_labels)
        return {key: GzipHead.of(text).to_bytes()}

    return StoredAnswer((key,), compute)


def _cost_gauges(queries: CostQueries, registry: CollectorRegistry, today: date, top_services_per_account: int,
                 metric: str, gross: bool, tag_labels: Sequence[str]) -> None:
    base = CostQuery(metric=metric, gross=gross, group_by=GROUP_BY)  # type: ignore[arg-type]
    day = period_window("day", today)
    month_to_date = _costs(queries, base, "month", today)
    daily = _costs(queries, base, "day", today)
    forecast = _costs(queries, base, "forecast", today)
    kept = top_services(month_to_date, [daily, forecast], top_services_per_account)

    kind = f"{metric} cost{' before credits' if gross else ''}"
    families = []
    for name, doc, costs in (
        ("costtui_month_to_date_cost", f"Month-to-date {kind} (the 1st through today).", month_to_date),
        ("costtui_daily_cost", f"{kind.capitalize()} of the latest complete day ({day.start}).", daily),
        ("costtui_forecast_month_cost", f"Projected month-end {kind}.", forecast),
    ):
        family = GaugeMetricFamily(name, doc, labels=COST_LABELS)
        for labels, value in sorted(cap_services(costs, kept).items()):
            family.add_metric(labels, float(value))
        families.append(family)
    registry.register(_Fixed(families))
    _tag_gauges(queries, registry, CostQuery(metric=metric, gross=gross), today, kind, tag_labels)  # type: ignore[arg-type]


class _Fixed(Collector):
    """Gauges whose samples are known up front. Tens of thousands of label sets (a big cache's
    accounts x services) as plain samples: one `Gauge.labels()` child each took seconds."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return iter(self._families)


def exposition(registry: CollectorRegistry) -> bytes:
    """`generate_latest(registry)`, byte for byte, written faster for gauges: a big cache's cost
    gauges have tens of thousands of samples, and the library's per-sample formatting took seconds."""
    from prometheus_client import generate_latest
    from prometheus_client.utils import floatToGoString

    out: list[str] = []
    for metric in registry.collect():
        keys = sorted(metric.samples[0].labels) if metric.samples else []
        same = set(keys)
        if metric.type != "gauge" or not all(_PLAIN_NAME.fullmatch(n) for n in [metric.name, *keys]) or any(
                s.timestamp is not None or s.name != metric.name or s.labels.keys() != same for s in metric.samples):
            out.append(generate_latest(_Fixed([metric])).decode("utf-8"))  # anything else: the library's own
            continue
        doc = metric.documentation.replace("\\", r"\\").replace("\n", r"\n")
        out.append(f"# HELP {metric.name} {doc}\n# TYPE {metric.name} gauge\n")
        for sample in metric.samples:
            labels = ",".join(f'{key}="{_label_value(sample.labels[key])}"' for key in keys)
            out.append(f"{metric.name}{{{labels}}} {floatToGoString(sample.value)}\n" if keys
                       else f"{metric.name} {floatToGoString(sample.value)}\n")
    return "".join(out).encode("utf-8")


_PLAIN_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def _label_value(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r'\"')


def _costs(queries: CostQueries, query: CostQuery, period: str, today: date) -> dict[CostKey, Decimal]:
    """(provider, account, service, currency) -> cost for one period."""
    return {
        (str(key[0]), str(key[1]), str(key[-2]), str(key[-1])): cost
        for key, cost in period_groups(queries, query, period, today).items()
    }


def top_services(
    month_to_date: dict[CostKey, Decimal], others: list[dict[CostKey, Decimal]], limit: int
) -> set[tuple[str, str, str]]:
    """The (provider, account, service) kept as their own label: the `limit` largest by
    month-to-date cost in each account; services with no cost this month rank last, by name."""
    ranking: dict[tuple[str, str], dict[str, Decimal | None]] = defaultdict(dict)
    for (provider, account, service, _), cost in month_to_date.items():
        services = ranking[(provider, account)]
        services[service] = max(cost, services.get(service) or cost)
    for costs in others:
        for provider, account, service, _ in costs:
            ranking[(provider, account)].setdefault(service, None)
    kept: set[tuple[str, str, str]] = set()
    for (provider, account), services in ranking.items():
        order = sorted(services, key=lambda s: (services[s] is None, -(services[s] or 0), s))
        kept.update((provider, account, service) for service in order[:limit])
    return kept


def cap_services(costs: dict[CostKey, Decimal], kept: set[tuple[str, str, str]]) -> dict[CostKey, Decimal]:
    """Costs with every service not kept summed into cloud_service="other"."""
    capped: dict[CostKey, Decimal] = defaultdict(Decimal)
    for (provider, account, service, currency), cost in costs.items():
        label = service if (provider, account, service) in kept else OTHER_SERVICE
        capped[(provider, account, label, currency)] += cost
    return dict(capped)


def _tag_gauges(queries: CostQueries, registry: CollectorRegistry, selection: CostQuery, today: date, kind: str,
                tag_labels: Sequence[str]) -> None:
    """Allocation: coverage per provider and key (only for a cache with tags, so the default output of
    an untagged cache is unchanged), and month-to-date cost by the chosen tag keys. A tag key becomes
    the label of its cache column (`team` -> tag_team); untagged spend has the label empty."""
    coverage = month_to_date_coverage(queries, selection, today)
    if coverage:
        gauge = Gauge("costtui_tag_coverage_ratio", f"Share of month-to-date {kind} carrying the tag key "
                      "(0-1; a provider billed in several currencies: its main one).",
                      ["cloud_provider", "tag_key"], registry=registry)
        for entry in coverage:
            if entry.ratio is not None:
                gauge.labels(entry.provider, entry.key).set(float(entry.ratio))
    if not tag_labels:
        return
    names = [f"tag:{key}" for key in tag_labels]
    labels = ["cloud_provider", *(tag_column(key) for key in tag_labels), "currency"]
    by_tag = Gauge("costtui_month_to_date_cost_by_tag", f"Month-to-date {kind} by the tag keys of "
                   "export.tag_labels (empty label: untagged).", labels, registry=registry)
    for key, cost in sorted(period_groups(queries, replace(selection, group_by=("provider", *names)), "month",
                                          today).items(), key=lambda item: tuple(str(k) for k in item[0])):
        by_tag.labels(*(value or "" for value in key)).set(float(cost))


def _status_gauges(registry: CollectorRegistry, freshness: list[ProviderFreshness]) -> None:
    """Per provider, from the one freshness rule (core.freshness), so alerts on these gauges
    agree with `check` and the dashboard; then the build info."""
    labels = ["cloud_provider"]
    stamp = Gauge(
        "costtui_last_refresh_timestamp_seconds",
        "Unix time of the provider's last successful fetch (demo/import caches: when the cache was published).",
        labels,
        registry=registry,
    )
    success = Gauge(
        "costtui_last_refresh_success", "1 if the provider's latest fetch succeeded, else 0.", labels, registry=registry
    )
    age = Gauge(
        "costtui_data_age_seconds",
        "Seconds since the provider's last successful fetch (absent if it never succeeded).",
        labels,
        registry=registry,
    )
    fresh = Gauge(
        "costtui_data_fresh",
        "1 if the provider's latest fetch succeeded and its data is younger than cache.max_age_hours, else 0.",
        labels,
        registry=registry,
    )
    for entry in freshness:
        success.labels(entry.provider).set(0 if entry.failed else 1)
        fresh.labels(entry.provider).set(1 if entry.fresh else 0)
        if entry.last_success is not None:
            stamp.labels(entry.provider).set(_epoch(entry.last_success))
        if entry.age_seconds is not None:
            age.labels(entry.provider).set(entry.age_seconds)
    info = Gauge("costtui_build_info", "costtui version that wrote these metrics.", ["version"], registry=registry)
    info.labels(__version__).set(1)


def _epoch(moment: datetime) -> float:
    """The cache stores naive UTC timestamps."""
    return moment.replace(tzinfo=UTC).timestamp()
