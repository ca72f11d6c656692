"""costtui's refresh fills a cache from the emulated BigQuery export; the cache answers the export's totals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from costtui.cache import CacheReader
from costtui.config import GcpConfig
from costtui.model import CostQuery
from costtui.providers.gcp import GcpBillingExportProvider
from costtui.refresh import RefreshOptions, run_refresh
from tests.providers.gcp.billing_rows import (
    HAND_NET_TOTAL_EUR,
    HAND_NET_TOTAL_USD,
    ROWS,
    WINDOW,
    line,
    net_by_day_and_service,
)
from tests.providers.gcp.conftest import DATASET, PROJECT


def refresh(provider: GcpBillingExportProvider, cache_path: Path) -> None:
    options = RefreshOptions(today=WINDOW[1], since=WINDOW[0])
    report = run_refresh([provider], cache_path, options)
    assert not report.failed, [str(o.error) for o in report.failed]


def cached_day_service_totals(cache_path: Path) -> dict[tuple[str, str, str], Decimal]:
    with CacheReader(cache_path).session() as queries:
        groups = queries.cost_groups(CostQuery(group_by=("day", "service")))
    return {(g.keys["day"], g.keys["service"], g.currency): g.cost for g in groups}


def test_refresh_stores_the_exports_per_day_per_service_totals(gcp_config: GcpConfig, cache_path: Path) -> None:
    refresh(GcpBillingExportProvider(gcp_config), cache_path)

    assert cached_day_service_totals(cache_path) == net_by_day_and_service(ROWS, *WINDOW)
    with CacheReader(cache_path).session() as queries:
        assert queries.totals(CostQuery(providers=("gcp",))) == {
            "EUR": HAND_NET_TOTAL_EUR, "USD": HAND_NET_TOTAL_USD,
        }
        gross = queries.totals(CostQuery(providers=("gcp",), gross=True))
        assert gross["USD"] == Decimal("300.269456")  # credits left out
        (fetch,) = queries.latest_fetches()
    assert (fetch.provider, fetch.source, fetch.status) == ("gcp", "bigquery", "ok")
    assert (fetch.range_start, fetch.range_end) == WINDOW
    assert fetch.api_calls == 1
    assert fetch.bytes_processed is not None


def test_late_rows_are_picked_up_by_the_next_refresh_without_double_counting(
    gcp_config: GcpConfig, load_export: Callable[[str, list[dict]], str], cache_path: Path
) -> None:
    table = load_export(f"{PROJECT}.{DATASET}.late_rows_export", ROWS)
    provider = GcpBillingExportProvider(replace(gcp_config, table=table))
    refresh(provider, cache_path)
    before = cached_day_service_totals(cache_path)

    late = [line("2024-03-02T15:00:00", "shop-prod", "Compute Engine", "12.34", credits=(("SUD", "-1.34"),))]
    load_export(table, late)  # exported later, for a day already cached
    refresh(provider, cache_path)

    after = cached_day_service_totals(cache_path)
    key = ("2024-03-02", "Compute Engine", "USD")
    assert after[key] == before[key] + Decimal("11.00")
    assert {k: v for k, v in after.items() if k != key} == {k: v for k, v in before.items() if k != key}
    assert after == net_by_day_and_service(ROWS + late, *WINDOW)
