"""Cost Explorer cost allocation tags: one TAG x SERVICE request per configured key and category,
through a real moto_server answering what CE documents (`team$web`; `team$` = untagged)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from costtui.providers.aws.cost_explorer import AwsCostExplorerProvider
from costtui.providers.aws.plan import charge_category, tag_requests, tag_value
from costtui.providers.base import FetchContext
from costtui.tagrules import TagRules
from tests.providers.aws.helpers import RequestLog, assert_same_to_the_cent, queue_truth, small_org, totals

START = date(2026, 11, 10)
END = date(2026, 11, 12)
TEAMS = {"111111111111": "payments", "222222222222": "data"}  # the sandbox account carries no tags


def tagged_org():
    """small_org with tags on most resources: team by account, environment by region; tax untagged."""
    truth = small_org(START, 3)
    charges = []
    for charge in truth.charges:
        tags = {}
        if charge.account in TEAMS and charge.record_type != "Tax":
            tags["team"] = TEAMS[charge.account]
            if charge.region != "ap-southeast-2":
                tags["environment"] = "prod" if charge.region == "us-east-1" else "dev"
        charges.append(replace(charge, tags=tuple(tags.items())))
    return replace(truth, charges=charges)


def truth_by_tag(truth, key: str, *fields: str) -> dict[tuple, tuple[Decimal, Decimal]]:
    sums: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for charge in truth.charges:
        values = tuple(
            charge_category(charge.record_type) if f == "charge_category"
            else {"charge_date": charge.day, "account_id": charge.account}.get(f, getattr(charge, f, None))
            for f in fields
        )
        cell = sums[(dict(charge.tags).get(key), *values)]
        cell[0] += charge.billed
        cell[1] += charge.effective
    return {k: (v[0], v[1]) for k, v in sums.items()}


def rows_by_tag(rows, key: str, *fields: str) -> dict[tuple, tuple[Decimal, Decimal]]:
    sums: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows:
        cell = sums[(row.tags.get(key), *(getattr(row, f) for f in fields))]
        cell[0] += row.billed_cost
        cell[1] += row.effective_cost
    return {k: (v[0], v[1]) for k, v in sums.items()}


def test_tag_requests_group_by_the_exact_key_per_category_present():
    plan = tag_requests(["Usage", "Credit"], ["team", "environment"])
    assert [(r.tag_key, r.category) for r in plan] == [
        ("team", "Usage"), ("team", "Credit"), ("environment", "Usage"), ("environment", "Credit")]
    params = plan[0].parameters("2026-11-10", "2026-11-11")
    assert params["GroupBy"] == [{"Type": "TAG", "Key": "team"}, {"Type": "DIMENSION", "Key": "SERVICE"}]
    assert params["Filter"]["Dimensions"]["Values"] == ["Usage"]
    assert (tag_value("team$web"), tag_value("team$"), tag_value("team$a$b")) == ("web", None, "a$b")


@pytest.mark.emulator
def test_per_tag_totals_equal_the_bill_untagged_included(moto, aws_config, tmp_path):
    truth = tagged_org()
    keys = ("team", "environment")
    pages = queue_truth(moto, truth, START, END, tag_keys=keys)
    log = RequestLog()
    result = AwsCostExplorerProvider(aws_config, session=log.session).fetch(
        FetchContext(START, END, tmp_path, tags=TagRules(keys))
    )
    # 1 discovery + 2 per category (5 present) + 1 per key and category: 1 + 10 + 10
    assert result.api_calls == log.sent == pages == 21
    assert sum(1 for p in log.params if p["GroupBy"][0]["Type"] == "TAG") == 10
    for key in keys:
        for fields in ((), ("charge_date",), ("service",), ("charge_date", "service", "charge_category")):
            assert_same_to_the_cent(rows_by_tag(result.rows, key, *fields), truth_by_tag(truth, key, *fields))
    # the untagged spend is there, and tags never change the dimension totals
    assert rows_by_tag(result.rows, "team")[(None,)][0] > 0
    untagged_truth = small_org(START, 3)
    for fields in (("service", "account_id"), ("charge_date", "service", "region")):
        assert_same_to_the_cent(
            totals(result.rows, *fields),
            {k: v for k, v in rows_by_fields(untagged_truth, fields).items()},
        )


def rows_by_fields(truth, fields):
    sums: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for charge in truth.charges:
        key = tuple({"charge_date": charge.day, "account_id": charge.account}.get(f, getattr(charge, f, None))
                    for f in fields)
        sums[key][0] += charge.billed
        sums[key][1] += charge.effective
    return {k: (v[0], v[1]) for k, v in sums.items()}


@pytest.mark.emulator
def test_without_tag_keys_the_plan_is_unchanged(moto, aws_config, tmp_path):
    truth = tagged_org()
    pages = queue_truth(moto, truth, START, END)
    result = AwsCostExplorerProvider(aws_config).fetch(FetchContext(START, END, tmp_path))
    assert result.api_calls == pages == 11
    assert all(not row.tags for row in result.rows)
