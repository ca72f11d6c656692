"""The cache's daily rows as FOCUS 1.2 columns, copied by DuckDB straight to a CSV or Parquet file.

Costs keep the cache's full precision (DECIMAL(18, 6)); charge periods are the UTC day;
billing periods are the one a row was imported with, else its calendar month. Columns of
ours carry the `x_` prefix FOCUS reserves for them. Importing the file back reproduces
every total."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb

from costtui.cache.errors import CacheError
from costtui.cache.queries import where_clause
from costtui.model import PROVIDER_NAMES, CostQuery

FORMATS = ("csv", "parquet")


def _provider_name() -> str:
    cases = " ".join(f"WHEN '{provider}' THEN '{name}'" for provider, name in PROVIDER_NAMES.items())
    return f"CASE provider {cases} ELSE provider END"


def focus_select(has_billing_period: bool, as_text: bool) -> str:
    """The FOCUS columns over `charges`; `as_text` writes timestamps as ISO 8601 `...T00:00:00Z` (CSV)."""
    period = "coalesce(billing_period_start, date_trunc('month', charge_date))"
    if not has_billing_period:  # a v1 cache, not migrated yet
        period = "date_trunc('month', charge_date)"

    def stamp(day: str) -> str:
        if as_text:
            return f"strftime({day}, '%Y-%m-%dT00:00:00Z')"
        return f"CAST(CAST({day} AS TIMESTAMP) AS TIMESTAMPTZ)"

    name = _provider_name()
    return f"""SELECT
        billed_cost AS BilledCost,
        billing_account_id AS BillingAccountId,
        currency AS BillingCurrency,
        {stamp(f"CAST({period} AS DATE) + INTERVAL 1 MONTH")} AS BillingPeriodEnd,
        {stamp(period)} AS BillingPeriodStart,
        charge_category AS ChargeCategory,
        {stamp("charge_date + INTERVAL 1 DAY")} AS ChargePeriodEnd,
        {stamp("charge_date")} AS ChargePeriodStart,
        effective_cost AS EffectiveCost,
        {name} AS InvoiceIssuerName,
        {name} AS ProviderName,
        region AS RegionId,
        service AS ServiceName,
        {name} AS ServiceProviderName,
        account_id AS SubAccountId,
        account_name AS SubAccountName,
        estimated AS x_Estimated
    FROM charges"""


def copy_focus(con: duckdb.DuckDBPyConnection, query: CostQuery, path: Path, fmt: str,
               tag_columns: Mapping[str, str] | None = None) -> int:
    """Write the rows `query` selects (its filters; metric and grouping do not apply) to `path`;
    returns the row count. The caller makes the write atomic (a temp path, then rename)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    columns = {row[0] for row in con.execute("DESCRIBE charges").fetchall()}
    where, params = where_clause(query, tag_columns)
    select = focus_select("billing_period_start" in columns, as_text=fmt == "csv") + where
    options = "FORMAT csv, HEADER" if fmt == "csv" else "FORMAT parquet"
    target = str(path).replace("'", "''")  # COPY ... TO takes no parameter for its target
    try:
        return con.execute(f"COPY ({select}) TO '{target}' ({options})", params).fetchone()[0]
    except duckdb.IOException as exc:
        raise CacheError(f"{path}: cannot write: {str(exc).strip().splitlines()[0]}") from None
