"""`check` judges each selected provider's own data: a failed or too old provider is UNKNOWN, with which and since when."""

from __future__ import annotations

import re

import pytest

from costtui.plugin.check import run_check


@pytest.fixture(autouse=True)
def _today(pinned_today):
    return pinned_today


def check(capsys, cache, *args: str) -> tuple[int, str]:
    code = run_check(list(args), cache_path=str(cache))
    return code, capsys.readouterr().out


def test_a_provider_whose_last_fetch_failed_is_unknown_with_since_when_and_the_error(capsys, stale_provider_cache):
    code, out = check(capsys, stale_provider_cache, "--period", "month", "--provider", "azure", "-w", "1", "-c", "2")

    assert code == 3, out
    [line] = out.splitlines()
    assert re.match(
        r"COSTTUI UNKNOWN - azure: fetch failing since \d{4}-\d\d-\d\d \d\d:\d\d UTC \[unreachable\]: "
        r"listing c/: cannot reach container 'c' \(ServiceRequestError\); data from .* UTC \(3 d old\)",
        line,
    ), line
    assert "Traceback-like second line" not in out  # only the error's first line
    assert re.search(r"'cache_age'=259\d{3}s;;;0$", line), line  # azure's 3-day-old data, not the file's age


def test_the_healthy_provider_alone_is_ok(capsys, stale_provider_cache):
    code, out = check(capsys, stale_provider_cache, "--period", "month", "--provider", "aws", "-w", "~:99999")
    assert code == 0, out
    assert re.search(r"'cache_age'=3\d{3}s;;;0$", out.strip()), out  # fetched an hour ago


def test_all_providers_include_the_failing_one(capsys, stale_provider_cache):
    code, out = check(capsys, stale_provider_cache, "--period", "month", "-w", "~:99999")
    assert code == 3, out
    assert "azure: fetch failing since" in out and "aws" not in out.split(" - ", 1)[1].split("|")[0]


def test_a_failed_fetch_is_unknown_even_when_the_data_is_young(capsys, tmp_path):
    from costtui.cache.writer import utcnow
    from tests.faces import build_stale_provider_cache

    path = build_stale_provider_cache(tmp_path / "c.duckdb", utcnow())
    # A generous --max-age does not make a failing provider OK: its newest fetch failed.
    code, out = check(capsys, path, "--provider", "azure", "--max-age", "30d", "-w", "~:99999")
    assert code == 3 and "fetch failing since" in out, out
