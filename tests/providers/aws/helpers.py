"""Shared builders for the AWS tests: a small organisation's bill and the queue of answers it implies."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import boto3

from costtui.model import CostRow
from costtui.providers.aws.plan import DISCOVERY, category_requests, tag_requests
from tests.providers.aws.cefake import Charge, CostExplorerTruth
from tests.providers.aws.conftest import queue_ce_results

ACCOUNT_NAMES = {"111111111111": "payments-prod", "222222222222": "data-platform", "333333333333": "sandbox"}
SERVICES = ["Amazon Elastic Compute Cloud - Compute", "Amazon Simple Storage Service", "AWS Lambda", "Tax"]
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]


def small_org(start: date, days: int, estimated: frozenset[date] = frozenset()) -> CostExplorerTruth:
    """Three accounts, three services in up to three regions, and every kind of record type:
    usage with sub-cent amounts, a credit, a refund, tax, an RI fee and a Savings Plan negation."""
    charges: list[Charge] = []
    for n in range(days):
        day = start + timedelta(days=n)
        for a, account in enumerate(ACCOUNT_NAMES):
            for s, service in enumerate(SERVICES[:3]):
                for r, region in enumerate(REGIONS[: 1 + (a + s) % 3]):
                    billed = Decimal(
                        f"{10 + 7 * a + 3 * s + r + n}.{(a * 37 + s * 11 + r * 5 + n) % 100:02d}1234567"
                    )
                    charges.append(
                        Charge(day, account, service, region, "Usage", billed, billed * Decimal("0.9"))
                    )
            tax = Decimal("1.06")
            charges.append(Charge(day, account, "Tax", "NoRegion", "Tax", tax, tax))
        charges.append(
            Charge(
                day, "111111111111", SERVICES[0], "us-east-1", "Credit", Decimal("-5.25"), Decimal("-5.25")
            )
        )
        charges.append(
            Charge(day, "222222222222", SERVICES[1], "eu-west-1", "Refund", Decimal("-0.4"), Decimal("-0.4"))
        )
        charges.append(
            Charge(
                day,
                "111111111111",
                SERVICES[0],
                "us-east-1",
                "Recurring reservation fee",
                Decimal("12"),
                Decimal("0"),
            )
        )
        charges.append(
            Charge(
                day,
                "333333333333",
                SERVICES[2],
                "eu-west-1",
                "SavingsPlanNegation",
                Decimal("-2.5"),
                Decimal("0"),
            )
        )
    return CostExplorerTruth(charges, dict(ACCOUNT_NAMES), estimated_days=estimated)


def planned_pages(truth: CostExplorerTruth, start: date, end: date, tag_keys: tuple[str, ...] = ()) -> list[dict]:
    """Every page the provider will ask for, in the order it asks (moto answers from a queue)."""
    end_exclusive = (end + timedelta(days=1)).isoformat()
    pages = truth.pages(DISCOVERY.parameters(start.isoformat(), end_exclusive))
    record_types = {c.record_type for c in truth.charges if start <= c.day <= end}
    for request in category_requests(record_types) + tag_requests(record_types, tag_keys):
        pages += truth.pages(request.parameters(start.isoformat(), end_exclusive))
    return pages


def queue_truth(
    moto_url: str, truth: CostExplorerTruth, start: date, end: date, account_id: str = "123456789012",
    tag_keys: tuple[str, ...] = (),
) -> int:
    pages = planned_pages(truth, start, end, tag_keys)
    queue_ce_results(moto_url, pages, account_id)
    return len(pages)


class RequestLog:
    """Counts HTTP attempts of get_cost_and_usage at the botocore level and keeps their parameters."""

    def __init__(self) -> None:
        self.session = boto3.Session()
        self.sent = 0
        self.params: list[dict] = []
        self.session.events.register("before-send.ce.GetCostAndUsage", self._on_send)
        self.session.events.register("provide-client-params.ce.GetCostAndUsage", self._on_params)

    def _on_send(self, **kwargs) -> None:
        self.sent += 1

    def _on_params(self, params: dict, **kwargs) -> None:
        self.params.append(dict(params))


def totals(rows: list[CostRow], *fields: str) -> dict[tuple, tuple[Decimal, Decimal]]:
    sums: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows:
        key = tuple(getattr(row, f) for f in fields)
        sums[key][0] += row.billed_cost
        sums[key][1] += row.effective_cost
    return {key: (value[0], value[1]) for key, value in sums.items()}


def truth_totals(
    truth: CostExplorerTruth, *fields: str, category=None
) -> dict[tuple, tuple[Decimal, Decimal]]:
    sums: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for charge in truth.charges:
        values = []
        for f in fields:
            values.append(
                category(charge.record_type) if f == "charge_category" else getattr(charge, _field(f))
            )
        sums[tuple(values)][0] += charge.billed
        sums[tuple(values)][1] += charge.effective
    return {key: (value[0], value[1]) for key, value in sums.items()}


def _field(name: str) -> str:
    return {"charge_date": "day", "account_id": "account"}.get(name, name)


def assert_same_to_the_cent(stored: dict, expected: dict) -> None:
    """Same keys, and each metric within half a cent of the source's."""
    assert set(stored) == set(expected)
    for key, (billed, effective) in expected.items():
        assert abs(stored[key][0] - billed) < Decimal("0.005"), (key, stored[key], expected[key])
        assert abs(stored[key][1] - effective) < Decimal("0.005"), (key, stored[key], expected[key])
