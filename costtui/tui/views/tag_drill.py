"""A tag value's drill-down: the spend tagged KEY = VALUE (or untagged) in the dashboard's range,
by service and by account, each against the period before. Esc goes back to the Tags tab."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Label

from costtui.core.tags import UNTAGGED
from costtui.model import CostError
from costtui.tui.data import ViewOptions
from costtui.tui.format import day_span
from costtui.tui.tags import TagDrillData, load_tag_drill
from costtui.tui.widgets.cost_table import CostTable, KeyColumn

SERVICES = [KeyColumn("Provider", "provider"), KeyColumn("Service", "service")]
ACCOUNTS = [KeyColumn("Provider", "provider"), KeyColumn("Account", "account"), KeyColumn("Name", "account_name")]


class TagDrillScreen(Screen[None]):
    """Services and accounts of one tag value."""

    BINDINGS = [Binding("escape", "dismiss", "Back", tooltip="Back to the Tags tab", id="tag_drill.back")]

    class Loaded(Message):
        def __init__(self, data: TagDrillData | None, error: str | None = None) -> None:
            super().__init__()
            self.data = data
            self.error = error

    def __init__(self, cache_path: Path, options: ViewOptions, today: date, key: str, value: str | None) -> None:
        super().__init__()
        self.cache_path = cache_path
        self.options = options
        self.today = today
        self.key = key
        self.value = value
        self.data: TagDrillData | None = None

    @property
    def scope(self) -> str:
        return f"{self.key} = {self.value if self.value is not None else UNTAGGED}"

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield Label(f"Tags > {self.scope} (loading…)", id="tag-drill-status")
        with Vertical(id="drill-body"):
            with Vertical(classes="breakdown"):
                yield Label("", classes="section-title breakdown-title", id="tag-drill-services-title")
                yield CostTable(SERVICES, id="tag-drill-services")
            with Vertical(classes="breakdown"):
                yield Label("", classes="section-title breakdown-title", id="tag-drill-accounts-title")
                yield CostTable(ACCOUNTS, id="tag-drill-accounts")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#tag-drill-services", CostTable).focus(scroll_visible=False)
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="tag-drill")
    def _load(self) -> None:
        try:
            data = load_tag_drill(self.cache_path, self.options, self.today, self.key, self.value)
        except CostError as exc:
            self.post_message(self.Loaded(None, str(exc)))
            return
        self.post_message(self.Loaded(data))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        status = self.query_one("#tag-drill-status", Label)
        if message.data is None:
            status.update(f"Tags > {self.scope}: cannot read the cache: {message.error}")
            return
        data = self.data = message.data
        window = data.window
        span = f"{day_span(window.start, window.end)} {window.end.year} ({window.label})"
        status.update(f"Tags > {self.scope}, {span}, {self.options.metric} cost")
        self.query_one("#tag-drill-services-title", Label).update(f"Services tagged {self.scope}")
        self.query_one("#tag-drill-accounts-title", Label).update(f"Accounts tagged {self.scope}")
        self.query_one("#tag-drill-services", CostTable).show(data.services)
        self.query_one("#tag-drill-accounts", CostTable).show(data.accounts)
