"""A step further into a tag value's drill-down: Enter on a service shows its chart plus its accounts
and regions, on an account its services and regions (as the dashboard's DrillScreen explains them),
all within the spend tagged KEY = VALUE. Filters stack as the dashboard's do (provider > service >
account ...); Esc goes back one step. Like the dashboard's drill-down, they follow the range, metric,
net/gross and provider, and `/` filters their rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Label

from costtui.model import CostError
from costtui.tui.data import ViewOptions
from costtui.tui.format import period_text, tag_scope
from costtui.tui.rollup import TAG_PREFIX, Filter
from costtui.tui.tags import TagDetailData, load_tag_detail
from costtui.tui.views.breakdown import BREAKDOWNS
from costtui.tui.views.drill import EXPLAINED_BY, drilled
from costtui.tui.widgets.chart import CostChart
from costtui.tui.widgets.cost_table import CostTable
from costtui.tui.widgets.filter_bar import FilterBar
from costtui.tui.widgets.footer import KeyFooter
from costtui.tui.widgets.status import filter_text


class TagScreen(Screen[None]):
    """The spend tagged `key` = `value` (None: untagged) under drill-down `filters`, read in a worker
    (`read`) for the dashboard's options and shown by `show`; it follows those options (FollowsOptions)
    and `/` filters its tables. Enter on a row goes one step further, Esc clears the filter, then
    goes one step back."""

    BINDINGS = [Binding("escape", "back", "Back", tooltip="Clear the filter, or back one drill-down step",
                        id="tag.back")]
    prefix = "tag"  # the ids of this screen's widgets: `{prefix}-status`, `{prefix}-services` ...

    class Loaded(Message):
        def __init__(self, options: ViewOptions, data: object | None, error: str | None = None) -> None:
            super().__init__()
            self.options = options  # what it was read for: a read overtaken by a new choice is dropped
            self.data = data
            self.error = error

    def __init__(self, cache_path: Path, options: ViewOptions, today: date, key: str, value: str | None,
                 filters: tuple[Filter, ...] = ()) -> None:
        super().__init__()
        self.cache_path = cache_path
        self.options = options
        self.today = today
        self.key = key
        self.value = value
        self.filters = filters
        self._stale = False  # the options changed while covered: read again when uncovered

    @property
    def scope(self) -> str:
        return tag_scope(self.key, self.value)

    @property
    def scope_filters(self) -> tuple[Filter, ...]:
        """This step as drill-down filters: the tag value first (a day's movers are read within it)."""
        return ((f"{TAG_PREFIX}{self.key}", self.value), *self.filters)

    @property
    def path(self) -> str:
        """`Tags > team = payments > AWS > EC2`: where this step is."""
        return " > ".join(["Tags", self.scope, *([filter_text(self.filters)] if self.filters else [])])

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield Label(f"{self.path} (loading…)", id=f"{self.prefix}-status", classes="tag-status")
        with Vertical(id="drill-body"):
            yield from self.body()
        yield FilterBar(id="filter")
        yield KeyFooter()

    def body(self) -> ComposeResult:
        raise NotImplementedError

    def sections(self, names: tuple[str, ...]) -> ComposeResult:
        """A titled table per breakdown (`services`, `accounts` ...), its rows drilling further."""
        for name in names:
            _, columns, drill = BREAKDOWNS[name]
            with Vertical(classes="breakdown"):
                yield Label("", classes="section-title breakdown-title", id=f"{self.prefix}-{name}-title")
                yield CostTable(columns, drill=drill, id=f"{self.prefix}-{name}")

    def read(self, options: ViewOptions) -> object:
        raise NotImplementedError

    def show(self, data) -> None:
        raise NotImplementedError

    def on_mount(self) -> None:
        self.query(CostTable).first().focus(scroll_visible=False)
        self._load(self.options)

    def follow(self, options: ViewOptions) -> None:
        """The dashboard's options changed: read for them now if shown, else once uncovered."""
        if options == self.options:
            return
        self.options = options
        self.read_again()

    def read_again(self) -> None:
        """Read for the current options now if shown, else once uncovered (a new snapshot too)."""
        if self.is_current:
            self._load(self.options)
        else:
            self._stale = True

    def on_screen_resume(self) -> None:
        if self._stale:
            self._stale = False
            self._load(self.options)

    @work(thread=True, exclusive=True, exit_on_error=False, group="tag-screen")
    def _load(self, options: ViewOptions) -> None:
        try:
            data = self.read(options)
        except CostError as exc:
            self.post_message(self.Loaded(options, None, str(exc)))
            return
        self.post_message(self.Loaded(options, data))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.options != self.options:
            return
        if message.data is None:
            self.query_one(".tag-status", Label).update(f"{self.path}: cannot read the cache: {message.error}")
        else:
            self.show(message.data)

    def show_status(self, data) -> None:
        """Where this step is, then the range and the metric (two lines: neither is cut at 80 columns)."""
        window = data.window
        span = f"{period_text(window.start, window.end)} ({window.label})"
        self.query_one(".tag-status", Label).update(f"{self.path}\n{span}, {self.options.metric} cost")

    @on(FilterBar.Changed, "#filter")
    def _filter_changed(self, event: FilterBar.Changed) -> None:
        """Every table of this screen, as the dashboard's drill-down does (not the Tags tab beneath)."""
        event.stop()
        for table in self.query(CostTable):
            table.set_filter(event.value)

    def action_back(self) -> None:
        bar = self.query_one(FilterBar)
        if bar.active or bar.has_class("-visible"):
            bar.action_clear_filter()
        else:
            self.dismiss()

    @on(CostTable.Drill)
    def _drill(self, event: CostTable.Drill) -> None:
        """A row one step further within the same tag value (not the dashboard's drill-down): a
        service's chart, accounts and regions, an account's services and regions; filters stack."""
        event.stop()
        filters = self.filters + tuple(f for f in event.filters if f not in self.filters)
        self.app.push_screen(TagDetailScreen(self.cache_path, self.options, self.today, self.key, self.value, filters))


class TagDetailScreen(TagScreen):
    """A chart by day (or month) and provider, and the breakdowns that explain the last step."""

    prefix = "tag-detail"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.explained_by = EXPLAINED_BY[drilled(self.filters)]
        self.data: TagDetailData | None = None

    def body(self) -> ComposeResult:
        yield CostChart(id="drill-chart")
        yield from self.sections(self.explained_by)

    def read(self, options: ViewOptions) -> TagDetailData:
        breakdowns = {name: BREAKDOWNS[name][0] for name in self.explained_by}
        return load_tag_detail(self.cache_path, options, self.today, self.key, self.value, self.filters, breakdowns)

    def show(self, data: TagDetailData) -> None:
        self.data = data
        options = self.options
        self.show_status(data)
        grain = "Monthly" if options.granularity == "month" else "Daily"
        self.query_one(CostChart).show(data.points, options.granularity,
                                       f"{grain} {options.metric} cost of {filter_text(self.filters)} tagged {self.scope}")
        for name, rows in data.breakdowns.items():
            self.query_one(f"#tag-detail-{name}-title", Label).update(
                f"{name.title()} tagged {self.scope}, change vs the {data.window.days} days before")
            self.query_one(f"#tag-detail-{name}", CostTable).show(rows)
