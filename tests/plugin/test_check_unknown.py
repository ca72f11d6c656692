"""`costtui check` answers UNKNOWN (exit 3) with the reason, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from costtui.cache.writer import utcnow
from costtui.plugin.check import run_check
from tests.faces import build_cache, known_rows, run_costtui


@pytest.fixture(autouse=True)
def _today(pinned_today):
    return pinned_today


def check(capsys, cache, *args: str, config: str | None = None) -> tuple[int, str]:
    code = run_check(list(args), config_path=config, cache_path=str(cache))
    return code, capsys.readouterr().out


def assert_unknown(code: int, out: str, reason: str) -> None:
    assert code == 3, out
    first = out.splitlines()[0]
    assert first.startswith("COSTTUI UNKNOWN - "), out
    assert reason in first, out
    assert "Traceback" not in out


def test_missing_cache(capsys, tmp_path):
    code, out = check(capsys, tmp_path / "nope.duckdb", "-w", "1")
    assert_unknown(code, out, "no cache yet")


def test_unreadable_cache(capsys, tmp_path):
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"this is not a database" * 500)
    code, out = check(capsys, garbage)
    assert_unknown(code, out, "cannot open cache")


def test_cache_of_another_application(capsys, tmp_path):
    import duckdb

    foreign = tmp_path / "foreign.duckdb"
    duckdb.connect(str(foreign)).close()
    code, out = check(capsys, foreign)
    assert_unknown(code, out, "not a costtui")


def test_unexpected_error_is_one_line_not_a_traceback(capsys, tmp_path):
    import duckdb

    broken = tmp_path / "broken.duckdb"
    con = duckdb.connect(str(broken))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('published_at', '2026-11-15T10:00:00')")
    con.close()
    code, out = check(capsys, broken)
    assert_unknown(code, out, "unexpected error")
    assert len(out.splitlines()) == 1


def test_data_older_than_max_age(capsys, tmp_path):
    stale = build_cache(tmp_path / "stale.duckdb", known_rows(), utcnow() - timedelta(days=3))
    code, out = check(capsys, stale, "-w", "~:99999")
    assert_unknown(code, out, "cache data is 3 d old (max age 36 h)")
    assert "'cache_age'=2592" in out  # ~259200 s, still graphed
    code, out = check(capsys, stale, "-w", "~:99999", "--max-age", "4d")
    assert code == 0, out


def test_max_age_default_comes_from_the_config(capsys, tmp_path):
    stale = build_cache(tmp_path / "stale.duckdb", known_rows(), utcnow() - timedelta(hours=40))
    config = tmp_path / "config.toml"
    config.write_text("[cache]\nmax_age_hours = 48\n")
    assert check(capsys, stale, config=str(config))[0] == 0
    config.write_text("[cache]\nmax_age_hours = 24\n")
    assert_unknown(*check(capsys, stale, config=str(config)), "max age 24 h")


def test_the_selected_providers_own_last_fetch_decides_the_age(capsys, tmp_path):
    path = build_cache(tmp_path / "mixed.duckdb", known_rows(), utcnow() - timedelta(days=5))
    from costtui.cache import FetchRecord, open_writer

    with open_writer(path) as writer:
        now = utcnow()
        writer.record_fetch(FetchRecord("aws", "test", None, None, now, now, "ok"))
    assert check(capsys, path, "--provider", "aws")[0] == 0
    assert_unknown(*check(capsys, path, "--provider", "azure"), "5 d old")
    assert_unknown(*check(capsys, path, "--provider", "aws", "--provider", "azure"), "5 d old")


def test_demo_cache_without_fetches_is_as_fresh_as_its_publication(capsys, demo_cache):
    code, out = check(capsys, demo_cache, "--period", "day")
    assert code == 0, out


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--provider", "gcp"], "no data for gcp in the cache"),
        (["--provider", "aws", "--service", "Nope"], "no data for aws service Nope"),
    ],
)
def test_no_data_for_the_selection(capsys, known_cache, args, reason):
    assert_unknown(*check(capsys, known_cache, *args), reason)


def test_empty_cache_has_no_data(capsys, tmp_path):
    from costtui.cache import open_writer

    with open_writer(tmp_path / "empty.duckdb"):
        pass
    assert_unknown(*check(capsys, tmp_path / "empty.duckdb"), "no data for all providers")


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["-w", "abc"], "bad arguments: argument -w/--warning/--threshold: threshold range 'abc'"),
        (["-c", "20:10"], "start 20 is greater than end 10"),
        (["--period", "week"], "bad arguments: argument --period: invalid choice: 'week'"),
        (["--bogus"], "bad arguments: unrecognized arguments: --bogus"),
        (["-w"], "expected one argument"),
        (["--max-age", "36"], "use a number and a unit"),
        (["-t", "0"], "timeout must be between"),
        (["--metric", "list"], "invalid choice"),
    ],
)
def test_bad_arguments_are_unknown_not_usage_exit_2(capsys, known_cache, args, reason):
    assert_unknown(*check(capsys, known_cache, *args), reason)


def test_unreadable_config_is_unknown(capsys, known_cache, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[cache\n")
    assert_unknown(*check(capsys, known_cache, config=str(config)), "not valid TOML")
    assert_unknown(*check(capsys, known_cache, config=str(tmp_path / "none.toml")), "config file not found")
    config.write_text('[cache]\nmax_age_hours = "soon"\n')
    assert_unknown(*check(capsys, known_cache, config=str(config)), "cache.max_age_hours")


def test_help_lists_ranges_periods_and_the_forecast_method(capsys):
    assert run_check(["--help"]) == 0
    text = capsys.readouterr().out
    assert "@N:M" in text and "median of its same weekday" in text


def test_timeout_on_a_hung_cache_from_a_real_process(tmp_path):
    fifo = tmp_path / "hung.duckdb"
    os.mkfifo(fifo)  # opening it blocks until a writer appears: a hung file system, for the check
    began = time.monotonic()
    result = run_costtui(["--cache", str(fifo), "check", "-t", "1", "-w", "1"], timeout=30)
    elapsed = time.monotonic() - began
    assert result.returncode == 3, result
    assert result.stdout == "COSTTUI UNKNOWN - timed out after 1 s\n"
    assert result.stderr == ""
    assert elapsed < 10


def test_cache_locked_by_a_writing_process_is_unknown_quickly(known_cache, tmp_path):
    locked = tmp_path / "locked.duckdb"
    locked.write_bytes(known_cache.read_bytes())
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(60)",
         str(locked)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        began = time.monotonic()
        result = run_costtui(["--cache", str(locked), "check", "-t", "5"], timeout=30)
        assert time.monotonic() - began < 5
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 3
    assert result.stdout.startswith("COSTTUI UNKNOWN - ")
    assert "cache in use by another program" in result.stdout or "timed out" in result.stdout
    assert result.stderr == ""
