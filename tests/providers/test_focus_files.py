"""FOCUS import: good files land at the daily grain; any bad file is refused whole, with nothing stored."""

from __future__ import annotations

import gzip
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from costtui.cache import CacheReader
from costtui.model import CostQuery
from tests.faces import run_costtui

HEADER_10 = (
    "BillingAccountId,BillingCurrency,BilledCost,EffectiveCost,ChargeCategory,ChargePeriodStart,"
    "ChargePeriodEnd,ProviderName,ServiceName,SubAccountId,SubAccountName,RegionId"
)
ROWS_10 = [
    "111,USD,10.50,9.00,Usage,2026-11-01T00:00:00Z,2026-11-01T01:00:00Z,AWS,Amazon EC2,222,prod,us-east-1",
    "111,USD,1.25,1.25,Usage,2026-11-01T01:00:00Z,2026-11-01T02:00:00Z,AWS,Amazon EC2,222,prod,us-east-1",
    "111,USD,-2.00,-2.00,Credit,2026-11-02 00:00:00,2026-11-03 00:00:00,AWS,Amazon EC2,222,prod,us-east-1",
    "EA1,EUR,3,3,Usage,2026-11-02,2026-11-03,Microsoft,Virtual Machines,sub-1,,NULL",
    "BA-9,USD,0.000001,0.000001,Tax,2026-11-02T00:00:00,2026-11-03T00:00:00,Google Cloud,Cloud Storage,proj,,",
]
# FOCUS 1.3 renamed ProviderName to ServiceProviderName.
HEADER_13 = HEADER_10.replace("ProviderName", "ServiceProviderName")


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def run_import(cache: Path, *files: Path) -> subprocess.CompletedProcess:
    return run_costtui(["--cache", str(cache), "import", *map(str, files)])


def daily(cache: Path) -> dict[tuple, Decimal]:
    with CacheReader(cache).session() as q:
        groups = q.cost_groups(CostQuery(group_by=("day", "provider", "account", "charge_category")))
    return {
        (g.keys["day"], g.keys["provider"], g.keys["account"], g.keys["charge_category"], g.currency): g.cost
        for g in groups
    }


def test_hourly_rows_roll_up_to_days_and_providers_are_named(tmp_path, cache_path):
    result = run_import(cache_path, write_csv(tmp_path / "focus.csv", HEADER_10, ROWS_10))
    assert result.returncode == 0, result.stderr
    assert daily(cache_path) == {
        ("2026-11-01", "aws", "222", "Usage", "USD"): Decimal("11.75"),
        ("2026-11-02", "aws", "222", "Credit", "USD"): Decimal("-2.00"),
        ("2026-11-02", "azure", "sub-1", "Usage", "EUR"): Decimal("3"),
        ("2026-11-02", "gcp", "proj", "Tax", "USD"): Decimal("0.000001"),
    }
    with CacheReader(cache_path).session() as q:
        effective = q.totals(CostQuery(providers=("aws",), metric="effective"))
    assert effective == {"USD": Decimal("8.25")}  # EffectiveCost used when present


def test_importing_twice_or_a_newer_export_never_double_counts(tmp_path, cache_path):
    first = write_csv(tmp_path / "focus.csv", HEADER_10, ROWS_10)
    assert run_import(cache_path, first).returncode == 0
    assert run_import(cache_path, first).returncode == 0
    assert daily(cache_path)[("2026-11-01", "aws", "222", "Usage", "USD")] == Decimal("11.75")
    restated = [r.replace("10.50,9.00", "20.50,19.00") for r in ROWS_10[:3]]
    assert run_import(cache_path, write_csv(tmp_path / "newer.csv", HEADER_10, restated)).returncode == 0
    after = daily(cache_path)
    assert after[("2026-11-01", "aws", "222", "Usage", "USD")] == Decimal("21.75")
    # Other providers' and billing accounts' days are not touched by an AWS restatement.
    assert after[("2026-11-02", "azure", "sub-1", "Usage", "EUR")] == Decimal("3")


def test_focus_13_gzip_and_parquet_are_read(tmp_path, cache_path):
    plain = write_csv(tmp_path / "v13.csv", HEADER_13, ROWS_10)
    zipped = tmp_path / "v13.csv.gz"
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    assert run_import(cache_path, zipped).returncode == 0
    from_gzip = daily(cache_path)
    parquet = tmp_path / "v13.parquet"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * REPLACE (CAST(BilledCost AS DECIMAL(18,6)) AS BilledCost) FROM read_csv('{plain}')) "
        f"TO '{parquet}' (FORMAT parquet)"
    )
    con.close()
    other_cache = tmp_path / "other.duckdb"
    assert run_import(other_cache, parquet).returncode == 0, "parquet import failed"
    assert daily(other_cache) == from_gzip


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda h, rows: (h.replace("BilledCost,", "Cost,"), rows), "line 1: required column BilledCost is missing"),
        (lambda h, rows: (h, [rows[0], rows[1].replace("1.25", "1,25")]), "line 3"),  # an unquoted decimal comma
        (lambda h, rows: (h, [rows[0], rows[1] + ",extra,fields"]), "line 3: wrong number of fields (the header has 12)"),
        (lambda h, rows: (h, [rows[0], rows[1].replace("1.25,1.25", "abc,1.25")]), "line 3, column BilledCost: not a number: abc"),
        (lambda h, rows: (h, [*rows[:3], rows[3].replace("2026-11-02,", "2026-02-30,", 1)]), "line 5, column ChargePeriodStart: not an ISO 8601 date or timestamp: 2026-02-30"),
        (lambda h, rows: (h, [rows[0], rows[1].replace("Usage", "Discount")]), "line 3, column ChargeCategory: not one of"),
        (lambda h, rows: (h, [rows[0], rows[1].replace("111,USD", ",USD")]), "line 3, column BillingAccountId: missing value"),
        (lambda h, rows: (h, []), "no rows"),
    ],
)
def test_a_bad_file_is_refused_whole_with_file_line_and_column(tmp_path, cache_path, mutate, expected):
    good = write_csv(tmp_path / "good.csv", HEADER_10, ROWS_10)
    assert run_import(cache_path, good).returncode == 0
    before = daily(cache_path)
    header, rows = mutate(HEADER_10, ROWS_10)
    bad = write_csv(tmp_path / "bad.csv", header, rows)
    result = run_import(cache_path, bad)
    assert result.returncode == 1
    assert f"{bad}: {expected}" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert daily(cache_path) == before  # nothing of the bad file entered the cache


def test_one_bad_file_among_several_stores_nothing(tmp_path, cache_path):
    good = write_csv(tmp_path / "a.csv", HEADER_10, ROWS_10)
    bad = write_csv(tmp_path / "b.csv", HEADER_10, [ROWS_10[0].replace("10.50", "x")])
    result = run_import(cache_path, good, bad)
    assert result.returncode == 1
    assert not cache_path.exists()
