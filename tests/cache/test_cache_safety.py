"""Writers never publish less than they found: a held file, a corrupt file, an unmeant drop."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from costtui import exitcodes
from costtui.cache import CacheCorrupt, CacheInUse, CacheReader, WouldLoseData, open_writer
from costtui.cache.litter import remove_litter, scratch_prefix
from costtui.model import CostQuery, ReplaceScope
from tests.cachefactory import row, write_rows

FIRST = date(2026, 10, 1)
DAYS = 30


def history(path: Path) -> None:
    write_rows(path, [row(FIRST + timedelta(days=i), provider=p) for i in range(DAYS) for p in ("aws", "gcp")])


def totals(path: Path) -> dict[str, Decimal]:
    with CacheReader(path).session() as q:
        return q.totals(CostQuery())


class HeldOpen:
    """Another process (a DuckDB shell, a notebook) holding the cache open read-write."""

    def __init__(self, path: Path, seconds: float = 30) -> None:
        code = (
            "import duckdb, sys, time\n"
            f"c = duckdb.connect({str(path)!r})\n"
            "print('open', flush=True)\n"
            f"time.sleep({seconds})\n"
        )
        self.process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "open"

    def close(self) -> None:
        self.process.kill()
        self.process.wait()

    def __enter__(self) -> HeldOpen:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def costtui(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "costtui", *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COSTTUI_TODAY": "2026-11-15", **(env or {})},
    )


def focus_file(folder: Path) -> Path:
    path = folder / "small.csv"
    path.write_text(
        "ChargePeriodStart,BilledCost,EffectiveCost,BillingCurrency,ChargeCategory,ProviderName,"
        "BillingAccountId,SubAccountId,SubAccountName,ServiceName,RegionId\n"
        "2026-11-10,5.00,5.00,USD,Usage,Azure,ea,sub,Sub,VMs,westeurope\n"
    )
    return path


def test_import_while_another_program_holds_the_cache_loses_nothing(tmp_path):
    """The reported bug: the connect error was taken for "unreadable", the history wiped."""
    cache = tmp_path / "c.duckdb"
    history(cache)
    before = totals(cache)
    config = tmp_path / "config.toml"
    config.write_text("[cache]\nlock_timeout_seconds = 1\n")
    with HeldOpen(cache):
        began = time.monotonic()
        result = costtui("--config", str(config), "--cache", str(cache), "import", str(focus_file(tmp_path)))
        waited = time.monotonic() - began
    assert result.returncode == exitcodes.FAILURE, result.stderr
    [line] = result.stderr.splitlines()
    assert "cache in use by another program" in line and str(cache) in line
    assert waited >= 1  # it waited out the lock timeout first
    assert totals(cache) == before
    # Once the other program lets go, the same import adds to the history.
    result = costtui("--cache", str(cache), "import", str(focus_file(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert totals(cache) == {"USD": before["USD"] + 5}


def test_a_writer_waits_for_a_program_that_lets_go_in_time(tmp_path):
    cache = tmp_path / "c.duckdb"
    history(cache)
    held = HeldOpen(cache)
    try:
        closer = subprocess.Popen([sys.executable, "-c", f"import os, time; time.sleep(1.5); os.kill({held.process.pid}, 9)"])
        with open_writer(cache, lock_timeout=30) as writer:
            writer.replace_charges([ReplaceScope("azure", FIRST, FIRST)], [row(FIRST, provider="azure")])
        closer.wait()
    finally:
        held.close()
    assert totals(cache) == {"USD": Decimal(2 * DAYS + 1)}


def test_in_use_after_the_timeout_is_refused(tmp_path):
    cache = tmp_path / "c.duckdb"
    history(cache)
    with (
        HeldOpen(cache),
        pytest.raises(CacheInUse, match=r"in use by another program \(PID \d+"),
        open_writer(cache, lock_timeout=0.3) as writer,
    ):
        writer.replace_charges([ReplaceScope("aws", FIRST, FIRST)], [])
    assert totals(cache) == {"USD": Decimal(2 * DAYS)}


def corrupt_a_data_block(path: Path) -> None:
    """Overwrite a few bytes inside a block that holds charges (the checksum then fails)."""
    con = duckdb.connect(str(path), read_only=True)
    block = con.execute(
        "SELECT max(block_id) FROM pragma_storage_info('charges') WHERE block_id >= 0"
    ).fetchone()[0]
    con.close()
    with open(path, "r+b") as out:
        out.seek(3 * 4096 + block * 262144 + 64)
        out.write(b"\xde\xad\xbe\xef" * 16)


def test_a_corrupt_cache_is_refused_kept_and_rebuilt_only_on_request(tmp_path):
    cache = tmp_path / "c.duckdb"
    history(cache)
    corrupt_a_data_block(cache)
    damaged = cache.read_bytes()
    with pytest.raises(CacheCorrupt, match=r"corrupt.*--rebuild"):
        write_rows(cache, [row(FIRST, provider="azure")])
    assert cache.read_bytes() == damaged
    assert CacheCorrupt.exit_code == exitcodes.CORRUPT_CACHE
    with open_writer(cache, rebuild=True) as writer:
        writer.replace_charges([ReplaceScope("azure", FIRST, FIRST)], [row(FIRST, provider="azure")])
    assert totals(cache) == {"USD": Decimal(1)}
    [kept] = tmp_path.glob("c.duckdb.set-aside-*")
    assert kept.read_bytes() == damaged


def test_readers_name_a_corrupt_block_in_one_line(tmp_path):
    cache = tmp_path / "c.duckdb"
    history(cache)
    corrupt_a_data_block(cache)
    with pytest.raises(CacheCorrupt, match="cache is corrupt"), CacheReader(cache).session() as q:
        q.cost_groups(CostQuery(group_by=("account", "service")))  # no rollup holds both: reads charges


def test_a_publish_that_drops_unreplaced_days_is_refused(tmp_path):
    cache = tmp_path / "c.duckdb"
    history(cache)
    with pytest.raises(WouldLoseData, match=r"drop 1 day\(s\) of aws account payer"), open_writer(cache) as writer:
        writer.connection.execute("DELETE FROM charges WHERE provider = 'aws' AND charge_date = ?", [FIRST])
    with open_writer(cache) as writer:
        writer.connection.execute("INSERT INTO fetches VALUES ('aws','x',NULL,NULL,now(),now(),'ok',NULL,NULL,0,0,NULL,NULL)")
    # A publish that would drop a fetch record (or an alert event) is refused too.
    with pytest.raises(WouldLoseData, match="rows of table fetches"), open_writer(cache) as writer:
        writer.connection.execute("DELETE FROM fetches")
    assert totals(cache) == {"USD": Decimal(2 * DAYS)}


def test_a_restatement_may_remove_days_it_covers(tmp_path):
    cache = tmp_path / "c.duckdb"
    history(cache)
    last = FIRST + timedelta(days=DAYS - 1)
    with open_writer(cache) as writer:  # the provider now reports nothing for its last five days
        writer.replace_charges([ReplaceScope("aws", last - timedelta(days=4), last)], [])
    assert totals(cache) == {"USD": Decimal(2 * DAYS - 5)}


def test_the_next_writer_removes_what_killed_writers_left(tmp_path, monkeypatch):
    cache = tmp_path / "c.duckdb"
    history(cache)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    copy = tmp_path / ".c.duckdb.abc123"
    copy.mkdir()
    (copy / "c.duckdb").write_bytes(cache.read_bytes())
    (temp / f"costtui-refresh-{dead_pid}-xyz").mkdir()
    alive = temp / f"{scratch_prefix('load')}mine"  # this process's own: still in use
    alive.mkdir()
    other = temp / "costtui-duckdb-0"  # readers' spill folder: not a writer's scratch
    other.mkdir()
    write_rows(cache, [row(FIRST, provider="azure")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.duckdb", "c.duckdb.lock", "tmp"]
    assert sorted(p.name for p in temp.iterdir()) == sorted([alive.name, other.name])
    assert remove_litter(cache) == []
