"""`costtui tui`: the dashboard on the configured cache."""

from __future__ import annotations

from pathlib import Path

import click

from costtui.commands.context import AppContext, pass_app


def open_dashboard(app_context: AppContext, cache_path: Path) -> None:
    from costtui.tui.app import CostApp

    CostApp(config=app_context.config, cache_path=cache_path, today=app_context.today).run()


@click.command()
@pass_app
def tui(app_context: AppContext) -> None:
    """Open the dashboard (the default command)."""
    open_dashboard(app_context, app_context.cache_path)
