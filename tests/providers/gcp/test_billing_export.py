"""Fetching the standard billing export: credits, categories, money and the day window."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from costtui.config import GcpConfig
from costtui.model import CostRow, FetchResult, ReplaceScope
from costtui.providers.base import FetchContext, ProviderError
from costtui.providers.gcp import GcpBillingExportProvider, build_query
from tests.providers.gcp.billing_rows import (
    BILLING_ACCOUNT,
    EU_BILLING_ACCOUNT,
    HAND_CREDITS_USD,
    HAND_NET_TOTAL_EUR,
    HAND_NET_TOTAL_USD,
    ROWS,
    WINDOW,
    net_by_day_and_service,
)


def fetch(config: GcpConfig, tmp_path: Path, start: date = WINDOW[0], end: date = WINDOW[1]) -> FetchResult:
    return GcpBillingExportProvider(config).fetch(FetchContext(start, end, tmp_path))


@pytest.fixture
def window_result(gcp_config: GcpConfig, tmp_path: Path) -> FetchResult:
    return fetch(gcp_config, tmp_path)


def total(rows: list[CostRow], currency: str, **match: object) -> Decimal:
    return sum(
        (r.billed_cost for r in rows
         if r.currency == currency and all(getattr(r, k) == v for k, v in match.items())),
        Decimal(0),
    )


def test_net_totals_equal_the_hand_computation_to_the_cent(window_result: FetchResult) -> None:
    rows = window_result.rows
    assert total(rows, "USD") == HAND_NET_TOTAL_USD
    assert total(rows, "EUR") == HAND_NET_TOTAL_EUR
    assert total(rows, "USD", charge_category="Credit") == HAND_CREDITS_USD
    assert all(r.billed_cost == r.effective_cost for r in rows)  # no amortisation in the export


def test_each_line_cost_is_counted_once_however_many_credits_it_has(window_result: FetchResult) -> None:
    compute_1_march = dict(charge_date=date(2024, 3, 1), account_id="shop-prod", service="Compute Engine",
                           region="us-central1")
    assert total(window_result.rows, "USD", charge_category="Usage", **compute_1_march) == Decimal("150.15")
    assert total(window_result.rows, "USD", charge_category="Credit", **compute_1_march) == Decimal("-20.015")
    three_credits = dict(charge_date=date(2024, 3, 1), account_id="shop-dev", service="Compute Engine")
    assert total(window_result.rows, "USD", charge_category="Usage", **three_credits) == Decimal("20.00")
    assert total(window_result.rows, "USD", charge_category="Credit", **three_credits) == Decimal("-5.000")


def test_golden_per_day_per_service_totals(window_result: FetchResult) -> None:
    fetched: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for row in window_result.rows:
        fetched[(row.charge_date.isoformat(), row.service, row.currency)] += row.billed_cost
    assert dict(fetched) == net_by_day_and_service(ROWS, *WINDOW)


def test_one_row_per_day_grain_key_with_credits_as_their_own_rows(window_result: FetchResult) -> None:
    keys = [(r.charge_date, r.account_id, r.service, r.region, r.charge_category, r.currency)
            for r in window_result.rows]
    assert len(keys) == len(set(keys))
    storage = [r for r in window_result.rows if r.service == "Cloud Storage" and r.charge_date == date(2024, 3, 1)]
    assert [(r.charge_category, r.billed_cost) for r in storage] == [("Usage", Decimal("1.000000000"))]


def test_cost_types_map_to_charge_categories(window_result: FetchResult) -> None:
    categories = {(r.charge_date.day, r.service, r.charge_category) for r in window_result.rows}
    assert (1, "Compute Engine", "Tax") in categories
    assert (2, "Cloud Storage", "Adjustment") in categories  # rounding_error
    assert (3, "Cloud Storage", "Adjustment") in categories  # adjustment
    assert total(window_result.rows, "USD", charge_category="Tax") == Decimal("14.30")


def test_accounts_regions_and_billing_accounts(window_result: FetchResult) -> None:
    rows = window_result.rows
    names = {r.account_id: r.account_name for r in rows}
    assert names == {"shop-prod": "Shop Production", "shop-dev": "Shop Development",
                     "eu-analytics": "EU Analytics"}
    regions = {(r.service, r.region) for r in rows if r.account_id == "shop-prod"}
    assert ("BigQuery", "US") in regions  # multi-region: no region, its location
    assert ("Compute Engine", "global") in regions  # tax line: neither region nor location
    assert ("Compute Engine", "us-central1") in regions
    assert {r.billing_account_id for r in rows if r.currency == "EUR"} == {EU_BILLING_ACCOUNT}
    assert {r.billing_account_id for r in rows if r.currency == "USD"} == {BILLING_ACCOUNT}
    assert {r.provider for r in rows} == {"gcp"} and not any(r.estimated for r in rows)


def test_rows_outside_the_window_are_excluded_and_the_end_day_is_whole(window_result: FetchResult) -> None:
    days = {r.charge_date for r in window_result.rows}
    assert days == {date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)}
    late_on_end_day = dict(charge_date=date(2024, 3, 3), account_id="shop-prod", service="Compute Engine")
    assert total(window_result.rows, "USD", charge_category="Usage", **late_on_end_day) == Decimal("3.33")


def test_a_one_day_window(gcp_config: GcpConfig, tmp_path: Path) -> None:
    result = fetch(gcp_config, tmp_path, date(2024, 3, 2), date(2024, 3, 2))
    assert {r.charge_date for r in result.rows} == {date(2024, 3, 2)}
    assert total(result.rows, "USD") == Decimal("90.081")
    assert result.scopes == [ReplaceScope("gcp", date(2024, 3, 2), date(2024, 3, 2))]


def test_fetch_runs_one_query_job_and_reports_bytes(window_result: FetchResult) -> None:
    assert window_result.api_calls == 1
    assert isinstance(window_result.bytes_processed, int)
    assert window_result.scopes == [ReplaceScope("gcp", *WINDOW)]


def test_query_filters_partitions_and_takes_dates_as_parameters() -> None:
    sql = build_query("billing-project.billing_export.gcp_billing_export_v1_0123AB_CDEF01_234567")
    assert "_PARTITIONTIME >= TIMESTAMP_SUB(TIMESTAMP(@start), INTERVAL 1 DAY)" in sql
    assert "usage_start_time >= TIMESTAMP(@start)" in sql
    assert "usage_start_time < TIMESTAMP_ADD(TIMESTAMP(@end), INTERVAL 1 DAY)" in sql


@pytest.mark.parametrize("table", [
    "billing_export.gcp_billing_export_v1",  # not fully qualified
    "proj-123.ds.t`; DROP TABLE x; --",
    "proj-123.ds.t` UNION ALL SELECT 1 `",
    "Proj.ds.t",  # project ids are lower case
    "",
])
def test_table_names_that_are_not_plain_identifiers_are_refused(table: str) -> None:
    with pytest.raises(ProviderError) as caught:
        GcpBillingExportProvider(GcpConfig(enabled=True, table=table))
    assert caught.value.kind == "config"


def test_project_defaults_to_the_tables_project() -> None:
    provider = GcpBillingExportProvider(GcpConfig(enabled=True, table="example.com:billing-proj.ds.tbl"))
    assert provider.project_id == "example.com:billing-proj"
