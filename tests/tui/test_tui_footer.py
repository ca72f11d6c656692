"""The key footer: what it lists follows the screen and the focus; a click on a key presses it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tui_helpers import make_app, settle, settle_drill

from costtui.tui.widgets.footer import KeyFooter

pytestmark = pytest.mark.anyio


def footer_text(app) -> str:
    return str(app.screen.query_one(KeyFooter).render())


async def test_the_footer_lists_the_screens_keys_and_follows_focus_and_screens(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        shown = footer_text(app)
        for key in ("qQuit", "dRange", "mMetric", "/Filter", "?Keys", "^ppalette"):
            assert key in shown
        assert "escBack" not in shown
        await pilot.press("2", "enter")  # a drill-down: Esc goes back, and says so
        await settle_drill(app, pilot)
        assert footer_text(app).startswith("escBack")
        await pilot.press("escape", "slash")  # typing a filter: the letters are the filter's, not keys
        await settle(app, pilot)
        typing = footer_text(app)
        assert "/Filter" in typing and "dRange" not in typing


async def test_a_click_on_a_footer_key_presses_it(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        footer = app.query_one(KeyFooter)
        footer.render()
        x = next(start for start, _, shown in footer._spans if shown.description == "Metric")
        assert app.options.metric == "billed"
        await pilot.click(KeyFooter, offset=(x + 1, 0))
        await settle(app, pilot)
        assert app.options.metric == "effective"
        assert "effective" in str(app.screen.query_one("#status").render())
