"""The one FOCUS mapping: column names, provider names, charge categories and strict value parsing.

Shared by the FOCUS file import, AWS Data Exports (FOCUS and CUR 2.0) and Azure's exports
(EA, MCA and the FOCUS dataset), so a column or a charge type means the same thing whichever
door it came in by. Everything here is a constant or a DuckDB SQL expression builder over
identifiers and constants of our own, never user text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from costtui.model import CHARGE_CATEGORIES, PROVIDER_NAMES

# Cost-row field -> FOCUS column names accepted for it, preferred first (1.3 names before 1.0 ones).
FOCUS_COLUMNS: dict[str, tuple[str, ...]] = {
    "charge_period_start": ("ChargePeriodStart",),
    "charge_period_end": ("ChargePeriodEnd",),
    "billing_period_start": ("BillingPeriodStart",),
    "billed_cost": ("BilledCost",),
    "effective_cost": ("EffectiveCost",),
    "currency": ("BillingCurrency",),
    "charge_category": ("ChargeCategory",),
    "provider_name": ("ServiceProviderName", "ProviderName"),
    "billing_account_id": ("BillingAccountId",),
    "account_id": ("SubAccountId",),
    "account_name": ("SubAccountName",),
    "service": ("ServiceName",),
    "region": ("RegionId", "RegionName"),
    "estimated": ("x_Estimated",),
    # Key-Value Format (a JSON object) since FOCUS 1.0-preview, the same name through 1.3.
    "tags": ("Tags",),
}
# FOCUS makes these mandatory and non-null; a file without one is not a FOCUS file.
REQUIRED_FOCUS_FIELDS = (
    "charge_period_start",
    "billed_cost",
    "effective_cost",
    "currency",
    "charge_category",
    "provider_name",
    "billing_account_id",
    "service",
)

# ProviderName / ServiceProviderName as exports write them -> costtui provider ids.
PROVIDER_ALIASES = {
    "aws": "aws",
    "amazon web services": "aws",
    "microsoft": "azure",
    "microsoft azure": "azure",
    "azure": "azure",
    "google cloud": "gcp",
    "google cloud platform": "gcp",
    "google": "gcp",
    "gcp": "gcp",
    **{name.lower(): provider for provider, name in PROVIDER_NAMES.items()},  # what `export focus` writes
}

# Charge categories, every source's vocabulary in one place. Keys are lower-case, without spaces.
FOCUS_CHARGE_CATEGORIES = {c.lower(): c for c in CHARGE_CATEGORIES}
CUR_LINE_ITEM_TYPES = {
    "usage": "Usage",
    "discountedusage": "Usage",
    "savingsplancoveredusage": "Usage",
    "credit": "Credit",
    "refund": "Credit",
    "tax": "Tax",
    "rifee": "Purchase",
    "fee": "Purchase",
    "savingsplanrecurringfee": "Purchase",
    "savingsplanupfrontfee": "Purchase",
}
AZURE_CHARGE_TYPES = {
    "usage": "Usage",
    "purchase": "Purchase",
    "refund": "Credit",
    "credit": "Credit",
    "tax": "Tax",
    "adjustment": "Adjustment",
    "roundingadjustment": "Adjustment",
    # Unused commitment is money spent on capacity: it stays in usage, as Azure's own views show it.
    "unusedreservation": "Usage",
    "unusedsavingsplan": "Usage",
}
# AWS Cost Explorer RECORD_TYPE (exact values) -> charge category; anything else is an Adjustment.
COST_EXPLORER_RECORD_TYPES = {
    "Usage": "Usage",
    "Credit": "Credit",
    "Refund": "Credit",
    "Tax": "Tax",
    "Upfront reservation fee": "Purchase",
    "Recurring reservation fee": "Purchase",
    "SavingsPlanRecurringFee": "Purchase",
    "SavingsPlanUpfrontFee": "Purchase",
}
# GCP billing export cost_type -> charge category (credits[] become Credit rows of their own).
GCP_COST_TYPES = {"regular": "Usage", "tax": "Tax"}
UNKNOWN_CATEGORY = "Adjustment"

# ISO 8601 as FOCUS requires: a date, or a date-time with T or space, optional fraction, Z or offset.
ISO_TIMESTAMP_PATTERN = r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?"
MONEY_TYPE = "DECIMAL(38, 12)"
# The cache stores DECIMAL(18, 6): anything at or beyond 10^12 cannot be stored exactly.
MONEY_LIMIT = "1000000000000"
TEXT_TYPES = ("VARCHAR",)


def match_columns(header: Iterable[str], fields: Mapping[str, tuple[str, ...]] = FOCUS_COLUMNS) -> dict[str, str]:
    """Field -> the header's column for it (matched case-insensitively, like DuckDB); absent fields left out."""
    by_lower = {name.lower(): name for name in header}
    found: dict[str, str] = {}
    for field, candidates in fields.items():
        for candidate in candidates:
            if candidate.lower() in by_lower:
                found[field] = by_lower[candidate.lower()]
                break
    return found


def missing_required(found: Mapping[str, str], required: Iterable[str] = REQUIRED_FOCUS_FIELDS) -> list[str]:
    """The FOCUS names of required fields a header lacks."""
    return [" or ".join(FOCUS_COLUMNS[f]) for f in required if f not in found]


def category_sql(expr: str, mapping: Mapping[str, str], default: str | None, empty: str | None = None) -> str:
    """A CASE turning a source's charge type (any case, spaces ignored) into a charge category.

    `default` for unknown values (None: NULL, so the caller can refuse the row); `empty` for blank ones."""
    key = f"lower(replace(trim(CAST({expr} AS VARCHAR)), ' ', ''))"
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in mapping.items())
    blank = f"WHEN '' THEN '{empty}' " if empty else ""
    fallback = "NULL" if default is None else f"'{default}'"
    return f"CASE {key} {blank}{cases} ELSE {fallback} END"


def bigquery_category_sql(expr: str) -> str:
    """GCP_COST_TYPES as a BigQuery CASE (the aggregation runs in BigQuery, not DuckDB)."""
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in GCP_COST_TYPES.items())
    return f"CASE COALESCE({expr}, 'regular') {cases} ELSE '{UNKNOWN_CATEGORY}' END"


def provider_sql(expr: str) -> str:
    """Provider id from ProviderName: the known aliases, else the name in lower case."""
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in PROVIDER_ALIASES.items())
    return f"CASE lower(trim({expr})) {cases} ELSE lower(trim({expr})) END"


def timestamp_sql(expr: str, source_type: str) -> str:
    """A timestamp value as TIMESTAMPTZ (NULL if it is not one). Text must be ISO 8601; naive
    values are UTC because every connection runs with TimeZone UTC (engine.memory_engine)."""
    if source_type.upper().startswith(TEXT_TYPES):
        text = f"trim({expr})"
        return f"CASE WHEN regexp_full_match({text}, '{ISO_TIMESTAMP_PATTERN}') THEN try_cast({text} AS TIMESTAMPTZ) END"
    return f"try_cast({expr} AS TIMESTAMPTZ)"


def money_sql(expr: str, source_type: str) -> str:
    """A cost as exact DECIMAL (NULL if it is not a number); text is parsed like a CSV number."""
    if source_type.upper().startswith(TEXT_TYPES):
        return f"try_cast(trim({expr}) AS {MONEY_TYPE})"
    return f"try_cast({expr} AS {MONEY_TYPE})"


def money_out_of_range(expr: str) -> str:
    """True where a parsed cost cannot be stored in the cache's DECIMAL(18, 6)."""
    return f"abs({expr}) >= {MONEY_LIMIT}"


def currency_is_valid(expr: str) -> str:
    """ISO 4217 shape: three letters."""
    return f"regexp_full_match({expr}, '[A-Z]{{3}}')"
