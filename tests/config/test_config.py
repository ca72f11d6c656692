"""Config files: defaults when absent, one clear line when wrong, exit 2 from the CLI."""

import subprocess
import sys
from pathlib import Path

import pytest

from costtui.config import ConfigError, load_config, resolve_cache_path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "costtui.toml"
    path.write_text(text)
    return path


def test_missing_default_config_means_defaults():
    config = load_config()
    assert config.display.default_days == 30
    assert not config.providers.aws.enabled


def test_named_config_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_example_config_is_valid():
    example = Path(__file__).parents[2] / "config" / "costtui.example.toml"
    config = load_config(example)
    assert config.providers.aws.source == "cost_explorer"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[cache]\nmax_agee = 3\n", "cache.max_agee: unknown key"),
        ("[display]\ndefault_days = 'many'\n", "display.default_days: Input should be a valid integer"),
        ("[display]\nexport_dir = 5\n", "display.export_dir: Input should be a valid string"),
        ("demo_today = 2026-13-01\n", "not valid TOML"),
        ("demo_today = '2026-02-30'\n", "demo_today:"),
        ("[providers.aws]\nsource = 'cur'\n", "providers.aws.source:"),
        ("[[alerts.thresholds]]\nperiod = 'month'\n", "alerts.thresholds.0.name: required key missing"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert expected in message
    assert "\n" not in message


def test_cli_exits_2_with_one_line_for_bad_config(tmp_path):
    path = write(tmp_path, "[display]\nmetric = 'amortised'\n")
    result = subprocess.run(
        [sys.executable, "-m", "costtui", "--config", str(path), "costs"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "display.metric" in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_cache_path_precedence(tmp_path, monkeypatch):
    config = load_config(write(tmp_path, f"[cache]\npath = '{tmp_path / 'from-config.duckdb'}'\n"))
    assert resolve_cache_path(None, config).name == "from-config.duckdb"
    monkeypatch.setenv("COSTTUI_CACHE", str(tmp_path / "from-env.duckdb"))
    assert resolve_cache_path(None, config).name == "from-env.duckdb"
    assert resolve_cache_path(tmp_path / "flag.duckdb", config).name == "flag.duckdb"
