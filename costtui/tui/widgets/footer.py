"""The key footer: one line drawn by one widget.

Textual's Footer is a container of one widget per key (~15 here), rebuilt whenever the screen's
bindings may have changed, which includes every focus change: tab switches, the filter bar, each
drill-down screen mounting its own. Those mounts, style passes and layouts were a large part of
such keys' time (bench/tui_keys.py). Here the keys are text: a change of keys is one repaint."""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

GAP = 2  # blanks between two keys


class Shown(NamedTuple):
    key: str  # as the App simulates it when clicked
    display: str
    description: str
    enabled: bool


class KeyFooter(Widget, can_focus=False):
    """The screen's shown keys on the left, the command palette's key on the right; a click on a
    key presses it."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-footer--key", "key-footer--description"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        background: $footer-background;
        .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple[tuple[Shown, ...], Shown | None] | None = None
        self._spans: list[tuple[int, int, Shown]] = []  # x from, x to, key: where a click lands

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen and self._keys() != self._shown:
            self.refresh()

    def _keys(self) -> tuple[tuple[Shown, ...], Shown | None]:
        app, bindings = self.app, self.screen.active_bindings
        seen: set[str] = set()
        keys: list[Shown] = []
        for _, binding, enabled, _ in bindings.values():
            if binding.show and binding.action not in seen:  # one key per action, as Footer shows
                seen.add(binding.action)
                keys.append(Shown(binding.key, app.get_key_display(binding), binding.description, enabled))
        palette = None
        if app.ENABLE_COMMAND_PALETTE and (entry := bindings.get(app.COMMAND_PALETTE_BINDING)) is not None:
            _, binding, enabled, _ = entry
            palette = Shown(binding.key, app.get_key_display(binding), binding.description, enabled)
        return tuple(keys), palette

    def render(self) -> Text:
        self._shown = keys, palette = self._keys()
        key_style = self.get_component_rich_style("key-footer--key")
        description_style = self.get_component_rich_style("key-footer--description")
        line = Text(no_wrap=True, overflow="crop", end="")
        self._spans = []

        def add(shown: Shown) -> None:
            start = line.cell_len
            dim = "" if shown.enabled else " dim"
            line.append(shown.display, key_style + dim if dim else key_style)
            line.append(shown.description, description_style + dim if dim else description_style)
            self._spans.append((start, line.cell_len, shown))

        for index, shown in enumerate(keys):
            if index:
                line.append(" " * GAP)
            add(shown)
        if palette is not None:
            right = len(palette.display) + len(palette.description) + 1
            line.append(" " * max(GAP, self.size.width - line.cell_len - right))
            line.append("▏", description_style)
            add(palette)
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, shown in self._spans:
            if start <= event.x < end:
                if shown.enabled:
                    self.app.simulate_key(shown.key)
                else:
                    self.app.bell()
                return
