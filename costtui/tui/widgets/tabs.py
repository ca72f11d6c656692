"""The dashboard's tabs: switched by the keys and the tab bar only."""

from __future__ import annotations

from textual.widgets import TabbedContent, TabPane


class DashboardTabs(TabbedContent):
    """Textual's TabbedContent also shows the pane in which a widget took the focus, when that
    focus message is handled: after a tab key has switched away from it already, when the focus came
    just before the key (the table focused at the end of a load, say). The key was then undone and
    the old tab shown again. Here only the keys and the tab bar choose the tab; a widget can take
    the focus only in the pane shown, so nothing is lost."""

    def on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        event.prevent_default()  # not TabbedContent's own handler
        event.stop()
