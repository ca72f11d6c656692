"""`costtui serve` under load on the 10M-row cache: the FastAPI/uvicorn server vs the standard-library
server it replaced (main before issue 12, extracted from git into bench/data/oldapi), side by side.

Each server runs in its own process on 127.0.0.1. Workload: 60 different questions (15 windows and
filters x summary, daily, services?limit=10, accounts?limit=10), 16 keep-alive clients picking at
random for DURATION seconds (4 client processes x 4 threads). Printed: requests/s, p50/p99 latency, errors; /metrics cold and warm;
a cold (uncached) 90-day summary vs the bare DuckDB query on the same file; each of the 60
questions asked once, one at a time (the first asker after a publish), before the load. The cache is
published first as a refresh with the bench config would (storing the default /metrics).
Run: python bench/serve_requests.py [--workers N] [--duration S] [--skip-old]"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import httpx
from benchdata import BENCH_CONFIG, BENCH_TODAY, DATA, ensure_bench_cache, free_port

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
TODAY = date.fromisoformat(BENCH_TODAY)
CLIENTS = 16
OLD_API = DATA / "oldapi"


def questions() -> list[str]:
    windows = []
    for days in (7, 14, 30, 60, 90):
        for provider in ("", "aws", "azure"):
            end = TODAY - timedelta(days=1 + (days % 3))
            start = end - timedelta(days=days - 1)
            windows.append(f"start_date={start}&end_date={end}" + (f"&provider={provider}" if provider else ""))
    assert len(windows) == 15
    paths = ("summary?", "daily?", "services?limit=10&", "accounts?limit=10&")
    return [f"/api/v1/costs/{path}{window}" for path in paths for window in windows]


def extract_old_server() -> None:
    """main's costtui/api before this change, importable as `oldapi`."""
    OLD_API.mkdir(parents=True, exist_ok=True)
    for name in ("app.py", "server.py", "openapi.py", "__init__.py"):
        text = subprocess.run(["git", "show", f"d67e0bc:costtui/api/{name}"], capture_output=True, text=True,
                              cwd=REPO, check=True).stdout
        (OLD_API / name).write_text(text.replace("costtui.api.", "oldapi."))


OLD_MAIN = """
import sys, threading
sys.path.insert(0, {data!r})
from datetime import date
from pathlib import Path
from oldapi.app import ApiApp, ApiSettings
from oldapi.server import ApiServer
app = ApiApp(ApiSettings(cache_path=Path({cache!r}), today=lambda: date.fromisoformat({today!r})))
server = ApiServer(("127.0.0.1", {port}), app, access_log=open("/dev/null", "w"))
server.serve_forever()
"""


def start(kind: str, cache: Path, port: int, workers: int, repo: Path = REPO) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(repo), "COSTTUI_TODAY": BENCH_TODAY}
    if kind == "old":
        argv = [sys.executable, "-c", OLD_MAIN.format(data=str(DATA), cache=str(cache), today=BENCH_TODAY, port=port)]
    else:
        argv = [sys.executable, "-m", "costtui", "--config", str(BENCH_CONFIG), "--cache", str(cache), "serve",
                "--port", str(port), "--quiet", "--workers", str(workers)]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=repo)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/health/live", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{kind} server did not start: {process.communicate()[1][-2000:]}")


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def client_process(base: str, paths: list[str], duration: float, seeds: list[int]) -> tuple[list[float], list[str], float]:
    """Some of the keep-alive clients, each on a thread, in a process of their own: one Python process
    cannot drive 16 clients without its own GIL becoming the bottleneck being measured."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def client(seed: int) -> None:
        rng = random.Random(seed)
        mine, bad = [], []
        with httpx.Client(base_url=base, timeout=30) as http:  # keep-alive
            while time.monotonic() < stop:
                path = rng.choice(paths)
                began = time.perf_counter()
                try:
                    status = http.get(path).status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                mine.append(time.perf_counter() - began)
                if status != 200:
                    bad.append(str(status))
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(seed,)) for seed in seeds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - began


def load(base: str, paths: list[str], duration: float) -> dict:
    from concurrent.futures import ProcessPoolExecutor

    processes = 4
    seeds = [list(range(n, CLIENTS, processes)) for n in range(processes)]
    with ProcessPoolExecutor(processes) as pool:
        parts = list(pool.map(client_process, [base] * processes, [paths] * processes, [duration] * processes, seeds))
    latencies = [value for part in parts for value in part[0]]
    errors = [value for part in parts for value in part[1]]
    return {"rps": sum(len(part[0]) / part[2] for part in parts), "p50": percentile(latencies, 0.5) * 1000,
            "p99": percentile(latencies, 0.99) * 1000, "n": len(latencies), "errors": errors}


SHARED = httpx.Client(timeout=120)  # a client per call would time its TLS context set-up


def timed_get(base: str, path: str) -> float:
    """Until the last byte is in, as sent (a scraper's gzip; the client's own decoding not counted)."""
    began = time.perf_counter()
    with SHARED.stream("GET", base + path, headers={"Accept-Encoding": "gzip"}) as answer:
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code} {answer.read()[:300]!r}")
        for _ in answer.iter_raw():
            pass
    return (time.perf_counter() - began) * 1000


def bare_summary_ms(cache: Path) -> float:
    start, end = TODAY - timedelta(days=90), TODAY - timedelta(days=1)
    sql = ("SELECT provider, currency, sum(billed_cost) FROM charges WHERE charge_date BETWEEN ? AND ? "
           "GROUP BY ALL")
    samples = []
    with duckdb.connect(str(cache), read_only=True) as con:
        for _ in range(5):
            began = time.perf_counter()
            con.execute(sql, [start, end]).fetchall()
            samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def run(kind: str, cache: Path, workers: int, duration: float, repo: Path = REPO) -> dict:
    port = free_port()
    process = start(kind, cache, port, workers, repo)
    base = f"http://127.0.0.1:{port}"
    try:
        paths = questions()
        result: dict = {}
        start90 = (TODAY - timedelta(days=90)).isoformat()
        end90 = (TODAY - timedelta(days=1)).isoformat()
        # The first /metrics waits for the one computation the server starts when it sees the snapshot;
        # the cold summary after it has the CPU to itself (no warm-up running beside it).
        result["metrics_cold"] = timed_get(base, "/metrics")
        result["cold_summary90"] = timed_get(base, f"/api/v1/costs/summary?start_date={start90}&end_date={end90}")
        result["metrics_warm"] = statistics.median(timed_get(base, "/metrics") for _ in range(10))
        if kind == "new" and repo == REPO:
            # A refresh publishes; a scraper asks at once (the publish stored the default /metrics).
            # And a /metrics variant no publish stored: its full computation.
            republish(cache)
            result["metrics_after_publish"] = timed_get(base, "/metrics")
            result["metrics_unwarmed"] = timed_get(base, "/metrics?gross=true")
        # Each question once, one at a time: what the first asker after a publish waits.
        first = [timed_get(base, path) for path in paths]
        result["first_ask"] = (statistics.median(first), max(first))
        cpu = server_cpu_seconds(process.pid)
        result["load"] = load(base, paths, duration)
        result["cpu_ms_per_request"] = (server_cpu_seconds(process.pid) - cpu) * 1000 / max(1, result["load"]["n"])
        result["peak_rss_mb"] = peak_rss_mb(process.pid)
        return result
    finally:
        process.terminate()
        process.wait(timeout=60)


def republish(cache: Path) -> float:
    """A publish that changes no charge (as an alerts run does): a new snapshot, same answers. It
    passes what a refresh with the bench config stores for readers (the default /metrics cost gauges,
    computed only if the snapshot does not hold them yet). Returns its wall seconds."""
    from costtui.cache import open_writer
    from costtui.commands.context import AppContext

    answers = AppContext(str(BENCH_CONFIG), str(cache), TODAY).stored_answers()
    began = time.perf_counter()
    with open_writer(cache, today=TODAY, answers=answers) as writer:
        writer.record_alert_events([])
    return time.perf_counter() - began


def server_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the server process and its worker processes so far (Linux): the
    figure other work on the machine barely moves, unlike requests/s."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return total


def peak_rss_mb(pid: int) -> float:
    """The server's peak resident memory (Linux), for the pod's memory request and limit."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--skip-old", action="store_true")
    parser.add_argument("--baseline-repo", type=Path, help="also run the server of another checkout (e.g. "
                        "/work/main) on its own bench cache, before this one: before/after in one run")
    args = parser.parse_args()
    cache = ensure_bench_cache()
    print(f"serve on a {cache.stat().st_size / 1e6:.0f} MB cache; {CLIENTS} keep-alive clients, 60 questions, "
          f"{args.duration:g} s each; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    # The cache as a refresh leaves it (the first run after a change of what is stored computes it).
    print(f"  publish with no charge change, as a refresh's: {republish(cache):.1f} s")
    bare = bare_summary_ms(cache)
    rows = []
    if not args.skip_old:
        extract_old_server()
        rows.append(("stdlib (main)", run("old", cache, 1, args.duration)))
    if args.baseline_repo:
        other = args.baseline_repo / "bench" / "data" / cache.name
        rows.append(("baseline", run("new", other, args.workers, args.duration, args.baseline_repo)))
    rows.append((f"uvicorn x{args.workers}", run("new", cache, args.workers, args.duration)))
    print(f"  {'server':<15} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'/metrics cold':>14} "
          f"{'warm':>8} {'summary 90d cold':>17} {'first ask med/max':>18}")
    for name, result in rows:
        load_ = result["load"]
        print(f"  {name:<15} {load_['rps']:>8.1f} {load_['p50']:>8.1f} {load_['p99']:>8.1f} "
              f"{len(load_['errors']):>7} {result['metrics_cold']:>11.0f} ms {result['metrics_warm']:>5.1f} ms "
              f"{result['cold_summary90']:>14.0f} ms {result['first_ask'][0]:>8.0f}/{result['first_ask'][1]:.0f} ms")
        print(f"    {load_['n']} requests; server CPU {result['cpu_ms_per_request']:.2f} ms a request under load "
              f"({1000 / result['cpu_ms_per_request']:.0f} req/s per core); peak RSS {result['peak_rss_mb']:.0f} MB")
        if "metrics_after_publish" in result:
            print(f"    /metrics right after a publish: {result['metrics_after_publish']:.1f} ms "
                  f"(target <= 50); a /metrics variant not stored (gross): {result['metrics_unwarmed']:.0f} ms")
        if load_["errors"]:
            print(f"    errors: {sorted(set(load_['errors']))[:5]}")
    print(f"  bare DuckDB 90-day summary query on the same file: {bare:.0f} ms "
          f"(cold costtui summary: {rows[-1][1]['cold_summary90'] / bare:.1f}x; it also reads the previous period)")
    if len(rows) == 2 and not args.baseline_repo:
        print(f"  req/s {rows[1][1]['load']['rps'] / rows[0][1]['load']['rps']:.1f}x, p99 "
              f"{rows[0][1]['load']['p99'] / rows[1][1]['load']['p99']:.1f}x lower")


if __name__ == "__main__":
    main()
