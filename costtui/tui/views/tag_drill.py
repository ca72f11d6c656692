"""A tag value's drill-down: the spend tagged KEY = VALUE (or untagged) in the dashboard's range,
by service and by account, each against the period before. Enter on a row goes one step further
(tag_detail.py); Esc clears the `/` filter, then goes back to the Tags tab."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label

from costtui.tui.data import ViewOptions
from costtui.tui.tags import TagDrillData, load_tag_drill
from costtui.tui.views.tag_detail import TagScreen
from costtui.tui.widgets.cost_table import CostTable


class TagDrillScreen(TagScreen):
    """Services and accounts of one tag value."""

    BINDINGS = [Binding("escape", "back", "Back", tooltip="Clear the filter, or back to the Tags tab",
                        id="tag_drill.back")]
    prefix = "tag-drill"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.data: TagDrillData | None = None

    def body(self) -> ComposeResult:
        yield from self.sections(("services", "accounts"))

    def read(self, options: ViewOptions) -> TagDrillData:
        return load_tag_drill(self.cache_path, options, self.today, self.key, self.value)

    def show(self, data: TagDrillData) -> None:
        self.data = data
        self.show_status(data)
        self.query_one("#tag-drill-services-title", Label).update(f"Services tagged {self.scope}")
        self.query_one("#tag-drill-accounts-title", Label).update(f"Accounts tagged {self.scope}")
        self.query_one("#tag-drill-services", CostTable).show(data.services)
        self.query_one("#tag-drill-accounts", CostTable).show(data.accounts)
