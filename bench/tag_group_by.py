"""`costtui costs --group-by tag:team --format json` on a 10M-row cache with two configured tag keys,
vs a bare duckdb script running the same grouping.

Target (issue 13): costtui <= 1.5x the bare `python -c` that imports duckdb, opens the same file
read-only and runs the equivalent GROUP BY. The tagged cache is a copy of bench/data/bench10m.duckdb
with the tag columns laid out as the writer does (docs/tags-layout.md; tags as in bench/tag_layout.py),
built once as bench/data/bench10m-tags.duckdb; the bench cache itself is never modified.
Run: python bench/tag_group_by.py"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from benchdata import BENCH_TODAY, DATA, bare_grouping_script, ensure_bench_cache, measure_command
from tag_layout import ENVS, TAGS

TARGET = 1.5
TAGGED = DATA / "bench10m-tags.duckdb"
TAGGED_CONFIG = DATA / "bench-tags.toml"
TAG_KEYS = {"team": "tag_team", "environment": "tag_environment"}


def ensure_tagged_cache() -> Path:
    """A copy of the bench cache with team and environment columns (~15% untagged) and meta tag_keys."""
    source = ensure_bench_cache()
    TAGGED_CONFIG.write_text(f'demo_today = {BENCH_TODAY}\n[allocation]\ntag_keys = ["team", "environment"]\n')
    if TAGGED.exists() and TAGGED.stat().st_mtime >= source.stat().st_mtime:
        return TAGGED
    print(f"building {TAGGED} (a tagged copy of {source.name})...", file=sys.stderr)
    scratch = TAGGED.with_suffix(".building")
    shutil.copyfile(source, scratch)
    began = time.perf_counter()
    with duckdb.connect(str(scratch)) as con:
        con.execute(f"CREATE TABLE tagged AS SELECT *, {TAGS} AS tag_team, {ENVS} AS tag_environment FROM charges")
        con.execute("DROP TABLE charges")
        con.execute("ALTER TABLE tagged RENAME TO charges")
        con.execute("INSERT OR REPLACE INTO meta VALUES ('tag_keys', ?)", [json.dumps(TAG_KEYS)])
        con.execute("CHECKPOINT")
    os.replace(scratch, TAGGED)
    print(f"  built in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    return TAGGED


def main() -> None:
    cache = ensure_tagged_cache()
    baseline, baseline_cpu = measure_command([sys.executable, "-c", bare_grouping_script(cache, "tag_team")])
    results = {}
    with tempfile.TemporaryDirectory() as stamps:
        env = {**os.environ, "XDG_CACHE_HOME": stamps}  # a validated config, as on every run after the first
        for args in (["--group-by", "tag:team"], ["--group-by", "tag:team", "--tag", "environment=prod"],
                     ["--group-by", "service"]):  # the same command on a fixed dimension: what tags add
            command = [sys.executable, "-m", "costtui", "--config", str(TAGGED_CONFIG), "--cache", str(cache),
                       "costs", *args, "--format", "json"]
            results[" ".join(args)] = measure_command(command, env=env)
    print("costs --group-by tag:team --format json, 10M-row cache, two tag keys (median of 7 runs)")
    print(f"  bare python+duckdb:         {baseline * 1000:7.1f} ms  (CPU {baseline_cpu * 1000:.0f} ms)")
    for name, (wall, cpu) in list(results.items())[:2]:
        ratio = wall / baseline
        verdict = "met" if ratio <= TARGET else "MISSED"
        print(f"  costtui costs {name}:")
        print(f"      {wall * 1000:7.1f} ms = {ratio:.2f}x (target <= {TARGET}x: {verdict}); "
              f"CPU {cpu * 1000:.0f} ms = {cpu / baseline_cpu:.2f}x")
    tagged, fixed = results["--group-by tag:team"][0], results["--group-by service"][0]
    print(f"  tag:team vs service grouping, same command: {tagged / fixed:.2f}x "
          "(the rest of the gap is the CLI's start-up, shared by every `costs`)")


if __name__ == "__main__":
    main()
