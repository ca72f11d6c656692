"""`costtui costs` in table, JSON and CSV: the same numbers as the cache, in shapes scripts rely on."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest

from costtui.cache import CacheReader
from costtui.model import CostQuery
from tests.cachefactory import row, write_rows


def costtui(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "costtui", *args], capture_output=True, text=True, env=env)


@pytest.fixture
def small_cache(cache_path):
    write_rows(
        cache_path,
        [
            row(date(2026, 11, 1), service="EC2", cost="10.005"),
            row(date(2026, 11, 2), service="S3", cost="2.50"),
            row(date(2026, 11, 2), service="EC2", cost="-1.00", category="Credit"),
            row(date(2026, 11, 3), provider="azure", account="sub", service="VM", cost="4", currency="EUR"),
            row(date(2026, 10, 31), service="EC2", cost="100"),
        ],
    )
    return cache_path


def test_json_keys_are_group_by_columns_cost_and_currency(small_cache):
    result = costtui("--cache", str(small_cache), "costs", "--start", "2026-11-01", "--end", "2026-11-03",
                     "--group-by", "provider", "--group-by", "service", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout, parse_float=Decimal)
    assert data == [
        {"provider": "aws", "service": "EC2", "billed_cost": Decimal("9.005"), "currency": "USD"},
        {"provider": "azure", "service": "VM", "billed_cost": Decimal("4.00"), "currency": "EUR"},
        {"provider": "aws", "service": "S3", "billed_cost": Decimal("2.50"), "currency": "USD"},
    ]


def test_end_is_inclusive_and_gross_drops_credits(small_cache):
    result = costtui("--cache", str(small_cache), "costs", "--start", "2026-11-01", "--end", "2026-11-02",
                     "--gross", "--format", "csv")
    assert result.stdout == "provider,billed_cost,currency\naws,12.505,USD\n"


def test_csv_has_header_and_same_rows_as_json(demo_cache):
    args = ["--cache", str(demo_cache), "costs", "--start", "2026-10-01", "--end", "2026-10-31",
            "--group-by", "account", "--metric", "effective"]
    as_json = json.loads(costtui(*args, "--format", "json").stdout, parse_float=Decimal)
    as_csv = list(csv.DictReader(io.StringIO(costtui(*args, "--format", "csv").stdout)))
    assert list(as_csv[0]) == ["account", "account_name", "effective_cost", "currency"]
    assert [(r["account"], Decimal(r["effective_cost"])) for r in as_csv] == [
        (r["account"], r["effective_cost"]) for r in as_json
    ]
    with CacheReader(demo_cache).session() as q:
        groups = q.cost_groups(CostQuery(date(2026, 10, 1), date(2026, 10, 31), metric="effective", group_by=("account",)))
    assert [g.cost for g in groups] == [r["effective_cost"] for r in as_json]  # exact, never rounded


def test_table_is_aligned_for_people(small_cache):
    result = costtui("--cache", str(small_cache), "costs", "--start", "2026-11-01", "--end", "2026-11-03",
                     "--group-by", "day")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["day", "billed_cost", "currency"]
    assert lines[2].split() == ["2026-11-01", "10.01", "USD"]
    assert len({len(line) for line in lines[2:]}) == 1  # right-aligned cost column


def test_days_are_complete_days_ending_yesterday(small_cache, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("demo_today = 2026-11-03\n")
    result = costtui("--config", str(config), "--cache", str(small_cache), "costs", "--days", "3", "--format", "csv")
    # 31 October to 2 November: today's (3 November) partial costs are not a complete day yet.
    assert result.stdout.splitlines()[1:] == ["aws,111.505,USD"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["costs", "--start", "2026-11-31"], "--start"),
        (["costs", "--start", "2026-11-05", "--end", "2026-11-01"], "after"),
        (["costs", "--group-by", "team"], "--group-by"),
        (["costs", "--days", "3", "--start", "2026-11-01"], "either --days"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(small_cache, args, message):
    result = costtui("--cache", str(small_cache), *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_missing_cache_says_what_to_do(tmp_path):
    result = costtui("--cache", str(tmp_path / "none.duckdb"), "costs")
    assert result.returncode == 1
    assert "costtui demo" in result.stderr and "Traceback" not in result.stderr


def test_demo_command_is_deterministic_and_reports_rows(tmp_path):
    first, second = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    config = tmp_path / "c.toml"
    config.write_text("demo_today = 2026-11-15\n")
    for path in (first, second):
        result = costtui("--config", str(config), "--cache", str(path), "demo", "--no-tui", "--seed", "7")
        assert result.returncode == 0, result.stderr
        assert "rows" in result.stderr
    outputs = [
        costtui("--config", str(config), "--cache", str(p), "costs", "--days", "400", "--group-by", "service",
                "--format", "csv").stdout
        for p in (first, second)
    ]
    assert outputs[0] == outputs[1]
    assert len(outputs[0].splitlines()) > 60  # 20+ services per cloud
