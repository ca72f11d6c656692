"""`costtui check`: states, periods, ranges at their bounds, perfdata, as Icinga sees them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from costtui.cache import CacheReader
from costtui.plugin.check import run_check
from tests.faces import run_costtui

STATUS = re.compile(r"^COSTTUI (OK|WARNING|CRITICAL|UNKNOWN) - ([^|\n]*?)(?: \| ([^\n]*))?$")


def check(capsys, cache, *args: str) -> tuple[int, str]:
    code = run_check(list(args), config_path=None, cache_path=str(cache))
    return code, capsys.readouterr().out


def perfdata(output: str) -> dict[str, str]:
    first = output.splitlines()[0]
    match = STATUS.match(first)
    assert match, first
    return dict(item.split("=", 1) for item in (match.group(3) or "").split())


@pytest.fixture(autouse=True)
def _today(pinned_today):
    return pinned_today


def test_status_line_and_perfdata_follow_the_plugin_guidelines(capsys, known_cache):
    code, out = check(capsys, known_cache, "--provider", "aws", "-w", "~:2000", "-c", "~:3000")
    assert code == 0
    assert re.fullmatch(
        r"COSTTUI OK - aws month to date 1504\.00 USD \(warn ~:2000, crit ~:3000\) \| "
        r"'cost'=1504\.00;2000;3000;0 'cache_age'=(\d+)s;;;0\n",
        out,
    ), out
    age = int(perfdata(out)["'cache_age'"].split("s")[0])
    with CacheReader(known_cache).session() as queries:
        fetched = queries.last_success("aws")
    expected = (datetime.now(UTC).replace(tzinfo=None) - fetched).total_seconds()
    assert expected >= 3600 and abs(age - expected) <= 5  # fetched an hour before the suite built it


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--period", "day"], "on 2026-11-14 111.00 USD"),  # yesterday, never the incomplete today
        (["--period", "month"], "month to date 1504.00 USD"),
        # 1504.00 so far + 111.00/day (last 7 complete days) x 16 days (15th..30th) = 3280.00
        (["--period", "forecast"], "forecast for 2026-11 3280.00 USD"),
        (["--period", "month", "--gross"], "month to date 1554.00 USD"),  # the 50.00 credit left out
        (["--period", "month", "--metric", "effective"], "month to date 1364.00 USD"),
        (["--period", "month", "--account", "222"], "month to date 14.00 USD"),
        (["--period", "month", "--service", "S3", "--service", "Lambda"], "month to date 154.00 USD"),
    ],
)
def test_each_period_and_filter_reports_the_known_cost(capsys, known_cache, args, expected):
    code, out = check(capsys, known_cache, "--provider", "aws", *args)
    assert code == 0
    assert expected in out.splitlines()[0]


def test_forecast_projects_only_from_the_days_a_provider_has_data(capsys, known_cache):
    # azure has 3 days of 20.00 EUR: 60.00 so far + 20.00/day x 16 days, not 60/7 per day.
    code, out = check(capsys, known_cache, "--provider", "azure", "--period", "forecast", "-v")
    assert code == 0
    assert "forecast for 2026-11 380.00 EUR" in out
    assert "EUR: 60.00 so far + 320.00 projected over 16 days = 380.00" in out


def test_forecast_on_the_first_of_the_month_uses_last_months_trailing_days(capsys, known_cache, monkeypatch):
    monkeypatch.setenv("COSTTUI_TODAY", "2026-11-01")
    code, out = check(capsys, known_cache, "--provider", "aws", "--period", "forecast")
    assert code == 0
    assert "3330.00 USD" in out  # nothing complete yet this month + 111.00/day x 30 days


@pytest.mark.parametrize(
    ("warning", "state"),
    [
        ("1504", "OK"), ("1503.99", "WARNING"),  # bare number: 0..N, equal to the bound is inside
        ("~:1504", "OK"), ("~:1503.99", "WARNING"),
        ("1504:", "OK"), ("1504.01:", "WARNING"),
        ("1000:1504", "OK"), ("1000:1503.99", "WARNING"), ("1504.01:2000", "WARNING"),
        ("@1504:2000", "WARNING"), ("@1504.01:2000", "OK"), ("@1000:1503.99", "OK"),
    ],
)
def test_warning_range_boundaries(capsys, known_cache, warning, state):
    code, out = check(capsys, known_cache, "--provider", "aws", "-w", warning)
    assert out.startswith(f"COSTTUI {state} - ")
    assert code == {"OK": 0, "WARNING": 1}[state]


@pytest.mark.parametrize(("critical", "code"), [("~:1504", 1), ("~:1503.99", 2), ("@1504:1504", 2)])
def test_critical_wins_over_warning(capsys, known_cache, critical, code):
    got, out = check(capsys, known_cache, "--provider", "aws", "-w", "~:1", "-c", critical)
    assert got == code
    assert out.startswith("COSTTUI CRITICAL" if code == 2 else "COSTTUI WARNING")  # warning still applies


def test_threshold_and_critical_numbers_from_the_multi_cloud_cost_monitor_cli(capsys, known_cache):
    code, out = check(capsys, known_cache, "--provider", "aws", "--threshold", "1000", "--critical", "2000")
    assert code == 1
    assert "(warn 1000, crit 2000)" in out
    assert "'cost'=1504.00;1000;2000;0" in out


def test_negative_range_after_an_option_is_a_value_not_an_option(capsys, known_cache):
    code, out = check(capsys, known_cache, "--provider", "aws", "-w", "-10:10")
    assert code == 1, out


def test_several_currencies_get_one_label_each_and_the_worst_state(capsys, known_cache):
    # USD 1504.00 is over 1000 (CRITICAL), EUR 60.00 is fine; the service is CRITICAL.
    code, out = check(capsys, known_cache, "-w", "~:500", "-c", "~:1000")
    assert code == 2
    assert "month to date 60.00 EUR, 1504.00 USD" in out
    data = perfdata(out)
    assert data["'cost_EUR'"] == "60.00;500;1000;0"
    assert data["'cost_USD'"] == "1504.00;500;1000;0"
    assert "'cost'" not in data


def test_zero_cost_in_the_period_is_ok_not_unknown(capsys, known_cache, monkeypatch):
    monkeypatch.setenv("COSTTUI_TODAY", "2026-12-01")  # yesterday has data, December none yet
    code, out = check(capsys, known_cache, "--provider", "azure", "-w", "~:1")
    assert code == 0
    assert "month to date 0.00 EUR" in out


def test_credits_larger_than_costs_give_negative_value_and_no_minimum(capsys, tmp_path):
    from datetime import date

    from costtui.cache.writer import utcnow
    from tests.cachefactory import row
    from tests.faces import build_cache

    cache = build_cache(tmp_path / "c.duckdb", [row(date(2026, 11, 14), cost="10"),
                                               row(date(2026, 11, 14), cost="-25.50", category="Credit")],
                        utcnow(), providers=("aws",))
    code, out = check(capsys, cache, "--period", "day", "-w", "0:")
    assert code == 1
    assert "'cost'=-15.50;0:;;" in out


def test_verbose_lists_the_breakdown_by_service_under_the_status_line(capsys, known_cache):
    code, out = check(capsys, known_cache, "--provider", "aws", "-v")
    assert code == 0
    lines = out.splitlines()
    assert lines[1:] == ["aws / EC2: 1350.00 USD", "aws / S3: 140.00 USD", "aws / Lambda: 14.00 USD"]
    assert " | " in lines[0] and all("|" not in line for line in lines[1:])


def test_decimal_point_and_exit_codes_from_a_real_process_under_a_german_locale(known_cache):
    import locale

    current = locale.setlocale(locale.LC_ALL)
    try:
        locale.setlocale(locale.LC_ALL, "de_DE.UTF-8")
    except locale.Error:
        from tests.conftest import in_ci

        message = "de_DE.UTF-8 locale missing (locale-gen de_DE.UTF-8)"
        pytest.fail(message) if in_ci() else pytest.skip(message)
    finally:
        locale.setlocale(locale.LC_ALL, current)
    env = {"LC_ALL": "de_DE.UTF-8", "LANG": "de_DE.UTF-8"}
    base = ["--cache", str(known_cache), "check", "--provider", "aws"]
    results = {
        "ok": run_costtui([*base, "-w", "~:2000"], env),
        "warning": run_costtui([*base, "-w", "~:1000.5", "-c", "~:2000"], env),
        "critical": run_costtui([*base, "-w", "~:100", "-c", "~:1000"], env),
        "unknown": run_costtui([*base, "-w", "~:1,5"], env),
    }
    assert {name: r.returncode for name, r in results.items()} == {"ok": 0, "warning": 1, "critical": 2,
                                                                    "unknown": 3}
    assert "'cost'=1504.00;1000.5;2000;0" in results["warning"].stdout
    assert "1504,00" not in results["ok"].stdout
    assert all(r.stderr == "" for r in results.values())
    assert results["unknown"].stdout.startswith("COSTTUI UNKNOWN - bad arguments:")
