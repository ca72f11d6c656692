"""The dashboard's global keys, each with an id and a tooltip, and the keys its tables own: the app
binds the first, `?` lists both, the command palette the first."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding

TABS = ("trends", "services", "accounts", "regions", "alerts")


def _key(key: str, action: str, description: str, tooltip: str, show: bool = True) -> Binding:
    return Binding(key, action, description, tooltip=tooltip, show=show, id=action.split("(")[0])


APP_KEYS = [
    _key("q", "quit", "Quit", "Leave the dashboard"),
    _key("d", "next_range", "Range", "Next range: 7, 30, 90 days, month to date, last month, 12 months"),
    _key("D", "custom_range", "Dates", "Type a custom range of dates", show=False),
    _key("t", "toggle_granularity", "Day/month", "Daily or monthly chart", show=False),
    _key("x", "toggle_stacked", "Stacked", "Trends chart: providers stacked (top line = total) or split", show=False),
    _key("l", "toggle_log", "Log scale", "Trends chart: log or linear y axis (small providers beside large)",
         show=False),
    _key("c", "pick_day", "Pick a day", "Trends or drill-down chart: pick a day (← →); Enter: what changed that day",
         show=False),
    _key("w", "what_changed", "Changes", "What changed: biggest movers vs the previous period (within a drill-down)"),
    _key("m", "toggle_metric", "Metric", "Billed (invoice) or effective (amortised) cost"),
    _key("g", "toggle_gross", "Net/gross", "Net of credits, or gross (credits left out)"),
    _key("p", "next_provider", "Provider", "All providers or the next one alone"),
    _key("s", "sort", "Sort", "Sort the table by the next column"),
    _key("S", "reverse_sort", "Reverse", "Reverse the table's sort order", show=False),
    _key("slash", "filter", "Filter", "Filter the table's rows by name"),
    _key("escape", "back", "Back", "Clear the filter, or go back one drill-down step", show=False),
    _key("e", "export", "Export", "Table as CSV (exact values) to display.export_dir, else the working directory",
         show=False),
    _key("r", "reload", "Reload", "Read the cache again", show=False),
    _key("R", "refresh", "Refresh", "Run `costtui refresh` for the configured providers", show=False),
    _key("question_mark", "help", "Keys", "This list of keys"),
    *(_key(str(n), f"show_tab('{tab}')", f"{tab.title()} tab", f"Show the {tab.title()} tab", show=False)
      for n, tab in enumerate(TABS, start=1)),
    _key(str(len(TABS) + 1), "show_tags", "Tags tab", "Show the Tags tab (a cache with tag keys)", show=False),
]

# Keys the tables own, listed in `?` with the app's.
TABLE_KEYS = [("enter", "Drill down into the row (service, account, region); on Alerts the whole finding"),
              ("↑ ↓ PgUp PgDn", "Move in the table"),
              ("← → enter", "A chart (after c): move the day cursor; Enter: that day's top movers")]


def palette_commands(app: App) -> Iterable[SystemCommand]:
    """Every dashboard action in the command palette, with the key that does it."""
    for binding in APP_KEYS:
        if binding.action != "quit":
            yield SystemCommand(f"{binding.description} ({app.get_key_display(binding)})",
                                binding.tooltip, lambda action=binding.action: app.run_action(action))
