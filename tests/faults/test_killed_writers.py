"""Writers killed at random points (SIGKILL, no clean-up code runs) never break or shrink the
published cache, and the next good write removes what they left behind."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time

from tests.faults.conftest import REPO, TODAY, litter, totals, write_focus

# 20 kills a run; fewer of `demo`, whose full run (over 200,000 rows whatever --rows says) is the slowest.
KILLS = {"import": 9, "refresh": 8, "demo": 3}
SEED = int(os.environ.get("COSTTUI_FAULT_SEED", time.time_ns() % 100_000))


def start(stage, command: list[str]) -> subprocess.Popen:
    env = {**os.environ, "COSTTUI_TODAY": TODAY, "TMPDIR": str(stage.temp), "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "costtui", *stage.argv(command)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )


def finish(stage, command: list[str]) -> float:
    began = time.monotonic()
    process = start(stage, command)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return time.monotonic() - began


def kill_at_random(stage, command: list[str], duration: float, rng: random.Random) -> None:
    process = start(stage, command)
    time.sleep(rng.uniform(0.4, 1.05) * duration)  # the first part is interpreter start-up
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_writers_killed_at_random_points_lose_nothing_and_leave_no_litter(stage, tmp_path):
    rng = random.Random(SEED)
    write_focus(stage.focus, days=20)
    commands = {"import": ["import", str(stage.focus)], "refresh": ["refresh", "--quiet"]}
    current = totals(stage.cache)
    kills = litter_seen = 0
    for name, command in commands.items():
        # What a complete run publishes, and how long it takes, from a copy of the cache.
        real_cache, stage.cache = stage.cache, tmp_path / f"trial-{name}.duckdb"
        shutil.copyfile(real_cache, stage.cache)
        duration = finish(stage, command)
        target = totals(stage.cache)
        stage.cache = real_cache
        for _ in range(KILLS[name]):
            kill_at_random(stage, command, duration, rng)
            kills += 1
            now = totals(stage.cache)  # always readable: the old snapshot or the new one, whole
            assert now in (current, target), f"seed {SEED}: {name} killed, cache holds {now}"
            current = now
            litter_seen += bool(litter(stage.cache, stage.temp))
        finish(stage, command)
        assert totals(stage.cache) == target
        assert litter(stage.cache, stage.temp) == [], f"seed {SEED}: {name} left litter"
        current = target
    # `demo` is the slowest writer (over 200,000 rows whatever --rows says): one complete run
    # first, then kills of the same run, each of which must leave exactly that snapshot.
    demo = ["demo", "--no-tui", "--rows", "2000"]
    duration = finish(stage, demo)
    target = totals(stage.cache)
    for _ in range(KILLS["demo"]):
        kill_at_random(stage, demo, duration, rng)
        kills += 1
        assert totals(stage.cache) == target, f"seed {SEED}: demo killed"
        litter_seen += bool(litter(stage.cache, stage.temp))
    finish(stage, commands["import"])  # the next good write
    assert litter(stage.cache, stage.temp) == [], f"seed {SEED}: demo left litter"
    assert kills >= 20
    assert litter_seen > 0, f"seed {SEED}: no kill landed inside a write; the test proved nothing"
