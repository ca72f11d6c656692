"""Fixtures for dashboard tests: the demo cache with a pinned freshness, a writable copy, the async backend."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
import pytest_textual_snapshot
from tui_helpers import FETCHED_AT

from costtui.cache import FetchRecord, open_writer

SNAPSHOT_ROOT = Path(__file__).resolve().parents[2] / "snapshots"


class TopLevelSnapshots(pytest_textual_snapshot.SVGImageExtension):
    """Accepted screens live in the repository's top-level snapshots/<test module>/ folder,
    where reviewers look for them, rather than syrupy's default tests/tui/__snapshots__."""

    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(SNAPSHOT_ROOT / Path(test_location.filepath).stem)


# snap_compare picks its extension by this module-level name at call time (pinned plugin 1.1.0).
pytest_textual_snapshot.SVGImageExtension = TopLevelSnapshots


@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests run on asyncio (anyio's pytest plugin drives them: `pytest.mark.anyio`)."""
    return "asyncio"


@pytest.fixture(scope="session")
def frozen_cache(demo_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data with a fixed data-as-of time (a recorded fetch), so screens are reproducible."""
    path = tmp_path_factory.mktemp("frozen") / "cache.duckdb"
    shutil.copyfile(demo_cache, path)
    with open_writer(path) as writer:
        writer.record_fetch(
            FetchRecord(
                provider="aws",
                source="demo",
                range_start=date(2025, 10, 1),
                range_end=date(2026, 11, 14),
                started_at=FETCHED_AT - timedelta(minutes=1),
                finished_at=FETCHED_AT,
                status="ok",
                row_count=1,
            )
        )
    return path


@pytest.fixture
def private_cache(demo_cache: Path, tmp_path: Path) -> Path:
    """A writable copy of the demo cache for tests that publish new snapshots."""
    path = tmp_path / "cache.duckdb"
    shutil.copyfile(demo_cache, path)
    return path
