"""The DuckDB SQL that reads one FOCUS file: raw rows, their groups, the parsed and checked rows,
and the daily roll-up with usage spread over charge periods longer than a day.

A file is grouped by its raw key values before anything is parsed (hours x accounts x services:
far fewer groups than rows), so timestamps, categories and providers are parsed once per group."""

from __future__ import annotations

from datetime import date

from costtui.model import CHARGE_CATEGORIES
from costtui.providers.focus_mapping import (
    FOCUS_CHARGE_CATEGORIES,
    TEXT_TYPES,
    category_sql,
    currency_is_valid,
    money_out_of_range,
    money_sql,
    provider_sql,
    timestamp_sql,
)
from costtui.providers.tags_sql import entries_from_json, picked_tags
from costtui.tagrules import TagRules

EARLIEST_DAY = date(2000, 1, 1)


# Raw key columns a file is grouped by before anything is parsed.
KEY_COLUMNS = (
    "start_raw", "end_raw", "period_raw", "category_text", "provider_text", "billing_account_id",
    "account_id_text", "service", "region_text", "currency_text", "estimated_raw",
)
MONEY_FLAGS = tuple(f"{m}_{flag}" for m in ("billed", "effective") for flag in ("missing", "invalid", "too_large"))


class FileSql:
    """The SQL reading one FOCUS file: raw rows, their groups, and the parsed, checked `typed` rows."""

    def __init__(
        self, mapping: dict[str, str], types: dict[str, str], latest_day: date, tags: TagRules | None = None
    ) -> None:
        self.mapping, self.types = mapping, types
        # The configured tags, picked from the Tags JSON once per distinct Tags text (see grouped).
        self.tags = picked_tags(entries_from_json("tags_raw"), tags) if tags and "tags" in mapping else []
        self.tag_columns = [column for column, _ in self.tags]
        plausible = f"BETWEEN DATE '{EARLIEST_DAY}' AND DATE '{latest_day}'"
        between = f"not between {EARLIEST_DAY} and {latest_day}"
        iso = "not an ISO 8601 date or timestamp"
        checks = [
            ("start_raw IS NULL", "charge_period_start", "missing value"),
            ("start_ts IS NULL", "charge_period_start", iso),
            (f"NOT CAST(start_ts AS DATE) {plausible}", "charge_period_start", between),
            ("end_raw IS NOT NULL AND end_ts IS NULL", "charge_period_end", iso),
        ]
        if "billing_period_start" in mapping:
            checks += [
                ("period_raw IS NULL", "billing_period_start", "missing value"),
                ("period_ts IS NULL", "billing_period_start", iso),
                (f"NOT CAST(period_ts AS DATE) {plausible}", "billing_period_start", between),
            ]
        for money in ("billed", "effective"):
            checks += [
                (f"{money}_missing", f"{money}_cost", "missing value"),
                (f"{money}_invalid", f"{money}_cost", "not a number"),
                (f"{money}_too_large", f"{money}_cost", "too large for the cache (DECIMAL(18, 6): under 10^12)"),
            ]
        checks += [
            ("category_text IS NULL", "charge_category", "missing value"),
            ("charge_category IS NULL", "charge_category", f"not one of {', '.join(CHARGE_CATEGORIES)}"),
            ("provider_text IS NULL", "provider_name", "missing value"),
            ("billing_account_id IS NULL", "billing_account_id", "missing value"),
            ("service IS NULL", "service", "missing value"),
            ("currency IS NULL", "currency", "missing value"),
            (f"NOT {currency_is_valid('currency')}", "currency", "not a three-letter currency code"),
        ]
        self.checks = checks

    def raw(self, field: str) -> str:
        return f'"{sql_identifier(self.mapping[field])}"' if field in self.mapping else "NULL"

    def _text(self, field: str) -> str:
        return f"nullif(CAST({self.raw(field)} AS VARCHAR), '')" if field in self.mapping else "NULL::VARCHAR"

    def _kind(self, field: str) -> str:
        return self.types[self.mapping[field]] if field in self.mapping else "VARCHAR"

    def rows(self, source: str) -> str:
        """One row per file row: raw keys, parsed money and the money's problem flags."""
        money = {m: money_sql(self.raw(f"{m}_cost"), self._kind(f"{m}_cost")) for m in ("billed", "effective")}
        tags_raw = ""
        if self.tags:  # JSON text; a Parquet MAP or STRUCT of tags becomes the same JSON object
            column = self.raw("tags")
            text = column if self._kind("tags").upper().startswith(TEXT_TYPES) else f"to_json({column})"
            tags_raw = f", CAST({text} AS VARCHAR) AS tags_raw"
        flags = []
        for m in ("billed", "effective"):
            flags += [
                f"{self.raw(f'{m}_cost')} IS NULL AS {m}_missing",
                f"{self.raw(f'{m}_cost')} IS NOT NULL AND __{m} IS NULL AS {m}_invalid",
                f"coalesce({money_out_of_range(f'__{m}')}, false) AS {m}_too_large",
            ]
        return f"""SELECT {self.raw("charge_period_start")} AS start_raw, {self.raw("charge_period_end")} AS end_raw,
                   {self.raw("billing_period_start")} AS period_raw, {self._text("charge_category")} AS category_text,
                   {self._text("provider_name")} AS provider_text, {self._text("billing_account_id")} AS billing_account_id,
                   {self._text("account_id")} AS account_id_text, {self._text("service")} AS service,
                   {self._text("region")} AS region_text, {self._text("currency")} AS currency_text,
                   {self.raw("estimated")} AS estimated_raw, {self._text("account_name")} AS account_name_text,
                   __billed AS billed_cost, __effective AS effective_cost, {", ".join(flags)}, 1 AS rows{tags_raw}
            FROM (SELECT *, {money["billed"]} AS __billed, {money["effective"]} AS __effective FROM {source})"""

    def grouped(self, source: str) -> str:
        """The rows summed per raw key: what is parsed and checked on the fast path.

        With tags, rows are first summed per raw key and raw Tags text, the configured tags are
        picked once per distinct Tags text (far fewer than rows: JSON parsing is the costly part),
        and the sums are grouped again by key and tag values."""
        flags = ", ".join(f"bool_or({f}) AS {f}" for f in MONEY_FLAGS)
        keys = ", ".join(KEY_COLUMNS)
        sums = f"""max(account_name_text) AS account_name_text,
                   sum(billed_cost) AS billed_cost, sum(effective_cost) AS effective_cost, {flags},
                   sum(rows) AS rows"""
        if not self.tags:
            return f"SELECT {keys}, {sums} FROM ({self.rows(source)}) GROUP BY {keys}"
        picks = ", ".join(f'{expr} AS "{column}"' for column, expr in self.tags)
        tag_keys = ", ".join(f'"{c}"' for c in self.tag_columns)
        return f"""WITH by_raw AS (SELECT {keys}, tags_raw, {sums} FROM ({self.rows(source)}) GROUP BY {keys}, tags_raw),
                 tag_sets AS (SELECT tags_raw, {picks} FROM (SELECT DISTINCT tags_raw FROM by_raw))
            SELECT {keys}, {tag_keys}, {sums}
            FROM by_raw LEFT JOIN tag_sets USING (tags_raw) GROUP BY {keys}, {tag_keys}"""

    def typed(self, base: str, with_tags: bool = True) -> str:
        """`base` (rows or groups) with UTC timestamps, categories, providers, the spread and a problem code
        (and the tag columns of `grouped`, `with_tags`)."""

        def stamp(column: str, field: str) -> str:
            if field not in self.mapping:
                return "NULL::TIMESTAMPTZ"
            return timestamp_sql(column, self._kind(field))

        categories = category_sql("category_text", FOCUS_CHARGE_CATEGORIES, default=None)
        problem = "CASE " + " ".join(f"WHEN {c} THEN {i}" for i, (c, _, _) in enumerate(self.checks)) + " END"
        estimated = "coalesce(try_cast(estimated_raw AS BOOLEAN), false)" if "estimated" in self.mapping else "false"
        tags = "".join(f', "{column}"' for column in self.tag_columns) if with_tags else ""
        return f"""SELECT CAST(start_ts AS DATE) AS charge_date,
                   CASE WHEN charge_category = 'Usage' AND end_ts - start_ts > INTERVAL 1 DAY
                        THEN date_diff('day', CAST(start_ts AS DATE), CAST(end_ts - INTERVAL 1 MICROSECOND AS DATE)) + 1
                        ELSE 1 END AS spread_days,
                   CAST(period_ts AS DATE) AS billing_period_start,
                   {provider_sql("provider_text")} AS provider, billing_account_id,
                   coalesce(account_id_text, billing_account_id) AS account_id,
                   coalesce(account_name_text, account_id_text, billing_account_id) AS account_name,
                   service, coalesce(region_text, '') AS region, charge_category,
                   billed_cost, effective_cost, currency, {estimated} AS estimated, rows, {problem} AS problem{tags}
            FROM (SELECT *, {stamp("start_raw", "charge_period_start")} AS start_ts,
                         {stamp("end_raw", "charge_period_end")} AS end_ts,
                         {stamp("period_raw", "billing_period_start")} AS period_ts,
                         {categories} AS charge_category, upper(trim(currency_text)) AS currency
                  FROM ({base}))"""


def _share(amount: str) -> str:
    """An equal share of `amount` over spread_days, truncated to the cache's 6 decimals (exact DECIMAL)."""
    return f"((CAST(trunc({amount} * 1000000) AS HUGEINT) // spread_days) * CAST(0.000001 AS DECIMAL(7, 6)))"


def _day_part(amount: str) -> str:
    """Day `d` of a spread row: a share, and on the last day what is left, so the days add up exactly."""
    return f"CASE WHEN d < spread_days - 1 THEN {_share(amount)} ELSE {amount} - {_share(amount)} * (spread_days - 1) END"


_ROW_COLUMNS = "provider, billing_account_id, account_id, account_name, service, region, charge_category, currency, estimated, billing_period_start"


def rollup_sql(tag_columns: tuple[str, ...] | list[str] = ()) -> str:
    """`typed` rolled up to days (a tag value is a dimension like a service: it splits the day)."""
    tags = "".join(f', "{c}"' for c in tag_columns)
    return f"""
WITH days AS (
    SELECT charge_date, {_ROW_COLUMNS}{tags}, billed_cost, effective_cost FROM typed WHERE spread_days = 1
    UNION ALL
    SELECT charge_date + CAST(d AS INTEGER), {_ROW_COLUMNS}{tags}, {_day_part("billed_cost")}, {_day_part("effective_cost")}
    FROM (SELECT *, unnest(range(spread_days)) AS d FROM typed WHERE spread_days > 1)
)
SELECT charge_date, provider, billing_account_id, account_id, max(account_name) AS account_name, service, region,
       charge_category, round(sum(billed_cost), 6) AS billed_cost, round(sum(effective_cost), 6) AS effective_cost,
       currency, bool_or(estimated) AS estimated, billing_period_start{tags}
FROM days
GROUP BY charge_date, provider, billing_account_id, account_id, service, region, charge_category, currency,
         billing_period_start{tags}
"""


ROLLUP_SQL = rollup_sql()


def sql_identifier(name: str) -> str:
    return name.replace('"', '""')
