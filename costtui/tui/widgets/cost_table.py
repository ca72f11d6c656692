"""A sortable table of cost groups: key columns, cost, and share of the currency's total."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from rich.text import Text
from textual import on
from textual.widgets import DataTable

from costtui.model import CostGroup
from costtui.tui.format import money, provider_name, share_text


@dataclass(frozen=True)
class KeyColumn:
    """A column showing one of the group keys (`provider`, `service`, `account_name` ...)."""

    label: str
    key: str


@dataclass(frozen=True)
class TableRow:
    group: CostGroup
    share: Decimal | None


class CostTable(DataTable):
    """Cost groups in the order given (cost first); select a header to sort by it, again to reverse."""

    def __init__(self, columns: Sequence[KeyColumn], *, limit: int | None = None, id: str | None = None):
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.key_columns = tuple(columns)
        self.limit = limit
        self.rows_shown: list[TableRow] = []
        self._sort: tuple[int, bool] | None = None

    def on_mount(self) -> None:
        for column in self.key_columns:
            self.add_column(column.label, key=column.key)
        self.add_column(Text("Cost", justify="right"), key="cost")
        self.add_column(Text("Share", justify="right"), key="share")

    def show(self, groups: Sequence[CostGroup], totals: dict[str, Decimal]) -> None:
        """Show groups (already in cost order) with their share of their currency's total."""
        shown = groups[: self.limit] if self.limit else groups
        self.rows_shown = [
            TableRow(group, _share(group.cost, totals.get(group.currency, Decimal(0)))) for group in shown
        ]
        self._sort = None
        self._fill()

    @on(DataTable.HeaderSelected)
    def _sort_by_header(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        column = event.column_index
        reverse = self._sort is not None and self._sort == (column, False)
        self._sort = (column, reverse)
        self.rows_shown.sort(key=lambda row: self._sort_key(row, column), reverse=reverse)
        self._fill()

    def _sort_key(self, row: TableRow, column: int) -> tuple:
        if column < len(self.key_columns):
            return (str(row.group.keys.get(self.key_columns[column].key, "")).lower(),)
        if column == len(self.key_columns):
            # Largest first on the first press: that is what a cost column is sorted for.
            return (-row.group.cost, row.group.currency)
        return (-(row.share if row.share is not None else Decimal("-Infinity")),)

    def _fill(self) -> None:
        self.clear()
        for row in self.rows_shown:
            cells: list[str | Text] = [self._key_text(column, row.group) for column in self.key_columns]
            cost_style = "green" if row.group.cost < 0 else ""
            cells.append(Text(money(row.group.cost, row.group.currency), style=cost_style, justify="right"))
            cells.append(Text(share_text(row.share), justify="right"))
            self.add_row(*cells)

    @staticmethod
    def _key_text(column: KeyColumn, group: CostGroup) -> str:
        value = group.keys.get(column.key)
        if column.key == "provider":
            return provider_name(str(value))
        return "" if value is None else str(value)


def _share(cost: Decimal, total: Decimal) -> Decimal | None:
    return cost / total * 100 if total > 0 else None
