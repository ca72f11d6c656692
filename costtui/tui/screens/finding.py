"""One alert finding in full: rule, severity, figures and the whole message."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from costtui.tui.format import money, provider_name


class FindingScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "dismiss", "Close", id="finding.close"),
                Binding("enter", "dismiss", "Close", show=False, id="finding.close-enter")]

    def __init__(self, event: dict) -> None:
        super().__init__()
        self.event = event

    def compose(self) -> ComposeResult:
        event = self.event
        lines = [f"When: {event['created_at']:%Y-%m-%d %H:%M} UTC", f"Severity: {event['severity']}",
                 f"Rule: {event['rule']} ({event.get('kind', '')})"]
        if event.get("provider"):
            lines.append(f"Provider: {provider_name(event['provider'])}")
        currency = event.get("currency") or ""
        for key in ("observed", "threshold", "expected"):
            if event.get(key) is not None:
                lines.append(f"{key.title()}: {money(event[key], currency)}")
        with Vertical(id="finding-box"):
            yield Label(f"{event['severity'].upper()} · {event['rule']}", id="finding-title")
            yield Static("\n".join(lines))
            yield Static(str(event.get("message", "")), id="finding-message")
            yield Label("Esc closes", classes="hint")
