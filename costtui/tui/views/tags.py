"""The Tags tab: a key selector (`k` cycles), spend per value of the chosen key in the dashboard's
range with `(untagged)` as a row, the key's coverage per provider, and Enter on a value drilling into
its services and accounts. It reads `charges` itself (tui/tags.py) in a worker, whenever the range,
metric, net/gross, provider or key changes; the app only tells it the options."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, Select, Static

from costtui.model import CostError, tag_column
from costtui.tui.data import ViewOptions
from costtui.tui.format import period_text
from costtui.tui.tags import TAG, TAG_VALUE, TagsData, coverage_text, load_tags, read_tag_keys
from costtui.tui.views.tag_drill import TagDrillScreen
from costtui.tui.widgets.cost_table import CostTable, KeyColumn

NO_TAGS = ("No tag keys in this cache. Name them in the config ([allocation] tag_keys = [\"team\", ...]) "
           "and refresh: spend by team, environment... then shows here.")


class TagsView(Vertical):
    """Spend by the values of one tag key."""

    BINDINGS = [Binding("k", "next_key", "Tag key", tooltip="Show the next configured tag key", id="tags.next_key")]

    class KeysFound(Message):
        """The cache's tag keys (empty: none), so the app shows the tab only when there are some."""

        def __init__(self, keys: tuple[str, ...]) -> None:
            super().__init__()
            self.keys = keys

    class Loaded(Message):
        def __init__(self, request: tuple, data: TagsData | None, error: str | None = None) -> None:
            super().__init__()
            self.request = request
            self.data = data
            self.error = error

    def __init__(self, cache_path: Path, **kwargs) -> None:
        super().__init__(classes="breakdown", **kwargs)
        self.cache_path = cache_path
        self.key: str | None = None
        self.data: TagsData | None = None
        self._request: tuple | None = None
        self._options: tuple[ViewOptions, date] | None = None

    def compose(self) -> ComposeResult:
        yield Label("", classes="section-title breakdown-title", id="tags-title")
        yield Select[str]([], prompt="Tag key", allow_blank=True, id="tags-key")
        yield Static("", id="tags-coverage")
        yield CostTable([KeyColumn("Value", TAG)], drill=(TAG_VALUE,), id="tags-table")

    @property
    def dimensions(self) -> tuple[str, ...]:
        """What the table groups by, as `costs --group-by` names it (for `e`: the same CSV)."""
        return (f"tag:{self.key}",) if self.key else ()

    @property
    def breakdown(self) -> str:
        return f"tag-{tag_column(self.key).removeprefix('tag_')}" if self.key else "tags"

    def show(self, options: ViewOptions, today: date) -> None:
        """Read again if anything the answer depends on changed since the last read."""
        self._options = (options, today)
        request = (options.window(today), options.metric, options.gross, options.provider, self.key)
        if request != self._request:
            self._request = request
            self._load(request, options, today, self.key)

    def forget(self) -> None:
        """New data (a reload or a new snapshot): read again when next shown; learn the keys now."""
        self._request = None
        self._probe()

    @work(thread=True, exclusive=True, exit_on_error=False, group="tags")
    def _load(self, request: tuple, options: ViewOptions, today: date, key: str | None) -> None:
        try:
            data = load_tags(self.cache_path, options, today, key)
        except CostError as exc:
            self.post_message(self.Loaded(request, None, str(exc)))
            return
        self.post_message(self.Loaded(request, data))

    @work(thread=True, exclusive=True, exit_on_error=False, group="tag-keys")
    def _probe(self) -> None:
        try:
            keys = read_tag_keys(self.cache_path)
        except CostError:
            return  # the dashboard's own load says what is wrong with the cache
        self.post_message(self.KeysFound(keys))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        data = message.data
        if message.request != self._request:
            return
        if data is None:
            self.query_one("#tags-coverage", Static).update(f"Cannot read tags: {message.error}")
            return
        self.data = data
        self.key = data.key
        self._request = (*message.request[:-1], data.key)
        title = self.query_one("#tags-title", Label)
        selector = self.query_one("#tags-key", Select)
        with selector.prevent(Select.Changed):
            selector.set_options([(key, key) for key in data.keys])
            if data.key is not None:
                selector.value = data.key
        window = data.window
        if data.key is None:
            title.update("Tags")
            self.query_one("#tags-coverage", Static).update(NO_TAGS)
        else:
            title.update(f"Spend by {data.key}, {period_text(window.start, window.end)} "
                         f"({window.label}), change vs the {window.days} days before")
            self.query_one("#tags-coverage", Static).update(coverage_text(data.key, data.coverage))
        self.query_one(CostTable).show(data.rows)

    @on(Select.Changed, "#tags-key")
    def _key_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.key:
            self.key = event.value
            if self._options is not None:
                self.show(*self._options)

    def action_next_key(self) -> None:
        keys = self.data.keys if self.data else ()
        if keys:
            self.key = keys[(keys.index(self.key) + 1) % len(keys)] if self.key in keys else keys[0]
            if self._options is not None:
                self.show(*self._options)

    @on(CostTable.Drill)
    def _drill(self, event: CostTable.Drill) -> None:
        """A value's services and accounts; the raw value (None: untagged) rather than its text."""
        event.stop()
        table = event.table
        if self.data is None or self.data.key is None or not 0 <= table.cursor_row < len(table.rows_shown):
            return
        value = table.rows_shown[table.cursor_row].keys.get(TAG_VALUE)
        options, today = self._options or (ViewOptions(), date.today())
        self.app.push_screen(TagDrillScreen(self.cache_path, options, today, self.data.key,
                                            value if isinstance(value, str) else None))
