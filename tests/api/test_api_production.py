"""`serve` in production: auth cases, bounds (pages, day span, saturation, timeouts), answers
remembered per snapshot, a new snapshot seen at once even under overlapping requests, readiness
on a corrupt cache, graceful shutdown with a request in flight, and a log a client cannot forge.

Known numbers as in test_serve.py (tests/faces.py), today 2026-11-15."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from costtui.api import answers as bodies
from costtui.api.accesslog import AccessLog, sanitize
from costtui.api.app import create_app
from costtui.api.server import BackgroundServer
from costtui.api.settings import ApiSettings
from costtui.cache import CacheReader, open_writer
from costtui.cache.writer import utcnow
from costtui.model import CostQuery, ReplaceScope
from tests.api.test_serve import TOKEN, serve_process, wait_until_up
from tests.cachefactory import row
from tests.conftest import TODAY
from tests.emulators import free_port
from tests.faces import LAST_DAY, build_cache, known_rows

WINDOW = {"start_date": "2026-11-01", "end_date": "2026-11-14"}


@pytest.fixture
def serve():
    started: list[BackgroundServer] = []

    def start(cache: Path, log: io.StringIO | None = None, **settings) -> tuple[httpx.Client, BackgroundServer]:
        app = create_app(ApiSettings(cache_path=cache, today=lambda: TODAY, **settings))
        server = BackgroundServer(AccessLog(app, log, (settings.get("token") or "",)) if log is not None else app)
        started.append(server)
        return httpx.Client(base_url=server.start(), timeout=20), server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def counted(monkeypatch):
    """Counts the cache computations behind the answers (and can slow them down)."""
    calls: dict[str, int] = {"rows": 0, "summary": 0, "metrics": 0}
    delay = {"seconds": 0.0}

    def wrap(name: str, original):
        def counting(*args, **kwargs):
            calls[name] += 1
            time.sleep(delay["seconds"])
            return original(*args, **kwargs)
        return counting

    monkeypatch.setattr(bodies, "grouped_rows", wrap("rows", bodies.grouped_rows))
    monkeypatch.setattr(bodies, "summary_body", wrap("summary", bodies.summary_body))
    monkeypatch.setattr(bodies, "metrics_body", wrap("metrics", bodies.metrics_body))
    calls_and_delay = calls, delay
    return calls_and_delay


def restate_last_day(cache: Path, cost: str) -> None:
    with open_writer(cache) as writer:  # a refresh restating the 14th: a new published snapshot
        writer.replace_charges([ReplaceScope("aws", LAST_DAY, LAST_DAY)], [row(LAST_DAY, cost=cost)])


def aws_last_day(api: httpx.Client) -> float:
    window = {"start_date": "2026-11-14", "end_date": "2026-11-14", "provider": "aws"}
    return api.get("/api/v1/costs/summary", params=window).json()["totals"][0]["billed_cost"]


# --- auth --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Basic {TOKEN}", f"Token {TOKEN}", f"Bearer {TOKEN}x", "Bearer", f"{TOKEN}"],
    ids=["missing", "wrong", "basic-scheme", "other-scheme", "longer", "empty", "no-scheme"],
)
def test_every_guarded_path_refuses_a_missing_or_wrong_token(serve, known_cache, authorization):
    api, _ = serve(known_cache, token=TOKEN)
    headers = {"Authorization": authorization} if authorization else {}
    for path in ("/api/v1/costs/summary", "/api/v1/costs/services", "/api/v1/costs/daily", "/metrics",
                 "/openapi.json"):
        answer = api.get(path, headers=headers)
        assert answer.status_code == 401, path
        assert answer.json() == {"error": "a valid bearer token is required", "status": 401}
        assert answer.headers["www-authenticate"] == 'Bearer realm="costtui"'


def test_health_is_exempt_and_the_right_token_in_any_scheme_case_passes(serve, known_cache):
    api, _ = serve(known_cache, token=TOKEN)
    assert api.get("/api/health/live").status_code == 200
    assert api.get("/api/health/ready").status_code == 200
    for scheme in ("Bearer", "bearer", "BEARER"):
        assert api.get("/api/v1/costs/summary", headers={"Authorization": f"{scheme} {TOKEN}"}).status_code == 200
    # an answer remembered for an authorized client is not replayed to anyone else
    assert api.get("/api/v1/costs/summary").status_code == 401
    assert api.get("/api/v1/costs/summary", headers={"Authorization": "Bearer nope"}).status_code == 401
    # the generated document declares the scheme, and health without it
    document = api.get("/openapi.json", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "security" in document["paths"]["/api/v1/costs/summary"]["get"]
    assert "security" not in document["paths"]["/api/health/ready"]["get"]


# --- every bad parameter is a 400 naming it ---------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("start_date=0001-01-01", "start_date"),
        ("end_date=99999-01-01", "end_date"),
        ("limit=%C2%B2", "limit"),  # a superscript two: str.isdigit() says yes, int() says no
        ("limit=10001", "limit"),
        ("limit=-1", "limit"),
        ("offset=-1", "offset"),
        ("offset=1e3", "offset"),
        ("start_date=2026-11-01&start_date=2026-11-02", "start_date: give it once"),
        ("gross=yes", "gross"),
        ("provider=", "provider: empty value"),
        ("provider=%20", "provider: empty value"),
        ("granularity=day&start_date=2025-01-01&end_date=2026-11-14", "start_date: granularity=day covers at most"),
    ],
)
def test_out_of_range_values_are_400_naming_the_parameter_never_500(serve, known_cache, query, named):
    api, _ = serve(known_cache)
    answer = api.get(f"/api/v1/costs/services?{query}")
    assert answer.status_code == 400, answer.text
    assert answer.json()["status"] == 400
    assert answer.json()["error"].startswith(named.split(":")[0])
    assert named in answer.json()["error"]


def test_metrics_and_health_refuse_unknown_parameters_as_documented(serve, known_cache):
    api, _ = serve(known_cache)
    for path in ("/metrics", "/api/health/live", "/openapi.json"):
        answer = api.get(path, params={"x": "1"})
        assert answer.status_code == 400 and "unknown parameter 'x'" in answer.json()["error"], path
    document = api.get("/openapi.json").json()
    assert "400" in document["paths"]["/metrics"]["get"]["responses"]
    assert api.request("TRACE", "/api/v1/costs/summary").json() == {
        "error": "'TRACE' is not allowed; this API is read-only", "status": 405}


# --- bounded answers ------------------------------------------------------------------------------


def test_a_page_walk_returns_every_row_exactly_once(serve, known_cache):
    api, _ = serve(known_cache, default_limit=4)
    params = {"start_date": "2026-10-20", "end_date": "2026-11-14", "granularity": "day"}
    whole = api.get("/api/v1/costs/services", params={**params, "limit": "10000"}).json()
    assert whole["truncated"] is False and whole["next_offset"] is None
    everything = whole["rows"]
    assert len(everything) == whole["total_rows"] > 20

    walked, offset, pages = [], 0, 0
    while offset is not None:
        page = api.get("/api/v1/costs/services", params={**params, "limit": "7", "offset": str(offset)}).json()
        assert len(page["rows"]) <= 7 and page["offset"] == offset and page["limit"] == 7
        assert page["truncated"] is (page["next_offset"] is not None)
        walked += page["rows"]
        offset, pages = page["next_offset"], pages + 1
    assert walked == everything  # same rows, same order, none twice, none missing
    assert pages == -(-len(everything) // 7)
    keys = [(r["day"], r["provider"], r["service"], r["currency"]) for r in walked]
    assert len(set(keys)) == len(keys)

    default = api.get("/api/v1/costs/services", params=params).json()  # no limit: the default page
    assert default["rows"] == everything[:4] and default["truncated"] is True and default["next_offset"] == 4
    beyond = api.get("/api/v1/costs/services", params={**params, "offset": "100000"}).json()
    assert beyond["rows"] == [] and beyond["truncated"] is False


def test_day_granularity_has_a_maximum_span_month_does_not(serve, known_cache):
    api, _ = serve(known_cache, max_day_span=31)
    wide = {"start_date": "2026-09-01", "end_date": "2026-11-14"}
    refused = api.get("/api/v1/costs/daily", params=wide)
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("start_date: granularity=day covers at most 31 days")
    assert api.get("/api/v1/costs/daily", params={**wide, "granularity": "month"}).status_code == 200
    assert api.get("/api/v1/costs/accounts", params={**wide, "granularity": "day"}).status_code == 400
    assert api.get("/api/v1/costs/accounts", params=wide).status_code == 200  # total: no day rows


def test_a_saturated_server_answers_503_with_retry_after_at_once(serve, known_cache, counted):
    _, delay = counted
    delay["seconds"] = 1.0
    api, _ = serve(known_cache, query_slots=1, query_queue=1, queue_wait_seconds=0.2)
    windows = [{"start_date": f"2026-11-{day:02d}", "end_date": "2026-11-14"} for day in range(1, 6)]
    began = time.monotonic()
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda w: api.get("/api/v1/costs/services", params=w), windows))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) >= 1 and statuses.count(503) >= 3, statuses
    busy = next(a for a in answers if a.status_code == 503)
    assert busy.headers["retry-after"] == "1"
    assert busy.json() == {"error": "busy: too many cache queries at once; retry shortly", "status": 503}
    assert time.monotonic() - began < 3  # refused fast, not queued behind four 1 s queries


def test_a_query_past_the_request_timeout_answers_503(serve, known_cache, counted):
    _, delay = counted
    delay["seconds"] = 1.5
    api, _ = serve(known_cache, request_timeout_seconds=0.3)
    began = time.monotonic()
    answer = api.get("/api/v1/costs/summary", params=WINDOW)
    assert time.monotonic() - began < 1.2
    assert answer.status_code == 503 and "took longer than 0.3 s" in answer.json()["error"]
    assert answer.headers["retry-after"] == "1"


# --- remembered per snapshot -----------------------------------------------------------------------


def test_identical_requests_are_answered_from_memory_until_a_publish(serve, tmp_path, counted):
    calls, _ = counted
    cache = build_cache(tmp_path / "memo.duckdb", known_rows(), utcnow())
    api, _ = serve(cache)
    first = [api.get("/api/v1/costs/summary", params=WINDOW).text for _ in range(3)]
    assert len(set(first)) == 1 and calls["summary"] == 1
    # the same question spelled differently is the same answer
    assert api.get("/api/v1/costs/summary", params={**WINDOW, "provider": "aws,azure"}).status_code == 200
    assert api.get("/api/v1/costs/summary", params=[*WINDOW.items(), ("provider", "aws"),
                                                    ("provider", "azure")]).status_code == 200
    assert calls["summary"] == 2
    for offset in ("0", "2", "4"):  # pages are slices of one computation
        api.get("/api/v1/costs/services", params={**WINDOW, "limit": "2", "offset": offset})
    assert calls["rows"] == 1
    for _ in range(3):
        assert api.get("/metrics").status_code == 200
    assert calls["metrics"] == 1  # /metrics once per snapshot

    assert aws_last_day(api) == 111.0
    restate_last_day(cache, "500.00")
    assert aws_last_day(api) == 500.0  # the publish is seen by the very next request
    assert api.get("/api/v1/costs/summary", params=WINDOW).text != first[0]
    api.get("/metrics")
    assert calls["metrics"] == 2


def test_a_new_snapshot_is_seen_while_requests_on_the_old_one_are_still_running(serve, tmp_path, counted):
    """DuckDB shares one database per path while any connection is open: reconnecting by path under
    overlapping requests would keep answering from the replaced file."""
    _, delay = counted
    cache = build_cache(tmp_path / "busy.duckdb", known_rows(), utcnow())
    api, _ = serve(cache)
    assert aws_last_day(api) == 111.0
    delay["seconds"] = 1.5
    slow = threading.Thread(target=lambda: api.get("/api/v1/costs/accounts", params=WINDOW))
    slow.start()  # holds the old snapshot open for 1.5 s
    time.sleep(0.3)
    restate_last_day(cache, "777.00")
    delay["seconds"] = 0.0
    assert aws_last_day(api) == 777.0
    slow.join()


AGE_LINE = re.compile(r"^(costtui_data_age_seconds\{[^}]*\}) (\S+)$", re.MULTILINE)


def without_ages(exposition: str) -> str:
    return AGE_LINE.sub(r"\1 AGE", exposition)


def ages(exposition: str) -> list[float]:
    return [float(value) for _, value in AGE_LINE.findall(exposition)]


def test_metrics_from_memory_are_fast_and_gzipped_for_scrapers(serve, known_cache):
    api, _ = serve(known_cache)
    plain = api.get("/metrics", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    packed = api.get("/metrics", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    # The same exposition; the data age is judged on each scrape, so it may have moved on a second.
    assert without_ages(packed.text) == without_ages(plain.text)
    assert ages(plain.text)
    for before, after in zip(ages(plain.text), ages(packed.text), strict=True):
        assert 0 <= after - before <= 2
    assert int(packed.headers["content-length"]) < len(plain.content) / 3
    began = time.perf_counter()
    for _ in range(20):
        api.get("/metrics")
    assert (time.perf_counter() - began) / 20 < 0.05


# --- readiness ------------------------------------------------------------------------------------


def corrupt_copy(source: Path, target: Path) -> Path:
    """A copy whose freshness stamp and fetch records still read but whose charges do not (a bad
    block in the data): the old readiness check said "ready" for such a cache."""
    size = source.stat().st_size
    for offset in range(12288 + 100, size, 4096):
        shutil.copyfile(source, target)
        with open(target, "r+b") as handle:
            handle.seek(offset)
            handle.write(b"\xff" * 64)
        try:
            with CacheReader(target).session() as queries:
                queries.data_as_of()
                queries.latest_fetches()
        except Exception:
            continue
        try:
            with CacheReader(target).session() as queries:
                queries.totals(CostQuery())
        except Exception:
            return target
    raise AssertionError("no block found whose corruption hides from the metadata")


def test_ready_is_503_when_the_snapshot_cannot_answer_a_real_query(serve, known_cache, tmp_path):
    cache = corrupt_copy(known_cache, tmp_path / "corrupt.duckdb")
    api, _ = serve(cache)
    ready = api.get("/api/health/ready")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable" and "cache is corrupt" in ready.json()["reason"]
    summary = api.get("/api/v1/costs/summary", params=WINDOW)
    assert summary.status_code == 503 and "cache is corrupt" in summary.json()["error"]
    assert "\n" not in summary.json()["error"]
    assert api.get("/api/health/live").status_code == 200


# --- shutdown and the log --------------------------------------------------------------------------


def test_sigterm_lets_the_request_in_flight_finish(serve, known_cache, counted):
    _, delay = counted
    delay["seconds"] = 1.0
    api, server = serve(known_cache)
    results: list[httpx.Response] = []
    flight = threading.Thread(target=lambda: results.append(api.get("/api/v1/costs/summary", params=WINDOW)))
    flight.start()
    time.sleep(0.3)
    server.server.handle_exit(signal.SIGTERM, None)  # what uvicorn's SIGTERM handler does
    flight.join(timeout=10)
    assert results and results[0].status_code == 200
    assert results[0].json()["totals"][0]["billed_cost"] == 60.0  # EUR first, complete
    server.thread.join(timeout=10)
    assert not server.thread.is_alive()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/api/health/live", timeout=2)


def raw_request(url: str, target: bytes, headers: bytes = b"") -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers + b"\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def test_the_access_log_cannot_be_forged_and_holds_no_token(serve, known_cache):
    log = io.StringIO()
    api, server = serve(known_cache, log=log, token=TOKEN)
    nasty = [
        b"/api/health/live?x=%1b%5b31mred%0a2026-01-01T00:00:00Z%20fake",  # encoded escapes stay encoded
        b'/api/health/live?q="%20200%200%200ms',  # a raw quote would end the target field
        b"/api/health/live?a\\b",  # a raw backslash would escape in a parser
        b"/api/v1/costs/summary?access_token=" + TOKEN.encode() + b"&x=" + TOKEN.encode(),  # a leaked token
    ]
    for target in nasty:
        raw_request(server.url, target, b"Authorization: Bearer " + TOKEN.encode() + b"\r\n")
    # raw control or non-ASCII bytes never reach the app: the HTTP parser refuses them
    assert raw_request(server.url, b"/api/health/live?caf\xc3\xa9\x1b[2J").startswith(b"HTTP/1.1 400")
    api.get("/api/v1/costs/summary", headers={"Authorization": f"Bearer {TOKEN}"})
    server.stop()
    lines = log.getvalue().splitlines()
    assert len(lines) == len(nasty) + 1
    line_shape = re.compile(r'^\S+Z 127\.0\.0\.1 "GET [^" ]+" \d{3} \d+ \d+ms$')
    for line in lines:
        assert line_shape.match(line), line
        assert all(32 <= ord(ch) < 127 for ch in line), line
    assert "%1b%5b31mred%0a" in lines[0]
    assert "%22" in lines[1] and '"GET' in lines[1]
    assert "?a%5Cb" in lines[2]
    assert "?access_token=***&x=***" in lines[3]
    assert TOKEN not in log.getvalue()
    assert sanitize(b'\x1b[2J"\\') == "%1B[2J%22%5C"


# --- the CLI ---------------------------------------------------------------------------------------


def test_cli_port_out_of_range_is_one_line(known_cache, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f"demo_today = {TODAY}\n\n[serve]\nport = 99999\n")
    process = serve_process(config, known_cache)
    _, err = process.communicate(timeout=30)
    assert process.returncode in (1, 2)
    assert "Traceback" not in err
    assert err.strip().count("\n") == 0, err
    assert "99999" in err and "port" in err


def test_cli_workers_serve_on_one_port_and_stop_on_sigterm(known_cache, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f"demo_today = {TODAY}\n")
    port = free_port()
    process = serve_process(config, known_cache, "--port", str(port), "--workers", "2", "--quiet")
    try:
        wait_until_up(f"http://127.0.0.1:{port}", process)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20) as client:
            for _ in range(3):
                assert client.get("/api/v1/costs/summary", params=WINDOW).status_code == 200
        # the workers are separate processes
        children = [line for line in os.popen(f"ps -o pid= --ppid {process.pid}").read().split() if line]
        assert len(children) >= 2
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=40)
    assert process.returncode == 0, err
    assert "Traceback" not in err
