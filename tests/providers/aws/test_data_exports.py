"""AwsDataExportsProvider against moto's S3: FOCUS Parquet, CUR 2.0 CSV.gz, re-delivery, unchanged files skipped."""

from __future__ import annotations

import csv
import gzip
from datetime import date
from decimal import Decimal
from pathlib import Path

import boto3
import duckdb
import pytest

from costtui.cache import CacheReader
from costtui.config import AwsConfig
from costtui.model import CostQuery
from costtui.providers.aws.data_exports import AwsDataExportsProvider
from costtui.providers.base import FetchContext
from costtui.refresh import RefreshOptions, run_refresh

pytestmark = pytest.mark.emulator

BUCKET = "billing-exports"
FOCUS_KEY = "exports/focus/data/BILLING_PERIOD=2026-10/focus-00001.snappy.parquet"
CUR_KEY = "exports/cur2/data/BILLING_PERIOD=2026-10/cur2-00001.csv.gz"
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))

FOCUS_ROWS = [
    # ChargePeriodStart, SubAccountId, SubAccountName, ServiceName, RegionId, ChargeCategory, BilledCost, EffectiveCost
    (
        "2026-10-01T00:00:00Z",
        "012345678901",
        "payments",
        "Amazon EC2",
        "us-east-1",
        "Usage",
        "10.0000004",
        "8.5",
    ),
    (
        "2026-10-01T13:00:00Z",
        "012345678901",
        "payments",
        "Amazon EC2",
        "us-east-1",
        "Usage",
        "0.1000004",
        "0.1",
    ),
    (
        "2026-10-01T23:59:59Z",
        "012345678901",
        "payments",
        "Amazon EC2",
        "us-east-1",
        "Credit",
        "-3.25",
        "-3.25",
    ),
    ("2026-10-02T00:00:00Z", "222222222222", "data", "Amazon S3", "eu-west-1", "Usage", "4.20", "4.20"),
    ("2026-10-02T00:00:00Z", "222222222222", "data", "Amazon S3", "eu-west-1", "Tax", "0.84", "0.84"),
    ("2026-10-02T00:00:00Z", "222222222222", "data", "Amazon EC2", "eu-west-1", "Purchase", "100", "0"),
]


def write_focus_parquet(path: Path, rows: list[tuple]) -> Path:
    con = duckdb.connect(":memory:")
    con.execute(
        """CREATE TABLE f (ChargePeriodStart TIMESTAMPTZ, BillingAccountId VARCHAR, SubAccountId VARCHAR,
           SubAccountName VARCHAR, ServiceName VARCHAR, RegionId VARCHAR, ChargeCategory VARCHAR,
           BilledCost DECIMAL(20, 10), EffectiveCost DECIMAL(20, 10), BillingCurrency VARCHAR)"""
    )
    con.executemany(
        "INSERT INTO f VALUES (?, '999999999999', ?, ?, ?, ?, ?, ?, ?, 'USD')", [list(r) for r in rows]
    )
    con.execute(f"COPY f TO '{path}' (FORMAT parquet)")
    con.close()
    return path


CUR_HEADER = [
    "line_item_usage_start_date",
    "bill_payer_account_id",
    "line_item_usage_account_id",
    "line_item_product_code",
    "product_region_code",
    "line_item_line_item_type",
    "line_item_unblended_cost",
    "reservation_effective_cost",
    "savings_plan_savings_plan_effective_cost",
    "line_item_currency_code",
]
CUR_ROWS = [
    [
        "2026-10-03T00:00:00Z",
        "999999999999",
        "012345678901",
        "AmazonEC2",
        "us-east-1",
        "Usage",
        "5.5",
        "",
        "",
        "USD",
    ],
    [
        "2026-10-03T05:00:00Z",
        "999999999999",
        "012345678901",
        "AmazonEC2",
        "us-east-1",
        "DiscountedUsage",
        "0",
        "2.25",
        "",
        "USD",
    ],
    [
        "2026-10-03T06:00:00Z",
        "999999999999",
        "012345678901",
        "AmazonEC2",
        "us-east-1",
        "SavingsPlanCoveredUsage",
        "3.0",
        "",
        "1.8",
        "USD",
    ],
    [
        "2026-10-03T06:00:00Z",
        "999999999999",
        "012345678901",
        "AmazonEC2",
        "us-east-1",
        "SavingsPlanNegation",
        "-3.0",
        "",
        "",
        "USD",
    ],
    ["2026-10-03T00:00:00Z", "999999999999", "012345678901", "AmazonEC2", "", "RIFee", "7", "", "", "USD"],
    [
        "2026-10-03T00:00:00Z",
        "999999999999",
        "012345678901",
        "AmazonEC2",
        "",
        "Credit",
        "-1.5",
        "",
        "",
        "USD",
    ],
    [
        "2026-10-03T00:00:00Z",
        "999999999999",
        "012345678901",
        "AmazonEC2",
        "",
        "Refund",
        "-0.5",
        "",
        "",
        "USD",
    ],
    ["2026-10-03T00:00:00Z", "999999999999", "012345678901", "AmazonEC2", "", "Tax", "1.1", "", "", "USD"],
]


def write_cur_csv_gz(path: Path, rows: list[list[str]]) -> Path:
    with gzip.open(path, "wt", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CUR_HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture
def s3(moto: str):
    client = boto3.client("s3", endpoint_url=moto, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


def provider(moto: str, prefix: str) -> AwsDataExportsProvider:
    return AwsDataExportsProvider(
        AwsConfig(enabled=True, source="data_exports", endpoint_url=moto, bucket=BUCKET, prefix=prefix)
    )


def staged_rows(result) -> list[tuple]:
    con = duckdb.connect(":memory:")
    files = [str(p) for p in result.parquet_files]
    rows = con.execute(
        """SELECT charge_date, account_id, account_name, service, region, charge_category,
                  sum(billed_cost), sum(effective_cost), any_value(billing_account_id), any_value(currency)
           FROM read_parquet(?) GROUP BY ALL ORDER BY ALL""",
        [files],
    ).fetchall()
    con.close()
    return rows


def test_focus_parquet_is_aggregated_to_days_with_exact_decimals(moto, s3, tmp_path):
    s3.upload_file(str(write_focus_parquet(tmp_path / "f.parquet", FOCUS_ROWS)), BUCKET, FOCUS_KEY)

    result = provider(moto, "exports/focus/").fetch(
        FetchContext(date(2026, 10, 1), date(2026, 10, 5), tmp_path)
    )

    assert [(s.start, s.end) for s in result.scopes] == [OCTOBER]
    assert set(result.ingested_objects) == {FOCUS_KEY}
    assert staged_rows(result) == [
        (
            date(2026, 10, 1),
            "012345678901",
            "payments",
            "Amazon EC2",
            "us-east-1",
            "Credit",
            Decimal("-3.25"),
            Decimal("-3.25"),
            "999999999999",
            "USD",
        ),
        # 10.0000004 + 0.1000004: summed before rounding, not rounded row by row
        (
            date(2026, 10, 1),
            "012345678901",
            "payments",
            "Amazon EC2",
            "us-east-1",
            "Usage",
            Decimal("10.100001"),
            Decimal("8.6"),
            "999999999999",
            "USD",
        ),
        (
            date(2026, 10, 2),
            "222222222222",
            "data",
            "Amazon EC2",
            "eu-west-1",
            "Purchase",
            Decimal("100"),
            Decimal("0"),
            "999999999999",
            "USD",
        ),
        (
            date(2026, 10, 2),
            "222222222222",
            "data",
            "Amazon S3",
            "eu-west-1",
            "Tax",
            Decimal("0.84"),
            Decimal("0.84"),
            "999999999999",
            "USD",
        ),
        (
            date(2026, 10, 2),
            "222222222222",
            "data",
            "Amazon S3",
            "eu-west-1",
            "Usage",
            Decimal("4.2"),
            Decimal("4.2"),
            "999999999999",
            "USD",
        ),
    ]


def test_cur2_csv_gz_maps_line_item_types_and_amortizes(moto, s3, tmp_path):
    s3.upload_file(str(write_cur_csv_gz(tmp_path / "c.csv.gz", CUR_ROWS)), BUCKET, CUR_KEY)

    result = provider(moto, "exports/cur2/").fetch(
        FetchContext(date(2026, 10, 1), date(2026, 10, 5), tmp_path)
    )

    by_category = {row[5]: (row[6], row[7]) for row in staged_rows(result) if row[4] == "us-east-1"}
    by_category.update({row[5]: (row[6], row[7]) for row in staged_rows(result) if row[4] == ""})
    # Usage 5.5 + DiscountedUsage 0 + SP-covered 3.0 billed; effective 5.5 + 2.25 (RI) + 1.8 (SP rate)
    assert by_category["Usage"] == (Decimal("8.5"), Decimal("9.55"))
    # The SP negation cancels the covered usage's on-demand cost in the billed view only
    assert by_category["Adjustment"] == (Decimal("-3"), Decimal("0"))
    assert by_category["Purchase"] == (Decimal("7"), Decimal("7"))
    assert by_category["Credit"] == (Decimal("-2"), Decimal("-2"))
    assert by_category["Tax"] == (Decimal("1.1"), Decimal("1.1"))
    rows = staged_rows(result)
    assert {(r[1], r[2]) for r in rows} == {("012345678901", "012345678901")}  # no name column: the id
    assert {r[8] for r in rows} == {"999999999999"}


def test_unchanged_files_are_not_downloaded_again(moto, s3, tmp_path):
    s3.upload_file(str(write_focus_parquet(tmp_path / "f.parquet", FOCUS_ROWS)), BUCKET, FOCUS_KEY)
    exports = provider(moto, "exports/focus/")
    first = exports.fetch(FetchContext(date(2026, 10, 1), date(2026, 10, 5), tmp_path / "one"))
    (tmp_path / "two").mkdir()

    second = exports.fetch(
        FetchContext(
            date(2026, 10, 1), date(2026, 10, 5), tmp_path / "two", known_objects=first.ingested_objects
        )
    )

    assert second.scopes == [] and second.parquet_files == [] and second.ingested_objects == {}
    assert second.api_calls == 1  # the listing only
    assert not (tmp_path / "two" / "aws-exports").exists()


def test_a_redelivered_period_replaces_what_the_cache_held(moto, s3, tmp_path, cache_path):
    s3.upload_file(str(write_focus_parquet(tmp_path / "f.parquet", FOCUS_ROWS)), BUCKET, FOCUS_KEY)
    exports = provider(moto, "exports/focus/")
    options = RefreshOptions(today=date(2026, 10, 31), since=date(2026, 10, 1))
    run_refresh([exports], cache_path, options)
    restated = [(*r[:6], "1.00", "1.00") for r in FOCUS_ROWS[:1]]  # AWS restated October: one row left
    s3.upload_file(str(write_focus_parquet(tmp_path / "g.parquet", restated)), BUCKET, FOCUS_KEY)

    report = run_refresh([exports], cache_path, options)

    assert not report.failed
    with CacheReader(cache_path).session() as queries:
        totals = queries.totals(CostQuery(providers=("aws",)))
    assert totals == {"USD": Decimal("1")}


def test_a_period_outside_the_window_is_left_alone(moto, s3, tmp_path):
    s3.upload_file(str(write_focus_parquet(tmp_path / "f.parquet", FOCUS_ROWS)), BUCKET, FOCUS_KEY)

    result = provider(moto, "exports/focus/").fetch(
        FetchContext(date(2026, 11, 1), date(2026, 11, 5), tmp_path)
    )

    assert result.scopes == [] and result.parquet_files == []


def test_a_late_credit_in_the_next_period_survives_redelivery_of_either_period(moto, s3, tmp_path, cache_path):
    september_key = FOCUS_KEY.replace("2026-10", "2026-09")
    september = [("2026-09-24T00:00:00Z", "012345678901", "payments", "Amazon EC2", "us-east-1", "Usage", "10", "10")]
    # October's invoice carries a credit dated 24 September: it stays on its own day, billed in October.
    october = [
        ("2026-09-24T00:00:00Z", "012345678901", "payments", "Amazon EC2", "us-east-1", "Credit", "-3", "-3"),
        ("2026-10-02T00:00:00Z", "012345678901", "payments", "Amazon EC2", "us-east-1", "Usage", "20", "20"),
    ]
    s3.upload_file(str(write_focus_parquet(tmp_path / "sep.parquet", september)), BUCKET, september_key)
    s3.upload_file(str(write_focus_parquet(tmp_path / "oct.parquet", october)), BUCKET, FOCUS_KEY)
    exports = provider(moto, "exports/focus/")
    options = RefreshOptions(today=date(2026, 10, 31), since=date(2026, 9, 1))

    def september_24() -> dict[str, Decimal]:
        with CacheReader(cache_path).session() as queries:
            groups = queries.cost_groups(
                CostQuery(start=date(2026, 9, 24), end=date(2026, 9, 24), group_by=("charge_category",))
            )
        return {g.keys["charge_category"]: g.cost for g in groups}

    assert not run_refresh([exports], cache_path, options).failed
    assert september_24() == {"Usage": Decimal("10"), "Credit": Decimal("-3")}
    for key, rows, name in ((september_key, september, "sep2"), (FOCUS_KEY, october, "oct2")):
        renamed = [(*r[:2], "payments v2", *r[3:]) for r in rows]  # new bytes, new ETag: a re-delivery
        s3.upload_file(str(write_focus_parquet(tmp_path / f"{name}.parquet", renamed)), BUCKET, key)
        report = run_refresh([exports], cache_path, options)
        assert not report.failed and len(report.outcomes[0].result.scopes) == 1  # only that period restated
        assert september_24() == {"Usage": Decimal("10"), "Credit": Decimal("-3")}
