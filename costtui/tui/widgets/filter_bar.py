"""The `/` filter: an input under the tables that narrows the visible table's rows by name as you type."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class FilterBar(Input):
    """Hidden until `/`; Enter keeps the filter and returns to the table, Esc clears it."""

    BINDINGS = [Binding("escape", "clear_filter", "Clear filter", show=False, id="filter.clear")]

    def __init__(self, **kwargs) -> None:
        super().__init__(placeholder="filter rows by name (Enter keeps, Esc clears)", **kwargs)
        self.cursor_blink = False  # a steady cursor: the same screen every time it is looked at

    @property
    def focusable(self) -> bool:
        # Hidden, it must not take the focus: Textual focuses the first focusable widget at start,
        # and keys pressed before the first figures (`2`, `d`) were typed into the hidden filter.
        return self.has_class("-visible") and super().focusable

    def open(self) -> None:
        self.add_class("-visible")
        self.focus()

    def action_clear_filter(self) -> None:
        self.value = ""
        self.remove_class("-visible")
        self.app.call_later(self.app.action_focus_table)

    @property
    def active(self) -> bool:
        return bool(self.value.strip())

    @property
    def note(self) -> str:
        """What the status line says of the filter: `filter "ec2"`, or nothing."""
        return f'filter "{self.value.strip()}"' if self.active else ""
