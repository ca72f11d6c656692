"""Drill-down screens kept for reuse. Composing, mounting and styling a drill-down's ~20 widgets is
about half of what opening one costs (bench/tui_keys.py: 120-230 ms a new screen, 55-95 ms a kept
one on 10M rows), so one screen per drilled dimension is made while the user reads the first
figures, and a screen popped by Esc is shown again, with new filters, by the next Enter."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from costtui.tui.rollup import Filter
from costtui.tui.views.drill import EXPLAINED_BY, DrillScreen, drilled

if TYPE_CHECKING:
    from textual.app import App

KEPT_PER_DIMENSION = 3  # deeper stacks of one dimension get screens made (and removed) as before


class DrillScreens:
    """The app's kept drill-down screens."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.kept: list[DrillScreen] = []

    def prepare(self) -> None:
        """One screen for each dimension a drill-down can explain, composed now (not at the first Enter)."""
        for dimension in EXPLAINED_BY:
            if not any(screen.dimension == dimension for screen in self.kept):
                self._keep(DrillScreen((), dimension=dimension))

    def open(self, filters: tuple[Filter, ...], ready: Callable[[DrillScreen], None]) -> None:
        """Push the drill-down of `filters`: a kept screen not in the stack, filled before it is shown;
        else a new one (kept for next time while there are few of its dimension)."""
        app = self.app
        dimension = drilled(filters)
        free = (s for s in self.kept if s.dimension == dimension and s not in app.screen_stack and s.is_mounted)
        screen = next(free, None)
        if screen is None:
            screen = DrillScreen(filters, ready=ready)
            if sum(s.dimension == dimension for s in self.kept) < KEPT_PER_DIMENSION:
                self._keep(screen, compose=False)
            app.push_screen(screen)
            return
        screen.reuse(filters)
        ready(screen)
        app.push_screen(screen)

    def _keep(self, screen: DrillScreen, compose: bool = True) -> None:
        # An installed screen stays mounted when popped (Textual removes the others).
        self.app.install_screen(screen, name=f"drill-{len(self.kept)}")
        self.kept.append(screen)
        register = getattr(self.app, "_get_screen", None)  # Textual's first step of push_screen
        if compose and register is not None:
            register(screen)  # composed and mounted now (else at its first push)
