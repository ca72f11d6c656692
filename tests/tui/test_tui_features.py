"""Dashboard features of the analysis issue driven as a user would: export folder, what changed,
sparklines, budget and anomaly marks, chart toggles, narrow terminals, demo findings."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from tui_helpers import make_app, settle

from costtui.config import Config
from costtui.config.schema import DisplayConfig

pytestmark = pytest.mark.anyio


async def test_export_goes_to_the_configured_folder_and_says_where(demo_cache: Path, today: date,
                                                                   tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    config = replace(Config(), display=DisplayConfig(export_dir=folder))
    app = make_app(demo_cache, today, config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "e")
        await settle(app, pilot)
        (written,) = folder.glob("costtui-accounts-*.csv")
        assert written.read_text().startswith("provider,account,account_name,billed_cost,currency\n")
        assert any(str(written) in n.message for n in app._notifications)


async def test_export_to_a_missing_configured_folder_says_so_and_writes_nothing(demo_cache: Path, today: date,
                                                                                tmp_path: Path) -> None:
    config = replace(Config(), display=DisplayConfig(export_dir=tmp_path / "gone"))
    app = make_app(demo_cache, today, config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2", "e")
        await settle(app, pilot)
        assert any("display.export_dir" in n.message and "gone" in n.message for n in app._notifications)
    assert not list(tmp_path.rglob("*.csv"))
