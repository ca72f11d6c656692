"""FOCUS import restates billing periods: a late credit in next month's invoice survives re-imports
of either month, parts of one export are one delivery, and each import says what it replaced."""

from __future__ import annotations

import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from costtui.cache import CacheReader
from costtui.cache.schema import SCHEMA_VERSION
from costtui.model import CostQuery
from tests.faces import run_costtui

HEADER = (
    "BillingAccountId,BillingCurrency,BilledCost,EffectiveCost,ChargeCategory,ChargePeriodStart,"
    "ChargePeriodEnd,BillingPeriodStart,BillingPeriodEnd,ProviderName,ServiceName,SubAccountId"
)
SEP = "2024-09-01T00:00:00Z,2024-10-01T00:00:00Z"
OCT = "2024-10-01T00:00:00Z,2024-11-01T00:00:00Z"
SEPTEMBER = [
    f"123456789012,USD,10.00,9.00,Usage,2024-09-24T00:00:00Z,2024-09-25T00:00:00Z,{SEP},AWS,EC2,222",
    f"123456789012,USD,8.01,8.01,Usage,2024-09-30T00:00:00Z,2024-10-01T00:00:00Z,{SEP},AWS,EC2,222",
    # Oracle rows of the September file billed in October: another billing account, its own slice.
    f"ORA-1,USD,5.00,5.00,Usage,2024-09-28T00:00:00Z,2024-09-29T00:00:00Z,{OCT},Oracle,Database,ora",
]
OCTOBER = [
    # The late credit, dated 24 September, on the October invoice.
    f"123456789012,USD,-3.00,-3.00,Credit,2024-09-24T00:00:00Z,2024-09-25T00:00:00Z,{OCT},AWS,EC2,222",
    f"123456789012,USD,20.00,20.00,Usage,2024-10-02T00:00:00Z,2024-10-03T00:00:00Z,{OCT},AWS,EC2,222",
]
TODAY = "2024-11-15"


def write_csv(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def run_import(cache: Path, *args: str | Path) -> subprocess.CompletedProcess:
    return run_costtui(["--cache", str(cache), "import", *map(str, args)], today=date.fromisoformat(TODAY))


def by_day(cache: Path) -> dict[tuple[str, str, str], Decimal]:
    with CacheReader(cache).session() as q:
        groups = q.cost_groups(CostQuery(group_by=("day", "provider", "charge_category")))
    return {(g.keys["day"], g.keys["provider"], g.keys["charge_category"]): g.cost for g in groups}


EXPECTED = {
    ("2024-09-24", "aws", "Usage"): Decimal("10.00"),
    ("2024-09-24", "aws", "Credit"): Decimal("-3.00"),
    ("2024-09-30", "aws", "Usage"): Decimal("8.01"),
    ("2024-09-28", "oracle", "Usage"): Decimal("5.00"),
    ("2024-10-02", "aws", "Usage"): Decimal("20.00"),
}


@pytest.fixture
def months(tmp_path: Path) -> tuple[Path, Path]:
    return write_csv(tmp_path / "sep.csv", SEPTEMBER), write_csv(tmp_path / "oct.csv", OCTOBER)


@pytest.mark.parametrize("order", [("sep", "oct"), ("oct", "sep")])
def test_a_late_credit_survives_importing_either_month_again(cache_path, months, order):
    files = dict(zip(("sep", "oct"), months, strict=True))
    for name in order:
        assert run_import(cache_path, files[name]).returncode == 0
    assert by_day(cache_path) == EXPECTED
    for name in ("sep", "oct", "sep"):
        result = run_import(cache_path, files[name])
        assert result.returncode == 0, result.stderr
        assert by_day(cache_path) == EXPECTED  # nothing the file does not restate is removed


def test_a_restated_period_replaces_only_its_own_rows_and_says_so(tmp_path, cache_path, months):
    sep, oct_ = months
    assert run_import(cache_path, sep, oct_).returncode == 0
    restated = write_csv(tmp_path / "sep-v2.csv", [SEPTEMBER[0].replace("10.00,9.00", "9.94,9.00"), SEPTEMBER[1]])
    result = run_import(cache_path, restated)
    assert result.returncode == 0, result.stderr
    assert "replaced aws 123456789012 2024-09: 18.01 -> 17.95 USD (2 -> 2 rows)" in result.stderr
    after = by_day(cache_path)
    assert after[("2024-09-24", "aws", "Usage")] == Decimal("9.94")
    assert after[("2024-09-24", "aws", "Credit")] == Decimal("-3.00")  # October's credit stays
    # The Oracle slice (October billing) is not in the restated file: untouched.
    assert after[("2024-09-28", "oracle", "Usage")] == Decimal("5.00")


def test_dry_run_reports_without_writing(tmp_path, cache_path, months):
    sep, _ = months
    assert run_import(cache_path, sep).returncode == 0
    before = cache_path.stat().st_mtime_ns, by_day(cache_path)
    smaller = write_csv(tmp_path / "smaller.csv", [SEPTEMBER[1]])
    result = run_import(cache_path, "--dry-run", smaller)
    assert result.returncode == 0, result.stderr
    assert "would replace aws 123456789012 2024-09: 18.01 -> 8.01 USD (2 -> 1 rows)" in result.stderr
    assert "dry run, nothing written" in result.stderr
    assert (cache_path.stat().st_mtime_ns, by_day(cache_path)) == before
    # A dry run on no cache at all compares with nothing and creates nothing.
    fresh = tmp_path / "none.duckdb"
    result = run_import(fresh, "--dry-run", sep)
    assert "would replace aws 123456789012 2024-09: 0.00 -> 18.01 USD (0 -> 2 rows)" in result.stderr
    assert not fresh.exists()


def test_two_parts_of_one_export_in_one_command_are_one_delivery(tmp_path, cache_path):
    part1 = write_csv(tmp_path / "part-00001.csv", SEPTEMBER[:1])
    part2 = write_csv(tmp_path / "part-00002.csv", SEPTEMBER[1:2])
    result = run_import(cache_path, part1, part2)
    assert result.returncode == 0, result.stderr
    assert by_day(cache_path) == {
        ("2024-09-24", "aws", "Usage"): Decimal("10.00"),
        ("2024-09-30", "aws", "Usage"): Decimal("8.01"),
    }
    assert result.stderr.count("replaced aws 123456789012 2024-09: 0.00 -> 18.01 USD (0 -> 2 rows)") == 1


def test_without_billing_period_parts_restate_the_days_of_the_whole_delivery(tmp_path, cache_path):
    header = HEADER.replace(",BillingPeriodStart,BillingPeriodEnd", "")
    rows = [r.replace(f",{SEP}", "") for r in SEPTEMBER[:2]]
    assert run_import(cache_path, write_csv(tmp_path / "all.csv", rows, header)).returncode == 0
    part1 = write_csv(tmp_path / "p1.csv", [rows[0].replace("10.00,9.00", "11.00,9.00")], header)
    part2 = write_csv(tmp_path / "p2.csv", [rows[1]], header)
    result = run_import(cache_path, part1, part2)
    assert result.returncode == 0, result.stderr
    assert "replaced aws 123456789012 2024-09-24..2024-09-30: 18.01 -> 19.01 USD (2 -> 2 rows)" in result.stderr
    assert by_day(cache_path) == {
        ("2024-09-24", "aws", "Usage"): Decimal("11.00"),
        ("2024-09-30", "aws", "Usage"): Decimal("8.01"),
    }


def test_a_v1_cache_is_migrated_without_losing_a_row(tmp_path, cache_path, months):
    sep, oct_ = months
    con = duckdb.connect(str(cache_path))
    con.execute(
        """CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
           INSERT INTO meta VALUES ('schema_version', '1');
           CREATE TABLE charges (charge_date DATE NOT NULL, provider VARCHAR NOT NULL,
             billing_account_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL, account_name VARCHAR NOT NULL,
             service VARCHAR NOT NULL, region VARCHAR NOT NULL, charge_category VARCHAR NOT NULL,
             billed_cost DECIMAL(18, 6) NOT NULL, effective_cost DECIMAL(18, 6) NOT NULL,
             currency VARCHAR NOT NULL, estimated BOOLEAN NOT NULL DEFAULT false);
           INSERT INTO charges VALUES
             ('2024-08-31', 'gcp', 'G', 'p', 'p', 'BigQuery', '', 'Usage', 7.5, 7.5, 'USD', false),
             ('2024-09-24', 'aws', '123456789012', '222', '222', 'EC2', '', 'Usage', 99, 99, 'USD', false);"""
    )
    con.close()
    # A reader still answers from the v1 file until the next write migrates it.
    assert by_day(cache_path)[("2024-08-31", "gcp", "Usage")] == Decimal("7.5")
    result = run_import(cache_path, oct_)
    assert result.returncode == 0, result.stderr
    with CacheReader(cache_path).session() as q:
        assert q.totals(CostQuery(providers=("gcp",))) == {"USD": Decimal("7.5")}  # kept
    con = duckdb.connect(str(cache_path), read_only=True)
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    con.close()
    # The v1 row of 24 September (no billing period) is kept by October, replaced by September.
    assert by_day(cache_path)[("2024-09-24", "aws", "Usage")] == Decimal("99")
    assert run_import(cache_path, sep).returncode == 0
    assert by_day(cache_path)[("2024-09-24", "aws", "Usage")] == Decimal("10.00")
