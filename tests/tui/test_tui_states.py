"""The dashboard without good data: missing, empty, corrupt and stale caches, failed fetches, new snapshots."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import TabbedContent
from tui_helpers import FETCHED_AT, make_app, settle

from costtui.cache import FetchRecord, open_writer
from costtui.tui.widgets.cards import MonthToDateCard
from costtui.tui.widgets.status import Banner, empty_message

pytestmark = pytest.mark.anyio


def text_of(app, selector: str) -> str:
    return str(app.query_one(selector).render())


async def test_missing_cache_shows_how_to_get_data(cache_path: Path, today: date) -> None:
    app = make_app(cache_path, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.query_one("#empty").display
        assert text_of(app, "#empty") == empty_message(cache_path)
        assert not app.query_one(TabbedContent).display
        assert not app.query_one(Banner).has_class("-visible")


async def test_empty_cache_shows_how_to_get_data(cache_path: Path, today: date) -> None:
    with open_writer(cache_path):
        pass
    app = make_app(cache_path, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert text_of(app, "#empty") == empty_message(cache_path)
        assert not app.query_one(TabbedContent).display


async def test_corrupt_cache_shows_an_error_banner_instead_of_crashing(cache_path: Path, today: date) -> None:
    cache_path.write_bytes(b"this is not a duckdb database\n" * 200)
    app = make_app(cache_path, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        banner = app.query_one(Banner)
        assert banner.has_class("-visible") and banner.has_class("-error")
        assert str(cache_path) in text_of(app, "#banner")
        assert "could not be read" in text_of(app, "#empty")
        assert app.is_running


async def test_stale_data_shows_a_banner(frozen_cache: Path, today: date) -> None:
    app = make_app(frozen_cache, today, now=FETCHED_AT + timedelta(hours=40))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.query_one(Banner).has_class("-visible")
        assert "aws: data from 2026-11-15 06:30 UTC (40 h old), older than 36 h" in text_of(app, "#banner")
        assert "Data as of 2026-11-15 06:30 UTC (40 h ago)" in text_of(app, "#status")


async def test_fresh_data_shows_no_banner(frozen_cache: Path, today: date) -> None:
    app = make_app(frozen_cache, today, now=FETCHED_AT + timedelta(hours=3))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert not app.query_one(Banner).has_class("-visible")


async def test_a_failed_provider_fetch_is_named_in_the_banner(private_cache: Path, today: date) -> None:
    with open_writer(private_cache) as writer:
        writer.record_fetch(
            FetchRecord(
                provider="azure",
                source="exports",
                range_start=None,
                range_end=None,
                started_at=datetime(2026, 11, 15, 6, 0),
                finished_at=datetime(2026, 11, 15, 6, 1),
                status="error",
                error_kind="auth",
                error_message="storage account refused the credential",
            )
        )
    app = make_app(private_cache, today, now=datetime(2026, 11, 15, 7, 0))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert (
            "azure: fetch failing since 2026-11-15 06:01 UTC [auth]: storage account refused the credential; "
            "no successful fetch yet"
        ) in text_of(app, "#banner")


async def test_the_banner_names_the_stale_provider_and_since_when_not_the_healthy_one(tmp_path: Path) -> None:
    from tests.faces import build_stale_provider_cache

    now = datetime(2026, 11, 15, 9, 0)
    cache = build_stale_provider_cache(tmp_path / "stale.duckdb", now)
    app = make_app(cache, date(2026, 11, 15), now=now)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        banner = text_of(app, "#banner")
        assert app.query_one(Banner).has_class("-visible")
        assert "azure: fetch failing since 2026-11-13 09:00 UTC [unreachable]: listing c/" in banner
        assert "data from 2026-11-12 09:00 UTC (3 d old)" in banner
        assert "aws" not in banner


async def test_a_newly_published_snapshot_is_picked_up(private_cache: Path, today: date) -> None:
    app = make_app(private_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.query(MonthToDateCard)
        with open_writer(private_cache) as writer:
            writer.clear_charges()
        app.reload_if_new_snapshot()
        await settle(app, pilot)
        assert text_of(app, "#empty") == empty_message(private_cache)


async def test_an_unexpected_load_error_becomes_a_banner(
    demo_cache: Path, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_load(*args, **kwargs):
        raise ValueError("Binder Error: column charge_date not found")

    monkeypatch.setattr("costtui.tui.app.load_dashboard", broken_load)
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "Cannot read the cache: ValueError: Binder Error" in text_of(app, "#banner")
        assert app.is_running
