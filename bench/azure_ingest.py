"""Benchmark: ingest a 1M-row MCA CSV export from Azurite; compare with a bare DuckDB read_csv.

Run as `python bench/azure_ingest.py [--rows N] [--gzip]`. Starts its own Azurite on 127.0.0.1,
uploads one generated export run, times AzureExportsProvider.fetch (download + parse + aggregate
+ stage Parquet), then, in the same process, times `CREATE TABLE AS SELECT * FROM read_csv(...)`
of the same file already on local disk. Target: fetch <= 2x the bare read."""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402
from azure.storage.blob import BlobServiceClient  # noqa: E402
from benchdata import free_port  # noqa: E402

from costtui.config import AzureConfig  # noqa: E402
from costtui.providers.azure.exports import AzureExportsProvider  # noqa: E402
from costtui.providers.base import FetchContext  # noqa: E402

AZURITE = REPO / ".emulators/azurite/node_modules/.bin/azurite-blob"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
ENV_VAR = "COSTTUI_BENCH_AZURE_CONNECTION"
RUN = "exports/actual/20261101-20261130/202611301200/0b1c2d3e-0000-4000-8000-00000000beef"

# A realistic slice of the MCA ActualCost columns (the real export has ~60), camelCase, MM/DD/YYYY.
GENERATE_SQL = """
COPY (
  SELECT
    'G' || lpad(CAST(i % 9 AS VARCHAR), 9, '0') AS invoiceId,
    'a1b2c3d4-0000-4000-8000-000000000001:e5f6_2019-05-31' AS billingAccountId,
    'Contoso Ltd' AS billingAccountName,
    'PROF-' || CAST(i % 3 AS VARCHAR) AS billingProfileId,
    'Profile ' || CAST(i % 3 AS VARCHAR) AS billingProfileName,
    '11/01/2026' AS billingPeriodStartDate,
    '11/30/2026' AS billingPeriodEndDate,
    strftime(DATE '2026-11-01' + CAST(i % 30 AS INTEGER), '%m/%d/%Y') AS date,
    'Compute' AS serviceFamily,
    uuid() AS meterId,
    'D4s v5' AS meterName,
    (['Virtual Machines', 'Storage', 'SQL Database', 'Bandwidth', 'Azure App Service',
      'Azure Kubernetes Service', 'Key Vault', 'Log Analytics'])[1 + CAST(hash(i, 'svc') % 8 AS BIGINT)] AS meterCategory,
    'Dsv5 Series' AS meterSubCategory,
    'EU West' AS meterRegion,
    'Virtual Machines Dsv5 Series' AS ProductName,
    '00000000-0000-0000-0000-' || lpad(CAST(CAST(hash(i, 'sub') % 40 AS BIGINT) AS VARCHAR), 12, '0') AS SubscriptionId,
    'Subscription ' || CAST(CAST(hash(i, 'sub') % 40 AS BIGINT) AS VARCHAR) AS subscriptionName,
    '/subscriptions/00000000-0000-0000-0000-' || lpad(CAST(CAST(hash(i, 'sub') % 40 AS BIGINT) AS VARCHAR), 12, '0')
      || '/resourceGroups/rg-' || CAST(i % 97 AS VARCHAR)
      || '/providers/Microsoft.Compute/virtualMachines/vm-' || CAST(i % 5003 AS VARCHAR) AS ResourceId,
    (['West Europe', 'North Europe', 'East US', 'westus2', 'UK South'])[1 + CAST(hash(i, 'loc') % 5 AS BIGINT)]
      AS resourceLocation,
    round(random() * 24, 6) AS quantity,
    '1 Hour' AS unitOfMeasure,
    (['Usage', 'Usage', 'Usage', 'Usage', 'Usage', 'Usage', 'Purchase', 'Refund', 'Tax', 'UnusedReservation'])
      [1 + CAST(hash(i, 'chg') % 10 AS BIGINT)] AS chargeType,
    'EUR' AS billingCurrency,
    CASE WHEN CAST(hash(i, 'chg') % 10 AS BIGINT) = 7 THEN -round(random() * 5, 8) ELSE round(random() * 5, 8) END AS costInBillingCurrency,
    'Pay-As-You-Go' AS pricingModel
  FROM range(?) t(i)
) TO '{path}' (FORMAT csv, HEADER true, COMPRESSION {compression})
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--gzip", action="store_true", help="a CSV.gz export instead of plain CSV")
    args = parser.parse_args()
    if not AZURITE.exists():
        sys.exit(f"Azurite not installed at {AZURITE}: run bash tests/setup-emulators.sh")
    scratch = Path(tempfile.mkdtemp(prefix="costtui-azure-bench-"))
    port = free_port()
    azurite = subprocess.Popen(
        [
            str(AZURITE),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--inMemoryPersistence",
            "--skipApiVersionCheck",
            "--loose",
            "--disableTelemetry",
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=scratch,
    )
    try:
        _wait_for(port, azurite)
        run_bench(args.rows, port, scratch, args.gzip)
    finally:
        azurite.terminate()
        azurite.wait(timeout=15)
        shutil.rmtree(scratch, ignore_errors=True)


def run_bench(rows: int, port: int, scratch: Path, gz: bool) -> None:
    suffix = ".csv.gz" if gz else ".csv"
    source = scratch / f"export{suffix}"
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(GENERATE_SQL.format(path=source, compression="gzip" if gz else "none"), [rows])
    con.close()
    size_mb = source.stat().st_size / 1e6
    print(
        f"generated {rows:,} MCA rows ({suffix}), {size_mb:.0f} MB, in {time.perf_counter() - started:.1f} s"
    )

    connection = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        f"AccountKey={KEY};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )
    os.environ[ENV_VAR] = connection
    container = BlobServiceClient.from_connection_string(connection).create_container("cost-exports")
    blob = f"{RUN}/part_0_0001{suffix}"
    started = time.perf_counter()
    with source.open("rb") as handle:
        container.upload_blob(blob, handle, max_concurrency=4)
    print(f"uploaded to Azurite in {time.perf_counter() - started:.1f} s")

    provider = AzureExportsProvider(
        AzureConfig(
            enabled=True, connection_string_env=ENV_VAR, container="cost-exports", path="exports/actual"
        )
    )
    download_seconds = _time_downloads(provider)
    workdir = scratch / "work"
    workdir.mkdir()
    started = time.perf_counter()
    result = provider.fetch(FetchContext(date(2026, 11, 1), date(2026, 11, 30), workdir))
    fetch_seconds = time.perf_counter() - started

    downloaded = scratch / f"downloaded{suffix}"
    with downloaded.open("wb") as handle:
        container.download_blob(blob, max_concurrency=4).readinto(handle)
    baseline = duckdb.connect()
    started = time.perf_counter()
    baseline.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(downloaded)])
    read_seconds = time.perf_counter() - started
    loaded = baseline.execute("SELECT count(*) FROM t").fetchone()[0]
    baseline.close()
    assert loaded == rows, (loaded, rows)

    print(
        f"provider fetch (download + parse + aggregate + stage): {fetch_seconds:.2f} s, "
        f"{rows / fetch_seconds:,.0f} rows/s -> {result.row_count:,} daily rows, {result.api_calls} requests"
    )
    processing = fetch_seconds - download_seconds[0]
    print(
        f"  of which downloading from Azurite: {download_seconds[0]:.2f} s "
        f"({size_mb / download_seconds[0]:.0f} MB/s); parse + aggregate + stage: {processing:.2f} s"
    )
    print(
        f"bare DuckDB read_csv (CREATE TABLE AS) of the downloaded file: {read_seconds:.2f} s, "
        f"{rows / read_seconds:,.0f} rows/s"
    )
    print(
        f"ratio fetch / bare read_csv: {fetch_seconds / read_seconds:.2f}x (target <= 2x); "
        f"download alone {download_seconds[0] / read_seconds:.2f}x, "
        f"parse + aggregate + stage {processing / read_seconds:.2f}x"
    )


def _time_downloads(provider: AzureExportsProvider) -> list[float]:
    """Accumulate the time the provider spends in blob downloads (one slot, in seconds)."""
    spent = [0.0]
    download = provider._download

    def timed(blob, target):
        started = time.perf_counter()
        try:
            download(blob, target)
        finally:
            spent[0] += time.perf_counter() - started

    provider._download = timed  # type: ignore[method-assign]
    return spent


def _wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"Azurite did not start on port {port}")
            time.sleep(0.1)


if __name__ == "__main__":
    main()
