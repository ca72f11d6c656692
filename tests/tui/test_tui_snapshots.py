"""Screenshots of the dashboard on frozen demo data (today 2026-11-15, data as of 06:30 UTC, clock 09:30)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tui_helpers import make_app, settle


async def wait_for_data(pilot) -> None:
    await settle(pilot.app, pilot)


async def show_services(pilot) -> None:
    await wait_for_data(pilot)
    await pilot.press("2")
    await pilot.pause()


async def show_help(pilot) -> None:
    await wait_for_data(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


def test_trends_tab_at_120x40(snap_compare, frozen_cache: Path, today: date) -> None:
    """Trends at 120x40: four month-to-date cards (AWS, Azure, GCP, All providers; 1-15 Nov in USD, each
    with ▲/▼ change vs 1-15 Oct), a line chart of daily billed cost per provider from 2026-10-16 to
    2026-11-14, and the top 10 services table with provider, cost and share. The line under the header
    reads "Data as of 2026-11-15 06:30 UTC (3 h ago)", no banner."""
    assert snap_compare(make_app(frozen_cache, today), terminal_size=(120, 40), run_before=wait_for_data)


def test_trends_tab_survives_80x24(snap_compare, frozen_cache: Path, today: date) -> None:
    """Trends at 80x24: the status line wraps, the cards still show their figures in full, the chart is
    cut off at the bottom edge of a scrollable pane (scrollbar at the right), the footer stays visible."""
    assert snap_compare(make_app(frozen_cache, today), terminal_size=(80, 24), run_before=wait_for_data)


def test_services_tab(snap_compare, frozen_cache: Path, today: date) -> None:
    """Services tab after pressing 2: every service of the last 30 days, largest cost first, with its
    provider and share of the total; the Services tab is highlighted."""
    assert snap_compare(make_app(frozen_cache, today), terminal_size=(120, 40), run_before=show_services)


def test_help_screen(snap_compare, frozen_cache: Path, today: date) -> None:
    """`?` opens a centred modal listing every key (q r d m g p ? and 1-5) with what it does, over the
    dimmed dashboard."""
    assert snap_compare(make_app(frozen_cache, today), terminal_size=(120, 40), run_before=show_help)


def test_empty_cache_message(snap_compare, tmp_path: Path, monkeypatch, today: date) -> None:
    """No cache file: the centre of the screen says "No cost data yet. Run `costtui demo` or `costtui
    refresh`.", the line under the header says "No cost data in missing.duckdb", no tabs, the footer
    still lists the keys."""
    monkeypatch.chdir(tmp_path)  # a relative path keeps the screen the same on every run
    app = make_app(Path("missing.duckdb"), today)
    assert snap_compare(app, terminal_size=(80, 24), run_before=wait_for_data)
