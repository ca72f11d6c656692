"""A config that passed validation is read again without pydantic, and only while it is unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from costtui.config import ConfigError, load_config
from costtui.config.stamp import stamp_file
from costtui.config.validation import validate

RICH_CONFIG = """\
demo_today = 2026-11-15
currency_rates = { EUR = 1.0835, GBP = "1.27" }

[cache]
path = "~/costs/cache.duckdb"
max_age_hours = 12

[display]
metric = "effective"
default_days = 7

[providers.focus]
enabled = true
paths = ["/data/focus", "exports/extra.parquet"]

[[alerts.thresholds]]
name = "aws-month"
provider = "aws"
warning = 20000.10
critical = "30000.25"

[[alerts.thresholds]]
name = "daily"
period = "day"
critical = 1500
"""

LOAD_AND_REPORT = (
    "import sys\n"
    "from costtui.config import load_config\n"
    "config = load_config(sys.argv[1])\n"
    "print(config.display.metric, 'pydantic' in sys.modules)\n"
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "costtui.toml"
    path.write_text(text)
    return path


def load_in_fresh_process(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", LOAD_AND_REPORT, str(path)], capture_output=True, text=True, env=os.environ.copy()
    )


def test_second_run_of_an_unchanged_config_skips_pydantic(tmp_path):
    path = write(tmp_path, RICH_CONFIG)
    first = load_in_fresh_process(path)
    second = load_in_fresh_process(path)
    assert first.stdout.split() == ["effective", "True"], first.stderr
    assert second.stdout.split() == ["effective", "False"], second.stderr


def test_stamped_config_equals_the_validated_one(tmp_path):
    path = write(tmp_path, RICH_CONFIG)
    validated = load_config(path)  # validates and writes the stamp
    assert stamp_file(path).exists()
    restored = load_config(path)  # from the stamp
    assert restored == validated
    assert restored.demo_today == date(2026, 11, 15)
    assert restored.cache.path == Path("~/costs/cache.duckdb")
    assert restored.cache.max_age_hours == 12.0
    assert restored.currency_rates == {"EUR": Decimal("1.0835"), "GBP": Decimal("1.27")}
    assert [rule.warning for rule in restored.alerts.thresholds] == [Decimal("20000.10"), None]
    assert restored.alerts.thresholds[1].critical == Decimal("1500")
    assert restored.providers.focus.paths == [Path("/data/focus"), Path("exports/extra.parquet")]


def test_an_edited_config_is_validated_again(tmp_path):
    path = write(tmp_path, RICH_CONFIG)
    load_config(path)
    path.write_text(RICH_CONFIG.replace('metric = "effective"', 'metric = "amortised"'))
    with pytest.raises(ConfigError, match=r"display\.metric"):
        load_config(path)


def test_an_edit_that_keeps_size_and_mtime_is_still_noticed(tmp_path):
    path = write(tmp_path, RICH_CONFIG)
    load_config(path)
    before = path.stat()
    path.write_text(RICH_CONFIG.replace("default_days = 7", "default_days = 0"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(ConfigError, match=r"display\.default_days"):
        load_config(path)


@pytest.mark.parametrize("damage", ["not json", '{"schema": 1}', "{}", '{"config": null}'])
def test_a_damaged_stamp_falls_back_to_full_validation(tmp_path, damage):
    path = write(tmp_path, RICH_CONFIG)
    expected = load_config(path)
    stamp_file(path).write_text(damage)
    assert load_config(path) == expected
    assert json.loads(stamp_file(path).read_text())["config"]["display"]["metric"] == "effective"


def test_a_stamp_of_another_schema_is_ignored(tmp_path):
    path = write(tmp_path, RICH_CONFIG)
    load_config(path)
    stamp = json.loads(stamp_file(path).read_text())
    stamp["schema"] = "an older costtui"
    stamp["config"]["display"]["metric"] = "billed"
    stamp_file(path).write_text(json.dumps(stamp))
    assert load_config(path).display.metric == "effective"


def test_unwritable_cache_dir_still_loads(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    path = write(tmp_path, RICH_CONFIG)
    assert load_config(path).display.default_days == 7
    assert load_config(path).display.default_days == 7


def test_stamp_is_private(tmp_path):
    path = write(tmp_path, RICH_CONFIG)
    load_config(path)
    assert stamp_file(path).stat().st_mode & 0o077 == 0


def test_validation_bounds_and_unknown_keys():
    with pytest.raises(ValueError, match=r"cache\.max_age_hours: Input should be greater than 0 \(got 0\)"):
        validate({"cache": {"max_age_hours": 0}})
    with pytest.raises(ValueError, match=r"alerts\.anomaly\.window_days: Input should be greater than or equal to 3"):
        validate({"alerts": {"anomaly": {"window_days": 2}}})
    with pytest.raises(ValueError, match=r"serve\.hots: unknown key"):
        validate({"serve": {"hots": "0.0.0.0"}})
    with pytest.raises(ValueError, match=r"alerts\.thresholds\.0\.warning: "):
        validate({"alerts": {"thresholds": [{"name": "x", "warning": "lots"}]}})
