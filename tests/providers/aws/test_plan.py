"""The pure request plan: record types to categories, request shapes, and exact apportioning."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from costtui.providers.aws.plan import apportion, category_requests, charge_category


@pytest.mark.parametrize(
    ("record_type", "category"),
    [
        ("Usage", "Usage"),
        ("Credit", "Credit"),
        ("Refund", "Credit"),
        ("Tax", "Tax"),
        ("Upfront reservation fee", "Purchase"),
        ("Recurring reservation fee", "Purchase"),
        ("SavingsPlanRecurringFee", "Purchase"),
        ("SavingsPlanUpfrontFee", "Purchase"),
        ("SavingsPlanNegation", "Adjustment"),
        ("Enterprise Discount Program Discount", "Adjustment"),
    ],
)
def test_record_types_map_to_charge_categories(record_type, category):
    assert charge_category(record_type) == category


def test_two_requests_per_category_present_each_with_at_most_two_dimensions():
    plan = category_requests(["Refund", "Usage", "Credit", "Tax"])

    assert [(r.category, r.group_by) for r in plan] == [
        ("Usage", ("LINKED_ACCOUNT", "SERVICE")),
        ("Usage", ("SERVICE", "REGION")),
        ("Tax", ("LINKED_ACCOUNT", "SERVICE")),
        ("Tax", ("SERVICE", "REGION")),
        ("Credit", ("LINKED_ACCOUNT", "SERVICE")),
        ("Credit", ("SERVICE", "REGION")),
    ]
    credit = plan[4].parameters("2026-11-01", "2026-11-02")
    assert credit["Filter"]["Dimensions"]["Values"] == ["Credit", "Refund"]


def test_apportioning_keeps_both_margins_exact_to_the_micro_dollar():
    rng = random.Random(3)
    for _ in range(500):
        rows = {f"a{i}": Decimal(rng.randint(-(10**8), 10**9)) / 10**6 for i in range(rng.randint(1, 6))}
        columns = {f"r{j}": Decimal(rng.randint(-(10**8), 10**9)) / 10**6 for j in range(rng.randint(0, 4))}
        columns["last"] = sum(rows.values()) - sum(columns.values())

        cells = apportion(rows, columns)

        for row, amount in rows.items():
            assert sum(v for (r, _), v in cells.items() if r == row) == amount
        for column, amount in columns.items():
            assert sum(v for (_, c), v in cells.items() if c == column) == amount
        assert all(v == v.quantize(Decimal("0.000001")) for v in cells.values())
