"""Benchmark: a refresh with dead providers costs at most seconds (refused) or their deadline (black-holed).

Run as `python bench/dead_provider.py [--rows N] [--deadline S] [--repeat K]`. In one process:
  healthy   refresh of one FOCUS-files provider (N rows, generated once under bench/data/);
  refused   the same plus AWS Cost Explorer, Azure exports and GCP BigQuery pointed at a closed
            port on 127.0.0.1 (connection refused), with their real SDKs;
  blackhole the same plus the three pointed at a port that accepts and never answers,
            each with providers.<name>.timeout_seconds = S.
Targets: refused <= healthy + 10 s; blackhole <= healthy + S (+ 1 s of slack for the publish)."""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402
from benchdata import free_port  # noqa: E402

from costtui.config import AwsConfig, AzureConfig, GcpConfig  # noqa: E402
from costtui.providers.aws.cost_explorer import AwsCostExplorerProvider  # noqa: E402
from costtui.providers.azure.exports import AzureExportsProvider  # noqa: E402
from costtui.providers.focus_files import FocusFilesProvider  # noqa: E402
from costtui.providers.gcp import GcpBillingExportProvider  # noqa: E402
from costtui.refresh import RefreshOptions, run_refresh  # noqa: E402

DATA = REPO / "bench" / "data"
TODAY = date(2026, 11, 15)
ENV_VAR = "COSTTUI_BENCH_DEAD_AZURE"
TABLE = "test-project.billing.gcp_billing_export_v1_01ABCD_234567_89EF01"


def focus_file(rows: int) -> Path:
    path = DATA / f"dead_provider_focus_{rows}.csv"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        duckdb.sql(f"""COPY (SELECT 'payer' AS BillingAccountId, 'USD' AS BillingCurrency,
                round(random() * 100, 6) AS BilledCost, round(random() * 90, 6) AS EffectiveCost,
                'Usage' AS ChargeCategory, DATE '2026-10-16' + CAST(i % 30 AS INTEGER) AS ChargePeriodStart,
                DATE '2026-10-17' + CAST(i % 30 AS INTEGER) AS ChargePeriodEnd, 'AWS' AS ProviderName,
                'Service ' || CAST(i % 50 AS VARCHAR) AS ServiceName, 'acct-' || CAST(i % 40 AS VARCHAR) AS SubAccountId,
                'Account ' || CAST(i % 40 AS VARCHAR) AS SubAccountName, 'us-east-1' AS RegionId
            FROM range({rows}) t(i)) TO '{path}' (HEADER)""")
    return path


class BlackHole:
    """Accepts connections and never answers."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server.getsockname()[1]

    def _accept(self) -> None:
        while True:
            try:
                self.held.append(self.server.accept()[0])
            except OSError:
                return


def cloud_providers(port: int, deadline: float) -> list:
    os.environ[ENV_VAR] = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )
    endpoint = f"http://127.0.0.1:{port}"
    return [
        AwsCostExplorerProvider(AwsConfig(enabled=True, endpoint_url=endpoint, timeout_seconds=deadline)),
        AzureExportsProvider(AzureConfig(enabled=True, connection_string_env=ENV_VAR, container="costs",
                                         timeout_seconds=deadline)),
        GcpBillingExportProvider(GcpConfig(enabled=True, table=TABLE, api_endpoint=endpoint, anonymous=True,
                                           timeout_seconds=deadline)),
    ]


def timed_refresh(providers: list, workdir: Path) -> tuple[float, dict[str, str]]:
    cache = Path(tempfile.mkdtemp(dir=workdir)) / "cache.duckdb"
    began = time.perf_counter()
    report = run_refresh(providers, cache, RefreshOptions(today=TODAY, days=30))
    elapsed = time.perf_counter() - began
    return elapsed, {o.provider: ("ok" if o.ok else o.error.kind) for o in report.outcomes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--deadline", type=float, default=15.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                      AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    focus = focus_file(args.rows)
    workdir = Path(tempfile.mkdtemp(prefix="costtui-bench-dead-"))
    hole = BlackHole()
    try:
        runs: dict[str, list[float]] = {"healthy": [], "refused": [], "blackhole": []}
        kinds: dict[str, dict[str, str]] = {}
        for _ in range(args.repeat):
            for name, port in (("healthy", None), ("refused", free_port()), ("blackhole", hole.port)):
                # Built right before its run: Azure reads its connection string when it fetches.
                extra = cloud_providers(port, args.deadline) if port else []
                elapsed, kinds[name] = timed_refresh([FocusFilesProvider([focus]), *extra], workdir)
                runs[name].append(elapsed)
        healthy = statistics.median(runs["healthy"])
        print(f"healthy provider: FOCUS files, {args.rows:,} rows; deadline {args.deadline:g} s; "
              f"median of {args.repeat}")
        for name, times in runs.items():
            median = statistics.median(times)
            print(f"  {name:<9} {median:6.2f} s  (+{median - healthy:5.2f} s, {median / healthy:4.2f}x healthy)"
                  f"  {kinds[name]}")
        refused_ok = statistics.median(runs["refused"]) <= healthy + 10
        hole_ok = statistics.median(runs["blackhole"]) <= healthy + args.deadline + 1
        print(f"target refused <= healthy + 10 s: {'met' if refused_ok else 'MISSED'}; "
              f"black-holed <= healthy + deadline: {'met' if hole_ok else 'MISSED'}")
    finally:
        hole.server.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
