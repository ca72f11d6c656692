"""Azure exports' Tags column through Azurite: EA's members without braces, MCA's JSON object,
the FOCUS dataset's Tags; per-tag totals in the cache equal the file's, untagged included."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from costtui.refresh import load_once
from costtui.tagrules import TagRules
from tests.providers.azure.conftest import ExportBucket, csv_bytes, parquet_bytes

pytestmark = pytest.mark.emulator

NOV = "20261101-20261130"
NOV_START, NOV_END = date(2026, 11, 1), date(2026, 11, 30)
RULES = TagRules(("team", "environment"), {"environment": ("env", "Environment")})
# day, service, charge type, cost, tags
LINES = [
    ("11/01/2026", "Virtual Machines", "Usage", "10.123456", {"team": "web", "environment": "prod"}),
    ("11/01/2026", "Virtual Machines", "Usage", "5.000004", {" team": "web", "Environment": "prod"}),
    ("11/01/2026", "Storage", "Usage", "2.5", {"team": "data", "env": "dev"}),
    ("11/02/2026", "Storage", "Usage", "1.25", {}),
    ("11/02/2026", "Virtual Machines", "Refund", "-3.10", {"team": "web", "environment": "prod"}),
    ("11/02/2026", "Storage", "Tax", "0.99", {}),
    ("11/02/2026", "SQL Database", "Usage", "4.00", {"Team": "x", "environment": ""}),  # other case, empty: untagged
]
EA_HEADER = [
    "Date", "BillingAccountId", "BillingProfileId", "SubscriptionId", "SubscriptionName",
    "MeterCategory", "ResourceLocation", "ChargeType", "CostInBillingCurrency", "BillingCurrencyCode", "Tags",
]
MCA_HEADER = [
    "date", "billingAccountId", "billingProfileId", "SubscriptionId", "subscriptionName",
    "meterCategory", "resourceLocation", "chargeType", "costInBillingCurrency", "billingCurrency", "tags",
]


def ea_tags(tags: dict) -> str:
    """EA's form: the members of a JSON object without its braces."""
    return ",".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in tags.items())


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def expected(key: str) -> dict[str | None, Decimal]:
    totals: dict[str | None, Decimal] = defaultdict(Decimal)
    for *_, cost, tags in LINES:
        totals[RULES.pick(tags).get(key)] += Decimal(cost)
    return dict(totals)


def stored(cache: Path, key: str) -> dict[str | None, Decimal]:
    con = duckdb.connect(str(cache), read_only=True)
    try:
        return {k: Decimal(v) for k, v in con.execute(f"SELECT tag_{key}, sum(billed_cost) FROM charges GROUP BY ALL").fetchall()}
    finally:
        con.close()


def check(cache: Path) -> None:
    for key in RULES.keys:
        assert stored(cache, key) == expected(key), key
    assert expected("team")[None] == Decimal("6.24")  # no tags, tax, other-case key


def test_ea_tags_without_braces(exports: ExportBucket, cache_path: Path):
    run = f"exports/actual/{NOV}/202611031833/3f1a2b3c-0000-4000-8000-000000000001"
    rows = [
        [day, "8611537", "8611537", "sub-a", "Production", service, "West Europe", charge, cost, "EUR", ea_tags(tags)]
        for day, service, charge, cost, tags in LINES
    ]
    exports.upload(f"{run}/part_0_0001.csv", csv_bytes(EA_HEADER, rows))
    load_once(exports.provider(), cache_path, NOV_START, NOV_END, tags=RULES)
    check(cache_path)


def test_mca_tags_as_a_json_object(exports: ExportBucket, cache_path: Path):
    run = f"exports/actual/{NOV}/202611031833/3f1a2b3c-0000-4000-8000-000000000002"
    rows = [
        [day, "acct:1234_2019-05-31", "PROF-1", "sub-m", "Team Blue", service, "East US", charge, cost, "USD",
         json.dumps(tags) if tags else ""]
        for day, service, charge, cost, tags in LINES
    ]
    exports.upload(f"{run}/part_0_0001.csv.gz", csv_bytes(MCA_HEADER, rows, gz=True))
    load_once(exports.provider(), cache_path, NOV_START, NOV_END, tags=RULES)
    check(cache_path)


def test_focus_dataset_tags(exports: ExportBucket, tmp_path: Path, cache_path: Path):
    run = f"exports/focus/{NOV}/202611031833/3f1a2b3c-0000-4000-8000-000000000003"
    values = ", ".join(
        f"('{date(2026, int(day[:2]), int(day[3:5])).isoformat()}T00:00:00Z', '{service}', "
        f"'{'Credit' if charge == 'Refund' else charge}', {cost}, {literal(json.dumps(tags)) if tags else 'NULL'})"
        for day, service, charge, cost, tags in LINES
    )
    select = f"""SELECT ChargePeriodStart, 'BA-1' AS BillingAccountId, 'sub-f' AS SubAccountId, ServiceName,
                 'eastus' AS RegionId, ChargeCategory, CAST(c AS DECIMAL(18, 6)) AS BilledCost,
                 CAST(c AS DECIMAL(18, 6)) AS EffectiveCost, 'USD' AS BillingCurrency, Tags
                 FROM (VALUES {values}) t(ChargePeriodStart, ServiceName, ChargeCategory, c, Tags)"""
    exports.upload(f"{run}/part_0_0001.parquet", parquet_bytes(tmp_path, select))
    load_once(exports.provider(path="exports/focus", dataset="focus"), cache_path, NOV_START, NOV_END, tags=RULES)
    check(cache_path)
