"""The cost row and period arithmetic users see in every total."""

from datetime import date
from decimal import Decimal

import pytest

from costtui.model import (
    CostQuery,
    CostRow,
    add_months,
    percent_change,
    to_cents,
)


def make_row(**overrides) -> CostRow:
    values = dict(
        charge_date=date(2026, 11, 1), provider="aws", billing_account_id="1", account_id="2",
        account_name="prod", service="EC2", region="us-east-1", charge_category="Usage",
        billed_cost=Decimal("1.50"), effective_cost=Decimal("1.20"), currency="USD",
    )
    values.update(overrides)
    return CostRow(**values)


def test_cost_row_rejects_unknown_charge_category():
    with pytest.raises(ValueError, match="charge_category"):
        make_row(charge_category="Discount")


def test_cost_row_rejects_float_money():
    with pytest.raises(TypeError):
        make_row(billed_cost=1.5)


def test_credit_rows_keep_their_negative_amount():
    row = make_row(charge_category="Credit", billed_cost=Decimal("-3.10"), effective_cost=Decimal("-3.10"))
    assert row.billed_cost == Decimal("-3.10")


def test_to_cents_rounds_half_up_like_an_invoice():
    assert to_cents(Decimal("1.005")) == Decimal("1.01")
    assert to_cents(Decimal("-1.005")) == Decimal("-1.01")
    assert to_cents(Decimal("0.1") + Decimal("0.2")) == Decimal("0.30")


def test_add_months_clips_to_the_month_end():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 1, 15), -1) == date(2025, 12, 15)


def test_percent_change_has_no_base_for_zero():
    assert percent_change(Decimal(110), Decimal(100)) == Decimal("10.0")
    assert percent_change(Decimal(5), Decimal(0)) is None


def test_query_rejects_unknown_grouping_and_reversed_range():
    with pytest.raises(ValueError, match="cannot group by"):
        CostQuery(group_by=("team",))
    with pytest.raises(ValueError, match="after"):
        CostQuery(start=date(2026, 2, 1), end=date(2026, 1, 1))
