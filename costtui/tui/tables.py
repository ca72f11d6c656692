"""The table the keys act on: the visible one takes the arrows, sort, filter, export and Enter, on a
tab or on the screen on top of the tabs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.widgets import TabbedContent, TabPane

from costtui.tui.export import export_path, table_csv
from costtui.tui.views.breakdown import BreakdownView
from costtui.tui.views.changes import ChangesScreen
from costtui.tui.views.drill import DrillScreen
from costtui.tui.views.tag_detail import TagScreen
from costtui.tui.views.tags import TagsView
from costtui.tui.widgets.chart import CostChart
from costtui.tui.widgets.cost_table import CostTable
from costtui.tui.widgets.filter_bar import FilterBar
from costtui.tui.widgets.status import StatusLine, status_text

if TYPE_CHECKING:
    from costtui.tui.app import CostApp


def active_table(app: CostApp) -> CostTable | None:
    screen = app.screen
    if isinstance(screen, (DrillScreen, ChangesScreen, TagScreen)):
        return screen.focused if isinstance(screen.focused, CostTable) else screen.query(CostTable).first()
    pane_id = app.query_one(TabbedContent).active
    if not pane_id:
        return None
    pane = app.query_one(f"#{pane_id}", TabPane)
    if isinstance(screen.focused, CostTable) and pane in screen.focused.ancestors:
        return screen.focused  # not one left focused on a tab just hidden
    tables = list(pane.query(CostTable))
    return tables[0] if tables else None


def focus_table(app: CostApp) -> None:
    if isinstance(app.screen.focused, CostChart) and app.query_one(TabbedContent).active == "trends":
        return  # picking a day on the Trends chart (`c`)
    table = active_table(app)
    if table is not None:
        table.focus(scroll_visible=False)
    elif app.query_one(TabbedContent).active == "alerts":
        app.query_one("#alerts-table").focus()


def filter_tables(app: CostApp, value: str) -> None:
    """The `/` filter's text applied to the visible tables (all of a drill-down's)."""
    screen = app.screen
    tables = [t for t in screen.query(CostTable)] if isinstance(screen, DrillScreen) else []
    table = active_table(app)
    for target in [*tables, *([table] if table else [])]:
        target.set_filter(value)
    if app.data is not None and not isinstance(screen, DrillScreen):
        app.query_one(StatusLine).update(status_text(app.data, app.clock(), extra=app.drawing.filter_note()))


def filter_shown_table(app: CostApp) -> None:
    """A tab just shown: its table takes the filter typed on the tabs."""
    table = active_table(app)
    if table is not None:
        table.set_filter(app.query_one("#filter", FilterBar).value)


def clear_filter(app: CostApp) -> bool:
    """Esc: the filter shown (or being typed) cleared first, before any back step; False if none is."""
    bars = app.screen.query(FilterBar)
    bar = bars.first() if bars else None
    if bar is not None and (bar.active or bar.has_class("-visible")):
        bar.action_clear_filter()
        return True
    return False


def export_table(app: CostApp) -> None:
    """`e`: the visible table's rows as CSV (exact values) to the export folder."""
    table = active_table(app)
    if table is None or app.data is None:
        app.notify("Nothing to export on this tab", severity="warning")
        return
    view = next((a for a in table.ancestors if isinstance(a, BreakdownView | TagsView)), None)
    group_by = view.dimensions if view else table.drill or ("provider", "service")
    name = view.breakdown if view else "top-services"
    if isinstance(app.screen, ChangesScreen):
        name = f"{table.id}-by-{app.screen.dimension}"  # rises or falls
    folder = app.export_dir or Path.cwd()
    if not folder.is_dir():
        app.notify(f"Cannot export: the folder {folder} (display.export_dir) does not exist", severity="error")
        return
    path = export_path(folder, name, app.clock())
    try:
        path.write_text(table_csv(table.rows_shown, group_by, app.options.metric))
    except OSError as error:
        app.notify(f"Cannot write {path}: {error.strerror}", severity="error")
        return
    app.notify(f"Wrote {len(table.rows_shown)} rows to {path}", title="Exported", timeout=6)
