"""The normalised, FOCUS-aligned daily cost row, periods and money: pure data, no I/O."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from costtui import exitcodes

CHARGE_CATEGORIES = ("Usage", "Purchase", "Tax", "Credit", "Adjustment")
ChargeCategory = Literal["Usage", "Purchase", "Tax", "Credit", "Adjustment"]
Metric = Literal["billed", "effective"]
METRICS = ("billed", "effective")

# Column order of the cost row; the cache table and staged files use exactly this order.
COST_ROW_COLUMNS = (
    "charge_date",
    "provider",
    "billing_account_id",
    "account_id",
    "account_name",
    "service",
    "region",
    "charge_category",
    "billed_cost",
    "effective_cost",
    "currency",
    "estimated",
)

# What a user may group by, and the cost-row column (or expression name) each maps to.
GROUP_BY_CHOICES = ("provider", "account", "service", "region", "day", "month", "charge_category")
# Besides those, `tag:KEY` groups by a configured tag key (`[allocation] tag_keys`); which keys exist is
# known only to the cache (meta `tag_keys`), so the query layer checks the key.
TAG_GROUP_PREFIX = "tag:"

CENT = Decimal("0.01")

# A row without tags (shared, read-only: CostRow is frozen and hashable by its fields).
NO_TAGS: Mapping[str, str] = MappingProxyType({})

# costtui provider ids -> their FOCUS ProviderName (written by `export focus`, read back by every import).
PROVIDER_NAMES = {"aws": "AWS", "azure": "Microsoft", "gcp": "Google Cloud"}


class CostError(Exception):
    """An expected problem with a clear one-line message for the user."""

    exit_code = exitcodes.FAILURE  # the CLI's exit status (costtui/exitcodes.py)


@dataclass(frozen=True, slots=True)
class CostRow:
    """One day of one charge category for one service in one region of one account."""

    charge_date: date
    provider: str
    billing_account_id: str
    account_id: str
    account_name: str
    service: str
    region: str
    charge_category: str
    billed_cost: Decimal
    effective_cost: Decimal
    currency: str
    estimated: bool = False
    # Configured tag key -> value, already trimmed and alias-merged (see pick_tags); a key
    # absent (or an empty value) is untagged. Not part of COST_ROW_COLUMNS: tag columns follow
    # the config (docs/tags-layout.md).
    tags: Mapping[str, str] = field(default_factory=lambda: NO_TAGS, hash=False)

    def __post_init__(self) -> None:
        if self.charge_category not in CHARGE_CATEGORIES:
            raise ValueError(
                f"charge_category must be one of {', '.join(CHARGE_CATEGORIES)}, not {self.charge_category!r}"
            )
        if not isinstance(self.billed_cost, Decimal) or not isinstance(self.effective_cost, Decimal):
            raise TypeError("billed_cost and effective_cost must be Decimal")
        if not self.provider or self.provider != self.provider.lower():
            raise ValueError(f"provider must be a non-empty lower-case name, not {self.provider!r}")
        if not self.currency:
            raise ValueError("currency must not be empty")

    def as_tuple(self) -> tuple:
        return tuple(getattr(self, name) for name in COST_ROW_COLUMNS)


@dataclass(frozen=True, slots=True)
class ReplaceScope:
    """Rows of the cache a fetch restates, replaced as a whole: one provider (optionally one
    billing account) and either one billing period or, when the source names none, an inclusive
    day range.

    With `billing_period` (its first day), exactly the rows of that billing period are replaced,
    whatever day they are dated (a late credit dated in the previous month stays with its
    invoice); rows stored without a billing period are replaced over `start`..`end`, the
    period's days, as the day-range rule did."""

    provider: str
    start: date
    end: date
    billing_account_id: str | None = None
    billing_period: date | None = None

    @property
    def label(self) -> str:
        """How a report names the slice: `aws 123456789012 2024-09` or a day range."""
        account = f" {self.billing_account_id}" if self.billing_account_id else ""
        if self.billing_period is not None:
            return f"{self.provider}{account} {self.billing_period:%Y-%m}"
        return f"{self.provider}{account} {self.start}..{self.end}"


REPLACED = "costtui: replaced "
"""How `costtui refresh` starts the line of each slice its publish replaced (SliceChange.report);
the dashboard's `R` picks these lines out of the refresh's output for its result notice."""


@dataclass(frozen=True, slots=True)
class SliceChange:
    """What a restatement did to one slice in one currency: old and new billed totals and rows."""

    scope: ReplaceScope
    currency: str
    old_total: Decimal
    new_total: Decimal
    old_rows: int
    new_rows: int

    def describe(self) -> str:
        """One line for a human: `aws 123456789012 2024-09: 18.01 -> 17.95 USD (40 -> 38 rows)`."""
        return (
            f"{self.scope.label}: {to_cents(self.old_total)} -> {to_cents(self.new_total)} {self.currency} "
            f"({self.old_rows} -> {self.new_rows} rows)"
        )

    def report(self) -> str:
        """The line `costtui refresh` prints for it: `costtui: replaced aws 123456789012 2024-09: ...`."""
        return REPLACED + self.describe()


@dataclass
class FetchResult:
    """What one provider fetch produced: rows (small results) and/or Parquet files
    already in the cost-row column order (bulk results), and the scopes they replace."""

    provider: str
    scopes: list[ReplaceScope]
    rows: list[CostRow] = field(default_factory=list)
    parquet_files: list[Path] = field(default_factory=list)
    api_calls: int = 0
    bytes_processed: int | None = None
    row_count: int | None = None
    # Source objects ingested (e.g. blob name -> ETag), so unchanged ones are skipped next time.
    ingested_objects: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return self.row_count if self.row_count is not None else len(self.rows)


@dataclass(frozen=True, slots=True)
class CostQuery:
    """A read of the cache: filters, the metric, net or gross, and the grouping."""

    start: date | None = None
    end: date | None = None  # inclusive
    providers: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    metric: Metric = "billed"
    gross: bool = False  # gross leaves Credit rows out
    group_by: tuple[str, ...] = ()
    # Tag filters (key, value); value None = untagged. Several values of one key: any of them;
    # different keys: all of them.
    tags: tuple[tuple[str, str | None], ...] = ()

    def __post_init__(self) -> None:
        for key in self.group_by:
            if key not in GROUP_BY_CHOICES and not group_tag_key(key):
                raise ValueError(
                    f"cannot group by {key!r}; choose from {', '.join(GROUP_BY_CHOICES)} or tag:KEY"
                )
        if self.metric not in METRICS:
            raise ValueError(f"metric must be billed or effective, not {self.metric!r}")
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")


class UnknownTagKey(CostError):
    """A tag key asked for (a filter or a `tag:KEY` grouping) that the cache has no column for."""

    exit_code = exitcodes.USAGE

    def __init__(self, key: str, configured: Iterable[str], parameter: str | None = None) -> None:
        self.key = key
        self.configured = tuple(configured)
        listed = ", ".join(self.configured) if self.configured else "none; set [allocation] tag_keys and refresh"
        where = f"{parameter}: " if parameter else ""
        super().__init__(f"{where}unknown tag key {key!r} (configured keys: {listed})")

    def naming(self, parameter: str) -> UnknownTagKey:
        """The same error, naming the option or query parameter that asked for the key."""
        return UnknownTagKey(self.key, self.configured, parameter)

    def parameter_of(self, query: CostQuery, group_by: str = "group_by", tag: str = "tag") -> str:
        """Which of a face's two parameters named the key: its group-by or its tag filter."""
        return group_by if TAG_GROUP_PREFIX + self.key in query.group_by else tag


def group_tag_key(name: str) -> str | None:
    """The tag key of a `tag:KEY` group-by name, else None."""
    if name.startswith(TAG_GROUP_PREFIX) and normalise_tag_key(name[len(TAG_GROUP_PREFIX):]):
        return normalise_tag_key(name[len(TAG_GROUP_PREFIX):])
    return None


@dataclass(frozen=True, slots=True)
class CostGroup:
    """One line of a query answer: the group-by values, the cost and its currency."""

    keys: dict[str, object]
    cost: Decimal
    currency: str


AlertKind = Literal["threshold", "anomaly", "stale"]
Severity = Literal["warning", "critical"]


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One finding of `costtui alerts`: a threshold crossed or an anomalous day.

    `observed` and `threshold` are in `currency`; for an anomaly `threshold` is the upper
    bound of the expected range; for a stale provider they are hours (data age, max age)
    and `currency` is empty. Events with the same fingerprint are the same finding
    (recorded and notified once)."""

    rule: str  # threshold rule name, or "anomaly"
    kind: AlertKind
    severity: Severity
    period_start: date
    period_end: date
    observed: Decimal
    threshold: Decimal
    currency: str
    message: str
    provider: str | None = None
    account_id: str | None = None
    service: str | None = None

    @property
    def fingerprint(self) -> str:
        """Same rule, scope, severity, currency and period start = the same finding
        (a month-to-date breach stays one event as the month goes on)."""
        import hashlib

        parts = (self.rule, self.kind, self.severity, self.provider, self.account_id, self.service,
                 self.currency, self.period_start.isoformat())
        return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:24]


def exact_text(amount: Decimal) -> str:
    """Money for machines: every significant digit the cache holds, no float noise, no padding
    beyond the cent (DECIMAL(18,6) 9.005000 -> "9.005", 20.000000 -> "20.00")."""
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {amount}")
    if amount == 0:
        return "0.00"  # never "-0.00"
    whole, _, fraction = format(amount, "f").partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


def to_cents(amount: Decimal) -> Decimal:
    """Round money to the cent the way an invoice does (half away from zero)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The same day of month `months` later, clipped to the month's last day."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def percent_change(current: Decimal, previous: Decimal) -> Decimal | None:
    """Change from previous to current in percent, or None when there is no base."""
    if previous == 0:
        return None
    change = ((current - previous) / abs(previous) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return abs(change) if change == 0 else change  # a fall rounded away is no change: 0.0, not -0.0


_TAG_COLUMN_UNSAFE = re.compile(r"[^a-z0-9_]")


def normalise_tag_key(raw: str) -> str:
    """A tag key as configured and matched: spaces around it are not part of it."""
    return raw.strip()


def tag_column(key: str) -> str:
    """The cache column that holds a configured tag key's values (see docs/tags-layout.md)."""
    return "tag_" + _TAG_COLUMN_UNSAFE.sub("_", normalise_tag_key(key).lower())
