"""AWS Data Exports tags through moto's S3: CUR 2.0 `resource_tags` (a MAP in Parquet, JSON text in
CSV.gz; user tags keyed `user_<key>`), the flattened `resource_tags_user_<key>` columns, and FOCUS
`Tags`; per-tag totals in the cache equal the file's, untagged included."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal

import boto3
import duckdb
import pytest

from costtui.config import AwsConfig
from costtui.providers.aws.data_exports import AwsDataExportsProvider
from costtui.refresh import RefreshOptions, run_refresh
from costtui.tagrules import TagRules

pytestmark = pytest.mark.emulator

BUCKET = "billing-exports"
RULES = TagRules(("team", "environment"), {"environment": ("env",)})
# day, account, service, line item type, unblended cost, user tags
LINES = [
    ("2026-10-03T00:00:00Z", "012345678901", "AmazonEC2", "Usage", "5.5", {"team": "payments", "environment": "prod"}),
    ("2026-10-03T01:00:00Z", "012345678901", "AmazonEC2", "Usage", "1.25", {"team": "payments", "env": "dev"}),
    ("2026-10-03T02:00:00Z", "012345678901", "AmazonS3", "Usage", "2.0", {"team": "data"}),
    ("2026-10-03T03:00:00Z", "012345678901", "AmazonS3", "Usage", "0.75", {}),
    ("2026-10-03T04:00:00Z", "012345678901", "AmazonEC2", "Credit", "-1.5", {"team": "payments", "environment": "prod"}),
    ("2026-10-04T00:00:00Z", "222222222222", "AmazonRDS", "Usage", "3.0", {"team": "", "environment": "prod"}),
    ("2026-10-04T00:00:00Z", "222222222222", "AmazonRDS", "Tax", "0.3", {}),
]


def expected(key: str, spellings: tuple[str, ...]) -> dict[str | None, Decimal]:
    totals: dict[str | None, Decimal] = defaultdict(Decimal)
    for *_, cost, tags in LINES:
        value = next((tags[s] for s in spellings if tags.get(s)), None)
        totals[value] += Decimal(cost)
    return dict(totals)


def cur_table(con: duckdb.DuckDBPyConnection, form: str) -> None:
    """The lines as a CUR 2.0 table in `form`: map (resource_tags MAP), json (resource_tags as
    text, as a CSV carries it) or flat (resource_tags_user_<key> columns)."""
    con.execute(
        """CREATE TABLE cur (line_item_usage_start_date VARCHAR, bill_payer_account_id VARCHAR,
           line_item_usage_account_id VARCHAR, line_item_product_code VARCHAR, product_region_code VARCHAR,
           line_item_line_item_type VARCHAR, line_item_unblended_cost VARCHAR, line_item_currency_code VARCHAR,
           resource_tags MAP(VARCHAR, VARCHAR))"""
    )
    for start, account, service, kind, cost, tags in LINES:
        user_tags = {f"user_{k}": v for k, v in tags.items()} | {"aws_createdBy": "root"}
        con.execute(
            "INSERT INTO cur VALUES (?, '999999999999', ?, ?, 'us-east-1', ?, ?, 'USD', MAP(?, ?))",
            [start, account, service, kind, cost, list(user_tags), list(user_tags.values())],
        )
    if form == "json":
        con.execute("CREATE OR REPLACE TABLE cur AS SELECT * REPLACE (CAST(to_json(resource_tags) AS VARCHAR) AS resource_tags) FROM cur")
    elif form == "flat":
        con.execute(
            """CREATE OR REPLACE TABLE cur AS SELECT * EXCLUDE (resource_tags),
                   resource_tags['user_team'] AS resource_tags_user_team,
                   resource_tags['user_environment'] AS resource_tags_user_environment,
                   resource_tags['user_env'] AS resource_tags_user_env FROM cur"""
        )


def focus_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """CREATE TABLE cur (ChargePeriodStart VARCHAR, BillingAccountId VARCHAR, SubAccountId VARCHAR,
           ServiceName VARCHAR, RegionId VARCHAR, ChargeCategory VARCHAR, BilledCost VARCHAR,
           EffectiveCost VARCHAR, BillingCurrency VARCHAR, Tags VARCHAR)"""
    )
    for start, account, service, kind, cost, tags in LINES:
        con.execute(
            "INSERT INTO cur VALUES (?, '999999999999', ?, ?, 'us-east-1', ?, ?, ?, 'USD', ?)",
            [start, account, service, kind, cost, cost, json.dumps(tags) if tags else None],
        )


@pytest.mark.parametrize(
    ("form", "suffix"),
    [("map", "parquet"), ("json", "csv.gz"), ("flat", "csv.gz"), ("focus", "parquet")],
)
def test_per_tag_totals_equal_the_exports_untagged_included(moto, tmp_path, cache_path, form, suffix):
    s3 = boto3.client("s3", endpoint_url=moto, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    con = duckdb.connect()
    if form == "focus":
        focus_table(con)
    else:
        cur_table(con, form)
    path = tmp_path / f"export.{suffix}"
    options = "FORMAT parquet" if suffix == "parquet" else "FORMAT csv, HEADER, COMPRESSION gzip"
    con.execute(f"COPY cur TO '{path}' ({options})")
    con.close()
    s3.upload_file(str(path), BUCKET, f"exports/data/BILLING_PERIOD=2026-10/part-00001.{suffix}")
    exports = AwsDataExportsProvider(
        AwsConfig(enabled=True, source="data_exports", endpoint_url=moto, bucket=BUCKET, prefix="exports/")
    )

    report = run_refresh(
        [exports], cache_path, RefreshOptions(today=date(2026, 10, 31), since=date(2026, 10, 1), tags=RULES)
    )

    assert not report.failed, report.failed[0].error
    cache = duckdb.connect(str(cache_path), read_only=True)
    try:
        for key, spellings in (("team", ("team",)), ("environment", ("environment", "env"))):
            stored = dict(cache.execute(f"SELECT tag_{key}, sum(billed_cost) FROM charges GROUP BY ALL").fetchall())
            assert stored == expected(key, spellings)
        assert cache.execute("SELECT sum(billed_cost) FROM charges").fetchone()[0] == sum(Decimal(c[4]) for c in LINES)
    finally:
        cache.close()
