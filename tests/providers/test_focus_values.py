"""FOCUS import values: UTC days on any host, strict ISO dates, costs and currencies, text-typed
Parquet numbers, and usage spread over charge periods longer than a day."""

from __future__ import annotations

import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from costtui.cache import CacheReader
from costtui.model import CostQuery
from tests.faces import run_costtui

HEADER = (
    "BillingAccountId,BillingCurrency,BilledCost,EffectiveCost,ChargeCategory,ChargePeriodStart,"
    "ChargePeriodEnd,BillingPeriodStart,ProviderName,ServiceName,SubAccountId"
)
GOOD = [
    "111,USD,1.50,1.25,Usage,2024-09-01T10:00:00Z,2024-09-01T11:00:00Z,2024-09-01,AWS,EC2,222",
    "111,USD,2.00,2.00,Usage,2024-09-01T11:00:00Z,2024-09-01T12:00:00Z,2024-09-01,AWS,EC2,222",
]
TODAY = "2024-11-15"


def write_csv(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def run_import(cache: Path, *files: Path, tz: str | None = None) -> subprocess.CompletedProcess:
    args = ["--cache", str(cache), "import", *map(str, files)]
    return run_costtui(args, env={"TZ": tz} if tz else None, today=date.fromisoformat(TODAY))


def by_day(cache: Path, metric: str = "billed") -> dict[tuple[str, str], Decimal]:
    with CacheReader(cache).session() as q:
        groups = q.cost_groups(CostQuery(group_by=("day", "charge_category"), metric=metric))
    return {(g.keys["day"], g.keys["charge_category"]): g.cost for g in groups}


def test_offsets_are_converted_to_utc_days_whatever_the_host_zone(tmp_path, cache_path):
    rows = [
        # 23:30 at -05:00 is 04:30 UTC the next day.
        "111,USD,1.00,1.00,Usage,2024-09-01T23:30:00-05:00,2024-09-02T00:30:00-05:00,2024-09-01,AWS,EC2,222",
        # Naive timestamps are UTC, as FOCUS requires.
        "111,USD,2.00,2.00,Usage,2024-09-01 23:30:00,2024-09-02 00:30:00,2024-09-01,AWS,EC2,222",
        "111,USD,4.00,4.00,Usage,2024-09-03T00:00:00.000+0200,2024-09-03T01:00:00.000+0200,2024-09-01,AWS,EC2,222",
    ]
    result = run_import(cache_path, write_csv(tmp_path / "tz.csv", rows), tz="America/Los_Angeles")
    assert result.returncode == 0, result.stderr
    assert by_day(cache_path) == {
        ("2024-09-01", "Usage"): Decimal("2.00"),
        ("2024-09-02", "Usage"): Decimal("5.00"),
    }


def test_parquet_timestamptz_lands_on_its_utc_day_under_another_tz(tmp_path, cache_path):
    parquet = tmp_path / "tz.parquet"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""COPY (SELECT '111' AS BillingAccountId, 'USD' AS BillingCurrency, 3.5::DECIMAL(18, 6) AS BilledCost,
                   3.5::DECIMAL(18, 6) AS EffectiveCost, 'Usage' AS ChargeCategory,
                   TIMESTAMPTZ '2024-11-01 00:00:00+00' AS ChargePeriodStart,
                   TIMESTAMPTZ '2024-11-01 01:00:00+00' AS ChargePeriodEnd,
                   TIMESTAMPTZ '2024-11-01 00:00:00+00' AS BillingPeriodStart,
                   'AWS' AS ProviderName, 'EC2' AS ServiceName) TO '{parquet}' (FORMAT parquet)"""
    )
    con.close()
    result = run_import(cache_path, parquet, tz="America/Los_Angeles")
    assert result.returncode == 0, result.stderr
    assert by_day(cache_path) == {("2024-11-01", "Usage"): Decimal("3.5")}


REFUSED = [
    ("ChargePeriodStart", "2024-09-01T11:00:00Z", "4/1/25", "line 3, column ChargePeriodStart: not an ISO 8601 date or timestamp: 4/1/25"),
    ("ChargePeriodStart", "2024-09-01T11:00:00Z", "99999-01-01", "line 3, column ChargePeriodStart: not an ISO 8601"),
    ("ChargePeriodStart", "2024-09-01T11:00:00Z", "1999-12-31", "line 3, column ChargePeriodStart: not between 2000-01-01 and 2025-11-15: 1999-12-31"),
    ("ChargePeriodStart", "2024-09-01T11:00:00Z", "2025-11-16T00:00:00Z", "line 3, column ChargePeriodStart: not between"),
    ("ChargePeriodEnd", "2024-09-01T12:00:00Z", "tomorrow", "line 3, column ChargePeriodEnd: not an ISO 8601 date or timestamp: tomorrow"),
    ("BillingPeriodStart", "2024-09-01,AWS", "Sept 2024,AWS", "line 3, column BillingPeriodStart: not an ISO 8601"),
    ("BillingPeriodStart", "2024-09-01,AWS", ",AWS", "line 3, column BillingPeriodStart: missing value"),
    ("EffectiveCost", "2.00,2.00", "2.00,", "line 3, column EffectiveCost: missing value"),
    ("BilledCost", "2.00,2.00", ",2.00", "line 3, column BilledCost: missing value"),
    ("BilledCost", "2.00,2.00", "99999999999999.99,2.00", "line 3, column BilledCost: too large for the cache"),
    ("EffectiveCost", "2.00,2.00", "2.00,-1000000000000", "line 3, column EffectiveCost: too large for the cache"),
    ("BillingCurrency", "111,USD", "111,USD$$", "line 3, column BillingCurrency: not a three-letter currency code: USD$$"),
    ("BillingCurrency", "111,USD", "111,US", "line 3, column BillingCurrency: not a three-letter currency code: US"),
]


@pytest.mark.parametrize(("column", "old", "new", "expected"), REFUSED, ids=[f"{r[0]}={r[2]}" for r in REFUSED])
def test_an_implausible_value_refuses_the_file_and_stores_nothing(tmp_path, cache_path, column, old, new, expected):
    assert run_import(cache_path, write_csv(tmp_path / "good.csv", GOOD)).returncode == 0
    before = by_day(cache_path)
    bad = write_csv(tmp_path / "bad.csv", [GOOD[0], GOOD[1].replace(old, new, 1)])
    result = run_import(cache_path, bad)
    assert result.returncode == 1
    assert f"{bad}: {expected}" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert by_day(cache_path) == before


def test_overlong_lines_and_headers_are_refused_in_bounded_memory(tmp_path, cache_path):
    long_line = write_csv(tmp_path / "long.csv", [GOOD[0], GOOD[1].replace("EC2", "E" * 2_000_000)])
    result = run_import(cache_path, long_line)
    assert result.returncode == 1
    assert f"{long_line}: line 3: longer than 1048576 bytes" in result.stderr
    # A newline-free file is refused after reading its first 64 KiB, not read whole.
    no_newline = tmp_path / "blob.csv"
    no_newline.write_text("x" * 5_000_000)
    result = run_import(cache_path, no_newline)
    assert result.returncode == 1
    assert f"{no_newline}: line 1: header longer than 65536 bytes" in result.stderr
    assert not cache_path.exists()


def test_a_wrong_field_count_names_the_line(tmp_path, cache_path):
    bad = write_csv(tmp_path / "bad.csv", [GOOD[0], GOOD[1].replace("EC2,", "EC2,extra,")])
    result = run_import(cache_path, bad)
    assert result.returncode == 1
    assert f"{bad}: line 3: wrong number of fields (the header has 11)" in result.stderr


def write_parquet(path: Path, effective: str, billed: str = "'1.50'") -> Path:
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT * FROM (VALUES
                ('111', 'USD', {billed}, '2.25', 'Usage', '2024-09-01T10:00:00Z', 'AWS', 'EC2'),
                ('111', 'USD', {billed}, {effective}, 'Usage', '2024-09-01T11:00:00Z', 'AWS', 'EC2'))
              t(BillingAccountId, BillingCurrency, BilledCost, EffectiveCost, ChargeCategory, ChargePeriodStart,
                ProviderName, ServiceName)) TO '{path}' (FORMAT parquet)"""
    )
    con.close()
    return path


def test_text_typed_parquet_numbers_are_parsed_like_csv_numbers(tmp_path, cache_path):
    result = run_import(cache_path, write_parquet(tmp_path / "text.parquet", "' 0.000001 '"))
    assert result.returncode == 0, result.stderr
    assert by_day(cache_path, "effective") == {("2024-09-01", "Usage"): Decimal("2.250001")}
    assert by_day(cache_path) == {("2024-09-01", "Usage"): Decimal("3.00")}


def test_a_bad_text_number_in_parquet_names_row_and_column(tmp_path, cache_path):
    bad = write_parquet(tmp_path / "bad.parquet", "'1,5'")
    result = run_import(cache_path, bad)
    assert result.returncode == 1
    assert f"{bad}: row 2, column EffectiveCost: not a number: 1,5" in result.stderr
    assert "Error" not in result.stderr and "line" not in result.stderr
    missing = tmp_path / "missing.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 1 AS BilledCost) TO '{missing}' (FORMAT parquet)")
    con.close()
    result = run_import(cache_path, missing)
    assert f"{missing}: required column ChargePeriodStart is missing" in result.stderr
    assert not cache_path.exists()


def test_usage_over_a_month_is_spread_exactly_and_other_charges_stay_on_their_day(tmp_path, cache_path):
    month = "2024-11-01T00:00:00Z,2024-12-01T00:00:00Z,2024-11-01"
    rows = [
        f"111,USD,10.00,-10.00,Usage,{month},AWS,Support,222",
        f"111,USD,30.00,30.00,Purchase,{month},AWS,Savings Plans,222",
        f"111,USD,3.00,3.00,Tax,{month},AWS,Tax,222",
        f"111,USD,-6.00,-6.00,Credit,{month},AWS,EC2,222",
        # Two days from noon: spread evenly over the three UTC days it touches.
        "111,USD,1.000001,1.000001,Usage,2024-11-10T12:00:00Z,2024-11-12T12:00:00Z,2024-11-01,AWS,EC2,222",
    ]
    result = run_import(cache_path, write_csv(tmp_path / "monthly.csv", rows))
    assert result.returncode == 0, result.stderr
    billed, effective = by_day(cache_path), by_day(cache_path, "effective")
    usage = {day: cost for (day, category), cost in billed.items() if category == "Usage"}
    assert len(usage) == 30
    assert usage["2024-11-02"] == Decimal("0.333333")
    assert usage["2024-11-30"] == Decimal("0.333343")  # 10 - 29 x 0.333333: the remainder on the last day
    assert usage["2024-11-10"] == Decimal("0.333333") + Decimal("0.333333")
    assert usage["2024-11-11"] == Decimal("0.333333") + Decimal("0.333333")
    assert usage["2024-11-12"] == Decimal("0.333333") + Decimal("0.333335")
    assert sum(usage.values()) == Decimal("11.000001")
    assert effective[("2024-11-30", "Usage")] == Decimal("-0.333343")
    assert sum(c for (_, k), c in effective.items() if k == "Usage") == Decimal("-8.999999")
    assert billed[("2024-11-01", "Purchase")] == Decimal("30.00")
    assert billed[("2024-11-01", "Tax")] == Decimal("3.00")
    assert billed[("2024-11-01", "Credit")] == Decimal("-6.00")
    assert {k for (d, k) in billed if d != "2024-11-01"} == {"Usage"}


def test_x_estimated_marks_estimated_days(tmp_path, cache_path):
    header = HEADER + ",x_Estimated"
    rows = [GOOD[0] + ",true", GOOD[1].replace("2024-09-01T11", "2024-09-02T11").replace("2024-09-01T12", "2024-09-02T12") + ",false"]
    assert run_import(cache_path, write_csv(tmp_path / "est.csv", rows, header)).returncode == 0
    with CacheReader(cache_path).session() as q:
        assert [str(d) for d in q.covered_days("aws")[2]] == ["2024-09-01"]
