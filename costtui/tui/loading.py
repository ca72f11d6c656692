"""The dashboard's loads: the first read (started with the app), a new load when the range changes or
on a reload (the latest wins), the loading indicator when one takes a moment, the reads ahead once
the figures are drawn, and a reload when a refresh publishes a new snapshot. Other choices are
answered from memory. The app owns one Loading; its workers read, its handlers call this."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from costtui.cache import CacheReader
from costtui.tui.data import DashboardData, ViewOptions
from costtui.tui.follow import FollowsOptions
from costtui.tui.memory import keep_loaded, release_loaded
from costtui.tui.reads import Loader, Ranges
from costtui.tui.views.tags import TagsView

if TYPE_CHECKING:
    from costtui.tui.app import CostApp

LOADING_DELAY_SECONDS = 0.1  # a load this long shows the loading indicator
READ_AHEAD_DELAY_SECONDS = 0.3


class Loading:
    """Which load is the latest, whether it still runs, and the ranges read from this snapshot."""

    def __init__(self, app: CostApp, load: Loader) -> None:
        self.app = app
        self.busy = False  # a load runs: keys pressed meanwhile change the options it applies
        self.generation = 0  # of the latest load: an older one's result is dropped
        self.ranges = Ranges()  # by load key, the ranges read (or read ahead) from this snapshot
        self.ahead_due = False  # figures drawn, their reads ahead (and first drill screens) not started yet
        self._notice = ""
        self._snapshot_id = CacheReader(app.cache_path).snapshot_id()
        # The first read starts now, beside Textual's own start-up (DuckDB runs without the GIL):
        # the first figures come ~0.2-0.4 s sooner than from a worker started once mounted.
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="costtui-first-read")
        self._first_read: tuple[ViewOptions, Future] | None = (
            app.options, pool.submit(load, app.cache_path, app.options, app.today))
        pool.shutdown(wait=False)  # the thread ends with its one read

    def reload(self) -> None:
        """Read the cache again: ranges read ahead are forgotten too, and screens with reads of their
        own (the tag drill-downs) read again."""
        self.ranges.forget()
        release_loaded()
        for screen in self.app.screen_stack:
            if isinstance(screen, FollowsOptions):
                screen.read_again()
        self._start()

    def reload_if_new_snapshot(self) -> None:
        """Reload in place when a refresh has published a new cache snapshot since the last look."""
        snapshot = CacheReader(self.app.cache_path).snapshot_id()
        if snapshot != self._snapshot_id:
            self._snapshot_id = snapshot
            self._notice = "New data from a refresh: reloaded"
            self.app.drawing.forecasts.clear()
            self.reload()

    def apply(self, options: ViewOptions) -> None:
        """New choices: a range not read yet loads; everything else is answered from memory at once."""
        app = self.app
        old = app.options
        app.options = options
        for screen in app.screen_stack:  # screens with reads of their own (the tag drill-downs)
            if isinstance(screen, FollowsOptions):
                screen.follow(options)
        key = options.load_key(app.today)
        if app.data is None or self.busy or (key != old.load_key(app.today) and key not in self.ranges.read):
            self._start()
            return
        if key != old.load_key(app.today):
            app.data = self.ranges.read[key]  # read ahead (or before): drawn at once
        app.data = app.data.with_options(options)
        app.drawing.draw()

    def _start(self) -> None:
        app = self.app
        self.generation += 1
        self.busy = True
        first, self._first_read = self._first_read, None
        app.load(self.generation, app.options, first[1] if first and first[0] == app.options else None)
        generation = self.generation
        app.set_timer(LOADING_DELAY_SECONDS, lambda: self._show_indicator(generation))

    def _after_drawn(self, shown: DashboardData, epoch: int, first: bool) -> None:
        self.ahead_due = False
        if self.app.data is not None:
            self.app.read_ahead(shown, epoch)
        if first:
            self.app.drill_screens.prepare()  # while the other ranges are read

    def _show_indicator(self, generation: int) -> None:
        if self.busy and generation == self.generation:
            self.app.query_one("#loading").display = True

    def done(self) -> None:
        self.busy = False
        self.app.query_one("#loading").display = False

    def failed(self, generation: int, text: str) -> None:
        if generation == self.generation:
            self.done()
            self.app.drawing.show_error(text)

    def loaded(self, generation: int, data: DashboardData | None) -> None:
        app = self.app
        if generation != self.generation:
            return  # a newer load is on its way
        self.done()
        if data is None:
            app.data = None
            app.drawing.show_no_data()
            return
        first = app.data is None
        app.data = data.with_options(app.options)  # keys pressed while it loaded are applied
        app.drawing.show_empty(None)
        app.query_one(TagsView).forget()  # read again when shown; learn the keys now
        self.ranges.read[data.options.load_key(app.today)] = data
        app.drawing.draw()
        keep_loaded()
        shown, epoch = app.data, self.ranges.epoch
        # After the figures are drawn: the reads ahead (and composing the drill-down screens, the first
        # time) would compete with that drawing.
        self.ahead_due = True
        app.set_timer(READ_AHEAD_DELAY_SECONDS, lambda: self._after_drawn(shown, epoch, first))
        if first:
            app.action_focus_table()
            # Again once drawn: a read that beats the screen's start-up would lose the focus to
            # Textual's auto-focus (the tab bar), and the arrows would move tabs, not rows.
            app.call_after_refresh(app.action_focus_table)
        if self._notice:
            app.notify(self._notice, timeout=4)
            self._notice = ""
