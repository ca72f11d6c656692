"""The `?` screen: every key of the dashboard and what it does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label


class HelpScreen(ModalScreen[None]):
    """A modal list of the app's key bindings; Escape, `?` or `q` closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("question_mark", "dismiss", "Close", show=False, id="help.close-question"),
        Binding("q", "dismiss", "Close", show=False, id="help.close-q"),
    ]

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self.key_bindings = bindings

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Label("Keys", id="help-title")
            table: DataTable = DataTable(id="help-keys", cursor_type="none", show_cursor=False)
            table.add_columns("Key", "Action")
            for binding in self.key_bindings:
                table.add_row(self.app.get_key_display(binding), binding.tooltip or binding.description)
            yield table
            yield Label("Select a table header to sort by it. Esc closes.", id="help-hint")
