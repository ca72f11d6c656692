"""The key footer, recomposed only when the keys it shows change.

Textual's Footer rebuilds all its key widgets whenever the screen's bindings may have changed, which
includes every focus change: tab switches, the filter bar, drill-downs. With our ~15 keys that was
several mounts and layouts per key press (bench/tui_keys.py); the keys shown rarely change."""

from __future__ import annotations

from textual.widgets import Footer


class KeyFooter(Footer):
    def __init__(self) -> None:
        super().__init__(compact=True)
        self._shown: tuple | None = None

    def _keys(self) -> tuple:
        return tuple((binding.key, binding.action, binding.description, enabled, tooltip)
                     for (_, binding, enabled, tooltip) in self.screen.active_bindings.values() if binding.show)

    async def recompose(self) -> None:
        if not self.is_attached:
            return
        keys = self._keys() if self._bindings_ready else None
        if keys is not None and keys == self._shown:
            return
        self._shown = keys
        await super().recompose()
