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

    def __init__(self, bindings: list[Binding], extra: list[tuple[str, str]] = ()) -> None:
        super().__init__()
        self.key_bindings = bindings
        self.extra = list(extra)

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Label("Keys (also in the command palette, ctrl+p)", id="help-title")
            table: DataTable = DataTable(id="help-keys", cursor_type="none", show_cursor=False)
            table.add_columns("Key", "Action")
            for binding in self.key_bindings:
                table.add_row(self.app.get_key_display(binding), binding.tooltip or binding.description)
            for key, text in self.extra:
                table.add_row(key, text)
            yield table
            yield Label("Esc closes.", id="help-hint")
