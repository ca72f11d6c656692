"""Screenshots of the dashboard on frozen demo data (today 2026-11-15, data as of 06:30 UTC, clock 09:30)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tui_helpers import make_app, settle, settle_drill


async def wait_for_data(pilot) -> None:
    await settle(pilot.app, pilot)


async def show_services(pilot) -> None:
    await wait_for_data(pilot)
    await pilot.press("2")
    await settle(pilot.app, pilot)


async def show_help(pilot) -> None:
    await wait_for_data(pilot)
    await pilot.press("question_mark")
    await settle(pilot.app, pilot)


def test_trends_tab_at_120x40(snap_compare, frozen_cache: Path, today: date) -> None:
    """Trends at 120x40: four month-to-date cards (AWS, Azure, GCP, All providers; 1-15 Nov in USD, each
    with its ▲/▼ change; the heading says the change is of the complete days 1-14 Nov vs 1-14 Oct), a
    line chart of daily billed cost per provider from 2026-10-16 to 2026-11-14, and the top 10 services
    table with provider, cost, share, change and a sparkline. The line under the header reads "Data as
    of 2026-11-15 06:30 UTC (3 h ago)", no banner."""
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


async def drill_into_top_service(pilot) -> None:
    await wait_for_data(pilot)
    await pilot.press("2", "enter")
    await settle_drill(pilot.app, pilot)


async def filter_services(pilot) -> None:
    await wait_for_data(pilot)
    await pilot.press("2", "slash", "c", "l", "o", "u", "d")
    await wait_for_data(pilot)


async def show_accounts(pilot) -> None:
    await wait_for_data(pilot)
    await pilot.press("3")
    await wait_for_data(pilot)
    assert pilot.app.query_one("#tabs").active == "accounts", "the key 3 was not applied"


def test_drill_down_into_a_service_at_120x40(snap_compare, frozen_cache: Path, today: date) -> None:
    """Enter on the top service (AWS EC2 - Compute): the status line ends with the breadcrumb "All > AWS >
    Amazon Elastic Compute Cloud - Compute (Esc: back)" and its range total; its daily chart (one AWS
    line, y from 0 with thousands separators); its accounts and its regions, each with cost, share and
    change vs the 30 days before."""
    assert snap_compare(make_app(frozen_cache, today), terminal_size=(120, 40), run_before=drill_into_top_service)


def test_drill_down_into_a_service_at_80x24(snap_compare, frozen_cache: Path, today: date) -> None:
    """The same drill-down at 80x24: names cut with "…", every figure whole, both tables visible."""
    assert snap_compare(make_app(frozen_cache, today), terminal_size=(80, 24), run_before=drill_into_top_service)


def test_filter_narrows_the_services(snap_compare, frozen_cache: Path, today: date) -> None:
    """`/` then "cloud": only services whose name holds "cloud" (CloudFront, Cloud Storage, Cloud SQL ...),
    the filter input at the bottom shows "cloud", the status line says filter "cloud"."""
    assert snap_compare(make_app(frozen_cache, today), terminal_size=(120, 40), run_before=filter_services)


def test_accounts_tab_at_80x24(snap_compare, frozen_cache: Path, today: date) -> None:
    """Accounts at 80x24: account names cut with "…", the Cost, Share and "vs before" columns whole; the
    sparkline column is left out for room."""
    assert snap_compare(make_app(frozen_cache, today), terminal_size=(80, 24), run_before=show_accounts)


def test_services_tab_at_80x24(snap_compare, frozen_cache: Path, today: date) -> None:
    """Services at 80x24: long service names cut with "…", figures whole, status in two lines."""
    assert snap_compare(make_app(frozen_cache, today), terminal_size=(80, 24), run_before=show_services)
