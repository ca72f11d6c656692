"""Messages the loading worker posts to the app (the worker never touches widgets)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from textual.app import App
from textual.message import Message

from costtui.tui.data import DashboardData

AppT = TypeVar("AppT", bound=App)


class DashboardLoaded(Message):
    """A load finished; `data` is None when the cache holds no cost data."""

    def __init__(self, generation: int, data: DashboardData | None) -> None:
        super().__init__()
        self.generation = generation
        self.data = data


class LoadFailed(Message):
    """A load failed with a message for the user."""

    def __init__(self, generation: int, message: str) -> None:
        super().__init__()
        self.generation = generation
        self.message = message


class ForecastLoaded(Message):
    """The month-end forecast per (provider, currency) for the choices in `key`."""

    def __init__(self, key: tuple, forecasts: dict) -> None:
        super().__init__()
        self.key = key
        self.forecasts = forecasts


class DrillLoaded(Message):
    """A drill-down's own read (what the dashboard's sums cannot answer)."""

    def __init__(self, screen, data: DashboardData) -> None:
        super().__init__()
        self.screen = screen
        self.data = data


class DrillAheadLoaded(Message):
    """The drill-down of a row read ahead (`data.drills` holds it already)."""

    def __init__(self, data: DashboardData, filters: tuple) -> None:
        super().__init__()
        self.data = data
        self.filters = filters


class DrillAheadStopped(Message):
    """A read ahead was stopped (the cursor left its row): the next one may start."""


class DaySumsLoaded(Message):
    """Sums by time bucket for the sparklines of one breakdown (`data.day_sums` holds them already)."""

    def __init__(self, data: DashboardData) -> None:
        super().__init__()
        self.data = data


class ChangesLoaded(Message):
    """A day's movers by `dimension`, read for the choices `options`."""

    def __init__(self, screen, dimension: str, options, rows: list) -> None:
        super().__init__()
        self.screen = screen
        self.dimension = dimension
        self.options = options
        self.rows = rows


def while_running(handler: Callable[[AppT, Any], None]) -> Callable[[AppT, Any], None]:
    """A worker's result that arrives while the app shuts down (q during a load) finds its widgets
    already removed: drop it rather than fail on the way out."""

    @functools.wraps(handler)
    def handle(app: AppT, message: Any) -> None:
        if app.is_running:
            handler(app, message)

    return handle
