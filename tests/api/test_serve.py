"""`costtui serve`: the REST API over real HTTP on 127.0.0.1, answering from the known cache.

Known numbers (tests/faces.py), today 2026-11-15: aws USD 111.00 a day (EC2 100 billed /
90 effective, S3 10, Lambda 1 in account 222) from 2026-10-01 to 11-14, a -50.00 credit on 11-03;
azure EUR 20.00 a day on 11-12..11-14."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import validate as validate_openapi
from prometheus_client.parser import text_string_to_metric_families

from costtui.api.server import check_binding
from costtui.cache import CacheReader, open_writer
from costtui.cache.writer import utcnow
from costtui.model import CostError, CostQuery, ReplaceScope
from tests.cachefactory import row
from tests.conftest import TODAY
from tests.emulators import free_port
from tests.faces import KNOWN_START, LAST_DAY, REPO, build_cache, known_rows

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def api(start_server, known_cache) -> httpx.Client:
    return start_server(known_cache)


def money(value) -> Decimal:
    return Decimal(str(value))


def test_summary_totals_per_currency_with_the_previous_period(api):
    answer = api.get("/api/v1/costs/summary", params={"start_date": "2026-11-01", "end_date": "2026-11-14"})
    assert answer.status_code == 200
    body = answer.json(parse_float=Decimal)
    totals = {t["currency"]: t for t in body["totals"]}
    # 14 days x 111.00 - 50.00 credit; EUR 3 days x 20.00
    assert totals["USD"]["billed_cost"] == Decimal("1504.00")
    assert totals["EUR"]["billed_cost"] == Decimal("60.00")
    # previous 14 days (10-18..10-31): 14 x 111.00, no EUR
    assert body["previous_period"] == {"start_date": "2026-10-18", "end_date": "2026-10-31"}
    assert totals["USD"]["previous_billed_cost"] == Decimal("1554.00")
    assert totals["USD"]["change_percent"] == Decimal("-3.2")
    assert totals["EUR"]["change_percent"] is None
    assert {(p["provider"], p["currency"]): p["billed_cost"] for p in body["providers"]} == {
        ("aws", "USD"): Decimal("1504.00"),
        ("azure", "EUR"): Decimal("60.00"),
    }


def test_money_is_written_exactly_never_through_float(api):
    text = api.get("/api/v1/costs/summary", params={"start_date": "2026-11-01", "end_date": "2026-11-14"}).text
    assert '"billed_cost": 1504.00,' in text  # every digit the cache holds, never through float


def test_metric_gross_and_provider_switches(api):
    window = {"start_date": "2026-11-01", "end_date": "2026-11-14", "provider": "aws"}

    def usd(**extra) -> Decimal:
        body = api.get("/api/v1/costs/summary", params={**window, **extra}).json(parse_float=Decimal)
        assert [t["currency"] for t in body["totals"]] == ["USD"]  # the provider filter left azure out
        return body["totals"][0][f"{extra.get('metric', 'billed')}_cost"]

    assert usd() == Decimal("1504.00")
    assert usd(gross="true") == Decimal("1554.00")  # credits left out
    assert usd(metric="effective") == Decimal("1364.00")  # EC2 at 90.00: 14 x 101.00 - 50.00


def test_default_window_is_the_configured_complete_days_ending_yesterday(start_server, known_cache):
    api = start_server(known_cache, default_days=7)
    body = api.get("/api/v1/costs/summary").json()
    assert (body["start_date"], body["end_date"]) == ("2026-11-08", "2026-11-14")


def test_daily_rows_add_up_to_the_summary(api, known_cache):
    params = {"start_date": "2026-10-20", "end_date": "2026-11-14"}
    rows = api.get("/api/v1/costs/daily", params=params).json(parse_float=Decimal)["rows"]
    days = sorted({r["day"] for r in rows})
    assert days[0] == "2026-10-20" and days[-1] == "2026-11-14" and len(days) == 26
    assert rows == sorted(rows, key=lambda r: r["day"])
    per_currency: dict[str, Decimal] = {}
    for r in rows:
        per_currency[r["currency"]] = per_currency.get(r["currency"], Decimal(0)) + r["billed_cost"]
    with CacheReader(known_cache).session() as queries:
        expected = queries.totals(CostQuery(start=date(2026, 10, 20), end=date(2026, 11, 14)))
    assert per_currency == expected


def test_monthly_granularity(api):
    body = api.get("/api/v1/costs/daily", params={"start_date": "2026-10-01", "end_date": "2026-11-14",
                                                  "granularity": "month", "provider": "aws"})
    rows = body.json(parse_float=Decimal)["rows"]
    # October 31 x 111.00; November 14 x 111.00 - 50.00
    assert [(r["month"], r["billed_cost"]) for r in rows] == [("2026-10", Decimal("3441.00")), ("2026-11", Decimal("1504.00"))]


def test_services_accounts_regions_largest_first_with_limit(api):
    window = {"start_date": "2026-11-01", "end_date": "2026-11-14"}
    services = api.get("/api/v1/costs/services", params={**window, "limit": "2"}).json(parse_float=Decimal)
    assert [(r["service"], r["billed_cost"]) for r in services["rows"]] == [("EC2", Decimal("1350.00")),
                                                                     ("S3", Decimal("140.00"))]
    assert services["truncated"] is True
    accounts = api.get("/api/v1/costs/accounts", params={**window, "provider": "aws"}).json(parse_float=Decimal)
    assert [(r["account"], r["account_name"], r["billed_cost"]) for r in accounts["rows"]] == [
        ("111", "name-111", Decimal("1490.00")),
        ("222", "name-222", Decimal("14.00")),
    ]
    assert accounts["truncated"] is False
    regions = api.get("/api/v1/costs/regions", params=window).json(parse_float=Decimal)
    assert {(r["region"], r["currency"]): r["billed_cost"] for r in regions["rows"]} == {
        ("us-east-1", "USD"): Decimal("1504.00"),
        ("westeurope", "EUR"): Decimal("60.00"),
    }


def test_breakdown_per_day(api):
    rows = api.get("/api/v1/costs/services", params={"start_date": "2026-11-13", "end_date": "2026-11-14",
                                                     "granularity": "day", "service": "S3"}).json()["rows"]
    assert [(r["day"], r["service"]) for r in rows] == [("2026-11-13", "S3"), ("2026-11-14", "S3")]


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"start_date": "2026-13-01"}, "start_date"),
        ({"end_date": "yesterday"}, "end_date"),
        ({"start_date": "2026-11-10", "end_date": "2026-11-01"}, "start_date 2026-11-10 is after end_date"),
        ({"strat_date": "2026-11-01"}, "unknown parameter 'strat_date'"),
        ({"metric": "amortized"}, "metric: 'amortized' is not one of billed, effective"),
        ({"gross": "maybe"}, "gross"),
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"granularity": "week"}, "granularity"),
        ({"provider": "aws,"}, "provider: empty value"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(api, params, names):
    answer = api.get("/api/v1/costs/services", params=params)
    assert answer.status_code == 400
    assert names in answer.json()["error"]


def test_unknown_paths_and_writes_are_refused(api):
    assert api.get("/api/v1/costs/nothing").status_code == 404
    posted = api.post("/api/v1/costs/summary", json={})
    assert posted.status_code == 405
    assert posted.headers["allow"] == "GET, HEAD"
    head = api.head("/api/v1/costs/summary")
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 0


def test_a_token_guards_everything_but_health(start_server, known_cache):
    api = start_server(known_cache, token=TOKEN)
    for path in ("/api/v1/costs/summary", "/metrics", "/openapi.json"):
        refused = api.get(path)
        assert refused.status_code == 401, path
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert api.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert api.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert api.get("/api/health/live").status_code == 200
    assert api.get("/api/health/ready").status_code == 200
    assert TOKEN not in api.get("/api/v1/costs/summary").text


def test_ready_only_with_a_fresh_readable_cache(start_server, known_cache, tmp_path):
    assert start_server(known_cache).get("/api/health/ready").json()["status"] == "ready"
    stale = build_cache(tmp_path / "stale.duckdb", known_rows(), utcnow() - timedelta(hours=48))
    answer = start_server(stale, max_age_hours=36).get("/api/health/ready")
    assert answer.status_code == 503
    assert answer.json()["status"] == "stale" and "aws: data from" in answer.json()["reason"]
    assert "(2 d old), older than 36 h" in answer.json()["reason"]
    missing = start_server(tmp_path / "none.duckdb")
    assert missing.get("/api/health/ready").status_code == 503
    assert missing.get("/api/health/live").status_code == 200
    no_cache = missing.get("/api/v1/costs/summary")
    assert no_cache.status_code == 503 and "no cache yet" in no_cache.json()["error"]


def test_metrics_match_the_prometheus_export(api, known_cache, tmp_path):
    answer = api.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    served = {(s.name, tuple(sorted(s.labels.items()))): s.value
              for f in text_string_to_metric_families(answer.text) for s in f.samples}
    key = (("account_id", "111"), ("cloud_provider", "aws"), ("cloud_service", "EC2"), ("currency", "USD"))
    assert served[("costtui_month_to_date_cost", key)] == 1350.0  # 14 x 100.00 - 50.00


def test_openapi_document_is_valid_and_lists_every_route(api):
    document = api.get("/openapi.json").json()
    validate_openapi(document)
    assert set(document["paths"]) == {
        "/api/health/live", "/api/health/ready", "/metrics", "/openapi.json",
        *(f"/api/v1/costs/{name}" for name in ("summary", "daily", "services", "accounts", "regions", "tags")),
    }
    for path, item in document["paths"].items():
        declared = {p["name"] for p in item["get"].get("parameters", [])}
        probe = api.get(path, params={name: "x" for name in declared} | {"not_declared": "1"})
        assert "not_declared" in probe.text, path  # undeclared parameters are refused ...
        for name in declared:  # ... and every declared one is accepted by name
            assert f"unknown parameter {name!r}" not in api.get(path, params={name: "2026-11-01"}).text


def test_each_request_sees_the_newest_snapshot(start_server, tmp_path):
    cache = build_cache(tmp_path / "live.duckdb", known_rows(), utcnow())
    api = start_server(cache)
    window = {"start_date": "2026-11-14", "end_date": "2026-11-14", "provider": "aws"}
    assert api.get("/api/v1/costs/summary", params=window).json()["totals"][0]["billed_cost"] == 111.0
    with open_writer(cache) as writer:  # a refresh restating the 14th
        writer.replace_charges([ReplaceScope("aws", LAST_DAY, LAST_DAY)], [row(LAST_DAY, cost="500.00")])
    assert api.get("/api/v1/costs/summary", params=window).json()["totals"][0]["billed_cost"] == 500.0


def test_binding_beyond_loopback_needs_a_token():
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_binding(host, None)
    check_binding("0.0.0.0", TOKEN)
    with pytest.raises(CostError, match="COSTTUI_API_TOKEN"):
        check_binding("0.0.0.0", None)
    with pytest.raises(CostError, match=r"--host 10\.1\.2\.3"):
        check_binding("10.1.2.3", "")


def serve_process(config: Path, cache: Path, *args: str, token: str | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "COSTTUI_API_TOKEN"}
    if token:
        env["COSTTUI_API_TOKEN"] = token
    return subprocess.Popen(
        [sys.executable, "-m", "costtui", "--config", str(config), "--cache", str(cache), "serve", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"demo_today = {TODAY}\n")
    return path


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(f"{url}/api/health/live", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"serve did not start: {process.communicate(timeout=5)}")


def test_cli_serves_until_sigterm_and_logs_no_secrets(config_file, known_cache):
    port = free_port()
    process = serve_process(config_file, known_cache, "--host", "0.0.0.0", "--port", str(port), token=TOKEN)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", process)
        answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/costs/summary",
                           headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert answer.status_code == 200
        # demo_today from the config; the default window ends at the latest complete day
        assert answer.json()["end_date"] == (TODAY - timedelta(days=1)).isoformat()
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0
    assert '"GET /api/v1/costs/summary" 200' in err
    assert TOKEN not in err and TOKEN not in out
    assert "Traceback" not in err


def test_cli_refuses_an_open_address_without_a_token(config_file, known_cache):
    process = serve_process(config_file, known_cache, "--host", "0.0.0.0", "--port", str(free_port()))
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert err.strip().count("\n") == 0
    assert "--host 0.0.0.0" in err and "COSTTUI_API_TOKEN" in err


def test_cli_port_in_use_is_one_clear_line(config_file, known_cache):
    port = free_port()
    first = serve_process(config_file, known_cache, "--port", str(port))
    try:
        wait_until_up(f"http://127.0.0.1:{port}", first)
        second = serve_process(config_file, known_cache, "--port", str(port))
        _, err = second.communicate(timeout=30)
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=15)
    assert second.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert "Traceback" not in err


def test_serve_imports_no_ui_or_cloud_sdk():
    code = (
        "import sys\n"
        "import costtui.commands.serve, costtui.api.server, costtui.api.app\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'boto3', 'azure', 'google'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.stdout.strip() == "[]", result.stderr


def test_known_numbers_are_what_the_tests_assume(known_cache):
    # Guards the expectations above against a change in the shared fixture.
    with CacheReader(known_cache).session() as queries:
        assert queries.date_bounds() == (KNOWN_START, LAST_DAY)
        assert queries.totals(CostQuery(start=date(2026, 11, 1), end=LAST_DAY)) == {
            "USD": Decimal("1504.00"),
            "EUR": Decimal("60.00"),
        }


def test_ready_and_summary_name_a_failing_provider_by_the_one_freshness_rule(start_server, stale_provider_cache):
    """azure's fetches fail since two days ago (aws is fine): readiness says which, since when and why,
    as `check` does; the summary carries each provider's fetch facts."""
    api = start_server(stale_provider_cache)
    ready = api.get("/api/health/ready")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "stale" and body["failed_providers"] == ["azure"]
    assert body["reason"].startswith("azure: fetch failing since ") and "[unreachable]" in body["reason"]
    assert "Traceback-like" not in body["reason"]  # the error's first line only
    states = {state["provider"]: state for state in body["providers"]}
    assert (states["aws"]["verdict"], states["azure"]["verdict"]) == ("fresh", "failed")
    assert states["azure"]["error_kind"] == "unreachable"
    summary = api.get("/api/v1/costs/summary").json()
    facts = {entry["provider"]: entry for entry in summary["freshness"]}
    assert facts["azure"]["last_fetch_failed"] is True and facts["aws"]["last_fetch_failed"] is False
    assert facts["azure"]["failing_since"] is not None
    only_aws = api.get("/api/v1/costs/summary", params={"provider": "aws"}).json()
    assert [entry["provider"] for entry in only_aws["freshness"]] == ["aws"]
