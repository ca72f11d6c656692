"""Every command against each fault: one line, the documented exit code, the cache unchanged,
and no litter after the next good write."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from costtui import exitcodes
from tests.faults.conftest import (
    Setup,
    corrupt_a_data_block,
    digest,
    litter,
    make_setup,
    one_line,
    remount_read_only,
    run,
    run_inline,
    totals,
    write_focus,
    write_history,
)

WRITERS = ("import", "refresh", "demo")
UNKNOWN = 3  # `check` answers every problem as Nagios UNKNOWN, with the reason on its one line
HISTORY = {"aws": Decimal(45), "gcp": Decimal(45)}


def expect_everywhere(
    setup: Setup, expected: dict[str, tuple[int, str]], runner, only: tuple[str, ...] = ()
) -> None:
    """Run every command (or `only` these); those not in `expected` must succeed."""
    before = digest(setup.cache)
    problems = []
    for name, command in setup.commands().items():
        if only and name not in only:
            continue
        result = runner(command)
        code, words = expected.get(name, (exitcodes.OK, ""))
        if code == exitcodes.OK:
            if result.code != 0:
                problems.append((name, "expected success", result))
            continue
        line = one_line(result, name)
        if result.code != code or words.lower() not in line.lower():
            problems.append((name, f"expected {code} and {words!r}", result.code, line))
    assert problems == []
    assert digest(setup.cache) == before, "the published cache changed"


def good_write_leaves_no_litter(setup: Setup, runner, *extra: str) -> None:
    result = runner(["import", *extra, str(setup.focus)])
    assert result.code == 0, result
    assert litter(setup.cache, setup.temp) == []
    assert totals(setup.cache)["azure"] == Decimal(25)


def test_a_program_holding_the_cache_open(stage, capsys, monkeypatch):
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(stage.cache)!r}); print(1, flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        holder.stdout.readline()
        in_use = (exitcodes.FAILURE, "cache in use by another program")
        expected = dict.fromkeys(stage.commands(), in_use)
        expected["check"] = (UNKNOWN, "cache in use by another program")
        expect_everywhere(stage, expected, lambda c: run_inline(stage, c, capsys, monkeypatch))
    finally:
        holder.kill()
        holder.wait()
    good_write_leaves_no_litter(stage, lambda c: run_inline(stage, c, capsys, monkeypatch))
    assert totals(stage.cache) == {**HISTORY, "azure": Decimal(25)}


def test_a_cache_with_a_corrupt_block(stage, capsys, monkeypatch):
    corrupt_a_data_block(stage.cache)
    damaged = digest(stage.cache)
    corrupt = (exitcodes.CORRUPT_CACHE, "corrupt")
    expected = dict.fromkeys(stage.commands(), corrupt)
    expected["check"] = (UNKNOWN, "corrupt")
    runner = lambda c: run_inline(stage, c, capsys, monkeypatch)  # noqa: E731
    expect_everywhere(stage, expected, runner)
    assert "--rebuild" in one_line(runner(["import", str(stage.focus)]), "import")
    good_write_leaves_no_litter(stage, runner, "--rebuild")
    [kept] = stage.cache.parent.glob("c.duckdb.set-aside-*")
    assert digest(kept) == damaged  # the damaged file is kept aside, never deleted


def test_a_disk_too_full_to_copy_the_cache(tmp_path, small_disk, capsys, monkeypatch):
    disk = small_disk(12)  # a 45-day cache with its rollups takes 2-4 MB; a write needs twice that
    setup = make_setup(disk, tmp_path / "tmp", out_dir=disk)
    write_history(setup.cache)
    fill_up(disk / "filler")
    full = (exitcodes.DISK_FULL, "no space left")
    expected = {name: full for name in (*WRITERS, "export prometheus")}
    runner = lambda c: run_inline(setup, c, capsys, monkeypatch)  # noqa: E731
    expect_everywhere(setup, expected, runner)
    (disk / "filler").unlink()
    good_write_leaves_no_litter(setup, runner)


def fill_up(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass  # full
    finally:
        os.close(fd)


def test_a_disk_that_fills_up_during_the_write(tmp_path, small_disk, capsys, monkeypatch):
    disk = small_disk(12)  # a 45-day cache with its rollups takes 2-4 MB; a write needs twice that
    setup = make_setup(disk, tmp_path / "tmp")
    write_history(setup.cache)
    before = digest(setup.cache)
    runner = lambda c: run_inline(setup, c, capsys, monkeypatch)  # noqa: E731
    result = runner(["demo", "--no-tui", "--rows", "300000"])  # far more than the space left
    line = one_line(result, "demo")
    assert result.code == exitcodes.DISK_FULL and "no space left" in line, result
    assert digest(setup.cache) == before
    good_write_leaves_no_litter(setup, runner)


def test_a_read_only_filesystem(tmp_path, small_disk, capsys, monkeypatch):
    disk = small_disk(12)  # a 45-day cache with its rollups takes 2-4 MB; a write needs twice that
    setup = make_setup(disk, tmp_path / "tmp", out_dir=disk)
    write_history(setup.cache)
    remount_read_only(disk)
    read_only = (exitcodes.READ_ONLY, "read-only file")
    expected = {name: read_only for name in (*WRITERS, "export prometheus")}
    runner = lambda c: run_inline(setup, c, capsys, monkeypatch)  # noqa: E731
    expect_everywhere(setup, expected, runner)
    subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    good_write_leaves_no_litter(setup, runner)


def test_a_folder_the_user_may_not_write(tmp_path):
    """Root ignores file modes, so the commands run as root without its capabilities (setpriv):
    the same permission checks an ordinary user meets. Readers need only read access (the
    read-only filesystem shows them working); each run here starts an interpreter, so the
    writing commands and one reader run."""
    setup = make_setup(tmp_path / "data", tmp_path / "tmp", out_dir=tmp_path / "data")
    write_history(setup.cache)
    setup.cache.parent.chmod(0o555)
    try:
        no_caps = (
            ("setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--")
            if os.geteuid() == 0
            else ()  # an ordinary user meets the permission checks as is
        )
        denied = (exitcodes.PERMISSION_DENIED, "permission denied")
        expected = {name: denied for name in (*WRITERS, "export prometheus")}
        expect_everywhere(
            setup, expected, lambda c: run(setup, c, prefix=no_caps), only=(*expected, "costs")
        )
    finally:
        setup.cache.parent.chmod(0o755)
    good_write_leaves_no_litter(setup, lambda c: run(setup, c))


def test_out_of_range_config_values(tmp_path, capsys, monkeypatch):
    for bad in ("[serve]\nport = 99999\n", "[display]\ndefault_days = 1000000000\n"):
        setup = make_setup(tmp_path / "data", tmp_path / "tmp", config_text=bad)
        if not setup.cache.exists():
            write_history(setup.cache)
        key = "serve.port" if "port" in bad else "display.default_days"
        expected = dict.fromkeys(setup.commands(), (exitcodes.USAGE, key))
        expected["check"] = (UNKNOWN, key)
        expect_everywhere(setup, expected, lambda c, s=setup: run_inline(s, c, capsys, monkeypatch))


def test_a_temp_dir_too_full_to_stage_the_data(tmp_path, small_disk, capsys, monkeypatch):
    """Files and demo data are staged in TMPDIR before the lock is taken. (`refresh` reports a
    provider that cannot stage as that provider's failure, exit 1, and goes on with the others.)"""
    temp = small_disk(0.5, "tmpdisk")
    setup = make_setup(tmp_path / "data", temp)
    write_history(setup.cache)
    write_focus(setup.focus, days=1)
    with setup.focus.open("a") as out:  # 20,000 more rows: their staged copy needs more than is left
        out.writelines(
            f"2026-11-{1 + i % 14:02d},1.00,1.00,USD,Usage,Azure,ea,sub-{i},Sub {i},Service {i},region-{i}\n"
            for i in range(20_000)
        )
    fill_up(temp / "filler")
    os.truncate(temp / "filler", (temp / "filler").stat().st_size - 16_000)  # 16 kB left
    full = (exitcodes.DISK_FULL, "no space left")
    runner = lambda c: run_inline(setup, c, capsys, monkeypatch)  # noqa: E731
    expect_everywhere(setup, {"import": full, "demo": full}, runner, only=("import", "demo", "costs"))
    (temp / "filler").unlink()
    result = runner(["import", str(setup.focus)])
    assert result.code == 0, result
    assert litter(setup.cache, setup.temp) == []
