"""The `costtui` group: global options and lazily loaded subcommands."""

from __future__ import annotations

import importlib

import click

from costtui import __version__
from costtui.commands.context import AppContext

# name -> "module:attribute"; a command's module (and its heavy imports) loads only when run.
LAZY_COMMANDS = {
    "tui": "costtui.commands.tui:tui",
    "demo": "costtui.commands.demo:demo",
    "import": "costtui.commands.importing:import_files",
    "costs": "costtui.commands.costs:costs",
    "refresh": "costtui.commands.refresh:refresh",
    "test-auth": "costtui.commands.refresh:test_auth",
    "check": "costtui.commands.check:check",
    "export": "costtui.commands.export:export",
    "serve": "costtui.commands.serve:serve",
    "alerts": "costtui.commands.alerts:alerts",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS:
            module_name, attribute = LAZY_COMMANDS[name].split(":")
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, name)


@click.group(
    cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--config",
    "config_option",
    metavar="FILE",
    help="Config file (default: $COSTTUI_CONFIG or the user config dir).",
)
@click.option(
    "--cache",
    "cache_option",
    metavar="FILE",
    help="Cache database (default: $COSTTUI_CACHE or the user data dir).",
)
@click.version_option(__version__, prog_name="costtui")
@click.pass_context
def cli(ctx: click.Context, config_option: str | None, cache_option: str | None) -> None:
    """Multi-cloud cost monitor: a dashboard over SSH, and headless checks and exports.

    With no command, opens the dashboard on the configured cache."""
    ctx.obj = AppContext(config_option, cache_option)
    if ctx.invoked_subcommand is None:
        from costtui.commands.tui import open_dashboard

        open_dashboard(ctx.obj, ctx.obj.cache_path)
