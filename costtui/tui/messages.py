"""Messages the loading worker posts to the app (the worker never touches widgets)."""

from __future__ import annotations

from textual.message import Message

from costtui.tui.data import DashboardData


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
