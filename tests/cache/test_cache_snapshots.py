"""The cache protocol: readers never see a lock error or half a refresh; writers never wait for readers."""

from __future__ import annotations

import multiprocessing
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from costtui.cache import CacheBusy, CacheError, CacheReader, open_writer
from costtui.model import CostQuery, ReplaceScope
from tests.cachefactory import row, write_rows

DAYS = 50
FIRST = date(2026, 1, 1)


def publish_generation(path: Path, generation: int) -> None:
    """One complete snapshot: DAYS rows, every one costing `generation`."""
    rows = [row(FIRST + timedelta(days=i), cost=str(generation)) for i in range(DAYS)]
    with open_writer(path) as writer:
        writer.replace_charges([ReplaceScope("aws", FIRST, FIRST + timedelta(days=DAYS - 1))], rows)


MIN_WRITES, MIN_READS, MAX_SECONDS = 6, 21, 60.0


def keep_going(started: float, seconds: float, count: int, minimum: int) -> bool:
    """Run `seconds`, longer on a slow machine until `minimum` is reached (never past MAX_SECONDS)."""
    elapsed = time.monotonic() - started
    return elapsed < MAX_SECONDS and (elapsed < seconds or count < minimum)


def refresh_loop(path: str, seconds: float, result) -> None:
    generation, started = 1, time.monotonic()
    try:
        while keep_going(started, seconds, generation - 1, MIN_WRITES):
            generation += 1
            publish_generation(Path(path), generation)
        result.put(("writer", generation, None))
    except Exception as exc:  # reported to the test, which fails on it
        result.put(("writer", generation, repr(exc)))


def query_loop(path: str, seconds: float, result) -> None:
    reads, errors, started = 0, [], time.monotonic()
    reader = CacheReader(Path(path))
    while keep_going(started, seconds, reads, MIN_READS):
        try:
            with reader.session() as q:
                groups = q.cost_groups(CostQuery(group_by=("day",)))
            costs = {g.cost for g in groups}
            if len(groups) != DAYS or len(costs) != 1:
                errors.append(f"partial snapshot: {len(groups)} days, costs {sorted(costs)[:3]}")
            reads += 1
        except Exception as exc:
            errors.append(repr(exc))
    result.put(("reader", reads, [*errors[:5], f"{len(errors)} errors"] if errors else []))


def test_reader_loop_never_fails_while_refresh_loops(tmp_path):
    path = tmp_path / "cache.duckdb"
    publish_generation(path, 1)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    seconds = 5.0
    processes = [
        context.Process(target=refresh_loop, args=(str(path), seconds, results)),
        context.Process(target=query_loop, args=(str(path), seconds, results)),
    ]
    for process in processes:
        process.start()
    outcome = {}
    for _ in processes:
        kind, count, problems = results.get(timeout=MAX_SECONDS + 60)
        outcome[kind] = (count, problems)
    for process in processes:
        process.join(timeout=30)
    writes, writer_error = outcome["writer"]
    reads, reader_errors = outcome["reader"]
    assert writer_error is None
    assert reader_errors == []
    assert writes >= MIN_WRITES and reads >= MIN_READS, f"too little overlap to mean anything: {writes} writes, {reads} reads"


def test_writer_does_not_wait_for_an_open_reader(tmp_path):
    path = tmp_path / "cache.duckdb"
    publish_generation(path, 1)
    reader = CacheReader(path)
    with reader.session() as old:
        began = time.monotonic()
        publish_generation(path, 2)  # a reader holds the old snapshot open meanwhile
        assert time.monotonic() - began < 10
        assert old.totals(CostQuery()) == {"USD": Decimal(DAYS)}
    with reader.session() as new:
        assert new.totals(CostQuery()) == {"USD": Decimal(2 * DAYS)}


def test_failed_write_leaves_the_published_snapshot_untouched(tmp_path):
    path = tmp_path / "cache.duckdb"
    publish_generation(path, 3)
    with pytest.raises(RuntimeError), open_writer(path) as writer:
        writer.replace_charges([ReplaceScope("aws", FIRST, FIRST + timedelta(days=DAYS))], [])
        raise RuntimeError("network died half way")
    with CacheReader(path).session() as q:
        assert q.totals(CostQuery()) == {"USD": Decimal(3 * DAYS)}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.duckdb", "cache.duckdb.lock"]


def test_rows_outside_their_scope_are_refused(tmp_path):
    path = tmp_path / "cache.duckdb"
    publish_generation(path, 1)
    with pytest.raises(CacheError, match="outside"), open_writer(path) as writer:
        writer.replace_charges([ReplaceScope("aws", FIRST, FIRST)], [row(FIRST + timedelta(days=1))])
    with CacheReader(path).session() as q:
        assert q.row_count() == DAYS


def test_second_writer_waits_for_the_lock_or_gives_up(tmp_path):
    path = tmp_path / "cache.duckdb"
    with open_writer(path) as writer:
        writer.replace_charges([ReplaceScope("aws", FIRST, FIRST)], [row(FIRST)])
        with pytest.raises(CacheBusy, match="another refresh"), open_writer(path, lock_timeout=0.2):
            pass
    with CacheReader(path).session() as q:
        assert q.row_count() == 1


def test_restatement_replaces_instead_of_adding(tmp_path):
    path = tmp_path / "cache.duckdb"
    write_rows(path, [row(date(2026, 11, d), cost="5") for d in (1, 2, 3)])
    write_rows(path, [row(date(2026, 11, d), cost="7") for d in (2, 3)])
    with CacheReader(path).session() as q:
        days = {g.keys["day"]: g.cost for g in q.cost_groups(CostQuery(group_by=("day",)))}
    assert days == {"2026-11-01": Decimal(5), "2026-11-02": Decimal(7), "2026-11-03": Decimal(7)}


def test_foreign_or_newer_cache_gives_a_clear_error(tmp_path):
    path = tmp_path / "cache.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR); INSERT INTO meta VALUES ('schema_version', '99')")
    con.close()
    with pytest.raises(CacheError, match="schema"), CacheReader(path).session():
        pass
    with pytest.raises(CacheError, match="newer costtui"), open_writer(path):
        pass


def test_a_database_that_is_not_a_costtui_cache_is_refused_then_rebuilt_on_request(tmp_path):
    path = tmp_path / "cache.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE charges (x INTEGER); INSERT INTO charges VALUES (42)")
    con.close()
    with pytest.raises(CacheError, match=r"not a costtui .*--rebuild"):
        write_rows(path, [row(FIRST)])
    assert duckdb.connect(str(path), read_only=True).execute("SELECT x FROM charges").fetchall() == [(42,)]
    with open_writer(path, rebuild=True) as writer:
        writer.replace_charges([ReplaceScope("aws", FIRST, FIRST)], [row(FIRST)])
    with CacheReader(path).session() as q:
        assert q.row_count() == 1
    [kept] = tmp_path.glob("cache.duckdb.set-aside-*")  # the other database is kept, not deleted
    assert duckdb.connect(str(kept), read_only=True).execute("SELECT x FROM charges").fetchall() == [(42,)]


def test_garbage_file_is_a_clear_error_for_readers(tmp_path):
    path = tmp_path / "cache.duckdb"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(CacheError, match="cannot open cache"), CacheReader(path).session():
        pass


def test_a_reader_spills_to_the_temp_dir_not_beside_a_cache_it_may_not_write(tmp_path, monkeypatch):
    # DuckDB's default spill folder is <cache>.tmp next to the file; a reader on a read-only
    # volume, or another user's cache, cannot create it. A file of that name stands in for both
    # (permissions would not stop root).
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    cache = tmp_path / "cache.duckdb"
    write_rows(cache, [row(date(2026, 11, 1))])
    Path(f"{cache}.tmp").write_text("not a folder")
    with CacheReader(cache).session() as queries:
        con = queries._con  # a query big enough to spill at a small memory limit
        con.execute("SET memory_limit = '64MB'")
        con.execute("SET threads = 1")
        first = con.execute(
            "SELECT md5(range::VARCHAR) AS s, count(*) FROM range(3000000) GROUP BY s ORDER BY s LIMIT 1"
        ).fetchone()
    assert first[1] == 1
