"""AWS Data Exports provider: FOCUS 1.x or CUR 2.0 files (Parquet, CSV.gz) from S3, aggregated in DuckDB.

Layout read: `<prefix>/.../BILLING_PERIOD=YYYY-MM/[<run>/]<file>` (or a legacy
`YYYYMMDD-YYYYMMDD` folder). Each billing period is one replace scope: when any of
its files is new or changed, the whole period is reloaded from its newest run, so a
re-delivered period replaces what was cached (rows keep their own UTC day, so a late
credit dated in the previous month stays with this invoice); a period whose files all
carry known ETags is skipped without downloading anything. FOCUS columns and charge
categories are read through the shared providers/focus_mapping.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path, PurePosixPath

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from costtui.config import AwsConfig
from costtui.model import FetchResult, ReplaceScope, add_months
from costtui.providers.aws.cost_explorer import DEFAULT_MAX_ATTEMPTS, AwsSource, provider_error
from costtui.providers.base import FetchContext, ProviderError
from costtui.providers.engine import memory_engine, stage_parquet
from costtui.providers.focus_mapping import (
    CUR_LINE_ITEM_TYPES,
    FOCUS_CHARGE_CATEGORIES,
    MONEY_TYPE,
    category_sql,
    match_columns,
    money_sql,
    timestamp_sql,
)
from costtui.providers.tags_sql import entries_from_json, picked_tags

DATA_SUFFIXES = (".parquet", ".csv.gz", ".csv")
PERIOD_MONTH = re.compile(r"BILLING_PERIOD=(\d{4})-(\d{2})")
PERIOD_RANGE = re.compile(r"(?:^|/)(\d{8})-(\d{8})(?:/|$)")
# A download cut off (server gone, connection reset) is tried once more, not five times.
DOWNLOAD_CONFIG = TransferConfig(num_download_attempts=2)

@dataclass(frozen=True)
class ExportObject:
    key: str
    etag: str
    last_modified: object
    period_start: date
    period_end: date  # inclusive

    @property
    def run_folder(self) -> str:
        return str(PurePosixPath(self.key).parent)


def billing_period(key: str) -> tuple[date, date] | None:
    """The inclusive day range of the billing period a key belongs to, from its folder names."""
    month = PERIOD_MONTH.search(key)
    if month:
        start = date(int(month.group(1)), int(month.group(2)), 1)
        return start, add_months(start, 1) - timedelta(days=1)
    span = PERIOD_RANGE.search(key)
    if span:
        start = date.fromisoformat(_iso(span.group(1)))
        end_exclusive = date.fromisoformat(_iso(span.group(2)))
        return start, end_exclusive - timedelta(days=1)
    return None


def _iso(compact: str) -> str:
    return f"{compact[:4]}-{compact[4:6]}-{compact[6:]}"


class AwsDataExportsProvider(AwsSource):
    """Reads an AWS Data Export (FOCUS 1.x or CUR 2.0) from `bucket`/`prefix`."""

    source = "data_exports"

    def __init__(
        self,
        config: AwsConfig,
        session: boto3.Session | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        if not config.bucket:
            raise ProviderError(
                "providers.aws.bucket is not set",
                "config",
                'set bucket = "..." (and prefix) under [providers.aws]',
            )
        super().__init__(config, session, max_attempts)

    def _s3(self):
        return self._service(self._session(), "s3")

    def check_auth(self) -> None:
        try:
            self._s3().list_objects_v2(Bucket=self.config.bucket, Prefix=self.config.prefix, MaxKeys=1)
        except Exception as exc:
            raise self._error(exc, "s3:ListBucket", 1) from None

    def fetch(self, context: FetchContext) -> FetchResult:
        calls = 0
        try:
            s3 = self._s3()
            objects, calls = self._list(s3)
            periods = self._changed_periods(objects, context)
            downloads: dict[tuple[date, date], list[tuple[ExportObject, Path]]] = {}
            for period, chosen in periods.items():
                downloads[period] = []
                for obj in chosen:
                    target = context.workdir / "aws-exports" / obj.key
                    target.parent.mkdir(parents=True, exist_ok=True)
                    s3.download_file(self.config.bucket, obj.key, str(target), Config=DOWNLOAD_CONFIG)
                    calls += 1
                    downloads[period].append((obj, target))
        except ProviderError:
            raise
        except Exception as exc:
            raise self._error(exc, "s3:GetObject", calls) from None
        return self._load(context, downloads, calls)

    def _error(self, exc: Exception, action: str, calls: int) -> ProviderError:
        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchBucket", "404"):
                return ProviderError(
                    f"S3 bucket {self.config.bucket!r} not found",
                    "not_found",
                    "check providers.aws.bucket and region",
                    calls,
                )
            if code in ("AccessDenied", "403"):
                return ProviderError(
                    f"permission denied to {action} on bucket {self.config.bucket!r}",
                    "permission_denied",
                    f"grant s3:ListBucket and s3:GetObject on {self.config.bucket}",
                    calls,
                )
        if isinstance(exc, (ClientError, BotoCoreError)):
            return provider_error(exc, self.config, action, calls)
        return ProviderError(f"{action} failed: {type(exc).__name__}", "unexpected", None, calls)

    def _list(self, s3) -> tuple[list[ExportObject], int]:
        objects: list[ExportObject] = []
        calls = 0
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.config.bucket, Prefix=self.config.prefix
        ):
            calls += 1
            for item in page.get("Contents", ()):
                key = item["Key"]
                if not key.lower().endswith(DATA_SUFFIXES):
                    continue  # manifests, metadata
                period = billing_period(key)
                if period is None:
                    raise ProviderError(
                        f"cannot tell the billing period of s3://{self.config.bucket}/{key}",
                        "invalid_data",
                        "point providers.aws.prefix at the export's folder (BILLING_PERIOD=YYYY-MM/...)",
                        calls,
                    )
                objects.append(ExportObject(key, item["ETag"].strip('"'), item["LastModified"], *period))
        return objects, calls

    def _changed_periods(
        self, objects: list[ExportObject], context: FetchContext
    ) -> dict[tuple[date, date], list[ExportObject]]:
        """Periods overlapping the window whose newest run has a new or changed file."""
        by_period: dict[tuple[date, date], dict[str, list[ExportObject]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for obj in objects:
            if obj.period_end >= context.start and obj.period_start <= context.end:
                by_period[(obj.period_start, obj.period_end)][obj.run_folder].append(obj)
        chosen: dict[tuple[date, date], list[ExportObject]] = {}
        for period, runs in sorted(by_period.items()):
            # Newest run wins; same-second uploads fall back to the later folder name.
            newest = max(
                runs.values(), key=lambda files: (max(f.last_modified for f in files), files[0].run_folder)
            )
            if any(context.known_objects.get(f.key) != f.etag for f in newest):
                chosen[period] = sorted(newest, key=lambda f: f.key)
        return chosen

    def _load(
        self,
        context: FetchContext,
        downloads: dict[tuple[date, date], list[tuple[ExportObject, Path]]],
        calls: int,
    ) -> FetchResult:
        con = memory_engine()
        result = FetchResult(provider="aws", scopes=[], api_calls=calls)
        rows = 0
        for (start, end), files in downloads.items():
            con.execute(f"CREATE OR REPLACE TEMP TABLE period_rows AS SELECT * FROM ({EMPTY_ROWS})")
            for obj, path in files:
                try:
                    con.execute(f"INSERT INTO period_rows {self._file_sql(con, path, bool(context.tags))}", [start])
                except ProviderError:
                    raise
                except Exception as exc:  # DuckDB conversion or read errors name the file
                    raise self._invalid(obj, f"cannot read: {str(exc).splitlines()[0][:200]}", calls) from None
                self._check_values(con, obj, calls)
            staged = context.workdir / f"aws-exports-{start:%Y%m%d}-{end:%Y%m%d}.parquet"
            picks = picked_tags(entries_from_json("tags_raw"), context.tags, CUR_TAG_PREFIX)
            columns = [column for column, _ in picks]
            rows += stage_parquet(con, daily_sql(picks), staged, with_billing_period=True, tag_columns=columns)
            result.parquet_files.append(staged)
            result.scopes.append(ReplaceScope("aws", start, end, billing_period=start))
            result.ingested_objects.update({obj.key: obj.etag for obj, _ in files})
        con.close()
        result.row_count = rows
        if not downloads:
            result.notes.append("no new or changed export files")
        return result

    def _invalid(self, obj: ExportObject, message: str, calls: int) -> ProviderError:
        return ProviderError(f"s3://{self.config.bucket}/{obj.key}: {message}", "invalid_data", None, calls)

    def _check_values(self, con, obj: ExportObject, calls: int) -> None:
        """Refuse the file (naming its row) when a day, a cost or an effective cost is not a value."""
        bad = con.execute(
            """SELECT row, CASE WHEN charge_date IS NULL THEN 'its charge period start is not an ISO 8601 timestamp'
                                WHEN billed_cost IS NULL THEN 'its billed cost is missing or not a number'
                                ELSE 'its effective cost is missing or not a number' END
               FROM file_rows WHERE charge_date IS NULL OR billed_cost IS NULL OR effective_cost IS NULL
               ORDER BY row LIMIT 1"""
        ).fetchone()
        con.execute("DROP TABLE file_rows")
        if bad:
            raise self._invalid(obj, f"row {bad[0]}: {bad[1]}", calls)

    def _file_sql(self, con, path: Path, with_tags: bool = False) -> str:
        """SELECT of one file's rows (parameter: its billing period's first day); the file's typed rows
        are kept in `file_rows` (with their row number) for _check_values. `with_tags` keeps each
        row's raw tags as JSON text (picked later, once per distinct value: see daily_sql)."""
        source = _reader(path)
        types = {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        tags = raw_tags_sql(types) if with_tags else "NULL::VARCHAR"
        if "ChargePeriodStart" in types:
            select = _focus_select(types)
        elif "line_item_usage_start_date" in types:
            select = _cur_select(types)
        else:
            raise ProviderError(
                f"{path.name}: neither a FOCUS nor a CUR 2.0 file (no ChargePeriodStart or "
                "line_item_usage_start_date column)",
                "invalid_data",
            )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE file_rows AS SELECT row_number() OVER () AS row, {select}, "
            f"{tags} AS tags_raw FROM {source}"
        )
        return "SELECT * EXCLUDE (row, tags_raw), ?::DATE AS billing_period_start, tags_raw FROM file_rows"


def _reader(path: Path) -> str:
    quoted = str(path).replace("'", "''")
    if path.name.lower().endswith(".parquet"):
        return f"read_parquet('{quoted}')"
    # all_varchar: account ids keep their leading zeros; amounts are cast to DECIMAL below.
    return f"read_csv('{quoted}', header = true, all_varchar = true)"


def _col(columns: dict[str, str], name: str, fallback: str) -> str:
    return f'"{name}"' if name in columns else fallback


def _date(columns: dict[str, str], name: str) -> str:
    return f"CAST({timestamp_sql(_col(columns, name, 'NULL'), columns.get(name, 'VARCHAR'))} AS DATE)"


def _money(columns: dict[str, str], name: str) -> str:
    return money_sql(f'"{name}"', columns[name])


def _focus_select(columns: dict[str, str]) -> str:
    found = match_columns(columns)

    def col(field: str, fallback: str) -> str:
        return f'"{found[field]}"' if field in found else fallback

    category = category_sql(col("charge_category", "'Usage'"), FOCUS_CHARGE_CATEGORIES, default="Adjustment")
    effective = _money(columns, found["effective_cost"]) if "effective_cost" in found else "NULL"
    sub_account = col("account_id", "''")
    return f"""{_date(columns, "ChargePeriodStart")} AS charge_date,
        CAST({col("billing_account_id", "'unknown'")} AS VARCHAR) AS billing_account_id,
        CAST({sub_account} AS VARCHAR) AS account_id,
        CAST(coalesce({col("account_name", "NULL")}, {sub_account}) AS VARCHAR) AS account_name,
        coalesce({col("service", "NULL")}, '') AS service,
        coalesce({col("region", "NULL")}, '') AS region,
        {category} AS charge_category,
        {_money(columns, "BilledCost")} AS billed_cost,
        {effective} AS effective_cost,
        coalesce({col("currency", "NULL")}, 'USD') AS currency"""


def _cur_select(columns: dict[str, str]) -> str:
    kind = _col(columns, "line_item_line_item_type", "'Usage'")
    unblended = _money(columns, "line_item_unblended_cost")

    def money_or_unblended(name: str) -> str:
        return _money(columns, name) if name in columns else unblended

    # AWS's amortized cost: covered usage at its effective rate, fees spread over usage.
    effective = f"""CASE {kind}
        WHEN 'DiscountedUsage' THEN {money_or_unblended("reservation_effective_cost")}
        WHEN 'SavingsPlanCoveredUsage' THEN {money_or_unblended("savings_plan_savings_plan_effective_cost")}
        WHEN 'SavingsPlanNegation' THEN 0
        WHEN 'SavingsPlanUpfrontFee' THEN 0
        ELSE {unblended} END"""
    service = "line_item_product_code"
    if "product_servicecode" in columns:
        service = "coalesce(NULLIF(product_servicecode, ''), line_item_product_code)"
    if "product_product_name" in columns:
        service = f"coalesce(NULLIF(product_product_name, ''), {service})"
    account = _col(columns, "line_item_usage_account_id", "''")
    name = _col(columns, "line_item_usage_account_name", "NULL")
    return f"""{_date(columns, "line_item_usage_start_date")} AS charge_date,
        CAST({_col(columns, "bill_payer_account_id", "'unknown'")} AS VARCHAR) AS billing_account_id,
        CAST({account} AS VARCHAR) AS account_id,
        CAST(coalesce(NULLIF({name}, ''), {account}) AS VARCHAR) AS account_name,
        coalesce({service}, '') AS service,
        coalesce({_col(columns, "product_region_code", "NULL")}, '') AS region,
        {category_sql(kind, CUR_LINE_ITEM_TYPES, default="Adjustment")} AS charge_category,
        {unblended} AS billed_cost,
        {effective} AS effective_cost,
        coalesce(NULLIF({_col(columns, "line_item_currency_code", "NULL")}, ''), 'USD') AS currency"""


EMPTY_ROWS = f"""SELECT NULL::DATE AS charge_date, NULL::VARCHAR AS billing_account_id,
    NULL::VARCHAR AS account_id, NULL::VARCHAR AS account_name, NULL::VARCHAR AS service,
    NULL::VARCHAR AS region, NULL::VARCHAR AS charge_category, NULL::{MONEY_TYPE} AS billed_cost,
    NULL::{MONEY_TYPE} AS effective_cost, NULL::VARCHAR AS currency, NULL::DATE AS billing_period_start,
    NULL::VARCHAR AS tags_raw LIMIT 0"""

# CUR 2.0 names user-defined tags `user_<key>` in resource_tags (legacy CUR: resource_tags_user_<key>).
CUR_TAG_PREFIX = "user[_:]"
CUR_TAG_COLUMN = "resource_tags"
CUR_FLAT_TAG_PREFIX = "resource_tags_user_"


def raw_tags_sql(columns: dict[str, str]) -> str:
    """A file's tags as JSON object text: FOCUS `Tags`, CUR 2.0 `resource_tags` (a MAP in Parquet,
    JSON text in CSV), or the flattened `resource_tags_user_<key>` columns of a CUR-compatible export."""
    found = match_columns(columns)
    column = found.get("tags") if "ChargePeriodStart" in columns else None
    if column is None and CUR_TAG_COLUMN in columns:
        column = CUR_TAG_COLUMN
    if column is not None:
        quoted = '"' + column.replace('"', '""') + '"'
        if columns[column].upper().startswith("VARCHAR"):
            return quoted
        return f"CAST(to_json({quoted}) AS VARCHAR)"
    flat = [name for name in columns if name.lower().startswith(CUR_FLAT_TAG_PREFIX)]
    if not flat:
        return "NULL::VARCHAR"
    # names come from the file's header: escaped as a string literal and as an identifier
    pairs = ", ".join(
        "'" + name[len(CUR_FLAT_TAG_PREFIX):].replace("'", "''") + "', \"" + name.replace('"', '""') + '"' for name in flat
    )
    return f"CAST(json_object({pairs}) AS VARCHAR)"


def daily_sql(picks: list[tuple[str, str]]) -> str:
    """period_rows at the daily grain; with tags, picked once per distinct raw tags value and
    grouped by like any other dimension."""
    tags = "".join(f', "{column}"' for column, _ in picks)
    joined = "period_rows"
    if picks:
        values = ", ".join(f'{expr} AS "{column}"' for column, expr in picks)
        joined = (
            f"period_rows LEFT JOIN (SELECT tags_raw, {values} FROM "
            "(SELECT DISTINCT tags_raw FROM period_rows WHERE tags_raw IS NOT NULL)) USING (tags_raw)"
        )
    return f"""SELECT charge_date, 'aws' AS provider, billing_account_id, account_id,
    max(account_name) AS account_name, service, region, charge_category,
    round(sum(billed_cost), 6) AS billed_cost, round(sum(effective_cost), 6) AS effective_cost,
    currency, false AS estimated, billing_period_start{tags}
    FROM {joined}
    GROUP BY charge_date, billing_account_id, account_id, service, region, charge_category, currency,
             billing_period_start{tags}"""


DAILY_SQL = daily_sql([])
