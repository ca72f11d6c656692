"""`costtui demo`: the demo cache comes with alert findings (demo thresholds), and says where it is."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from costtui.alerts.demo import demo_alert_config, round_to_two_figures
from costtui.alerts.run import evaluate
from costtui.cache import CacheReader
from costtui.config import Config


def test_demo_thresholds_give_a_new_user_findings(demo_cache: Path, today: date) -> None:
    config = demo_alert_config(Config(), demo_cache, today)
    names = {rule.name for rule in config.alerts.thresholds}
    assert names == {"Demo monthly budget", "Demo AWS daily limit"}
    with CacheReader(demo_cache).session() as queries:
        findings = evaluate(queries, config, today)
    assert {(f.rule, f.severity) for f in findings if f.kind == "threshold"} == {
        ("Demo monthly budget", "warning"), ("Demo AWS daily limit", "critical")}


def test_limits_read_like_typed_ones() -> None:
    assert round_to_two_figures(Decimal("152613.27"), "ROUND_FLOOR") == Decimal("150000")
    assert round_to_two_figures(Decimal("2172.4"), "ROUND_CEILING") == Decimal("2200")


def test_demo_command_records_the_findings_and_names_its_cache(tmp_path: Path, today: date) -> None:
    cache = tmp_path / "demo.duckdb"
    env = {**os.environ, "COSTTUI_TODAY": today.isoformat(), "PYTHONPATH": str(Path.cwd())}
    done = subprocess.run([sys.executable, "-m", "costtui", "--cache", str(cache), "demo", "--no-tui"],
                          capture_output=True, text=True, env=env, check=True)
    assert "demo alerts (demo thresholds): 2 findings, 2 new" in done.stderr
    with CacheReader(cache).session() as queries:
        events = queries.alert_events()
    assert {(e["rule"], e["severity"]) for e in events} >= {("Demo monthly budget", "warning")}
    helped = subprocess.run([sys.executable, "-m", "costtui", "demo", "--help"], capture_output=True, text=True,
                            env={**env, "XDG_DATA_HOME": str(tmp_path / "data")}, check=True)
    assert str(tmp_path / "data" / "costtui" / "demo.duckdb") in helped.stdout
