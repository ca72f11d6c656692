"""`costtui export prometheus`: gauges with known values, promtool, a real Pushgateway, atomic textfiles."""

from __future__ import annotations

import subprocess
import threading
import time
import urllib.request
from datetime import UTC
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from costtui.cache import CacheReader
from costtui.cli import main
from costtui.exporters.delivery import atomic_write
from tests.emulators import free_port, http_ok, running_server
from tests.faces import require_binary

COST_GAUGES = ("costtui_month_to_date_cost", "costtui_daily_cost", "costtui_forecast_month_cost")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text("demo_today = 2026-11-15\n[export]\ntop_services_per_account = 1\n")
    return path


def export(config: Path, cache: Path, *args: str) -> int:
    return main(["--config", str(config), "--cache", str(cache), "export", "prometheus", *args])


def samples(text: str) -> dict[tuple[str, tuple], float]:
    result = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            result[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return result


def cost(provider: str, account: str, service: str, currency: str) -> tuple:
    return tuple(sorted({"cloud_provider": provider, "account_id": account, "cloud_service": service,
                         "currency": currency}.items()))


def test_textfile_has_the_known_costs_with_services_capped_per_account(config, known_cache, tmp_path):
    output = tmp_path / "costtui.prom"
    assert export(config, known_cache, "--output", str(output)) == 0
    got = samples(output.read_text())
    # top 1 service per account by month to date: aws/111 keeps EC2 (1350.00), S3 becomes "other".
    assert got[("costtui_month_to_date_cost", cost("aws", "111", "EC2", "USD"))] == 1350.0
    assert got[("costtui_month_to_date_cost", cost("aws", "111", "other", "USD"))] == 140.0
    assert got[("costtui_month_to_date_cost", cost("aws", "222", "Lambda", "USD"))] == 14.0
    assert got[("costtui_month_to_date_cost", cost("azure", "sub-1", "VM", "EUR"))] == 60.0
    assert got[("costtui_daily_cost", cost("aws", "111", "EC2", "USD"))] == 100.0
    assert got[("costtui_daily_cost", cost("aws", "111", "other", "USD"))] == 10.0
    # forecast: 1350 so far + 100/day x 16 days; azure: 60 + 20/day x 16
    assert got[("costtui_forecast_month_cost", cost("aws", "111", "EC2", "USD"))] == 2950.0
    assert got[("costtui_forecast_month_cost", cost("azure", "sub-1", "VM", "EUR"))] == 380.0
    assert not any(dict(labels).get("cloud_service") == "S3" for _, labels in got)
    assert got[("costtui_last_refresh_success", (("cloud_provider", "aws"),))] == 1.0
    stamp = got[("costtui_last_refresh_timestamp_seconds", (("cloud_provider", "azure"),))]
    with CacheReader(known_cache).session() as queries:
        fetched = queries.last_success("azure").replace(tzinfo=UTC).timestamp()
    assert abs(stamp - fetched) < 1 and time.time() - stamp >= 3600  # the fetch an hour before the suite began
    assert ("costtui_build_info", (("version", __import__("costtui").__version__),)) in got


def test_failed_fetch_shows_as_refresh_failure(config, tmp_path):
    from costtui.cache.writer import utcnow
    from tests.faces import build_cache, known_rows

    cache = build_cache(tmp_path / "failed.duckdb", known_rows(), utcnow(), status="error")
    output = tmp_path / "costtui.prom"
    assert export(config, cache, "--output", str(output)) == 0
    got = samples(output.read_text())
    assert got[("costtui_last_refresh_success", (("cloud_provider", "aws"),))] == 0.0
    assert not any(name == "costtui_last_refresh_timestamp_seconds" for name, _ in got)


def test_demo_cache_refresh_time_is_its_publication(config, demo_cache, capsys):
    assert export(config, demo_cache) == 0  # no --output: the exposition on stdout
    got = samples(capsys.readouterr().out)
    stamps = {dict(labels)["cloud_provider"]: value for (name, labels), value in got.items()
              if name == "costtui_last_refresh_timestamp_seconds"}
    assert set(stamps) == {"aws", "azure", "gcp"}
    assert all(abs(time.time() - v) < 24 * 3600 for v in stamps.values())


def test_promtool_accepts_the_textfile(demo_cache, tmp_path):
    promtool = require_binary("promtool")
    config = tmp_path / "config.toml"
    config.write_text("demo_today = 2026-11-15\n")
    output = tmp_path / "costtui.prom"
    assert export(config, demo_cache, "--output", str(output)) == 0
    with output.open("rb") as metrics:
        result = subprocess.run([promtool, "check", "metrics"], stdin=metrics, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert output.stat().st_mode & 0o044  # node_exporter runs as another user
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


@pytest.fixture(scope="module")
def pushgateway():
    binary = require_binary("prometheus-pushgateway")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running_server(
        [binary, f"--web.listen-address=127.0.0.1:{port}"], ready=http_ok(f"{url}/-/ready"), name="pushgateway"
    ):
        yield url


def test_push_to_a_real_pushgateway_and_read_it_back(config, known_cache, pushgateway):
    assert export(config, known_cache, "--pushgateway", pushgateway, "--job", "costtui-test") == 0
    with urllib.request.urlopen(f"{pushgateway}/metrics", timeout=5) as response:
        got = samples(response.read().decode())
    key = tuple(sorted((*cost("aws", "111", "EC2", "USD"), ("instance", ""), ("job", "costtui-test"))))
    assert got[("costtui_month_to_date_cost", key)] == 1350.0


def test_unreachable_pushgateway_is_one_clear_line(config, known_cache, capsys):
    port = free_port()  # nothing listens there
    assert export(config, known_cache, "--pushgateway", f"http://127.0.0.1:{port}") == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"costtui: pushgateway http://127.0.0.1:{port}: unreachable")
    assert len(captured.err.splitlines()) == 1


def test_output_and_pushgateway_together_is_a_usage_error(config, known_cache, tmp_path, capsys):
    assert export(config, known_cache, "--output", str(tmp_path / "x.prom"), "--pushgateway", "http://x") == 2
    assert "either --output or --pushgateway" in capsys.readouterr().err


def test_concurrent_writers_never_leave_a_partial_file(tmp_path):
    target = tmp_path / "costtui.prom"
    payloads = [(f"# writer {n}\n" + f"costtui_x{{n=\"{n}\"}} 1\n" * 50_000).encode() for n in range(4)]
    atomic_write(target, payloads[0])
    stop = threading.Event()
    torn: list[int] = []

    def reader() -> None:
        while not stop.is_set():
            data = target.read_bytes()
            if data not in payloads:
                torn.append(len(data))

    def writer(payload: bytes) -> None:
        for _ in range(15):
            atomic_write(target, payload)

    readers = [threading.Thread(target=reader) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(p,)) for p in payloads]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in readers:
        thread.join()
    assert torn == []
    assert [p.name for p in tmp_path.iterdir()] == ["costtui.prom"]


def test_concurrent_export_processes_leave_a_complete_textfile(known_cache, tmp_path):
    import sys

    target = tmp_path / "costtui.prom"
    args = [sys.executable, "-m", "costtui", "--cache", str(known_cache), "export", "prometheus",
            "--output", str(target)]
    processes = [subprocess.Popen(args) for _ in range(3)]
    assert [p.wait(timeout=60) for p in processes] == [0, 0, 0]
    text = target.read_text()
    assert text.endswith("\n") and "costtui_build_info" in text
    assert [p.name for p in tmp_path.iterdir()] == ["costtui.prom"]


def test_a_failing_provider_is_not_fresh_and_its_data_age_is_published(config, stale_provider_cache, tmp_path):
    output = tmp_path / "costtui.prom"
    assert export(config, stale_provider_cache, "--output", str(output)) == 0
    got = samples(output.read_text())
    aws, azure = (("cloud_provider", "aws"),), (("cloud_provider", "azure"),)
    assert (got[("costtui_data_fresh", aws)], got[("costtui_data_fresh", azure)]) == (1.0, 0.0)
    assert (got[("costtui_last_refresh_success", aws)], got[("costtui_last_refresh_success", azure)]) == (1.0, 0.0)
    assert 3590 <= got[("costtui_data_age_seconds", aws)] < 3700
    assert 3 * 86400 - 10 <= got[("costtui_data_age_seconds", azure)] < 3 * 86400 + 100  # since its last success
    assert 3 * 86400 - 10 <= time.time() - got[("costtui_last_refresh_timestamp_seconds", azure)] < 3 * 86400 + 100


def test_old_data_is_not_fresh_by_the_configured_max_age(stale_provider_cache, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("demo_today = 2026-11-15\n[cache]\nmax_age_hours = 0.5\n")
    output = tmp_path / "costtui.prom"
    assert export(config, stale_provider_cache, "--output", str(output)) == 0
    got = samples(output.read_text())
    assert got[("costtui_data_fresh", (("cloud_provider", "aws"),))] == 0.0  # an hour old, max half an hour
    assert got[("costtui_last_refresh_success", (("cloud_provider", "aws"),))] == 1.0


def test_the_fast_exposition_is_the_librarys_byte_for_byte(demo_cache, today):
    """The API writes /metrics with its own formatter (seconds faster on a big cache): the same text,
    escapes and float formatting included."""
    from prometheus_client import CollectorRegistry, Gauge, generate_latest

    from costtui.exporters.prometheus import build_registry, exposition

    with CacheReader(demo_cache).session() as queries:
        registry = build_registry(queries, today, 5, gross=True)
    assert exposition(registry) == generate_latest(registry)
    odd = CollectorRegistry()
    gauge = Gauge("costtui_odd", 'a "doc" with \\ and\nnewline', ["b", "a"], registry=odd)
    gauge.labels('quote " back \\ line\n', "é").set(1e-7)
    gauge.labels("x", "y").set(float("inf"))
    Gauge("costtui_empty", "no samples", ["a"], registry=odd)
    Gauge("costtui_plain", "no labels", registry=odd).set(12345678.125)
    assert exposition(odd) == generate_latest(odd)
