"""Fixtures for the headless commands: a cache with known numbers, and ways to run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from costtui.cache import FetchRecord, open_writer
from costtui.cache.writer import utcnow
from costtui.model import CostRow, ReplaceScope
from tests.cachefactory import row
from tests.conftest import TODAY

REPO = Path(__file__).resolve().parents[1]

# Known numbers, "today" 2026-11-15 (see each expected value in the tests):
#   aws 111 EC2   100.00/day billed (90.00 effective), 2026-10-01..2026-11-14, credit -50.00 on 2026-11-03
#   aws 111 S3     10.00/day, same days
#   aws 222 Lambda  1.00/day, same days
#   azure sub-1 VM 20.00 EUR/day, 2026-11-12..2026-11-14 only
KNOWN_START = date(2026, 10, 1)
LAST_DAY = TODAY - timedelta(days=1)


def known_rows() -> list[CostRow]:
    rows: list[CostRow] = []
    day = KNOWN_START
    while day <= LAST_DAY:
        rows.append(row(day, service="EC2", cost="100.00", effective="90.00"))
        rows.append(row(day, service="S3", cost="10.00"))
        rows.append(row(day, account="222", service="Lambda", cost="1.00"))
        if day >= date(2026, 11, 12):
            rows.append(row(day, provider="azure", account="sub-1", service="VM", cost="20.00", currency="EUR",
                            region="westeurope"))
        day += timedelta(days=1)
    rows.append(row(date(2026, 11, 3), service="EC2", cost="-50.00", category="Credit"))
    return rows


def build_cache(path: Path, rows: Sequence[CostRow], fetched_at: datetime | None,
                providers: Sequence[str] = ("aws", "azure"), status: str = "ok") -> Path:
    """Publish `rows` and, unless `fetched_at` is None, one fetch per provider finished then."""
    with open_writer(path) as writer:
        writer.replace_charges([ReplaceScope(p, KNOWN_START, LAST_DAY) for p in providers], rows)
        if fetched_at is not None:
            for provider in providers:
                writer.record_fetch(FetchRecord(provider, "test", KNOWN_START, LAST_DAY, fetched_at,
                                                fetched_at, status))
    return path


@pytest.fixture(scope="session")
def known_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Read-only: the known numbers, fetched an hour ago."""
    path = tmp_path_factory.mktemp("known") / "known.duckdb"
    return build_cache(path, known_rows(), utcnow() - timedelta(hours=1))


@pytest.fixture
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setenv("COSTTUI_TODAY", TODAY.isoformat())
    return TODAY


def run_costtui(args: Sequence[str], env: dict[str, str] | None = None, timeout: float = 60,
                today: date | None = TODAY) -> subprocess.CompletedProcess:
    """`python -m costtui ARGS` as a real process (today pinned unless None)."""
    full_env = {**os.environ, **(env or {})}
    if today is not None:
        full_env["COSTTUI_TODAY"] = today.isoformat()
    return subprocess.run([sys.executable, "-m", "costtui", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=REPO)


@contextmanager
def costtui_server(cache: Path, today: date, *options: str) -> Iterator[str]:
    """`costtui [OPTIONS] --cache CACHE serve` on a free port, today pinned, until the with-block ends;
    yields its base URL once /api/health/live answers."""
    from tests.emulators import free_port, http_ok, running_server

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "costtui", *options, "--cache", str(cache), "serve", "--port", str(port), "--quiet"]
    with running_server(argv, ready=http_ok(f"{base}/api/health/live"), name="costtui serve",
                        env={**os.environ, "COSTTUI_TODAY": today.isoformat()}, cwd=REPO):
        yield base


def require_binary(name: str) -> str:
    """The path of a tool the tests run; fails in CI, skips elsewhere, when it is missing."""
    from tests.emulators import on_path

    return on_path(name)


STALE_ERROR = "listing c/: cannot reach container 'c' (ServiceRequestError)\nTraceback-like second line"


def build_stale_provider_cache(path: Path, now: datetime) -> Path:
    """The known numbers; aws fetched fine an hour before `now`; azure's last success was 3 days
    before, and every fetch since 2 days before failed (unreachable), the newest an hour before."""
    build_cache(path, [r for r in known_rows() if r.provider == "aws"], now - timedelta(hours=1), providers=("aws",))
    with open_writer(path) as writer:
        writer.replace_charges([ReplaceScope("azure", KNOWN_START, LAST_DAY)],
                               [r for r in known_rows() if r.provider == "azure"])
        for hours_ago, status in ((72, "ok"), (48, "error"), (24, "error"), (1, "error")):
            moment = now - timedelta(hours=hours_ago)
            failed = status == "error"
            writer.record_fetch(FetchRecord("azure", "exports", KNOWN_START, LAST_DAY, moment, moment, status,
                                            "unreachable" if failed else None, STALE_ERROR if failed else None,
                                            duration_seconds=1.5))
    return path


@pytest.fixture
def stale_provider_cache(tmp_path: Path) -> Path:
    """A cache where azure's fetches fail since two days ago (see build_stale_provider_cache); now = real now."""
    return build_stale_provider_cache(tmp_path / "stale-azure.duckdb", utcnow())
