"""The alerts tab: recorded alert events, newest first, or a plain empty state."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from costtui.tui.format import money, provider_name

NO_ALERTS = (
    "No alerts recorded. Threshold and anomaly alerts are evaluated by `costtui alerts`; "
    "what they find appears here."
)


class AlertList(Vertical):
    """Alert events as a table; an explanation when there are none."""

    def compose(self) -> ComposeResult:
        yield Static(NO_ALERTS, id="alerts-empty", classes="empty-note")
        table: DataTable = DataTable(id="alerts-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("When (UTC)", "Severity", "Rule", "Provider", "Observed", "Message")
        yield table

    def show(self, events: tuple[dict, ...]) -> None:
        table = self.query_one("#alerts-table", DataTable)
        table.clear()
        for event in events:
            observed = event.get("observed")
            table.add_row(
                f"{event['created_at']:%Y-%m-%d %H:%M}",
                event["severity"],
                event["rule"],
                provider_name(event["provider"]) if event.get("provider") else "",
                money(observed, event.get("currency") or "") if observed is not None else "",
                event["message"],
            )
        self.query_one("#alerts-empty").display = not events
        table.display = bool(events)
