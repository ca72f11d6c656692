"""A small standard billing export: its BigQuery schema, rows, and totals computed in Python."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from google.cloud.bigquery import SchemaField

BILLING_ACCOUNT = "01ABCD-234567-89EF01"
EU_BILLING_ACCOUNT = "02EEEE-555555-66FFFF"
WINDOW = (date(2024, 3, 1), date(2024, 3, 3))


def _record(name: str, *fields: SchemaField, mode: str = "NULLABLE") -> SchemaField:
    return SchemaField(name, "RECORD", mode=mode, fields=fields)


def _key_value(name: str) -> SchemaField:
    return _record(name, SchemaField("key", "STRING"), SchemaField("value", "STRING"), mode="REPEATED")


# The standard usage cost export's schema (the columns the provider reads, and their neighbours).
SCHEMA = [
    SchemaField("billing_account_id", "STRING"),
    _record("service", SchemaField("id", "STRING"), SchemaField("description", "STRING")),
    _record("sku", SchemaField("id", "STRING"), SchemaField("description", "STRING")),
    SchemaField("usage_start_time", "TIMESTAMP"),
    SchemaField("usage_end_time", "TIMESTAMP"),
    _record(
        "project",
        SchemaField("id", "STRING"),
        SchemaField("number", "STRING"),
        SchemaField("name", "STRING"),
        _key_value("labels"),
        SchemaField("ancestry_numbers", "STRING"),
    ),
    _key_value("labels"),
    _key_value("system_labels"),
    _record(
        "location",
        SchemaField("location", "STRING"),
        SchemaField("country", "STRING"),
        SchemaField("region", "STRING"),
        SchemaField("zone", "STRING"),
    ),
    SchemaField("export_time", "TIMESTAMP"),
    SchemaField("cost", "FLOAT"),
    SchemaField("currency", "STRING"),
    SchemaField("currency_conversion_rate", "FLOAT"),
    _record("usage", SchemaField("amount", "FLOAT"), SchemaField("unit", "STRING")),
    _record(
        "credits",
        SchemaField("name", "STRING"),
        SchemaField("amount", "FLOAT"),
        SchemaField("full_name", "STRING"),
        SchemaField("id", "STRING"),
        SchemaField("type", "STRING"),
        mode="REPEATED",
    ),
    _record("invoice", SchemaField("month", "STRING")),
    SchemaField("cost_type", "STRING"),
]

PROJECTS = {
    "shop-prod": ("Shop Production", "111111111111"),
    "shop-dev": ("Shop Development", "222222222222"),
    "eu-analytics": ("EU Analytics", "333333333333"),
}
SERVICES = {
    "Compute Engine": "6F81-5844-456A",
    "Cloud Storage": "95FF-2EF5-5EA1",
    "BigQuery": "24E6-581D-38E5",
}
CREDIT_TYPES = {
    "SUD": "SUSTAINED_USAGE_DISCOUNT",
    "CUD": "COMMITTED_USAGE_DISCOUNT",
    "FREE": "FREE_TIER",
    "PROMO": "PROMOTION",
}


def line(
    start: str,
    project: str,
    service: str,
    cost: str,
    *,
    region: str | None = "us-central1",
    location: str | None = None,
    credits: tuple[tuple[str, str], ...] = (),
    cost_type: str = "regular",
    currency: str = "USD",
    account: str = BILLING_ACCOUNT,
) -> dict:
    """One export line; money is written as text here and as a JSON number in the file."""
    started = datetime.fromisoformat(start)
    name, number = PROJECTS[project]
    return {
        "billing_account_id": account,
        "service": {"id": SERVICES[service], "description": service},
        "sku": {"id": "SKU-" + service[:3].upper(), "description": f"{service} usage"},
        "usage_start_time": started.isoformat() + "Z",
        "usage_end_time": started.replace(minute=59, second=59).isoformat() + "Z",
        "project": {
            "id": project, "number": number, "name": name,
            "labels": [{"key": "cost-center", "value": project.split("-")[0]}],
            "ancestry_numbers": "/123/",
        },
        "labels": [{"key": "env", "value": project.split("-")[-1]}, {"key": "team", "value": "web"}],
        "system_labels": [],
        "location": {
            "location": location or region, "country": "US", "region": region,
            "zone": f"{region}-a" if region else None,
        },
        "export_time": started.replace(hour=23, minute=59).isoformat() + "Z",
        "cost": cost,
        "currency": currency,
        "currency_conversion_rate": 1.0,
        "usage": {"amount": 1.0, "unit": "hour"},
        "credits": [
            {"name": f"{kind} credit", "amount": amount, "full_name": f"{kind} credit for {project}",
             "id": f"{kind}-{index}", "type": CREDIT_TYPES[kind]}
            for index, (kind, amount) in enumerate(credits)
        ],
        "invoice": {"month": started.strftime("%Y%m")},
        "cost_type": cost_type,
    }


SUD_CUD = (("SUD", "-10.01"), ("CUD", "-5.005"))

ROWS = [
    # 2024-03-01: several credits per line, ten small lines, a tax line with no region.
    line("2024-03-01T10:00:00", "shop-prod", "Compute Engine", "100.10", credits=SUD_CUD),
    line("2024-03-01T11:00:00", "shop-prod", "Compute Engine", "50.05", credits=(("SUD", "-5.00"),)),
    *[
        line(f"2024-03-01T0{hour}:00:00", "shop-prod", "Cloud Storage", "0.1", region=None, location="US")
        for hour in range(10)
    ],
    line("2024-03-01T12:00:00", "shop-dev", "Compute Engine", "20.00", region="europe-west1",
         credits=(("FREE", "-3.333"), ("PROMO", "-1.111"), ("SUD", "-0.556"))),
    line("2024-03-01T00:00:00", "shop-prod", "Compute Engine", "14.30", region=None, cost_type="tax"),
    # 2024-03-02: a multi-region service, a rounding error, a second billing account in EUR.
    line("2024-03-02T08:00:00", "shop-prod", "BigQuery", "5.123456", region=None, location="US",
         credits=(("FREE", "-0.123456"),)),
    line("2024-03-02T09:00:00", "shop-prod", "Compute Engine", "100.10", credits=SUD_CUD),
    line("2024-03-02T10:00:00", "shop-dev", "Cloud Storage", "-0.004", region="europe-west1",
         cost_type="rounding_error"),
    line("2024-03-02T10:00:00", "eu-analytics", "BigQuery", "42.42", region="europe-west3", currency="EUR",
         account=EU_BILLING_ACCOUNT, credits=(("PROMO", "-2.42"),)),
    # 2024-03-03: the first and the last hour of the window's end day, an adjustment.
    line("2024-03-03T00:00:00", "shop-dev", "Compute Engine", "7.77", region="europe-west1"),
    line("2024-03-03T23:30:00", "shop-prod", "Compute Engine", "3.33", credits=(("SUD", "-0.33"),)),
    line("2024-03-03T14:00:00", "shop-prod", "Cloud Storage", "-1.50", cost_type="adjustment"),
    # Outside the window on either side: must never be counted.
    line("2024-02-29T23:59:59", "shop-prod", "Compute Engine", "999.99", credits=(("SUD", "-99.99"),)),
    line("2024-03-04T00:00:00", "shop-prod", "Compute Engine", "888.88", credits=(("SUD", "-88.88"),)),
]

# Worked out by hand from the lines above (USD, 1-3 March 2024):
#   1 Mar: 100.10-15.015 + 50.05-5.00 + 10x0.1 + 20.00-5.000 + 14.30 tax   = 160.435
#   2 Mar: 5.123456-0.123456 + 100.10-15.015 - 0.004                       =  90.081
#   3 Mar: 7.77 + 3.33-0.33 - 1.50                                         =   9.270
HAND_NET_TOTAL_USD = Decimal("259.786")
HAND_CREDITS_USD = Decimal("-40.483456")
HAND_NET_TOTAL_EUR = Decimal("40.00")


def ndjson(rows: list[dict]) -> bytes:
    """Newline-delimited JSON with money as JSON numbers, as a load job reads it."""
    def encode(row: dict) -> dict:
        copy = dict(row, cost=float(row["cost"]))
        copy["credits"] = [dict(c, amount=float(c["amount"])) for c in row["credits"]]
        return copy

    return "\n".join(json.dumps(encode(row)) for row in rows).encode()


def day_of(row: dict) -> date:
    return date.fromisoformat(row["usage_start_time"][:10])


def net_by_day_and_service(rows: list[dict], start: date, end: date) -> dict[tuple[str, str, str], Decimal]:
    """(day, service, currency) -> cost + credits, summed in Decimal from the export lines."""
    totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        if start <= day_of(row) <= end:
            amount = Decimal(row["cost"]) + sum((Decimal(c["amount"]) for c in row["credits"]), Decimal(0))
            totals[(day_of(row).isoformat(), row["service"]["description"], row["currency"])] += amount
    return dict(totals)
