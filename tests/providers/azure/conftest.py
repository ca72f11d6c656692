"""Azurite (real Blob Storage API on 127.0.0.1) and helpers to lay out Cost Management exports."""

from __future__ import annotations

import gzip
import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from azure.storage.blob import BlobServiceClient, ContainerClient

from costtui.cache import CacheReader
from costtui.config import AzureConfig
from costtui.model import CostQuery
from costtui.providers.azure.exports import AzureExportsProvider
from tests.emulators import free_port, installed, port_open, running_server

REPO = Path(__file__).resolve().parents[3]
AZURITE = REPO / ".emulators/azurite/node_modules/.bin/azurite-blob"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
ENV_VAR = "COSTTUI_TEST_AZURE_CONNECTION"


def connection_string(port: int, key: str = ACCOUNT_KEY) -> str:
    return (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        f"AccountKey={key};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )


@pytest.fixture(scope="session")
def azurite_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    binary = installed(AZURITE, "Azurite")
    port = free_port()
    with running_server(
        [str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence",
         "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent"],
        ready=port_open(port),
        name="Azurite",
        cwd=tmp_path_factory.mktemp("azurite"),
    ):
        yield port


class ExportBucket:
    """One fresh container in Azurite, and the config/provider pointing at it."""

    def __init__(self, port: int, name: str) -> None:
        self.port = port
        self.name = name
        service = BlobServiceClient.from_connection_string(connection_string(port))
        self.container: ContainerClient = service.create_container(name)

    def upload(self, blob: str, data: bytes) -> None:
        self.container.upload_blob(blob, data, overwrite=True)

    def config(self, **overrides: object) -> AzureConfig:
        values: dict[str, object] = {
            "enabled": True,
            "connection_string_env": ENV_VAR,
            "container": self.name,
            "path": "exports/actual",
            "dataset": "actual",
        }
        values.update(overrides)
        return AzureConfig(**values)

    def provider(self, **overrides: object) -> AzureExportsProvider:
        return AzureExportsProvider(self.config(**overrides), retry_total=0)


@pytest.fixture
def exports(azurite_port: int, monkeypatch: pytest.MonkeyPatch) -> ExportBucket:
    monkeypatch.setenv(ENV_VAR, connection_string(azurite_port))
    return ExportBucket(azurite_port, f"cost-{uuid.uuid4().hex[:12]}")


def csv_bytes(header: list[str], rows: list[list[object]], gz: bool = False) -> bytes:
    lines = [",".join(header)] + [",".join(_csv_field(v) for v in row) for row in rows]
    text = ("\n".join(lines) + "\n").encode("utf-8")
    return gzip.compress(text) if gz else text


def _csv_field(value: object) -> str:
    text = str(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def parquet_bytes(tmp_path: Path, select_sql: str) -> bytes:
    """Write a Parquet file with DuckDB COPY (as Azure's FOCUS export would) and return its bytes."""
    path = tmp_path / f"{uuid.uuid4().hex}.parquet"
    con = duckdb.connect()
    try:
        con.execute(f"COPY ({select_sql}) TO '{path}' (FORMAT parquet)")
    finally:
        con.close()
    return path.read_bytes()


def per_day_service(cache: Path, metric: str = "billed") -> dict[tuple[str, str], str]:
    """The cache's per-day per-service totals, as text rounded to the cent."""
    with CacheReader(cache).session() as queries:
        groups = queries.cost_groups(CostQuery(group_by=("day", "service"), metric=metric))
    return {(g.keys["day"], g.keys["service"]): f"{g.cost:.2f}" for g in groups}


def range_folder(start: date, end: date) -> str:
    return f"{start:%Y%m%d}-{end:%Y%m%d}"


def unset_azure_identity_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("AZURE_", "MSI_", "IDENTITY_")):
            monkeypatch.delenv(name, raising=False)
