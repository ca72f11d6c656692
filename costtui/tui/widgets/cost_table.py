"""A breakdown table: key columns, cost, share, change against the previous period and a sparkline;
`s`/`S` sort it (kept across reloads), a name filter narrows it, Enter asks to drill into a row. When
narrow, figures give way by priority (sparkline, then share, then change; cost never) and names
truncate: a number is never cut."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.message import Message

from costtui.tui.format import change_text, money, provider_name, share_text
from costtui.tui.rollup import Row
from costtui.tui.widgets.line_table import Column, LineTable

NUMBER_COLUMNS = ("cost", "share", "change")
MAX_ROWS_DRAWN = 300  # more rows than a screen can use; `/` and the sort reach the rest
SORT_CYCLE_FIRST = ("cost", "change", "share")  # `s` visits the figures first, then the names
NUMBER_LABELS = {"cost": "Cost", "share": "Share", "change": "vs before", "trend": "Trend", "delta": "Change"}
DROP_ORDER = ("trend", "share", "change")  # what a narrow table leaves out first (cost, delta never)
NUMBER_WIDTHS = {"share": 6, "change": 9}
MIN_NAME_WIDTH = 8
CELL_PADDING = 2  # each cell is padded by one on either side


def cost_order(row: Row) -> tuple:
    """The order a table starts in: the biggest cost first."""
    return (-row.cost, row.currency)


def row_filters(row: Row, drill: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """What Enter on `row` drills into: its values of the `drill` dimensions."""
    return tuple((d, row.name(d)) for d in drill)


@dataclass(frozen=True)
class KeyColumn:
    """A column showing one of the group keys (`provider`, `service`, `account_name` ...)."""

    label: str
    key: str


class CostTable(LineTable):
    """Rows in cost order until sorted otherwise; the sort survives new data."""

    class Drill(Message):
        """Enter on a row: the (dimension, value) filters that row stands for."""

        def __init__(self, table: CostTable, filters: tuple[tuple[str, str], ...]) -> None:
            super().__init__()
            self.table = table
            self.filters = filters

    class Pointed(Message):
        """The cursor rests on a row: the filters Enter would drill into (the app reads them ahead)."""

        def __init__(self, table: CostTable, filters: tuple[tuple[str, str], ...]) -> None:
            super().__init__()
            self.table = table
            self.filters = filters

    def __init__(self, columns: Sequence[KeyColumn], *, drill: tuple[str, ...] = (), limit: int | None = None,
                 delta: bool = False, id: str | None = None):
        super().__init__(id=id, zebra_stripes=True)
        self.key_columns = tuple(columns)
        self.drill = drill
        self.limit = limit
        self.all_rows: list[Row] = []
        self.rows_shown: list[Row] = []
        self.name_filter = ""
        self.sort_column = "cost"
        self.sort_reverse = False
        self.trends: dict[tuple, str] | None = None
        self.delta = delta  # a column of the change in money (what-changed tables)
        self.compared = True  # False: the period before is partly before the cached data (no changes)
        self.figure_columns: tuple[str, ...] = NUMBER_COLUMNS
        self.name_width: int | None = None  # the width names were cut to at the last fill
        self._shown_width = 0  # the table's width when it last had one

    @property
    def column_order(self) -> tuple[str, ...]:
        return (*(["delta"] if self.delta else []), *SORT_CYCLE_FIRST, *(column.key for column in self.key_columns))

    def on_mount(self) -> None:
        self.set_rows(self._columns_for([]), [])

    def _columns_for(self, lines: Sequence[Sequence[str | Text]]) -> list[Column]:
        """Columns as wide as their header and widest cell."""
        labels = [self._label(column.key, column.label) for column in self.key_columns]
        labels += [self._label(key, NUMBER_LABELS[key], right=key != "trend") for key in self.figure_columns]
        keys = [column.key for column in self.key_columns] + list(self.figure_columns)
        columns = []
        for index, (key, label) in enumerate(zip(keys, labels, strict=True)):
            widest = max((_cell_width(cells[index]) for cells in lines), default=0)
            columns.append(Column(key, label, max(label.cell_len, widest), right=key in (*NUMBER_COLUMNS, "delta")))
        return columns

    def _label(self, key: str, text: str, right: bool = False) -> Text:
        if key == self.sort_column:
            text += " ▲" if self._ascending() else " ▼"
        return Text(text, justify="right" if right else "left")

    def _ascending(self) -> bool:
        """Names read A-Z first, figures largest first; `S` flips either."""
        return (self.sort_column not in (*NUMBER_COLUMNS, "delta")) != self.sort_reverse

    def show(self, rows: Sequence[Row], trends: dict[tuple, str] | None = None, *, compared: bool = True) -> None:
        """New rows; `trends` are sparklines keyed (drill dimension values..., currency). Not `compared`:
        the period before lies partly before the cache's data, and no row's change is shown."""
        self.all_rows = list(rows)
        self.trends = trends
        self.compared = compared
        self._refill()

    def start_over(self) -> None:
        """As new, for other rows: cost order, no name filter, the cursor on the first row."""
        self.sort_column, self.sort_reverse, self.name_filter = "cost", False, ""
        self._cursor = 0  # quietly: the old rows' highlight would read their drill-downs ahead
        self.scroll_home(animate=False, immediate=True)

    def show_trends(self, trends: dict[tuple, str]) -> None:
        if trends is not self.trends:
            self.trends = trends
            self._refill()

    def on_resize(self) -> None:
        # A fill made while the layout was still settling cut names to a width that no longer holds.
        if self.all_rows and (self._choose_columns() != self.figure_columns or self._name_width() != self.name_width):
            self._refill()

    def set_filter(self, text: str) -> None:
        if (wanted := text.strip().lower()) != self.name_filter:
            self.name_filter = wanted
            self._refill()

    def action_next_sort(self) -> None:
        order = self.column_order
        self.sort_column = order[(order.index(self.sort_column) + 1) % len(order)]
        self.sort_reverse = False
        self._refill()

    def action_reverse_sort(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self._refill()

    @property
    def sort_text(self) -> str:
        labels = {column.key: column.label for column in self.key_columns} | NUMBER_LABELS
        return f"sorted by {labels[self.sort_column]} {'▲' if self._ascending() else '▼'}"

    @on(LineTable.HeaderSelected)
    def _sort_by_header(self, event: LineTable.HeaderSelected) -> None:
        event.stop()
        key = event.column_key
        if key == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = key, False
        self._refill()

    @on(LineTable.RowSelected)
    def _drill(self, event: LineTable.RowSelected) -> None:
        event.stop()
        if (filters := self._row_filters(event.cursor_row)) is not None:
            self.post_message(self.Drill(self, filters))

    @on(LineTable.RowHighlighted)
    def _pointed(self, event: LineTable.RowHighlighted) -> None:
        event.stop()
        if (filters := self._row_filters(event.cursor_row)) is not None:
            self.post_message(self.Pointed(self, filters).set_sender(self))

    def _row_filters(self, index: int) -> tuple[tuple[str, str], ...] | None:
        if self.drill and 0 <= index < len(self.rows_shown):
            return row_filters(self.rows_shown[index], self.drill)
        return None

    def _matches(self, row: Row) -> bool:
        if not self.name_filter:
            return True
        names = " ".join(self._key_value(column.key, row) for column in self.key_columns).lower()
        return self.name_filter in names

    def _sort_key(self, row: Row) -> tuple:
        column = self.sort_column
        if column == "cost":
            return cost_order(row)
        if column == "share":
            return (-(row.share if row.share is not None else Decimal("-Infinity")),)
        if column == "delta":
            return (-(row.cost - row.previous), row.currency)
        if column == "change":
            change = self._change(row)
            return (change is None, -(change or 0))
        return (self._key_value(column, row).lower(),)

    def _refill(self) -> None:
        rows = sorted((row for row in self.all_rows if self._matches(row)), key=self._sort_key)
        if self.sort_reverse:
            rows.reverse()
        self.rows_shown = rows[: self.limit] if self.limit else rows
        cursor = self.cursor_row
        self.figure_columns = self._choose_columns()
        width = self.name_width = self._name_width()
        lines: list[list[str | Text]] = []
        for row in self.rows_shown[:MAX_ROWS_DRAWN]:
            cells: list[str | Text] = [_cut(self._key_value(c.key, row), width) for c in self.key_columns]
            cells.append(Text(money(row.cost, row.currency), style="green" if row.cost < 0 else "", justify="right"))
            if "delta" in self.figure_columns:
                moved = row.cost - row.previous
                cells.append(Text(("+" if moved > 0 else "") + money(moved, row.currency),
                                  style="red" if moved > 0 else "green" if moved < 0 else "", justify="right"))
            if "share" in self.figure_columns:
                cells.append(Text(share_text(row.share), justify="right"))
            if "change" in self.figure_columns:
                change = self._change(row)
                style = "" if change is None or change == 0 else "red" if change > 0 else "green"
                cells.append(Text(change_text(change), style=style, justify="right"))
            if "trend" in self.figure_columns:
                cells.append(Text(self._trend(row), style="cyan"))
            lines.append(cells)
        columns = self._columns_for(lines)
        hidden = len(self.rows_shown) - MAX_ROWS_DRAWN
        if hidden > 0:
            lines.append([Text(f"… {hidden:,} more rows: / filters by name, s sorts", style="dim")])
        self.set_rows(columns, lines, cursor=min(max(cursor, 0), MAX_ROWS_DRAWN - 1))

    def _change(self, row: Row) -> Decimal | None:
        return row.change_percent if self.compared else None

    def _trend(self, row: Row) -> str:
        if not self.trends:
            return ""
        return self.trends.get((*(row.name(d) for d in self.drill), row.currency), "")

    def _widths(self) -> tuple[int, int, dict[str, int]]:
        """(table width, what the key columns need at least, each figure column's width)."""
        # Hidden (a tab not shown) it has no size: the width it had when last shown, so the fill made
        # as its tab is shown holds when the layout comes (not filled twice: ~25 ms on 10M rows).
        if self.size.width:
            self._shown_width = self.size.width
        width = self._shown_width or (self.app.size.width - 2)
        money_width = max((len(money(r.cost, r.currency)) for r in self.all_rows[:MAX_ROWS_DRAWN]), default=15)
        trend = max((len(line) for line in (self.trends or {}).values()), default=0)
        figures = {key: max(value, self._header_width(key, NUMBER_LABELS[key])) for key, value in
                   {"cost": money_width, **NUMBER_WIDTHS, "trend": trend, "delta": money_width + 1}.items()}
        names = sum(max(self._header_width(c.key, c.label), 5 if c.key == "provider" else MIN_NAME_WIDTH)
                    for c in self.key_columns)
        return width, names + CELL_PADDING * len(self.key_columns), figures

    def _header_width(self, key: str, label: str) -> int:
        """A column is as wide as its header too, with the sort indicator when sorted by it."""
        return len(label) + (2 if key == self.sort_column else 0)

    def _choose_columns(self) -> tuple[str, ...]:
        """The figure columns that fit beside the names at their narrowest, dropping by priority."""
        width, names, figures = self._widths()
        columns = [*NUMBER_COLUMNS[:1], *(["delta"] if self.delta else []), *NUMBER_COLUMNS[1:],
                   *(["trend"] if self.trends else [])]

        def fits() -> bool:
            return names + sum(figures[c] + CELL_PADDING for c in columns) <= width - 2

        for dropped in DROP_ORDER:
            if fits():
                break
            if dropped in columns:
                columns.remove(dropped)
        return tuple(columns)

    def _name_width(self) -> int | None:
        """Names give way so figures are never cut: each key column gets a fair part of what the
        figures leave (provider names are short and keep theirs)."""
        width, _, figures = self._widths()
        free = width - 2 - sum(figures[c] + CELL_PADDING for c in self.figure_columns) - CELL_PADDING * len(self.key_columns)
        names = [c for c in self.key_columns if c.key != "provider"]
        if any(c.key == "provider" for c in self.key_columns):
            free -= self._header_width("provider", "Provider")
        return max(MIN_NAME_WIDTH, free // max(1, len(names)))

    def _key_value(self, key: str, row: Row) -> str:
        value = row.keys.get(key)
        if key == "provider":
            return provider_name(str(value))
        return "" if value is None else str(value)


def _cell_width(cell: str | Text) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(cell)


def _cut(text: str, width: int | None) -> str:
    if width is None or len(text) <= width:
        return text
    return text[: width - 1] + "…"
