"""How to store allocation tags: extra columns, a MAP column, or a narrow side table, on a 10M-row cache.

Each layout gets the bench cache's rows with two tag keys (team, environment; ~15% untagged) and is
measured on what costtui asks of it: file size, build time, `GROUP BY` one tag, and a tag filter.
Run: python bench/tag_layout.py   (reuses bench/data/bench10m.duckdb; writes a scratch file)"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
from benchdata import ensure_bench_cache

TAGS = """CASE WHEN hash(account_id, service) % 100 < 15 THEN NULL
              ELSE ['platform','data','web','ml'][1 + CAST(hash(account_id) % 4 AS BIGINT)] END"""
ENVS = """CASE WHEN hash(account_id, service, 'e') % 100 < 15 THEN NULL
              ELSE ['prod','staging','dev'][1 + CAST(hash(account_id, 'e') % 3 AS BIGINT)] END"""

LAYOUTS = {
    "columns": (
        f"CREATE TABLE charges AS SELECT *, {TAGS} AS tag_team, {ENVS} AS tag_environment FROM src.charges",
        "SELECT tag_team, currency, sum(billed_cost) FROM charges GROUP BY ALL",
        "SELECT currency, sum(billed_cost) FROM charges WHERE tag_team = 'data' GROUP BY ALL",
    ),
    "map": (
        f"""CREATE TABLE charges AS SELECT *, map_from_entries(list_filter(
                [{{'key': 'team', 'value': {TAGS}}}, {{'key': 'environment', 'value': {ENVS}}}],
                lambda x: x.value IS NOT NULL)) AS tags FROM src.charges""",
        "SELECT tags['team'], currency, sum(billed_cost) FROM charges GROUP BY ALL",
        "SELECT currency, sum(billed_cost) FROM charges WHERE tags['team'] = 'data' GROUP BY ALL",
    ),
    "side table": (
        f"""CREATE TABLE charges AS SELECT row_number() OVER () AS id, * FROM src.charges;
            CREATE TABLE charge_tags AS
                SELECT id, 'team' AS key, {TAGS} AS value FROM charges WHERE {TAGS} IS NOT NULL
                UNION ALL SELECT id, 'environment', {ENVS} FROM charges WHERE {ENVS} IS NOT NULL""",
        """SELECT t.value, c.currency, sum(c.billed_cost) FROM charges c
           LEFT JOIN charge_tags t ON t.id = c.id AND t.key = 'team' GROUP BY ALL""",
        """SELECT c.currency, sum(c.billed_cost) FROM charges c JOIN charge_tags t
           ON t.id = c.id AND t.key = 'team' AND t.value = 'data' GROUP BY ALL""",
    ),
}


def timed(con: duckdb.DuckDBPyConnection, sql: str, runs: int = 5) -> float:
    con.execute(sql).fetchall()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        con.execute(sql).fetchall()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def main() -> None:
    source = ensure_bench_cache()
    with tempfile.TemporaryDirectory(dir=source.parent) as folder:
        base = duckdb.connect(str(source), read_only=True)
        plain = timed(base, "SELECT service, currency, sum(billed_cost) FROM charges GROUP BY ALL")
        base.close()
        print(f"baseline GROUP BY service on the plain cache: {plain * 1000:.0f} ms; "
              f"file {source.stat().st_size / 2**20:.0f} MiB")
        for name, (build, group, filtered) in LAYOUTS.items():
            path = Path(folder) / f"{name.replace(' ', '_')}.duckdb"
            con = duckdb.connect(str(path))
            con.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
            began = time.perf_counter()
            con.execute(build)
            con.execute("CHECKPOINT")
            built = time.perf_counter() - began
            con.execute("DETACH src")
            size = os.path.getsize(path) / 2**20
            by_tag, by_filter = timed(con, group), timed(con, filtered)
            con.close()
            print(f"{name:10}  build {built:5.1f} s  file {size:5.0f} MiB  group by tag {by_tag * 1000:5.0f} ms"
                  f" ({by_tag / plain:.2f}x)  tag filter {by_filter * 1000:5.0f} ms")


if __name__ == "__main__":
    main()
