"""The demo shows allocation: two tag keys, realistic values, about 15% of the spend untagged."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import duckdb

from tests.faces import run_costtui


def run_demo(tmp_path, config: str = "") -> duckdb.DuckDBPyConnection:
    config_path = tmp_path / "costtui.toml"
    config_path.write_text(config)
    cache = tmp_path / "demo.duckdb"
    result = run_costtui(["--config", str(config_path), "--cache", str(cache), "demo", "--no-tui"],
                         today=date(2026, 11, 15))
    assert result.returncode == 0, result.stderr
    return duckdb.connect(str(cache), read_only=True)


def test_demo_names_team_and_environment_with_about_15_percent_untagged(tmp_path):
    con = run_demo(tmp_path)
    assert json.loads(con.execute("SELECT value FROM meta WHERE key = 'tag_keys'").fetchone()[0]) == {
        "team": "tag_team", "environment": "tag_environment"}
    total = con.execute("SELECT sum(billed_cost) FROM charges").fetchone()[0]
    teams = dict(con.execute("SELECT tag_team, sum(billed_cost) FROM charges GROUP BY ALL").fetchall())
    environments = dict(con.execute("SELECT tag_environment, sum(billed_cost) FROM charges GROUP BY ALL").fetchall())
    assert sum(teams.values()) == sum(environments.values()) == total  # the groups add up, untagged included
    assert Decimal("0.12") < teams[None] / total < Decimal("0.18")
    assert {"web", "data", "ml", "platform"} <= set(teams)
    assert set(environments) == {"production", "staging", "dev", None}
    # tax and purchases are never tagged
    assert con.execute("SELECT count(*) FROM charges WHERE charge_category IN ('Tax', 'Purchase') "
                       "AND tag_team IS NOT NULL").fetchone()[0] == 0


def test_the_configured_keys_replace_the_demos_own_and_costs_do_not_change(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    default = run_demo(tmp_path / "a")
    configured = run_demo(tmp_path / "b", '[allocation]\ntag_keys = ["cost_center"]\n')
    columns = [r[0] for r in configured.execute("DESCRIBE charges").fetchall() if r[0].startswith("tag_")]
    assert columns == ["tag_cost_center"]
    assert configured.execute("SELECT count(DISTINCT tag_cost_center) FROM charges").fetchone()[0] >= 5
    total = "SELECT sum(billed_cost), count(*) FROM charges"
    assert default.execute(total).fetchone() == configured.execute(total).fetchone()
