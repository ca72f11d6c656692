"""A read-only table drawn line by line from cells prepared once per fill.

Textual's DataTable renders every visible cell through Rich's console (padding, wrapping, styling)
again whenever focus, the cursor, scrolling or the data change, and measures each new row on the next
idle moment. On this machine that was most of a key's time in the dashboard: switching to a tab of
75 rows took ~130 ms in bare Textual, filling 300 rows ~40 ms more (bench/tui_keys.py). Our tables
need less: one-line rows, explicit column widths, a row cursor, a fixed header. So each row becomes
a list of segments once, and a line on screen is that list with the row's style applied, cached
until the next fill. DataTable's look (header, zebra stripes, cursor colours) is kept via the same
theme variables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cell = str | Text
PAD = 1  # one blank cell either side of each column, as DataTable draws them


@dataclass(frozen=True)
class Column:
    key: str
    label: Text
    width: int  # the content width; the column takes PAD more on either side
    right: bool = False  # figures align right

    @property
    def render_width(self) -> int:
        return self.width + 2 * PAD


class LineTable(ScrollView, can_focus=True):
    """Rows of cells under a fixed header, with a row cursor. Enter or a click on the cursor's row
    selects it; a click on a header selects that column."""

    DEFAULT_CSS = """
    LineTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        overflow-x: hidden;
        overflow-y: auto;
        &:focus {
            background-tint: $foreground 5%;
            & > .line-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .line-table--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .line-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .line-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .line-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .line-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .line-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    COMPONENT_CLASSES = {"line-table--header", "line-table--even-row", "line-table--cursor"}
    BINDINGS = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first_row", "First row", show=False),
        Binding("end", "last_row", "Last row", show=False),
    ]

    class RowSelected(Message):
        def __init__(self, table: LineTable, cursor_row: int) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = cursor_row

    class RowHighlighted(Message):
        """The cursor rests on a new row (moved, new rows, or the table took the focus)."""

        def __init__(self, table: LineTable, cursor_row: int) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = cursor_row

    class HeaderSelected(Message):
        def __init__(self, table: LineTable, column_key: str) -> None:
            super().__init__()
            self.table = table
            self.column_key = column_key

    def __init__(self, *, id: str | None = None, zebra_stripes: bool = True) -> None:
        super().__init__(id=id)
        self.zebra_stripes = zebra_stripes
        self.ordered_columns: list[Column] = []
        self._rows: list[Sequence[Cell]] = []
        self._segments: dict[int, list[Segment]] = {}  # row -> its cells as segments, made when first drawn
        self._lines: dict[tuple, Strip] = {}
        self._cursor = 0
        self._paint: tuple[Style, Style, Style, Style] | None = None

    # --- data ------------------------------------------------------------------------------------

    def set_rows(self, columns: Sequence[Column], rows: Sequence[Sequence[Cell]], cursor: int = 0) -> None:
        """Replace everything shown. The cursor stays on the same row number where there is one."""
        self.ordered_columns = list(columns)
        self._rows = list(rows)
        self._segments.clear()
        self._lines.clear()
        self._cursor = min(max(cursor, 0), max(len(self._rows) - 1, 0))
        self.virtual_size = Size(sum(c.render_width for c in self.ordered_columns), len(self._rows) + 1)
        self._scroll_cursor_visible()
        self.refresh()
        self._highlighted()

    @property
    def columns(self) -> dict[str, Column]:
        return {column.key: column for column in self.ordered_columns}

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def get_row_at(self, index: int) -> list[Cell]:
        return list(self._rows[index])

    @property
    def cursor_row(self) -> int:
        return self._cursor if self._rows else -1

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        if not self._rows:
            return
        row = min(max(row, 0), len(self._rows) - 1)
        if row != self._cursor:
            self._cursor = row
            self.refresh()
            self._highlighted()
        self._scroll_cursor_visible()

    def _highlighted(self, focused: bool = False) -> None:
        if self._rows and (focused or self.has_focus):
            # Sent as the table's own: when a screen fills it from its on_mount, Textual would take the screen
            # as the sender and stop the message at the screen, short of the app.
            self.post_message(self.RowHighlighted(self, self._cursor).set_sender(self))

    # --- keys and mouse --------------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self._cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self._cursor - self._page())

    def action_page_down(self) -> None:
        self.move_cursor(row=self._cursor + self._page())

    def action_first_row(self) -> None:
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=len(self._rows) - 1)

    def action_select_cursor(self) -> None:
        if self._rows:
            self.post_message(self.RowSelected(self, self._cursor))

    def _on_click(self, event: events.Click) -> None:
        if event.y == 0:
            x = event.x + round(self.scroll_x)
            for column in self.ordered_columns:
                if x < column.render_width:
                    self.post_message(self.HeaderSelected(self, column.key))
                    return
                x -= column.render_width
            return
        row = round(self.scroll_y) + event.y - 1
        if 0 <= row < len(self._rows):
            if row == self._cursor:
                self.action_select_cursor()
            else:
                self.move_cursor(row=row)

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_cursor_visible(self) -> None:
        top, rows = round(self.scroll_y), self._page()
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + rows:
            self.scroll_to(y=self._cursor - rows + 1, animate=False, immediate=True)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self.refresh()

    def _on_focus(self, event: events.Focus) -> None:
        self.refresh()
        self._highlighted(focused=True)  # Widget's own Focus handler, which sets has_focus, runs after this

    def _on_blur(self, event: events.Blur) -> None:
        self.refresh()

    # --- drawing ---------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        self._paint = None
        super().notify_style_update()

    def _styles(self) -> tuple[Style, Style, Style, Style]:
        """(base, header, cursor, even row): worked out from the CSS once per style change, not per
        line (each look-up walks the ancestors: ~0.25 ms, 40 times a repaint)."""
        if self._paint is None:
            self._paint = (self.rich_style, *(self.get_component_rich_style(f"line-table--{name}", partial=True)
                                              for name in ("header", "cursor", "even-row")))
        return self._paint

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base, header, cursor, even_row = self._styles()
        if y == 0:
            return self._line(("header", width, base), width, base,
                              lambda: self._cells([c.label for c in self.ordered_columns]), header)
        row = round(self.scroll_y) + y - 1
        if not 0 <= row < len(self._rows):
            return Strip.blank(width, base)
        if row == self._cursor:
            # The cursor's colours win over the cells' own (a red change is readable on the cursor).
            return self._line((row, "cursor", width, base, self.has_focus, cursor), width, base,
                              lambda: self._row_segments(row), post=cursor)
        even = self.zebra_stripes and row % 2 == 1
        return self._line((row, even, width, base), width, base, lambda: self._row_segments(row),
                          even_row if even else None)

    def _line(self, key: tuple, width: int, base: Style, segments, style: Style | None = None,
              post: Style | None = None) -> Strip:
        line = self._lines.get(key)
        if line is None:
            under = base + style if style is not None else base
            line = Strip(Segment.apply_style(segments(), under, post))
            line = line.crop_extend(0, width, under + post if post is not None else under)
            self._lines[key] = line
        return line

    def _row_segments(self, row: int) -> list[Segment]:
        found = self._segments.get(row)
        if found is None:
            found = self._segments[row] = self._cells(self._rows[row])
        return found

    def _cells(self, cells: Sequence[Cell]) -> list[Segment]:
        segments: list[Segment] = []
        pad = Segment(" " * PAD)
        console = self.app.console
        for column, cell in zip(self.ordered_columns, cells, strict=False):
            segments.append(pad)
            segments.extend(_fit(cell, column.width, column.right, console))
            segments.append(pad)
        return segments


def _fit(cell: Cell, width: int, right: bool, console: Console) -> list[Segment]:
    """One cell as exactly `width` cells: cut at the end if too long, padded on its aligned side."""
    if isinstance(cell, str):
        if cell_len(cell) > width:
            cell = set_cell_size(cell, width)
        blank = " " * (width - cell_len(cell))
        return [Segment(blank + cell if right else cell + blank)]
    length = cell.cell_len
    if length > width:
        cell = cell[:width]  # only a name is ever this long; they are cut with an ellipsis before
        length = cell.cell_len
    blank = Segment(" " * (width - length))
    parts = list(cell.render(console))  # the spans' styles; the text's own style is laid under them here
    if cell.style:
        parts = list(Segment.apply_style(parts, console.get_style(cell.style)))
    right = right or cell.justify == "right"
    return ([blank, *parts] if right else [*parts, blank]) if width > length else parts
