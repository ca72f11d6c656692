"""The headless paths stay light: the check loads no click or pydantic, none loads textual or a cloud SDK."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from costtui.config import load_config, resolve_cache_path
from costtui.config.fast import load_fast_config
from costtui.config.fast import resolve_cache_path as fast_resolve_cache_path

HEAVY = ("textual", "click", "pydantic", "boto3", "botocore", "azure", "google")


def loaded_roots(code: str) -> list[str]:
    script = code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def test_a_whole_check_run_loads_no_click_pydantic_textual_or_sdk(known_cache):
    roots = loaded_roots(
        "from costtui.cli import main\n"
        f"assert main(['--cache', {str(known_cache)!r}, 'check', '-w', '~:99999', '-v']) == 0"
    )
    assert "duckdb" in roots  # it did read the cache
    assert [name for name in HEAVY if name in roots] == []


def test_a_check_without_a_config_file_loads_neither_the_config_schema_nor_the_writer(known_cache, tmp_path):
    # Each of these costs the plugin tens of milliseconds of start-up on every monitoring run.
    script = (
        "import os, sys\n"
        "os.environ.pop('COSTTUI_CONFIG', None)\n"
        f"os.environ['XDG_CONFIG_HOME'] = {str(tmp_path)!r}\n"  # no costtui/config.toml there
        "from costtui.config.fast import load_fast_config\n"
        "from costtui.plugin.check import run_check\n"
        f"assert run_check(['-w', '~:99999'], cache_path={str(known_cache)!r}) == 0\n"
        "print(sorted(m for m in sys.modules if m.startswith('costtui.')))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded = result.stdout.splitlines()[-1]
    for module in ("costtui.config.schema", "costtui.config.rules", "costtui.cache.writer", "costtui.cache.publish"):
        assert f"'{module}'" not in loaded
    assert "'costtui.cache.queries'" in loaded  # it did read the cache


def test_a_check_trusts_a_config_another_command_validated_and_rechecks_an_edited_one(known_cache, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[cache]\npath = {str(known_cache)!r}\nmax_age_hours = 8000\n')
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "stamps"), "COSTTUI_CONFIG": str(config)}
    script = (
        "import sys\n"
        "from costtui.plugin.check import run_check\n"
        "code = run_check(['-w', '~:99999'])\n"
        "print(code, 'costtui.config.rules' in sys.modules)"
    )

    def check() -> list[str]:
        return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env).stdout.split()

    assert check()[-2:] == ["0", "True"]  # never validated: the check applies the rules itself
    subprocess.run([sys.executable, "-c", "from costtui.config import load_config; load_config()"], env=env, check=True)
    assert check()[-2:] == ["0", "False"]  # validated in full by another command: the rules are skipped
    config.write_text(config.read_text() + "max_age_hourz = 3\n")
    output = check()
    assert output[-2:] == ["3", "True"] and "max_age_hourz" in " ".join(output)  # edited: checked again, refused


@pytest.mark.parametrize("module", ["costtui.plugin.check", "costtui.exporters.delivery", "costtui.exporters.prometheus"])
def test_headless_modules_load_no_ui_config_models_or_sdk(module):
    roots = loaded_roots(f"import {module}")
    assert [name for name in HEAVY if name in roots] == []


@pytest.mark.parametrize(
    "toml",
    [
        "",
        '[cache]\npath = "/srv/costtui/cache.duckdb"\nmax_age_hours = 12.5\n',
        '[cache]\npath = "~/costs.duckdb"\n',
        "demo_today = 2026-11-15\n[cache]\nmax_age_hours = 2\n",
    ],
)
def test_fast_config_reads_the_same_values_as_the_full_config(tmp_path: Path, monkeypatch, toml):
    config_file = tmp_path / "config.toml"
    config_file.write_text(toml)
    full = load_config(config_file)
    fast = load_fast_config(config_file)
    assert fast.max_age_hours == full.cache.max_age_hours
    assert fast.demo_today == full.demo_today
    assert fast_resolve_cache_path(None, fast) == resolve_cache_path(None, full)
    assert fast_resolve_cache_path("x.duckdb", fast) == resolve_cache_path("x.duckdb", full)
    monkeypatch.setenv("COSTTUI_CACHE", "/env/cache.duckdb")
    assert fast_resolve_cache_path(None, fast) == resolve_cache_path(None, full) == Path("/env/cache.duckdb")


def test_fast_config_finds_the_config_where_the_full_config_does(tmp_path: Path, monkeypatch):
    default = tmp_path / "xdg-config" / "costtui" / "config.toml"
    default.parent.mkdir(parents=True)
    default.write_text("[cache]\nmax_age_hours = 7\n")
    assert load_fast_config(None).max_age_hours == load_config(None).cache.max_age_hours == 7
    named = tmp_path / "named.toml"
    named.write_text("[cache]\nmax_age_hours = 9\n")
    monkeypatch.setenv("COSTTUI_CONFIG", str(named))
    assert load_fast_config(None).max_age_hours == load_config(None).cache.max_age_hours == 9
