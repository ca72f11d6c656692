"""The hook a screen implements to follow the dashboard's view options (range, metric, net/gross,
provider, granularity) and its data with its own reads: the app tells every such screen on the stack
of each change of options and of each reload (a new snapshot, `r`), and the screen reads again when
it is shown (at once, or when a back step uncovers it)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from costtui.tui.data import ViewOptions


@runtime_checkable
class FollowsOptions(Protocol):
    def follow(self, options: ViewOptions) -> None:
        """The dashboard's options are now `options`."""

    def read_again(self) -> None:
        """The dashboard reloads the cache (a new snapshot, or `r`): what was read may have changed."""
