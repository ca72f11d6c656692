"""The alerts tab: recorded findings, newest first, coloured by severity; Enter shows one in full."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from costtui.tui.format import money, provider_name

NO_ALERTS = (
    "No alerts recorded. Threshold and anomaly alerts are evaluated by `costtui alerts` "
    "(and `costtui refresh --alerts`); what they find appears here."
)
SEVERITY_STYLES = {"critical": "bold red", "warning": "yellow"}


class AlertList(Vertical):
    """Alert events as a table; an explanation when there are none."""

    class Open(Message):
        def __init__(self, event: dict) -> None:
            super().__init__()
            self.event = event

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.events: tuple[dict, ...] = ()

    def compose(self) -> ComposeResult:
        yield Static(NO_ALERTS, id="alerts-empty", classes="empty-note")
        table: DataTable = DataTable(id="alerts-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("When (UTC)", "Severity", "Rule", "Provider", Text("Observed", justify="right"), "Message")
        yield table

    def show(self, events: tuple[dict, ...]) -> None:
        self.events = events
        table = self.query_one("#alerts-table", DataTable)
        table.clear()
        for event in events:
            observed = event.get("observed")
            style = SEVERITY_STYLES.get(event["severity"], "")
            table.add_row(
                f"{event['created_at']:%Y-%m-%d %H:%M}",
                Text(event["severity"], style=style),
                event["rule"],
                provider_name(event["provider"]) if event.get("provider") else "",
                Text(money(observed, event.get("currency") or ""), justify="right") if observed is not None else "",
                _first_line(str(event["message"]), 60),
            )
        self.query_one("#alerts-empty").display = not events
        table.display = bool(events)

    @on(DataTable.RowSelected, "#alerts-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.events):
            self.post_message(self.Open(self.events[event.cursor_row]))


def _first_line(text: str, width: int) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= width else line[: width - 1] + "…"
