"""The BigQuery emulator (real BigQuery REST API on 127.0.0.1) and a loaded billing-export table."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from costtui.config import GcpConfig
from tests.emulators import free_port, http_ok, installed, running_server
from tests.providers.gcp.billing_rows import ROWS, SCHEMA, ndjson

REPO = Path(__file__).resolve().parents[3]
BQEMULATOR = REPO / ".emulators/bq/bin/bqemulator"
BQ_HOME = REPO / ".emulators/bq-home"
PROJECT = "test-project"
DATASET = "billing_export"
EXPORT_TABLE = f"{PROJECT}.{DATASET}.gcp_billing_export_v1_01ABCD_234567_89EF01"


@pytest.fixture(scope="session")
def bq_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """http://127.0.0.1:PORT of a fresh, in-memory BigQuery emulator for the session."""
    binary = installed(BQEMULATOR, "BigQuery emulator")
    rest_port, grpc_port = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{rest_port}"
    with running_server(
        [str(binary), "start", "--rest-host", "127.0.0.1", "--rest-port", str(rest_port),
         "--grpc-host", "127.0.0.1", "--grpc-port", str(grpc_port), "--ephemeral", "--project", PROJECT],
        ready=http_ok(f"{endpoint}/bigquery/v2/projects/{PROJECT}/datasets"),
        name="BigQuery emulator",
        timeout=60,
        log=tmp_path_factory.mktemp("bqemulator") / "bqemulator.log",
        env={**os.environ, "HOME": str(BQ_HOME)},
    ):
        yield endpoint


@pytest.fixture(scope="session")
def bq_client(bq_endpoint: str) -> bigquery.Client:
    client = bigquery.Client(
        project=PROJECT, credentials=AnonymousCredentials(), client_options={"api_endpoint": bq_endpoint}
    )
    client.create_dataset(DATASET, exists_ok=True)
    return client


@pytest.fixture(scope="session")
def load_export(bq_client: bigquery.Client) -> Callable[[str, list[dict]], str]:
    """Creates an ingestion-time partitioned export table holding rows (or appends to it)."""

    def load(table_id: str, rows: list[dict]) -> str:
        table = bigquery.Table(table_id, schema=SCHEMA)
        table.time_partitioning = bigquery.TimePartitioning(type_=bigquery.TimePartitioningType.DAY)
        bq_client.create_table(table, exists_ok=True)
        # load_table_from_json is broken in the emulator; a newline-delimited JSON file is not.
        job_config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON, schema=SCHEMA
        )
        bq_client.load_table_from_file(io.BytesIO(ndjson(rows)), table_id, job_config=job_config).result()
        return table_id

    return load


@pytest.fixture(scope="session")
def export_table(load_export: Callable[[str, list[dict]], str]) -> str:
    """The shared billing export (read-only for tests): billing_rows.ROWS."""
    return load_export(EXPORT_TABLE, ROWS)


@pytest.fixture
def gcp_config(bq_endpoint: str, export_table: str) -> GcpConfig:
    return GcpConfig(
        enabled=True, project_id=PROJECT, table=export_table, location="US",
        api_endpoint=bq_endpoint, anonymous=True,
    )
