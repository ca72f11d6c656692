"""`costtui export focus`: FOCUS 1.2 out of the cache, atomically, and back in with every total unchanged."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from costtui.cache import CacheReader
from costtui.cli import main
from costtui.model import CostQuery

FOCUS_12_COLUMNS = {
    "ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd", "ProviderName",
    "ServiceProviderName", "BillingAccountId", "SubAccountId", "SubAccountName", "ServiceName", "RegionId",
    "ChargeCategory", "BilledCost", "EffectiveCost", "BillingCurrency", "x_Estimated",
}
# An imported bill of another provider: 8-decimal costs, a late credit billed in the next period,
# monthly usage spread over its days.
IMPORTED = """BillingAccountId,BillingCurrency,BilledCost,EffectiveCost,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,BillingPeriodStart,ProviderName,ServiceName,SubAccountId,SubAccountName,RegionId
ORA-1,EUR,12.12345678,11.00000001,Usage,2026-10-05T00:00:00Z,2026-10-06T00:00:00Z,2026-10-01T00:00:00Z,Oracle,Database,tenant-1,Tenant One,eu-frankfurt-1
ORA-1,EUR,-1.5,-1.5,Credit,2026-10-05T00:00:00Z,2026-10-06T00:00:00Z,2026-11-01T00:00:00Z,Oracle,Database,tenant-1,Tenant One,eu-frankfurt-1
ORA-1,EUR,100,90,Usage,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,Oracle,Support,tenant-1,Tenant One,
"""
EVERYTHING = ["--start", "2000-01-01", "--end", "2027-12-31"]
GRAIN = ("day", "provider", "account", "service", "region", "charge_category")


@pytest.fixture
def source_cache(demo_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo cache plus an imported FOCUS file."""
    monkeypatch.setenv("COSTTUI_TODAY", "2026-11-15")
    cache = tmp_path / "source.duckdb"
    shutil.copyfile(demo_cache, cache)
    bill = tmp_path / "oracle.csv"
    bill.write_text(IMPORTED)
    assert main(["--cache", str(cache), "import", str(bill)]) == 0
    return cache


def snapshot(cache: Path) -> dict:
    """Every total that matters, at the daily grain, for both metrics, plus the estimated days."""
    with CacheReader(cache).session() as q:
        result = {
            metric: {
                (tuple(g.keys[k] for k in ("day", "provider", "account", "service", "region", "charge_category")),
                 g.currency): g.cost
                for g in q.cost_groups(CostQuery(group_by=GRAIN, metric=metric))
            }
            for metric in ("billed", "effective")
        }
        result["estimated"] = {p: q.covered_days(p)[2] for p in ("aws", "azure", "gcp", "oracle")}
        result["rows"] = q.row_count()
    return result


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_then_import_into_an_empty_cache_reproduces_every_total(source_cache, tmp_path, fmt, capsys):
    exported = tmp_path / f"focus.{fmt}"
    assert main(["--cache", str(source_cache), "export", "focus", "--output", str(exported), *EVERYTHING]) == 0
    copy = tmp_path / "copy.duckdb"
    assert main(["--cache", str(copy), "import", str(exported)]) == 0
    original, restored = snapshot(source_cache), snapshot(copy)
    assert restored == original
    assert original["billed"][(("2026-10-05", "oracle", "tenant-1", "Database", "eu-frankfurt-1", "Usage"), "EUR")] == (
        Decimal("12.123457")
    )
    assert f"wrote {original['rows']:,} FOCUS rows" in capsys.readouterr().err


def test_the_file_has_focus_12_columns_and_exact_values(source_cache, tmp_path):
    exported = tmp_path / "focus.csv"
    assert main(["--cache", str(source_cache), "export", "focus", "--output", str(exported),
                 "--provider", "oracle", "--start", "2026-10-05", "--end", "2026-10-05"]) == 0
    rows = list(csv.DictReader(exported.open()))
    assert set(rows[0]) >= FOCUS_12_COLUMNS
    assert all(name in FOCUS_12_COLUMNS or not name.startswith("x_") for name in rows[0])
    by_category = {(r["ServiceName"], r["ChargeCategory"]): r for r in rows}
    credit = by_category[("Database", "Credit")]
    assert (credit["BilledCost"], credit["ChargePeriodStart"], credit["ChargePeriodEnd"]) == (
        "-1.500000", "2026-10-05T00:00:00Z", "2026-10-06T00:00:00Z",
    )
    # The credit keeps the billing period it was imported with; usage its own.
    assert (credit["BillingPeriodStart"], credit["BillingPeriodEnd"]) == ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")
    assert by_category[("Database", "Usage")]["BillingPeriodStart"] == "2026-10-01T00:00:00Z"
    assert by_category[("Support", "Usage")]["BilledCost"] == "3.225806"  # 100 spread over 31 days
    assert {r["ProviderName"] for r in rows} == {"oracle"}


def test_filters_are_those_of_costs(source_cache, tmp_path, capsys):
    exported = tmp_path / "aws.parquet"
    window = ["--provider", "aws", "--start", "2026-11-01", "--end", "2026-11-10"]
    assert main(["--cache", str(source_cache), "export", "focus", "--output", str(exported), *window]) == 0
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    providers, first, last, total = con.execute(
        f"SELECT list(DISTINCT ProviderName), min(ChargePeriodStart)::DATE, max(ChargePeriodStart)::DATE, "
        f"sum(BilledCost) FROM '{exported}'"
    ).fetchone()
    con.close()
    assert (providers, str(first), str(last)) == (["AWS"], "2026-11-01", "2026-11-10")
    with CacheReader(source_cache).session() as q:
        assert q.totals(CostQuery(start=first, end=last, providers=("aws",))) == {"USD": total}


def test_a_failed_export_leaves_the_previous_file_and_no_litter(source_cache, tmp_path, capsys, monkeypatch):
    from costtui.cache import CostQueries
    from costtui.cache.errors import CacheError

    exported = tmp_path / "out" / "focus.csv"
    exported.parent.mkdir()
    exported.write_text("previous export\n")

    def fails_midway(self, query, path, fmt):
        path.write_text("half a fi")
        raise CacheError(f"{path}: cannot write: No space left on device")

    monkeypatch.setattr(CostQueries, "copy_focus", fails_midway)
    assert main(["--cache", str(source_cache), "export", "focus", "--output", str(exported), *EVERYTHING]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert exported.read_text() == "previous export\n"
    assert [p.name for p in exported.parent.iterdir()] == ["focus.csv"]
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("")
    assert main(["--cache", str(source_cache), "export", "focus", "--output", str(not_a_folder / "f.csv")]) == 1
    assert f"cannot write to {not_a_folder}" in capsys.readouterr().err


def test_a_successful_export_replaces_the_file_whole(source_cache, tmp_path):
    exported = tmp_path / "focus.parquet"
    exported.write_text("previous export\n")
    assert main(["--cache", str(source_cache), "export", "focus", "--output", str(exported), *EVERYTHING]) == 0
    assert exported.read_bytes()[:4] == b"PAR1"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".focus")] == []
