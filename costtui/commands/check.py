"""`costtui check` for --help listings; real runs take the fast path in cli.main."""

from __future__ import annotations

import click


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}
)
@click.pass_context
def check(ctx: click.Context) -> int:
    """Icinga/Nagios plugin: cost thresholds, exit 0-3 (see `costtui check --help`)."""
    from costtui.plugin.check import run_check

    root = ctx.find_root().obj
    return run_check(ctx.args, config_path=root.config_option, cache_path=root.cache_option)
