"""Shown instead of the dashboard while the terminal is smaller than it can lay out without cutting
figures; it goes away by itself when the terminal grows again."""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

MIN_WIDTH, MIN_HEIGHT = 60, 18


def too_small(width: int, height: int) -> bool:
    return width < MIN_WIDTH or height < MIN_HEIGHT


class TooSmallScreen(ModalScreen[None]):
    """A plain message naming the size needed and the size there is; `q` still quits."""

    BINDINGS = [Binding("q", "app.quit", "Quit", id="too-small.quit")]

    def compose(self) -> ComposeResult:
        yield Static(self.message(self.app.size.width, self.app.size.height), id="too-small")

    def message(self, width: int, height: int) -> str:
        return (f"The terminal is {width}x{height}; costtui needs at least {MIN_WIDTH}x{MIN_HEIGHT}.\n"
                "Enlarge the window (or make the font smaller); q quits.")

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(Static).update(self.message(event.size.width, event.size.height))


def fit_to_size(app: App, width: int, height: int) -> None:
    """Below the minimum size a clear message replaces the dashboard, until the terminal grows."""
    small = too_small(width, height)
    shown = any(isinstance(screen, TooSmallScreen) for screen in app.screen_stack)
    if small and not shown:
        app.push_screen(TooSmallScreen())
    elif not small and shown and isinstance(app.screen, TooSmallScreen):
        app.pop_screen()
