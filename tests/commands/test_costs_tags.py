"""`costs` and `export csv|json` by tag: `--group-by tag:KEY` (JSON null / table (untagged) for untagged
spend) and repeatable `--tag KEY=VALUE` filters, with a one-line usage error for an unknown key."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from tests.faces import run_costtui
from tests.tagcache import EXPECTED_OCTOBER

OCTOBER = ("--start", "2026-10-01", "--end", "2026-10-31")


def test_json_groups_by_tag_with_null_for_untagged(tagged_cache):
    result = run_costtui(["--cache", str(tagged_cache), "costs", "--group-by", "tag:team", "--format", "json",
                          *OCTOBER])
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout, parse_float=Decimal)
    assert [list(r) for r in records] == [["tag:team", "billed_cost", "currency"]] * 3
    assert {r["tag:team"]: r["billed_cost"] for r in records} == EXPECTED_OCTOBER


def test_the_table_shows_untagged_spend_as_untagged(tagged_cache):
    result = run_costtui(["--cache", str(tagged_cache), "costs", "--group-by", "tag:team", *OCTOBER])
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["tag:team", "billed_cost", "currency"]
    assert lines[2:] == ["payments        3100.00  USD", "search           310.00  USD",
                         "(untagged)        31.00  USD"]


def test_tag_filters_repeat_and_key_equals_nothing_selects_untagged(tagged_cache):
    result = run_costtui(["--cache", str(tagged_cache), "costs", "--group-by", "service", "--format", "json",
                          "--tag", "team=search", "--tag", "team=", *OCTOBER])
    records = json.loads(result.stdout, parse_float=Decimal)
    assert {r["service"]: r["billed_cost"] for r in records} == {"S3": Decimal("310"), "Lambda": Decimal("31")}


def test_export_csv_and_json_carry_the_same_tag_groups(tagged_cache, tmp_path):
    out = tmp_path / "by-env.csv"
    result = run_costtui(["--cache", str(tagged_cache), "export", "csv", "--group-by", "tag:environment",
                          "--tag", "team=payments", "--output", str(out), *OCTOBER])
    assert result.returncode == 0, result.stderr
    assert list(csv.reader(io.StringIO(out.read_text()))) == [
        ["tag:environment", "billed_cost", "currency"], ["prod", "3100.00", "USD"]]
    as_json = run_costtui(["--cache", str(tagged_cache), "export", "json", "--group-by", "tag:environment",
                           *OCTOBER])
    assert {r["tag:environment"]: r["billed_cost"] for r in json.loads(as_json.stdout, parse_float=Decimal)} == {
        "prod": Decimal("3100"), None: Decimal("341")}


def test_an_unknown_key_is_one_line_naming_the_option_key_and_configured_keys(tagged_cache):
    for args, option in ((["--group-by", "tag:owner"], "--group-by"), (["--tag", "owner=me"], "--tag")):
        result = run_costtui(["--cache", str(tagged_cache), "costs", *args])
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr == f"costtui: {option}: unknown tag key 'owner' (configured keys: team, environment)\n"


def test_a_malformed_tag_filter_is_a_usage_error(tagged_cache):
    result = run_costtui(["--cache", str(tagged_cache), "costs", "--tag", "team"])
    assert result.returncode == 2
    assert "'team' is not KEY=VALUE" in result.stderr
