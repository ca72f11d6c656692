"""`costtui serve` on the 10M-row cache: latency of each cost endpoint vs the bare DuckDB query behind it.

Both run in this process: the baseline opens the cache read-only and runs the same GROUP BY
(what any API over this cache must do per request); costtui's figure is a full HTTP round trip
on 127.0.0.1 (parse, open the newest snapshot, query, encode exact JSON). Also: requests per
second with 4 concurrent clients. Run: python bench/serve_requests.py"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import duckdb
import httpx
from benchdata import BENCH_TODAY, ensure_bench_cache

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from costtui.api.app import ApiApp, ApiSettings
from costtui.api.server import ApiServer

RUNS = 15
TODAY = date.fromisoformat(BENCH_TODAY)
START = TODAY - timedelta(days=29)
BARE = {
    "summary": "SELECT currency, sum(billed_cost) FROM charges WHERE charge_date BETWEEN ? AND ? GROUP BY currency",
    "daily": "SELECT charge_date, provider, currency, sum(billed_cost) FROM charges "
             "WHERE charge_date BETWEEN ? AND ? GROUP BY ALL ORDER BY 1",
    "services": "SELECT provider, service, currency, sum(billed_cost) AS c FROM charges "
                "WHERE charge_date BETWEEN ? AND ? GROUP BY ALL ORDER BY c DESC",
    "accounts": "SELECT provider, account_id, max(account_name), currency, sum(billed_cost) AS c FROM charges "
                "WHERE charge_date BETWEEN ? AND ? GROUP BY provider, account_id, currency ORDER BY c DESC",
}


def median_ms(action) -> float:
    samples = []
    for _ in range(RUNS):
        began = time.perf_counter()
        action()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def bare(cache: Path, sql: str) -> None:
    with duckdb.connect(str(cache), read_only=True) as con:
        con.execute(sql, [START, TODAY]).fetchall()


def main() -> None:
    cache = ensure_bench_cache()
    app = ApiApp(ApiSettings(cache_path=cache, today=lambda: TODAY))
    server = ApiServer(("127.0.0.1", 0), app, access_log=open("/dev/null", "w"))  # noqa: SIM115
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = httpx.Client(base_url=server.url, timeout=60)
    print(f"serve on a {cache.stat().st_size / 1e6:.0f} MB cache, last 30 days, median of {RUNS}")
    print(f"  {'endpoint':<10} {'bare duckdb':>12} {'costtui HTTP':>13} {'ratio':>7}")
    for name, sql in BARE.items():
        bare(cache, sql)  # warm the page cache for both
        baseline = median_ms(lambda sql=sql: bare(cache, sql))
        ours = median_ms(lambda name=name: client.get(f"/api/v1/costs/{name}").raise_for_status())
        print(f"  {name:<10} {baseline:>9.1f} ms {ours:>10.1f} ms {ours / baseline:>6.2f}x")
    with ThreadPoolExecutor(4) as pool:
        began = time.perf_counter()
        list(pool.map(lambda _: httpx.get(f"{server.url}/api/v1/costs/summary").raise_for_status(), range(40)))
        elapsed = time.perf_counter() - began
    print(f"  summary, 4 concurrent clients: {40 / elapsed:.1f} requests/s on this machine")
    server.shutdown()


if __name__ == "__main__":
    main()
