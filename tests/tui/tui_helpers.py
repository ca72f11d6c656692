"""Helpers for dashboard tests: an app with a frozen clock, and waiting for its loads."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from pathlib import Path

from textual.widgets import DataTable

from costtui.config import Config
from costtui.tui.app import CostApp

# The pinned "last successful fetch" of the frozen cache, and the frozen clock a few hours later.
FETCHED_AT = datetime(2026, 11, 15, 6, 30)
NOW = FETCHED_AT + timedelta(hours=3)


def make_app(cache_path: Path, today: date, now: datetime = NOW, config: Config | None = None) -> CostApp:
    return CostApp(config=config or Config(), cache_path=cache_path, today=today, clock=lambda: now)


async def settle(app: CostApp, pilot) -> None:
    """Wait for the loading worker, then for the messages (keys too) and layout it caused.

    DataTable measures new rows on its next Idle event, so screenshots also wait until no table has
    rows left to measure (textual 8.2 keeps that state in private attributes)."""
    # A finished load can start another (sparklines' day sums after a breakdown is shown), so wait
    # until two looks in a row find no worker running and no table left to measure.
    # First the start-up: until the first load has begun and ended, a key could land before the
    # tabs are mounted (their initial tab then wins) and the workers below may not exist yet. After
    # any load, its reads ahead start on a timer: a quick machine is quiet before it fires, and the
    # reads (and the first drill screens' composing) would land in the test's next steps.
    deadline = time.monotonic() + 60
    while not (app.loading.generation and not app.loading.busy and not app.loading.ahead_due):
        assert time.monotonic() < deadline, "the first load did not end within 60 s"
        await pilot.pause(0.02)
    quiet = 0
    for _ in range(100):
        await app.workers.wait_for_complete()
        await pilot.pause()
        tables = list(app.screen.query(DataTable))
        busy = app.loading.ahead_due or any(not worker.is_finished for worker in app.workers) or any(
            table._require_update_dimensions or table._updated_cells for table in tables) or unhandled_messages(app)
        quiet = 0 if busy else quiet + 1
        if quiet >= 2:
            break


def unhandled_messages(app: CostApp) -> bool:
    """A key or a load's result still queued. Pilot's own waits watch the process's CPU, and a read
    on another thread (the ranges read ahead) can make them return before a key is handled."""
    nodes = [app, *app.screen_stack, *app.screen.walk_children()]
    return any(not node._message_queue.empty() for node in nodes)


async def settle_drill(app: CostApp, pilot) -> None:
    """A drill-down the in-memory sums cannot answer reads its own slice: wait for that too."""
    for _ in range(200):
        await settle(app, pilot)
        screen = app.screen
        if getattr(screen, "local", None) is not None or (app.data is not None and screen.answers(app.data)):
            break
    await settle(app, pilot)
