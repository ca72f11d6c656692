"""Azure against dead, hung, dying and busy storage: each fails within its deadline, recorded with its kind."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from costtui.providers.azure.exports import AzureExportsProvider
from tests.emulators import free_port, installed, port_open, running_server
from tests.netfaults import (
    SlowProxy,
    black_hole,
    refresh_beside_a_healthy_provider,
    refresh_while_the_server_dies,
)
from tests.providers.azure.conftest import AZURITE, ENV_VAR, ExportBucket, connection_string, csv_bytes
from tests.providers.azure.test_exports import EA_HEADER, NOV, ea_row


def dead_config(port: int, monkeypatch: pytest.MonkeyPatch, **overrides: object):
    from costtui.config import AzureConfig

    monkeypatch.setenv(ENV_VAR, connection_string(port))
    values: dict = {"container": "costs", **overrides}
    return AzureConfig(enabled=True, connection_string_env=ENV_VAR, path="exports/actual", **values)


def test_a_refused_port_fails_within_seconds(monkeypatch, cache_path):
    provider = AzureExportsProvider(dead_config(free_port(), monkeypatch))
    fetch, elapsed = refresh_beside_a_healthy_provider(provider, cache_path)
    assert elapsed < 10
    assert (fetch.status, fetch.error_kind) == ("error", "unreachable")
    assert "cannot reach container 'costs'" in fetch.error_message
    assert fetch.duration_seconds < 10


def test_a_black_holed_port_is_given_up_at_its_deadline(monkeypatch, cache_path):
    with black_hole() as port:
        provider = AzureExportsProvider(dead_config(port, monkeypatch, timeout_seconds=2))
        fetch, elapsed = refresh_beside_a_healthy_provider(provider, cache_path)
    assert elapsed < 2 + 3
    assert fetch.error_kind in ("timeout", "unreachable")  # our deadline, or the SDK's read timeout at it
    assert 1.5 <= fetch.duration_seconds < 2 + 3


def test_azurite_stopped_in_the_middle_of_a_download(tmp_path, monkeypatch, cache_path):
    port = free_port()
    with running_server(
        [str(installed(AZURITE, "Azurite")), "--blobHost", "127.0.0.1", "--blobPort", str(port),
         "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent"],
        ready=port_open(port), name="Azurite", cwd=tmp_path,
    ) as azurite:
        monkeypatch.setenv(ENV_VAR, connection_string(port))
        bucket = ExportBucket(port, "dying")
        rows = [ea_row("11/02/2026", f"sub-{n}", "Virtual Machines", "West Europe", "Usage", "1.00")
                for n in range(150_000)]  # ~12 MB: several seconds through the slow proxy
        bucket.upload(f"exports/actual/{NOV}/202611031200/guid-1/part_0_0001.csv", csv_bytes(EA_HEADER, rows))
        proxy = SlowProxy(port, rate=2_000_000)
        try:
            provider = AzureExportsProvider(dead_config(proxy.port, monkeypatch, container=bucket.name))
            fetch, after_stop = refresh_while_the_server_dies(provider, cache_path, azurite, proxy, 500_000)
        finally:
            proxy.close()
    assert after_stop < 10, "a dead server is given up within seconds"
    assert (fetch.status, fetch.error_kind) == ("error", "unreachable")
    assert "part_0_0001.csv" in fetch.error_message or "cannot reach" in fetch.error_message


class BusyStorage(ThreadingHTTPServer):
    """Blob Storage that always answers 503 ServerBusy (throttling)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Busy)
        self.requests = 0


class _Busy(BaseHTTPRequestHandler):
    server: BusyStorage

    def do_GET(self) -> None:
        self.server.requests += 1
        body = b"<?xml version='1.0' encoding='utf-8'?><Error><Code>ServerBusy</Code><Message>busy</Message></Error>"
        self.send_response(503)
        self.send_header("x-ms-error-code", "ServerBusy")
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_throttling_backs_off_until_the_deadline_then_fails_as_throttled(monkeypatch, cache_path):
    server = BusyStorage()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        provider = AzureExportsProvider(dead_config(server.server_address[1], monkeypatch, timeout_seconds=4))
        fetch, elapsed = refresh_beside_a_healthy_provider(provider, cache_path)
    finally:
        server.shutdown()
        server.server_close()
    assert elapsed < 4 + 2
    assert fetch.error_kind == "throttled", fetch.error_message
    assert "storage stayed busy (HTTP 503 ServerBusy)" in fetch.error_message
    assert 2 <= server.requests <= 6  # backed off between attempts, not hammering
