"""Fault injection: a cache with history, every command, and what a user must see for each fault."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from costtui.cache import CacheReader
from costtui.model import CostQuery
from tests.cachefactory import row, write_rows

TODAY = "2026-11-15"
FIRST = date(2026, 10, 1)
HISTORY_DAYS = 45
FOCUS_HEADER = (
    "ChargePeriodStart,BilledCost,EffectiveCost,BillingCurrency,ChargeCategory,ProviderName,"
    "BillingAccountId,SubAccountId,SubAccountName,ServiceName,RegionId\n"
)
REPO = Path(__file__).resolve().parents[2]  # children run this checkout's code
SCRATCH = re.compile(r"^costtui-[a-z]+-\d+-")


def write_history(cache: Path) -> None:
    """45 days of aws and gcp, the history no fault may lose."""
    write_rows(cache, [row(FIRST + timedelta(days=i), provider=p) for i in range(HISTORY_DAYS) for p in ("aws", "gcp")])


def write_focus(path: Path, days: int = 5, cost: str = "5.00") -> Path:
    lines = [
        f"2026-11-{10 + i:02d},{cost},{cost},USD,Usage,Azure,ea,sub,Sub,VMs,westeurope\n" for i in range(days)
    ]
    path.write_text(FOCUS_HEADER + "".join(lines))
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def totals(cache: Path) -> dict[str, Decimal]:
    with CacheReader(cache).session() as q:
        return {g.keys["provider"]: g.cost for g in q.cost_groups(CostQuery(group_by=("provider",)))}


def litter(cache: Path, temp_dir: Path) -> list[str]:
    """Crashed writers' leftovers: private copies beside the cache, scratch folders in TMPDIR."""
    beside = [p.name for p in cache.parent.iterdir() if p.name.startswith(f".{cache.name}.")]
    scratch = [p.name for p in temp_dir.iterdir() if SCRATCH.match(p.name)] if temp_dir.exists() else []
    return sorted(beside + scratch)


@dataclass
class Setup:
    """One fault's stage: the cache, a FOCUS file, a config enabling it as a provider, TMPDIR."""

    cache: Path
    focus: Path
    config: Path
    temp: Path
    out: Path

    def commands(self) -> dict[str, list[str]]:
        """Every command that touches the cache (the dashboard and `serve` read it like `costs`)."""
        return {
            "import": ["import", str(self.focus)],
            "refresh": ["refresh", "--quiet"],
            "demo": ["demo", "--no-tui", "--rows", "2000"],
            "alerts": ["alerts", "--no-notify"],
            "costs": ["costs"],
            "export csv": ["export", "csv"],
            "export json": ["export", "json"],
            "export prometheus": ["export", "prometheus", "--output", str(self.out)],
            "check": ["check", "-w", "1000000"],
        }

    def argv(self, command: list[str]) -> list[str]:
        return ["--config", str(self.config), "--cache", str(self.cache), *command]


def make_setup(folder: Path, temp: Path, config_text: str = "", out_dir: Path | None = None) -> Setup:
    folder.mkdir(parents=True, exist_ok=True)
    temp.mkdir(parents=True, exist_ok=True)
    inputs = temp.parent / "inputs"
    inputs.mkdir(exist_ok=True)
    focus = write_focus(inputs / "small.csv")
    config = inputs / "config.toml"
    config.write_text(
        "[cache]\nlock_timeout_seconds = 0.5\n"
        f"[providers.focus]\nenabled = true\npaths = [{str(focus)!r}]\n" + config_text
    )
    return Setup(folder / "c.duckdb", focus, config, temp, (out_dir or inputs) / "costtui.prom")


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def run(setup: Setup, command: list[str], prefix: tuple[str, ...] = (), timeout: float = 120) -> Result:
    """`python -m costtui` in a child process (killable, and able to drop privileges)."""
    env = {**os.environ, "COSTTUI_TODAY": TODAY, "TMPDIR": str(setup.temp), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "costtui", *setup.argv(command)],
        capture_output=True, text=True, timeout=timeout, env=env,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def run_inline(setup: Setup, command: list[str], capsys, monkeypatch) -> Result:
    """The same, in this process (no interpreter start-up: the fault matrix runs ~60 commands)."""
    from costtui.cli import main

    monkeypatch.setenv("COSTTUI_TODAY", TODAY)
    monkeypatch.setattr("tempfile.tempdir", str(setup.temp))
    capsys.readouterr()
    code = main(setup.argv(command))
    out, err = capsys.readouterr()
    return Result(code, out, err)


def one_line(result: Result, command: str) -> str:
    """The single line a failing command prints: stderr, or stdout for `check` (its contract)."""
    text = result.stdout if command == "check" else result.stderr
    lines = [line for line in text.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr + result.stdout, (command, result)
    assert len(lines) == 1, (command, result)
    return lines[0]


@pytest.fixture
def stage(tmp_path: Path) -> Setup:
    setup = make_setup(tmp_path / "data", tmp_path / "tmp")
    write_history(setup.cache)
    return setup


def corrupt_a_data_block(path: Path) -> None:
    """Overwrite bytes inside the last block holding charges, and the last of each rollup (answers
    come from those too): their checksums no longer match."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    tables = [row[0] for row in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name = 'charges' "
                                            "OR table_name LIKE 'rollup_%' OR table_name = 'forecast_series'").fetchall()]
    blocks = {con.execute(f"SELECT max(block_id) FROM pragma_storage_info('{table}') WHERE block_id >= 0").fetchone()[0]
              for table in tables}
    con.close()
    with open(path, "r+b") as out:
        for block in blocks - {None}:
            out.seek(3 * 4096 + block * 262144 + 64)
            out.write(b"\xde\xad\xbe\xef" * 16)


@pytest.fixture
def small_disk(tmp_path: Path):
    """A tmpfs of a given size (MB), unmounted afterwards; remount(ro=True) makes it read-only."""
    mounted: list[Path] = []

    def mount(size_mb: float, name: str = "disk") -> Path:
        folder = tmp_path / name
        folder.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={int(size_mb * 1024)}k", "tmpfs", str(folder)],
            capture_output=True, text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def remount_read_only(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
