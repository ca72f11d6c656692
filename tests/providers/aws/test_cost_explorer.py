"""AwsCostExplorerProvider against a real moto_server: plan, paging, dates, metrics, reconciliation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from costtui.providers.aws.cost_explorer import AwsCostExplorerProvider
from costtui.providers.aws.plan import charge_category
from costtui.providers.base import FetchContext, ProviderError
from tests.providers.aws.conftest import queue_ce_results
from tests.providers.aws.helpers import (
    ACCOUNT_NAMES,
    RequestLog,
    assert_same_to_the_cent,
    planned_pages,
    queue_truth,
    small_org,
    totals,
    truth_totals,
)

pytestmark = pytest.mark.emulator

START = date(2026, 11, 10)
END = date(2026, 11, 12)


def fetch(config, tmp_path, log: RequestLog | None = None, start=START, end=END):
    provider = AwsCostExplorerProvider(config, session=log.session if log else None)
    return provider.fetch(FetchContext(start, end, tmp_path))


def test_every_single_dimension_and_service_by_account_equal_the_bill(moto, aws_config, tmp_path):
    truth = small_org(START, 3)
    queue_truth(moto, truth, START, END)

    result = fetch(aws_config, tmp_path)

    for fields in (
        ("charge_date", "service"),  # the golden per-day per-service totals
        ("charge_date",),
        ("account_id",),
        ("service",),
        ("region",),
        ("charge_category",),
        ("service", "account_id"),
        ("charge_date", "service", "region"),
        ("charge_date", "account_id", "service", "charge_category"),
    ):
        assert_same_to_the_cent(
            totals(result.rows, *fields), truth_totals(truth, *fields, category=charge_category)
        )


def test_both_metrics_and_record_types_map_to_charge_categories(moto, aws_config, tmp_path):
    truth = small_org(START, 3)
    queue_truth(moto, truth, START, END)

    by_category = totals(fetch(aws_config, tmp_path).rows, "charge_category")

    # Credit 3 x -5.25 plus Refund 3 x -0.40; the RI fee is billed but amortised away;
    # the Savings Plan negation is an Adjustment; tax is its own category.
    assert by_category[("Credit",)] == (Decimal("-16.95"), Decimal("-16.95"))
    assert by_category[("Purchase",)] == (Decimal("36"), Decimal("0"))
    assert by_category[("Adjustment",)] == (Decimal("-7.5"), Decimal("0"))
    assert by_category[("Tax",)] == (Decimal("9.54"), Decimal("9.54"))
    usage_billed, usage_effective = by_category[("Usage",)]
    assert usage_effective < usage_billed


def test_account_names_come_from_dimension_value_attributes(moto, aws_config, tmp_path):
    truth = small_org(START, 3)
    queue_truth(moto, truth, START, END)

    names = {(row.account_id, row.account_name) for row in fetch(aws_config, tmp_path).rows}

    assert names == set(ACCOUNT_NAMES.items())


def test_end_is_exclusive_so_three_days_are_keyed_by_their_start(moto, aws_config, tmp_path):
    truth = small_org(START, 4)  # the source has a 4th day the request must not include
    queue_truth(moto, truth, START, END)
    log = RequestLog()

    result = fetch(aws_config, tmp_path, log)

    assert {row.charge_date for row in result.rows} == {START, START + timedelta(days=1), END}
    assert all(p["TimePeriod"] == {"Start": "2026-11-10", "End": "2026-11-13"} for p in log.params)
    assert all(p["Granularity"] == "DAILY" for p in log.params)
    assert all(p["Metrics"] == ["UnblendedCost", "AmortizedCost"] for p in log.params)
    assert all(len(p["GroupBy"]) <= 2 for p in log.params)
    # Each day carries its own amounts (they grow day by day): a shifted key would not match.
    expected = {key: value for key, value in truth_totals(truth, "charge_date").items() if key[0] <= END}
    assert_same_to_the_cent(totals(result.rows, "charge_date"), expected)


def test_estimated_days_stay_estimated(moto, aws_config, tmp_path):
    truth = small_org(START, 3, estimated=frozenset({END}))
    queue_truth(moto, truth, START, END)

    rows = fetch(aws_config, tmp_path).rows

    assert {row.charge_date for row in rows if row.estimated} == {END}
    assert any(not row.estimated for row in rows)


def test_every_page_is_followed_and_counted(moto, aws_config, tmp_path):
    truth = replace(small_org(START, 3), page_size=7)
    pages = queue_truth(moto, truth, START, END)
    log = RequestLog()

    result = fetch(aws_config, tmp_path, log)

    assert pages > 11  # 1 discovery + 2 per category (5 categories), several pages each
    assert result.api_calls == log.sent == pages
    assert sum(1 for p in log.params if "NextPageToken" in p) == pages - 11
    assert_same_to_the_cent(
        totals(result.rows, "charge_date", "service"),
        truth_totals(truth, "charge_date", "service", category=charge_category),
    )


def test_answers_that_disagree_fail_the_fetch_loudly(moto, aws_config, tmp_path):
    truth = small_org(START, 3)
    pages = planned_pages(truth, START, END)
    usage_by_account = pages[1]  # discovery, then Usage: account x service
    group = usage_by_account["ResultsByTime"][1]["Groups"][0]
    group["Metrics"]["UnblendedCost"]["Amount"] = str(
        Decimal(group["Metrics"]["UnblendedCost"]["Amount"]) + 1
    )
    queue_ce_results(moto, pages)

    with pytest.raises(ProviderError) as caught:
        fetch(aws_config, tmp_path)

    assert caught.value.kind == "reconcile"
    assert "2026-11-11" in str(caught.value)
    assert caught.value.api_calls == len(pages)


def test_no_cost_means_one_request_and_no_rows(moto, aws_config, tmp_path):
    log = RequestLog()

    result = fetch(aws_config, tmp_path, log)

    assert result.rows == []
    assert result.api_calls == log.sent == 1
    assert [(s.start, s.end) for s in result.scopes] == [(START, END)]


def test_billing_account_is_the_caller_and_role_arn_is_assumed(moto, aws_config, tmp_path):
    truth = small_org(START, 3)
    # moto keeps Cost Explorer state per account: answers exist only for the role's account.
    queue_truth(moto, truth, START, END, account_id="444455556666")
    config = replace(aws_config, role_arn="arn:aws:iam::444455556666:role/billing-reader")

    rows = fetch(config, tmp_path).rows

    assert rows
    assert {row.billing_account_id for row in rows} == {"444455556666"}
