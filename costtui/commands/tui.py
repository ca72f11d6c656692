"""`costtui tui`: the dashboard on the configured cache."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from costtui.commands.context import AppContext, pass_app

if TYPE_CHECKING:
    from costtui.config import Config


def open_dashboard(app_context: AppContext, cache_path: Path, config: Config | None = None) -> None:
    """The dashboard on `cache_path`, with `config` in place of the loaded one (the demo's thresholds)."""
    from costtui.tui.app import CostApp

    CostApp(config=config or app_context.config, cache_path=cache_path, today=app_context.today).run()


@click.command()
@pass_app
def tui(app_context: AppContext) -> None:
    """Open the dashboard (the default command)."""
    open_dashboard(app_context, app_context.cache_path)
