"""Read queries: every grouping adds up to the same total; filters and switches do what they say."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from costtui.cache import CacheReader
from costtui.model import GROUP_BY_CHOICES, CostQuery
from tests.cachefactory import row, write_rows


@pytest.mark.parametrize("group", GROUP_BY_CHOICES)
@pytest.mark.parametrize("metric", ["billed", "effective"])
def test_totals_agree_across_every_grouping(demo_cache, today, group, metric):
    query = CostQuery(start=today - timedelta(days=90), end=today, metric=metric)
    with CacheReader(demo_cache).session() as q:
        total = q.totals(query)
        groups = q.cost_groups(CostQuery(start=query.start, end=query.end, metric=metric, group_by=(group,)))
    summed: dict[str, Decimal] = {}
    for g in groups:
        summed[g.currency] = summed.get(g.currency, Decimal(0)) + g.cost
    assert summed == total
    assert total["USD"] > 0


def test_demo_cache_holds_credits_tax_and_purchases(demo_cache):
    with CacheReader(demo_cache).session() as q:
        by_category = {g.keys["charge_category"]: g.cost for g in q.cost_groups(CostQuery(group_by=("charge_category",)))}
    assert by_category["Credit"] < 0
    assert by_category["Tax"] > 0 and by_category["Purchase"] > 0 and by_category["Usage"] > 0


def test_gross_leaves_credits_out_and_net_keeps_them(cache_path):
    day = date(2026, 11, 3)
    write_rows(cache_path, [row(day, cost="10.00"), row(day, cost="-2.50", category="Credit")])
    with CacheReader(cache_path).session() as q:
        assert q.totals(CostQuery()) == {"USD": Decimal("7.50")}
        assert q.totals(CostQuery(gross=True)) == {"USD": Decimal("10.00")}


def test_currencies_are_never_summed(cache_path):
    day = date(2026, 11, 3)
    write_rows(cache_path, [row(day, cost="10"), row(day, provider="azure", cost="5", currency="EUR")])
    with CacheReader(cache_path).session() as q:
        assert q.totals(CostQuery()) == {"EUR": Decimal("5"), "USD": Decimal("10")}
        groups = q.cost_groups(CostQuery(group_by=("service",)))
    assert sorted((g.keys["service"], g.currency, g.cost) for g in groups) == [
        ("EC2", "EUR", Decimal("5")),
        ("EC2", "USD", Decimal("10")),
    ]


def test_filters_and_inclusive_end(cache_path):
    rows = [
        row(date(2026, 11, 1), cost="1"),
        row(date(2026, 11, 2), cost="2", service="S3"),
        row(date(2026, 11, 3), cost="4", account="222", region="eu-west-1"),
        row(date(2026, 11, 3), cost="8", provider="gcp", account="proj"),
    ]
    write_rows(cache_path, rows)
    with CacheReader(cache_path).session() as q:
        assert q.totals(CostQuery(start=date(2026, 11, 2), end=date(2026, 11, 3))) == {"USD": Decimal(14)}
        assert q.totals(CostQuery(end=date(2026, 11, 1))) == {"USD": Decimal(1)}
        assert q.totals(CostQuery(providers=("aws",))) == {"USD": Decimal(7)}
        assert q.totals(CostQuery(accounts=("222",))) == {"USD": Decimal(4)}
        assert q.totals(CostQuery(services=("S3",))) == {"USD": Decimal(2)}
        assert q.totals(CostQuery(regions=("eu-west-1",))) == {"USD": Decimal(4)}
        months = q.cost_groups(CostQuery(group_by=("month", "provider")))
    assert [(g.keys["month"], g.keys["provider"], g.cost) for g in months] == [
        ("2026-11", "gcp", Decimal(8)),
        ("2026-11", "aws", Decimal(7)),
    ]


def test_sub_cent_amounts_sum_exactly(cache_path):
    rows = [row(date(2026, 11, 1), cost="0.000001", service=f"svc{i}") for i in range(1000)]
    write_rows(cache_path, rows)
    with CacheReader(cache_path).session() as q:
        assert q.totals(CostQuery()) == {"USD": Decimal("0.001")}


def test_month_to_date_against_same_days_last_month(cache_path):
    rows = [row(date(2026, 10, d), cost="10") for d in range(1, 32)]
    rows += [row(date(2026, 11, d), cost="12") for d in range(1, 16)]
    write_rows(cache_path, rows)
    from costtui.core.windows import month_to_date, same_days_last_month
    from costtui.model import percent_change

    month = month_to_date(date(2026, 11, 15))
    before = same_days_last_month(month)
    with CacheReader(cache_path).session() as q:
        current = q.totals(CostQuery(month.start, month.end))["USD"]
        previous = q.totals(CostQuery(before.start, before.end))["USD"]
    assert (current, previous) == (Decimal(180), Decimal(150))
    assert percent_change(current, previous) == Decimal("20.0")
