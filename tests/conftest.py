"""Shared fixtures: a frozen "today", a demo cache built once per session."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from costtui.providers.demo import DemoProvider, demo_window
from costtui.refresh import load_once

# Dates appear in output and on screen: every test uses this "today".
TODAY = date(2026, 11, 15)


@pytest.fixture(scope="session")
def today() -> date:
    return TODAY


@pytest.fixture(scope="session")
def demo_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only demo cache (seed 42, today frozen). Tests must not write to it."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    start, end = demo_window(TODAY)
    load_once(DemoProvider(TODAY, seed=42), path, start, end, fresh=True, today=TODAY)
    return path


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    """A fresh, empty cache location for tests that write."""
    return tmp_path / "cache.duckdb"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's own config or cache."""
    monkeypatch.delenv("COSTTUI_CONFIG", raising=False)
    monkeypatch.delenv("COSTTUI_CACHE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


# The known-numbers cache and pinned "today" serve every face's tests (plugin, exporters, api, contrib).
from tests.faces import known_cache, pinned_today, stale_provider_cache  # noqa: E402,F401
from tests.tagcache import tagged_cache, tagged_demo_cache  # noqa: E402,F401
