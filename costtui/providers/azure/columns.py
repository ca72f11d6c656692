"""Azure export column sets (EA, MCA, FOCUS) and the DuckDB SQL that reads one export file."""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb

from costtui.providers.base import ProviderError
from costtui.providers.focus_mapping import AZURE_CHARGE_TYPES, FOCUS_COLUMNS, match_columns, timestamp_sql
from costtui.providers.focus_mapping import category_sql as shared_category_sql

# Logical field -> header names tried in order (matched case-insensitively, as DuckDB does).
ACTUAL_FIELDS: dict[str, tuple[str, ...]] = {
    "date": ("Date", "UsageDate"),
    "cost": ("CostInBillingCurrency", "PreTaxCost", "Cost"),
    "currency": ("BillingCurrencyCode", "BillingCurrency", "Currency"),
    "billing_account": ("BillingAccountId",),
    "billing_profile": ("BillingProfileId",),
    "account_id": ("SubscriptionId", "SubscriptionGuid"),
    "account_name": ("SubscriptionName",),
    "service": ("MeterCategory",),
    "region": ("ResourceLocation", "Location"),
    "category": ("ChargeType",),
    # EA spells it BillingPeriodStartDate, MCA billingPeriodStartDate (matched case-insensitively).
    "billing_period": ("BillingPeriodStartDate",),
}
# The FOCUS dataset's fields, named as above, from the one shared FOCUS mapping.
_FOCUS_NAMES = {
    "date": "charge_period_start",
    "cost": "billed_cost",
    "effective": "effective_cost",
    "currency": "currency",
    "billing_account": "billing_account_id",
    "account_id": "account_id",
    "account_name": "account_name",
    "service": "service",
    "region": "region",
    "category": "charge_category",
    "billing_period": "billing_period_start",
    "date_end": "charge_period_end",
}
FOCUS_FIELDS: dict[str, tuple[str, ...]] = {ours: FOCUS_COLUMNS[shared] for ours, shared in _FOCUS_NAMES.items()}
REQUIRED = ("date", "cost", "currency", "account_id", "service")

# The raw, per-file aggregate every export file is reduced to (one row per distinct raw key).
RAW_TABLE_SQL = """CREATE TABLE IF NOT EXISTS raw_costs (
    run_id INTEGER, role VARCHAR, blob VARCHAR, raw_date VARCHAR, billing_account_id VARCHAR,
    account_id VARCHAR, account_name VARCHAR, service VARCHAR, raw_region VARCHAR,
    raw_category VARCHAR, currency VARCHAR, billed DECIMAL(38, 12), effective DECIMAL(38, 12),
    row_count BIGINT, bad_cost BIGINT, bad_currency BIGINT, raw_period VARCHAR, raw_end VARCHAR)"""

# Every Azure charge type (ActualCost ChargeType and FOCUS ChargeCategory) -> charge category.
CHARGE_TYPES = AZURE_CHARGE_TYPES


@dataclass(frozen=True)
class ColumnSet:
    """Which column set a file uses and the header name found for each logical field."""

    kind: str  # EA, MCA or FOCUS
    columns: dict[str, str]

    def has(self, field: str) -> bool:
        return field in self.columns


def detect_columns(header: list[str], blob: str) -> ColumnSet:
    """Tell EA (PascalCase), MCA (camelCase) and FOCUS apart by the header; refuse a file
    missing a required column, naming it (line 1 is the header)."""
    lower = {name.lower() for name in header}
    focus = "chargeperiodstart" in lower and "billedcost" in lower
    fields = FOCUS_FIELDS if focus else ACTUAL_FIELDS
    found = match_columns(header, fields)
    missing = [fields[f][0] for f in REQUIRED if f not in found]
    if focus and "effective" not in found:
        missing.append("EffectiveCost")
    if missing:
        raise ProviderError(
            f"{blob} line 1: required column {', '.join(missing)} missing from the header "
            "(expected an EA, MCA or FOCUS cost export)",
            kind="invalid_data",
        )
    kind = "FOCUS" if focus else "MCA" if found["cost"][0].islower() else "EA"
    return ColumnSet(kind, found)


def source_sql(path: Path) -> str:
    """A DuckDB table function reading the file (parameter `?` = its path), every value as text."""
    if is_parquet(path):
        return "read_parquet(?)"
    return "read_csv(?, header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')"


def is_parquet(path: Path) -> bool:
    return path.name.lower().endswith(".parquet")


def read_header(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    cursor = con.execute(f"SELECT * FROM {source_sql(path)} LIMIT 0", [str(path)])
    return [d[0] for d in cursor.description]


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(columns: ColumnSet, field: str) -> str:
    if not columns.has(field):
        return "''"
    return f"coalesce(CAST({quote(columns.columns[field])} AS VARCHAR), '')"


def _money(columns: ColumnSet, field: str) -> str:
    return f"TRY_CAST({quote(columns.columns[field])} AS DECIMAL(38, 12))"


def _bad_money(columns: ColumnSet, field: str) -> str:
    return f"{_money(columns, field)} IS NULL"


def _billing_account(columns: ColumnSet) -> str:
    if columns.kind == "FOCUS":
        # Azure's FOCUS export names the account by resource id; keep its last part, as ActualCost does.
        raw = _text(columns, "billing_account")
        return f"CASE WHEN {raw} LIKE '/%' THEN regexp_extract({raw}, 'billingAccounts/([^/]+)', 1) ELSE {raw} END"
    return f"coalesce(nullif({_text(columns, 'billing_account')}, ''), {_text(columns, 'billing_profile')})"


def _account_id(columns: ColumnSet) -> str:
    raw = _text(columns, "account_id")
    return f"regexp_replace({raw}, '^/subscriptions/', '')" if columns.kind == "FOCUS" else raw


def bad_row_predicate(columns: ColumnSet) -> str:
    """Per source row: the cost (or effective cost) is not a number, or the currency is empty."""
    checks = [_bad_money(columns, "cost"), f"{_text(columns, 'currency')} = ''"]
    if columns.has("effective"):
        checks.append(_bad_money(columns, "effective"))
    return " OR ".join(checks)


def aggregate_file_sql(columns: ColumnSet, path: Path, raw_tags: str = "NULL::VARCHAR") -> str:
    """INSERT one file into raw_costs, grouped by the raw key strings (parameters: run_id, role,
    blob, path). Dates and regions are normalised later on the few distinct values, not per row.
    `raw_tags` is the file's tags expression (azure/tags.py), raw_costs' last column."""
    effective = _money(columns, "effective") if columns.has("effective") else "NULL"
    bad_cost = _bad_money(columns, "cost")
    if columns.has("effective"):
        bad_cost += f" OR {_bad_money(columns, 'effective')}"
    return f"""INSERT INTO raw_costs
        SELECT ?, ?, ?, {_text(columns, "date")}, {_billing_account(columns)}, {_account_id(columns)},
               {_text(columns, "account_name")}, {_text(columns, "service")}, {_text(columns, "region")},
               {_text(columns, "category")}, {_text(columns, "currency")},
               sum({_money(columns, "cost")}), sum({effective}), count(*),
               count_if({bad_cost}), count_if({_text(columns, "currency")} = ''),
               {_text(columns, "billing_period")}, {_text(columns, "date_end")},
               {raw_tags}
        FROM {source_sql(path)} GROUP BY ALL"""


def date_sql(raw: str) -> str:
    """A raw date as DATE: MM/DD/YYYY (MCA, some EA) or ISO 8601 date / timestamp (EA, FOCUS),
    an offset converted to its UTC day."""
    return (
        f"CASE WHEN contains({raw}, '/') "
        f"THEN CAST(try_strptime(split_part(trim({raw}), ' ', 1), '%m/%d/%Y') AS DATE) "
        f"ELSE CAST({timestamp_sql(raw, 'VARCHAR')} AS DATE) END"
    )


def region_sql(raw: str) -> str:
    """Region names lower-case without spaces (West Europe -> westeurope); none means global."""
    return f"CASE WHEN trim({raw}) = '' THEN 'global' ELSE lower(replace(trim({raw}), ' ', '')) END"


def category_sql(raw: str) -> str:
    """Charge type -> category; blank is usage, an unknown type an adjustment (and noted)."""
    return shared_category_sql(raw, CHARGE_TYPES, default="Adjustment", empty="Usage")


def raw_date_predicate(columns: ColumnSet, field: str = "date") -> str:
    """Per source row: its raw text of `field` (date, billing_period, date_end) equals the parameter."""
    return f"{_text(columns, field)} = ?"


def locate_bad_row(
    con: duckdb.DuckDBPyConnection, columns: ColumnSet, path: Path, predicate: str, params: list
) -> tuple[str, dict[str, str]]:
    """Where the first source row matching `predicate` (with `params`) is: 'line N' of a CSV
    (header = line 1, counted in the decompressed text) or 'row N' of a Parquet file, and its values."""
    fields = {field: _text(columns, field) for field in ("date", "cost", "currency")}
    for extra in ("effective", "billing_period", "date_end"):
        if columns.has(extra):
            fields[extra] = _text(columns, extra)
    select = ", ".join(f"{sql} AS {field}" for field, sql in fields.items())
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE scan AS SELECT {select}, ({predicate}) AS bad FROM {source_sql(path)}",
        [*params, str(path)],
    )
    try:
        cursor = con.execute("SELECT rowid, * EXCLUDE (bad) FROM scan WHERE bad ORDER BY rowid LIMIT 1")
        found = cursor.fetchone()
        names = [d[0] for d in cursor.description]
    finally:
        con.execute("DROP TABLE scan")
    if found is None:
        return "unknown line", {}
    ordinal = int(found[0])
    values = {name: str(value) for name, value in zip(names[1:], found[1:], strict=True)}
    if is_parquet(path):
        return f"row {ordinal + 1}", values
    return f"line {csv_line_of_record(path, ordinal)}", values


def csv_line_of_record(path: Path, ordinal: int) -> int:
    """The physical line on which data record `ordinal` (0-based, header excluded) starts."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text)
        next(reader, None)
        seen = 0
        previous = reader.line_num
        for row in reader:
            start = previous + 1
            previous = reader.line_num
            if not row:
                continue  # blank lines are not records (DuckDB skips them too)
            if seen == ordinal:
                return start
            seen += 1
    return previous
