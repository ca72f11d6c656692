"""Removing what crashed writers left behind, so a few `kill -9`s never fill a disk.

Two kinds of litter: a writer's private copy of the cache (a `.<cache name>.XXXX` folder
beside it; only the lock holder makes one, so under the lock every such folder is a dead
writer's), and scratch folders in the temp dir (`costtui-<job>-<pid>-XXXX`, made before the
lock is taken, so only those whose process is gone are removed)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

SCRATCH_PREFIX = "costtui-"
_SCRATCH_NAME = re.compile(r"^costtui-[a-z]+-(\d+)-")


def scratch_prefix(job: str) -> str:
    """The mkdtemp prefix of a scratch folder, naming its owner process."""
    return f"{SCRATCH_PREFIX}{job}-{os.getpid()}-"


def private_copy_prefix(cache: Path) -> str:
    return f".{cache.name}."


def remove_litter(cache: Path, temp_dir: str | None = None) -> list[Path]:
    """Call with the write lock held. Returns what was removed."""
    removed = [p for p in _dead_private_copies(cache) if _remove(p)]
    removed += [p for p in _dead_scratch_folders(Path(temp_dir or tempfile.gettempdir())) if _remove(p)]
    return removed


def _dead_private_copies(cache: Path) -> list[Path]:
    prefix = private_copy_prefix(cache)
    try:
        entries = list(cache.parent.iterdir())
    except OSError:
        return []
    return [p for p in entries if p.name.startswith(prefix) and p.is_dir() and not p.is_symlink()]


def _dead_scratch_folders(temp_dir: Path) -> list[Path]:
    try:
        entries = list(temp_dir.iterdir())
    except OSError:
        return []
    uid = os.getuid()
    dead = []
    for entry in entries:
        match = _SCRATCH_NAME.match(entry.name)
        if not match or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue  # another user's run: not ours to judge
        except OSError:
            continue
        if not process_alive(int(match.group(1))):
            dead.append(entry)
    return dead


def process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _remove(path: Path) -> bool:
    shutil.rmtree(path, ignore_errors=True)
    return not path.exists()
