"""`costtui refresh` with dead endpoints, as the issue found it: fast failures, durations shown, distinct exit codes,
and `check` then names the failed provider instead of saying OK."""

from __future__ import annotations

import re
import time
from pathlib import Path

from costtui.cache import CacheReader
from tests.emulators import free_port
from tests.faces import run_costtui
from tests.providers.test_focus_files import HEADER_10, ROWS_10, write_csv

ENV_VAR = "COSTTUI_TEST_DEAD_AZURE"


def dead_config(path: Path, focus_file: Path | None) -> Path:
    dead = free_port()
    text = (
        "[providers.aws]\nenabled = true\n"
        f'endpoint_url = "http://127.0.0.1:{dead}"\nmin_refresh_hours = 0\n\n'
        "[providers.azure]\nenabled = true\n"
        f'connection_string_env = "{ENV_VAR}"\ncontainer = "costs"\n\n'
        "[providers.gcp]\nenabled = true\nanonymous = true\n"
        'table = "test-project.billing.gcp_billing_export_v1_01ABCD_234567_89EF01"\n'
        f'api_endpoint = "http://127.0.0.1:{dead}"\n\n'
    )
    if focus_file:
        text += f'[providers.focus]\nenabled = true\npaths = ["{focus_file}"]\n'
    path.write_text(text)
    return path


def dead_env() -> dict[str, str]:
    port = free_port()
    return {
        ENV_VAR: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
                 f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }


def test_dead_providers_fail_in_seconds_and_the_working_one_is_published(tmp_path):
    focus = write_csv(tmp_path / "focus.csv", HEADER_10, ROWS_10)
    config = dead_config(tmp_path / "config.toml", focus)
    cache = tmp_path / "cache.duckdb"

    began = time.monotonic()
    result = run_costtui(["--config", str(config), "--cache", str(cache), "refresh"], env=dead_env())
    elapsed = time.monotonic() - began

    assert elapsed < 10 + 5, result.stderr  # the issue took 9 min 27 s
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    for name in ("aws", "azure", "gcp"):
        [line] = [line for line in lines if line.startswith(f"costtui: {name} failed")]
        assert f"costtui: {name} failed [unreachable] in " in line and " s: " in line, line
    [focus_line] = [line for line in lines if line.startswith("costtui: focus:")]
    assert focus_line.endswith(" s") and " API calls in " in focus_line, focus_line
    assert lines[-1] == "costtui: refresh incomplete, failed: aws, azure, gcp"
    with CacheReader(cache).session() as queries:
        fetches = {f.provider: f for f in queries.latest_fetches()}
        assert queries.row_count() > 0
    assert {p: (f.status, f.error_kind) for p, f in fetches.items()} == {
        "aws": ("error", "unreachable"), "azure": ("error", "unreachable"), "gcp": ("error", "unreachable"),
        "focus": ("ok", None)}
    assert all(f.duration_seconds is not None and f.duration_seconds < 10 for f in fetches.values())

    # The second finding: check judged the cache file's age. Now it names the provider.
    check = run_costtui(["--config", str(config), "--cache", str(cache), "check", "--period", "month",
                         "--provider", "azure", "-w", "1", "-c", "2"])
    assert check.returncode == 3, check.stdout
    assert check.stdout.startswith("COSTTUI UNKNOWN - azure: fetch failing since "), check.stdout
    assert "[unreachable]: " in check.stdout and "no successful fetch yet" in check.stdout


def test_nothing_fetched_is_its_own_exit_code(tmp_path):
    config = dead_config(tmp_path / "config.toml", None)
    result = run_costtui(["--config", str(config), "--cache", str(tmp_path / "c.duckdb"), "refresh", "--quiet"],
                         env=dead_env())
    assert result.returncode == 69, result.stderr
    assert result.stderr.splitlines()[-1] == "costtui: nothing fetched, failed: aws, azure, gcp"
    assert not re.search(r"\] in [\d.]+ s:", result.stderr)  # --quiet: the failures, without timings
