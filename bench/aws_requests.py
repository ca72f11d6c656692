"""Cost Explorer requests (and USD) for a 13-month backfill and a daily refresh of a 50-account org.

Run: python bench/aws_requests.py [--page-size 5000]

The real AwsCostExplorerProvider runs against a fake at the botocore level (a
`before-call` hook answers get_cost_and_usage from a synthetic bill, paginated at
--page-size groups per page, since moto does not paginate and AWS does not publish
its page size). Measured: a steady-state refresh (restatement window 3 days + today)
and a one-month backfill. The 13-month backfill is computed with the same pager
from per-day group counts (running the provider over ~1.3M charges is slow), and
the one-month figure checks that computation against the measured count.
Baseline, same process: the "full grain" plan (one request per service x charge
category, grouped by LINKED_ACCOUNT x REGION), which would make every combination exact.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
from botocore.awsrequest import AWSResponse  # noqa: E402

from costtui.config import AwsConfig  # noqa: E402
from costtui.providers.aws.cost_explorer import AwsCostExplorerProvider  # noqa: E402
from costtui.providers.aws.plan import DISCOVERY, category_requests, charge_category  # noqa: E402
from costtui.providers.base import FetchContext  # noqa: E402
from costtui.refresh import backfill_start  # noqa: E402
from tests.providers.aws.cefake import Charge, CostExplorerTruth  # noqa: E402

TODAY = date(2026, 11, 15)
ACCOUNTS, SERVICES, REGIONS = 50, 40, 10
SERVICES_PER_ACCOUNT, REGIONS_PER_SERVICE = 20, 3
PRICE = Decimal("0.01")


class Org:
    """A deterministic bill: each account uses 20 of 40 services in about 3 of 10 regions,
    pays tax daily, 10 accounts get credits, 3 run Savings Plans (fee + negation), 5 buy RIs monthly."""

    def __init__(self, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.accounts = [f"{100000000000 + n}" for n in range(ACCOUNTS)]
        self.services = [f"Service {n:02d}" for n in range(SERVICES)]
        self.regions = [f"region-{n}" for n in range(REGIONS)]
        self.usage = [
            (account, service, region, Decimal(rng.randint(1, 10**7)) / 10**4)
            for account in self.accounts
            for service in rng.sample(self.services, SERVICES_PER_ACCOUNT)
            for region in rng.sample(self.regions, rng.randint(1, 2 * REGIONS_PER_SERVICE - 1))
        ]

    def day(self, day: date) -> list[Charge]:
        charges = [Charge(day, a, s, r, "Usage", c, c * Decimal("0.93")) for a, s, r, c in self.usage]
        charges += [
            Charge(day, a, "Tax", "NoRegion", "Tax", Decimal("4.2"), Decimal("4.2")) for a in self.accounts
        ]
        for a in self.accounts[:10]:
            charges += [
                Charge(day, a, s, "region-0", "Credit", Decimal("-1.5"), Decimal("-1.5"))
                for s in self.services[:5]
            ]
        for a in self.accounts[10:13]:
            fee = "SavingsPlanRecurringFee"
            charges.append(
                Charge(
                    day, a, "Savings Plans for AWS Compute usage", "NoRegion", fee, Decimal(24), Decimal(0)
                )
            )
            charges += [
                Charge(day, a, self.services[0], r, "SavingsPlanNegation", Decimal(-8), Decimal(0))
                for r in self.regions[:3]
            ]
        if day.day == 1:
            charges += [
                Charge(
                    day,
                    a,
                    self.services[1],
                    "region-1",
                    "Recurring reservation fee",
                    Decimal(300),
                    Decimal(0),
                )
                for a in self.accounts[13:18]
            ]
        return charges

    def truth(self, start: date, end: date, page_size: int) -> CostExplorerTruth:
        charges = [c for n in range((end - start).days + 1) for c in self.day(start + timedelta(days=n))]
        return CostExplorerTruth(charges, {a: f"account {a}" for a in self.accounts}, page_size=page_size)


def measured_requests(truth: CostExplorerTruth, start: date, end: date) -> tuple[int, float, int]:
    """Run the real provider with get_cost_and_usage answered at the botocore level."""
    session = boto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
    pages_by_request: dict[str, list[dict]] = {}
    sent = Counter()

    def answer(params, **kwargs):
        sent["ce"] += 1
        params = json.loads(params["body"])  # the serialized request: what would go on the wire
        body = {k: v for k, v in params.items() if k != "NextPageToken"}
        key = repr(sorted(body.items()))
        if key not in pages_by_request:
            pages_by_request[key] = truth.pages(body)
        pages = pages_by_request[key]
        index = 0 if "NextPageToken" not in params else int(params["NextPageToken"].split("-")[1]) - 1
        return AWSResponse("http://fake", 200, {}, None), pages[index]

    session.events.register("before-call.ce.GetCostAndUsage", answer)
    session.events.register(
        "before-call.sts.GetCallerIdentity",
        lambda **kwargs: (AWSResponse("http://fake", 200, {}, None), {"Account": "999999999999"}),
    )
    provider = AwsCostExplorerProvider(AwsConfig(enabled=True), session=session)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        result = provider.fetch(FetchContext(start, end, Path(workdir)))
    assert result.api_calls == sent["ce"]
    return result.api_calls, time.perf_counter() - began, len(result.rows)


def computed_requests(org: Org, start: date, end: date, page_size: int) -> tuple[int, int]:
    """Pages of the compact plan and of the full-grain plan, from per-day group counts."""
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    compact: Counter = Counter()
    full: Counter = Counter()
    for day in days:
        charges = org.day(day)
        compact["discovery"] += len({(c.record_type, c.region) for c in charges})
        for kind in ("LINKED_ACCOUNT x SERVICE", "SERVICE x REGION"):
            fields = ("account", "service") if kind.startswith("LINKED") else ("service", "region")
            keys = {(charge_category(c.record_type), *(getattr(c, f) for f in fields)) for c in charges}
            compact.update(f"{k[0]}: {kind}" for k in keys)
        full["discovery"] += len({(c.service, c.record_type) for c in charges})
        full.update(
            f"{s}|{k}"
            for k, s, _, _ in {
                (charge_category(c.record_type), c.service, c.account, c.region) for c in charges
            }
        )
    return (
        sum(math.ceil(groups / page_size) for groups in compact.values()),
        sum(math.ceil(groups / page_size) for groups in full.values()),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page-size", type=int, default=5000, help="groups per Cost Explorer page (assumed)")
    page_size = parser.parse_args().page_size
    org = Org()
    print(
        f"org: {ACCOUNTS} accounts, {SERVICES} services, {REGIONS} regions; "
        f"{len(org.day(TODAY))} charges (full-grain cells) a day; {page_size} groups per page (assumed)"
    )
    print(
        f"plan: {1 + 2 * len({charge_category(c.record_type) for c in org.day(date(2026, 11, 1))})} logical "
        f"requests ({DISCOVERY.label} + 2 per charge category); see docs/aws-request-plan.md"
    )
    scenarios = [
        ("steady-state daily refresh (today-3 .. today)", TODAY - timedelta(days=3), TODAY, True),
        ("open month still Estimated (1st .. today)", TODAY.replace(day=1), TODAY, True),
        ("one-month backfill (October)", date(2026, 10, 1), date(2026, 10, 31), True),
        (
            f"first backfill, 13 months ({backfill_start(TODAY)} .. {TODAY})",
            backfill_start(TODAY),
            TODAY,
            False,
        ),
    ]
    print(f"{'scenario':<58} {'requests':>8} {'USD':>7} {'full-grain':>10} {'ratio':>6} {'check':>10}")
    for label, start, end, measure in scenarios:
        compact, full = computed_requests(org, start, end, page_size)
        check = ""
        if measure:
            made, seconds, rows = measured_requests(org.truth(start, end, page_size), start, end)
            check = "measured" if made == compact else f"MISMATCH {made}"
            label += f" [{rows:,} rows, {seconds:.1f}s]"
        print(
            f"{label:<58} {compact:>8} {compact * PRICE:>7.2f} {full:>10} {compact / full:>6.2f} {check:>10}"
        )
    logical = (
        len(category_requests({"Usage", "Tax", "Credit", "SavingsPlanRecurringFee", "SavingsPlanNegation"}))
        + 1
    )
    print(
        f"steady state: {logical} logical requests, one page each = the minimum for this plan "
        f"(every request is needed and none is paged); USD {logical * PRICE:.2f} a day, "
        f"{logical * PRICE * 30:.2f} a month at one refresh a day"
    )
    interval = AwsConfig().min_refresh_hours
    guarded = math.ceil(24 / interval)
    print(
        f"hourly cron: {24 * logical} requests a day (USD {24 * logical * PRICE * 30:.2f} a month) with no "
        f"minimum interval; with the default min_refresh_hours = {interval:g}, AWS is fetched {guarded} times a "
        f"day: {guarded * logical} requests (USD {guarded * logical * PRICE * 30:.2f} a month)"
    )


if __name__ == "__main__":
    main()
