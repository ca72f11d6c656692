"""A source of truth for Cost Explorer tests: charges at the full grain, answered as CE would page them."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

DIMENSION_FIELD = {
    "LINKED_ACCOUNT": "account",
    "SERVICE": "service",
    "REGION": "region",
    "RECORD_TYPE": "record_type",
}


@dataclass(frozen=True)
class Charge:
    day: date
    account: str
    service: str
    region: str
    record_type: str
    billed: Decimal
    effective: Decimal
    tags: tuple[tuple[str, str], ...] = ()  # the resource's cost allocation tags


@dataclass
class CostExplorerTruth:
    """What the bill really is; answers get_cost_and_usage parameters the way CE does."""

    charges: Sequence[Charge]
    account_names: dict[str, str]
    estimated_days: frozenset[date] = frozenset()
    page_size: int = 5000  # groups per page (see docs/aws-request-plan.md)
    currency: str = "USD"

    def groups(self, params: dict) -> dict[date, dict[tuple[str, ...], list[Decimal]]]:
        start = date.fromisoformat(params["TimePeriod"]["Start"])
        end = date.fromisoformat(params["TimePeriod"]["End"])  # exclusive
        group_by = list(params.get("GroupBy", ()))
        allowed = None
        if "Filter" in params:
            dimension = params["Filter"]["Dimensions"]
            allowed = (DIMENSION_FIELD[dimension["Key"]], set(dimension["Values"]))
        by_day: dict[date, dict[tuple[str, ...], list[Decimal]]] = {
            start + timedelta(days=n): defaultdict(lambda: [Decimal(0), Decimal(0)])
            for n in range((end - start).days)
        }
        for charge in self.charges:
            if not start <= charge.day < end:
                continue
            if allowed and getattr(charge, allowed[0]) not in allowed[1]:
                continue
            cell = by_day[charge.day][tuple(_group_key(charge, g) for g in group_by)]
            cell[0] += charge.billed
            cell[1] += charge.effective
        return by_day

    def pages(self, params: dict) -> list[dict]:
        """Every page of the answer; a day whose groups straddle a page boundary appears on both."""
        by_day = self.groups(params)
        entries: list[tuple[date, tuple[str, ...], list[Decimal]]] = [
            (day, keys, amounts)
            for day, cells in sorted(by_day.items())
            for keys, amounts in sorted(cells.items())
        ]
        group_by = [g["Key"] for g in params.get("GroupBy", ())]
        definitions = [{"Type": g["Type"], "Key": g["Key"]} for g in params.get("GroupBy", ())]
        chunks = [entries[i : i + self.page_size] for i in range(0, len(entries), self.page_size)] or [[]]
        pages = []
        for number, chunk in enumerate(chunks):
            days = sorted({day for day, _, _ in chunk}) if len(chunks) > 1 else sorted(by_day)
            page: dict = {
                "GroupDefinitions": definitions,
                "ResultsByTime": [self._result(day, [e for e in chunk if e[0] == day]) for day in days],
                "DimensionValueAttributes": [],
            }
            if "LINKED_ACCOUNT" in group_by and definitions[group_by.index("LINKED_ACCOUNT")]["Type"] == "DIMENSION":
                position = group_by.index("LINKED_ACCOUNT")
                accounts = sorted({keys[position] for _, keys, _ in chunk})
                page["DimensionValueAttributes"] = [
                    {"Value": a, "Attributes": {"description": self.account_names[a]}} for a in accounts
                ]
            if number < len(chunks) - 1:
                page["NextPageToken"] = f"page-{number + 2}-of-{json.dumps(params, sort_keys=True)[:40]}"
            pages.append(page)
        return pages

    def _result(self, day: date, entries: Iterable[tuple[date, tuple[str, ...], list[Decimal]]]) -> dict:
        return {
            "TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(days=1)).isoformat()},
            "Total": {},
            "Groups": [
                {
                    "Keys": list(keys),
                    "Metrics": {
                        "UnblendedCost": {"Amount": str(amounts[0]), "Unit": self.currency},
                        "AmortizedCost": {"Amount": str(amounts[1]), "Unit": self.currency},
                    },
                }
                for _, keys, amounts in entries
            ],
            "Estimated": day in self.estimated_days,
        }

    def per_day_service(self) -> dict[tuple[date, str], tuple[Decimal, Decimal]]:
        totals: dict[tuple[date, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for charge in self.charges:
            totals[(charge.day, charge.service)][0] += charge.billed
            totals[(charge.day, charge.service)][1] += charge.effective
        return {key: (value[0], value[1]) for key, value in totals.items()}


def _group_key(charge: Charge, group: dict) -> str:
    """A charge's key for one GroupBy entry: a dimension's value, or for a TAG the documented
    `key$value` form (`key$` when the resource does not carry the tag)."""
    if group["Type"] == "TAG":
        return f"{group['Key']}${dict(charge.tags).get(group['Key'], '')}"
    return getattr(charge, DIMENSION_FIELD[group["Key"]])
