"""`costtui export csv|json`: the same rows as `costs`, to stdout or atomically to a file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from costtui.cli import main

QUERY = ["--provider", "aws", "--start", "2026-11-01", "--end", "2026-11-15", "--group-by", "account",
         "--group-by", "service"]


def run(capsys, cache: Path, *args: str, config: Path | None = None) -> str:
    config_args = ["--config", str(config)] if config else []
    assert main([*config_args, "--cache", str(cache), *args]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_prints_exactly_what_costs_prints(capsys, known_cache, fmt):
    exported = run(capsys, known_cache, "export", fmt, *QUERY)
    assert exported == run(capsys, known_cache, "costs", "--format", fmt, *QUERY)


def test_csv_rows_carry_the_known_costs_net_of_credits(capsys, known_cache):
    rows = list(csv.DictReader(io.StringIO(run(capsys, known_cache, "export", "csv", *QUERY))))
    assert [(r["account"], r["service"], r["billed_cost"], r["currency"]) for r in rows] == [
        ("111", "EC2", "1350.00", "USD"), ("111", "S3", "140.00", "USD"), ("222", "Lambda", "14.00", "USD"),
    ]


def test_json_to_a_file_is_written_whole(capsys, known_cache, tmp_path):
    target = tmp_path / "costs.json"
    assert run(capsys, known_cache, "export", "json", "--output", str(target), "--gross", *QUERY) == ""
    records = json.loads(target.read_text())
    assert records[0] == {"account": "111", "account_name": "name-111", "service": "EC2",
                          "billed_cost": 1400.0, "currency": "USD"}
    assert [p.name for p in tmp_path.iterdir()] == ["costs.json"]


def test_export_csv_accepts_the_costs_filters(capsys, known_cache, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("demo_today = 2026-11-15\n")
    out = run(capsys, known_cache, "export", "csv", "--provider", "azure", "--days", "4", "--group-by", "day",
              config=config)
    assert out.splitlines() == ["day,billed_cost,currency", "2026-11-12,20.00,EUR", "2026-11-13,20.00,EUR",
                                "2026-11-14,20.00,EUR"]
