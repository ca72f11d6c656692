"""GCP against dead, hung, dying and rate-limiting endpoints: each fails within its deadline, recorded with its kind."""

from __future__ import annotations

import io
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from costtui.config import GcpConfig
from costtui.providers.gcp import GcpBillingExportProvider
from tests.emulators import free_port, http_ok, installed, running_server
from tests.netfaults import (
    SlowProxy,
    black_hole,
    refresh_beside_a_healthy_provider,
    refresh_while_the_server_dies,
)
from tests.providers.gcp.billing_rows import ROWS, SCHEMA, ndjson
from tests.providers.gcp.conftest import BQ_HOME, BQEMULATOR, DATASET, EXPORT_TABLE, PROJECT


def gcp_at(endpoint: str, **overrides: object) -> GcpBillingExportProvider:
    return GcpBillingExportProvider(GcpConfig(
        enabled=True, project_id=PROJECT, table=EXPORT_TABLE, location="US", api_endpoint=endpoint,
        anonymous=True, **overrides))


def test_a_refused_port_fails_within_seconds(cache_path):
    fetch, elapsed = refresh_beside_a_healthy_provider(gcp_at(f"http://127.0.0.1:{free_port()}"), cache_path)
    assert elapsed < 10
    assert (fetch.status, fetch.error_kind) == ("error", "unreachable")
    assert fetch.duration_seconds < 10


def test_a_black_holed_port_is_given_up_at_its_deadline(cache_path):
    with black_hole() as port:
        provider = gcp_at(f"http://127.0.0.1:{port}", timeout_seconds=2)
        fetch, elapsed = refresh_beside_a_healthy_provider(provider, cache_path)
    assert elapsed < 2 + 3
    assert fetch.error_kind in ("timeout", "unreachable")
    assert 1.5 <= fetch.duration_seconds < 2 + 3


class RateLimited(ThreadingHTTPServer):
    """The BigQuery REST API answering every call 429 rateLimitExceeded."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RateLimit)
        self.requests = 0


class _RateLimit(BaseHTTPRequestHandler):
    server: RateLimited

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests += 1
        body = json.dumps({"error": {"code": 429, "message": "Exceeded rate limits",
                                     "errors": [{"reason": "rateLimitExceeded", "message": "slow down"}]}}).encode()
        self.send_response(429)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


def test_rate_limits_back_off_until_the_deadline_then_fail_as_throttled(cache_path):
    server = RateLimited()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        provider = gcp_at(f"http://127.0.0.1:{server.server_address[1]}", timeout_seconds=4)
        fetch, elapsed = refresh_beside_a_healthy_provider(provider, cache_path)
    finally:
        server.shutdown()
        server.server_close()
    assert elapsed < 4 + 2
    assert fetch.error_kind in ("throttled", "timeout"), fetch.error_message
    assert 3 <= server.requests <= 20  # backed off between attempts


def test_the_emulator_stopped_in_the_middle_of_a_fetch(tmp_path, cache_path):
    rest, grpc = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{rest}"
    with running_server(
        [str(installed(BQEMULATOR, "BigQuery emulator")), "start", "--rest-host", "127.0.0.1", "--rest-port",
         str(rest), "--grpc-host", "127.0.0.1", "--grpc-port", str(grpc), "--ephemeral", "--project", PROJECT],
        ready=http_ok(f"{endpoint}/bigquery/v2/projects/{PROJECT}/datasets"), name="BigQuery emulator",
        timeout=60, env={**os.environ, "HOME": str(BQ_HOME)},
    ) as emulator:
        client = bigquery.Client(project=PROJECT, credentials=AnonymousCredentials(),
                                 client_options={"api_endpoint": endpoint})
        client.create_dataset(DATASET, exists_ok=True)
        table = bigquery.Table(EXPORT_TABLE, schema=SCHEMA)
        table.time_partitioning = bigquery.TimePartitioning(type_=bigquery.TimePartitioningType.DAY)
        client.create_table(table)
        config = bigquery.LoadJobConfig(source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON, schema=SCHEMA)
        client.load_table_from_file(io.BytesIO(ndjson(ROWS)), EXPORT_TABLE, job_config=config).result()
        proxy = SlowProxy(rest, rate=2_000)  # answers trickle: the fetch is under way when the server dies
        try:
            provider = gcp_at(f"http://127.0.0.1:{proxy.port}")
            # The query job's first answer is arriving when the emulator stops.
            fetch, after_stop = refresh_while_the_server_dies(provider, cache_path, emulator, proxy, 200)
        finally:
            proxy.close()
    assert after_stop < 10, "a dead server is given up within seconds"
    assert (fetch.status, fetch.error_kind) == ("error", "unreachable"), fetch.error_message
