"""The custom range dialog: first and last day typed as dates, checked by the core's window rule."""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from costtui.core.windows import Window, WindowError, resolve_window


def parse_range(start_text: str, end_text: str, today: date) -> Window:
    """A window from two ISO dates (inclusive); WindowError naming the field at fault."""
    days = []
    for name, text in (("first day", start_text), ("last day", end_text)):
        try:
            days.append(date.fromisoformat(text.strip()))
        except ValueError:
            raise WindowError(name, f"{name}: {text.strip() or '(empty)'} is not a date like 2026-10-01") from None
    return resolve_window(today, 30, start=days[0], end=days[1], names=("first day", "last day", "days"))


class RangeScreen(ModalScreen[Window | None]):
    """Two date fields; Enter applies, Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="range.cancel")]

    def __init__(self, current: Window, today: date) -> None:
        super().__init__()
        self.current = current
        self.today = today

    def compose(self) -> ComposeResult:
        with Vertical(id="range-box"):
            yield Label("Custom range (inclusive, YYYY-MM-DD)", id="range-title")
            with Horizontal(id="range-fields"):
                yield Input(self.current.start.isoformat(), id="range-start", max_length=10)
                yield Label(" to ", classes="range-to")
                yield Input(self.current.end.isoformat(), id="range-end", max_length=10)
            yield Label("Enter applies · Tab next field · Esc cancels", id="range-error")

    @on(Input.Submitted)
    def _apply(self) -> None:
        try:
            window = parse_range(self.query_one("#range-start", Input).value,
                                 self.query_one("#range-end", Input).value, self.today)
        except WindowError as error:
            self.query_one("#range-error", Label).update(f"✖ {error}")
            return
        self.dismiss(window)

    def action_cancel(self) -> None:
        self.dismiss(None)
