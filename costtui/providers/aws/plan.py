"""The Cost Explorer request plan: which 2-dimension requests to make, and how their answers become rows.

Cost Explorer groups by at most two dimensions per request, so the cost row's grain
(day x account x service x region x charge category) cannot come from one request.
The plan (docs/aws-request-plan.md has the reasoning and the request counts):

1. discovery: GroupBy RECORD_TYPE x REGION — which record types exist, and the
   per-day, per-category totals every other answer is reconciled against;
2. per charge category k present (filter RECORD_TYPE in the types mapping to k):
   GroupBy LINKED_ACCOUNT x SERVICE, and GroupBy SERVICE x REGION;
3. per configured tag key t ([allocation] tag_keys) and category k present:
   GroupBy TAG t x SERVICE (keys `t$value`; `t$` is untagged).

Rows are then built per (day, service, category): the account amounts and the
region amounts of that cell are both exact, and the account x region split inside
it is apportioned so that both margins stay exact to the micro-dollar. Each row of a
(day, service, category) cell is then split over the tag values of that cell the same way,
so per-tag totals by service are exact and the rows inside the cell keep their sums.
Pure module: no SDK, no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from costtui.model import CHARGE_CATEGORIES, CostRow
from costtui.providers.focus_mapping import COST_EXPLORER_RECORD_TYPES, UNKNOWN_CATEGORY

QUANTUM = Decimal("0.000001")  # the cache stores DECIMAL(18, 6)
RECONCILE_TOLERANCE = Decimal("0.005")  # answers agree "to the cent"
ZERO = Decimal(0)

def charge_category(record_type: str) -> str:
    """Cost Explorer RECORD_TYPE -> charge category (the shared mapping in providers/focus_mapping)."""
    return COST_EXPLORER_RECORD_TYPES.get(record_type, UNKNOWN_CATEGORY)


@dataclass(frozen=True)
class PlannedRequest:
    """One logical get_cost_and_usage request (it may take several pages)."""

    label: str
    group_by: tuple[str, str]
    record_types: tuple[str, ...] = ()  # empty: no filter
    category: str | None = None
    tag_key: str | None = None  # group_by ("TAG", ...): the cost allocation tag grouped by

    def parameters(self, start: str, end_exclusive: str) -> dict:
        params: dict = {
            "TimePeriod": {"Start": start, "End": end_exclusive},
            "Granularity": "DAILY",
            "Metrics": ["UnblendedCost", "AmortizedCost"],
            "GroupBy": [
                {"Type": "TAG", "Key": self.tag_key} if key == "TAG" else {"Type": "DIMENSION", "Key": key}
                for key in self.group_by
            ],
        }
        if self.record_types:
            params["Filter"] = {
                "Dimensions": {
                    "Key": "RECORD_TYPE",
                    "Values": list(self.record_types),
                    "MatchOptions": ["EQUALS"],
                }
            }
        return params


DISCOVERY = PlannedRequest("discovery", ("RECORD_TYPE", "REGION"))


def category_requests(record_types: Iterable[str]) -> list[PlannedRequest]:
    """The two requests per charge category present, in a fixed order."""
    by_category: dict[str, list[str]] = defaultdict(list)
    for record_type in sorted(set(record_types)):
        by_category[charge_category(record_type)].append(record_type)
    plan: list[PlannedRequest] = []
    for category in CHARGE_CATEGORIES:
        types = tuple(by_category.get(category, ()))
        if types:
            plan.append(
                PlannedRequest(
                    f"{category}: account x service", ("LINKED_ACCOUNT", "SERVICE"), types, category
                )
            )
            plan.append(
                PlannedRequest(f"{category}: service x region", ("SERVICE", "REGION"), types, category)
            )
    return plan


def tag_requests(record_types: Iterable[str], tag_keys: Iterable[str]) -> list[PlannedRequest]:
    """One TAG x SERVICE request per configured tag key and charge category present.

    Cost Explorer groups by the exact key of an activated cost allocation tag, so aliases
    cannot be merged here (each spelling would be a separate, overlapping answer)."""
    plan: list[PlannedRequest] = []
    categories = [r.category for r in category_requests(record_types)][::2]
    types = {r.category: r.record_types for r in category_requests(record_types)}
    for key in tag_keys:
        for category in categories:
            plan.append(
                PlannedRequest(f"{category}: tag {key} x service", ("TAG", "SERVICE"), types[category], category, key)
            )
    return plan


def tag_value(group_key: str) -> str | None:
    """The value of a TAG group key: `team$web` -> web; `team$` (untagged) -> None."""
    _, _, value = group_key.partition("$")
    return value or None


@dataclass
class Amount:
    billed: Decimal = ZERO
    effective: Decimal = ZERO

    def add(self, billed: Decimal, effective: Decimal) -> None:
        self.billed += billed
        self.effective += effective


@dataclass
class Answer:
    """Everything one logical request returned, merged over its pages."""

    request: PlannedRequest
    cells: dict[date, dict[tuple[str, str], Amount]] = field(default_factory=lambda: defaultdict(dict))
    estimated_days: set[date] = field(default_factory=set)
    days: set[date] = field(default_factory=set)
    currencies: set[str] = field(default_factory=set)
    account_names: dict[str, str] = field(default_factory=dict)
    pages: int = 0

    def add_page(self, page: Mapping) -> None:
        """Merge one get_cost_and_usage response; a day may continue on the next page."""
        self.pages += 1
        for attribute in page.get("DimensionValueAttributes", ()):
            name = attribute.get("Attributes", {}).get("description")
            if name:
                self.account_names[attribute["Value"]] = name
        for result in page.get("ResultsByTime", ()):
            day = date.fromisoformat(result["TimePeriod"]["Start"])  # End is exclusive: key by Start
            self.days.add(day)
            if result.get("Estimated"):
                self.estimated_days.add(day)
            day_cells = self.cells[day]
            for group in result.get("Groups", ()):
                keys = tuple(group["Keys"])
                if len(keys) != 2:
                    raise ValueError(f"{self.request.label}: expected two group keys, got {keys!r}")
                metrics = group.get("Metrics", {})
                billed, effective = _metric(metrics, "UnblendedCost"), _metric(metrics, "AmortizedCost")
                for metric in ("UnblendedCost", "AmortizedCost"):
                    unit = metrics.get(metric, {}).get("Unit")
                    if unit:
                        self.currencies.add(unit)
                day_cells.setdefault(keys, Amount()).add(billed, effective)

    def day_total(self, day: date) -> Amount:
        total = Amount()
        for amount in self.cells.get(day, {}).values():
            total.add(amount.billed, amount.effective)
        return total

    def totals_by(self, day: date, position: int) -> dict[str, Amount]:
        """Per-day totals by the first (0) or second (1) group key."""
        totals: dict[str, Amount] = defaultdict(Amount)
        for keys, amount in self.cells.get(day, {}).items():
            totals[keys[position]].add(amount.billed, amount.effective)
        return totals


def _metric(metrics: Mapping, name: str) -> Decimal:
    raw = metrics.get(name, {}).get("Amount")
    return Decimal(raw) if raw not in (None, "") else ZERO


class ReconcileError(Exception):
    """Two answers of one plan disagree about the same total."""


def reconcile(discovery: Answer, answers: Iterable[Answer], days: Iterable[date]) -> None:
    """Every request's per-day (and per-day, per-category) totals must agree to the cent,
    and within a category both answers must agree per service (the apportioning needs it)."""
    answers = list(answers)
    for day in sorted(days):
        by_category: dict[str, Amount] = defaultdict(Amount)
        for keys, amount in discovery.cells.get(day, {}).items():
            by_category[charge_category(keys[0])].add(amount.billed, amount.effective)
        for answer in answers:
            expected = by_category.get(answer.request.category or "", Amount())
            _agree(day, answer.request.label, answer.day_total(day), DISCOVERY.label, expected)
        for first, second in _pairs(answers):
            first_services = first.totals_by(day, 1)
            second_services = second.totals_by(day, 0)
            for service in sorted(set(first_services) | set(second_services)):
                _agree(
                    day,
                    f"{first.request.label} [{service}]",
                    first_services.get(service, Amount()),
                    f"{second.request.label} [{service}]",
                    second_services.get(service, Amount()),
                )


def _pairs(answers: list[Answer]) -> Iterable[tuple[Answer, Answer]]:
    """Answers that must agree per service: account x service with service x region, and with
    each tag x service of the same category (whose service totals are the first key's)."""
    by_category, tags = _by_category(answers)
    for category, group in by_category.items():
        accounts = group.get(("LINKED_ACCOUNT", "SERVICE"))
        regions = group.get(("SERVICE", "REGION"))
        if accounts and regions:
            yield accounts, regions
        if accounts:
            for tagged in tags.get(category, ()):
                yield accounts, _services_first(tagged)


def _by_category(
    answers: Iterable[Answer],
) -> tuple[dict[str, dict[tuple[str, str], Answer]], dict[str, list[Answer]]]:
    """The answers per charge category: the plain ones by their group-by keys, the tag ones in order."""
    by_category: dict[str, dict[tuple[str, str], Answer]] = defaultdict(dict)
    tags: dict[str, list[Answer]] = defaultdict(list)
    for answer in answers:
        if answer.request.tag_key:
            tags[answer.request.category or ""].append(answer)
        else:
            by_category[answer.request.category or ""][answer.request.group_by] = answer
    return by_category, tags


def _services_first(answer: Answer) -> Answer:
    """A TAG x SERVICE answer seen as SERVICE x TAG (service totals by the first key)."""
    flipped = Answer(answer.request)
    for day, cells in answer.cells.items():
        flipped.cells[day] = {(keys[1], keys[0]): amount for keys, amount in cells.items()}
    return flipped


def _agree(day: date, label: str, amount: Amount, other_label: str, other: Amount) -> None:
    for metric, mine, theirs in (
        ("UnblendedCost", amount.billed, other.billed),
        ("AmortizedCost", amount.effective, other.effective),
    ):
        if abs(mine - theirs) >= RECONCILE_TOLERANCE:
            raise ReconcileError(
                f"Cost Explorer answers disagree on {day} ({metric}): {label} sums to {mine:.2f}, "
                f"{other_label} to {theirs:.2f}"
            )


def apportion(rows: Mapping[str, Decimal], columns: Mapping[str, Decimal]) -> dict[tuple[str, str], Decimal]:
    """Split a total over row x column cells so both margins are exact at QUANTUM.

    Inner cells get row * column / total (rounded); the largest row and the largest
    column absorb the rounding, which makes every row sum and every column sum exact.
    The margins must have equal sums (the caller moves any sub-cent gap into a column)."""
    row_keys = sorted(rows, key=lambda k: (abs(rows[k]), k))
    column_keys = sorted(columns, key=lambda k: (abs(columns[k]), k))
    if not row_keys or not column_keys:
        return {}
    last_row, last_column = row_keys[-1], column_keys[-1]
    total = sum(rows.values(), ZERO)
    cells: dict[tuple[str, str], Decimal] = {}
    for row in row_keys[:-1]:
        remaining = rows[row]
        for column in column_keys[:-1]:
            share = (
                (rows[row] * columns[column] / total).quantize(QUANTUM, ROUND_HALF_EVEN) if total else ZERO
            )
            cells[(row, column)] = share
            remaining -= share
        cells[(row, last_column)] = remaining
    for column in column_keys[:-1]:
        taken = sum((cells[(row, column)] for row in row_keys[:-1]), ZERO)
        cells[(last_row, column)] = columns[column] - taken
    cells[(last_row, last_column)] = rows[last_row] - sum(
        (cells[(last_row, column)] for column in column_keys[:-1]), ZERO
    )
    return cells


def _quantized_margins(accounts: Mapping[str, Decimal], regions: Mapping[str, Decimal]):
    rows = {key: value.quantize(QUANTUM, ROUND_HALF_EVEN) for key, value in accounts.items()}
    columns = {key: value.quantize(QUANTUM, ROUND_HALF_EVEN) for key, value in regions.items()}
    gap = sum(rows.values(), ZERO) - sum(columns.values(), ZERO)
    if gap and columns:
        largest = max(columns, key=lambda k: (abs(columns[k]), k))
        columns[largest] += gap  # sub-cent (reconciled): keeps the account side exact
    elif gap:
        columns["NoRegion"] = gap
    return rows, columns


@dataclass(frozen=True)
class RowContext:
    billing_account_id: str
    currency: str
    account_names: Mapping[str, str]
    estimated_days: frozenset[date]


def build_rows(answers: Iterable[Answer], days: Iterable[date], context: RowContext) -> list[CostRow]:
    """Cost rows at day x account x service x region x category (x tag values) from the answers."""
    by_category, tags = _by_category(answers)
    rows: list[CostRow] = []
    for category in CHARGE_CATEGORIES:
        pair = by_category.get(category)
        if not pair:
            continue
        accounts_answer, regions_answer = pair[("LINKED_ACCOUNT", "SERVICE")], pair[("SERVICE", "REGION")]
        for day in sorted(days):
            day_rows = _day_rows(day, category, accounts_answer, regions_answer, context)
            for tagged in tags.get(category, ()):
                day_rows = _split_by_tag(day_rows, tagged, day)
            rows.extend(day_rows)
    return rows


def _split_by_tag(rows: list[CostRow], answer: Answer, day: date) -> list[CostRow]:
    """Each service's rows of the day split over that service's values of one tag key, both
    margins exact (the rows' own amounts, and the amount per tag value)."""
    key = answer.request.tag_key or ""
    by_service: dict[str, dict[str | None, Amount]] = defaultdict(lambda: defaultdict(Amount))
    for (group_key, service), amount in answer.cells.get(day, {}).items():
        by_service[service][tag_value(group_key)].add(amount.billed, amount.effective)
    grouped: dict[str, list[CostRow]] = defaultdict(list)
    for row in rows:
        grouped[row.service].append(row)
    split: list[CostRow] = []
    for service, service_rows in grouped.items():
        values = by_service.get(service) or {None: Amount()}
        margins = {}
        for metric in ("billed", "effective"):
            own = {str(i): getattr(r, f"{metric}_cost") for i, r in enumerate(service_rows)}
            per_value = {_value_label(v): getattr(a, metric) for v, a in values.items()}
            margins[metric] = apportion(*_quantized_margins(own, per_value))
        for (index, label) in sorted(set(margins["billed"]) | set(margins["effective"])):
            billed = margins["billed"].get((index, label), ZERO)
            effective = margins["effective"].get((index, label), ZERO)
            if not billed and not effective:
                continue
            row = service_rows[int(index)]
            value = _value_of(label)
            tags = {**row.tags, key: value} if value else dict(row.tags)
            split.append(replace(row, billed_cost=billed, effective_cost=effective, tags=tags))
    return split


def _value_label(value: str | None) -> str:
    return "\x00untagged" if value is None else "=" + value


def _value_of(label: str) -> str | None:
    return None if label == "\x00untagged" else label[1:]


def _day_rows(
    day: date, category: str, accounts_answer: Answer, regions_answer: Answer, context: RowContext
) -> list[CostRow]:
    # service -> account -> Amount, and service -> region -> Amount
    by_account: dict[str, dict[str, Amount]] = defaultdict(dict)
    for (account, service), amount in accounts_answer.cells.get(day, {}).items():
        by_account[service][account] = amount
    by_region: dict[str, dict[str, Amount]] = defaultdict(dict)
    for (service, region), amount in regions_answer.cells.get(day, {}).items():
        by_region[service][region] = amount
    rows: list[CostRow] = []
    for service in sorted(set(by_account) | set(by_region)):
        accounts = by_account.get(service, {}) or {"unknown": Amount()}
        regions = by_region.get(service, {}) or {"NoRegion": Amount()}
        billed = apportion(
            *_quantized_margins(
                {k: v.billed for k, v in accounts.items()}, {k: v.billed for k, v in regions.items()}
            )
        )
        effective = apportion(
            *_quantized_margins(
                {k: v.effective for k, v in accounts.items()}, {k: v.effective for k, v in regions.items()}
            )
        )
        for account, region in sorted(set(billed) | set(effective)):
            billed_cost = billed.get((account, region), ZERO)
            effective_cost = effective.get((account, region), ZERO)
            if not billed_cost and not effective_cost:
                continue
            rows.append(
                CostRow(
                    charge_date=day,
                    provider="aws",
                    billing_account_id=context.billing_account_id,
                    account_id=account,
                    account_name=context.account_names.get(account, account),
                    service=service,
                    region=region,
                    charge_category=category,
                    billed_cost=billed_cost,
                    effective_cost=effective_cost,
                    currency=context.currency,
                    estimated=day in context.estimated_days,
                )
            )
    return rows
