"""Which rows a scope replaces: one without a billing account covers every account of its provider
(in the cache or in the new rows) and no other provider; one with an account only that account."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from costtui.cache import open_writer
from costtui.model import ReplaceScope
from tests.cachefactory import row, write_rows

DAY = date(2026, 11, 2)


def by_account(cache: Path) -> dict[tuple[str, str], Decimal]:
    con = duckdb.connect(str(cache), read_only=True)
    try:
        rows = con.execute(
            "SELECT provider, billing_account_id, sum(billed_cost) FROM charges GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()
    return {(provider, account): total for provider, account, total in rows}


def seed(cache: Path) -> None:
    write_rows(cache, [
        row(DAY, billing_account="payer-a", cost="1.00"),
        row(DAY, billing_account="payer-b", cost="2.00"),
        row(DAY, provider="gcp", billing_account="payer-a", cost="4.00"),
    ])


def test_a_scope_without_billing_account_replaces_every_account_of_its_provider_only(tmp_path):
    cache = tmp_path / "c.duckdb"
    seed(cache)
    with open_writer(cache) as writer:
        writer.replace_charges([ReplaceScope("aws", DAY, DAY)], [row(DAY, billing_account="payer-c", cost="8.00")])
        changes = [c.describe() for c in writer.last_changes]
    assert by_account(cache) == {("aws", "payer-c"): Decimal("8.00"), ("gcp", "payer-a"): Decimal("4.00")}
    assert changes == ["aws 2026-11-02..2026-11-02: 3.00 -> 8.00 USD (2 -> 1 rows)"]  # one line for the scope


def test_a_scope_with_a_billing_account_leaves_the_others(tmp_path):
    cache = tmp_path / "c.duckdb"
    seed(cache)
    with open_writer(cache) as writer:
        writer.replace_charges([ReplaceScope("aws", DAY, DAY, "payer-b")], [row(DAY, billing_account="payer-b", cost="16.00")])
    assert by_account(cache) == {
        ("aws", "payer-a"): Decimal("1.00"),
        ("aws", "payer-b"): Decimal("16.00"),
        ("gcp", "payer-a"): Decimal("4.00"),
    }
